"""Accurate timing is the default; `--timing fast` keeps Whisper's word times; `--refine-times` is folded away."""

import json

from click.testing import CliRunner

from subpipe.alignment.acoustic import METHOD
from subpipe.cli.app import cli

from conftest import shared


def test_timing_is_part_of_the_checkpoint(tmp_path):
    src = str(shared("librispeech/61-70968-0000.flac"))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", src, "-o", str(out), "-m", "tiny.en", "--no-index"])
    assert res.exit_code == 0, res.output
    path = out / "61-70968-0000" / "61-70968-0000.transcript.json"
    accurate = json.loads(path.read_text())
    assert accurate["provenance"]["timing"]["method"] == METHOD
    res = CliRunner().invoke(cli, ["run", src, "-o", str(out), "-m", "tiny.en", "--no-index", "--refine-times"])
    assert res.exit_code == 0 and "transcript reused" in res.output  # the old flag means the default now
    res = CliRunner().invoke(cli, ["run", src, "-o", str(out), "-m", "tiny.en", "--no-index", "--timing", "fast"])
    assert "transcript reused" not in res.output  # Whisper's times asked for: transcribed again
    fast = json.loads(path.read_text())
    assert "timing" not in fast["provenance"]
    assert [w["text"] for w in fast["words"]] == [w["text"] for w in accurate["words"]]
    assert [w["start_ms"] for w in fast["words"]] != [w["start_ms"] for w in accurate["words"]]
