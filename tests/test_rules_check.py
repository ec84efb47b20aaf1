"""`check` on hand-made broken files finds each planted violation and nothing else; `fix`; `retime`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.model import Cue, CueTrack
from subpipe.subtitling.profiles import get_profile
from subpipe.subtitling.qc import RULES, change_fps, check_track, fix_track, parse_offset, parse_shot_changes, shift
from subpipe.timecode import FrameRate, format_srt, format_vtt, frames_to_ms

FPS24 = FrameRate.parse("24")
OK = "Hello there."  # 12 characters


def f(frames: int) -> int:
    return frames_to_ms(frames, FPS24)


# (start frame, end frame, lines, planted rule or None). Clean cues last 48 frames with 24-frame gaps.
BROKEN = [
    (0, 48, [OK], None),
    (72, 120, ["One line,", "two lines,", "three lines."], "lines"),
    (144, 200, ["This line is much too long for the profile!!"], "chars_per_line"),  # 44 characters
    (216, 228, ["Hi."], "min_duration"),
    (252, 444, ["Up for eight seconds."], "max_duration"),
    (468, 516, ["Forty-two characters on this line, exactly", "and forty-two more characters on this one."],
     "reading_speed"),
    (540, 588, [OK], None),
    (582, 630, [OK], "overlap"),  # starts 6 frames before the previous cue ends
    (631, 679, [OK], "min_gap"),  # 1 frame after
    (685, 733, [OK], "chaining"),  # 6 frames after
    (757, 805, [OK], None),
    (829, 877, [OK], "past_media_end"),  # the media ends at frame 860
]
MEDIA_END = f(860)


def srt_text(rows, *, off_frame_ms: int | None = None) -> str:
    out = []
    for n, (a, b, lines, _) in enumerate(rows, start=1):
        out += [str(n), f"{format_srt(f(a))} --> {format_srt(f(b))}", *lines, ""]
    text = "\n".join(out)
    if off_frame_ms is not None:
        text = text.replace(format_srt(f(757)), format_srt(f(757) + off_frame_ms))
    return text


def vtt_text(rows) -> str:
    out = ["WEBVTT", ""]
    for a, b, lines, _ in rows:
        out += [f"{format_vtt(f(a))} --> {format_vtt(f(b))}", *lines, ""]
    return "\n".join(out)


def expected(rows, extra=()):
    return {(rule, n) for n, (*_, rule) in enumerate(rows, start=1) if rule} | set(extra)


def found(report):
    return {(v.rule, v.cue) for v in report.violations}


@pytest.fixture()
def broken_srt(tmp_path):
    p = tmp_path / "broken.srt"
    p.write_text(srt_text(BROKEN, off_frame_ms=10), encoding="utf-8")
    return p


def test_every_rule_has_a_description():
    assert all(sev in ("error", "warning") and text for sev, text in RULES.values())


@pytest.mark.parametrize("writer", [srt_text, vtt_text])
def test_check_finds_each_planted_violation_and_nothing_else(writer):
    from subpipe.formats import srt, vtt

    text = writer(BROKEN)
    track = (srt if writer is srt_text else vtt).loads(text)
    report = check_track(track, get_profile("netflix-en", "24"), media_duration_ms=MEDIA_END)
    assert found(report) == expected(BROKEN)
    assert not report.ok
    assert report.cues == len(BROKEN)
    assert report.passed == len(BROKEN) - len(expected(BROKEN))
    by_rule = {v.rule: v for v in report.violations}
    assert by_rule["chars_per_line"].value == 44 and by_rule["chars_per_line"].limit == 42
    assert by_rule["min_duration"].value == f(228) - f(216) and by_rule["min_duration"].limit == 833
    assert by_rule["reading_speed"].value == pytest.approx(84 * 1000 / (f(516) - f(468)), abs=0.01)
    assert by_rule["min_gap"].value == 1 and by_rule["chaining"].value == 6


def test_check_clean_file_passes():
    clean = [r for r in BROKEN if r[3] is None]
    from subpipe.formats import srt

    report = check_track(srt.loads(srt_text(clean)), get_profile("netflix-en", "24"))
    assert report.ok and report.violations == () and report.compliance == 1.0


def test_check_frame_boundary_and_fps():
    from subpipe.formats import srt

    prof = get_profile("netflix-en", "24")
    rows = [r for r in BROKEN if r[3] is None]
    report = check_track(srt.loads(srt_text(rows, off_frame_ms=10)), prof)
    assert found(report) == {("frame_boundary", 3)}
    # the same file judged at 25 fps: most times are off the grid, and the report says so
    report25 = check_track(srt.loads(srt_text(rows)), get_profile("netflix-en", "25"))
    assert {v.rule for v in report25.violations} == {"frame_boundary"}
    assert any("--fps" in n for n in report25.notes)


def test_check_empty_cue_and_charset():
    track = CueTrack((Cue(f(0), f(48), ("",)), Cue(f(72), f(120), ("Price: 5€",)),
                      Cue(f(144), f(192), ("Ça va ♪",))))
    report = check_track(track, get_profile("dcmp", "24"))
    assert found(report) == {("empty", 1), ("charset", 2)}
    assert report.violations[1].value == "€"
    # the same text under netflix-en: no character-set rule
    assert found(check_track(track, get_profile("netflix-en", "24"))) == {("empty", 1)}


def test_check_shot_changes():
    prof = get_profile("netflix-en", "24")
    cues = [
        Cue(f(0), f(48), (OK,)),  # clean: ends 2 frames before the cut at 50
        Cue(f(45 + 27), f(110), (OK,)),  # in-time 5 frames before the cut at 77
        Cue(f(134), f(170), (OK,)),  # out-time 3 frames before the cut at 173 (should be 2)
        Cue(f(194), f(290), (OK,)),  # a cut at 240, well inside
    ]
    cuts = [f(50), f(77), f(173), f(240)]
    report = check_track(CueTrack(tuple(cues)), prof, shot_changes_ms=cuts)
    assert found(report) == {("shot_change_in", 2), ("shot_change_out", 3), ("crosses_shot_change", 4)}
    assert report.ok is False and report.failed_cues == {2, 3}  # crossing is a warning
    assert check_track(CueTrack(tuple(cues)), get_profile("web", "24"), shot_changes_ms=cuts).violations == ()


def test_check_unspaced_script_counts_without_spaces():
    line = "我们的国家 人民时间世界问不要你能为做什么"  # 20 characters and a space
    track = CueTrack((Cue(f(0), f(48), (line,)),))
    report = check_track(track, get_profile("netflix-en", "24"))
    # 20 > 16; 20 chars / 2 s > 9 cps, and nothing after it: it could be held longer
    assert found(report) == {("chars_per_line", 1), ("reading_speed_hold", 1)}
    assert report.violations[0].value == 20
    assert any("zh" in n for n in report.notes)


# ---------------------------------------------------------------- fix
def test_fix_keeps_words_and_fixes_what_it_can():
    from subpipe.formats import srt

    prof = get_profile("netflix-en", "24")
    track = srt.loads(srt_text(BROKEN))
    res = fix_track(track, prof, media_duration_ms=MEDIA_END)
    words_before = " ".join(x for c in track.cues for x in c.lines).split()
    words_after = " ".join(x for c in res.track.cues for x in c.lines).split()
    assert words_after == words_before
    assert len(res.before.errors) == len(expected(BROKEN))
    rules_after = {v.rule for v in res.after.errors}
    # the 84-character cue has 2 s of speech and 1 s free after it: reading speed cannot be met there
    assert rules_after <= {"reading_speed"}, res.after.summary()
    for c in res.track.cues:
        assert len(c.lines) <= 2 and all(len(x) <= 42 for x in c.lines)


def test_fix_keeps_dialogue_lines():
    track = CueTrack((Cue(f(0), f(30), ("- Are you there?", "- Yes.")), Cue(f(100), f(148), (OK,))))
    res = fix_track(track, get_profile("netflix-en", "24"))
    assert res.track.cues[0].lines == ("- Are you there?", "- Yes.")
    assert res.track.cues[0].duration_ms >= 833
    assert res.after.ok


# ---------------------------------------------------------------- retime
def test_parse_offset():
    assert parse_offset("+1.5") == 1500
    assert parse_offset("-2s") == -2000
    assert parse_offset("250ms") == 250
    assert parse_offset("-00:00:01,500") == -1500
    with pytest.raises(Exception, match="not a time offset"):
        parse_offset("soon")


def test_shift_and_change_fps():
    track = CueTrack((Cue(0, 1000, ("a",)), Cue(2000, 3000, ("b",))))
    moved, dropped = shift(track, -1500)
    assert dropped == 1 and [(c.start_ms, c.end_ms) for c in moved.cues] == [(500, 1500)]
    sped = change_fps(track, "23.976", "25")
    assert [(c.start_ms, c.end_ms) for c in sped.cues] == [(0, 959), (1918, 2877)]
    assert [c.lines for c in sped.cues] == [("a",), ("b",)]


def test_parse_shot_changes():
    assert parse_shot_changes("# cuts\n1.5\n00:00:02,000\n\n") == (1500, 2000)
    assert parse_shot_changes("[3000, 1000]") == (1000, 3000)
    assert parse_shot_changes("00:00:01:12", FPS24) == (1500,)


# ---------------------------------------------------------------- CLI
def test_cli_check_reports_and_exits_1(broken_srt):
    runner = CliRunner()
    res = runner.invoke(cli, ["check", str(broken_srt), "--profile", "netflix-en", "--fps", "24"])
    assert res.exit_code == 1
    for rule in ("lines", "chars_per_line", "min_duration", "max_duration", "reading_speed", "overlap",
                 "min_gap", "chaining", "frame_boundary"):
        assert rule in res.output
    assert "pass (" in res.output
    res = runner.invoke(cli, ["check", str(broken_srt), "--json"])
    data = json.loads(res.output)
    assert res.exit_code == 1
    planted = expected(BROKEN, {("frame_boundary", 11)}) - {("past_media_end", 12)}  # no --media here
    assert {(v["rule"], v["cue"]) for v in data["violations"]} == planted
    v = data["violations"][0]
    assert {"rule", "cue", "start", "timecode", "value", "limit"} <= set(v)


def test_cli_check_clean_exit_0(tmp_path):
    p = tmp_path / "clean.vtt"
    p.write_text(vtt_text([r for r in BROKEN if r[3] is None]), encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", str(p), "--fps", "24"])
    assert res.exit_code == 0, res.output
    assert "100.0%" in res.output


def test_cli_check_encoding(tmp_path):
    p = tmp_path / "latin.srt"
    p.write_bytes("1\n00:00:00,000 --> 00:00:02,000\nCafé crème.\n".encode("cp1252"))
    res = CliRunner().invoke(cli, ["check", str(p)])
    assert res.exit_code == 1 and "--encoding" in res.output
    res = CliRunner().invoke(cli, ["check", str(p), "--encoding", "cp1252"])
    assert res.exit_code == 0, res.output


def test_cli_check_user_profile(tmp_path, broken_srt):
    prof = tmp_path / "house.toml"
    prof.write_text('base = "netflix-en"\nmax_chars_per_line = 50\nmax_lines = 3\nmin_duration_ms = 400\n')
    res = CliRunner().invoke(cli, ["check", str(broken_srt), "--profile", str(prof), "--json"])
    rules = {(v["rule"], v["cue"]) for v in json.loads(res.output)["violations"]}
    assert not rules & {("lines", 2), ("chars_per_line", 3), ("min_duration", 4)}
    assert ("reading_speed", 6) in rules


def test_cli_fix_and_retime(tmp_path, broken_srt):
    from subpipe.formats import srt, vtt

    out = tmp_path / "fixed.vtt"
    res = CliRunner().invoke(cli, ["fix", str(broken_srt), "--fps", "24", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "could not fix" in res.output and "reading_speed" in res.output
    fixed = vtt.loads(out.read_text(encoding="utf-8"))
    original = srt.loads(broken_srt.read_text(encoding="utf-8"))
    assert " ".join(" ".join(c.lines) for c in fixed.cues).split() == \
        " ".join(" ".join(c.lines) for c in original.cues).split()
    strict = CliRunner().invoke(cli, ["fix", str(broken_srt), "--strict", "-o", str(tmp_path / "s.srt")])
    assert strict.exit_code == 1

    shifted = tmp_path / "shifted.srt"
    res = CliRunner().invoke(cli, ["retime", str(broken_srt), "--offset", "+2s", "-o", str(shifted)])
    assert res.exit_code == 0, res.output
    assert srt.loads(shifted.read_text()).cues[0].start_ms == 2000
    pal = tmp_path / "pal.srt"
    res = CliRunner().invoke(cli, ["retime", str(broken_srt), "--from-fps", "23.976", "--to-fps", "25",
                                   "-o", str(pal)])
    assert res.exit_code == 0
    assert srt.loads(pal.read_text()).cues[1].start_ms == round(f(72) * 24000 / 1001 / 25)
    bad = CliRunner().invoke(cli, ["retime", str(broken_srt), "-o", str(pal)])
    assert bad.exit_code == 2


def test_fix_unspaced_script():
    line = "我们的国家人民时间世界问不要你能为做什么我们的国家人民时间世界"  # 31 characters
    track = CueTrack((Cue(0, f(96), (line,)),))
    res = fix_track(track, get_profile("netflix-en", "24"))
    assert found(res.before) == {("chars_per_line", 1)}
    assert res.after.ok
    assert "".join(x for c in res.track.cues for x in c.lines) == line
    assert all(len(x) <= 16 for c in res.track.cues for x in c.lines)
