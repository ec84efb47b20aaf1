"""Line breaking under a profile: pure functions over a cue's words.

Netflix English guide: break after punctuation, before conjunctions and prepositions; never between
article/adjective and noun, first and last name, subject pronoun and verb, verb and auxiliary or
negation; prefer a bottom-heavy pyramid when lines are unequal. A word longer than a line stands alone
on its line rather than being cut.

Each word gets a small bit code (``word_code``, cached per distinct text) so that the cost of a break
between two words is a few integer operations, for one pair (``boundary_penalty``) or for a whole word
stream at once (``boundary_costs``, numpy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..text import CLOSERS, SENTENCE_END

ARTICLES = frozenset("a an the this that these those my your his her its our their some any no every".split())
PREPOSITIONS = frozenset(
    "of in on at by for with about against between into through during before after above below to from "
    "up down over under again further than".split()
)
CONJUNCTIONS = frozenset(
    "and but or nor so yet because although though while if unless until when where whether".split()
)
SUBJECT_PRONOUNS = frozenset("i you he she we they it".split())
AUXILIARIES = frozenset(
    "am is are was were be been being have has had do does did will would shall should can could may "
    "might must".split()
)
NEGATIONS = frozenset("not n't never".split())
TITLES = frozenset(
    "mr. mrs. ms. dr. prof. st. mt. sr. jr. gen. col. capt. lt. sgt. rev. sen. rep. gov. pres.".split()
)
ABBREVIATIONS = TITLES | frozenset("e.g. i.e. etc. vs. approx. dept. inc. ltd. co.".split())
CLAUSE_PUNCT = (",", ";", ":", "—", "–", "-", "…", "，", "；", "：", "、")
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion trillion".split()
)
UNIT_WORDS = frozenset("percent per cent dollars dollar euros pounds am pm a.m. p.m. o'clock %".split())

# Bit codes: how a word behaves on the left or the right of a break.
SENT = 1  # ends a sentence
CLAUSE = 2  # ends with clause punctuation
HANG = 4  # article, preposition or conjunction: must not end a line
PRON = 8  # subject pronoun: keep with its verb
AUX = 16  # auxiliary verb: keep with the verb that follows
NUM = 32  # a number (digits or number word)
CAP = 64  # capitalised: with a capitalised right neighbour, likely a name
TITLE = 128  # Mr., Dr., ...: never split from the name
CONJPREP = 256  # conjunction or preposition: a good word to start a line with
NEG = 512  # negation: keep with its verb
UNIT = 1024  # unit or magnitude after a number (percent, million, %)

# Costs (lower is better). Sentence end 0, clause punctuation 1, plain 6, before a conjunction 4.
COST_SENTENCE, COST_CLAUSE, COST_PLAIN, COST_BEFORE_CONJ = 0.0, 1.0, 6.0, 4.0
PENALTY_HANG, PENALTY_PRON, PENALTY_AUX, PENALTY_NUMBER, PENALTY_NAME, PENALTY_TITLE = 30, 25, 25, 60, 20, 60
FORBIDDEN = 20.0  # a break at or above this cost splits something the guides say never to split


def _bare(word: str) -> str:
    return word.strip("\"'“”‘’()[]¿¡«»").lower()


def is_number(word: str) -> bool:
    w = word.strip("$€£¥%.,\"'()")
    return bool(w) and w.replace(",", "").replace(".", "").isdigit()


_CODES: dict[str, int] = {}


def word_code(text: str) -> int:
    """The bit code of one word (cached)."""
    code = _CODES.get(text)
    if code is None:
        code = _compute_code(text)
        if len(_CODES) > 500_000:
            _CODES.clear()
        _CODES[text] = code
    return code


def _compute_code(text: str) -> int:
    b = _bare(text)
    core = b.rstrip(".,;:!?…—–-，。；：、？！")
    stripped = text.rstrip(CLOSERS)
    code = 0
    if b in TITLES:
        code |= TITLE
    # an ellipsis (... or …) trails off: clause punctuation here, not a sentence end
    if (stripped.endswith(SENTENCE_END) and b not in ABBREVIATIONS
            and not stripped.endswith(("..", "\u2026"))):
        code |= SENT
    elif stripped.endswith(CLAUSE_PUNCT) or stripped.endswith(".."):
        code |= CLAUSE
    if not code & (SENT | CLAUSE):
        if core in ARTICLES or core in PREPOSITIONS or core in CONJUNCTIONS:
            code |= HANG
        if core in SUBJECT_PRONOUNS:
            code |= PRON
        if core in AUXILIARIES:
            code |= AUX
    if core in CONJUNCTIONS or core in PREPOSITIONS:
        code |= CONJPREP
    if core in NEGATIONS or core.endswith("n't"):
        code |= NEG
    if is_number(text) or core in NUMBER_WORDS:
        code |= NUM
    if core in UNIT_WORDS or core in NUMBER_WORDS or b.startswith("%"):
        code |= UNIT
    first = text.lstrip("\"'“”‘’([¿¡«")[:1]
    if first.isupper() and core != "i":
        code |= CAP
    return code


def pair_cost(lc: int, rc: int) -> float:
    """Cost of a break between a word with code ``lc`` and one with code ``rc``."""
    if lc & SENT:
        return COST_SENTENCE
    if lc & CLAUSE:
        return COST_CLAUSE
    cost = COST_BEFORE_CONJ if rc & CONJPREP else COST_PLAIN
    if lc & HANG:
        cost += PENALTY_HANG
    if lc & PRON and not rc & CONJPREP:
        cost += PENALTY_PRON
    if lc & AUX or rc & NEG:
        cost += PENALTY_AUX
    if lc & NUM and rc & (NUM | UNIT):
        cost += PENALTY_NUMBER
    if lc & CAP and rc & CAP:
        cost += PENALTY_NAME
    if lc & TITLE:
        cost += PENALTY_TITLE
    return cost


def boundary_penalty(left: str, right: str) -> float:
    """Cost of a break between two adjacent words (lower is better; 0 after a sentence end)."""
    return pair_cost(word_code(left), word_code(right))


def word_codes(texts: Sequence[str]) -> np.ndarray:
    for t in set(texts).difference(_CODES):
        word_code(t)
    return np.array(list(map(_CODES.__getitem__, texts)), dtype=np.int64).reshape(len(texts))


def pair_costs(lc: np.ndarray, rc: np.ndarray) -> np.ndarray:
    """``pair_cost`` over arrays of codes."""
    def has(a: np.ndarray, bits: int) -> np.ndarray:
        return (a & bits) != 0

    cost = np.where(has(rc, CONJPREP), COST_BEFORE_CONJ, COST_PLAIN)
    cost += np.where(has(lc, HANG), PENALTY_HANG, 0)
    cost += np.where(has(lc, PRON) & ~has(rc, CONJPREP), PENALTY_PRON, 0)
    cost += np.where(has(lc, AUX) | has(rc, NEG), PENALTY_AUX, 0)
    cost += np.where(has(lc, NUM) & has(rc, NUM | UNIT), PENALTY_NUMBER, 0)
    cost += np.where(has(lc, CAP) & has(rc, CAP), PENALTY_NAME, 0)
    cost += np.where(has(lc, TITLE), PENALTY_TITLE, 0)
    cost = np.where(has(lc, CLAUSE), COST_CLAUSE, cost)
    return np.where(has(lc, SENT), COST_SENTENCE, cost)


def boundary_costs(codes: np.ndarray) -> np.ndarray:
    """``out[k]``: cost of a break between word k-1 and word k (``out[0] = out[n] = 0``)."""
    n = len(codes)
    out = np.zeros(n + 1, dtype=np.float64)
    if n > 1:
        out[1:n] = pair_costs(codes[:-1], codes[1:])
    return out


def text_length(text: str, count_spaces: bool = True) -> int:
    return len(text) if count_spaces else len(text.replace(" ", ""))


def join_tokens(tokens: Sequence[str], spaces: Sequence[bool], i: int, j: int) -> str:
    out = []
    for k in range(i, j):
        if k > i and spaces[k]:
            out.append(" ")
        out.append(tokens[k])
    return "".join(out)


def balance_cost(first: int, second: int) -> float:
    """Prefer equal lines; when unequal, bottom-heavy (a longer first line costs double)."""
    diff = first - second
    return abs(diff) * 0.25 + (diff * 0.25 if diff > 0 else 0.0)


def break_lines(
    tokens: Sequence[str],
    max_chars: int,
    max_lines: int,
    *,
    spaces: Sequence[bool] | None = None,
    count_spaces: bool = True,
) -> tuple[str, ...] | None:
    """Best lines for the tokens, or None when they cannot fit in ``max_lines`` lines.

    A single token longer than a line stands alone on its line rather than being cut.
    """
    n = len(tokens)
    if n == 0:
        return ()
    sp = tuple(spaces) if spaces is not None else (False,) + (True,) * (n - 1)
    toks = tuple(tokens)
    lens = [text_length(t, count_spaces) for t in toks]
    gap = [1 if (count_spaces and k > 0 and sp[k]) else 0 for k in range(n)]
    pre = [0]
    for k in range(n):
        pre.append(pre[-1] + lens[k] + gap[k])

    def length(i: int, j: int) -> int:
        return pre[j] - pre[i] - gap[i]

    if length(0, n) <= max_chars or n == 1:
        return (join_tokens(toks, sp, 0, n),)
    codes = [word_code(t) for t in toks]
    memo: dict[tuple[int, int], tuple[float, tuple[int, ...]] | None] = {}

    def best(i: int, lines_left: int) -> tuple[float, tuple[int, ...]] | None:
        key = (i, lines_left)
        if key in memo:
            return memo[key]
        result: tuple[float, tuple[int, ...]] | None = None
        if length(i, n) <= max_chars or n - i == 1:
            result = (0.0, ())
        elif lines_left > 1:
            for j in range(i + 1, n):
                first = length(i, j)
                if first > max_chars and j - i > 1:
                    break
                rest = best(j, lines_left - 1)
                if rest is None:
                    continue
                second = length(j, n) if not rest[1] else length(j, rest[1][0])
                cost = pair_cost(codes[j - 1], codes[j]) + rest[0] + balance_cost(first, second)
                if result is None or cost < result[0]:
                    result = (cost, (j, *rest[1]))
        memo[key] = result
        return result

    found = best(0, max_lines)
    if found is None:
        return None
    cuts = (0, *found[1], n)
    return tuple(join_tokens(toks, sp, cuts[k], cuts[k + 1]) for k in range(len(cuts) - 1))


def two_line_splits(
    gi: np.ndarray, gj: np.ndarray, prefix: np.ndarray, gaps: np.ndarray, bcost: np.ndarray, max_chars: int
) -> np.ndarray:
    """For word groups ``[gi, gj)`` that need two lines, the best first word of the second line.

    ``prefix``/``gaps`` give group lengths (``prefix[j] - prefix[i] - gaps[i]``); ``bcost[k]`` is the cost
    of a break before word k. A group with no valid split gets -1. Vectorised over all groups at once.
    """
    m = len(gi)
    out = np.full(m, -1, dtype=np.int64)
    if m == 0:
        return out
    counts = gj - gi - 1  # candidate split points per group
    has = counts > 0
    if not has.any():
        return out
    idx = np.flatnonzero(has)
    cnt = counts[idx]
    total = int(cnt.sum())
    group = np.repeat(np.arange(len(idx)), cnt)
    offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    i = gi[idx][group]
    j = gj[idx][group]
    k = i + 1 + offs
    first = prefix[k] - prefix[i] - gaps[i]
    second = prefix[j] - prefix[k] - gaps[k]
    ok = ((first <= max_chars) | (k - i == 1)) & ((second <= max_chars) | (j - k == 1))
    diff = (first - second).astype(np.float64)
    cost = bcost[k] + np.abs(diff) * 0.25 + np.where(diff > 0, diff * 0.25, 0.0)
    cost = np.where(ok, cost, np.inf)
    starts = np.cumsum(cnt) - cnt
    gmin = np.minimum.reduceat(cost, starts)
    # first position in each group that reaches its minimum
    hit = np.flatnonzero(cost == gmin[group])
    first_hit = np.full(len(idx), -1, dtype=np.int64)
    first_hit[group[hit[::-1]]] = hit[::-1]
    valid = np.isfinite(gmin)
    out[idx[valid]] = k[first_hit[valid]]
    return out
