"""Batch runs: a bad file in the middle, resume after kill -9, cached reruns, manifests, -j, Ray."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from subpipe.cli.app import cli

from conftest import needs, shared


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch-media")
    for rel in ("librispeech/61-70968-0000.flac", "librispeech/1995-1837-0001.wav", "jfk/jfk.flac"):
        src = shared(rel)
        shutil.copy(src, d / src.name)
    (d / "broken.mp4").write_text("not a video at all\n" * 10)  # sorts between the good files
    return d


def mtimes(out: Path, pattern: str) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in sorted(out.rglob(pattern))}


def test_batch_report_bad_file_rerun_and_profile_change(media_dir, tmp_path):
    out = tmp_path / "out"
    res = invoke("batch", media_dir, "-o", out, "-m", "tiny.en")
    assert res.exit_code == 1  # one file failed
    report = json.loads((out / "run-report.json").read_text())
    status = {Path(r["media"]).name: r["status"] for r in report["results"]}
    assert status == {"61-70968-0000.flac": "done", "1995-1837-0001.wav": "done", "jfk.flac": "done",
                      "broken.mp4": "failed"}
    failed = next(r for r in report["results"] if r["status"] == "failed")
    assert "broken.mp4" in failed["error"] and "not a readable media file" in failed["error"]
    assert report["ok"] == 3 and report["failed"] == 1 and report["audio_s"] > 20
    ok = [r for r in report["results"] if r["status"] == "done"]
    assert all(r["words"] > 0 and r["cues"] > 0 and r["x_real_time"] > 0 for r in ok)
    assert all(0 <= r["compliance"] <= 1 for r in ok)
    assert "run report" in res.output  # the table on screen

    transcripts = mtimes(out, "*.transcript.json")
    subtitles = mtimes(out, "*.srt")
    assert len(transcripts) == 3 and len(subtitles) == 3
    # a rerun redoes nothing
    res = invoke("batch", media_dir, "-o", out, "-m", "tiny.en")
    report = json.loads((out / "run-report.json").read_text())
    assert sorted(r["status"] for r in report["results"]) == ["cached", "cached", "cached", "failed"]
    assert mtimes(out, "*.transcript.json") == transcripts and mtimes(out, "*.srt") == subtitles
    # a profile change (here the frame rate) re-makes subtitles only
    res = invoke("batch", media_dir, "-o", out, "-m", "tiny.en", "--fps", "25")
    assert mtimes(out, "*.transcript.json") == transcripts
    changed = mtimes(out, "*.srt")
    assert all(changed[k] != subtitles[k] for k in subtitles)
    report = json.loads((out / "run-report.json").read_text())
    ok = [r for r in report["results"] if r["status"] != "failed"]
    assert all(r["transcript_reused"] and not r["subtitles_reused"] for r in ok)
    # a changed model transcribes again
    res = invoke("batch", media_dir / "jfk.flac", "-o", out, "-m", "base", "--no-index")
    assert mtimes(out, "jfk.transcript.json") != {k: v for k, v in transcripts.items() if "jfk" in k}


def test_manifest_with_per_file_options(tmp_path):
    src = shared("jfk/jfk.flac")
    (tmp_path / "names.txt").write_text("Americans\n")
    manifest = tmp_path / "jobs.csv"
    manifest.write_text(f"path,language,glossary\n{src},en,names.txt\n")
    out = tmp_path / "out"
    res = invoke("batch", manifest, "-o", out, "-m", "tiny.en")
    assert res.exit_code == 0, res.output
    prov = json.loads((out / "jfk" / "jfk.transcript.json").read_text())["provenance"]
    assert prov["options"]["language"] == "en" and prov["options"]["glossary"] == ["Americans"]
    jsonl = tmp_path / "jobs.jsonl"
    jsonl.write_text(json.dumps({"path": str(src), "task": "transcribe", "colour": "red"}) + "\n")
    assert invoke("batch", jsonl, "-o", tmp_path / "out2", "-m", "tiny.en").exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("file\nx.mp4\n")
    res = CliRunner().invoke(cli, ["batch", str(bad), "-o", str(tmp_path / "o3")])
    assert res.exit_code == 1 and "'path' column" in res.output


def test_resume_after_kill_9(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    src = shared("jfk/jfk.flac")
    for k in range(5):
        shutil.copy(src, media / f"clip{k}.flac")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "subpipe.cli", "batch", str(media), "-o", str(out), "-m", "tiny.en", "--no-index"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    guard = threading.Timer(300, proc.kill)  # a hung child cannot hang the suite
    guard.start()
    try:
        # wait on the batch's own progress line for the first finished file, then kill -9 while the second runs
        assert proc.stdout is not None
        first = next((line for line in proc.stdout if line.startswith("[1/5] ")), None)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        guard.cancel()
        if proc.stdout is not None:
            proc.stdout.close()
    assert first is not None, "the batch ended before it reported a finished file"
    done_before = mtimes(out, "*.transcript.json")
    assert 1 <= len(done_before) < 5, "the batch should have been killed part-way"
    # every file that exists under its final name is whole
    for p in out.rglob("*.transcript.json"):
        json.loads(p.read_text())
    res = invoke("batch", media, "-o", out, "-m", "tiny.en", "--no-index")
    assert res.exit_code == 0, res.output
    after = mtimes(out, "*.transcript.json")
    assert len(after) == 5
    assert all(after[k] == v for k, v in done_before.items())  # nothing finished was redone
    assert not list(out.rglob("*.part"))
    report = json.loads((out / "run-report.json").read_text())
    assert sum(r["transcript_reused"] for r in report["results"]) >= len(done_before)


def test_parallel_workers_and_ray_match_serial(media_dir, tmp_path):
    files = [media_dir / "61-70968-0000.flac", media_dir / "1995-1837-0001.wav"]
    outs = {}
    for label, extra in (("serial", []), ("procs", ["-j", "2", "--threads", "1"])):
        out = tmp_path / label
        res = invoke("batch", *files, "-o", out, "-m", "tiny.en", "--no-index", *extra)
        assert res.exit_code == 0, res.output
        outs[label] = {p.name: p.read_text() for p in sorted(out.rglob("*.srt"))}
    assert outs["procs"] == outs["serial"] and len(outs["serial"]) == 2
    ray = needs("ray", "Ray is not installed (the ray extra)")
    out = tmp_path / "ray"
    try:
        res = invoke("batch", *files, "-o", out, "-m", "tiny.en", "--executor", "ray", "-j", "2", "--threads", "1")
    finally:
        ray.shutdown()
    assert res.exit_code == 0, res.output
    assert {p.name: p.read_text() for p in sorted(out.rglob("*.srt"))} == outs["serial"]
    report = json.loads((out / "run-report.json").read_text())
    assert report["executor"] == "ray" and report["workers"] == 2
    import sqlite3

    con = sqlite3.connect(out / "quotes.db")
    assert con.execute("select count(distinct media_id) from utterances").fetchone()[0] == 2
    con.close()


def test_auto_plan_for_long_files():
    """-j auto once the files are known: on long files one worker per pair of cores (its two decoder replicas;
    bench/results/batch.md, "Long files"), fewer with more threads each when they do not fit in memory."""
    from subpipe.jobs.batch import LONG_FILE_MS, LONG_WORKER_MB, plan_workers

    long_, short, big = LONG_FILE_MS, 30_000, 64 * 1024
    assert plan_workers([12 * 60_000] * 2, 2, 1, "cpu", cores=2, memory_mb=big)[:2] == (1, 2)
    assert plan_workers([12 * 60_000] * 4, 4, 1, "cpu", cores=4, memory_mb=big)[:2] == (2, 2)
    assert plan_workers([12 * 60_000] * 8, 8, 2, "cpu", cores=16, memory_mb=big)[:2] == (8, 2)
    assert plan_workers([12 * 60_000] * 2, 1, 2, "cpu", cores=2, memory_mb=big)[:2] == (1, 2)
    tight = 1.5 * LONG_WORKER_MB  # room for one worker only
    assert plan_workers([12 * 60_000] * 2, 2, 1, "cpu", cores=2, memory_mb=tight)[:2] == (1, 2)
    assert plan_workers([long_] * 8, 8, 2, "cpu", cores=16, memory_mb=4 * LONG_WORKER_MB)[:2] == (3, 5)
    assert plan_workers([long_, short], 2, 1, "cpu", cores=2, memory_mb=tight)[:2] == (1, 2)  # mostly long
    assert plan_workers([long_ - 1] * 3, 2, 1, "cpu", cores=2, memory_mb=tight)[:2] == (2, 1)  # short files
    assert plan_workers([long_, *[short] * 10], 2, 1, "cpu", cores=2, memory_mb=tight)[:2] == (2, 1)
    assert plan_workers([long_] * 2, 1, 0, "cuda", cores=2, memory_mb=tight)[:2] == (1, 0)
    why = plan_workers([long_], 2, 1, "cpu", cores=2, memory_mb=tight)[2]
    assert "long files" in why and "fits 1 worker" in why
