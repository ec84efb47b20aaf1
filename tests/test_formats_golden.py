"""Golden files for what people see: every writer's output for a small fixed track, byte for byte.

If a change is intended, regenerate with `python scripts/regen_golden.py` and review the diff."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
import srt as srt_lib
import webvtt
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.formats import SUBTITLE_FORMATS, read_subtitles, scc, srt, ttml, vtt
from subpipe.formats import transcript_json as tj
from subpipe.model import Transcript, Utterance, Word

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
_spec = importlib.util.spec_from_file_location("regen_golden", ROOT / "scripts" / "regen_golden.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)


@pytest.mark.parametrize("name", sorted(regen.FILES.values()))
def test_output_matches_the_golden_file(name):
    want = (GOLDEN / name).read_bytes() if name.endswith(".stl") else (GOLDEN / name).read_text(encoding="utf-8")
    assert regen.render()[name] == want, f"{name} changed; run scripts/regen_golden.py if that is intended"


def test_every_format_has_a_golden_file():
    assert set(regen.FILES) == set(SUBTITLE_FORMATS)
    assert regen.main(["--check"]) == 0


def test_golden_files_read_back():
    track = regen.golden_track()
    for fmt in ("srt", "vtt", "ttml"):
        back = read_subtitles(GOLDEN / regen.FILES[fmt])
        assert [(c.start_ms, c.end_ms, c.lines) for c in back.cues] == \
            [(c.start_ms, c.end_ms, c.lines) for c in track.cues], fmt
    back = read_subtitles(GOLDEN / "golden.scc")
    assert [c.lines for c in back.cues] == [c.rows for c in scc.plan(track, scc.scc_frame_rate(track, None))]
    assert len(list(srt_lib.parse((GOLDEN / "golden.srt").read_text(encoding="utf-8")))) == len(track)
    assert len(webvtt.read(str(GOLDEN / "golden.vtt")).captions) == len(track)


def _transcript() -> Transcript:
    words, t = [], 1000
    for i, w in enumerate("And so my fellow Americans ask not what your country can do for you.".split()):
        words.append(Word(w, t, t + 300, space_before=i > 0))
        t += 350
    words = tuple(words)
    return Transcript(words, "en", 8000, (Utterance(words, "en"),))


def test_cli_subtitles_writes_every_format(tmp_path):
    tpath = tmp_path / "t.transcript.json"
    tpath.write_text(tj.dumps(_transcript()), encoding="utf-8")
    outs = ["out.srt", "out.vtt", "out.ttml", "out.scc", "out.csv", "out.txt", "out.timecoded.txt"]
    args = ["subtitles", str(tpath), "--fps", "29.97df"]
    for o in outs:
        args += ["-o", str(tmp_path / o)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    for o in outs:
        assert (tmp_path / o).stat().st_size > 0, o
    srt_track = srt.loads((tmp_path / "out.srt").read_text(encoding="utf-8"))
    assert ttml.loads((tmp_path / "out.ttml").read_text(encoding="utf-8")).cues == srt_track.cues
    assert vtt.loads((tmp_path / "out.vtt").read_text(encoding="utf-8")).cues == srt_track.cues
    text = " ".join(" ".join(c.lines) for c in scc.loads((tmp_path / "out.scc").read_text()).cues)
    assert text == " ".join(w.text for w in _transcript().words)
    csv_rows = (tmp_path / "out.csv").read_text().splitlines()
    assert csv_rows[0] == "event,in,out,duration,text" and ";" in csv_rows[1]
    assert re.match(r"\[00:00:0(0\.29|1\.00)\] And so my fellow Americans ask not .* for you\.\n$",
                    (tmp_path / "out.timecoded.txt").read_text())


def test_cli_subtitles_refuses_an_unknown_extension_before_writing(tmp_path):
    tpath = tmp_path / "t.transcript.json"
    tpath.write_text(tj.dumps(_transcript()), encoding="utf-8")
    res = CliRunner().invoke(cli, ["subtitles", str(tpath), "-o", str(tmp_path / "a.srt"),
                                   "-o", str(tmp_path / "a.doc")])
    assert res.exit_code == 1 and "cannot tell the subtitle format" in res.output
    assert not (tmp_path / "a.srt").exists()


def test_track_json_is_the_source():
    d = json.loads((GOLDEN / "track.json").read_text(encoding="utf-8"))
    assert len(regen.golden_track()) == len(d["cues"])
