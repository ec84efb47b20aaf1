"""Issue 26, speakers (items 2, 4, 5, 6): voice samples, names and options, on real speech."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.formats import read_subtitles

from conftest import run_ffmpeg, shared

FAST = ("-m", "tiny.en", "--timing", "fast")


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def errors(res) -> list[str]:
    return [line for line in res.output.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def samples(tmp_path_factory, ffmpeg):
    """Voice samples cut from real recordings: JFK (the first 5 s of the speech), a LibriSpeech reader,
    0.2 s of JFK, and 5 s of digital silence."""
    d = tmp_path_factory.mktemp("samples")
    jfk = d / "jfk_sample.wav"
    run_ffmpeg(ffmpeg, "-i", str(shared("jfk/jfk.flac")), "-t", "5", str(jfk))
    short = d / "short.wav"
    run_ffmpeg(ffmpeg, "-i", str(shared("jfk/jfk.flac")), "-ss", "1", "-t", "0.2", str(short))
    silent = d / "silent.wav"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "5", str(silent))
    reader = d / "reader.flac"
    shutil.copy(shared("librispeech/2412-153948-0001.flac"), reader)
    return {"jfk": jfk, "short": short, "silent": silent, "reader": reader}


@pytest.fixture(scope="module")
def jfk_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("jfk-speakers") / "out"
    res = invoke("run", shared("jfk/jfk.flac"), "-o", out, *FAST)
    assert res.exit_code == 0, res.output
    return out


# ---------------------------------------------------------------- 4: samples checked before any transcription
def test_bad_samples_are_refused_before_transcription_naming_speaker_and_file(samples, tmp_path):
    media = [shared("jfk/jfk.flac"), shared("librispeech/61-70968-0000.flac")]
    cases = {
        "silent": (f"JFK={samples['silent']}", ["'JFK'", "holds no speech", str(samples["silent"])]),
        "short": (f"JFK={samples['short']}", ["'JFK'", "is only 0.2 s long", "s of speech", str(samples["short"])]),
        "missing": (f"JFK={tmp_path / 'nosuch.wav'}", ["'JFK'", "no such file", str(tmp_path / "nosuch.wav")]),
    }
    for case, (value, wanted) in cases.items():
        out = tmp_path / case
        res = invoke("run", *media, "-o", out, *FAST, "--speaker-sample", value)
        assert res.exit_code == 1, (case, res.output)
        errs = errors(res)
        assert len(errs) == 1 and all(w in errs[0] for w in wanted), (case, res.output)
        assert not list(out.rglob("*.transcript.json")), case  # nothing transcribed, nothing thrown away


def test_a_sample_that_matches_nobody_says_so(samples, tmp_path):
    out = tmp_path / "out"
    res = invoke("run", shared("jfk/jfk.flac"), "-o", out, *FAST, "--speaker-sample", f"Reader={samples['reader']}",
                 "--speaker-sample", f"JFK={samples['jfk']}")
    assert res.exit_code == 0, res.output
    t = json.loads((out / "jfk" / "jfk.transcript.json").read_text())
    assert {w["speaker"] for w in t["words"] if w.get("speaker")} == {"JFK"}
    assert any("the voice sample for 'Reader' matched no speaker" in n for n in t["notes"])


# ---------------------------------------------------------------- 2 and 5: names
@pytest.mark.parametrize("name", ["S3", "s1", "LINE1\nLINE2", "[JFK]", "JFK <b>", "A" * 40])
def test_sample_names_that_would_break_labels_or_cues_are_refused(samples, tmp_path, name):
    res = invoke("run", shared("jfk/jfk.flac"), "-o", tmp_path / "out", *FAST,
                 "--speaker-sample", f"{name}={samples['jfk']}")
    assert res.exit_code == 2, res.output
    assert len(errors(res)) == 1 and "voice sample" in errors(res)[0]
    assert not (tmp_path / "out" / "jfk").exists()


def test_renames_refuse_newlines_and_brackets(jfk_run, tmp_path):
    t = tmp_path / "jfk.transcript.json"
    shutil.copy(jfk_run / "jfk" / "jfk.transcript.json", t)
    before = t.read_bytes()
    for bad in ("LINE1\nLINE2", "[AI WEIWEI]", "Tab\there"):
        res = invoke("speakers", "rename", t, "S1", bad)
        assert res.exit_code == 2 and len(errors(res)) == 1, res.output
        assert t.read_bytes() == before
    db = tmp_path / "quotes.db"
    shutil.copy(jfk_run / "quotes.db", db)
    res = invoke("speakers", "rename", db, "S1", "Two\nlines")
    assert res.exit_code == 2
    listed = invoke("speakers", "list", db)
    assert listed.exit_code == 0 and all(line.count("\t") == 2 for line in listed.output.splitlines())


def test_speaker_id_counts_toward_the_line_and_the_cue_reflows(jfk_run, tmp_path):
    t = tmp_path / "jfk.transcript.json"
    shutil.copy(jfk_run / "jfk" / "jfk.transcript.json", t)
    assert invoke("speakers", "rename", t, "S1", "AI WEIWEI").exit_code == 0
    srt = tmp_path / "jfk.srt"
    res = invoke("subtitles", t, "-o", srt, "--sdh")
    assert res.exit_code == 0, res.output
    track = read_subtitles(srt)
    first = track.cues[0]
    assert first.lines[0].startswith("[AI WEIWEI] ")
    assert all(len(line) <= 42 for c in track.cues for line in c.lines), [c.lines for c in track.cues]
    plain = read_subtitles(jfk_run / "jfk" / "jfk.srt")  # the same words, the ID aside
    assert " ".join(first.lines).removeprefix("[AI WEIWEI] ") == " ".join(plain.cues[0].lines)
    from subpipe import api

    report = api.check([srt])[0].report
    assert report is not None and not [v for v in report.violations if v.rule == "chars_per_line"]


# ---------------------------------------------------------------- 6: say what is missing or ignored
def test_rename_in_a_media_the_index_does_not_have(jfk_run, tmp_path):
    db = tmp_path / "quotes.db"
    shutil.copy(jfk_run / "quotes.db", db)
    res = invoke("speakers", "rename", db, "S1", "X", "--media", "nosuch")
    assert res.exit_code == 1
    assert errors(res) == [f"error: {db}: no media 'nosuch' in the quote index"]
    res = invoke("speakers", "rename", db, "S1", "JFK", "--media", "jfk")  # its title
    assert res.exit_code == 0 and "renamed S1 -> JFK" in res.output


def test_options_that_would_be_ignored_are_usage_errors(samples, tmp_path):
    res = invoke("run", shared("jfk/jfk.flac"), "-o", tmp_path / "a", *FAST, "--speakers", "off",
                 "--speaker-sample", f"JFK={samples['jfk']}")
    assert res.exit_code == 2 and "does nothing with --speakers off" in errors(res)[0]
    res = invoke("run", shared("jfk/jfk.flac"), "-o", tmp_path / "b", *FAST, "--separate", "on",
                 "--dialogue-stem", shared("jfk/jfk.flac"))
    assert res.exit_code == 2 and "--dialogue-stem" in errors(res)[0]
    assert not (tmp_path / "a" / "jfk").exists() and not (tmp_path / "b" / "jfk").exists()


# ---------------------------------------------------------------- 7: one person per channel, talking at once
def test_stereo_interview_overlap_becomes_dash_cues_that_check_accepts(tmp_path):
    from subpipe import api

    out = tmp_path / "out"
    src = shared("stereo_two_speakers/stereo_diarization.wav")
    res = invoke("run", src, "-o", out, "-m", "tiny.en", "--no-index")
    assert res.exit_code == 0 and "one person per channel" in res.output, res.output
    srt = out / "stereo_diarization" / "stereo_diarization.srt"
    cues = read_subtitles(srt).cues
    assert all(b.start_ms >= a.end_ms for a, b in zip(cues, cues[1:], strict=False))  # never two at once
    dash = [c for c in cues if len(c.lines) == 2 and all(x.startswith("-") for x in c.lines)]
    assert dash, [c.lines for c in cues]
    t = json.loads((out / "stereo_diarization" / "stereo_diarization.transcript.json").read_text())
    words = " ".join(c.text.replace("\n", " ") for c in cues).replace("-", " ").split()
    assert sorted(words) == sorted(w["text"].strip() for w in t["words"])  # every word of both people, once
    report = api.check([srt])[0].report
    assert report is not None
    structural = [v for v in report.violations if v.rule != "reading_speed"]
    assert structural == [], structural
    # two people at once read faster than one: 2 voices x ~15 characters/s over 5 s cannot all be shown at
    # 20 characters/s, so reading speed is the one rule the speech itself does not allow here
    chars = sum(len(x) for c in cues for x in c.lines)
    assert chars / 5.0 > 20


# ---------------------------------------------------------------- 3: a name follows the voice, not the label
def test_a_name_given_in_the_index_follows_the_voice_when_labels_are_renumbered(tmp_path, ffmpeg):
    from subpipe.formats import transcript_json as tj
    from subpipe.quotes import index as quotes
    from subpipe.speakers.naming import apply_names

    mix = tmp_path / "three.wav"
    parts = [shared("librispeech/61-70968-0000.flac"), shared("jfk/jfk.flac"),
             shared("librispeech/1995-1837-0001.wav")]
    args = []
    for p in parts:
        args += ["-i", str(p)]
    run_ffmpeg(ffmpeg, *args, "-filter_complex",
               "[0]aresample=16000[a];[1]aresample=16000[b];[2]aresample=16000[c];[a][b][c]concat=n=3:v=0:a=1[o]",
               "-map", "[o]", "-ac", "1", str(mix))
    out = tmp_path / "out"
    res = invoke("run", mix, "-o", out, *FAST, "--speakers", "3")
    assert res.exit_code == 0, res.output
    t = tj.load(out / "three" / "three.transcript.json")
    voices = t.provenance["diarization"]["voices"]
    assert sorted(voices) == ["S1", "S2", "S3"]
    last = t.utterances[-1].speaker  # the third voice, the reader at the end
    spoken_by_last = {u.text for u in t.utterances if u.speaker == last}
    db = out / "quotes.db"
    assert invoke("speakers", "rename", db, last, "Reader B").exit_code == 0

    # a later diarization numbers the voices differently (labels go by first appearance): S1 <-> the last
    first = t.utterances[0].speaker
    swap = {first: last, last: first}
    t2 = tj.loads(tj.dumps(t).replace(f'"{first}"', '"@@"').replace(f'"{last}"', f'"{first}"').replace('"@@"',
                                                                                                      f'"{last}"'))
    assert {u.text for u in t2.utterances if u.speaker == first} == spoken_by_last
    con = quotes.connect(db)
    media_id = con.execute("SELECT id FROM media").fetchone()[0]
    quotes.add_transcript(con, t2, media_id=media_id, path=str(mix))
    apply_names(con, media_id, voices={swap.get(k, k): v for k, v in voices.items()})
    named = {r[0] for r in con.execute("SELECT text FROM utterances WHERE speaker = 'Reader B'")}
    con.close()
    assert named == spoken_by_last  # the same reader's words, not JFK's or the first reader's


def test_a_speaker_count_the_speech_cannot_hold_gets_a_note(tmp_path):
    """1 (in part): --speakers 50 on 11 s of one voice labels what there is, and says so."""
    out = tmp_path / "out"
    res = invoke("run", shared("jfk/jfk.flac"), "-o", out, *FAST, "--speakers", "50", "--no-index")
    assert res.exit_code == 0, res.output
    t = json.loads((out / "jfk" / "jfk.transcript.json").read_text())
    found = len(t["speakers"])
    assert found < 50
    assert any(n.startswith(f"speakers: --speakers 50 asked for 50 voices; {found} labelled") for n in t["notes"])


# ---------------------------------------------------------------- 1: over-splitting with --speakers auto
@pytest.mark.slow
def test_seven_voices_are_seven_speakers_not_eight():
    """Mix A of bench/bench_speakers.py (7 voices from ../shared/data, base, per-utterance languages as the
    bench runs it) gave 8 speakers: a 2 s splinter of one voice. About 30 s on 2 cores (slow)."""
    import importlib.util
    from pathlib import Path

    from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio
    from subpipe.speakers import diarize as dz

    path = Path(__file__).resolve().parents[1] / "bench" / "bench_speakers.py"
    spec = importlib.util.spec_from_file_location("subpipe_bench_speakers_26", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    samples, turns = bench.build_mix(bench.MIX_A, 1)
    t = transcribe_audio(samples, TranscribeOptions(model="base", languages="utterance",
                                                    candidate_languages=("en", "zh")))
    d = dz.diarize(samples, dz.DiarizeOptions(), words=t.words)
    res = bench.score(dz.apply(t, d, provenance={}).words, turns)
    assert res["speakers_found"] == res["speakers_true"] == 7
    assert res["wrong"] <= 0.02 * res["words"]
