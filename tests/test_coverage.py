"""Issue 25, nothing lost: speech no word covers is decoded again on its own, and what stays without words is
reported (coverage.py, engine.refill). The real-speech test failed on 78ecf29 (103 words batched, 148
sequential on the 100 s AAC cut)."""

from __future__ import annotations

import pytest

from subpipe.asr import coverage
from subpipe.asr.guards import Segment
from subpipe.model import Dropped, SoundEvent, Word

from conftest import shared

GAP_FILE = "regressions/batched_gap_100s.flac"


def w(text: str, a: int, b: int) -> Word:
    return Word(text, a, b)


# ------------------------------------------------------------------ the rule, on hand-made times
def test_uncovered_speech_before_between_and_after_the_words():
    speech = [(0, 12_000), (20_000, 21_500)]
    words = [w("one", 5_000, 5_500), w("two", 5_600, 6_000), w("three", 9_000, 9_400)]
    big, small = coverage.gaps(speech, words, 0, 30_000)
    # before the first word, between two words, after the last: each its own stretch, audio up to the words
    assert [(g.start_ms, g.end_ms, g.speech_ms) for g in big] == [
        (0, 4_600, 4_600), (6_400, 8_600, 2_200), (9_800, 21_500, 2_200 + 1_500)]
    assert [(g.lo, g.hi) for g in big] == [(0, 5_000), (6_000, 9_000), (9_400, 22_500)]
    assert small == []
    # under the threshold: not decoded again, kept apart as short
    big, small = coverage.gaps([(0, 6_500)], words[:2], 0, 30_000, min_ms=5_000)
    assert big == [] and small == [(0, 4_600), (6_400, 6_500)]
    # a word stretched over 6 s covers its ends, not the speech in its middle
    big, _ = coverage.gaps([(0, 8_000)], [w("so", 1_000, 7_000)], 0, 8_000)
    assert [(g.start_ms, g.end_ms) for g in big] == [(2_400, 5_600)]
    # a range cuts the speech: nothing outside it counts (0.2 s left after the last word: short)
    big, small = coverage.gaps(speech, words, 0, 10_000)
    assert big[-1].end_ms == 8_600 and small == [(9_800, 10_000)]


def test_words_decoded_again_join_without_duplicating_the_context():
    existing = [w("If", 10_000, 10_200), w("the", 10_250, 10_400)]
    found = [w("ask", 8_000, 8_300), w("not", 8_350, 8_600), w("If", 10_010, 10_190), w("early", 5_000, 5_100)]
    kept = coverage.new_words(found, existing, 6_000, 10_000)
    assert [x.text for x in kept] == ["ask", "not"]  # "If" is there already, "early" outside the range

    asked = []

    def decode(lo, hi):
        asked.append((lo, hi))
        return [Segment(tuple(found))]

    segs = [Segment(tuple(existing))]
    out, redone = coverage.fill(segs, [(7_000, 10_300)], 0, 20_000, decode)
    assert asked == [(6_000, 10_000)] and len(redone) == 1
    assert [x.text for sg in out for x in sg.words] == ["ask", "not", "If", "the"]


def test_report_gives_every_uncovered_second_a_reason():
    speech = [(0, 3_000), (5_000, 9_000), (12_000, 12_500)]
    kept = [w("a", 0, 1_000), w("b", 1_000, 2_000), w("c", 2_000, 3_000)]
    gone = [Dropped("la", 5_000, 6_000, "repetition", "")]
    redone = [coverage.Gap(6_400, 9_000, 2_600, 6_000, 9_000)]
    cov = coverage.report(speech, kept, gone, redone, 0, 20_000)
    assert cov.speech_ms == 7_500 and cov.with_words_ms == 3_000
    assert cov.dropped_ms == {"guard": 1_400, "no words": 2_600, "short": 500}
    assert cov.speech_ms == cov.with_words_ms + sum(cov.dropped_ms.values())  # every second accounted for
    assert cov.dropped == [{"start_ms": 6_400, "end_ms": 9_000, "speech_ms": 2_600, "reason": "no words",
                            "detail": "decoded again on its own: still no words"}]
    line = cov.summary()
    assert "speech 7.5 s, 3.0 s with words, 2.6 s decoded again, 4.5 s without words" in line
    assert coverage.describe(cov.to_dict()) == line
    # the same stretch under music the sound detector found: its reason says so
    cov = coverage.report(speech, kept, gone, redone, 0, 20_000)
    d = cov.to_dict([SoundEvent("music", 6_000, 9_500)])
    assert d["dropped_s"] == {"guard": 1.4, "music": 2.6, "short": 0.5}
    assert d["dropped"][0]["reason"] == "music"


# ------------------------------------------------------------------ real speech, the 100 s AAC cut
@pytest.fixture(scope="module")
def gap_runs():
    """batched_gap_100s.flac with `base` through the batched engine, the sequential engine, and the batched
    engine with its blocks decoded as a Ray actor decodes them (raysplit.decode_block, no Ray needed)."""
    from subpipe.asr.longform import BLOCK_RUNNER
    from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio
    from subpipe.audio import media
    from subpipe.jobs.raysplit import block_audio, decode_block

    x = media.extract_audio(shared(GAP_FILE)).samples
    batched = transcribe_audio(x, TranscribeOptions(model="base", engine="batched"))
    sequential = transcribe_audio(x, TranscribeOptions(model="base", engine="sequential"))

    def actor(source, groups, spec):
        for g in groups:
            yield decode_block(spec, g, block_audio(source, g))

    token = BLOCK_RUNNER.set(actor)
    try:
        split = transcribe_audio(x, TranscribeOptions(model="base", engine="batched"))
    finally:
        BLOCK_RUNNER.reset(token)
    # the batched windows as they were on 78ecf29 (text only, no timestamp tokens; digital silence kept): the
    # window at 61.6-89.5 s loses its speech before its last words
    from subpipe.asr import longform

    was = longform.BATCHED_TIMESTAMPS, longform.CUT_SILENCE
    longform.BATCHED_TIMESTAMPS = longform.CUT_SILENCE = False
    try:
        text_only = transcribe_audio(x, TranscribeOptions(model="base", engine="batched"))
    finally:
        longform.BATCHED_TIMESTAMPS, longform.CUT_SILENCE = was
    return batched, sequential, split, text_only


def test_batched_keeps_the_sequential_words_on_the_gap_cut(gap_runs):
    batched, sequential, _, text_only = gap_runs
    assert len(sequential.words) > 140
    for run in (batched, text_only):
        assert run.provenance["decoder"]["engine"] == "batched"
        assert len(run.words) >= 0.97 * len(sequential.words), (len(run.words), len(sequential.words))
        # the stretch 62-86 s the batched window lost (a TIMIT sentence, JFK) is there
        text = " ".join(x.text.lower() for x in run.words if 61_000 <= x.start_ms < 86_000)
        assert "abby" in text and "your country" in text


def test_the_coverage_report_says_what_was_decoded_again(gap_runs):
    """The old batched windows lose 62-86 s and the re-decode brings it back; the default windows (timestamp
    tokens: Whisper keeps its place through the pauses) lose nothing there, so nothing is decoded again."""
    batched, _, _, text_only = gap_runs
    cov = text_only.provenance["decoder"]["coverage"]
    assert cov["redecoded_s"] >= 10 and cov["recovered_s"] >= 0.9 * cov["redecoded_s"]
    assert batched.provenance["decoder"]["coverage"]["redecoded_s"] < 2
    for run in (batched, text_only):
        cov = run.provenance["decoder"]["coverage"]
        assert cov["speech_s"] > 40
        # what has no words: stretches under a second (breaths, word tails) and a guard's drop (1.0-1.8 s here)
        assert cov["with_words_s"] >= 0.95 * cov["speech_s"]
        assert set(cov["dropped_s"]) <= {"short", "guard"}
        gone = sum(cov["dropped_s"].values())
        assert abs(cov["speech_s"] - cov["with_words_s"] - gone) <= 0.2  # every second has words or a reason
        assert cov["dropped"] == []  # nothing of 1 s or more left without words: no note
        assert not any("has no words" in n for n in run.notes)


def test_a_ray_split_decode_recovers_the_same_words(gap_runs):
    """The coverage check runs on the driver after the blocks come back, so a split file gets it too, with
    the same words and times (and -j workers run the same transcribe_audio)."""
    batched, _, split, _ = gap_runs
    assert split.words == batched.words
    assert split.provenance["decoder"]["coverage"] == batched.provenance["decoder"]["coverage"]


def test_a_short_file_on_the_sequential_path_gets_the_report_too(jfk_transcript):
    """JFK (11 s, in memory, sequential): every second of its speech has words; the report says so."""
    cov = jfk_transcript.provenance["decoder"]["coverage"]
    assert jfk_transcript.provenance["decoder"]["engine"] == "sequential"
    assert 6 < cov["speech_s"] < 11
    assert cov["with_words_s"] >= 0.95 * cov["speech_s"] and cov["redecoded_stretches"] == 0
    assert cov["dropped"] == []
