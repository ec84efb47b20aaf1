"""The whole pipeline through the CLI on real speech, and bad input handled without losing anything."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jiwer
import pytest
import srt as srt_lib
import webvtt
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.formats import transcript_json as tj

from conftest import missing, run_ffmpeg, shared


def normalise(text: str) -> str:
    text = text.lower().replace("--", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def jfk_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("jfk") / "out"
    res = invoke("run", str(shared("jfk/jfk.flac")), "-o", str(out))
    return res, out


def test_jfk_end_to_end(jfk_run):
    res, out = jfk_run
    assert res.exit_code == 0, res.output
    folder = out / "jfk"
    srt_path, vtt_path, json_path = folder / "jfk.srt", folder / "jfk.vtt", folder / "jfk.transcript.json"
    for p in (srt_path, vtt_path, json_path, out / "quotes.db"):
        assert p.is_file(), p
    # the summary names the file, its duration, words, cues, model and speed
    assert re.search(r"jfk\.flac: 11\.0 s, \d+ words, \d+ cues, model base, [\d.]+x real time", res.output)

    # an independent SRT reader and an independent WebVTT reader re-read what we wrote
    subs = list(srt_lib.parse(srt_path.read_text(encoding="utf-8")))
    vtt = webvtt.read(str(vtt_path))
    assert len(subs) == len(vtt) >= 2
    assert [s.content for s in subs] == [c.text for c in vtt]

    # cues in order, never overlapping, inside the media
    times = [(s.start.total_seconds(), s.end.total_seconds()) for s in subs]
    assert all(a < b for a, b in times)
    assert all(times[k][1] <= times[k + 1][0] for k in range(len(times) - 1))
    assert times[-1][1] <= 11.0

    # WER against the published speech text
    reference = shared("jfk/jfk.txt").read_text()
    hypothesis = " ".join(s.content.replace("\n", " ") for s in subs)
    wer = jiwer.wer(normalise(reference), normalise(hypothesis))
    assert wer <= 0.10, (wer, hypothesis)


def test_transcript_checkpoint(jfk_run):
    _, out = jfk_run
    data = json.loads((out / "jfk" / "jfk.transcript.json").read_text())
    assert data["schema_version"] == 1 and data["language"] == "en" and data["duration_ms"] == 11000
    for key in ("text", "start_ms", "end_ms", "probability"):
        assert all(key in w for w in data["words"])
    starts = [w["start_ms"] for w in data["words"]]
    assert starts == sorted(starts)
    assert all(w["start_ms"] <= w["end_ms"] <= data["duration_ms"] for w in data["words"])
    # utterances partition the words, and each utterance's text is its words joined
    words = [w["text"] for w in data["words"]]
    joined = []
    for u in data["utterances"]:
        i, j = u["word_range"]
        joined += words[i:j]
        assert u["start_ms"] == data["words"][i]["start_ms"] and u["end_ms"] == data["words"][j - 1]["end_ms"]
        assert u["text"] == " ".join(words[i:j])
    assert joined == words
    prov = data["provenance"]
    assert prov["model"]["name"] == "base" and len(prov["model"]["sha256"]) == 64
    assert prov["media"]["sha256"] == __import__("hashlib").sha256(shared("jfk/jfk.flac").read_bytes()).hexdigest()
    assert prov["options"]["vad"] is True and prov["version"]
    # the checkpoint round-trips through the reader
    t = tj.loads((out / "jfk" / "jfk.transcript.json").read_text())
    assert tj.to_dict(t)["words"] == data["words"]


def test_subtitles_remade_from_transcript_and_rerun_resumes(jfk_run, tmp_path):
    _, out = jfk_run
    srt_out, vtt_out = tmp_path / "again.srt", tmp_path / "again.vtt"
    res = invoke("subtitles", str(out / "jfk" / "jfk.transcript.json"), "-o", str(srt_out), "-o", str(vtt_out))
    assert res.exit_code == 0, res.output
    assert srt_out.read_text() == (out / "jfk" / "jfk.srt").read_text()
    assert vtt_out.read_text() == (out / "jfk" / "jfk.vtt").read_text()
    # a second run reuses the checkpoint instead of transcribing again
    before = (out / "jfk" / "jfk.transcript.json").stat().st_mtime_ns
    res = invoke("run", str(shared("jfk/jfk.flac")), "-o", str(out))
    assert res.exit_code == 0 and "transcript reused" in res.output
    assert (out / "jfk" / "jfk.transcript.json").stat().st_mtime_ns == before


def test_quote_search(jfk_run):
    _, out = jfk_run
    res = invoke("quotes", "search", "ask not what your country", "--db", str(out / "quotes.db"), "--json")
    assert res.exit_code == 0
    hits = [json.loads(line) for line in res.output.splitlines() if line.strip()]
    assert hits and "ask not what your country" in hits[0]["text"].lower()
    assert hits[0]["title"] == "jfk"
    # a rerun re-indexes without duplicating rows
    import sqlite3

    con = sqlite3.connect(out / "quotes.db")
    n = con.execute("select count(*) from utterances").fetchone()[0]
    invoke("run", str(shared("jfk/jfk.flac")), "-o", str(out))
    assert con.execute("select count(*) from utterances").fetchone()[0] == n
    con.close()


# ------------------------------------------------------------------ bad input
@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, ffmpeg):
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.mp4").write_text("a text file, not a video\n" * 50)
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "color=c=black:s=160x90:r=24:d=1", "-c:v", "libx264",
               "-pix_fmt", "yuv420p", str(d / "mute.mp4"))
    return d


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing.mp4", "no such file"),
        ("empty.mp4", "empty file (0 bytes)"),
        ("notes.mp4", "not a readable media file"),
        ("mute.mp4", "no audio stream"),
    ],
)
def test_bad_input_gives_one_line_error_and_no_output(bad_inputs, tmp_path, name, message):
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(bad_inputs / name), "-o", str(out), "-m", "tiny.en"])
    assert res.exit_code == 1
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(bad_inputs / name) in errors[0] and message in errors[0]
    assert "Traceback" not in res.output
    stem = Path(name).stem
    assert not (out / stem).exists() or not any((out / stem).iterdir())


def test_batch_keeps_going_past_a_bad_file(bad_inputs, tmp_path, ffmpeg):
    good = tmp_path / "tone.wav"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "2", str(good))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(bad_inputs / "notes.mp4"), str(good), "-o", str(out),
                                   "-m", "tiny.en"])
    assert res.exit_code == 1
    assert "1 of 2 files done" in res.output
    assert (out / "tone" / "tone.srt").is_file()


def test_silence_gives_empty_subtitles_and_a_note(tmp_path, ffmpeg):
    silence = tmp_path / "silence.wav"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "8", str(silence))
    out = tmp_path / "out"
    res = invoke("run", str(silence), "-o", str(out))
    assert res.exit_code == 0
    assert "note: no speech detected" in res.output
    assert (out / "silence" / "silence.srt").read_text().strip() == ""
    assert (out / "silence" / "silence.vtt").read_text().strip() == "WEBVTT"
    data = json.loads((out / "silence" / "silence.transcript.json").read_text())
    assert data["words"] == [] and "no speech detected" in data["notes"]


def test_read_only_output_folder(tmp_path):
    src = shared("jfk/jfk.flac")
    ro = tmp_path / "locked"
    ro.mkdir()
    ro.chmod(0o555)
    cmd = [sys.executable, "-m", "subpipe.cli", "run", str(src), "-o", str(ro / "out"), "-m", "tiny.en"]
    if os.geteuid() == 0:
        # root ignores file modes: drop the capabilities that let it, so the folder really is read-only
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            missing("running as root without setpriv: cannot make a folder read-only for this process")
        caps = "-dac_override,-dac_read_search"
        cmd = [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": ""})
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith("error: ") and "not writable" in lines[0] and str(ro / "out") in lines[0], lines
    assert "Traceback" not in proc.stderr
    assert list(ro.iterdir()) == []
