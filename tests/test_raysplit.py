"""One long file split across Ray actors (raysplit.py): the same words, times and SRT as a local run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from subpipe.audio import media
from subpipe.jobs.raysplit import RegionSource, should_split

from conftest import needs, shared, write_wav


def test_region_source_serves_the_regions_it_was_given():
    regions = [{"start": 100, "end": 160}, {"start": 400, "end": 410}]
    audio = np.arange(70, dtype=np.float32)
    src = RegionSource(regions, audio)
    np.testing.assert_array_equal(src.read_samples(100, 160), audio[:60])
    np.testing.assert_array_equal(src.read_samples(400, 410), audio[60:])
    with pytest.raises(KeyError):
        src.read_samples(100, 150)  # never a region: a plan mismatch must not pass silently
    with pytest.raises(ValueError):
        RegionSource(regions, audio[:-1])


def test_split_choice():
    ten = 10 * 60 * 1000
    assert should_split("auto", ten, "batched", files_to_transcribe=1, actors=2)
    assert not should_split("auto", ten - 1, "batched", 1, 2)  # short: one actor is enough
    assert not should_split("auto", ten, "batched", 2, 2)  # a file per actor keeps them busy
    assert not should_split("auto", ten, "batched", 1, 1)
    assert not should_split("on", ten, "sequential", 1, 2)  # a sequential decode stays in one process
    assert should_split("on", 1000, "batched", 5, 2)
    assert not should_split("off", 10 * ten, "batched", 1, 8)
    with pytest.raises(Exception, match="unknown split mode"):
        should_split("maybe", ten, "batched", 1, 2)


def _speech_file(path: Path, seconds: int) -> Path:
    """Real speech from ../shared/data with pauses, tiled to ``seconds``, as a 16 kHz WAV."""
    parts = []
    for rel in ("mfa_spontaneous/acoustic_corpus.wav", "jfk/jfk.flac", "librispeech/2412-153948-0000.flac",
                "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0870.wav"):
        parts.append(media.extract_audio(shared(rel)).samples)
        parts.append(np.zeros(24000, dtype=np.float32))
    x = np.concatenate(parts)
    return write_wav(path, np.tile(x, int(np.ceil(seconds * 16000 / len(x))))[: seconds * 16000])


def _outputs(out: Path) -> dict[str, object]:
    srt = {p.name: p.read_bytes() for p in sorted(out.rglob("*.srt"))}
    words = {}
    for p in sorted(out.rglob("*.transcript.json")):
        t = json.loads(p.read_text())
        words[p.name] = [(w["text"], w["start_ms"], w["end_ms"]) for w in t["words"]]
    return {"srt": srt, "words": words}


@pytest.mark.slow
def test_long_file_split_across_two_ray_actors_matches_a_local_run(tmp_path):
    """60 s of speech, batched engine, blocks of one 1-window batch (at least two blocks): a local run and the same
    file split across 2 Ray actors give the same words, times and SRT bytes."""
    import os
    import subprocess
    import sys

    needs("ray", "Ray is not installed (the ray extra)")
    f = _speech_file(tmp_path / "long.wav", 60)
    common = ["-m", "tiny.en", "--engine", "batched", "--batch-size", "1", "--no-index"]
    # each run in a process of its own, as a user runs them: nothing one run leaves in a process (pocketsphinx's
    # noise estimate, until the long-form branch's fresh state per alignment) reaches the other
    cmd = [sys.executable, "-m", "subpipe.cli", "-q", "batch", str(f)]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    ray_opts = ["--executor", "ray", "-j", "2", "--threads", "1", "--split-long", "on"]
    for extra in (["-o", str(tmp_path / "local"), "-j", "1"], ["-o", str(tmp_path / "ray"), *ray_opts]):
        proc = subprocess.run([*cmd, *extra, *common], capture_output=True, text=True, env=env, timeout=900)
        assert proc.returncode == 0, proc.stderr[-3000:]
    local, split = _outputs(tmp_path / "local"), _outputs(tmp_path / "ray")
    assert split == local
    assert sum(len(v) for v in local["words"].values()) > 100
    report = json.loads((tmp_path / "ray" / "run-report.json").read_text())
    info = report["plan"]["split"]["long"]
    assert info["blocks"] >= 2 and info["actors"] == 2
    assert all(n > 0 for n in info["blocks_per_actor"])  # both actors decoded a part of the file
