"""Line breaking under a profile: pure functions over a cue's words.

Netflix English guide: break after punctuation, before conjunctions and prepositions; never between
article/adjective and noun, first and last name, subject pronoun and verb, verb and auxiliary or
negation; prefer a bottom-heavy pyramid when lines are unequal.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

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
    "am is are was were be been being have has had do does did will would shall should can could may might must".split()
)
NEGATIONS = frozenset("not n't never".split())
CLAUSE_PUNCT = (",", ";", ":", "—", "–", "-", "…", "，", "；", "：", "、")
SENTENCE_PUNCT = (".", "?", "!", "。", "？", "！")
NUMBER_WORDS = frozenset("hundred thousand million billion trillion percent per cent".split())


def _bare(word: str) -> str:
    return word.strip("\"'“”‘’()[]¿¡").lower()


def is_number(word: str) -> bool:
    w = word.strip("$€£¥%.,")
    return bool(w) and (w.replace(",", "").replace(".", "").isdigit())


def boundary_penalty(left: str, right: str) -> float:
    """Cost of a break between two adjacent words (lower is better; 0 after a sentence end)."""
    lb, rb = _bare(left), _bare(right)
    stripped = left.rstrip("\"'”’)]")
    if stripped.endswith(SENTENCE_PUNCT):
        return 0.0
    if stripped.endswith(CLAUSE_PUNCT):
        return 1.0
    cost = 6.0
    if rb in CONJUNCTIONS or rb in PREPOSITIONS:
        cost = 4.0
    if lb in ARTICLES or lb in PREPOSITIONS or lb in CONJUNCTIONS:
        cost += 30  # article/preposition left hanging at a line end
    if lb in SUBJECT_PRONOUNS and rb not in CONJUNCTIONS and rb not in PREPOSITIONS:
        cost += 25  # subject pronoun and its verb
    if lb in AUXILIARIES or rb in NEGATIONS or rb.endswith("n't"):
        cost += 25  # verb and auxiliary / negation
    if is_number(left) and (is_number(right) or rb in NUMBER_WORDS or rb.startswith("%")):
        cost += 60  # never split a number
    if left[:1].isupper() and right[:1].isupper() and lb not in SUBJECT_PRONOUNS:
        cost += 20  # likely a first and last name
    return cost


def text_length(text: str, count_spaces: bool = True) -> int:
    return len(text) if count_spaces else len(text.replace(" ", ""))


def _join(tokens: Sequence[str], spaces: Sequence[bool], i: int, j: int) -> str:
    out = []
    for k in range(i, j):
        if k > i and spaces[k]:
            out.append(" ")
        out.append(tokens[k])
    return "".join(out)


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

    def length(i: int, j: int) -> int:
        return text_length(_join(toks, sp, i, j), count_spaces)

    whole = length(0, n)
    if whole <= max_chars or n == 1:
        return (_join(toks, sp, 0, n),)

    @cache
    def best(i: int, lines_left: int) -> tuple[float, tuple[int, ...]] | None:
        # best split of toks[i:] into at most lines_left lines; returns (cost, cut positions)
        ln = length(i, n)
        if ln <= max_chars or (n - i == 1):
            return (0.0, ())
        if lines_left == 1:
            return None
        result = None
        for j in range(i + 1, n):
            first = length(i, j)
            if first > max_chars and j - i > 1:
                break
            rest = best(j, lines_left - 1)
            if rest is None:
                continue
            second = length(j, n) if not rest[1] else length(j, rest[1][0])
            cost = boundary_penalty(toks[j - 1], toks[j]) + rest[0]
            # balance: prefer equal lines, bottom-heavy when unequal
            diff = first - second
            cost += abs(diff) * 0.25 + (diff * 0.25 if diff > 0 else 0.0)
            if result is None or cost < result[0]:
                result = (cost, (j, *rest[1]))
        return result

    found = best(0, max_lines)
    if found is None:
        return None
    cuts = (0, *found[1], n)
    return tuple(_join(toks, sp, cuts[k], cuts[k + 1]) for k in range(len(cuts) - 1))
