"""Words -> utterances (sentence-level stretches of speech). Pure functions."""

from __future__ import annotations

from collections.abc import Sequence

from .model import Utterance, Word
from .text import CLOSERS, SENTENCE_END

MAX_PAUSE_MS = 1500  # a pause this long ends an utterance even without punctuation


def ends_sentence(text: str) -> bool:
    t = text.rstrip(CLOSERS)
    if t.endswith(("Mr.", "Mrs.", "Ms.", "Dr.", "St.", "vs.")):
        return False
    return t.endswith(SENTENCE_END)


def build_utterances(
    words: Sequence[Word], language: str | None = None, *, max_pause_ms: int = MAX_PAUSE_MS
) -> tuple[Utterance, ...]:
    """Split the word stream at sentence ends and long pauses; every word lands in exactly one."""
    out: list[Utterance] = []
    cur: list[Word] = []
    for i, w in enumerate(words):
        if cur and w.start_ms - cur[-1].end_ms >= max_pause_ms:
            out.append(Utterance(tuple(cur), language))
            cur = []
        cur.append(w)
        nxt = words[i + 1] if i + 1 < len(words) else None
        if ends_sentence(w.text) and not (nxt is not None and _continues_number(w, nxt)):
            out.append(Utterance(tuple(cur), language))
            cur = []
    if cur:
        out.append(Utterance(tuple(cur), language))
    return tuple(out)


def _continues_number(w: Word, nxt: Word) -> bool:
    # "3." followed by "5" with no space is a decimal, not a sentence end
    return w.text[-1:] == "." and w.text[:-1].isdigit() and not nxt.space_before
