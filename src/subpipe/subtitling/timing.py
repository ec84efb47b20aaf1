"""Timing rules: speech times -> cue in/out times on frame boundaries. Pure functions.

Worked in whole frames at the profile's rate, then shown as ms (each time is a frame start, rounded to
the nearest ms exactly as ``timecode.frames_to_ms`` does). Rules, in order (Netflix Timed Text Style
Guide unless noted; numbers from the profile):

1. In-time on the first frame of speech. Shot changes: speech starting 7 frames or fewer before a cut
   starts on the cut; 8-11 frames before, 12 frames before it.
2. Cues never overlap and keep the minimum gap: a later in-time moves on if it must.
3. Out-time at the end of speech, extended into free time for the minimum duration and the reading
   speed (never past the next cue less the gap), never beyond the maximum duration unless speech is.
4. Where the next cue blocks that, the in-time may come early by up to the profile's lead (BBC: 1.5 s)
   or its in-time tolerance (Netflix: 1-2 frames off the first frame of speech is acceptable), and the
   next cue's in-time late by that tolerance when the next cue has time to spare.
5. Chaining: a gap to the next cue of the chaining window or less closes down to the minimum gap.
6. Shot changes: an out-time within the zone around a cut ends 2 frames before it, where that keeps
   the minimum duration, the reading speed and the gap rules.
7. Nothing past the media's end.

What could not be met (a cue too short or too fast because speech leaves no room) is left for
``qc.check_track`` to report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..timecode import FrameRate
from .profiles import Profile


@dataclass(frozen=True, slots=True)
class Span:
    """One cue's speech: first word's start, last word's end, and how many characters it shows."""

    start_ms: int
    end_ms: int
    chars: int


def ms_to_frames_np(ms: np.ndarray, fr: FrameRate) -> np.ndarray:
    """``timecode.frame_containing`` over an array: the frame containing each time (a timing rule)."""
    p, q = fr.rate.numerator, fr.rate.denominator
    return ((2 * ms.astype(np.int64) + 1) * p) // (2000 * q)


def frames_to_ms_np(frames: np.ndarray, fr: FrameRate) -> np.ndarray:
    """``timecode.frames_to_ms`` over an array (round half to even, like ``round(Fraction)``)."""
    p, q = fr.rate.numerator, fr.rate.denominator
    num = frames.astype(np.int64) * (1000 * q)
    quot, rem = np.divmod(num, p)
    up = (2 * rem > p) | ((2 * rem == p) & (quot % 2 == 1))
    return quot + up


def time_cues(spans: Sequence[Span], profile: Profile, media_end_ms: int | None = None,
              shot_changes_ms: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Return (start_ms, end_ms) per span: sorted, non-overlapping, gaps >= the minimum, on frames."""
    if not spans:
        return []
    s = np.fromiter((x.start_ms for x in spans), dtype=np.int64, count=len(spans))
    e = np.fromiter((x.end_ms for x in spans), dtype=np.int64, count=len(spans))
    c = np.fromiter((x.chars for x in spans), dtype=np.int64, count=len(spans))
    a, b = time_arrays(s, e, c, profile, media_end_ms, shot_changes_ms)
    return list(zip(a.tolist(), b.tolist(), strict=True))


def time_arrays(
    speech_start_ms: np.ndarray,
    speech_end_ms: np.ndarray,
    chars: np.ndarray,
    profile: Profile,
    media_end_ms: int | None = None,
    shot_changes_ms: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``time_cues``: arrays of speech starts/ends (ms) and characters -> (in, out) ms arrays."""
    fr = profile.fps
    n = len(speech_start_ms)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z
    rate = fr.rate
    gap = profile.min_gap_frames
    chain = profile.chain_gap_frames
    min_dur = profile.min_duration_frames
    max_dur = profile.max_duration_frames
    tol = profile.in_time_tolerance_frames
    lead = max(profile.max_lead_frames, tol)
    st = ms_to_frames_np(np.maximum(speech_start_ms, 0), fr)
    se = ms_to_frames_np(np.maximum(speech_end_ms - 1, 0), fr) + 1
    # frames needed to read the text at max_cps (1 ms of slack for rounding to ms)
    p, q = rate.numerator, rate.denominator
    cps_num = round(profile.max_cps * 1000)  # max_cps in thousandths
    # frames >= (chars*1000/cps + 1) ms * rate / 1000  =  (chars*1e6/cps_num + 1) * p / (1000 q)
    read_num = (chars.astype(np.int64) * 1_000_000 + cps_num) * p
    read_den = cps_num * 1000 * q
    need = np.maximum(-(-read_num // read_den), min_dur)

    cuts = _cut_frames(shot_changes_ms, fr) if profile.shot_changes else np.zeros(0, dtype=np.int64)
    pinned = np.zeros(n, dtype=bool)  # in-times placed by the shot-change rules: not moved again
    # 1. in-times on the first frame of speech; shot-change snapping
    if len(cuts):
        k = np.searchsorted(cuts, st, side="left")
        has = k < len(cuts)
        c_next = np.where(has, cuts[np.minimum(k, len(cuts) - 1)], 0)
        d = c_next - st
        onto = has & (d >= 1) & (d <= profile.shot_in_snap_frames)
        before = has & (d > profile.shot_in_snap_frames) & (d < profile.shot_in_lead_frames)
        st = np.where(onto, c_next, np.where(before, np.maximum(c_next - profile.shot_in_lead_frames, 0), st))
        pinned = onto | before | (has & (d == 0))
    # 2. strictly increasing in-times with room for one frame and the gap
    step = gap + 1
    ramp = np.arange(n, dtype=np.int64) * step
    st = np.maximum.accumulate(st - ramp) + ramp
    se = np.maximum(se, st + 1)
    # 3. out-times: speech end, extended for minimum duration and reading speed, capped
    want = np.maximum(se, st + need)
    want = np.minimum(want, np.maximum(st + max_dur, se))
    limit = None
    if media_end_ms:
        limit = int(ms_to_frames_np(np.asarray([media_end_ms]), fr)[0])
        if int(frames_to_ms_np(np.asarray([limit]), fr)[0]) > media_end_ms:  # that frame starts after the end
            limit -= 1
    nxt = np.empty(n, dtype=np.int64)
    nxt[:-1] = st[1:] - gap
    nxt[-1] = np.iinfo(np.int64).max // 4 if limit is None else max(limit, st[-1] + 1)
    end = np.minimum(want, nxt)
    # 4. a cue the next one blocks: its in-time may come early (the profile's lead, or the in-time
    #    tolerance), and the next in-time may come late by the tolerance where that cue has time to spare
    if lead > 0:
        prev_end = np.empty(n, dtype=np.int64)
        prev_end[0] = -(10**12)
        prev_end[1:] = end[:-1] + gap
        short = (end - st < need) & ~pinned
        low = st - lead
        if profile.max_lead_frames < tol:
            # the tolerance counts from the onset itself, not from the start of the frame holding it (that
            # frame already starts up to a frame before speech): never more than ``tol`` frames early
            onset = np.maximum(speech_start_ms, 0).astype(np.int64)
            low = np.maximum(low, -(-(onset * p) // (1000 * q)) - tol)
        earlier = np.maximum(np.maximum(end - need, low), np.maximum(prev_end, 0))
        st = np.where(short, np.minimum(st, earlier), st)
        nxt[:-1] = st[1:] - gap
    if tol > 0 and n > 1:
        # what a cue lacks: frames to be read, and frames to reach the end of its speech (an out-time
        # before the speech ends, where the next cue's speech follows within the gap)
        lack = np.maximum(need[:-1] - (end[:-1] - st[:-1]), se[:-1] - end[:-1])
        # what the next cue can give: its start moves on, its end may follow into free time
        spare = np.minimum(nxt[1:] - st[1:] - need[1:], se[1:] - 1 - st[1:])
        d = np.clip(np.minimum(np.minimum(lack, spare), tol), 0, None)
        d = np.where((end[:-1] == nxt[:-1]) & ~pinned[1:], d, 0)
        st[1:] += d
        end[:-1] += d
        end[1:] = np.maximum(end[1:], np.minimum(st[1:] + need[1:], nxt[1:]))
    nxt[:-1] = st[1:] - gap
    # 5. chaining: close short gaps to the minimum gap (within the maximum duration)
    room = nxt - end
    chained = (room > 0) & (room + gap <= chain) & (nxt - st <= max_dur)
    end = np.where(chained, nxt, end)
    # 6. out-times near a cut end shot_out frames before it
    if len(cuts):
        end = _snap_out(st, se, end, nxt, need, cuts, profile, max_dur, chain, gap)
    # 7. nothing past the media's end
    if limit is not None:
        if end[-1] > limit:
            st, end = _clamp_tail(st, end, limit, gap)
    return frames_to_ms_np(st, fr), frames_to_ms_np(end, fr)


def _cut_frames(shot_changes_ms: Sequence[int] | None, fr: FrameRate) -> np.ndarray:
    if not shot_changes_ms:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(sorted(shot_changes_ms), dtype=np.int64)
    # a cut is the first frame of the new shot: the frame whose start is nearest the cut time
    p, q = fr.rate.numerator, fr.rate.denominator
    frames = (2 * arr * p + 1000 * q) // (2000 * q)
    return np.unique(frames)


def _snap_out(st, se, end, nxt, need, cuts, profile: Profile, max_dur: int, chain: int, gap: int):
    zone = profile.shot_zone_frames
    target_off = profile.shot_out_frames
    k = np.searchsorted(cuts, end - zone, side="right")  # first cut with cut > end - zone
    has = k < len(cuts)
    c = np.where(has, cuts[np.minimum(k, len(cuts) - 1)], 0)
    near = has & (c < end + zone) & (end != c - target_off)
    target = c - target_off
    ok = near & (target >= st + need) & (target <= nxt) & (target - st <= max(max_dur, 1))
    # the gap this leaves to the next cue must be the minimum or beyond the chaining window
    room = nxt + gap - target  # gap in frames to the next in-time
    ok &= (room == gap) | (room > chain)
    # speech still running at the cut: extending is fine, cutting it short only within the zone
    return np.where(ok, target, end)


def _clamp_tail(st: np.ndarray, end: np.ndarray, limit: int, gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Pull out-times back to the media's end, moving earlier cues only as far as the gap needs.

    When the cues cannot all fit before the end (media shorter than one frame per cue plus the gaps),
    order and gaps win: the last cues then end past it, and ``check`` reports them.
    """
    st = st.copy()
    end = end.copy()
    k = len(end) - 1
    while k >= 0 and end[k] > limit:
        end[k] = limit
        st[k] = min(st[k], end[k] - 1)
        limit = st[k] - gap
        k -= 1
    if st.min() < 0:  # does not fit: lay the cues out from 0 with one frame each and the gaps
        for k in range(len(st)):
            st[k] = max(st[k], 0 if k == 0 else end[k - 1] + gap)
            end[k] = max(end[k], st[k] + 1)
    return st, end
