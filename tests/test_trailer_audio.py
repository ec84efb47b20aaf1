"""Trailer audio on real speech: music beds, silence and mixed languages, with real ffmpeg and a real model.

The media are built once per session by scripts/make_trailer_mixes.py (real speech from ../shared/data,
music-like beds synthesised by ffmpeg); nothing here is committed audio.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
import srt as srt_lib
from click.testing import CliRunner

from subpipe.asr.transcribe import TranscribeOptions
from subpipe.audio import media
from subpipe.cli.app import cli

from conftest import ROOT, SHARED_DATA, shared, transcribe_cached

CJK = re.compile(r"[\u3400-\u9fff]")


def _mixes_module():
    spec = importlib.util.spec_from_file_location("make_trailer_mixes", ROOT / "scripts" / "make_trailer_mixes.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the module runs
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def mk():
    return _mixes_module()


@pytest.fixture(scope="session")
def nonspeech(tmp_path_factory, mk):
    """20 s of music (chords, drums, lead, effects) and 20 s of silence (digital zero, then room tone)."""
    d = tmp_path_factory.mktemp("nonspeech")
    return mk.music_only(d, 20.0), mk.silence_only(d, 20.0)


@pytest.fixture(scope="session")
def nonspeech_run(tmp_path_factory, nonspeech):
    out = tmp_path_factory.mktemp("nonspeech-out")
    music, silence = nonspeech
    res = CliRunner().invoke(cli, ["run", music.path, silence.path, "-o", str(out)], catch_exceptions=False)
    return res, out


@pytest.mark.parametrize("which", ["music_only_score", "silence_only"])
def test_music_and_silence_give_no_subtitle_text_and_a_note(nonspeech_run, which):
    res, out = nonspeech_run
    assert res.exit_code == 0, res.output
    folder = out / which
    assert list(srt_lib.parse((folder / f"{which}.srt").read_text(encoding="utf-8"))) == []
    vtt = (folder / f"{which}.vtt").read_text(encoding="utf-8")
    assert "-->" not in vtt
    data = json.loads((folder / f"{which}.transcript.json").read_text(encoding="utf-8"))
    assert data["words"] == [] and data["utterances"] == []
    assert "no speech detected" in data["notes"]
    assert "note: no speech detected" in res.output


def test_guards_alone_drop_what_whisper_invents_over_music(nonspeech):
    """VAD and Whisper's own silence skip off: whatever Whisper writes over the music, the guards drop and record."""
    music, _ = nonspeech
    samples = media.extract_audio(Path(music.path)).samples
    raw = transcribe_cached(samples, TranscribeOptions(model="base", vad=False, guards=False,
                                                      hallucination_silence_threshold=None))
    guarded = transcribe_cached(samples, TranscribeOptions(model="base", vad=False,
                                                          hallucination_silence_threshold=None))
    assert guarded.words == ()
    assert [(d.text, d.start_ms) for d in guarded.dropped] == [(w.text, w.start_ms) for w in raw.words]
    assert all(d.reason and d.detail for d in guarded.dropped)
    if raw.words:  # base invents text over this bed; when it does, the note says the guards removed it
        assert any("guards dropped" in n for n in guarded.notes)


@pytest.fixture(scope="session")
def intro_transcript(tmp_path_factory, mk):
    """LibriSpeech 61-70968-0000 ("He began a confused complaint ...") behind a 10 s musical intro."""
    shared("librispeech/61-70968-0000.flac")
    mix = mk.intro_mix(tmp_path_factory.mktemp("intro"), SHARED_DATA, intro=10.0, bed="score", ratio_db=10.0)
    samples = media.extract_audio(Path(mix.path)).samples
    return mix, transcribe_cached(samples, TranscribeOptions(model="base"))


def test_first_word_kept_after_a_ten_second_music_intro(intro_transcript):
    mix, t = intro_transcript
    region = mix.speech()[0]
    assert region.start_ms == 10_000
    assert t.words, t.notes
    first = t.words[0]
    assert re.sub(r"\W", "", first.text).lower() == "he", t.text
    assert first.start_ms >= 9_500  # the real word, not something invented over the intro
    assert re.sub(r"[^\w ]", "", t.text).lower().startswith("he began a confused complaint")


# ---------------------------------------------------------------- English + Mandarin
MIXED = (
    "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0880.wav",  # he was not an ill disposed ...
    "mandarin/BAC009S0724W0121.wav",
    "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0930.wav",  # he might even have been ...
    "mandarin/BAC009S0764W0122.wav",
)


@pytest.fixture(scope="session")
def mixed_run(tmp_path_factory, mk):
    """Two English and two Mandarin utterances alternating, through `subpipe run --languages utterance --translate`."""
    for rel in MIXED:
        shared(rel)
    mix = mk.mixed_language(tmp_path_factory.mktemp("mixed"), SHARED_DATA, gap=1.0, order=MIXED)
    out = tmp_path_factory.mktemp("mixed-out")
    res = CliRunner().invoke(cli, ["run", mix.path, "-o", str(out), "--languages", "utterance", "--translate"],
                             catch_exceptions=False)
    folder = out / Path(mix.path).stem
    data = json.loads((folder / f"{Path(mix.path).stem}.transcript.json").read_text(encoding="utf-8"))
    return mix, res, out, folder, data


def test_mixed_file_gets_both_languages_right(mixed_run):
    mix, res, _, _, data = mixed_run
    assert res.exit_code == 0, res.output
    for region in mix.speech():
        words = [w for w in data["words"] if region.start_ms <= (w["start_ms"] + w["end_ms"]) / 2 < region.end_ms]
        text = "".join(w["text"] for w in words)
        assert words, f"nothing transcribed in {region.source}"
        assert {w["language"] for w in words} == {region.language}, (region.source, text)
        if region.language == "zh":
            assert len(CJK.findall(text)) >= 0.7 * len(region.text), (region.text, text)
        else:
            assert not CJK.search(text) and len(text) >= 0.6 * len(region.text.replace(" ", "")), (region.text, text)
    langs = {u["language"] for u in data["utterances"]}
    assert langs == {"en", "zh"}
    assert {s["language"] for s in data["provenance"]["language_spans"]} == {"en", "zh"}


def test_translate_gives_english_subtitles_and_keeps_the_original(mixed_run):
    mix, _, out, folder, data = mixed_run
    stem = Path(mix.path).stem
    zh = [r for r in mix.speech() if r.language == "zh"]
    # the translation covers the Mandarin parts only, in English
    assert data["translation"]
    for w in data["translation"]:
        assert not CJK.search(w["text"])
        assert any(r.start_ms - 1000 <= w["start_ms"] <= r.end_ms + 1000 for r in zh), w
    # the subtitles are English throughout; the English speech is there as spoken
    subs = " ".join(s.content for s in srt_lib.parse((folder / f"{stem}.srt").read_text(encoding="utf-8")))
    assert not CJK.search(subs) and "young man" in subs.lower() and "amiable himself" in subs.lower()
    # the transcript and the quote index keep the Mandarin as spoken
    assert any(CJK.search(w["text"]) for w in data["words"])
    con = sqlite3.connect(out / "quotes.db")
    try:
        rows = con.execute("SELECT language, text FROM utterances ORDER BY start_ms").fetchall()
    finally:
        con.close()
    assert {lang for lang, _ in rows} == {"en", "zh"}
    assert any(lang == "zh" and CJK.search(text) for lang, text in rows)
