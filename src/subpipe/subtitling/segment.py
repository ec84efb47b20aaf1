"""Segmentation: a word stream -> groups of words that become cues. Pure functions.

Dynamic programming over break points. A candidate cue ``words[i:j]`` must fit the profile's lines
(greedy line filling decides that exactly, from prefix sums of word lengths) and its maximum duration,
and may not cross a hard break (a long pause, a change of speaker or language). Its cost prefers
breaks at sentence ends, clause punctuation, pauses and shot changes; penalises breaks that split a
number, a name, an article from its noun (``linebreak.pair_cost``); penalises cues that mix the tail of
one sentence with the head of the next; and penalises cues that could not be shown long enough to be
read (minimum duration and reading speed against the time free before the next word), so fragments that
would flash are merged. Every word is kept, in order.

Speed: the stream is cut into chunks at sentence ends (where both neighbouring sentences are long
enough to stand alone) and at hard breaks; the chunks' dynamic programmes then run in lock-step, one
numpy operation per word position for many chunks at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from ..model import Word, join_words
from .linebreak import FORBIDDEN, SENT, boundary_costs, word_codes
from .profiles import Profile

HARD_PAUSE_MS = 1500  # a silence this long always ends a cue
SOFT_PAUSE_MS = 300  # a pause this long is a good place to break
CLEAR_PAUSE_MS = 700  # ... and this long, as good as a sentence end
CUE_COST = 3.0  # per cue: fewer, fuller cues
SENTENCE_INSIDE_COST = 1.5  # a cue that holds the end of one sentence and the start of the next
PREFERRED_INSIDE_COST = 10.0  # a cue that swallows a preferred break (fix: an original cue boundary)
# a cue that cannot be shown for its minimum/reading time: 0.04 per ms short, from SHORT_MARGIN_MS of slack
SHORT_PER_MS, SHORT_MARGIN_MS = 0.04, 50.0
CUT_INSIDE_COST = 2.0  # a cue whose speech runs across a shot change
MAX_CHUNK = 400  # words; longer stretches without a safe sentence end are cut at their best break
_BUDGET = 2_000_000  # cells (positions x lanes) per lock-step batch
_STEP_CELLS = 1 << 16  # candidate cells (window x lanes) per step: small enough to stay in cache


_TEXT, _SPACE = attrgetter("text"), attrgetter("space_before")
_START, _END = attrgetter("start_ms"), attrgetter("end_ms")


@dataclass(frozen=True, slots=True)
class WordArrays:
    """Per-word numbers the rules work from (built once per word stream)."""

    texts: list[str]
    spaces: list[bool]
    lengths: np.ndarray  # characters per word (without spaces for unspaced scripts)
    raw_lengths: np.ndarray  # len(text) per word
    space_flags: np.ndarray  # 1 where a space precedes the word in the text (never the first word)
    gaps: np.ndarray  # 1 where a counted space precedes the word
    prefix: np.ndarray  # prefix[k] = sum(lengths[:k] + gaps[:k]); chars(i, j) = prefix[j]-prefix[i]-gaps[i]
    starts: np.ndarray  # ms
    ends: np.ndarray  # ms
    codes: np.ndarray  # linebreak word codes
    bcost: np.ndarray  # bcost[k]: cost of a break before word k (line-break penalties)

    @property
    def n(self) -> int:
        return len(self.texts)

    def chars(self, i: int, j: int) -> int:
        return int(self.prefix[j] - self.prefix[i] - self.gaps[i])


def word_arrays(words: Sequence[Word], count_spaces: bool = True) -> WordArrays:
    n = len(words)
    texts = list(map(_TEXT, words))
    spaces = list(map(_SPACE, words))
    raw = np.array(list(map(len, texts)), dtype=np.int64).reshape(n)
    flags = np.array(spaces, dtype=np.int64).reshape(n)
    flags[:1] = 0
    if count_spaces:
        lengths, gaps = raw, flags
    else:
        lengths = np.fromiter((len(t) - t.count(" ") for t in texts), dtype=np.int64, count=n)
        gaps = np.zeros(n, dtype=np.int64)
    prefix = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths + gaps, out=prefix[1:])
    # list(map(...)) then one array: faster than fromiter over a generator on CPython 3.11
    starts = np.array(list(map(_START, words)), dtype=np.int64).reshape(n)
    ends = np.array(list(map(_END, words)), dtype=np.int64).reshape(n)
    codes = word_codes(texts)
    return WordArrays(texts, spaces, lengths, raw, flags, gaps, prefix, starts, ends, codes,
                      boundary_costs(codes))


def _positions(n: int, marks: Iterable[int] | np.ndarray | None) -> np.ndarray:
    out = np.zeros(n + 1, dtype=bool)
    if marks is not None:
        arr = np.asarray(list(marks) if not isinstance(marks, np.ndarray) else marks, dtype=np.int64)
        arr = arr[(arr > 0) & (arr < n)]
        out[arr] = True
    return out


def segment(words: Sequence[Word], profile: Profile, **kw) -> list[tuple[int, int]]:
    """Split ``words`` into cue ranges ``(i, j)`` (``words[i:j]``) covering every word once, in order.

    Keyword arguments as for ``segment_bounds``.
    """
    b = segment_bounds(words, profile, **kw).tolist()
    return list(zip(b[:-1], b[1:], strict=True))


def segment_bounds(
    words: Sequence[Word] | None,
    profile: Profile,
    *,
    arrays: WordArrays | None = None,
    hard_breaks: Iterable[int] | None = None,
    preferred_breaks: Iterable[int] | None = None,
    shot_changes_ms: Sequence[int] | None = None,
    media_end_ms: int | None = None,
) -> np.ndarray:
    """Cue boundaries: sorted word positions from 0 to n; cue k is ``words[b[k]:b[k+1]]``.

    ``hard_breaks``/``preferred_breaks`` are word positions k (a break before word k) that must / should
    end a cue. ``shot_changes_ms`` are cut times: breaks at cuts are preferred, cues across them avoided.
    """
    a = arrays if arrays is not None else word_arrays(words or (), profile.count_spaces)
    n = a.n
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    ends = np.maximum.accumulate(a.ends)
    starts = np.maximum.accumulate(a.starts)
    frame_ms = 1000.0 / float(profile.rate)
    gap_ms = profile.min_gap_frames * frame_ms
    max_speech = max(profile.max_duration_ms - 2 * frame_ms, frame_ms)

    # ---- break costs and hard breaks, per position k (a break before word k)
    pause = np.zeros(n + 1, dtype=np.int64)
    pause[1:n] = a.starts[1:] - a.ends[:-1]
    bc = a.bcost.copy()
    allowed = bc < FORBIDDEN  # a pause or a cut makes a good break better; a forbidden one stays forbidden
    bc = np.where((pause >= SOFT_PAUSE_MS) & allowed, np.minimum(bc, 1.0), bc)
    bc = np.where(pause >= CLEAR_PAUSE_MS, 0.0, bc)
    hard = _positions(n, hard_breaks) | (pause >= HARD_PAUSE_MS)
    hard[0] = hard[n] = False
    preferred = _positions(n, preferred_breaks)
    cuts = np.asarray(sorted(shot_changes_ms or ()), dtype=np.int64)
    zone_ms = profile.shot_zone_frames * frame_ms
    if len(cuts) and n > 1:
        # a cut between two words (or within a zone of frames before the next word starts)
        c_after_end = np.searchsorted(cuts, a.ends[:-1], side="left")
        c_before_next = np.searchsorted(cuts, a.starts[1:] + zone_ms * 0.5, side="right")
        has_cut = np.zeros(n + 1, dtype=bool)
        has_cut[1:n] = c_before_next > c_after_end
        bc = np.where(has_cut & allowed, np.minimum(bc, 0.5), bc)
    bc = np.where(preferred, 0.0, bc)
    bc[n] = 0.0
    ib = np.zeros(n + 1, dtype=np.float64)  # cost of a cue that holds position k inside it
    ib[1:n] = np.where((a.codes[:-1] & SENT) != 0, SENTENCE_INSIDE_COST, 0.0)
    ib += np.where(preferred, PREFERRED_INSIDE_COST, 0.0)
    ibp = np.cumsum(ib)  # ibp[x] = sum(ib[:x+1]); inside (i, j) = ibp[j-1] - ibp[i]

    # ---- the longest cue starting at each word: lines (greedy fill), duration, hard breaks
    idx = np.arange(n + 1, dtype=np.int64)
    limit = a.prefix[:n] + a.gaps + profile.max_chars_per_line
    g = np.empty(n + 1, dtype=np.int64)
    g[:n] = np.searchsorted(a.prefix, limit, side="right") - 1
    g[:n] = np.clip(g[:n], idx[:n] + 1, n)
    g[n] = n
    fit = idx.copy()
    for _ in range(profile.max_lines):
        fit = g[fit]
    dur = np.searchsorted(ends, starts + max_speech, side="right")
    nxt_hard = np.where(hard, idx, n)  # the next hard break after each word
    nxt_hard[0] = n
    nxt_hard = np.minimum.accumulate(nxt_hard[::-1])[::-1][1:]
    hi = np.minimum(np.minimum(fit[:n], dur), nxt_hard)
    hi = np.maximum(hi, idx[:n] + 1)
    hi = np.minimum.accumulate(hi[::-1])[::-1]
    lo = np.zeros(n + 1, dtype=np.int64)
    lo[1:] = np.searchsorted(hi, idx[1:], side="left")  # first start whose longest cue reaches j

    # ---- time free for each cue: until the next word (less the gap), or the media's end
    free_end = np.empty(n + 1, dtype=np.float64)
    free_end[:n] = a.starts - gap_ms
    tail = media_end_ms if media_end_ms else int(ends[-1]) + profile.max_duration_ms
    free_end[n] = max(tail, int(ends[-1]))
    free_end[1:n] = np.maximum(free_end[1:n], a.ends[:-1])  # never less than the speech itself
    cut_s = cut_e = None
    if len(cuts):
        cut_s = np.searchsorted(cuts, a.starts + zone_ms, side="right")  # cuts before start+zone
        cut_e = np.zeros(n + 1, dtype=np.int64)
        cut_e[1:] = np.searchsorted(cuts, a.ends - zone_ms, side="left")  # cuts before end-zone

    params = _Params(
        n=n, prefix=a.prefix, gaps=a.gaps, starts=a.starts.astype(np.float64), bc=bc, ibp=ibp, lo=lo,
        free_end=free_end, cut_s=cut_s, cut_e=cut_e, min_dur=float(profile.min_duration_ms),
        max_dur=float(profile.max_duration_ms), ms_per_char=1000.0 / profile.max_cps,
    )
    chunks = _chunks(a, starts, ends, hard, preferred, bc, profile.min_duration_ms)
    return _solve(params, chunks)


@dataclass(frozen=True, slots=True)
class _Params:
    n: int
    prefix: np.ndarray
    gaps: np.ndarray
    starts: np.ndarray
    bc: np.ndarray
    ibp: np.ndarray
    lo: np.ndarray
    free_end: np.ndarray
    cut_s: np.ndarray | None
    cut_e: np.ndarray | None
    min_dur: float
    max_dur: float
    ms_per_char: float


def _chunks(a: WordArrays, starts: np.ndarray, ends: np.ndarray, hard: np.ndarray, preferred: np.ndarray,
            bc: np.ndarray, min_dur: int) -> np.ndarray:
    """Chunk boundaries (0 ... n) where a cue break is certain enough to solve each chunk on its own."""
    n = a.n
    cand = np.zeros(n + 1, dtype=bool)
    cand[1:n] = (a.codes[:-1] & SENT) != 0
    cand |= preferred | hard
    cand[0] = cand[n] = True
    c = np.flatnonzero(cand)
    if len(c) > 2:
        left_long = ends[c[1:-1] - 1] - starts[c[:-2]] >= min_dur
        right_long = ends[c[2:] - 1] - starts[c[1:-1]] >= min_dur
        keep = np.ones(len(c), dtype=bool)
        keep[1:-1] = (left_long & right_long) | hard[c[1:-1]]
        c = c[keep]
    if np.any(np.diff(c) > MAX_CHUNK):
        out = [0]
        for b in c[1:].tolist():
            while b - out[-1] > MAX_CHUNK:
                s = out[-1]
                lo_, hi_ = s + MAX_CHUNK // 2, s + MAX_CHUNK
                out.append(lo_ + int(np.argmin(bc[lo_:hi_])))
            out.append(b)
        c = np.asarray(out, dtype=np.int64)
    return c


def _solve(p: _Params, chunks: np.ndarray) -> np.ndarray:
    """Cue boundaries (sorted positions, 0 and n included) from the chunks' lock-step programmes."""
    starts_c = chunks[:-1]
    lens = np.diff(chunks)
    # window per chunk: how far back a cue can start, within the chunk
    j = np.arange(1, p.n + 1)
    chunk_start = np.repeat(starts_c, lens)  # the chunk holding word j-1
    span = j - np.maximum(p.lo[1:], chunk_start)
    win = np.maximum.reduceat(span, starts_c) if len(starts_c) else np.zeros(0, dtype=np.int64)
    order = np.argsort(lens, kind="stable")
    lens_sorted = lens[order]
    wcum = np.maximum.accumulate(win[order])  # an upper bound on the windows of every lane so far
    mark = np.zeros(p.n + 1, dtype=bool)
    mark[[0, p.n]] = True
    mark[chunks] = True
    pos = 0
    total = len(order)
    while pos < total:
        # the most lanes (shortest chunks first) whose cells fit the batch and step budgets
        ends = np.arange(pos + 1, min(total, pos + _STEP_CELLS) + 1)
        k = wcum[ends - 1]
        m = ends - pos
        ok = (m * (lens_sorted[ends - 1] + k) <= _BUDGET) & (m * k <= _STEP_CELLS)
        end = int(ends[np.argmin(ok)] - 1) if not ok.all() else int(ends[-1])
        end = max(end, pos + 1)
        lanes = order[pos:end]
        mark[_solve_batch(p, starts_c[lanes], lens[lanes], int(win[lanes].max()))] = True
        pos = end
    return np.flatnonzero(mark)


def _solve_batch(p: _Params, base: np.ndarray, ln: np.ndarray, kwin: int) -> np.ndarray:
    """Run the dynamic programmes of m chunks side by side; one step per word position.

    Arrays are laid out (position, lane) so that the K candidate starts of step t are the contiguous
    rows t .. t+K-1 (local positions t-K .. t-1; K rows of padding come first). The cost of a cue
    (i, j) is split into a part of i (best so far, sentence ends inside), a part of j (per-cue cost, the
    break, added after the minimum since it does not change it) and the shortfall term of both:
    short = max(need - free) with need = max(chars * ms_per_char, min_dur) and free = free_end[j] - start[i].
    """
    f32 = np.float32
    m = len(base)
    T = int(ln.max())
    K = max(1, min(kwin, T))
    x = np.arange(-K, T + 1, dtype=np.int64)
    glob = np.clip(x[:, None] + base[None, :], 0, p.n)  # (K+T+1, m)
    inner = np.minimum(glob, p.n - 1)
    pre = p.prefix[glob] + np.where(glob < p.n, p.gaps[inner], 0)  # chars(i, j) = prefix[j] - pre[i]
    t0 = p.starts[np.minimum(base, p.n - 1)][None, :]  # times relative to each chunk (float32 precision)
    sts = p.starts[inner] - t0
    free = p.free_end[glob] - t0
    mpc = p.ms_per_char
    # i-side and j-side terms of the shortfall penalty, pre-scaled:
    # pen = max(0, per_ms * short + margin) = max(0, X[j] - U[i], S[i] - Y[j])
    per = SHORT_PER_MS
    margin = SHORT_MARGIN_MS * per
    U = (per * (pre * mpc - sts)).astype(f32)
    S = (per * sts).astype(f32)
    X = (per * (p.prefix[glob] * mpc - free) + margin).astype(f32)
    Y = (per * (free - p.min_dur) - margin).astype(f32)
    ibs = p.ibp[glob].astype(f32)
    base_j = (CUE_COST + p.bc[glob] + p.ibp[np.maximum(glob, 1) - 1]).astype(f32)
    lo_j = p.lo[glob] - base[None, :] + K  # first allowed start row for an end at this row
    cs = p.cut_s[inner] if p.cut_s is not None else None
    ce = p.cut_e[glob] if p.cut_e is not None else None
    rows = np.arange(K)[:, None]
    bi = np.full((K + T + 1, m), np.inf, dtype=f32)  # best[i] - inside-cost prefix at i
    bi[K] = -ibs[K]
    back = np.zeros((T + 1, m), dtype=np.int64)
    lane = np.arange(m)
    inf = f32(np.inf)
    zero = f32(0)
    cost = np.empty((K, m), dtype=f32)
    tmp = np.empty((K, m), dtype=f32)
    for t in range(1, T + 1):
        r = K + t  # row of end position t
        w = slice(t, t + K)  # rows of start positions t-K .. t-1
        np.subtract(X[r], U[w], out=cost)
        np.subtract(S[w], Y[r], out=tmp)
        np.maximum(cost, tmp, out=cost)
        np.maximum(cost, zero, out=cost)
        cost += bi[w]
        if cs is not None and ce is not None:
            crossing = np.maximum(ce[r] - cs[w], 0)
            cost += (crossing * CUT_INSIDE_COST).astype(f32)
        cost[rows + t < lo_j[r]] = inf
        arg = cost.argmin(axis=0)
        bi[r] = cost[arg, lane] + base_j[r] - ibs[r]
        back[t] = arg + (t - K)
    # walk back from each lane's end
    out = []
    posn = ln.copy()
    while True:
        live = posn > 0
        if not live.any():
            break
        out.append(base[live] + posn[live])
        posn = np.where(live, back[np.where(live, posn, 0), lane], 0)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def group_text(words: Sequence[Word]) -> str:
    return join_words(words)
