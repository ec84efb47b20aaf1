"""Accurate word times by default (wordtiming.py): word starts on the first frame of speech, cues follow them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from subpipe.alignment.acoustic import METHOD, RetimeOptions, _assign, _retime_region, array_reader, retime, speech_runs
from subpipe.audio import media
from subpipe.cli.app import cli
from subpipe.model import Transcript, Word

from conftest import shared, transcribe_cached

ROOT = Path(__file__).resolve().parents[1]
FRAME_24 = 1000 / 24


# ---------------------------------------------------------------- no speech needed
def _noise_bursts(spans_ms, total_ms, level=0.3, floor=0.003, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, floor, total_ms * 16).astype(np.float32)
    for a, b in spans_ms:
        x[a * 16:b * 16] += rng.normal(0, level, (b - a) * 16).astype(np.float32)
    return x


def test_edges_move_from_silero_grid_onto_the_10ms_energy_grid():
    x = _noise_bursts([(1005, 2013)], 3000)
    probs = np.zeros(3000 // 32 + 1, np.float32)
    probs[1024 // 32:2048 // 32] = 0.9  # Silero's run: 1024-2048 ms (late onset, late offset)
    runs = speech_runs(x, probs=probs)
    assert len(runs) == 1
    a, b = runs[0]
    assert abs(a - 1005) <= 10 and abs(b - 2013) <= 10


def test_music_without_silero_speech_is_not_speech():
    x = _noise_bursts([(500, 1500)], 2000)
    assert speech_runs(x, probs=np.zeros(2000 // 32 + 1, np.float32)) == []


def test_first_word_of_a_run_starts_on_it_and_swallowed_padding_is_given_back():
    words = [Word("In", 3200, 4160), Word("1983,", 4160, 5460), Word("For", 10400, 11700), Word("40", 11700, 12100)]
    runs = [(4000, 5900), (11500, 12600)]
    times = [(w.start_ms, w.end_ms) for w in words]
    assert _assign(times, runs) == [0, 0, 1, 1]
    out, unplaced = _retime_region(words, times, runs, 0, RetimeOptions())
    assert unplaced == 0
    assert out[0][0] == 4000 and out[1][1] == 5900  # run edges
    assert out[2][0] == 11500 and out[3][1] == 12600
    assert out[1][0] == 4160  # inner boundary kept


def test_retime_keeps_words_order_and_notes_words_without_speech():
    # digital silence: no speech anywhere, so every word keeps Whisper's time and a note says so
    words = (Word("one", 100, 400), Word("2", 400, 700, space_before=True), Word("%", 700, 800))
    t = Transcript(words=words, language="fr", duration_ms=1000)
    out = retime(t, array_reader(np.zeros(16000, np.float32)))
    assert [w.text for w in out.words] == ["one", "2", "%"]
    assert [(w.start_ms, w.end_ms) for w in out.words] == [(100, 400), (400, 700), (700, 800)]
    assert out.provenance["timing"]["method"] == METHOD
    assert any("no speech found" in n for n in out.notes)


# ---------------------------------------------------------------- real speech
def _timit():
    d = shared("human_word_alignments")
    ref = [(w["word"], w["start"] * 1000, w["end"] * 1000) for w in json.loads((d / "LDC93S1.words.json").read_text())]
    return media.extract_audio(d / "LDC93S1.wav").samples, ref


def test_timit_word_starts_within_tolerance():
    """TIMIT LDC93S1 (human word boundaries): median start error <= 30 ms, first word within 2 frames."""
    from subpipe.asr.transcribe import TranscribeOptions

    samples, ref = _timit()
    raw = transcribe_cached(samples, TranscribeOptions(model="base"))
    t = retime(raw, array_reader(samples))
    from subpipe.alignment import match_tokens

    pairs = match_tokens([r for r, _, _ in ref], [w.text.strip(".,").lower() for w in t.words])
    matched = [(i, j) for i, j in enumerate(pairs) if j is not None]
    assert len(matched) >= 9  # base hears "...dark suit in greasy wash water all year" ("a" for "your")
    errs = [abs(t.words[j].start_ms - ref[i][1]) for i, j in matched]
    raw_errs = [abs(raw.words[j].start_ms - ref[i][1]) for i, j in matched]
    assert np.median(errs) <= 30, errs
    assert pairs[0] == 0 and abs(t.words[0].start_ms - ref[0][1]) <= 2 * FRAME_24
    assert np.median(errs) < np.median(raw_errs)


def test_jfk_quote_in_point_on_the_word(jfk_transcript):
    """The quote "ask not what your country can do for you" starts where "ask" starts (3.255 s by alignment)."""
    samples = media.extract_audio(shared("jfk/jfk.flac")).samples
    t = retime(jfk_transcript, array_reader(samples))
    ask = next(w for w in t.words if w.text.strip(",.").lower() == "ask")
    assert abs(ask.start_ms - 3255) <= 2 * FRAME_24, ask
    assert [u.text for u in t.utterances] == [u.text for u in jfk_transcript.utterances]
    assert all(u.start_ms == u.words[0].start_ms for u in t.utterances)


@pytest.mark.slow
def test_sample_first_cue_on_the_first_frame_of_speech(tmp_path):
    """A plain `subpipe run` on the sample: the narration starts at 4.0 s (media/README.md)."""
    import srt

    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(ROOT / "media" / "sample_trailer.mp4"), "-o", str(out), "--no-index"])
    assert res.exit_code == 0, res.output
    folder = out / "sample_trailer"
    cues = list(srt.parse((folder / "sample_trailer.srt").read_text(encoding="utf-8")))
    first = cues[0].start.total_seconds() * 1000
    assert 4000 - 2 * FRAME_24 <= first <= 4000 + 2 * FRAME_24, first
    starts = [c.start.total_seconds() for c in cues]
    for placed in (11.5, 15.5, 21.5, 26.0):  # each sentence's cue: never more than 2 frames early
        s = min(starts, key=lambda x: abs(x - placed))
        assert placed - 2 / 24 <= s <= placed + 0.15, (placed, starts)
    data = json.loads((folder / "sample_trailer.transcript.json").read_text())
    assert data["provenance"]["timing"]["method"] == METHOD
    assert data["words"][0]["start_ms"] >= 4000 - 2 * FRAME_24


def test_mandarin_is_retimed_on_the_sound_alone(mandarin_transcript):
    """Not English: no phone pass, the same characters, times in order and inside the media."""
    samples = media.extract_audio(shared("mandarin/BAC009S0724W0121.wav")).samples
    t = retime(mandarin_transcript, array_reader(samples))
    assert [w.text for w in t.words] == [w.text for w in mandarin_transcript.words]
    stats = t.provenance["timing"]["stats"]
    assert stats["phone_moved"] == 0 and stats["moved"] > 0
    assert all(a.start_ms <= a.end_ms <= b.start_ms for a, b in zip(t.words, t.words[1:], strict=False))
    assert t.words[-1].end_ms <= t.duration_ms
    runs = speech_runs(samples)
    assert runs and t.words[0].start_ms == runs[0][0]  # the first character starts where the voice does


def test_phone_alignment_does_not_depend_on_what_the_decoder_aligned_before():
    """pocketsphinx carries its noise estimate across utterances: each alignment must start fresh, so a file's
    times do not depend on the files (or groups) a worker's decoder aligned before, nor on how many decoders
    share the groups (child processes, phones.AlignerProcess)."""
    from conftest import needs

    needs("pocketsphinx")
    from subpipe.alignment import acoustic as wordtiming
    from subpipe.alignment import phones

    x = media.extract_audio(shared("jfk/jfk.flac")).samples
    words = "and so my fellow americans ask not what your country can do for you".split()
    fresh = phones.PhoneAligner().align(x[:16000 * 7], words)
    used = phones.PhoneAligner()
    used.align(x[16000 * 7:] * 4.0, "ask what you can do for your country".split())
    used.align(np.random.default_rng(1).normal(0, 0.05, 16000 * 3).astype(np.float32), ["noise"])
    assert used.align(x[:16000 * 7], words) == fresh
    ws = [Word(t, 0, 0) for t in "and so my fellow americans ask not what your country can do".split()]
    jobs = [[i, i + 1, i + 2] for i in range(0, 12, 3)] * 5
    spans = [(k * 200, 4000 + k * 300) for k in range(len(jobs))]
    read = array_reader(x)
    one = wordtiming._align_groups(read, ws, jobs, spans)
    workers = [phones.AlignerProcess() for _ in range(2)]
    try:
        assert wordtiming._align_groups(read, ws, jobs, spans, workers) == one
        workers[1].proc.kill()  # a child that dies: its share is aligned here, to the same result
        workers[1].proc.wait()
        assert wordtiming._align_groups(read, ws, jobs, spans, workers) == one
    finally:
        for w in workers:
            w.close()
    assert any(r is not None for r in one)
