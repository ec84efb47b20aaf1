"""Timing rules: speech times -> cue in/out times on frame boundaries. Pure functions.

Worked in whole frames at the profile's rate, then shown as ms (each time is a frame start).
Rules (Netflix Timed Text Style Guide): in-time on the first frame of speech; minimum duration and
reading speed met by extending the out-time into free time; out-times near the next cue chained to a
two-frame gap; never an overlap; never past the media's end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .profiles import Profile
from .timecode import frames_to_ms, ms_to_frames


@dataclass(frozen=True, slots=True)
class Span:
    """One cue's speech: first word's start, last word's end, and how many characters it shows."""

    start_ms: int
    end_ms: int
    chars: int


def time_cues(spans: Sequence[Span], profile: Profile, media_end_ms: int | None = None) -> list[tuple[int, int]]:
    """Return (start_ms, end_ms) per span: sorted, non-overlapping, gaps >= the minimum, on frames."""
    fr = profile.fps
    rate = fr.rate
    n = len(spans)
    if n == 0:
        return []
    gap = profile.min_gap_frames
    chain = profile.chain_gap_frames
    min_dur = math.ceil(profile.min_duration_ms * rate / 1000)
    max_dur = max(1, int(profile.max_duration_ms * rate / 1000))
    end_limit = ms_to_frames(media_end_ms, fr) if media_end_ms else None

    starts = [ms_to_frames(s.start_ms, fr) for s in spans]
    speech_ends = [max(math.ceil(s.end_ms * rate / 1000), st + 1) for s, st in zip(spans, starts, strict=True)]
    ends: list[int] = []
    for k, s in enumerate(spans):
        st, se = starts[k], speech_ends[k]
        need_read = st + math.ceil(s.chars * rate / profile.max_cps) if profile.max_cps else st
        want = max(se, st + min_dur, need_read)
        want = min(want, st + max(max_dur, se - st))  # never longer than the maximum, unless speech is
        ends.append(want)

    # left to right: keep the gap, chain short gaps, never overlap
    for k in range(n):
        if k > 0:
            starts[k] = max(starts[k], ends[k - 1] + gap)
            ends[k] = max(ends[k], starts[k] + 1)
        if k + 1 < n:
            nxt = starts[k + 1]
            latest = nxt - gap
            if ends[k] > latest:
                ends[k] = max(latest, starts[k] + 1)
            elif nxt - ends[k] <= chain and latest - starts[k] <= max_dur:
                ends[k] = latest  # chaining: close short gaps down to the minimum
    # never past the media's end: pull back from the last cue
    if end_limit is not None:
        limit = end_limit
        for k in range(n - 1, -1, -1):
            if ends[k] > limit:
                ends[k] = limit
            if starts[k] >= ends[k]:
                starts[k] = max(0, ends[k] - 1)
            limit = starts[k] - gap
    return [(frames_to_ms(a, fr), frames_to_ms(b, fr)) for a, b in zip(starts, ends, strict=True)]
