"""Overlaps ``fix`` could not take away block by block: close each one, or say why it cannot be closed.

An overlap is an error in every delivery profile (Netflix: at least 2 frames between events), and the block
choice in ``qc.fix_track`` keeps an input block whenever the rules engine's rebuild is not better as a
whole, overlap included. This pass looks at each overlap left: the earlier cue ends ``min_gap`` frames before
the later one starts when it still lasts the minimum duration; else the later cue starts ``min_gap`` frames
after the earlier one ends when it still lasts the minimum duration; else both give way in part when
together they still fit; else, when their lines fit in one cue, they are merged (a note says so); else the
overlap stays, with a note that names both cues, the overlap and why.
Times land on frames of the profile's rate.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Cue
from ..timecode import frames_to_ms, ms_to_frames
from .profiles import Profile


def close_overlaps(cues: Sequence[Cue], prof: Profile) -> tuple[list[Cue], list[str]]:
    """The cues with every overlap closed where one of the two cues can give way (see the module doc), and
    a note for each overlap left (1-based cue numbers of the result)."""
    fr = prof.fps
    gap = prof.min_gap_frames
    min_f = -(-prof.min_duration_ms * fr.rate.numerator // (1000 * fr.rate.denominator))  # frames, rounded up
    out = list(cues)
    notes: list[str] = []
    i = 0
    while i + 1 < len(out):
        i += 1
        a, b = out[i - 1], out[i]
        if b.start_ms >= a.end_ms:
            continue
        a0, a1 = ms_to_frames(a.start_ms, fr), ms_to_frames(a.end_ms, fr)
        b0, b1 = ms_to_frames(b.start_ms, fr), ms_to_frames(b.end_ms, fr)
        if b0 <= a0:  # not in order: moving either would reorder the text
            pass
        elif b0 - gap - a0 >= min_f:  # the earlier cue ends sooner
            out[i - 1] = a.with_times(frames_to_ms(a0, fr), frames_to_ms(b0 - gap, fr))
            out[i] = b.with_times(frames_to_ms(b0, fr), frames_to_ms(b1, fr))
            continue
        elif b1 - (a1 + gap) >= min_f and (i + 1 >= len(out) or a1 + gap < ms_to_frames(out[i + 1].start_ms, fr)):
            out[i] = b.with_times(frames_to_ms(a1 + gap, fr), frames_to_ms(b1, fr))  # the later one starts later
            continue
        elif b1 - a0 - gap >= 2 * min_f and (i + 1 >= len(out) or a0 + min_f + gap < ms_to_frames(
                out[i + 1].start_ms, fr)):  # both give way: the earlier keeps the minimum, the later follows it
            cut = a0 + min_f
            out[i - 1] = a.with_times(frames_to_ms(a0, fr), frames_to_ms(cut, fr))
            out[i] = b.with_times(frames_to_ms(cut + gap, fr), frames_to_ms(b1, fr))
            continue
        if b0 > a0 and a.lines and b.lines and len(a.lines) + len(b.lines) <= prof.max_lines:
            from ..formats.markup import make_cue, styled_lines  # shown together: one cue with both texts

            merged = make_cue(a.start_ms, max(a.end_ms, b.end_ms), styled_lines(a) + styled_lines(b), a.placement)
            out[i - 1:i + 1] = [merged]
            notes.append(f"cues {i} and {i + 1} overlapped with no room for both at the minimum duration: "
                         "merged into one cue")
            i -= 1
            continue
        over = a.end_ms - b.start_ms
        why = ("the later cue starts with or before the earlier one: moving either would change the order "
               "of the text" if b0 <= a0 else
               f"neither can give way: from the first in-time to the next cue there is no room for both at the "
               f"minimum {prof.min_duration_ms} ms with a {gap}-frame gap (together they last "
               f"{b.end_ms - a.start_ms} ms)")
        notes.append(f"cue {i + 1} still overlaps cue {i} by {over} ms: {why}; merge them or retime by hand")
    return out, notes
