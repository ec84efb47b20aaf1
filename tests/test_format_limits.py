"""Times a format cannot hold are refused (issue 27, item 6): SMPTE formats end their day at 23:59:59:FF,
SubRip, WebVTT and TTML have no limit; an absurd frame-rate retime is refused before anything is written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.errors import FormatError, UsageError
from subpipe.formats import read_subtitles, write_subtitles
from subpipe.formats.limits import smpte_day_end
from subpipe.model import Cue, CueTrack
from subpipe.subtitling.qc import change_fps
from subpipe.timecode import FrameRate, ms_to_smpte

SRT = "1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n2\n00:00:03,000 --> 00:00:05,000\nGeneral Kenobi.\n"


@pytest.fixture
def srt(tmp_path):
    p = tmp_path / "in.srt"
    p.write_text(SRT, encoding="utf-8")
    return p


@pytest.mark.parametrize("fps,label", [("29.97df", "23:59:59;29"), ("29.97", "23:59:59:29"), ("25", "23:59:59:24"),
                                       ("23.976", "23:59:59:23")])
def test_smpte_day_end_is_the_last_label(fps, label):
    fr = FrameRate.parse(fps)
    ms, text = smpte_day_end(fr)
    assert text == label and ms_to_smpte(ms, fr) == label


def test_huge_offset_to_scc_is_refused_in_one_line(srt, tmp_path):
    out = tmp_path / "x.scc"
    res = CliRunner().invoke(cli, ["retime", str(srt), "--offset", "99999999999999s", "-o", str(out)])
    assert res.exit_code == 1
    err = [x for x in res.output.splitlines() if x.strip()]
    assert len(err) == 1 and err[0].startswith("error: cue 2 ends at") and "(23:59:59;29)" in err[0]
    assert not out.exists()


# iTT at 23.976 counts 24 labels a second of 1.001 s: its day of labels lasts 86,486.4 s of real time
@pytest.mark.parametrize("ext,fits,past", [(".scc", 86_390, 86_396), (".stl", 86_390, 86_396),
                                           (".itt", 86_390, 86_485)])
def test_the_last_time_a_format_holds(srt, tmp_path, ext, fits, past):
    out = tmp_path / f"ok{ext}"
    res = CliRunner().invoke(cli, ["retime", str(srt), "--offset", f"{fits}s", "-o", str(out)])
    assert res.exit_code == 0, res.output
    back = read_subtitles(out)
    assert abs(back.cues[-1].end_ms - (fits + 5) * 1000) <= 40
    res = CliRunner().invoke(cli, ["retime", str(srt), "--offset", f"{past}s", "-o", str(tmp_path / f"no{ext}")])
    assert res.exit_code == 1 and "later than" in res.output


def test_formats_without_a_day_limit_still_write():
    track = CueTrack((Cue(100 * 3_600_000, 100 * 3_600_000 + 2000, ("Late.",)),))
    for fmt in ("vtt", "ttml", "srt"):
        text, _ = write_subtitles(track, fmt)
        assert "100:00:0" in text
    with pytest.raises(FormatError, match="later than SCC can hold"):
        write_subtitles(track, "scc")


def test_absurd_frame_rate_change_is_refused(srt, tmp_path):
    with pytest.raises(UsageError, match="refused beyond 2x"):
        change_fps(read_subtitles(srt), "25", "0.001")
    res = CliRunner().invoke(cli, ["retime", str(srt), "--from-fps", "25", "--to-fps", "0.001", "-o",
                                   str(tmp_path / "x.srt")])
    assert res.exit_code == 2 and "--to-fps 0.001" in res.output and not (tmp_path / "x.srt").exists()
    pal = change_fps(read_subtitles(srt), "23.976", "25")  # the real speed-up still works
    assert pal.cues[1].end_ms == round(5000 * 24000 / 1001 / 25)
