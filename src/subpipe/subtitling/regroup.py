"""Segmentation as composable steps, in the manner of stable-ts's regrouping: a recipe is a sequence of
small named steps over the cue boundaries of a word stream, each a pure function.

Steps (each takes the boundaries so far and returns new ones; every word is kept, in order):

- ``split_by_speaker``: a cue never spans a change of speaker or language (nor the caller's hard breaks);
- ``split_by_punctuation(clause=False)``: break after sentence-ending punctuation (and clause punctuation);
- ``split_by_gap(min_ms)``: break at pauses of at least ``min_ms``;
- ``split_by_length(max_chars, max_lines, max_ms)``: split cues that do not fit (the profile's lines and
  maximum duration by default) at their best break (linebreak penalties, pauses, balance);
- ``merge_short(min_ms, max_gap_ms)``: merge a cue shorter than ``min_ms`` into a neighbour when the
  merged cue still fits and no hard break or long pause lies between;
- ``clamp_to_profile``: ``split_by_length`` at the profile's limits: what a recipe ends with;
- ``dp``: segment.py's dynamic programme over break points (sentence > clause > pause > cut, lines fit,
  no flash), with every boundary set so far kept as a hard break.

Recipes by name (``RECIPES``); a profile names its recipe (``Profile.recipe``, default ``dp``: the
results subpipe has always made) and the recipe applied is recorded in the track's metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SubpipeError
from .linebreak import CLAUSE, SENT
from .profiles import Profile
from .segment import WordArrays, segment_bounds


@dataclass(frozen=True)
class Context:
    """What the steps work from: the words' numbers, the profile, and the breaks and cuts given."""

    a: WordArrays
    profile: Profile
    hard: np.ndarray  # bool per position 0..n: a cue must end here (speaker/language change, caller's)
    hard_breaks: tuple[int, ...] = ()
    preferred_breaks: tuple[int, ...] = ()
    shot_changes_ms: tuple[int, ...] | None = None
    media_end_ms: int | None = None

    @property
    def n(self) -> int:
        return self.a.n

    @property
    def pauses(self) -> np.ndarray:
        p = np.zeros(self.n + 1, dtype=np.int64)
        p[1:self.n] = self.a.starts[1:] - self.a.ends[:-1]
        return p


@dataclass(frozen=True)
class Step:
    name: str
    params: tuple[tuple[str, Any], ...] = field(default=())

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.params)})"


def step(name: str, **params: Any) -> Step:
    if name not in STEPS:
        raise SubpipeError(f"unknown segmentation step {name!r}", hint="steps: " + ", ".join(sorted(STEPS)))
    return Step(name, tuple(sorted(params.items())))


# ---------------------------------------------------------------- the steps
Bounds = np.ndarray  # bool per position 0..n: a cue boundary there


def split_by_speaker(ctx: Context, b: Bounds) -> Bounds:
    return b | ctx.hard


def split_by_punctuation(ctx: Context, b: Bounds, clause: bool = False) -> Bounds:
    out = b.copy()
    mask = SENT | (CLAUSE if clause else 0)
    out[1:ctx.n] |= (ctx.a.codes[:-1] & mask) != 0
    return out


def split_by_gap(ctx: Context, b: Bounds, min_ms: int = 700) -> Bounds:
    return b | (ctx.pauses >= min_ms)


def _fits(ctx: Context, i: int, j: int, max_chars: int, max_lines: int, max_ms: int) -> bool:
    if j - i <= 1:
        return True  # one word: nothing to split
    if int(ctx.a.ends[j - 1] - ctx.a.starts[i]) > max_ms:
        return False
    # greedy line filling, as the DP checks it
    lines, k = 0, i
    while k < j:
        lines += 1
        if lines > max_lines:
            return False
        m = k + 1
        while m < j and ctx.a.chars(k, m + 1) <= max_chars:
            m += 1
        k = m
    return True


def _limits(ctx: Context, max_chars: int | None, max_lines: int | None, max_ms: int | None) -> tuple[int, int, int]:
    p = ctx.profile
    frame_ms = 1000.0 / float(p.rate)
    speech_ms = int(max(p.max_duration_ms - 2 * frame_ms, frame_ms))
    return (max_chars or p.max_chars_per_line, max_lines or p.max_lines, max_ms or speech_ms)


def split_by_length(ctx: Context, b: Bounds, max_chars: int | None = None, max_lines: int | None = None,
                    max_ms: int | None = None) -> Bounds:
    chars, lines, ms = _limits(ctx, max_chars, max_lines, max_ms)
    out = b.copy()
    pauses = ctx.pauses
    todo = [(int(s), int(e)) for s, e in zip(np.flatnonzero(out)[:-1], np.flatnonzero(out)[1:], strict=True)]
    while todo:
        i, j = todo.pop()
        if _fits(ctx, i, j, chars, lines, ms):
            continue
        ks = np.arange(i + 1, j)
        total = max(ctx.a.chars(i, j), 1)
        left = ctx.a.prefix[ks] - ctx.a.prefix[i]
        balance = np.abs(2 * left - total) / total
        cost = ctx.a.bcost[ks] + balance - np.minimum(pauses[ks], 1000) / 1000.0
        k = int(ks[int(np.argmin(cost))])  # first of the cheapest: deterministic
        out[k] = True
        todo += [(i, k), (k, j)]
    return out


def merge_short(ctx: Context, b: Bounds, min_ms: int | None = None, max_gap_ms: int = 500) -> Bounds:
    chars, lines, ms = _limits(ctx, None, None, None)
    need = min_ms if min_ms is not None else ctx.profile.min_duration_ms
    out = b.copy()
    pauses = ctx.pauses
    changed = True
    while changed:
        changed = False
        pos = np.flatnonzero(out)
        for s in range(len(pos) - 1):
            i, j = int(pos[s]), int(pos[s + 1])
            if int(ctx.a.ends[j - 1] - ctx.a.starts[i]) >= need:
                continue
            options = []
            if s > 0 and not ctx.hard[i] and pauses[i] <= max_gap_ms:
                options.append((int(pauses[i]), 0, int(pos[s - 1]), j, i))
            if s + 2 < len(pos) and not ctx.hard[j] and pauses[j] <= max_gap_ms:
                options.append((int(pauses[j]), 1, i, int(pos[s + 2]), j))
            for _, _, lo, hi, drop in sorted(options):
                if _fits(ctx, lo, hi, chars, lines, ms):
                    out[drop] = False
                    changed = True
                    break
            if changed:
                break
    return out


def clamp_to_profile(ctx: Context, b: Bounds) -> Bounds:
    return split_by_length(ctx, b | ctx.hard)


def dp(ctx: Context, b: Bounds) -> Bounds:
    extra = [int(k) for k in np.flatnonzero(b) if 0 < k < ctx.n]
    bounds = segment_bounds(None, ctx.profile, arrays=ctx.a, hard_breaks=list(ctx.hard_breaks) + extra,
                            preferred_breaks=ctx.preferred_breaks or None, shot_changes_ms=ctx.shot_changes_ms,
                            media_end_ms=ctx.media_end_ms)
    out = np.zeros(ctx.n + 1, dtype=bool)
    out[bounds] = True
    return out


STEPS: dict[str, Callable[..., Bounds]] = {
    "split_by_speaker": split_by_speaker, "split_by_punctuation": split_by_punctuation,
    "split_by_gap": split_by_gap, "split_by_length": split_by_length, "merge_short": merge_short,
    "clamp_to_profile": clamp_to_profile, "dp": dp,
}

# "dp": the dynamic programme alone (subpipe's results so far, the default); "stable": the stable-ts
# manner of splitting by speaker, sentence punctuation and pauses, then by length, merging what would
# flash, and clamping to the profile.
RECIPES: dict[str, tuple[Step, ...]] = {
    "dp": (Step("dp"),),
    "stable": (Step("split_by_speaker"), Step("split_by_punctuation"), Step("split_by_gap", (("min_ms", 700),)),
               Step("split_by_length"), Step("merge_short"), Step("clamp_to_profile")),
}


def recipe(name_or_steps: str | Sequence[Step]) -> tuple[Step, ...]:
    if isinstance(name_or_steps, str):
        if name_or_steps not in RECIPES:
            raise SubpipeError(f"unknown segmentation recipe {name_or_steps!r}",
                               hint="recipes: " + ", ".join(sorted(RECIPES)))
        return RECIPES[name_or_steps]
    return tuple(name_or_steps)


def describe(steps: Sequence[Step]) -> str:
    return "+".join(str(s) for s in steps)


def apply(steps: str | Sequence[Step], a: WordArrays, profile: Profile, *, hard_breaks: Iterable[int] = (),
          preferred_breaks: Iterable[int] | None = None, shot_changes_ms: Sequence[int] | None = None,
          media_end_ms: int | None = None) -> np.ndarray:
    """Cue boundaries (sorted positions 0..n, as ``segment.segment_bounds`` returns them) from a recipe."""
    steps = recipe(steps)
    n = a.n
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    if len(steps) == 1 and steps[0].name == "dp":  # the default: exactly segment_bounds
        return segment_bounds(None, profile, arrays=a, hard_breaks=hard_breaks, preferred_breaks=preferred_breaks,
                              shot_changes_ms=shot_changes_ms, media_end_ms=media_end_ms)
    hard_list = tuple(int(k) for k in hard_breaks)
    hard = np.zeros(n + 1, dtype=bool)
    arr = np.asarray(hard_list, dtype=np.int64)
    hard[arr[(arr > 0) & (arr < n)]] = True
    ctx = Context(a, profile, hard, hard_list, tuple(preferred_breaks or ()),
                  tuple(shot_changes_ms) if shot_changes_ms is not None else None, media_end_ms)
    b = np.zeros(n + 1, dtype=bool)
    b[0] = b[n] = True
    for s in steps:
        b = STEPS[s.name](ctx, b, **dict(s.params))
        b[0] = b[n] = True
    return np.flatnonzero(b)
