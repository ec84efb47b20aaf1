"""Two people talking at once (one per channel): a delivery form, never overlapping cues.

Each speaker's cues are made on their own (``cues.cues_by_speaker``); where cues of different speakers
overlap in time (or come closer than the profile's minimum gap), their words are laid out again as
two-speaker cues: one line per speaker, a hyphen before each (Netflix's rule for two speakers in one
event), in the order they start speaking. Each such cue takes words in time order until a speaker's line
would pass the profile's line length, so a long stretch of overlap becomes several dash cues. Then the whole
track is timed once, in order, by the ordinary timing rules, so cues never overlap and keep the gap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import Cue, CueTrack, Word, join_words
from ..timecode import frames_to_ms
from .linebreak import break_lines, text_length
from .profiles import Profile
from .timing import time_arrays


def _spoken(words: Sequence[Word]) -> tuple[int, int]:
    return min(w.start_ms for w in words), max(w.end_ms for w in words)


def _clusters(cues: Sequence[tuple[str, Cue]], gap_ms: int) -> list[list[tuple[str, Cue]]]:
    """Runs of cues (sorted by start) that overlap in time or come closer than the gap."""
    out: list[list[tuple[str, Cue]]] = []
    end = None
    for spk, c in cues:
        if out and end is not None and c.start_ms < end + gap_ms:
            out[-1].append((spk, c))
            end = max(end, c.end_ms)
        else:
            out.append([(spk, c)])
            end = c.end_ms
    return out


def _windows(words: Sequence[tuple[str, Word]], profile: Profile) -> list[list[tuple[str, Word]]]:
    """Words of several speakers in time order, cut where a speaker's dash line would be too long or a third
    line would be needed."""
    out: list[list[tuple[str, Word]]] = []
    cur: list[tuple[str, Word]] = []
    for spk, w in words:
        mine = [x for s, x in cur if s == spk] + [w]
        line = "-" + join_words(mine)
        speakers = {s for s, _ in cur} | {spk}
        if cur and (text_length(line, profile.count_spaces) > profile.max_chars_per_line
                    or len(speakers) > profile.max_lines):
            out.append(cur)
            cur = []
        cur.append((spk, w))
    if cur:
        out.append(cur)
    return out


def _lines(window: Sequence[tuple[str, Word]], profile: Profile) -> tuple[str, ...]:
    order: list[str] = []
    for s, _ in window:
        if s not in order:
            order.append(s)
    if len(order) == 1:  # as cues.lines_for (not imported: cues imports this module)
        ws = [w for _, w in window]
        lines = break_lines([w.text for w in ws], profile.max_chars_per_line, profile.max_lines,
                            spaces=[w.space_before for w in ws], count_spaces=profile.count_spaces)
        return lines if lines is not None else (join_words(ws),)
    return tuple("-" + join_words([w for s, w in window if s == spk]) for spk in order)


def deliver_overlaps(per_speaker: Sequence[tuple[str, Sequence[Cue]]], profile: Profile, *,
                     media_end_ms: int | None = None, shot_changes_ms: Sequence[int] | None = None,
                     ) -> tuple[list[Cue], int]:
    """One track from each speaker's cues with no two cues overlapping: overlapped stretches as dash cues.
    Returns the cues and how many dash cues were made."""
    tagged = sorted(((spk, c) for spk, cs in per_speaker for c in cs), key=lambda x: (x[1].start_ms, x[1].end_ms))
    gap_ms = frames_to_ms(profile.min_gap_frames, profile.fps)
    groups: list[tuple[tuple[Word, ...], tuple[str, ...]]] = []
    dashes = 0
    for cl in _clusters(tagged, gap_ms):
        if len({s for s, _ in cl}) == 1 or any(not c.words for _, c in cl):
            groups += [(c.words, c.lines) for _, c in cl]
            continue
        words = sorted(((s, w) for s, c in cl for w in c.words), key=lambda x: (x[1].start_ms, x[1].end_ms))
        for win in _windows(words, profile):
            lines = _lines(win, profile)
            dashes += len(lines) > 1 and all(x.startswith("-") for x in lines) and len({s for s, _ in win}) > 1
            groups.append((tuple(w for _, w in win), lines))
    if not groups:
        return [], 0
    spans = [(_spoken(ws) if ws else (0, 0)) for ws, _ in groups]
    starts = np.array([a for a, _ in spans], dtype=np.int64)
    ends = np.maximum.accumulate(np.array([b for _, b in spans], dtype=np.int64))
    # the next group's speech may begin before this one's last word ends (they overlapped): end there
    nxt = np.append(starts[1:], np.iinfo(np.int64).max)
    ends = np.maximum(np.minimum(ends, nxt), starts + 1)
    chars = np.array([sum(text_length(x, profile.count_spaces) for x in ls) for _, ls in groups], dtype=np.int64)
    ins, outs = time_arrays(starts, ends, chars, profile, media_end_ms, shot_changes_ms)
    cues = [Cue(int(a), int(max(a, b)), ls, ws) for (ws, ls), a, b in zip(groups, ins.tolist(), outs.tolist(),
                                                                           strict=True)]
    return cues, dashes


def overlapped_track(per_speaker: Sequence[tuple[str, CueTrack]], profile: Profile, language: str | None,
                     **kw) -> CueTrack:
    """``deliver_overlaps`` as a CueTrack, the dash cues counted in its metadata."""
    cues, dashes = deliver_overlaps([(s, tr.cues) for s, tr in per_speaker], profile, **kw)
    meta = dict(per_speaker[0][1].metadata) if per_speaker else {}
    meta["overlapped_speakers"] = True
    meta["overlap_dash_cues"] = dashes
    return CueTrack.of(cues, language=language, metadata=meta)
