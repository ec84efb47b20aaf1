"""Reading speed: a cue too fast to read is held longer where the gap after it allows, or said to be speech
faster than the limit (issue 27).

Netflix's English guide allows 20 characters a second (adults) and an out-time up to half a second past the
end of speech, more where the minimum duration or the reading speed needs it. Holding a cue into the gap
that follows is how a subtitler meets the reading speed without changing verbatim words; it stops 2 frames
(the profile's minimum gap) before the next cue, at the maximum duration, at the media's end, and at most
``HOLD_PAST_SPEECH_MS`` (1 s) past the speech: further and the text lingers over silence or the next shot.
What is left is speech faster than the limit, which verbatim text cannot meet: ``check`` reports the two
kinds with different rules (``reading_speed_hold``: "could be held longer", ``reading_speed``: "speech
faster than the limit, even held as long as the rules allow"), and ``fix`` holds the first kind.

Without word times (``check``/``fix`` on a subtitle file) the cue's out-time stands for the end of speech.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..model import Cue
from ..timecode import frames_to_ms, ms_to_frames
from .profiles import Profile

HOLD_PAST_SPEECH_MS = 1000


def hold_limit(cue: Cue, nxt: Cue | None, prof: Profile, media_duration_ms: int | None = None,
               speech_end_ms: int | None = None) -> int:
    """The latest out-time (ms, on a frame) the rules allow for ``cue``: the next cue's in-time less the
    minimum gap, the maximum duration, the media's end, and ``HOLD_PAST_SPEECH_MS`` past the speech."""
    fr = prof.fps
    limits = [(speech_end_ms if speech_end_ms is not None else cue.end_ms) + HOLD_PAST_SPEECH_MS,
              cue.start_ms + prof.max_duration_ms]
    if nxt is not None:
        limits.append(frames_to_ms(ms_to_frames(nxt.start_ms, fr) - prof.min_gap_frames, fr))
    if media_duration_ms is not None:
        limits.append(media_duration_ms)
    last = min(limits)
    f = ms_to_frames(last, fr)
    if frames_to_ms(f, fr) > last:  # the frame on or before the limit
        f -= 1
    return max(frames_to_ms(f, fr), cue.end_ms)


def readable_end(cue: Cue, chars: int, prof: Profile) -> int:
    """The first out-time (ms, on a frame) at which ``chars`` characters read at the profile's max cps."""
    fr = prof.fps
    need = cue.start_ms + math.ceil(chars * 1000 / prof.max_cps)
    f = ms_to_frames(need, fr)
    if frames_to_ms(f, fr) < need - 1:  # 1 ms of slack, as check allows
        f += 1
    return frames_to_ms(f, fr)


def hold_for_reading(cues: Sequence[Cue], prof: Profile, chars_of, media_duration_ms: int | None = None,
                     ) -> tuple[list[Cue], int]:
    """Cues too fast to read held into the gap after them where that brings them under the max cps
    (``chars_of(cue)``: the characters the profile counts). Returns the cues and how many were held."""
    out = list(cues)
    held = 0
    for i, cue in enumerate(out):
        chars = chars_of(cue)
        dur = cue.end_ms - cue.start_ms
        if not chars or (dur > 0 and chars * 1000 <= prof.max_cps * dur):
            continue
        want = readable_end(cue, chars, prof)
        if want <= hold_limit(cue, out[i + 1] if i + 1 < len(out) else None, prof, media_duration_ms):
            out[i] = cue.with_times(cue.start_ms, want)
            held += 1
    return out, held


def hold_and_note(cues: Sequence[Cue], prof: Profile, chars_of, media_duration_ms: int | None = None,
                  most: int = 50) -> tuple[list[Cue], list[str]]:
    """``hold_for_reading``, then a note naming every cue still over the max cps with its rate (the first
    ``most`` of them): the speech is faster than the limit and verbatim text cannot meet it."""
    out, held = hold_for_reading(cues, prof, chars_of, media_duration_ms)
    notes = [f"{held} cue(s) held longer into the gap after them to meet {prof.max_cps:g} characters/s"] if held else []
    fast = []
    for n, c in enumerate(out, start=1):
        chars, dur = chars_of(c), c.end_ms - c.start_ms
        if chars and (dur <= 0 or chars * 1000 > prof.max_cps * dur):
            fast.append(f"cue {n} {chars * 1000 / dur:.1f}" if dur > 0 else f"cue {n} (no duration)")
    if fast:
        notes.append(f"{len(fast)} cue(s) over {prof.max_cps:g} characters/s because the speech is faster "
                     "(held as long as the rules allow; verbatim text cannot meet it): "
                     + ", ".join(fast[:most]) + (", ..." if len(fast) > most else "") + " characters/s")
    return out, notes
