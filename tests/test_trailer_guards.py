"""The hallucination guards and the language rules as pure functions: examples and properties."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from subpipe.asr.guards import (
    Segment,
    SpeechMap,
    apply_guards,
    collapse_word_loops,
    find_word_loops,
    is_sound_label,
    phantom_rule,
)
from subpipe.asr.languages import assign_languages, language_runs, subtitle_view
from subpipe.formats import transcript_json as tj
from subpipe.model import Dropped, Transcript, Word
from subpipe.utterances import build_utterances

from strategies import timed_words


def ws(text: str, start: int = 0, step: int = 300, language: str | None = None) -> tuple[Word, ...]:
    return tuple(Word(t, start + k * step, start + k * step + max(step - 50, step // 2), language=language)
                 for k, t in enumerate(text.split()))


def speech(on: list[tuple[int, int]], total_ms: int = 60_000) -> SpeechMap:
    probs = np.zeros(total_ms // 32 + 1, dtype=np.float32)
    for a, b in on:
        probs[a // 32:b // 32 + 1] = 0.95
    return SpeechMap(probs)


# ---------------------------------------------------------------- examples
def test_stock_phrases_recognised_and_ordinary_lines_not():
    assert phantom_rule("Thank you for watching!") == "thank you for watching"
    assert phantom_rule(" Subtitles by the Amara.org community") == "subtitles by…"
    assert phantom_rule("字幕由Amara.org社区提供") is not None
    assert phantom_rule("谢谢观看。") is not None
    assert phantom_rule("Thank you for the watch you gave me") is None
    assert phantom_rule("He began a confused complaint.") is None
    assert is_sound_label("[Music]") and is_sound_label("(upbeat music)") and is_sound_label("♪ ♪")
    assert not is_sound_label("Music is my life.")


def test_phantom_dropped_over_music_kept_over_speech():
    segs = [Segment(ws("Thank you for watching.", 1000)), Segment(ws("Thank you for watching.", 20_000))]
    res = apply_guards(segs, speech([(19_900, 21_500)]))
    assert [w.text for w in res.words] == ["Thank", "you", "for", "watching."]
    assert res.words[0].start_ms == 20_000
    assert [d.reason for d in res.dropped] == ["phantom"] * 4
    assert all(d.start_ms < 2500 for d in res.dropped)
    assert "stock phrase" in res.dropped[0].detail


def test_no_speech_segment_with_low_confidence_dropped():
    invented = Segment(ws("Thank you very much for joining us today.", 30_000), avg_logprob=-0.99,
                       no_speech_prob=0.85)
    real = Segment(ws("He began a confused complaint.", 10_000), avg_logprob=-0.3, no_speech_prob=0.02)
    res = apply_guards([real, invented], speech([(9_900, 11_500)]))
    assert [w.text for w in res.words] == ["He", "began", "a", "confused", "complaint."]
    assert {d.reason for d in res.dropped} == {"no-speech"}
    # a confident segment is kept even where the VAD heard little (VAD misses happen under loud music)
    confident = Segment(ws("Run to the car now.", 40_000), avg_logprob=-0.2)
    assert len(apply_guards([confident], speech([])).words) == 5


LOOP = "and then we went back to the house " * 6


def test_sound_labels_and_compression_dropped():
    # a segment whose own text loops, squeezed into 40 ms a word: the audio cannot carry it
    res = apply_guards([Segment(ws("[Music]", 0)), Segment(ws(LOOP, 5000, step=40), compression_ratio=3.1)],
                       speech([(0, 60_000)]))
    assert res.words == ()
    assert [d.reason for d in res.dropped] == ["sound-label"] + ["compression"] * 48


def test_compression_judges_the_segment_not_the_window():
    # faster-whisper gives every segment of a 30 s window the window's ratio: a line said twice there has 2.6
    line = "He began a confused complaint against the wizard who had vanished behind the curtain."
    segs = [Segment(ws(line, 1000), compression_ratio=2.6), Segment(ws(line, 6000), compression_ratio=2.6)]
    res = apply_guards(segs, speech([(900, 11_000)]))
    assert len(res.words) == 28 and not res.dropped
    # the same line twice inside one segment, said at a speaking pace over speech: kept too
    one = apply_guards([Segment(ws(line + " " + line, 1000))], speech([(900, 10_000)]))
    assert len(one.words) == 28 and not one.dropped
    # a loop over music (no speech under it) is dropped, whole
    loop = apply_guards([Segment(ws(LOOP, 20_000))], speech([(900, 11_000)]))
    assert loop.words == () and {d.reason for d in loop.dropped} == {"compression"}


def test_repeated_lines_keep_the_first():
    line = "We need to talk."
    segs = [Segment(ws(line, k * 2000)) for k in range(4)]
    res = apply_guards(segs, speech([(0, 1500)]))  # only the first is heard
    assert [w.text for w in res.words] == line.split()
    assert len(res.dropped) == 12 and {d.reason for d in res.dropped} == {"repetition"}
    two = apply_guards(segs[:2], speech([(0, 60_000)]))  # said twice is speech, not a loop
    assert len(two.words) == 8 and not two.dropped
    # said four times, with speech under every copy (a chant, a tagline): nothing dropped
    chant = apply_guards(segs, speech([(0, 60_000)]))
    assert len(chant.words) == 16 and not chant.dropped


def test_word_loops_keep_copies_the_audio_carries():
    words = ws("hey hey ho ho hey hey ho ho hey hey ho ho")
    kept, dropped = collapse_word_loops(words, speech=speech([(0, 60_000)]))
    assert len(kept) == 12 and dropped == []
    squeezed = ws("hey hey ho ho") + ws("hey hey ho ho hey hey ho ho", 1200, step=20)
    kept, dropped = collapse_word_loops(squeezed, speech=speech([(0, 60_000)]))
    assert [w.text for w in kept] == ["hey", "hey", "ho", "ho"] and len(dropped) == 8


def test_word_loops_collapse():
    words = ws("I said no no no no no no no no and then the cat the cat the cat the cat sat")
    kept, dropped = collapse_word_loops(words)
    assert " ".join(w.text for w in kept) == "I said no and then the cat sat"
    assert len(dropped) == 7 + 6
    assert " ".join(w.text for w in ws("no, no, no.")) == "no, no, no."
    assert find_word_loops(ws("no, no, no.")) == []  # three single words: speech


# ---------------------------------------------------------------- properties
segments_strategy = st.lists(
    st.builds(lambda words, lp, ns, cr: Segment(tuple(words), lp, ns, cr), timed_words(max_size=12),
              st.floats(-2, 0), st.floats(0, 1), st.floats(0.5, 3.5)),
    max_size=8,
)


def _speech_strategy():
    return st.lists(st.tuples(st.integers(0, 60_000), st.integers(0, 5000)), max_size=6).map(
        lambda spans: speech([(a, a + d) for a, d in spans], 80_000))


@settings(max_examples=80, deadline=None)
@given(segments_strategy, _speech_strategy())
def test_every_word_is_kept_or_recorded_never_both(segs, sp):
    res = apply_guards(segs, sp)
    everything = Counter((w.text, w.start_ms, w.end_ms) for s in segs for w in s.words)
    kept = Counter((w.text, w.start_ms, w.end_ms) for w in res.words)
    gone = Counter((d.text, d.start_ms, d.end_ms) for d in res.dropped)
    assert kept + gone == everything
    order = [w for s in segs for w in s.words]
    it = iter(order)
    assert all(any(w is x for x in it) for w in res.words)  # kept words stay in their order
    assert all(d.reason and d.detail for d in res.dropped)


@settings(max_examples=80, deadline=None)
@given(timed_words(max_size=60))
def test_loop_collapse_is_idempotent_and_leaves_no_loop(words):
    kept, dropped = collapse_word_loops(words)
    assert len(kept) + len(dropped) == len(words)
    assert find_word_loops(kept) == []
    again, more = collapse_word_loops(kept)
    assert again == kept and more == []


@given(st.lists(st.text("abcdefghij", min_size=1, max_size=8), unique=True, max_size=30))
def test_text_without_repeats_is_untouched(texts):
    words = [Word(t, k * 100, k * 100 + 80) for k, t in enumerate(texts)]
    res = apply_guards([Segment(tuple(words))] if words else [], speech([(0, 60_000)]))
    assert list(res.words) == words and not res.dropped


# ---------------------------------------------------------------- languages
def test_assign_languages_merges_and_lends_short_regions_a_neighbour():
    regions = [
        (0, 3000, {"en": 0.9, "zh": 0.05}),
        (3300, 3700, {"ja": 0.6, "zh": 0.3}),  # 0.4 s: too short to trust
        (4000, 8000, {"en": 0.95}),
        (9000, 13_000, {"zh": 0.8, "ja": 0.15}),
    ]
    spans = assign_languages(regions)
    assert [(s.start_ms, s.end_ms, s.language) for s in spans] == [(0, 8000, "en"), (9000, 13_000, "zh")]
    # candidates: only the languages known to be in the film count
    spans = assign_languages([(0, 3000, {"ja": 0.5, "zh": 0.4, "en": 0.1})], candidates=("en", "zh"))
    assert spans[0].language == "zh" and spans[0].probability == 0.8


@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 6000),
                          st.dictionaries(st.sampled_from(["en", "zh", "ja", "fr"]), st.floats(0.01, 1), min_size=1)),
                max_size=10))
def test_language_spans_cover_regions_in_order(raw):
    regions, t = [], 0
    for gap, dur, probs in raw:
        regions.append((t + gap, t + gap + dur, probs))
        t += gap + dur
    spans = assign_languages(regions)
    assert all(a.end_ms <= b.start_ms for a, b in zip(spans, spans[1:], strict=False))
    assert all(a.language != b.language for a, b in zip(spans, spans[1:], strict=False))
    if regions:
        assert spans[0].start_ms == regions[0][0] and spans[-1].end_ms == regions[-1][1]
        for a, b, _ in regions:
            assert sum(s.start_ms <= a and b <= s.end_ms for s in spans) == 1


def test_language_runs_and_subtitle_view():
    en = ws("we came to see him", 0, language="en")
    zh = ws("我们 来 看 他", 2000, language="zh")
    translation = tuple(Word(t, 2000 + k * 200, 2150 + k * 200, language="en")
                        for k, t in enumerate("we came to see".split()))
    words = en + zh
    t = Transcript(words, "en", 5000, build_utterances(words, "en"), translation=translation)
    assert [(lang, len(run)) for lang, run in language_runs(words, "en")] == [("en", 5), ("zh", 4)]
    view = subtitle_view(t)
    assert [w.text for w in view.words] == "we came to see him we came to see".split()
    assert subtitle_view(Transcript(words, "en", 5000)).words == tuple(words)  # no translation: the words as they are


# ---------------------------------------------------------------- JSON
def test_transcript_json_keeps_dropped_translation_and_word_language():
    words = ws("hello there", 0, language="en") + ws("你好", 1000, language="zh")
    t = Transcript(words, "en", 3000, build_utterances(words, "en"), ("a note",), {"tool": "subpipe"},
                   dropped=(Dropped("Thank", 2000, 2100, "phantom", "stock phrase over music"),),
                   translation=(Word("Hello", 1000, 1200, language="en"),))
    text = tj.dumps(t)
    back = tj.loads(text)
    assert back == t
    d = json.loads(text)
    assert d["schema_version"] == 1
    assert d["dropped"][0] == {"text": "Thank", "start_ms": 2000, "end_ms": 2100, "reason": "phantom",
                               "detail": "stock phrase over music"}
    assert d["words"][2]["language"] == "zh"
    # a version-1 file written before these fields existed still reads
    for key in ("dropped", "translation"):
        d.pop(key)
    for w in d["words"]:
        w.pop("language")
    old = tj.from_dict(d)
    assert old.dropped == () and old.translation == () and old.words[0].language is None
    plain = json.loads(tj.dumps(Transcript(ws("a b"), "en", 1000)))
    assert plain["dropped"] == [] and "translation" not in plain and "language" not in plain["words"][0]
