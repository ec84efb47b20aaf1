"""A plain energy detector: voiced 10 ms frames, and the unvoiced runs between them."""

from __future__ import annotations

import numpy as np

from .types import SAMPLE_RATE


# ---------------------------------------------------------------- energy (voice activity)
def voiced_frames(samples: np.ndarray, frame_ms: int = 10) -> np.ndarray:
    """A boolean per 10 ms frame: louder than the noise floor by a margin (a plain energy detector).

    The floor and the speech level are read from frames that are not digital silence, so a channel
    that is silent half of the time still has its own noise floor.
    """
    hop = SAMPLE_RATE * frame_ms // 1000
    n = len(samples) // hop
    if n == 0:
        return np.zeros(0, bool)
    x = samples[: n * hop].astype(np.float32).reshape(n, hop)
    db = 10 * np.log10(np.mean(x * x, axis=1) + 1e-10)
    live = db[db > -85]
    if live.size < 10:
        return np.zeros(n, bool)
    peak = float(np.percentile(live, 97))
    floor = min(float(np.percentile(live, 10)), peak - 20.0)  # a file that is all voice still has a floor
    thr = floor + max(6.0, 0.3 * (peak - floor))
    voiced = db > thr
    _drop_short_runs(voiced, True, 5)  # clicks and noise bursts under 50 ms are not speech
    _drop_short_runs(voiced, False, 3)  # nor are gaps under 30 ms pauses (stop closures)
    return voiced


def _drop_short_runs(mask: np.ndarray, value: bool, min_frames: int) -> None:
    n = len(mask)
    k = 0
    while k < n:
        if mask[k] != value:
            k += 1
            continue
        j = k
        while j < n and mask[j] == value:
            j += 1
        if j - k < min_frames and k > 0 and j < n:
            mask[k:j] = not value
        k = j


def unvoiced_runs(voiced: np.ndarray, min_ms: int) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of stretches without voice at least min_ms long."""
    out = []
    n = len(voiced)
    k = 0
    while k < n:
        if voiced[k]:
            k += 1
            continue
        j = k
        while j < n and not voiced[j]:
            j += 1
        if (j - k) * 10 >= min_ms:
            out.append((k * 10, j * 10))
        k = j
    return out


def voiced_ms(voiced: np.ndarray, start_ms: int, end_ms: int) -> int:
    a, b = max(0, start_ms // 10), max(0, end_ms // 10)
    return int(voiced[a:b].sum()) * 10
