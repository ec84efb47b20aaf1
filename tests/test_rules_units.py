"""Profiles, line breaking, segmentation and timing, rule by rule."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from subpipe.errors import SubpipeError
from subpipe.model import Transcript, Utterance, Word
from subpipe.subtitling.cues import make_cues
from subpipe.subtitling.linebreak import (
    FORBIDDEN,
    boundary_penalty,
    break_lines,
    pair_cost,
    pair_costs,
    two_line_splits,
    word_code,
)
from subpipe.subtitling.profiles import COMMON_FPS, PROFILES, get_profile, load_profile
from subpipe.subtitling.segment import segment, word_arrays
from subpipe.subtitling.timing import frames_to_ms_np, ms_to_frames_np, time_arrays
from subpipe.timecode import FrameRate, frame_containing, frames_to_ms

from strategies import VOCAB

# ---------------------------------------------------------------- profiles


def test_builtin_profiles_cite_sources_and_numbers():
    assert set(PROFILES) == {"netflix-en", "netflix-en-children", "bbc", "dcmp", "web"}
    for p in PROFILES.values():
        assert p.source
    n = PROFILES["netflix-en"]
    numbers = (n.max_chars_per_line, n.max_lines, n.max_cps, n.min_duration_ms, n.max_duration_ms)
    assert numbers == (42, 2, 20, 833, 7000)
    assert PROFILES["netflix-en-children"].max_cps == 17
    assert PROFILES["bbc"].max_chars_per_line == 37 and PROFILES["bbc"].max_linger_ms == 1500
    assert PROFILES["dcmp"].max_chars_per_line == 32 and PROFILES["dcmp"].min_duration_ms == 2000
    assert PROFILES["dcmp"].charset == "cea608"


@pytest.mark.parametrize(("fps", "chain", "min_dur", "max_dur"), [
    ("23.976", 12, 20, 167), ("24", 12, 20, 168), ("25", 12, 21, 175), ("29.97df", 15, 25, 209),
    ("30", 15, 25, 210), ("50", 25, 42, 350), ("59.94", 30, 50, 419),
])
def test_frame_limits_per_rate(fps, chain, min_dur, max_dur):
    p = get_profile("netflix-en", fps)
    assert (p.chain_gap_frames, p.min_duration_frames, p.max_duration_frames) == (chain, min_dur, max_dur)
    assert p.min_gap_frames == 2
    assert frames_to_ms(p.min_duration_frames, p.fps) >= 833 - 1


def test_common_fps_all_parse():
    for f in COMMON_FPS:
        assert get_profile("web", f).fps.rate > 0
    assert get_profile("web", "29.97df").fps.drop_frame


def test_language_variants():
    zh = get_profile("netflix-en").for_language("zh-CN")
    assert (zh.max_chars_per_line, zh.count_spaces, zh.language) == (16, False, "zh")
    assert get_profile("netflix-en").for_language("ja").max_chars_per_line == 13
    assert get_profile("netflix-en").for_language("en").count_spaces


def test_toml_profiles(tmp_path):
    p = tmp_path / "house.toml"
    p.write_text('base = "bbc"\nmax_chars_per_line = 40\nfps = "25"\n'
                 '[[scripts]]\nlanguage = "zh"\nmax_chars_per_line = 14\nmax_cps = 8.0\n')
    prof = load_profile(p)
    assert prof.name == "house" and prof.max_chars_per_line == 40 and prof.max_cps == PROFILES["bbc"].max_cps
    assert str(prof.fps) == "25" and prof.for_language("zh").max_chars_per_line == 14
    assert get_profile(str(p), "24").fps.rate == 24
    full = tmp_path / "full.toml"
    full.write_text("max_chars_per_line = 30\nmax_lines = 2\nmax_cps = 15\nmin_duration_ms = 1000\n"
                    "max_duration_ms = 6000\nmin_gap_frames = 2\nchain_gap_ms = 500\nmax_linger_ms = 500\n")
    assert load_profile(full).max_chars_per_line == 30
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "netflix-en"\nmax_chars = 40\n')
    with pytest.raises(SubpipeError, match="unknown profile field"):
        load_profile(bad)
    bad.write_text("max_lines = 2\n")
    with pytest.raises(SubpipeError, match="incomplete profile"):
        load_profile(bad)
    bad.write_text('base = "netflix-en"\nmax_cps = 0\n')
    with pytest.raises(SubpipeError, match="max_cps"):
        load_profile(bad)
    with pytest.raises(SubpipeError, match="unknown profile"):
        get_profile("netflix-xx")


# ---------------------------------------------------------------- line breaking
def test_break_penalties_follow_netflix():
    assert boundary_penalty("country.", "Ask") == 0
    assert boundary_penalty("you,", "ask") == 1
    assert boundary_penalty("house", "and") < boundary_penalty("house", "stood")
    for left, right in [("the", "house"), ("John", "Smith"), ("Mr.", "Jones"), ("5", "million"),
                        ("1,000", "percent"), ("we", "think"), ("will", "go"), ("do", "not"),
                        ("twenty", "five")]:
        assert boundary_penalty(left, right) >= FORBIDDEN, (left, right)
    assert boundary_penalty("Mr.", "Jones") > 0  # a title is not a sentence end
    assert word_code("no.") & 1  # ... but "No." is


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(VOCAB + ["Hello", "end.", "it's", "%"]), min_size=2, max_size=40))
def test_vector_penalties_equal_scalar(words):
    codes = np.asarray([word_code(w) for w in words])
    vec = pair_costs(codes[:-1], codes[1:])
    scalar = [pair_cost(word_code(a), word_code(b)) for a, b in zip(words, words[1:], strict=False)]
    assert vec.tolist() == scalar


def test_break_lines_prefers_punctuation_and_bottom_heavy():
    lines = break_lines("And so, my fellow Americans, ask not what your country can do".split(), 42, 2)
    assert lines == ("And so, my fellow Americans,", "ask not what your country can do")
    assert break_lines("a b c".split(), 1, 2) is None
    assert break_lines(["x" * 50], 42, 2) == ("x" * 50,)
    assert break_lines(["short", "x" * 50], 42, 2) == ("short", "x" * 50)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(VOCAB), min_size=2, max_size=16), st.integers(10, 42))
def test_two_line_splits_match_general_breaker(words, width):
    toks = [w for w in words]
    a = word_arrays([Word(t, 0, 0) for t in toks])
    k = two_line_splits(np.array([0]), np.array([len(toks)]), a.prefix, a.gaps, a.bcost, width)[0]
    general = break_lines(toks, width, 2)
    assume(a.chars(0, len(toks)) > width)
    if general is None:
        assert k == -1
    else:
        assert k > 0
        assert (" ".join(toks[:k]), " ".join(toks[k:])) == general


# ---------------------------------------------------------------- segmentation
def _words(spec: str, step: int = 300, pause_after: dict[int, int] | None = None) -> list[Word]:
    out, t = [], 0
    for k, w in enumerate(spec.split()):
        out.append(Word(w, t, t + step - 50))
        t += step + (pause_after or {}).get(k, 0)
    return out


def _texts(words, groups):
    return [" ".join(w.text for w in words[i:j]) for i, j in groups]


def test_segment_breaks_at_sentences_and_keeps_words():
    ws = _words("I went to the house yesterday. It was closed, so I came back home again later that day.")
    groups = segment(ws, get_profile("netflix-en"))
    assert groups[0] == (0, 6)  # the first sentence is a cue of its own
    assert [k for g in groups for k in range(*g)] == list(range(len(ws)))


def test_segment_never_splits_numbers_and_names_when_avoidable():
    text = "we paid about 5 million dollars to John Smith and the company for the rights to the old house"
    prof = get_profile("netflix-en")
    ws = _words(text, step=150)
    cues = _texts(ws, segment(ws, prof))
    assert len(cues) >= 2
    for c in cues:
        assert not c.endswith(("5", "John", "the", "to")), cues


def test_segment_merges_fragments_that_would_flash():
    # "Yes." alone would have 250 ms before the next word: it joins its neighbour
    ws = [Word("Okay,", 0, 200), Word("yes.", 250, 400), Word("We", 450, 600), Word("go", 650, 800),
          Word("now.", 850, 1100)]
    groups = segment(ws, get_profile("netflix-en"))
    assert groups == [(0, 5)]


def test_segment_hard_breaks_at_long_pauses_and_speakers():
    ws = _words("one two three four five six", pause_after={2: 2000})
    assert segment(ws, get_profile("netflix-en")) == [(0, 3), (3, 6)]
    ws = _words("one two three four five six")
    utts = (Utterance(tuple(ws[:2]), "en", "A"), Utterance(tuple(ws[2:]), "en", "B"))
    t = Transcript(tuple(ws), "en", 0, utts)
    track = make_cues(t, get_profile("netflix-en"))
    assert [len(c.words) for c in track.cues] == [2, 4]


def test_segment_splits_for_max_duration():
    ws = [Word(f"w{k}", k * 1000, k * 1000 + 900) for k in range(12)]  # 12 s of slow speech, few chars
    groups = segment(ws, get_profile("netflix-en"))
    assert all(ws[j - 1].end_ms - ws[i].start_ms <= 7000 for i, j in groups)


# ---------------------------------------------------------------- timing
@pytest.mark.parametrize("fps", ["23.976", "24", "25", "29.97", "30", "50", "59.94"])
def test_vector_frame_conversions_match_timecode(fps):
    fr = FrameRate.parse(fps)
    frames = np.arange(0, 200_000, 7)
    assert frames_to_ms_np(frames, fr).tolist() == [frames_to_ms(int(f), fr) for f in frames]
    ms = np.arange(0, 100_000, 13)
    assert ms_to_frames_np(ms, fr).tolist() == [frame_containing(int(m), fr) for m in ms]


def _time(spans, prof, media_end=None, cuts=None):
    s, e, c = (np.asarray(x) for x in zip(*spans, strict=True))
    a, b = time_arrays(s, e, c, prof, media_end, cuts)
    return list(zip(a.tolist(), b.tolist(), strict=True))


def test_timing_min_duration_reading_speed_and_chaining():
    prof = get_profile("netflix-en", "24")
    f = lambda n: frames_to_ms(n, prof.fps)  # noqa: E731
    # a short word is held for the minimum duration; a long text for its reading time
    (a, b), (c, d) = _time([(1000, 1200, 3), (5000, 5500, 60)], prof)
    assert (a, b) == (1000, 1000 + 833) and d - c >= 3000
    # a gap of 6 frames is chained down to 2
    [(a, b), (c, d)] = _time([(f(0), f(30), 10), (f(36), f(60), 10)], prof)
    assert (b, c) == (f(34), f(36))
    # blocked by the next cue: as long as the gap allows, the next in-time 2 frames late (Netflix accepts
    # 1-2 frames off the first frame of speech), and no longer
    [(a, b), (c, d)] = _time([(f(0), f(5), 3), (f(10), f(40), 10)], prof)
    assert (a, b, c) == (0, f(10), f(12))
    strict = replace(prof, in_time_tolerance_frames=0)
    assert _time([(f(0), f(5), 3), (f(10), f(40), 10)], strict)[0][1] == f(8)


def test_timing_lead_for_bbc():
    prof = get_profile("bbc", "25")
    [(a, b), (c, d)] = _time([(5000, 5200, 3), (5500, 6000, 5)], prof)
    assert a < 5000 and b - a >= 1000 - 1 and c - b >= 80 - 1  # the in-time came early to give 1 s


def test_timing_shot_changes():
    prof = get_profile("netflix-en", "24")
    f = lambda n: frames_to_ms(n, prof.fps)  # noqa: E731
    cut = f(100)
    # speech 5 frames before a cut starts on it; 10 frames before starts 12 before it
    assert _time([(f(95), f(140), 10)], prof, cuts=[cut])[0][0] == cut
    assert _time([(f(90), f(140), 10)], prof, cuts=[cut])[0][0] == f(88)
    # an out-time 4 frames before a cut ends 2 frames before it
    assert _time([(f(40), f(96), 10)], prof, cuts=[cut])[0][1] == f(98)
    # web has no shot-change rules
    assert _time([(f(95), f(140), 10)], get_profile("web", "24"), cuts=[cut])[0][0] == f(95)


def test_timing_media_end():
    prof = get_profile("netflix-en", "24")
    [(a, b)] = _time([(1000, 1100, 3)], prof, media_end=1500)
    assert b == 1500 and a == frames_to_ms(24 - 2, prof.fps)  # 2 frames early towards the minimum duration
