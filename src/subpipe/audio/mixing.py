"""Speech laid under a music bed at a stated speech-to-music ratio (the benchmarks and tests build their mixes
here; ``separate`` re-exports both functions)."""

from __future__ import annotations

import numpy as np

from ..timecode import SAMPLE_RATE


def active_rms(x: np.ndarray, sr: int = SAMPLE_RATE, floor_db: float = -40.0) -> float:
    """RMS over the active samples: 20 ms frames within ``floor_db`` of the loudest frame."""
    n = sr // 50
    fr = np.asarray(x, np.float64)[:len(x) // n * n].reshape(-1, n)
    e = (fr ** 2).mean(axis=1)
    if not len(e) or e.max() <= 0:
        return 0.0
    return float(np.sqrt(e[e >= e.max() * 10 ** (floor_db / 10)].mean()))


def mix_under_bed(speech: np.ndarray, bed: np.ndarray, db: float, sr: int = SAMPLE_RATE
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(mix, scaled speech): speech laid under ``bed`` (looped or cut to length) at ``db`` speech-to-music,
    speech RMS over its active samples against the bed's RMS; scaled down together if the mix would clip.
    A stereo bed ([n, 2]) gives a stereo mix with the speech in both channels (the bed's RMS is its downmix's)."""
    bed = np.asarray(bed, np.float32)
    idx = np.arange(len(speech)) % max(len(bed), 1)
    b = bed[idx]
    mono = b.mean(axis=1) if b.ndim == 2 else b
    gain = np.sqrt(np.mean(mono.astype(np.float64) ** 2)) * 10 ** (db / 20) / max(active_rms(speech, sr), 1e-9)
    s = (np.asarray(speech, np.float32) * gain).astype(np.float32)
    mix = (s[:, None] if b.ndim == 2 else s) + b
    peak = float(np.abs(mix).max()) if len(mix) else 0.0
    if peak > 1:
        mix, s = mix / peak, s / peak
    return mix.astype(np.float32), s.astype(np.float32)
