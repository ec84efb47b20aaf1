"""Pure parts of alignment and conform: scripts, text matching, windows, numbers, run shifts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subpipe.alignment import (
    MAX_WINDOW_MS,
    ScriptWord,
    _monotonic,
    _Plan,
    _windows,
    match_tokens,
    norm_tokens,
    parse_script,
    voiced_frames,
)
from subpipe.alignment.phones import letter_phones, number_words, spoken_words, year_words
from subpipe.errors import FormatError
from subpipe.model import Cue
from subpipe.subtitling.conform import _no_overlaps, _run_shifts

# isort: off
from strategies import script_texts
# isort: on


# ---------------------------------------------------------------- scripts
def test_plain_text_script_keeps_words_as_written():
    s = parse_script("In 2011, Dr. O'Neil paid $5,000 -- \"really\"?\n\nNext paragraph.")
    assert [w.text for w in s.words] == ["In", "2011,", "Dr.", "O'Neil", "paid", "$5,000", "--", '"really"?',
                                         "Next", "paragraph."]
    assert s.words[-1].group == 1 and s.words[0].group == 0


def test_srt_and_vtt_scripts_group_words_by_cue():
    srt = "1\n00:00:01,000 --> 00:00:02,000\nHello there,\nfriend.\n\n2\n00:00:03,000 --> 00:00:04,000\nBye.\n"
    s = parse_script(srt, "srt")
    assert [(w.text, w.group) for w in s.words] == [("Hello", 0), ("there,", 0), ("friend.", 0), ("Bye.", 1)]
    assert len(s.cues) == 2
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\nA &amp; B\n"
    assert [w.text for w in parse_script(vtt, "vtt").words] == ["A", "&", "B"]


def test_transcript_json_script_keeps_spacing():
    from subpipe.formats import transcript_json
    from subpipe.model import Transcript, Word

    t = Transcript((Word("你", 0, 10, space_before=True), Word("好", 10, 20, space_before=False)), "zh", 20)
    s = parse_script(transcript_json.dumps(t), "transcript")
    assert [(w.text, w.space_before) for w in s.words] == [("你", True), ("好", False)]


def test_bad_scripts_are_format_errors():
    with pytest.raises(FormatError):
        parse_script("not a subtitle file", "srt")
    with pytest.raises(FormatError):
        parse_script("{}", "transcript")


def test_cjk_text_splits_into_characters():
    s = parse_script("今天天气很好。")
    assert [w.text for w in s.words] == ["今", "天", "天", "气", "很", "好。"]
    assert [w.space_before for w in s.words][:2] == [True, False]


# ---------------------------------------------------------------- matching
def test_norm_tokens():
    assert norm_tokens("$5,000") == ["5000"]
    assert norm_tokens("Cold-hearted,") == ["cold", "hearted"]
    assert norm_tokens("I'M") == ["im"] == norm_tokens("I’m")
    assert norm_tokens("--") == []
    assert norm_tokens("50%") == ["50", "percent"]


def test_match_tokens_pairs_alike_words_in_gaps():
    a = "i'm abigail claflin you can call me abbie".split()
    b = "i'm abigail claughlin you can call me abby".split()
    pair = match_tokens(a, b)
    assert pair == [0, 1, 2, 3, 4, 5, 6, 7]
    assert match_tokens(["x", "y"], []) == [None, None]


def test_match_tokens_pairs_every_word_of_a_subsequence_of_repetitive_text():
    """Hypothesis's example: difflib's longest-block-first anchors paired 19 of these 20 words; a longest
    common subsequence pairs them all."""
    a = ("the " * 20 + "a cat the a").split()
    b = [w for k, w in enumerate(a) if k not in {0, 1, 20, 22}]
    pair = match_tokens(a, b)
    seen = [p for p in pair if p is not None]
    assert seen == list(range(len(b)))
    assert all(a[i] == b[j] for i, j in enumerate(pair) if j is not None)


@given(script_texts(), st.data())
@settings(max_examples=60, deadline=None)
def test_match_tokens_is_monotonic_and_exact_on_equal_lists(text, data):
    a = text.lower().split()
    assert match_tokens(a, a) == list(range(len(a)))
    drop = data.draw(st.sets(st.integers(0, max(0, len(a) - 1))))
    b = [w for k, w in enumerate(a) if k not in drop]
    pair = match_tokens(a, b)
    seen = [p for p in pair if p is not None]
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert len(seen) == len(b)


# ---------------------------------------------------------------- windows and times
@given(st.lists(st.tuples(st.integers(0, 3000), st.integers(50, 900)), min_size=1, max_size=120),
       st.sets(st.integers(0, 119)))
@settings(max_examples=80, deadline=None)
def test_windows_cover_every_word_once_in_order_and_fit_whisper(gaps_durs, excluded):
    approx, t = [], 0
    for gap, dur in gaps_durs:
        t += gap
        approx.append((t, t + dur))
        t += dur
    n = len(approx)
    excluded = {x for x in excluded if x < n}
    plan = _Plan(n, approx, excluded, [], [])
    wins = _windows(plan, [3] * n)
    flat = [i for w in wins for i in w.words]
    assert flat == [i for i in range(n) if i not in excluded]
    for w in wins:
        assert 0 <= w.start_ms < w.end_ms
        assert w.end_ms - w.start_ms <= MAX_WINDOW_MS + 1000
    for a, b in zip(wins, wins[1:], strict=False):
        assert a.end_ms <= b.start_ms


def test_windows_respect_the_token_budget():
    approx = [(k * 100, k * 100 + 90) for k in range(300)]
    plan = _Plan(300, approx, set(), [], [])
    wins = _windows(plan, [5] * 300)
    assert all(sum(5 for _ in w.words) <= 400 for w in wins)
    assert [i for w in wins for i in w.words] == list(range(300))


@given(st.lists(st.tuples(st.integers(-500, 20_000), st.integers(-500, 20_000)), min_size=1, max_size=50))
def test_monotonic_times_are_ordered_inside_the_media(times):
    out = _monotonic(times, 10_000)
    assert len(out) == len(times)
    for s, e in out:
        assert 0 <= s <= e <= 10_000
    for (s1, e1), (s2, _) in zip(out, out[1:], strict=False):
        assert s1 <= s2 and e1 <= s2


def test_voiced_frames_finds_a_tone_in_silence():
    sr = 16000
    x = np.zeros(sr * 2, np.float32)
    x[sr // 2: sr] = 0.3 * np.sin(2 * np.pi * 220 * np.arange(sr // 2) / sr)
    v = voiced_frames(x)
    on = np.flatnonzero(v)
    assert abs(on[0] * 10 - 500) <= 10 and abs(on[-1] * 10 - 990) <= 10


# ---------------------------------------------------------------- spoken forms (phone aligner input)
@pytest.mark.parametrize(("written", "spoken"), [
    ("2011", "twenty eleven"),
    ("1961,", "nineteen sixty one"),
    ("2005", "two thousand five"),
    ("$5,000", "five thousand dollars"),
    ("3.5", "three point five"),
    ("21st", "twenty first"),
    ("1960s", "nineteen sixties"),
    ("50%", "fifty percent"),
    ("cold-hearted", "cold hearted"),
    ("--", ""),
    ("O'Neil's", "o'neil's"),
])
def test_spoken_words(written, spoken):
    assert " ".join(spoken_words(written)) == spoken


def test_number_words():
    assert number_words(1_234_567) == "one million two hundred thirty four thousand five hundred sixty seven".split()
    assert year_words(1900) == ["nineteen", "hundred"]
    assert year_words(1905) == ["nineteen", "oh", "five"]


def test_letter_phones_gives_a_plausible_pronunciation():
    assert letter_phones("claflin") == "K L AE F L IH N".split()
    assert letter_phones("Shaw") == ["SH", "AO"]
    assert letter_phones("xyz")  # never empty, always a vowel


# ---------------------------------------------------------------- conform rules
def test_run_shifts_take_the_median_per_run_and_break_at_gone_cues():
    status = ["ok", "ok", "ok", "gone", "ok", "ok", "ok"]
    offsets = [20, -10, 0, None, -4000, -4060, -3990]
    assert _run_shifts(status, offsets, None) == [0, 0, 0, None, -4000, -4000, -4000]


def test_run_shifts_split_on_a_jump_and_snap_to_frames():
    status = ["ok"] * 4
    offsets = [0, 10, 3000, 3010]
    assert _run_shifts(status, offsets, 25.0) == [0, 0, 3000, 3000]
    assert _run_shifts(["ok"], [1010], 25.0) == [1000]


def test_no_overlaps_after_shifting():
    cues = [Cue(0, 2000, ("a",)), Cue(1500, 3000, ("b",))]
    out = _no_overlaps(cues)
    assert out[0].end_ms <= out[1].start_ms


def test_script_word_defaults():
    assert ScriptWord("x").space_before is True


def test_script_language_spots_plain_english_only():
    from subpipe.alignment import script_language

    assert script_language(parse_script("And so, my fellow Americans: ask not what your country can do").words) == "en"
    assert script_language(parse_script("Und so, meine lieben Mitbürger, fragt nicht").words) is None
    assert script_language(parse_script("今天天气很好").words) is None
