"""Segmentation: a word stream -> groups of words that become cues. Pure functions.

Dynamic programming over break points: each candidate cue must fit the profile's lines and maximum
duration; the cost prefers breaks at sentence ends, clause punctuation and pauses, avoids breaks that
split a number, a name or an article from its noun, and penalises cues that would flash or read too
fast. Every word is kept, in order. Long pauses and language or speaker changes always break.
"""

from __future__ import annotations

from collections.abc import Sequence

from .linebreak import boundary_penalty, break_lines, text_length
from .model import Word, join_words
from .profiles import Profile

HARD_PAUSE_MS = 1500  # a silence this long always ends a cue
SOFT_PAUSE_MS = 300


def _cue_fits(words: Sequence[Word], profile: Profile) -> bool:
    tokens = [w.text for w in words]
    return (
        break_lines(
            tokens,
            profile.max_chars_per_line,
            profile.max_lines,
            spaces=[w.space_before for w in words],
            count_spaces=profile.count_spaces,
        )
        is not None
    )


def _break_cost(words: Sequence[Word], j: int) -> float:
    """Cost of ending a cue after words[j-1] (j == len(words): the end, free)."""
    if j >= len(words):
        return 0.0
    left, right = words[j - 1], words[j]
    cost = boundary_penalty(left.text, right.text)
    pause = right.start_ms - left.end_ms
    if pause >= SOFT_PAUSE_MS:
        cost = min(cost, 1.0) if pause < 700 else 0.0
    return cost


def segment(words: Sequence[Word], profile: Profile) -> list[tuple[int, int]]:
    """Split ``words`` into cue ranges ``(i, j)`` (words[i:j]) covering every word once, in order."""
    n = len(words)
    if n == 0:
        return []
    max_chars = profile.max_chars_per_line * profile.max_lines
    # Hard breaks: long pauses, speaker/language changes are not modelled on Word yet.
    hard = [False] * (n + 1)
    for k in range(1, n):
        if words[k].start_ms - words[k - 1].end_ms >= HARD_PAUSE_MS:
            hard[k] = True
    inf = float("inf")
    best = [inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    break_costs = [_break_cost(words, j) for j in range(n + 1)]
    for i in range(n):
        if best[i] == inf:
            continue
        chars = 0
        for j in range(i + 1, n + 1):
            w = words[j - 1]
            chars += text_length(w.text, profile.count_spaces) + (1 if j - 1 > i and w.space_before else 0)
            single = j == i + 1
            if not single:
                if chars > max_chars + profile.max_lines:  # cheap reject before the real line check
                    break
                if words[j - 1].end_ms - words[i].start_ms > profile.max_duration_ms:
                    break
                if hard[j - 1]:
                    break
            if not single and not _cue_fits(words[i:j], profile):
                break
            cost = best[i] + 3.0 + break_costs[j] + _cue_cost(words, i, j, chars, profile)
            if cost < best[j]:
                best[j] = cost
                back[j] = i
            if j < n and hard[j]:
                break
    out: list[tuple[int, int]] = []
    j = n
    while j > 0:
        i = back[j]
        out.append((i, j))
        j = i
    out.reverse()
    return out


def _cue_cost(words: Sequence[Word], i: int, j: int, chars: int, profile: Profile) -> float:
    speech = words[j - 1].end_ms - words[i].start_ms
    shown = max(speech + profile.max_linger_ms, profile.min_duration_ms)
    cost = 0.0
    cps = chars * 1000 / max(shown, 1)
    if cps > profile.max_cps:
        cost += (cps - profile.max_cps) * 1.5
    if j - i == 1 and speech < profile.min_duration_ms:
        cost += 2.0  # a lone short word flashes
    # internal sentence ends: a cue that carries the tail of one sentence and the head of the next
    for k in range(i + 1, j):
        if break_costs_sentence(words[k - 1].text):
            cost += 1.5
    return cost


def break_costs_sentence(text: str) -> bool:
    return text.rstrip("\"'”’)]").endswith((".", "?", "!", "。", "？", "！"))


def group_text(words: Sequence[Word]) -> str:
    return join_words(words)
