"""Cue timing at its edges (issue 27, item 1): the in-time tolerance never puts a cue more than 2 frames
before its speech, and an out-time does not end before the speech when the next cue can give way."""

from __future__ import annotations

from subpipe.subtitling.profiles import get_profile
from subpipe.subtitling.timing import Span, time_cues

P = get_profile("netflix-en", "24")
FRAME = 1000 / 24


def test_a_blocked_cue_comes_early_by_the_tolerance_from_the_onset_not_more():
    # speech at 1030 ms (inside frame 24, which starts at 1000): a long text the next cue blocks
    spans = [Span(1030, 1900, 60), Span(2100, 3500, 10)]
    (a0, _), _ = time_cues(spans, P)
    assert a0 < 1030  # it did come early (the reading speed needs it)
    assert 1030 - a0 <= 2 * FRAME + 1  # by 2 frames of the onset at most (it was 2 frames of frame 24: 113 ms)


def test_out_time_reaches_the_end_of_speech_when_the_next_cue_can_give_way():
    # speech ends at 2000 ms; the next speech starts 10 ms later: the 2-frame gap would end the first cue
    # 2 frames before its speech ends; the next in-time gives way by the tolerance instead
    spans = [Span(0, 2000, 20), Span(2010, 4000, 20)]
    (_, e0), (s1, _) = time_cues(spans, P)
    assert e0 >= 2000 - 1
    assert s1 - 2010 <= 2 * FRAME + 1  # the next cue is late by the tolerance at most
    assert s1 - e0 >= 2 * FRAME - 1  # the gap rule holds
