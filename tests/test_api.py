"""The Python API: every CLI command has a twin in subpipe.api, documented in docs/api.md, and the
examples there run (on the sample media) without the library printing anything."""

from __future__ import annotations

import inspect
import os
import re
import sys
from pathlib import Path

import click
import pytest

import subpipe
from subpipe import api
from subpipe.cli.app import cli
from subpipe.errors import SubpipeError, UsageError

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"
sys.path.insert(0, str(ROOT / "scripts"))
import gen_cli_docs  # noqa: E402


def _commands() -> list[list[str]]:
    return [path for path, cmd in gen_cli_docs.walk(cli, []) if path and not isinstance(cmd, click.Group)]


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^## `subpipe ([^`]+)`\s*$", text, flags=re.M)
    return {parts[k]: parts[k + 1] for k in range(1, len(parts), 2)}


def test_every_command_has_an_api_twin_documented_in_docs_api_md():
    sections = _sections()
    for path in _commands():
        name = "_".join(path).replace("-", "_")
        fn = getattr(api, name, None)
        assert callable(fn), f"`subpipe {' '.join(path)}` has no twin subpipe.api.{name}"
        assert name in api.__all__
        assert (fn.__doc__ or "").strip(), f"subpipe.api.{name} has no docstring"
        section = sections.get(" ".join(path))
        assert section is not None, f"docs/api.md has no section for `subpipe {' '.join(path)}`"
        assert re.search(rf"\b{name}\(", section), f"docs/api.md's `subpipe {' '.join(path)}` does not call {name}"
    assert set(sections) <= {" ".join(p) for p in _commands()}, "docs/api.md documents a command that is gone"


def test_the_api_twins_take_the_commands_options():
    """A command's options are keyword parameters of its twin (or fields of its options dataclass)."""
    grouped = {"transcribe": subpipe.TranscribeOptions, "batch": api.BatchOptions, "run": api.BatchOptions}
    skip = {"help", "json", "as_json", "list_streams", "verbose", "quiet"}
    # exit-code and serving options: the result says it (FixResult.after.ok), or uvicorn takes it
    exit_only = {("fix", "strict"), ("serve", "host"), ("serve", "port"), ("review", "host"),
                 ("review", "port")}
    renamed = {"out": "output", "outs": "outputs", "media_path": "media", "handles": "handles_ms",
               "no_verify": "verify", "heading": "title", "fmt": "format", "script_path": "script",
               "no_index": "index", "no_vad": "vad", "no_guards": "guards", "translate": "task",
               "to_format": "to", "allow_hosts": "allowed_hosts", "speaker_sample": "speaker_samples",
               # the masking flags are the fields of one MaskOptions (subtitles, run, batch)
               "mask_profanity": "mask", "mask_style": "mask", "mask_severity": "mask", "mask_lexicon": "mask"}
    for path in _commands():
        name = "_".join(path)
        cmd = cli
        for p in path:
            cmd = cmd.commands[p]
        params = set(inspect.signature(getattr(api, name)).parameters)
        fields = set()
        for cls in (grouped.get(name), api.SearchFilters, subpipe.TranscribeOptions, api.AlignOptions):
            if cls is not None:
                fields |= set(getattr(cls, "__dataclass_fields__", {}))
        for opt in cmd.params:
            key = renamed.get(opt.name, opt.name)
            if opt.name in skip or (name, opt.name) in exit_only:
                continue
            if (name, opt.name) == ("check", "max_per_rule"):  # --json's cap: the streaming twin takes it
                assert key in inspect.signature(api.check_json).parameters
                continue
            assert key in params | fields, \
                f"`subpipe {' '.join(path)} --{opt.name}` has no counterpart in subpipe.api.{name}"


def test_package_root_reexports_the_api():
    assert subpipe.quotes_search is api.quotes_search
    assert subpipe.BatchOptions is api.BatchOptions
    with pytest.raises(AttributeError):
        subpipe.no_such_thing  # noqa: B018


def test_usage_errors_are_subpipe_errors_with_exit_code_2(tmp_path):
    with pytest.raises(UsageError) as e:
        api.retime(tmp_path / "a.srt", tmp_path / "b.srt")
    assert isinstance(e.value, SubpipeError) and e.value.exit_code == 2
    with pytest.raises(SubpipeError, match="no quote index"):
        api.quotes_search("x", db=tmp_path / "none.db")


def _examples() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)


@pytest.mark.slow
def test_docs_api_examples_run(tmp_path, capfd, monkeypatch):
    """Every example in docs/api.md, in order, from a folder holding the sample media; the examples may
    print, the library must not (stdout stays empty with print() silenced)."""
    from subpipe.asr.models import installed

    if not installed("tiny.en"):
        if os.environ.get("CI"):
            pytest.fail("the tiny.en model package is not installed (subpipe[models])")
        pytest.skip("tiny.en is not installed")
    (tmp_path / "media").mkdir()
    for name in ("sample_trailer.mp4", "sample_trailer.txt"):
        (tmp_path / "media" / name).symlink_to(ROOT / "media" / name)
    monkeypatch.chdir(tmp_path)
    blocks = _examples()
    assert len(blocks) >= len(_commands())
    ns: dict = {"print": lambda *a, **k: None, "__name__": "docs_api"}
    for k, code in enumerate(blocks):
        try:
            exec(compile(code, f"docs/api.md example {k + 1}", "exec"), ns)
        except Exception as exc:
            raise AssertionError(f"docs/api.md example {k + 1} failed: {exc!r}\n{code}") from exc
    out = capfd.readouterr().out
    assert out == "", f"the library printed: {out[:200]!r}"
    assert (tmp_path / "outputs" / "quote.mp4").stat().st_size > 0
