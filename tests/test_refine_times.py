"""`--refine-times`: the transcript's own words re-timed by alignment, text untouched."""

import json

from click.testing import CliRunner

from subpipe import media
from subpipe.align import AlignOptions, refine_transcript
from subpipe.cli import cli
from subpipe.transcribe import TranscribeOptions

from conftest import shared


def test_refine_keeps_every_word_and_moves_times(jfk_transcript):
    audio = media.extract_audio(shared("jfk/jfk.flac"))
    t = refine_transcript(audio.samples, jfk_transcript, AlignOptions(transcribe=TranscribeOptions(model="base")))
    assert [w.text for w in t.words] == [w.text for w in jfk_transcript.words]
    assert [w.space_before for w in t.words] == [w.space_before for w in jfk_transcript.words]
    assert [u.text for u in t.utterances] == [u.text for u in jfk_transcript.utterances]
    starts = [w.start_ms for w in t.words]
    assert starts == sorted(starts) and all(w.start_ms <= w.end_ms <= t.duration_ms for w in t.words)
    assert any(a.start_ms != b.start_ms for a, b in zip(t.words, jfk_transcript.words, strict=True))
    assert t.provenance["refined"]["method"] == "align"
    # utterance times follow their words
    assert all(u.start_ms == u.words[0].start_ms for u in t.utterances)


def test_refine_times_flag_is_part_of_the_checkpoint(tmp_path):
    src = str(shared("librispeech/61-70968-0000.flac"))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", src, "-o", str(out), "-m", "tiny.en", "--refine-times"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "61-70968-0000" / "61-70968-0000.transcript.json").read_text())
    assert "refined" in data["provenance"]
    res = CliRunner().invoke(cli, ["run", src, "-o", str(out), "-m", "tiny.en", "--refine-times"])
    assert "transcript reused" in res.output
    res = CliRunner().invoke(cli, ["run", src, "-o", str(out), "-m", "tiny.en"])
    assert "transcript reused" not in res.output  # plain times asked for: transcribed again
