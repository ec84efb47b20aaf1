"""SRT is written through pysrt (issue 24): pysrt's own reader reads it back, and the bytes are SubRip's layout."""

from __future__ import annotations

import pysrt
from hypothesis import HealthCheck, given, settings

from subpipe.formats import srt
from subpipe.formats.markup import render_srt
from subpipe.model import CueTrack
from subpipe.timecode import format_srt

from strategies import cue_tracks

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cue_tracks())
def test_pysrt_reads_back_what_we_write(track: CueTrack):
    subs = pysrt.from_string(srt.dumps(track))
    assert [(s.index, s.start.ordinal, s.end.ordinal, s.text) for s in subs] == [
        (n, c.start_ms, c.end_ms, "\n".join(render_srt(c)[0])) for n, c in enumerate(track.cues, start=1)]


@FAST
@given(cue_tracks())
def test_the_blocks_are_subrips_layout(track: CueTrack):
    """index, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``, the lines, a blank line: the bytes written before pysrt did it."""
    want = "".join(f"{n}\n{format_srt(c.start_ms)} --> {format_srt(c.end_ms)}\n"
                   + "".join(x + "\n" for x in render_srt(c)[0]) + "\n" for n, c in enumerate(track.cues, start=1))
    assert srt.dumps(track) == want


def test_srt_module_uses_pysrt():
    import inspect

    assert "SubRipItem" in inspect.getsource(srt.write)
