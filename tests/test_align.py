"""Alignment and conform on real speech (../shared/data), real models, real ffmpeg."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from subpipe.alignment import AlignOptions, align, parse_script
from subpipe.asr.transcribe import TranscribeOptions
from subpipe.audio import media
from subpipe.cli.app import cli

# isort: off
from conftest import SHARED_DATA, missing, run_ffmpeg, shared
# isort: on

TINY = AlignOptions(transcribe=TranscribeOptions(model="tiny.en"))
BASE = AlignOptions(transcribe=TranscribeOptions(model="base"))
JFK_SCRIPT = ("And so, my fellow Americans: ask not what your country can do for you -- "
              "ask what you can do for your country.")


def _load(path: Path, channel: int | None = None) -> np.ndarray:
    if channel is None:
        return media.extract_audio(path).samples
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path), sampling_rate=16000, split_stereo=True)[channel]


def english_references() -> list[tuple[str, str, int | None, str, float]]:
    """(id, audio path relative to the data, channel, script file, seconds) for every English reference."""
    refs: list[tuple[str, str, int | None, str, float]] = []
    manifest = SHARED_DATA / "manifest.tsv"
    if not manifest.exists():
        return refs
    for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) < 4 or cols[3] != "en":
            continue
        audio, ref, secs = cols[0], cols[1], float(cols[2])
        if " + " in ref:  # one text per channel
            first, second = ref.split(" + ")
            folder = str(Path(first).parent)
            stem = Path(audio).name.rsplit(".", 1)[0]
            second = f"{folder}/{stem}{second}" if second.startswith(".") else second
            for ch, r in enumerate((first, second)):
                refs.append((f"{Path(r).name}", audio, ch, r, secs))
        else:
            refs.append((Path(ref).name, audio, None, ref, secs))
    return refs


def _check_words(result, script_text: str) -> None:
    t = result.transcript
    want = [w.text for w in parse_script(script_text).words]
    assert [w.text for w in t.words] == want  # exactly as written, in order
    for a, b in zip(t.words, t.words[1:], strict=False):
        assert a.start_ms <= b.start_ms
    for w in t.words:
        assert 0 <= w.start_ms <= w.end_ms <= t.duration_ms


_REFS = english_references()
# without ../shared/data the list is empty: one placeholder keeps the test (it skips, or fails in CI) so the
# parametrisation cannot silently vanish
_PARAMS = [pytest.param(r, id=r[0], marks=[pytest.mark.slow] if r[4] > 6.5 else []) for r in _REFS] or [
    pytest.param(None, id="no-shared-data")]


@pytest.mark.parametrize("ref", _PARAMS)
def test_every_english_reference_aligns_word_for_word(ref):
    if ref is None:
        missing("no ../shared/data: the English references are not here")
    _, audio, channel, script_file, _ = ref
    samples = _load(shared(audio), channel)
    text = shared(script_file).read_text(encoding="utf-8")
    res = align(samples, text, TINY if ref[4] <= 6.5 else BASE)  # the long, hard ones with the default model
    _check_words(res, text)
    assert res.stats["aligned_words"] == len(res.transcript.words)  # nothing reported as not heard
    assert res.mismatches == ()  # no false alarms on a correct script


def test_the_reference_list_covers_the_data():
    if not _REFS:
        missing("no ../shared/data")
    assert len(_REFS) >= 18  # every English file, each channel of the two-speaker ones


@pytest.fixture(scope="session")
def jfk_samples():
    return media.extract_audio(shared("jfk/jfk.flac")).samples


@pytest.fixture(scope="session")
def jfk_aligned(jfk_samples, jfk_transcript):
    return align(jfk_samples, JFK_SCRIPT, BASE, anchor=jfk_transcript)


def test_jfk_script_times_numbers_punctuation_and_all(jfk_aligned):
    _check_words(jfk_aligned, JFK_SCRIPT)
    words = jfk_aligned.transcript.words
    assert jfk_aligned.mismatches == ()
    by = {w.text: w for w in words}
    # the published pauses: "Americans:" ends before "ask" starts, each word has real duration
    assert by["Americans:"].end_ms <= words[6].start_ms
    assert sum(w.end_ms > w.start_ms for w in words) >= len(words) - 1  # only "--" may be zero-length
    # the utterances follow the script's sentences
    assert jfk_aligned.transcript.utterances[-1].text.endswith("country.")
    assert 9000 < words[-1].end_ms <= 11_000


def test_jfk_words_start_where_the_voice_starts(jfk_aligned, jfk_samples):
    from subpipe.alignment import voiced_frames

    voiced = voiced_frames(jfk_samples)
    words = jfk_aligned.transcript.words
    # after each pause of the speech the next word starts within 2 frames (24 fps) of the voice onset
    for w in words[1:]:
        k = w.start_ms // 10
        if k >= 30 and not voiced[k - 30:k - 5].any():  # 250+ ms of silence before the word
            onset = k + int(np.flatnonzero(voiced[k:])[0]) if voiced[k:].any() else k
            assert abs(onset * 10 - w.start_ms) <= 83, w


def test_an_inserted_sentence_that_is_not_spoken_is_reported(jfk_samples, jfk_transcript):
    inserted = "The weather in Boston was cold and bright that morning."
    script = JFK_SCRIPT.replace("Americans: ", "Americans: " + inserted + " ")
    res = align(jfk_samples, script, BASE, anchor=jfk_transcript)
    _check_words(res, script)
    assert len(res.not_heard) == 1
    m = res.not_heard[0]
    assert m.text == inserted
    words = res.transcript.words
    assert [w.text for w in words[m.first:m.last]] == inserted.split()
    assert all(w.probability == 0 and w.start_ms == w.end_ms for w in words[m.first:m.last])
    assert any("not heard" in n and "Boston" in n for n in res.transcript.notes)
    assert res.stats["aligned_words"] == len(words) - len(inserted.split())


def test_speech_the_script_lacks_is_reported(jfk_samples, jfk_transcript):
    script = "And so, my fellow Americans: ask what you can do for your country."
    res = align(jfk_samples, script, BASE, anchor=jfk_transcript)
    _check_words(res, script)
    assert [m.kind for m in res.mismatches] == ["unscripted"]
    m = res.unscripted[0]
    assert "country can do for you" in m.text.lower()
    assert 2500 < m.start_ms < m.end_ms < 8000


def test_cli_align_writes_the_script_words_and_strict_fails_on_a_mismatch(tmp_path):
    src = shared("jfk/jfk.flac")
    good = tmp_path / "jfk.txt"
    good.write_text(JFK_SCRIPT + "\n", encoding="utf-8")
    out = tmp_path / "jfk.transcript.json"
    r = CliRunner().invoke(cli, ["align", str(src), "--script", str(good), "-o", str(out), "-m", "tiny.en",
                                 "--strict"])
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text(encoding="utf-8"))
    assert [w["text"] for w in d["words"]] == JFK_SCRIPT.split()
    assert d["provenance"]["method"] == "align" and d["provenance"]["alignment"]["mismatches"] == []

    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:00,000 --> 00:00:03,000\nAnd so, my fellow Americans:\n\n"
                   "2\n00:00:03,000 --> 00:00:05,000\nThis line was cut from the speech before it was given.\n\n"
                   "3\n00:00:05,000 --> 00:00:11,000\nask not what your country can do for you\n", encoding="utf-8")
    out2 = tmp_path / "bad.transcript.json"
    r = CliRunner().invoke(cli, ["align", str(src), "--script", str(bad), "-o", str(out2), "-m", "tiny.en",
                                 "--strict"])
    assert r.exit_code == 1
    assert "not heard" in r.output and "cut from the speech" in r.output
    assert not out2.exists()


def test_conform_to_a_cut_keeps_text_and_shifts_by_the_removed_stretch(tmp_path, ffmpeg, jfk_aligned):
    from subpipe.formats import srt
    from subpipe.model import Cue, CueTrack, join_words

    src = shared("jfk/jfk.flac")
    # last week's subtitles, one per phrase, timed to the old cut on 24 fps frames (here from the
    # alignment of the published text to it)
    words = jfk_aligned.transcript.words
    frame = 1000 / 24
    phrases = [words[0:5], words[5:15], words[15:]]
    old = CueTrack.of([Cue(round(round(p[0].start_ms / frame) * frame), round(round(p[-1].end_ms / frame) * frame),
                           (join_words(p),)) for p in phrases])
    assert [c.text for c in old.cues] == ["And so, my fellow Americans:",
                                         "ask not what your country can do for you --",
                                         "ask what you can do for your country."]
    # this week's cut: the middle line's speech removed, from pause to pause
    first, middle, last = old.cues
    cut_a = (phrases[0][-1].end_ms + phrases[1][0].start_ms) / 2000
    cut_b = (phrases[1][-1].end_ms + phrases[2][0].start_ms) / 2000
    removed_ms = round((cut_b - cut_a) * 1000)
    new_media = tmp_path / "jfk_cut.wav"
    run_ffmpeg(ffmpeg, "-i", str(src), "-af",
               f"aselect='not(between(t,{cut_a:.3f},{cut_b:.3f}))',asetpts=N/SR/TB", str(new_media))
    old_srt = tmp_path / "old.srt"
    old_srt.write_text(srt.dumps(old), encoding="utf-8")
    new_srt = tmp_path / "new.srt"
    r = CliRunner().invoke(cli, ["conform", str(old_srt), str(new_media), "-o", str(new_srt), "-m", "base",
                                 "--fps", "24"])
    assert r.exit_code == 0, r.output
    new = srt.loads(new_srt.read_text(encoding="utf-8"))
    assert "cue 2 gone" in r.output
    assert [c.lines for c in new.cues] == [c.lines for k, c in enumerate(old.cues) if k != 1]
    tol = 2 * 1000 / 24
    assert abs(new.cues[0].start_ms - first.start_ms) <= tol
    assert abs(new.cues[0].end_ms - first.end_ms) <= tol
    for c_new, c_old in zip(new.cues[1:], old.cues[2:], strict=True):
        assert abs((c_old.start_ms - c_new.start_ms) - removed_ms) <= tol
        assert abs((c_old.end_ms - c_new.end_ms) - removed_ms) <= tol


@pytest.mark.slow
def test_long_media_is_aligned_window_by_window():
    """About 80 s of speech from ten recordings in a row: the script is spread over several 30 s windows."""
    parts = ["jfk/jfk.flac"] + [f"librispeech/{n}" for n in ("1995-1837-0001.wav", "2412-153948-0000.flac",
                                                             "2412-153948-0001.flac", "61-70968-0000.flac")]
    parts += [f"librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0{n}.wav"
              for n in ("870", "880", "890", "920", "930")]
    pieces, texts, offsets = [], [], []
    t = 0
    gap = np.zeros(16000 // 2, np.float32)
    for p in parts:
        s = _load(shared(p))
        offsets.append((t, t + len(s) * 1000 // 16000))
        pieces += [s, gap]
        t += (len(s) + len(gap)) * 1000 // 16000
        texts.append(shared(p.rsplit(".", 1)[0] + ".txt").read_text(encoding="utf-8").strip())
    samples = np.concatenate(pieces)
    script = "\n\n".join(texts)
    res = align(samples, script, BASE)
    _check_words(res, script)
    assert res.mismatches == ()
    assert res.stats["windows"] >= 3
    words = res.transcript.words
    k = 0
    for (a, b), text in zip(offsets, texts, strict=True):
        n = len(text.split())
        assert a - 100 <= words[k].start_ms <= a + 1500, (text[:30], words[k])
        assert words[k + n - 1].end_ms <= b + 100
        k += n
