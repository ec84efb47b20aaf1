"""Issue 26, web, media and language (items 12-14), on real speech from ../shared/data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from subpipe.asr.transcribe import TranscribeOptions
from subpipe.audio import media
from subpipe.cli.app import cli
from subpipe.errors import UsageError

from conftest import run_ffmpeg, shared


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def jfk_run(tmp_path_factory):
    """JFK run once with tiny.en: its output folder and quote index (one speaker, S1)."""
    out = tmp_path_factory.mktemp("jfk-run") / "out"
    res = invoke("run", shared("jfk/jfk.flac"), "-o", out, "-m", "tiny.en", "--timing", "fast")
    assert res.exit_code == 0, res.output
    return out


# ---------------------------------------------------------------- 14: the naming form's redirect
@pytest.mark.parametrize("back", [
    "//evil.example.com/x", "/\\evil.example.com/x", "https://evil.example.com/", "/\t/evil.example.com",
    "\\\\evil.example.com", "evil.example.com", "/%0a/evil", "",
])
def test_naming_form_never_redirects_to_another_site(jfk_run, back):
    pytest.importorskip("starlette", reason="the 'web' extra is not installed")
    from starlette.testclient import TestClient

    from subpipe.quotes import index as quotes
    from subpipe.quotes.web import create_app

    db = jfk_run / "quotes.db"
    con = quotes.connect(db)
    media_id, speaker = con.execute("SELECT media_id, speaker FROM utterances LIMIT 1").fetchone()
    con.close()
    client = TestClient(create_app(db, jfk_run), base_url="http://127.0.0.1")
    r = client.post("/speakers/name", data={"media": media_id, "old": speaker, "new": speaker, "back": back},
                    follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    if back == "/%0a/evil":  # a same-site path (percent-encoded newline stays a path segment)
        assert location == back
    else:
        assert location == "/"
    r = client.post("/speakers/name", data={"media": media_id, "old": speaker, "new": speaker,
                                            "back": "/?q=ask+not"}, follow_redirects=False)
    assert r.headers["location"] == "/?q=ask+not"  # a path on this site is kept


# ---------------------------------------------------------------- 13: one rule for --language
def test_language_names_and_codes_in_any_case():
    for given in ("en", "EN", "English", "english", " ENGLISH ", "en-US"):
        assert TranscribeOptions(language=given).language == "en", given
    assert TranscribeOptions(language="Mandarin").language == "zh"
    assert TranscribeOptions(language="chinese").language == "zh"
    assert TranscribeOptions(language=None).language is None
    with pytest.raises(UsageError, match="unknown language 'xx'"):
        TranscribeOptions(language="xx")
    with pytest.raises(UsageError) as err:
        TranscribeOptions(language="englsh")
    assert "english" in (err.value.hint or "")


def test_unknown_language_is_refused_before_any_work(tmp_path):
    out = tmp_path / "out"
    res = invoke("run", shared("jfk/jfk.flac"), "-o", out, "-m", "tiny.en", "--language", "xx")
    assert res.exit_code == 2
    assert res.output.splitlines()[0] == "error: unknown language 'xx'"
    assert not out.exists()


def test_english_only_model_says_what_it_does_with_another_language(tmp_path):
    out = tmp_path / "out"
    res = invoke("run", shared("mandarin/BAC009S0724W0121.wav"), "-o", out, "-m", "tiny.en", "-l", "Chinese",
                 "--speakers", "off", "--timing", "fast")
    assert res.exit_code == 0, res.output
    t = json.loads((out / "BAC009S0724W0121" / "BAC009S0724W0121.transcript.json").read_text())
    note = next(n for n in t["notes"] if "English-only" in n)
    assert "--language zh (chinese) was not used" in note and "multilingual model" in note
    assert "English-only" in res.output


def test_upper_case_code_works_with_a_multilingual_model(tmp_path):
    from subpipe import api

    t = api.transcribe(shared("librispeech/61-70968-0000.flac"),
                       options=TranscribeOptions(model="base", language="EN"), speakers="off")
    assert t.language == "en" and len(t.words) >= 8
    assert not any("English-only" in n for n in t.notes)


# ---------------------------------------------------------------- 12: streams and channels
@pytest.fixture(scope="module")
def film(tmp_path_factory, ffmpeg):
    """A video with two audio streams (0: 4.3 s of Mandarin, tagged chi; 1: JFK in English, tagged eng) and a
    5.1 mix with JFK in the centre and a LibriSpeech reader in front left/right."""
    d = tmp_path_factory.mktemp("film")
    two = d / "two-tracks.mkv"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "color=c=black:s=160x90:r=25:d=11",
               "-i", str(shared("mandarin/BAC009S0724W0121.wav")), "-i", str(shared("jfk/jfk.flac")),
               "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-c:a", "flac", "-metadata:s:a:0", "language=chi", "-metadata:s:a:1", "language=eng",
               str(two))
    surround = d / "mix51.wav"
    run_ffmpeg(ffmpeg, "-i", str(shared("librispeech/1995-1837-0001.wav")), "-i", str(shared("jfk/jfk.flac")),
               "-filter_complex",
               "[0]aresample=16000,asplit=2[l][r];[1]aresample=16000[c];"
               "anullsrc=r=16000:cl=mono,atrim=duration=11,asplit=3[z1][z2][z3];"
               "[l][r][c][z1][z2][z3]join=inputs=6:channel_layout=5.1:"
               "map=0.0-FL|1.0-FR|2.0-FC|3.0-LFE|4.0-BL|5.0-BR[a]",
               "-map", "[a]", "-t", "11", str(surround))
    return {"two": two, "surround": surround}


def test_a_second_audio_stream_is_named_in_a_note(film, tmp_path):
    out = tmp_path / "out"
    res = invoke("run", film["two"], "-o", out, "-m", "tiny.en", "--speakers", "off", "--timing", "fast")
    assert res.exit_code == 0, res.output
    note = next(line for line in res.output.splitlines() if "audio streams" in line)
    assert "2 audio streams: 0 (chi flac" in note and "1 (eng flac" in note and "--audio-stream 1" in note
    # asked for: no note
    res = invoke("run", film["two"], "-o", tmp_path / "out1", "-m", "tiny.en", "--speakers", "off",
                 "--timing", "fast", "--audio-stream", "1")
    assert res.exit_code == 0 and "audio streams" not in res.output
    assert "country" in (tmp_path / "out1" / "two-tracks" / "two-tracks.srt").read_text()


def test_a_surround_downmix_points_to_the_centre_channel(film):
    mix = media.extract_audio(film["surround"])
    assert any("5.1 mix, downmixed" in n and "--dialogue centre" in n for n in mix.notes)
    centre = media.extract_audio(film["surround"], dialogue="centre")
    assert not any("--dialogue centre" in n for n in centre.notes)
    assert media.extract_audio(shared("stereo_two_speakers/stereo_diarization.wav")).notes == ()
