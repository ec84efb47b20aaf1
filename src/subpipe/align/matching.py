"""Text matching: normalised tokens, and a monotonic pairing of script and heard words."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from .types import _CJK


# ---------------------------------------------------------------- text normalisation and matching
def norm_tokens(word: str) -> list[str]:
    """Comparable pieces of a written word: lowercase letters and digits, no punctuation."""
    w = unicodedata.normalize("NFKC", word).lower()
    w = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", w)  # 5,000 -> 5000
    w = w.replace("’", "'").replace("'", "")
    w = w.replace("%", " percent ").replace("&", " and ")
    toks = []
    for piece in re.split(r"[^\w]+|_", w):
        if not piece:
            continue
        if _CJK.search(piece):
            toks += [c for c in piece if c.strip()]
        else:
            toks.append(piece)
    return toks


def _flatten(texts: Sequence[str]) -> tuple[list[str], list[int]]:
    toks, owner = [], []
    for i, t in enumerate(texts):
        for tok in norm_tokens(t):
            toks.append(tok)
            owner.append(i)
    return toks, owner


def match_tokens(a: Sequence[str], b: Sequence[str]) -> list[int | None]:
    """For each token of a, the index of its partner in b (or None): a monotonic alignment.

    Exact matching blocks anchor it (difflib); inside each gap an edit-distance alignment pairs
    tokens that are spelled alike.
    """
    pair: list[int | None] = [None] * len(a)
    sm = difflib.SequenceMatcher(None, list(a), list(b), autojunk=False)
    ai = bi = 0
    for blk in sm.get_matching_blocks():
        _gap_pairs(a, b, ai, blk.a, bi, blk.b, pair)
        for k in range(blk.size):
            pair[blk.a + k] = blk.b + k
        ai, bi = blk.a + blk.size, blk.b + blk.size
    return pair


def _similar(x: str, y: str) -> float:
    if x == y:
        return 1.0
    return difflib.SequenceMatcher(None, x, y).ratio()


def _gap_pairs(a, b, a0, a1, b0, b1, pair) -> None:
    n, m = a1 - a0, b1 - b0
    if n == 0 or m == 0:
        return
    if n * m > 250_000:  # a huge unmatched stretch: nothing to pair reliably
        return
    inf = float("inf")
    cost = np.full((n + 1, m + 1), inf)
    back = np.zeros((n + 1, m + 1), np.int8)
    cost[0, :] = np.arange(m + 1)
    cost[:, 0] = np.arange(n + 1)
    back[0, 1:] = 2
    back[1:, 0] = 1
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = cost[i - 1, j - 1] + 1.6 * (1.0 - _similar(a[a0 + i - 1], b[b0 + j - 1]))
            dele = cost[i - 1, j] + 1.0
            ins = cost[i, j - 1] + 1.0
            if sub <= dele and sub <= ins:
                cost[i, j], back[i, j] = sub, 0
            elif dele <= ins:
                cost[i, j], back[i, j] = dele, 1
            else:
                cost[i, j], back[i, j] = ins, 2
    i, j = n, m
    while i > 0 and j > 0:
        step = back[i, j]
        if step == 0:
            if _similar(a[a0 + i - 1], b[b0 + j - 1]) >= 0.5:
                pair[a0 + i - 1] = b0 + j - 1
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
