"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

from hypothesis import strategies as st

_WORDS = ("the", "a", "cat", "sat", "on", "mat", "and", "so", "my", "fellow", "Americans", "ask", "not",
          "what", "your", "country", "can", "do", "for", "you", "2011", "$5,000", "O'Neil", "Dr.", "well,",
          "yes.", "no?", "--", "cold-hearted")


def script_texts(min_words: int = 1, max_words: int = 40) -> st.SearchStrategy[str]:
    """Script-like text: ordinary words, numbers, symbols, names and punctuation, space separated."""
    return st.lists(st.sampled_from(_WORDS), min_size=min_words, max_size=max_words).map(" ".join)
