"""Conform: last week's subtitles re-timed to this week's cut.

Each cue keeps its text. Its words are aligned to the new media (align.py); a cue whose words are
not heard any more is *gone* and reported. The surviving cues are not re-timed word by word: an
edit moves whole stretches of the programme, so cues are grouped into runs that moved by the same
amount, and each run is shifted by the median of its cues' offsets. That keeps the subtitler's own
in/out choices (lead-ins, durations, gaps) and averages out the aligner's per-word error. A cue
whose words are partly gone (the cut went through it) is re-timed to what is left of its speech.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..alignment import Alignment, AlignOptions, Script, ScriptWord, _split_words, align, norm_tokens
from ..asr.transcribe import Progress
from ..model import Cue, CueTrack
from ..timecode import FrameRate, frames_to_ms, ms_to_frames

log = logging.getLogger("subpipe")

RUN_TOLERANCE_MS = 250  # cues whose offsets differ by less than this moved together
MIN_GAP_MS = 83  # two frames at 24 fps, kept between a shifted cue and the next


@dataclass(frozen=True)
class ConformResult:
    track: CueTrack
    gone: tuple[tuple[int, Cue], ...]  # (index in the old track, cue) whose lines are gone
    partial: tuple[tuple[int, Cue], ...]  # cues kept with part of their words not heard
    shifts: tuple[int | None, ...]  # per old cue: the offset applied (None: gone)
    alignment: Alignment
    notes: tuple[str, ...] = field(default=())


def script_from_cues(track: CueTrack) -> Script:
    words: list[ScriptWord] = []
    for g, cue in enumerate(track.cues):
        words += _split_words(" ".join(cue.lines), g)
    return Script(tuple(words), "srt", track.cues)


def conform(
    old: CueTrack,
    samples: np.ndarray,
    options: AlignOptions | None = None,
    *,
    fps: float | None = None,
    progress: Progress | None = None,
) -> ConformResult:
    """Re-time ``old``'s cues to the media in ``samples``; report the cues whose lines are gone."""
    options = options or AlignOptions()
    script = script_from_cues(old)
    al = align(samples, script, options, progress=progress)
    words = al.transcript.words
    duration_ms = al.transcript.duration_ms
    not_heard: set[int] = set()
    for m in al.not_heard:
        not_heard.update(range(m.first, m.last))
    by_cue: dict[int, list[int]] = {}
    for i, w in enumerate(script.words):
        by_cue.setdefault(w.group, []).append(i)

    status: list[str] = []  # ok | partial | gone
    offsets: list[int | None] = []
    spans: list[tuple[int, int] | None] = []
    for k, cue in enumerate(old.cues):
        idx = [i for i in by_cue.get(k, []) if norm_tokens(script.words[i].text)]
        heard = [i for i in idx if i not in not_heard]
        if not idx:  # a cue with no words (music note, blank): moves with its neighbours
            status.append("ok")
            offsets.append(None)
            spans.append(None)
        elif not heard:
            status.append("gone")
            offsets.append(None)
            spans.append(None)
        else:
            status.append("partial" if len(heard) < len(idx) else "ok")
            spans.append((words[heard[0]].start_ms, words[heard[-1]].end_ms))
            offsets.append(words[heard[0]].start_ms - cue.start_ms if heard[0] == idx[0] else None)

    shifts = _run_shifts(status, offsets, fps)
    new_cues: list[Cue] = []
    kept: list[int] = []
    for k, cue in enumerate(old.cues):
        if status[k] == "gone":
            continue
        span = spans[k]
        d = shifts[k]
        if status[k] == "partial" and span is not None:
            start, end = span[0], max(span[1], span[0] + (cue.end_ms - cue.start_ms) // 2)
        elif d is not None:
            start, end = cue.start_ms + d, cue.end_ms + d
        elif span is not None:
            start, end = span
        else:
            continue  # an empty cue with no neighbour to move with
        start = min(max(0, start), duration_ms)
        end = min(max(start, end), duration_ms)
        new_cues.append(Cue(start, end, cue.lines))
        kept.append(k)
    new_cues = _no_overlaps(new_cues)
    gone = tuple((k, c) for k, c in enumerate(old.cues) if status[k] == "gone")
    partial = tuple((k, c) for k, c in enumerate(old.cues) if status[k] == "partial")
    notes = [f"cue {k + 1} gone: {c.text!r}".replace("\\n", " / ") for k, c in gone]
    notes += [f"cue {k + 1} partly gone, re-timed to what is left: {c.text!r}".replace("\\n", " / ")
              for k, c in partial]
    notes += [m.describe() for m in al.unscripted]
    track = CueTrack(tuple(new_cues), language=old.language or al.transcript.language,
                     metadata={"conformed": True, "gone": [k for k, _ in gone]})
    applied = tuple(None if status[k] == "gone" else shifts[k] for k in range(len(old.cues)))
    return ConformResult(track, gone, partial, applied, al, tuple(notes))


def _run_shifts(status: list[str], offsets: list[int | None], fps: float | None) -> list[int | None]:
    """One offset per run of cues that moved together: the median of the run's cue offsets."""
    runs: list[list[int]] = []
    cur: list[int] = []
    for k, st in enumerate(status):
        if st == "gone":
            if cur:
                runs.append(cur)
            cur = []
            continue
        d = offsets[k]
        if d is not None and cur:
            known = [offsets[x] for x in cur if offsets[x] is not None]
            if known and abs(d - float(np.median(known))) > RUN_TOLERANCE_MS:
                runs.append(cur)
                cur = []
        cur.append(k)
    if cur:
        runs.append(cur)
    out: list[int | None] = [None] * len(status)
    for run in runs:
        known = [offsets[x] for x in run if offsets[x] is not None]
        if not known:
            continue
        d = float(np.median(known))
        if fps:  # whole frames, by the project's one nearest-frame rule
            fr = FrameRate.parse(fps)
            shift = frames_to_ms(ms_to_frames(Fraction(d), fr), fr)
        else:
            shift = int(round(d))
        for x in run:
            out[x] = shift
    return out


def _no_overlaps(cues: list[Cue]) -> list[Cue]:
    cues = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
    out: list[Cue] = []
    for k, c in enumerate(cues):
        if k + 1 < len(cues) and c.end_ms > cues[k + 1].start_ms:  # an edit pushed two cues together
            end = max(c.start_ms, cues[k + 1].start_ms - MIN_GAP_MS)
            c = c.with_times(c.start_ms, end)
        out.append(c)
    return out
