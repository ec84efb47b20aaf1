"""Words -> a CueTrack under a profile: segmentation, line breaking and timing composed.

``make_cues`` is pure: the same transcript, profile and cut times always give the same track. The
profile (after its language variant is chosen) and the recipe are recorded in the track's metadata.
``cues_by_speaker`` makes each speaker's cues on their own where two people talk at once (a transcript
merged from one per channel, speakers/channels.py): the speakers stage labels words, this one builds cues.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..model import Cue, CueTrack, Transcript, Utterance, Word, join_words
from . import regroup
from .linebreak import break_lines, text_length, two_line_splits
from .profiles import Profile
from .segment import WordArrays, word_arrays
from .timing import time_arrays

RECIPE = (
    "segment(dp: sentence>clause>pause>cut, lines fit, no flash)+linebreak(penalties, bottom-heavy)"
    "+timing(frames: onset, min/max duration, reading speed, gap, chaining, shot changes, media end)"
)


def recipe_text(steps: Sequence[regroup.Step]) -> str:
    """The whole recipe, segmentation steps first (``RECIPE`` for the default ``dp``)."""
    if [s.name for s in steps] == ["dp"]:
        return RECIPE
    return f"segment({regroup.describe(steps)})" + RECIPE[RECIPE.index(")+linebreak") + 1:]


def lines_for(words: Sequence[Word], profile: Profile) -> tuple[str, ...]:
    lines = break_lines(
        [w.text for w in words],
        profile.max_chars_per_line,
        profile.max_lines,
        spaces=[w.space_before for w in words],
        count_spaces=profile.count_spaces,
    )
    if lines is None:  # cannot fit: the segmenter keeps such a group only when it is one word
        return (join_words(words),)
    return lines


def utterance_breaks(transcript: Transcript) -> list[int]:
    """Word positions where the speaker or the language changes (a cue never spans them).

    Utterances normally partition the words in order; one that does not is found by its first word.
    """
    utts: Sequence[Utterance] = transcript.utterances
    words = transcript.words
    out: list[int] = []
    pos = 0
    prev: Utterance | None = None
    for u in utts:
        k = pos
        if not (k < len(words) and words[k] == u.words[0]):
            k = next((m for m in range(len(words)) if words[m] == u.words[0]), pos)
        if prev is not None and (u.speaker, u.language or None) != (prev.speaker, prev.language or None):
            out.append(k)
        pos = k + len(u.words)
        prev = u
    return out


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The engine allocates many small objects and frees none: pausing the cyclic collector while it
    runs saves its repeated scans of every live object (a third of the time on a million words)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def make_cues(
    transcript: Transcript,
    profile: Profile,
    *,
    shot_changes_ms: Sequence[int] | None = None,
    hard_breaks: Iterable[int] | None = None,
    preferred_breaks: Iterable[int] | None = None,
) -> CueTrack:
    with _gc_paused():
        return _make_cues(transcript, profile, shot_changes_ms, hard_breaks, preferred_breaks)


def _make_cues(transcript, profile, shot_changes_ms, hard_breaks, preferred_breaks) -> CueTrack:
    prof = profile.for_language(transcript.language)
    words = transcript.words
    a = word_arrays(words, prof.count_spaces)
    hard = list(hard_breaks or ()) + utterance_breaks(transcript)
    media_end = transcript.duration_ms or None
    steps = regroup.recipe(prof.recipe)  # the profile names its segmentation recipe (default: dp)
    bounds = regroup.apply(steps, a, prof, hard_breaks=hard, preferred_breaks=preferred_breaks,
                           shot_changes_ms=shot_changes_ms, media_end_ms=media_end)
    cues = cues_from_bounds(words, a, bounds, prof, media_end_ms=media_end, shot_changes_ms=shot_changes_ms)
    meta = {"profile": prof.describe(), "recipe": recipe_text(steps), "segmentation": regroup.describe(steps)}
    if shot_changes_ms is not None:
        meta["shot_changes"] = len(shot_changes_ms)
    return CueTrack(tuple(cues), language=transcript.language, metadata=meta)


def _text_and_offsets(a: WordArrays) -> tuple[str, np.ndarray]:
    """All words joined with their spacing, and where each word starts in that text; a group's line is
    then one slice: ``text[off[i]:off[j-1] + len(texts[j-1])]``."""
    raw, sp = a.raw_lengths, a.space_flags
    if sp[1:].all():
        text = " ".join(a.texts)
    else:
        text = "".join([a.texts[0]] + [(" " + t) if s else t for t, s in zip(a.texts[1:], a.spaces[1:],
                                                                              strict=True)])
    off = np.zeros(a.n, dtype=np.int64)
    np.cumsum((raw + sp)[:-1], out=off[1:])  # start of each word's piece
    return text, off + sp


def group_lines(a: WordArrays, bounds: np.ndarray, profile: Profile,
                ) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """Line-break every group: one line when it fits, the best two-line split (vectorised), or the
    general line breaker for profiles with more lines. Returns the lines and the characters shown."""
    n_groups = len(bounds) - 1
    if n_groups <= 0:
        return [], np.zeros(0, dtype=np.int64)
    gi, gj = bounds[:-1], bounds[1:]
    chars = a.prefix[gj] - a.prefix[gi] - a.gaps[gi]
    fits = (chars <= profile.max_chars_per_line) | (gj - gi == 1) | (profile.max_lines == 1)
    split = np.full(n_groups, -1, dtype=np.int64)
    if profile.max_lines == 2:
        need = np.flatnonzero(~fits)
        split[need] = two_line_splits(gi[need], gj[need], a.prefix, a.gaps, a.bcost,
                                      profile.max_chars_per_line)
    text, off = _text_and_offsets(a)
    end_off = off + a.raw_lengths  # end of word k in text
    shown = chars - np.where(split > 0, a.gaps[np.maximum(split, 0)], 0)
    a0 = off[gi].tolist()
    e1 = end_off[gj - 1].tolist()
    ks = split.tolist()
    e_k = end_off[np.maximum(split - 1, 0)].tolist()
    s_k = off[np.maximum(split, 0)].tolist()
    out: list[tuple[str, ...]] = []
    append = out.append
    for g, (one, k) in enumerate(zip(fits.tolist(), ks, strict=True)):
        if one:
            append((text[a0[g]:e1[g]],))
        elif k > 0:
            append((text[a0[g]:e_k[g]], text[s_k[g]:e1[g]]))
        else:
            i, j = int(gi[g]), int(gj[g])
            lines = break_lines(a.texts[i:j], profile.max_chars_per_line, profile.max_lines,
                                spaces=a.spaces[i:j], count_spaces=profile.count_spaces)
            lines = lines if lines is not None else (text[a0[g]:e1[g]],)
            append(lines)
            shown[g] = sum(text_length(x, profile.count_spaces) for x in lines)
    return out, shown


def cues_from_bounds(
    words: Sequence[Word],
    a: WordArrays,
    bounds: np.ndarray,
    profile: Profile,
    *,
    media_end_ms: int | None = None,
    shot_changes_ms: Sequence[int] | None = None,
) -> list[Cue]:
    if len(bounds) < 2:
        return []
    lines, shown = group_lines(a, bounds, profile)
    gi, gj = bounds[:-1], bounds[1:]
    ends = np.maximum.accumulate(a.ends)
    starts_ms, ends_ms = time_arrays(a.starts[gi], ends[gj - 1], shown, profile, media_end_ms,
                                     shot_changes_ms)
    words_t = tuple(words)
    return [
        Cue(s, e, ls, words_t[i:j])
        for s, e, ls, i, j in zip(starts_ms.tolist(), ends_ms.tolist(), lines, gi.tolist(), gj.tolist(),
                                  strict=True)
    ]


# ---------------------------------------------------------------- speakers who talk at once (one per channel)
def speaker_streams_overlap(t: Transcript) -> bool:
    """Whether two speakers' utterances overlap in time (per-channel transcripts keep overlapped speech)."""
    last_end: dict[str | None, int] = {}
    for u in sorted(t.utterances, key=lambda u: u.start_ms):
        if any(spk != u.speaker and end > u.start_ms for spk, end in last_end.items()):
            return True
        last_end[u.speaker] = max(last_end.get(u.speaker, 0), u.end_ms)
    return False


def cues_by_speaker(t: Transcript, profile: Profile, **kw: Any) -> CueTrack:
    """Cues for a transcript whose speakers overlap: each speaker's words made into cues on their own
    (so one voice's cuts never split the other's), then one track in which no two cues overlap: where two
    people speak at once, two-speaker cues with a dash before each line (``overlap.deliver_overlaps``).
    Otherwise the ordinary ``make_cues``."""
    if not speaker_streams_overlap(t):
        return make_cues(t, profile, **kw)
    from .overlap import overlapped_track

    tracks = []
    for spk in sorted({u.speaker or "" for u in t.utterances}):
        us = tuple(u for u in t.utterances if (u.speaker or "") == spk)
        sub = replace(t, words=tuple(w for u in us for w in u.words), utterances=us)
        tracks.append((spk, make_cues(sub, profile, **kw)))
    return overlapped_track(tracks, profile.for_language(t.language), t.language,
                            media_end_ms=t.duration_ms or None, shot_changes_ms=kw.get("shot_changes_ms"))
