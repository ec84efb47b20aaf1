"""Planning: anchors and mismatches, rough times for every script word, and the <= 30 s windows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..model import Transcript, Word
from .energy import voiced_ms
from .matching import _flatten, match_tokens, norm_tokens
from .types import FILLERS, MAX_TOKENS, MAX_WINDOW_MS, WINDOW_PAD_MS, AlignOptions, Mismatch, ScriptWord


# ---------------------------------------------------------------- the alignment
@dataclass
class _Plan:
    """Which script words go to the aligner, their rough times, and what is reported."""

    n: int
    approx: list[tuple[int, int]]
    excluded: set[int]
    mismatches: list[Mismatch]
    unscripted_spans: list[tuple[int, int]]


# ---------------------------------------------------------------- planning: anchors, mismatches
def _plan(words: Sequence[ScriptWord], anchor: Transcript, duration_ms: int, voiced: np.ndarray,
          options: AlignOptions) -> _Plan:
    n = len(words)
    s_toks, s_owner = _flatten([w.text for w in words])
    h_words = anchor.words
    h_toks, h_owner = _flatten([w.text for w in h_words])
    pair = match_tokens(s_toks, h_toks)
    # script word -> hyp words it matched
    partners: list[list[int]] = [[] for _ in range(n)]
    for k, p in enumerate(pair):
        if p is not None:
            partners[s_owner[k]].append(h_owner[p])
    h_used = [False] * len(h_words)
    for ps in partners:
        for j in ps:
            h_used[j] = True
    approx: list[tuple[int, int]] = [(-1, -1)] * n
    for i, ps in enumerate(partners):
        if ps:
            approx[i] = (min(h_words[j].start_ms for j in ps), max(h_words[j].end_ms for j in ps))
    has_tokens = [bool(norm_tokens(w.text)) for w in words]
    ms_per_char = _speaking_rate(h_words)
    mismatches: list[Mismatch] = []
    excluded: set[int] = set()

    # unscripted speech: heard words that no script word matched, more of them than the script
    # words left unmatched in the same gap (those are misrecognitions, not extra speech)
    unscripted_spans = []
    anchors = [(-1, -1)] + sorted({(i, j) for i, ps in enumerate(partners) for j in ps}) + [(n, len(h_words))]
    for (i0, j0), (i1, j1) in zip(anchors, anchors[1:], strict=False):
        if j1 - j0 <= 1:
            continue
        run = [h_words[j] for j in range(j0 + 1, j1) if not h_used[j]]
        if not run:
            continue
        heard = sum(1 for w in run if not _is_filler(w.text))
        scripted = sum(1 for i in range(max(i0 + 1, 0), i1) if not partners[i] and has_tokens[i]
                       and not _is_filler(words[i].text))
        span_ms = run[-1].end_ms - run[0].start_ms
        if heard - scripted >= options.min_mismatch_words and span_ms >= 600:
            before = min(i1, n)
            mismatches.append(Mismatch("unscripted", run[0].start_ms, run[-1].end_ms, before, before,
                                       " ".join(w.text for w in run)))
            unscripted_spans.append((run[0].start_ms, run[-1].end_ms))

    # script passages not heard: unmatched runs with no room (no voiced audio) for them
    i = 0
    while i < n:
        if approx[i][0] >= 0 or not has_tokens[i]:
            i += 1
            continue
        k = i
        while k < n and (approx[k][0] < 0 or not has_tokens[k]):
            k += 1
        run = [x for x in range(i, k) if has_tokens[x]]
        content = [x for x in run if not _is_filler(words[x].text)]
        if len(content) >= options.min_mismatch_words:
            left = max((approx[x][1] for x in range(i) if approx[x][0] >= 0), default=0)
            right = min((approx[x][0] for x in range(k, n) if approx[x][0] >= 0), default=duration_ms)
            room = voiced_ms(voiced, left, right)
            for a, b in unscripted_spans:  # speech the script lacks does not make room
                room -= voiced_ms(voiced, max(a, left), min(b, right)) if b > left and a < right else 0
            chars = sum(len("".join(norm_tokens(words[x].text))) for x in run)
            need = chars * ms_per_char
            if room < 0.35 * need:
                excluded.update(range(i, k))
                mismatches.append(Mismatch("not_heard", left, left, i, k,
                                           " ".join(words[x].text for x in range(i, k))))
        i = k

    _interpolate(approx, words, excluded, duration_ms, voiced)
    return _Plan(n, approx, excluded, mismatches, unscripted_spans)


def _is_filler(text: str) -> bool:
    toks = norm_tokens(text)
    return not toks or all(t in FILLERS for t in toks)


def _speaking_rate(h_words: Sequence[Word]) -> float:
    """ms of speech per normalised character in the anchor transcript (70 when unknown)."""
    chars = sum(len("".join(norm_tokens(w.text))) for w in h_words)
    dur = sum(w.end_ms - w.start_ms for w in h_words)
    if chars < 20 or dur <= 0:
        return 70.0
    return min(max(dur / chars, 40.0), 120.0)


def _interpolate(approx: list[tuple[int, int]], words: Sequence[ScriptWord], excluded: set[int],
                 duration_ms: int, voiced: np.ndarray) -> None:
    """Rough times for script words the anchor pass did not match: spread by characters."""
    n = len(approx)
    anchored = [i for i in range(n) if approx[i][0] >= 0]
    if not anchored:
        v = np.flatnonzero(voiced)
        lo, hi = (int(v[0]) * 10, int(v[-1]) * 10 + 10) if v.size else (0, duration_ms)
        _spread(approx, words, range(n), lo, hi)
        return
    i = 0
    while i < n:
        if approx[i][0] >= 0:
            i += 1
            continue
        k = i
        while k < n and approx[k][0] < 0:
            k += 1
        need = 80 * _chars(words, range(i, k))
        lo = approx[i - 1][1] if i > 0 else _reach(voiced, approx[k][0], need, -1, duration_ms)
        hi = approx[k][0] if k < n else _reach(voiced, approx[i - 1][1], need, +1, duration_ms)
        run = [x for x in range(i, k) if x not in excluded]
        for x in range(i, k):
            if x in excluded:
                approx[x] = (lo, lo)
        if run:
            _spread(approx, words, run, lo, max(lo, hi))
        i = k


def _reach(voiced: np.ndarray, t_ms: int, need_ms: int, direction: int, duration_ms: int) -> int:
    """From t_ms, walk back (-1) or on (+1) until need_ms of voiced audio lie between; the media's edge
    or 3 s without voice stops the walk."""
    k = min(max(t_ms // 10, 0), len(voiced))
    got = quiet = 0
    while 0 < k < len(voiced) if direction < 0 else 0 <= k < len(voiced):
        frame = k - 1 if direction < 0 else k
        if voiced[frame]:
            got += 10
            quiet = 0
        else:
            quiet += 10
            if quiet >= 3000:
                k -= direction * (quiet // 10)
                break
        k += direction
        if got >= need_ms:
            break
    return min(max(k * 10, 0), duration_ms)


def _chars(words, idx) -> int:
    return sum(max(1, len(words[x].text)) for x in idx)


def _spread(approx, words, idx, lo: int, hi: int) -> None:
    idx = list(idx)
    total = _chars(words, idx) or 1
    t = float(lo)
    for x in idx:
        d = (hi - lo) * max(1, len(words[x].text)) / total
        approx[x] = (int(t), int(t + d))
        t += d


# ---------------------------------------------------------------- windows
@dataclass(frozen=True, slots=True)
class _Window:
    start_ms: int
    end_ms: int
    words: tuple[int, ...]  # script word indices aligned in this window


def plan_windows_count(plan: _Plan) -> int:
    return len(_windows(plan, None))


def _windows(plan: _Plan, tok_counts: Sequence[int] | None) -> list[_Window]:
    """Cut the aligned words into slices of at most 30 s of audio, at the widest pauses."""
    units = [i for i in range(plan.n) if i not in plan.excluded]
    ap = plan.approx
    out: list[_Window] = []
    if not units:
        return out
    u = 0
    prev_bound = 0
    while u < len(units):
        first = units[u]
        ws = max(prev_bound, ap[first][0] - WINDOW_PAD_MS, 0)
        # how far can this window reach?
        v = u
        toks = 0
        while v < len(units):
            w = units[v]
            toks += tok_counts[w] if tok_counts else 0
            if v > u and (ap[w][1] + 100 - ws > MAX_WINDOW_MS or toks > MAX_TOKENS):
                break
            if v > u and _forced_cut(plan, units[v - 1], w):
                break
            v += 1
        last = v - 1  # units[u..last] fit
        if v < len(units) and not _forced_cut(plan, units[last], units[last + 1]) and last > u:
            # choose the widest pause in the second half of the reach
            half = ws + (ap[units[last]][1] - ws) // 2
            best, best_gap = last, -10**9
            for c in range(u, last + 1):
                a, b = units[c], units[c + 1]
                if ap[a][1] < half and c != last:
                    continue
                gap = ap[b][0] - ap[a][1]
                if gap > best_gap:
                    best, best_gap = c, gap
            last = best
        a = units[last]
        nxt = units[last + 1] if last + 1 < len(units) else None
        if nxt is None:
            we = min(ap[a][1] + WINDOW_PAD_MS, ws + MAX_WINDOW_MS)
            nb = we
        else:
            mid = (ap[a][1] + ap[nxt][0]) // 2
            we = min(max(mid, ap[a][1]), ap[a][1] + WINDOW_PAD_MS)
            nb = max(min(mid, ap[nxt][0]), ap[nxt][0] - WINDOW_PAD_MS)
            for s, e in plan.unscripted_spans:
                if s < ap[nxt][0] + 1 and e > ap[a][1] - 1:
                    we = min(we, max(s, ap[a][1]))
                    nb = max(nb, min(e, ap[nxt][0]))
            we = min(we, ws + MAX_WINDOW_MS)
            nb = max(nb, we)
        we = max(we, ws + 20)
        out.append(_Window(ws, we, tuple(units[u:last + 1])))
        prev_bound = nb
        u = last + 1
    return out


def _forced_cut(plan: _Plan, a: int, b: int) -> bool:
    lo, hi = plan.approx[a][1], plan.approx[b][0]
    if hi - lo >= 3 * WINDOW_PAD_MS:
        return True
    return any(s < hi + 1 and e > lo - 1 for s, e in plan.unscripted_spans)
