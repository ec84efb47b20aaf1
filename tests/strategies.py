"""Hypothesis strategies shared by the tests (cdown/srt style: one place, composable)."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from subpipe.model import Cue, CueTrack, Transcript, Word

# ---------------------------------------------------------------- cue tracks (formats)

# Printable text without whitespace or controls: letters, digits, punctuation and symbols of any
# script, so & < > " ' and non-Latin text all turn up.
any_char = st.characters(codec="utf-8", categories=("L", "N", "P", "S"))
# What CEA-608 (SCC) can show as it is: ASCII without * \ ^ _ ` { | } ~, a few accented letters, ♪.
scc_char = st.sampled_from(
    string.ascii_letters + string.digits + "!\"#$%&'()+,-./:;<=>?@[]" + "éèàâêîôûçñáíóú♪"
)


def words(chars: st.SearchStrategy[str] = any_char, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(chars, min_size=1, max_size=max_size)


def text_lines(chars: st.SearchStrategy[str] = any_char, max_words: int = 6,
               max_chars: int | None = None) -> st.SearchStrategy[str]:
    """One line of subtitle text: words joined by single spaces (what every format keeps exactly)."""
    line = st.lists(words(chars), min_size=1, max_size=max_words).map(" ".join)
    return line.filter(lambda x: len(x) <= max_chars) if max_chars else line


def cue_lines(chars: st.SearchStrategy[str] = any_char, max_lines: int = 3,
              max_chars: int | None = None) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(text_lines(chars, max_chars=max_chars), min_size=1, max_size=max_lines).map(tuple)


_NO_LANGUAGE: st.SearchStrategy[str | None] = st.none()


@st.composite
def cue_tracks(
    draw,
    lines: st.SearchStrategy[tuple[str, ...]] | None = None,
    *,
    max_cues: int = 8,
    min_duration_ms: int = 0,
    max_duration_ms: int = 8000,
    min_gap_ms: int = 0,
    max_gap_ms: int = 4000,
    max_start_ms: int = 4_000_000,
    language: st.SearchStrategy[str | None] = _NO_LANGUAGE,
) -> CueTrack:
    """Sorted, non-overlapping cues with integer-ms times (gaps may be 0 unless ``min_gap_ms``)."""
    lines = lines if lines is not None else cue_lines()
    n = draw(st.integers(0, max_cues))
    t = draw(st.integers(0, max_start_ms))
    cues = []
    for _ in range(n):
        d = draw(st.integers(min_duration_ms, max_duration_ms))
        cues.append(Cue(t, t + d, draw(lines)))
        t += d + draw(st.integers(min_gap_ms, max_gap_ms))
    return CueTrack.of(cues, language=draw(language))

# ---------------------------------------------------------------- word streams (rules engine)
# Words that exercise the rules: articles, prepositions, pronouns and auxiliaries, numbers and units,
# names and titles, sentence and clause punctuation, and words longer than any line.
VOCAB = (
    "the a an of to in and but so because we you I he it is was will can not never don't "
    "house country people time world ask what do for your fellow Americans said think know "
    "1961 5 $5 1,000 3.5 million percent twenty five "
    "John Smith Mr. Dr. Jones New York "
    "yes. no. okay. right? well, now, so, and— really! end."
).split()
LONG_WORDS = ("Pneumonoultramicroscopicsilicovolcanoconiosis-and-more", "x" * 45,
              "antidisestablishmentarianism")
CJK_VOCAB = tuple("我们的国家人民时间世界问不要你能为做什么。，") + ("中国", "北京", "2024")

word_text = st.one_of(st.sampled_from(VOCAB), st.sampled_from(VOCAB), st.sampled_from(VOCAB),
                      st.sampled_from(LONG_WORDS))
# pauses between words: mostly none or short, sometimes long (hard breaks at 1.5 s)
pause_ms = st.sampled_from((0, 0, 0, 0, 10, 40, 80, 150, 250, 400, 800, 1600, 3000))
word_ms = st.integers(min_value=0, max_value=900)


@st.composite
def word_streams(draw, min_words: int = 0, max_words: int = 120, cjk: bool = False) -> Transcript:
    """A transcript: words with plausible times (sorted, non-overlapping), language, media duration."""
    texts = st.sampled_from(CJK_VOCAB) if cjk else word_text
    items = draw(st.lists(st.tuples(texts, word_ms, pause_ms), min_size=min_words, max_size=max_words))
    t = draw(st.integers(min_value=0, max_value=3000))
    words = []
    for k, (text, dur, pause) in enumerate(items):
        if k:
            t += pause
        words.append(Word(text, t, t + dur, 1.0, space_before=(k > 0 and not cjk)))
        t += dur
    tail = draw(st.sampled_from((0, 0, 100, 500, 2000)))
    duration = (t + tail) if draw(st.booleans()) else 0  # 0: media duration unknown
    return Transcript(tuple(words), "zh" if cjk else "en", duration)


shot_changes = st.lists(st.integers(min_value=0, max_value=200_000), max_size=30, unique=True).map(sorted)


# ---------------------------------------------------------------- timed words (guards, languages)

# a small vocabulary, so that repeats and loops turn up often
loop_vocabulary = st.sampled_from(["the", "night", "is", "dark", "no", "you", "thank", "we", "go", "我们", "走"])


@st.composite
def timed_words(draw, vocabulary: st.SearchStrategy[str] = loop_vocabulary, max_size: int = 40,
                language: st.SearchStrategy[str | None] | None = None) -> list[Word]:
    """Words in time order with integer-ms times (gaps may be 0)."""
    language = language if language is not None else st.none()
    n = draw(st.integers(0, max_size))
    t = draw(st.integers(0, 10_000))
    out = []
    for _ in range(n):
        d = draw(st.integers(0, 900))
        out.append(Word(draw(vocabulary), t, t + d, draw(st.floats(0, 1)), language=draw(language)))
        t += d + draw(st.integers(0, 1500))
    return out


# ---------------------------------------------------------------- scripts (alignment)
_SCRIPT_WORDS = ("the", "a", "cat", "sat", "on", "mat", "and", "so", "my", "fellow", "Americans", "ask", "not",
                 "what", "your", "country", "can", "do", "for", "you", "2011", "$5,000", "O'Neil", "Dr.", "well,",
                 "yes.", "no?", "--", "cold-hearted")


def script_texts(min_words: int = 1, max_words: int = 40) -> st.SearchStrategy[str]:
    """Script-like text: ordinary words, numbers, symbols, names and punctuation, space separated."""
    return st.lists(st.sampled_from(_SCRIPT_WORDS), min_size=min_words, max_size=max_words).map(" ".join)


@st.composite
def sound_events(draw, max_ms: int = 120_000, max_size: int = 6) -> tuple:
    """Sorted, non-overlapping music stretches (SDH sound events) on the clock of a generated word stream."""
    from subpipe.model import SoundEvent

    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=max_ms), min_size=0, max_size=2 * max_size,
                                unique=True)))
    return tuple(SoundEvent("music", a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if b > a)


# ---------------------------------------------------------------- styled cues (markup as structure)
VOICES = ("Alba", "Bob Smith", "Dr. Ng")
NAMED_COLORS = ("yellow", "cyan", "red", "lime", "magenta", "blue", "black")
# characters SubRip cannot escape (a "<" or "{" may open a tag there)
srt_char = st.characters(codec="utf-8", categories=("L", "N", "P", "S"), exclude_characters="<>{}\\")


@st.composite
def styles(draw, colors=NAMED_COLORS + ("#123456",), voices: bool = True) -> dict:
    return {
        "italic": draw(st.booleans()), "bold": draw(st.booleans()), "underline": draw(st.booleans()),
        "color": draw(st.none() | st.sampled_from(colors)),
        "voice": draw(st.none() | st.sampled_from(VOICES)) if voices else None,
    }


@st.composite
def placements(draw):
    from subpipe.model import Placement

    return Placement(vertical=draw(st.sampled_from(("top", "middle", "bottom"))),
                     align=draw(st.sampled_from(("left", "center", "right"))))


@st.composite
def styled_cue(draw, start_ms: int, end_ms: int, chars=any_char, max_lines: int = 2, colors=NAMED_COLORS,
               voices: bool = True, placement: bool = True) -> Cue:
    """A cue whose words each carry a style; a space takes its neighbours' style when they share one."""
    from subpipe.formats.markup import make_cue
    from subpipe.model import Span

    lines = []
    for _ in range(draw(st.integers(1, max_lines))):
        runs: list[Span] = []
        prev = None
        for w in draw(st.lists(words(chars, max_size=8), min_size=1, max_size=4)):
            style = draw(styles(colors, voices))
            if prev is not None:
                runs.append(Span(" ", **(style if style == prev else {})))
            runs.append(Span(w, **style))
            prev = style
        lines.append(runs)
    where = draw(st.none() | placements()) if placement else None
    return make_cue(start_ms, end_ms, lines, where)


@st.composite
def styled_tracks(draw, max_cues: int = 5, **kw) -> CueTrack:
    n = draw(st.integers(1, max_cues))
    t = draw(st.integers(0, 3_600_000))
    cues = []
    for _ in range(n):
        d = draw(st.integers(1, 6000))
        cues.append(draw(styled_cue(t, t + d, **kw)))
        t += d + draw(st.integers(0, 3000))
    return CueTrack.of(cues)
