"""`subpipe run --script`: the editor's words, timed, through the whole pipeline."""

import json

from click.testing import CliRunner

from subpipe.cli.app import cli

from conftest import shared


def test_run_with_a_script_keeps_its_words_and_resumes(tmp_path):
    media = shared("jfk/jfk.flac")
    script = shared("jfk/jfk.txt")
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(media), "--script", str(script), "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "jfk" / "jfk.transcript.json").read_text())
    assert [w["text"] for w in data["words"]] == script.read_text().split()  # exactly as written
    assert data["provenance"]["method"] == "align" and data["provenance"]["script_file"]["sha256"]
    starts = [w["start_ms"] for w in data["words"]]
    assert starts == sorted(starts) and data["words"][-1]["end_ms"] <= data["duration_ms"]
    srt = (out / "jfk" / "jfk.srt").read_text()
    assert "fellow Americans:" in srt  # the script's punctuation, not Whisper's
    # a rerun with the same script reuses the checkpoint; a changed script aligns again
    res = CliRunner().invoke(cli, ["run", str(media), "--script", str(script), "-o", str(out)])
    assert "transcript reused" in res.output
    edited = tmp_path / "edited.txt"
    edited.write_text(script.read_text() + " We shall pay any price, bear any burden, meet any hardship.\n")
    res = CliRunner().invoke(cli, ["run", str(media), "--script", str(edited), "-o", str(out), "--strict"])
    assert res.exit_code == 1 and "differ" in res.output
    res = CliRunner().invoke(cli, ["run", str(media), "--script", str(edited), "-o", str(out)])
    assert res.exit_code == 0 and "note:" in res.output and "not heard" in res.output
