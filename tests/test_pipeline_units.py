"""Small contracts of the batch plumbing: names, manifests, atomic writes, model names."""

from pathlib import Path

import pytest

from subpipe.asr import models
from subpipe.asr.transcribe import TranscribeOptions
from subpipe.errors import OutputError, SubpipeError
from subpipe.fsio import atomic_write_text, sweep_stale_parts
from subpipe.jobs.batch import read_manifest
from subpipe.jobs.pipeline import RunOptions, _comparable, unique_names


def test_unique_names_never_collide():
    names = unique_names([Path("a/clip.mp4"), Path("b/clip.mov"), Path("c/clip-mp4.wav"), Path("d/x.flac")])
    assert len(set(names)) == 4
    assert names[3] == "x" and names[0] == "clip-mp4" and names[1] == "clip-mov"


def test_manifest_errors_name_the_row(tmp_path):
    m = tmp_path / "jobs.csv"
    m.write_text("path,audio_stream\na.mp4,abc\n")
    with pytest.raises(SubpipeError, match="row 2: audio_stream must be a number"):
        read_manifest(m, RunOptions())
    j = tmp_path / "jobs.jsonl"
    j.write_text('{"path": 5}\n')
    with pytest.raises(SubpipeError, match="row 1: 'path' must be a file name"):
        read_manifest(j, RunOptions())


def test_speed_only_options_do_not_invalidate_a_checkpoint():
    a = TranscribeOptions(cpu_threads=1).provenance()
    b = TranscribeOptions(cpu_threads=0, device_index=1).provenance()
    c = TranscribeOptions(beam_size=1).provenance()
    assert _comparable(a) == _comparable(b)
    assert _comparable(a) != _comparable(c)


def test_atomic_write_errors_are_one_line(tmp_path):
    target = tmp_path / "out.srt"
    target.mkdir()  # a folder where the file should go
    with pytest.raises(OutputError, match="cannot write"):
        atomic_write_text(target, "x")
    assert [p.name for p in tmp_path.iterdir()] == ["out.srt"]  # no temp file left behind


def test_stale_temp_files_of_dead_processes_are_swept(tmp_path):
    dead = tmp_path / ".a.srt.999999999.xyz.part"  # no such PID
    live = tmp_path / f".b.srt.{1}.xyz.part"  # PID 1 is alive
    dead.write_text("half")
    live.write_text("half")
    sweep_stale_parts(tmp_path)
    assert not dead.exists() and live.exists()


def test_hub_names_with_an_organisation_go_to_the_hub():
    r = models.resolve("distil-whisper/distil-large-v3")
    assert r.path == "distil-whisper/distil-large-v3" and r.sha256 is None
