"""Hypothesis strategies shared by the tests (cdown/srt style: one place, composable)."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from subpipe.model import Cue, CueTrack

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


# ---------------------------------------------------------------- scripts (alignment)
_SCRIPT_WORDS = ("the", "a", "cat", "sat", "on", "mat", "and", "so", "my", "fellow", "Americans", "ask", "not",
                 "what", "your", "country", "can", "do", "for", "you", "2011", "$5,000", "O'Neil", "Dr.", "well,",
                 "yes.", "no?", "--", "cold-hearted")


def script_texts(min_words: int = 1, max_words: int = 40) -> st.SearchStrategy[str]:
    """Script-like text: ordinary words, numbers, symbols, names and punctuation, space separated."""
    return st.lists(st.sampled_from(_SCRIPT_WORDS), min_size=min_words, max_size=max_words).map(" ".join)
