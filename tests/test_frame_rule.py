"""One nearest-frame rule (timecode.ms_to_frames: ties to the later frame) for QC, SDH, conform and every writer."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from subpipe.formats import _common, timecoded
from subpipe.model import Cue, SoundEvent
from subpipe.subtitling import conform, qc, sdh
from subpipe.subtitling.profiles import get_profile
from subpipe.timecode import (
    SAMPLE_RATE,
    FrameRate,
    frames_to_ms,
    frames_to_smpte,
    ms_to_frames,
    ms_to_samples,
    samples_duration_ms,
    samples_to_ms,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "subpipe"
RATES = [FrameRate.parse(r) for r in ("23.976", "24", "25", "29.97", "29.97df", "30", "50", "59.94")]
rates = st.sampled_from(RATES)


@given(st.integers(-10**7, 10**8), rates)
def test_the_rule_is_the_nearest_frame_with_ties_to_the_later_one(ms, fr):
    f = ms_to_frames(ms, fr)
    exact = Fraction(ms) * fr.rate / 1000
    assert abs(exact - f) <= Fraction(1, 2)
    if abs(exact - f) == Fraction(1, 2):
        assert f > exact  # a tie goes to the later frame
    assert ms_to_frames(ms + 1, fr) >= f  # monotone


@given(st.integers(0, 10**8), rates)
def test_every_user_of_the_rule_agrees(ms, fr):
    """The writers' helper, the timecoded stamp, QC's frame check, SDH and conform's whole-frame shift all give
    the frame (or the frame start) of ``ms_to_frames``."""
    f = ms_to_frames(ms, fr)
    assert _common.nearest_frame(ms, fr) == f
    tc = frames_to_smpte(f, fr)
    assert timecoded.stamp(ms, fr) == f"[{tc[:8]}.{tc[9:]}]"
    assert qc._on_frame(ms, fr) == (abs(frames_to_ms(f, fr) - ms) <= 1)
    assert conform._run_shifts(["moved"], [ms], fr.fps) == [frames_to_ms(f, fr)]


def test_the_issue_s_ties_at_25_fps_are_one_frame_everywhere():
    """At 25 fps 20 ms and 100 ms are exactly half a frame past a boundary: frames 1 and 3 for all users
    (before, QC and SDH rounded them half to even: 0 and 2)."""
    fr = FrameRate.parse("25")
    assert [ms_to_frames(ms, fr) for ms in (20, 100)] == [1, 3]
    assert timecoded.stamp(20, fr) == "[00:00:00.01]" and timecoded.stamp(100, fr) == "[00:00:00.03]"
    assert conform._run_shifts(["moved"], [20], 25.0) == [40]
    # SDH: a dialogue cue ending at 100 ms ends on frame 3, so a [MUSIC] cue may start on frame 3 + gap
    prof = get_profile("bbc", "25")
    dialogue = [Cue(0, 100, ("Hello.",))]
    music = sdh.sound_cues([SoundEvent("music", 0, 10_000)], dialogue, prof)
    assert music and ms_to_frames(music[0].start_ms, fr) >= 3 + prof.min_gap_frames


def test_no_other_module_rounds_a_time_to_a_frame():
    """The nearest-frame arithmetic is written once, in timecode.py."""
    pattern = re.compile(r"round\([^)]*(rate|fps)[^)]*/ ?1000|/ ?1000\) \* 1000 / fps")
    found = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py") if p.name != "timecode.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line) and "chain_gap" not in line]
    assert found == []


@given(st.integers(0, 10**9))
def test_one_sample_rate_and_its_conversions(n):
    assert SAMPLE_RATE == 16_000
    assert samples_to_ms(ms_to_samples(n // 16)) == n // 16
    assert samples_to_ms(n) == n * 1000 // SAMPLE_RATE
    assert samples_duration_ms(n) == int(n * 1000 / SAMPLE_RATE + 0.5)
    defined = [p.relative_to(SRC) for p in SRC.rglob("*.py")
               if re.search(r"^(SAMPLE_RATE|SR) = 16", p.read_text(encoding="utf-8"), re.M)]
    assert [str(p) for p in defined] == ["timecode.py"]
