"""Dependencies by role (issue 24): a missing extra is named in the error of the one thing that needs it."""

from __future__ import annotations

import sys

import pytest

from subpipe.errors import FFmpegNotFoundError, ModelNotAvailableError, SubpipeError


def test_docx_sheets_name_the_docx_extra(monkeypatch):
    from subpipe.quotes import sheets

    monkeypatch.setitem(sys.modules, "docx", None)  # python-docx not installed
    with pytest.raises(SubpipeError) as e:
        sheets._docx([], "x")
    assert "subpipe[docx]" in e.value.hint and "python-docx" in e.value.message


def test_no_ffmpeg_names_the_ffmpeg_extra(monkeypatch):
    from subpipe.audio import media

    monkeypatch.delenv("FFMPEG_PATH", raising=False)
    monkeypatch.setattr(media.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(FFmpegNotFoundError) as e:
        media.ffmpeg_exe.__wrapped__()
    assert "subpipe[ffmpeg]" in e.value.hint


def test_building_the_separation_graph_names_the_setup_extra(monkeypatch):
    from subpipe.audio.separation_graph import build_onnx

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ModelNotAvailableError) as e:
        build_onnx({})
    assert "subpipe[setup]" in e.value.hint


def test_the_runtime_set_leaves_the_extras_out():
    import tomllib
    from pathlib import Path

    meta = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = " ".join(meta["project"]["dependencies"])
    extras = meta["project"]["optional-dependencies"]
    for pkg, extra in (("onnx>", "setup"), ("imageio-ffmpeg", "ffmpeg"), ("python-docx", "docx")):
        assert pkg not in runtime and any(d.startswith(pkg.rstrip(">")) for d in extras[extra])
    assert "onnxruntime" in runtime and "pysrt" in runtime
