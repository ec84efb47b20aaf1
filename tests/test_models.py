"""The model resolver: offline names from registry packages, verified by SHA-256 before loading."""

import hashlib
import os
import shutil

import pytest
from click.testing import CliRunner

from subpipe.asr import models
from subpipe.asr.transcribe import TranscribeOptions, load_model
from subpipe.cli.app import cli
from subpipe.errors import ModelIntegrityError, ModelNotAvailableError

from conftest import shared


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SUBPIPE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_offline_names_assemble_and_verify(cache):
    for name in ("tiny.en", "base"):
        r = models.resolve(name)
        folder = cache / "models" / name
        assert r.path == str(folder) and r.verified
        # the assembled model.bin has the published size and hash (base: two packages joined)
        spec = models.PACKAGED[name]
        assert (folder / "model.bin").stat().st_size == spec.sizes["model.bin"]
        h = hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest()
        assert h == spec.sha256["model.bin"]
        assert sorted(os.listdir(folder)) == sorted(models.MODEL_FILES)


def test_one_changed_byte_is_refused(cache):
    models.resolve("tiny.en")
    f = cache / "models" / "tiny.en" / "model.bin"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x01
    f.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError) as err:
        models.resolve("tiny.en")
    assert "SHA-256" in str(err.value) and "model.bin" in str(err.value)
    # and the CLI says so in one line, exit 1, before any transcription happens
    res = CliRunner().invoke(cli, ["models"])
    assert "FAILED" in res.output
    # a tampered config is refused too
    shutil.rmtree(cache / "models" / "tiny.en")
    models.resolve("tiny.en")
    cfg = cache / "models" / "tiny.en" / "config.json"
    cfg.write_text(cfg.read_text().replace("{", "{ ", 1))
    with pytest.raises(ModelIntegrityError):
        models.resolve("tiny.en")


def test_tampered_model_stops_the_cli(cache, tmp_path):
    models.resolve("tiny.en")
    f = cache / "models" / "tiny.en" / "vocabulary.txt"
    f.write_bytes(f.read_bytes()[:-1] + b"X")
    res = CliRunner().invoke(cli, ["run", str(shared("jfk/jfk.flac")), "-o", str(tmp_path / "out"),
                                   "-m", "tiny.en", "--no-index"])
    assert res.exit_code == 1
    assert "vocabulary.txt" in res.output and "SHA-256" in res.output
    assert not (tmp_path / "out" / "jfk" / "jfk.srt").exists()


def test_local_folder_loads(cache):
    r = models.resolve("tiny.en")
    local = cache / "copy"
    shutil.copytree(r.path, local)
    res = models.resolve(str(local))
    assert res.path == str(local) and res.name == "tiny.en" and res.verified  # recognised by its hash
    loaded = load_model(TranscribeOptions(model=str(local)))
    assert loaded.resolved.path == str(local)


def test_missing_folder_and_hub_names(cache, monkeypatch):
    with pytest.raises(ModelNotAvailableError):
        models.resolve("./no/such/folder")
    r = models.resolve("large-v3")
    assert r.path == "large-v3" and r.sha256 is None  # goes to faster-whisper's hub download
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailableError) as err:
        load_model(TranscribeOptions(model="large-v3"))
    assert "tiny.en" in err.value.hint and "base" in err.value.hint


def test_models_command_lists_names(cache):
    res = CliRunner().invoke(cli, ["models"])
    assert res.exit_code == 0
    assert "tiny.en" in res.output and "base" in res.output and "verified" in res.output
