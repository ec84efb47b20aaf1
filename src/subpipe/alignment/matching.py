"""Text matching: normalised tokens, and a monotonic pairing of script and heard words."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, Levenshtein

from ..text import tokens_for_alignment

# ---------------------------------------------------------------- text normalisation and matching
# The aligner's normaliser is text.py's named variant (one rule for the package); the name stays here.
norm_tokens = tokens_for_alignment


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
    la, lb = list(a), list(b)
    sm = difflib.SequenceMatcher(None, la, lb, autojunk=False)
    pair = _anchored(a, b, [(m.a, m.b, m.size) for m in sm.get_matching_blocks()])
    exact = sum(1 for i, j in enumerate(pair) if j is not None and a[i] == b[j])
    lcs = (len(la) + len(lb) - Indel.distance(la, lb)) // 2
    if exact < lcs:
        # difflib's longest-block-first anchors are not always a longest common subsequence (repetitive text:
        # "the the the ... a cat the a" paired 19 of 20 words of a subsequence); where they fall short of it,
        # an optimal one anchors instead (rapidfuzz's Indel alignment)
        blocks = [(op.src_start, op.dest_start, op.src_end - op.src_start)
                  for op in Indel.opcodes(la, lb) if op.tag == "equal"]
        pair = _anchored(a, b, blocks + [(len(la), len(lb), 0)])
    return pair


def _anchored(a: Sequence[str], b: Sequence[str], blocks: list[tuple[int, int, int]]) -> list[int | None]:
    """The pairing with these exact blocks ``(a start, b start, size)`` as anchors (in order, the last one
    ``(len(a), len(b), 0)``) and the tokens between them paired by spelling (``_gap_pairs``)."""
    pair: list[int | None] = [None] * len(a)
    ai = bi = 0
    for sa, sb, size in blocks:
        _gap_pairs(a, b, ai, sa, bi, sb, pair)
        for k in range(size):
            pair[sa + k] = sb + k
        ai, bi = sa + size, sb + size
    return pair


def _similar(x: str, y: str) -> float:
    """Spelling similarity in [0, 1] (rapidfuzz's normalised InDel ratio, like difflib's ratio)."""
    if x == y:
        return 1.0
    return fuzz.ratio(x, y) / 100.0


def _gap_pairs(a, b, a0, a1, b0, b1, pair) -> None:
    """Pair the tokens of a[a0:a1] and b[b0:b1] (between two exact blocks) that are spelled alike.

    rapidfuzz's Levenshtein opcodes give the edit structure; inside each run of edits the shorter side is
    laid along the longer at the offset where the spellings agree best, and pairs at least half alike kept.
    """
    n, m = a1 - a0, b1 - b0
    if n == 0 or m == 0:
        return
    if n * m > 250_000:  # a huge unmatched stretch: nothing to pair reliably
        return
    sa, sb = list(a[a0:a1]), list(b[b0:b1])
    sim = process.cdist(sa, sb, scorer=fuzz.ratio, dtype=np.float32) / 100.0
    runs: list[list[int]] = []  # [i1, i2, j1, j2] of consecutive edits
    for op in Levenshtein.opcodes(sa, sb):
        if op.tag == "equal":
            for k in range(op.src_end - op.src_start):
                pair[a0 + op.src_start + k] = b0 + op.dest_start + k
        elif runs and runs[-1][1] == op.src_start and runs[-1][3] == op.dest_start:
            runs[-1][1], runs[-1][3] = op.src_end, op.dest_end
        else:
            runs.append([op.src_start, op.src_end, op.dest_start, op.dest_end])
    for i1, i2, j1, j2 in runs:
        rows, cols = i2 - i1, j2 - j1
        k = min(rows, cols)
        if k == 0:
            continue
        block = sim[i1:i2, j1:j2]
        if rows <= cols:
            scores = [float(np.trace(block[:, d:d + k])) for d in range(cols - k + 1)]
            d = int(np.argmax(scores))
            cells = [(i, i + d) for i in range(k)]
        else:
            scores = [float(np.trace(block[d:d + k, :])) for d in range(rows - k + 1)]
            d = int(np.argmax(scores))
            cells = [(j + d, j) for j in range(k)]
        for i, j in cells:
            if block[i, j] >= 0.5:
                pair[a0 + i1 + i] = b0 + j1 + j
