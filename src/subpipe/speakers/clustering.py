"""Pure functions from embeddings to speakers: change points, average-linkage clustering, centres, names from
enrolled voices, words and utterances labelled by the segments they fall in."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..model import Utterance, Word

log = logging.getLogger("subpipe")


# Tuned on mix A of bench/bench_speakers.py (seed 1), validated on mix B (seed 2, other recordings).
CLUSTER_THRESHOLD = 0.4  # average-linkage cosine distance at which clusters stop merging (auto)
CHANGE_THRESHOLD = 0.55  # cosine distance between the 1.6 s either side of a boundary that splits a segment
NAME_MIN_SIM = 0.72  # a cluster centre this similar to an enrolled voice takes its name
OVERLAP_MARGIN = 0.04  # a segment whose best two centres are this close in similarity is left unlabelled
OVERLAP_MAX_SIM = 0.6  # ... when its best similarity is also below this
MIN_SPEAKER_MS = 1500  # a cluster with less speech than this is merged into its nearest neighbour (auto)
# ... and one with less than SPLINTER_MAX_MS that is at least SPLINTER_MIN_SIM like another cluster: a splinter of
# that voice (issue 26). Mix A (base, per-utterance languages, as bench_speakers runs it) gave 8 speakers for 7:
# splinters of 0.5-1.3 s (merged to 2.1 s) whose centres are 0.58-0.60 like another; the shortest true voice
# (Mandarin, 2.9-3.4 s of words) is 0.49-0.50 like any other. No clustering threshold separates them
# (0.35-0.45: 8 found; 0.5: 6, two voices merged). With the rule: 7/7 and 0 wrong words, mix B unchanged.
SPLINTER_MAX_MS = 4000
SPLINTER_MIN_SIM = 0.55


# ------------------------------------------------------------------ pure functions: segments and clusters
def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


def change_points(emb: np.ndarray, *, context: int = 2, threshold: float = CHANGE_THRESHOLD) -> list[int]:
    """Positions k (a change before atom k) where the mean of the ``context`` atoms before and after k
    differ by more than ``threshold`` in cosine distance and the distance is a local peak."""
    n = len(emb)
    if n < 2:
        return []
    d = np.zeros(n + 1)
    for k in range(1, n):
        left = _unit(emb[max(0, k - context):k].mean(axis=0))
        right = _unit(emb[k:min(n, k + context)].mean(axis=0))
        d[k] = 1.0 - float(left @ right)
    out = []
    for k in range(1, n):
        if d[k] > threshold and d[k] >= d[k - 1] and d[k] >= d[k + 1]:
            out.append(k)
    return out


def agglomerate(emb: np.ndarray, *, weights: np.ndarray | None = None, threshold: float = CLUSTER_THRESHOLD,
                n_clusters: int | None = None) -> np.ndarray:
    """Average-linkage agglomerative clustering on cosine distance; labels 0..k-1 in order of first appearance.

    Stops when the closest two clusters are ``threshold`` apart or more, or when ``n_clusters`` remain.
    Deterministic: ties are broken by the lowest index pair. ``weights`` (e.g. seconds of speech) weight
    each item's share of the average.
    """
    x = _unit(np.asarray(emb, dtype=np.float64))
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64).copy()
    dist = 1.0 - x @ x.T
    np.fill_diagonal(dist, np.inf)
    active = np.ones(n, dtype=bool)
    members = [[i] for i in range(n)]
    target = max(1, n_clusters) if n_clusters is not None else 1
    count = n
    while count > target:
        flat = int(np.argmin(dist))  # merged-away rows and columns are inf
        i, j = divmod(flat, n)
        if n_clusters is None and dist[i, j] >= threshold:
            break
        i, j = min(i, j), max(i, j)
        wi, wj = w[i], w[j]
        new = (wi * dist[i] + wj * dist[j]) / (wi + wj)  # Lance-Williams, (weighted) average linkage
        dist[i, :] = new
        dist[:, i] = new
        dist[i, i] = np.inf
        dist[j, :] = np.inf
        dist[:, j] = np.inf
        active[j] = False
        w[i] = wi + wj
        members[i] += members[j]
        members[j] = []
        count -= 1
    labels = np.empty(n, dtype=np.int64)
    for c, m in enumerate(sorted((sorted(m) for m in members if m), key=lambda m: m[0])):
        labels[m] = c
    return labels


def centroids(emb: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    k = int(labels.max()) + 1 if len(labels) else 0
    w = np.ones(len(emb)) if weights is None else np.asarray(weights, dtype=np.float64)
    return np.stack([_unit((np.asarray(emb)[labels == c] * w[labels == c, None]).sum(axis=0)) for c in range(k)]) \
        if k else np.zeros((0, np.asarray(emb).shape[-1] if np.ndim(emb) == 2 else 256))


def relabel_in_order(labels: np.ndarray) -> np.ndarray:
    """Renumber labels 0..k-1 by first appearance (S1 is whoever speaks first)."""
    out = np.full(len(labels), -1, dtype=np.int64)
    mapping: dict[int, int] = {}
    for i, v in enumerate(labels.tolist()):
        if v < 0:
            continue
        if v not in mapping:
            mapping[v] = len(mapping)
        out[i] = mapping[v]
    return out


def name_clusters(cents: np.ndarray, voices: Sequence[tuple[str, np.ndarray]], *,
                  min_sim: float = NAME_MIN_SIM) -> dict[int, tuple[str, float]]:
    """Cluster -> (name, similarity) for enrolled voices: best pairs first, each name and cluster once."""
    pairs = []
    for c in range(len(cents)):
        for v, (name, e) in enumerate(voices):
            s = float(_unit(cents[c]) @ _unit(e))
            if s >= min_sim:
                pairs.append((-s, c, v, name))
    out: dict[int, tuple[str, float]] = {}
    used: set[int] = set()
    for neg, c, v, name in sorted(pairs):
        if c in out or v in used:
            continue
        out[c] = (name, round(-neg, 4))
        used.add(v)
    return out


def words_speakers(words: Sequence[Word], spans: Sequence[tuple[int, int, int]]) -> list[int]:
    """Each word's speaker index (-1: none) from labelled spans (start_ms, end_ms, label; label -1 =
    unlabelled): the label covering most of the word; a word no span touches takes the nearest span's label."""
    spans = sorted(spans)
    starts = np.array([s for s, _, _ in spans], dtype=np.int64)
    out = []
    for w in words:
        if not spans:
            out.append(-1)
            continue
        lo = max(0, int(np.searchsorted(starts, w.start_ms, side="right")) - 8)
        cover: dict[int, int] = {}
        best_d, nearest = None, -1
        for s, e, lab in spans[lo:]:
            if s > w.end_ms + 5000:
                break
            ov = min(e, w.end_ms) - max(s, w.start_ms)
            if ov > 0 or (w.start_ms == w.end_ms and s <= w.start_ms < e):
                cover[lab] = cover.get(lab, 0) + max(ov, 1)
            dd = max(s - w.end_ms, w.start_ms - e, 0)
            if best_d is None or dd < best_d:
                best_d, nearest = dd, lab
        if cover:
            out.append(max(sorted(cover), key=lambda k: cover[k]))
        else:
            # no span touches the word: the nearest one's label (also for spans found before lo)
            for s, e, lab in spans[:lo]:
                dd = max(s - w.end_ms, w.start_ms - e, 0)
                if best_d is None or dd < best_d:
                    best_d, nearest = dd, lab
            out.append(nearest)
    return out


def split_utterances(utterances: Sequence[Utterance], words: Sequence[Word]) -> tuple[Utterance, ...]:
    """Utterances split where the speaker of their words changes; each takes its words' speaker."""
    out: list[Utterance] = []
    pos = 0
    for u in utterances:
        ws = words[pos:pos + len(u.words)]
        if [(w.text, w.start_ms) for w in ws] != [(w.text, w.start_ms) for w in u.words]:
            ws = u.words  # not a partition: keep the words as they are
        else:
            pos += len(u.words)
        cur: list[Word] = []
        for w in ws:
            if cur and w.speaker != cur[-1].speaker:
                out.append(replace(u, words=tuple(cur), speaker=cur[-1].speaker))
                cur = []
            cur.append(w)
        if cur:
            out.append(replace(u, words=tuple(cur), speaker=cur[-1].speaker))
    return tuple(out)
