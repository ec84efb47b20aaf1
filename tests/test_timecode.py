from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subpipe.errors import FormatError
from subpipe.timecode import (
    FrameRate,
    format_srt,
    format_vtt,
    frames_to_ms,
    frames_to_smpte,
    ms_to_frames,
    ms_to_smpte,
    parse_clock,
    smpte_to_frames,
    snap_ms,
)

RATES = ["23.976", "24", "25", "29.97", "29.97df", "30", "50", "59.94", "59.94df"]


def test_frame_rate_parsing():
    assert FrameRate.parse("23.976").rate == Fraction(24000, 1001)
    assert FrameRate.parse("29.97df").drop_frame
    assert not FrameRate.parse("29.97").drop_frame
    assert FrameRate.parse("25").nominal == 25
    with pytest.raises(FormatError):
        FrameRate.parse("25df")
    with pytest.raises(FormatError):
        FrameRate.parse("fast")


def test_clock_formats():
    assert format_srt(3_723_004) == "01:02:03,004"
    assert format_vtt(3_723_004) == "01:02:03.004"
    assert parse_clock("01:02:03,004") == 3_723_004
    assert parse_clock("02:03.5") == 123_500
    with pytest.raises(FormatError):
        parse_clock("1:2")


def test_drop_frame_skips_labels_at_minute_boundaries():
    df = FrameRate.parse("29.97df")
    # STANDARDS.md: 01:04:59;29 is followed by 01:05:00;02
    n = smpte_to_frames("01:04:59;29", df)
    assert frames_to_smpte(n + 1, df) == "01:05:00;02"
    # every tenth minute keeps its 00 and 01 labels
    n = smpte_to_frames("00:09:59;29", df)
    assert frames_to_smpte(n + 1, df) == "00:10:00;00"
    # an hour of drop-frame timecode is 107,892 frames (108 labels dropped)
    assert smpte_to_frames("01:00:00;00", df) == 30 * 3600 - 108
    with pytest.raises(FormatError):
        smpte_to_frames("00:01:00;01", df)


def test_drop_frame_tracks_wall_clock():
    df = FrameRate.parse("29.97df")
    # one hour of real time at 29.97 fps shows 01:00:00;00 within a frame
    assert ms_to_smpte(3_600_000, df) in ("00:59:59;28", "00:59:59;29", "01:00:00;00")


@given(st.integers(0, 10 * 3600 * 60), st.sampled_from(RATES))
def test_smpte_round_trip(frames, rate):
    fr = FrameRate.parse(rate)
    assert smpte_to_frames(frames_to_smpte(frames, fr), fr) == frames


@given(st.integers(0, 10 * 3600 * 60), st.sampled_from(RATES))
def test_frame_boundaries_map_back_to_their_frame(frames, rate):
    fr = FrameRate.parse(rate)
    ms = frames_to_ms(frames, fr)
    assert ms_to_frames(ms, fr) == frames
    assert snap_ms(ms, fr) == ms


@given(st.integers(0, 36_000_000), st.sampled_from(RATES))
def test_snap_is_within_half_a_frame(ms, rate):
    fr = FrameRate.parse(rate)
    assert abs(snap_ms(ms, fr) - ms) <= 1000 / fr.fps / 2 + 1


@given(st.integers(0, 360_000_000))
def test_clock_round_trip(ms):
    assert parse_clock(format_srt(ms)) == ms
    assert parse_clock(format_vtt(ms)) == ms
