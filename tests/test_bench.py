"""The benchmark's scorer (bench/scoring.py): normalisation, WER/CER and reference rules. No transcription."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"subpipe_bench_{name}", ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


scoring = _load("scoring")


def test_normaliser_makes_written_and_spoken_forms_comparable():
    a = scoring.normalize_english("Mr. Smith's 2 dogs!")
    b = scoring.normalize_english("mister smith's two dogs")
    assert a == b
    assert scoring.wer("Mr. Smith's 2 dogs!", "mister smith's two dogs") == 0.0


def test_normaliser_ignores_case_punctuation_fillers_and_markup():
    ref = "uh so this is the SICK corpus, um [adif] <VOCNOISE> okay"
    assert scoring.normalize_english(ref) == "so this is the sick corpus okay"


def test_identical_strings_score_zero():
    text = "And so, my fellow Americans: ask not what your country can do for you"
    assert scoring.score(text, text, "en") == scoring.ErrorCount(ref_len=14)
    assert scoring.wer(text, text) == 0.0


def test_one_substitution_is_one_over_n():
    ref = "the quick brown fox jumps over the lazy dog"
    c = scoring.word_errors(ref, "the quick brown cat jumps over the lazy dog")
    assert (c.substitutions, c.deletions, c.insertions, c.ref_len) == (1, 0, 0, 9)
    assert c.rate == pytest.approx(1 / 9)


def test_deletions_insertions_and_empty_hypothesis():
    c = scoring.word_errors("a b c d", "a c d e f")
    assert (c.deletions, c.insertions) == (1, 2) and c.rate == pytest.approx(3 / 4)
    empty = scoring.word_errors("a b c", "")
    assert (empty.deletions, empty.rate) == (3, 1.0)
    assert scoring.word_errors("", "").rate == 0.0
    assert scoring.word_errors("", "x").rate == float("inf")


def test_pooled_rate_is_errors_over_all_reference_words():
    counts = [scoring.word_errors("a b", "a x"), scoring.word_errors("c d e f g h", "c d e f g h")]
    assert scoring.total(counts).rate == pytest.approx(1 / 8)  # not the mean of 1/2 and 0


def test_mandarin_is_scored_by_character_without_punctuation_or_spaces():
    ref = "广州市房地产中介协会分析"
    assert scoring.score(ref, "广州市房地产，中介协会 分析。", "zh").rate == 0.0
    c = scoring.score(ref, "广州市房地产中介协会分折", "zh")
    assert (c.substitutions, c.ref_len) == (1, 12)


def test_traditional_characters_count_as_their_simplified_form_unless_asked_not_to():
    ref = "广州市房地产中介协会分析"
    hyp = "廣州市房地產中介協會分析"
    assert scoring.score(ref, hyp, "zh").rate == 0.0
    assert scoring.score(ref, hyp, "zh", simplify=False).substitutions == 4  # 廣 產 協 會


def test_reference_fixes_apply_only_to_their_corpus():
    hyp = "we're just, you know, there"
    ref = "we're just yknow there"
    assert scoring.score(ref, hyp, "en", "mfa_spontaneous").rate == 0.0
    assert scoring.score(ref, hyp, "en", "jfk").errors > 0


def test_read_reference_joins_channel_texts_in_name_order(tmp_path):
    (tmp_path / "talk.ch0_a.txt").write_text("first speaker\n", encoding="utf-8")
    (tmp_path / "talk.ch1_b.txt").write_text("second speaker\n", encoding="utf-8")
    (tmp_path / "solo.txt").write_text(" just one \n", encoding="utf-8")
    assert scoring.read_reference(tmp_path / "talk.wav") == "first speaker second speaker"
    assert scoring.read_reference(tmp_path / "solo.wav") == "just one"
    with pytest.raises(FileNotFoundError):
        scoring.read_reference(tmp_path / "missing.wav")


def test_timing_bench_takes_a_misheard_first_word_beside_the_matched_one():
    bt = _load("bench_timing")
    # "The Quiet Frequency" heard as "A quiet frequency": ref 0 unmatched, refs 1-2 -> hyp 5-6
    m = {1: [5], 2: [6]}
    assert bt._edge_word(m, {5, 6}, 0, 2, +1) == 4
    assert bt._edge_word(m, {5, 6}, 2, 0, -1) == 6
    # the word beside it belongs to another span: no guess
    assert bt._edge_word(m, {4, 5, 6}, 0, 2, +1) is None
    s = bt.summary([-100.0, 10.0, 30.0], [-50.0, 100.0])
    assert s["in_early"] == 1 and s["in_median"] == 30.0 and s["out_before"] == 1
