"""SDH: music detection (sound.py) on made beds, silence and real speech; sound cues and dashes (sdh.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
import wave
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subpipe.asr.transcribe import speech_map
from subpipe.audio import media
from subpipe.audio.events import detect_music
from subpipe.cli.app import cli
from subpipe.formats import transcript_json as tj
from subpipe.model import Cue, SoundEvent, Transcript, Utterance, Word
from subpipe.subtitling.cues import make_cues
from subpipe.subtitling.profiles import PROFILES, get_profile
from subpipe.subtitling.qc import check_track
from subpipe.subtitling.sdh import add_sound_cues, dash_speakers, sound_cues

from conftest import ROOT, shared
from strategies import sound_events, word_streams

SR = 16_000


@pytest.fixture(scope="session")
def mk():
    spec = importlib.util.spec_from_file_location("make_trailer_mixes", ROOT / "scripts" / "make_trailer_mixes.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def beds(mk):
    return {k: mk.make_bed(k, 8.0) for k in ("score", "chords", "effects")}


def _write_wav(path, x: np.ndarray) -> None:
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


# ------------------------------------------------------------------ detection
@pytest.mark.parametrize("kind", ["score", "chords"])
def test_music_bed_found_with_its_boundaries(mk, beds, kind):
    x = np.concatenate([mk.room_tone(4.0), beds[kind], mk.room_tone(4.0, seed=1)])
    events = detect_music(x)
    assert len(events) == 1
    ev = events[0]
    assert ev.kind == "music"
    assert abs(ev.start_ms - 4000) <= 500 and abs(ev.end_ms - 12000) <= 500


def test_music_between_speech_is_bounded_by_the_speech(mk, beds):
    jfk = media.extract_audio(shared("jfk/jfk.flac")).samples
    x = np.concatenate([beds["score"], jfk]).astype(np.float32)
    events = detect_music(x, speech=speech_map(x))
    assert [e.kind for e in events] == ["music"]
    assert events[0].start_ms <= 500 and abs(events[0].end_ms - 8000) <= 500


@pytest.mark.parametrize("what", ["zero", "room", "noise", "effects"])
def test_silence_and_noise_are_not_music(mk, beds, what):
    rng = np.random.default_rng(3)
    x = {"zero": np.zeros(10 * SR, dtype=np.float32), "room": mk.room_tone(10.0),
         "noise": (rng.standard_normal(10 * SR) * 0.05).astype(np.float32), "effects": beds["effects"]}[what]
    assert detect_music(x) == ()


@pytest.mark.parametrize("rel", [
    "jfk/jfk.flac", "librispeech/61-70968-0000.flac", "ami_meeting/ES2011a.Headset-0_40s-46s.wav",
    "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0870.wav",
])
def test_real_speech_invents_no_music(rel):
    x = media.extract_audio(shared(rel)).samples
    assert detect_music(x, speech=speech_map(x)) == ()
    assert detect_music(x) == ()  # not even without the VAD or words: speech moves its spectrum


def test_a_minute_of_score_is_one_event(beds):
    """A long bed stays one event from end to end (its cost is measured in bench/, never timed in a test)."""
    x = np.tile(beds["score"], 8)  # 64 s
    events = detect_music(x)
    assert len(events) == 1 and events[0].kind == "music"
    assert events[0].start_ms <= 500 and events[0].end_ms >= 63_500


# ------------------------------------------------------------------ transcript JSON
def test_events_round_trip_and_old_json_reads():
    t = Transcript((Word("hi", 5000, 5400),), "en", 9000, events=(SoundEvent("music", 0, 4500),))
    assert tj.loads(tj.dumps(t)).events == t.events
    d = json.loads(tj.dumps(t))
    del d["events"]  # a file written before sound events existed
    assert tj.from_dict(d).events == ()
    assert tj.from_dict(d).words == t.words


# ------------------------------------------------------------------ sound cues
def test_sound_cue_before_speech_keeps_the_gap():
    prof = get_profile("netflix-en", "24")
    words = tuple(Word(w, 10_300 + 400 * k, 10_300 + 400 * k + 350) for k, w in enumerate("and so my fellow".split()))
    t = Transcript(words, "en", 15_000, events=(SoundEvent("music", 0, 10_000),))
    track = make_cues(t, prof)
    out = add_sound_cues(track, t.events, prof, media_end_ms=t.duration_ms)
    assert out.cues[0].lines == ("[MUSIC]",)
    assert out.cues[0].start_ms == 0
    assert out.cues[0].end_ms - out.cues[0].start_ms <= prof.max_duration_ms
    assert out.cues[1:] == track.cues
    assert check_track(out, prof, media_duration_ms=t.duration_ms).ok


def test_long_stretch_gets_one_cue_at_its_start_and_label_option():
    prof = get_profile("netflix-en", "25")
    cues = sound_cues([SoundEvent("music", 1000, 61_000)], [], prof, label="♪")
    assert len(cues) == 1 and cues[0].lines == ("♪",)
    assert cues[0].start_ms == 1000 and cues[0].duration_ms == prof.max_duration_ms


def test_squeezed_stretch_gets_no_cue():
    prof = get_profile("netflix-en", "24")
    dialogue = [Cue(0, 1000, ("a",)), Cue(1917, 3000, ("b",))]  # 917 ms apart: 750 ms free inside the gaps
    assert sound_cues([SoundEvent("music", 0, 3000)], dialogue, prof) == []
    assert len(sound_cues([SoundEvent("music", 0, 3000)], dialogue[:1], prof)) == 1


def _gap_frames(a_end: int, b_start: int, rate: Fraction) -> int:
    return round(Fraction(b_start - a_end) * rate / 1000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=word_streams(), events=sound_events(), name=st.sampled_from(sorted(PROFILES)),
       fps=st.sampled_from(("23.976", "24", "25", "29.97", "30")))
def test_sound_cues_never_touch_dialogue(t, events, name, fps):
    prof = get_profile(name, fps).for_language(t.language)
    track = make_cues(t, prof)
    media_end = t.duration_ms or None
    out = add_sound_cues(track, events, prof, media_end_ms=media_end)
    sounds = [c for c in out.cues if not c.words]
    assert [c for c in out.cues if c.words] == list(track.cues)  # dialogue unchanged
    assert len(sounds) <= len(events)
    rate = prof.rate
    for k, c in enumerate(out.cues):
        if c.words:
            continue
        assert prof.min_duration_ms - 1 <= c.duration_ms <= prof.max_duration_ms + 1
        assert media_end is None or c.end_ms <= media_end
        for other in (out.cues[k - 1] if k else None, out.cues[k + 1] if k + 1 < len(out.cues) else None):
            if other is None:
                continue
            first, second = (other, c) if other.start_ms < c.start_ms else (c, other)
            g = _gap_frames(first.end_ms, second.start_ms, rate)
            assert second.start_ms >= first.end_ms  # never an overlap
            assert g >= prof.min_gap_frames
            assert not (prof.min_gap_frames < g <= prof.chain_gap_frames)  # chained or clear
    bad = {v.rule for v in check_track(out, prof).violations if not out.cues[v.cue - 1].words}
    assert not bad & {"overlap", "min_gap", "chaining", "frame_boundary", "min_duration", "max_duration",
                      "reading_speed", "reading_speed_hold"}


# ------------------------------------------------------------------ speaker dashes
def test_two_known_speakers_share_a_cue_with_dashes():
    prof = get_profile("netflix-en", "24")
    a = (Word("Where", 1000, 1300), Word("to?", 1300, 1700))
    b = (Word("Home.", 2000, 2600),)
    t = Transcript(a + b, "en", 5000, utterances=(Utterance(a, "en", "S1"), Utterance(b, "en", "S2")))
    track = make_cues(t, prof)
    assert len(track) == 2  # a cue never spans a speaker change by itself
    out = dash_speakers(track, t, prof)
    assert [c.lines for c in out.cues] == [("-Where to?", "-Home.")]
    assert check_track(out, prof).ok
    anon = replace(t, utterances=(Utterance(a, "en"), Utterance(b, "en")))
    assert dash_speakers(make_cues(anon, prof), anon, prof).cues == make_cues(anon, prof).cues


# ------------------------------------------------------------------ end to end
@pytest.fixture(scope="session")
def intro_run(tmp_path_factory, mk):
    """`subpipe run --sdh` once on 10 s of music then the JFK speech (tiny.en)."""
    d = tmp_path_factory.mktemp("sdh")
    jfk = media.extract_audio(shared("jfk/jfk.flac")).samples
    x = np.concatenate([mk.make_bed("score", 10.0) * 0.7, jfk]).astype(np.float32)
    src = d / "intro.wav"
    _write_wav(src, x)
    out = d / "out"
    res = CliRunner().invoke(cli, ["-q", "run", str(src), "-o", str(out), "--no-index", "--model", "tiny.en",
                                   "--sdh"])
    assert res.exit_code == 0, res.output
    return out / "intro", src


def _srt_blocks(path):
    return [b.splitlines() for b in path.read_text(encoding="utf-8").strip().split("\n\n")]


def test_run_sdh_puts_music_before_the_speech(intro_run):
    folder, _ = intro_run
    t = tj.loads((folder / "intro.transcript.json").read_text())
    assert len(t.events) == 1 and t.events[0].start_ms <= 500 and abs(t.events[0].end_ms - 10_000) <= 500
    blocks = _srt_blocks(folder / "intro.srt")
    assert blocks[0][2:] == ["[MUSIC]"]
    assert blocks[0][1][:9] == "00:00:00,"  # within the first half second, on a frame
    assert "And so" in " ".join(blocks[1][2:])
    assert not any("[MUSIC]" in " ".join(b) for b in blocks[1:])


def test_without_sdh_no_sound_cues_and_speech_cues_unchanged(intro_run, tmp_path):
    folder, src = intro_run
    sdh_blocks = _srt_blocks(folder / "intro.srt")
    res = CliRunner().invoke(cli, ["-q", "subtitles", str(folder / "intro.transcript.json"),
                                   "-o", str(tmp_path / "plain.srt")])
    assert res.exit_code == 0, res.output
    plain = _srt_blocks(tmp_path / "plain.srt")
    assert not any("[MUSIC]" in " ".join(b) for b in plain)
    assert [b[1:] for b in plain] == [b[1:] for b in sdh_blocks[1:]]  # the same speech cues, renumbered
    res = CliRunner().invoke(cli, ["-q", "subtitles", str(folder / "intro.transcript.json"), "--sdh",
                                   "--sdh-label", "♪", "-o", str(tmp_path / "note.srt")])
    assert res.exit_code == 0, res.output
    assert _srt_blocks(tmp_path / "note.srt")[0][2:] == ["♪"]


def test_features_do_not_depend_on_the_block_size(monkeypatch):
    from subpipe.audio import events as sound

    x = (np.random.default_rng(0).standard_normal(SR * 3) * np.sin(np.arange(SR * 3) / 300)).astype(np.float32)
    whole = sound.frame_features(x)
    monkeypatch.setattr(sound, "_BLOCK", 7)
    assert all(np.allclose(p, q) for p, q in zip(whole, sound.frame_features(x), strict=True))
