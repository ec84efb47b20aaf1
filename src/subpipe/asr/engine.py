"""What the two decoding paths share, so that neither imports the other.

``transcribe.py`` (the adapter: options, the model cache, the sequential decoder for audio in memory, the
Transcript) and ``longform.py`` (bounded-memory decoding of long sources, batched or by window) meet here:
the engine choice and its sizes, the result of a long decode (``Decoded``, with its statistics) and the
one place Whisper's float seconds become integer milliseconds (``to_word``). ``transcribe`` calls
``longform.decode_source`` and hands it its own window decoder, guards and token list as callables;
``longform`` imports nothing from ``transcribe``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import SubpipeError
from ..model import Dropped, Word, seconds_to_ms
from ..timecode import SAMPLE_RATE, ms_to_samples, samples_to_ms
from .coverage import Coverage
from .guards import SpeechMap
from .languages import LanguageSpan

log = logging.getLogger("subpipe")

Progress = Callable[[int, int], None]  # (done_ms, total_ms)
ENGINES = ("auto", "sequential", "batched")
# auto: batched from this length on (CPU: measured in bench/bench_long.py; below it the sequential
# decoder's context is worth more than the batch's speed), on CUDA for everything but the shortest clips.
BATCHED_MIN_MS = {"cpu": 180_000, "cuda": 30_000}
# windows per batch when the options say 0. CPU: 2, each batch on one of two replicas (DECODER_REPLICAS): on
# long12 (bench/results/long.md, helpers held, 2 cores) 2 replicas x batch 2 ran in 71 s against 89 s for one
# replica x batch 4 with 2 threads, at the same WER and about the same peak (765 against 670 MiB; 2 x batch 4:
# 69 s but 1251 MiB: the encoder's attention buffers grow with the windows in flight). CUDA keeps 8.
BATCH_SIZE = {"cpu": 2, "cuda": 8}
# The batched engine on a CPU decodes this many blocks at once, each on its own CTranslate2 replica with its
# share of the threads (one set of weights): on a CPU one replica scales poorly across threads for a greedy
# batch of windows, two replicas with one thread each keep two cores busy (bench/results/long.md). The
# blocks and their windows do not depend on it: the same words and times with 1 or 2 replicas.
DECODER_REPLICAS = {"cpu": 2, "cuda": 1}


def batch_size(options: Any, device: str) -> int:
    """The batched engine's windows per batch: the options' own, or the device's default for 0."""
    if options.batch_size and options.batch_size > 0:
        return int(options.batch_size)
    return BATCH_SIZE.get(device, BATCH_SIZE["cpu"])


def decoder_replicas(cpu_threads: int, device: str) -> tuple[int, int]:
    """(replicas, threads each) for the batched engine: ``DECODER_REPLICAS`` of the device, no more than the
    cores the job may use (``audio.source.job_cores``), the threads asked for (``cpu_threads``; 0: those
    cores) shared out among them."""
    from ..audio.source import job_cores

    cores = job_cores(cpu_threads)
    n = min(DECODER_REPLICAS.get(device, 1), cores)
    if n <= 1:
        return 1, cpu_threads
    return n, max(1, (cpu_threads or cores) // n)


def choose_engine(engine: str, duration_ms: int, device: str) -> str:
    if engine not in ENGINES:
        raise SubpipeError(f"unknown engine {engine!r} (use {', '.join(ENGINES)})")
    if engine != "auto":
        return engine
    return "batched" if duration_ms >= BATCHED_MIN_MS.get(device, BATCHED_MIN_MS["cpu"]) else "sequential"


@dataclass
class Decoded:
    """What ``longform.decode_source`` returns; ``stats``: the batched engine's counts for this call
    (windows, and how many were decoded again sequentially or continued after an early stop)."""

    words: list[Word]
    translation: list[Word]
    dropped: list[Dropped]
    language: str | None
    spans: list[LanguageSpan]
    speech: SpeechMap | None
    notes: list[str]
    seen: dict[str, int]
    probs: np.ndarray
    stats: dict[str, int] = field(default_factory=dict)
    coverage: Coverage | None = None  # VAD speech against the words' time, and what was decoded again


def to_word(w: Any, prev: Word | None, duration_ms: int, offset_ms: int = 0, language: str | None = None
            ) -> Word | None:
    """A faster-whisper word as a :class:`Word`: the one place Whisper's float seconds become integer ms."""
    raw = w.word
    text = raw.strip()
    if not text:
        return None
    start = min(offset_ms + seconds_to_ms(w.start), duration_ms)
    end = min(max(offset_ms + seconds_to_ms(w.end), start), duration_ms)
    if prev is not None and start < prev.start_ms:  # keep starts non-decreasing
        start = prev.start_ms
        end = max(end, start)
    return Word(text, start, end, round(float(w.probability), 4), space_before=raw[:1].isspace(), language=language)


_BLAS_LOCK = threading.Lock()
_BLAS_DEPTH = 0
_BLAS_LIMITER: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS thread for the duration of the block (also a decorator), so Whisper's log-mel features are the
    same bytes on every executor; the host's limits are restored when the outermost block ends.

    faster-whisper multiplies the spectrogram by the mel filters with numpy (``@``: BLAS), and OpenBLAS sums
    in an order that depends on its thread count: a Ray or ``-j`` worker (``OMP_NUM_THREADS=1``) got other
    features, other word times and a cue a frame off from a serial run. The product is a few ms per file.
    Blocks may nest and overlap across threads (a count: the limit holds until the last one ends).
    """
    global _BLAS_DEPTH, _BLAS_LIMITER
    with _BLAS_LOCK:
        if _BLAS_DEPTH == 0:
            try:
                from threadpoolctl import threadpool_limits
            except ImportError:  # pragma: no cover - a declared dependency
                log.warning("threadpoolctl is missing: transcripts may differ with the BLAS thread count")
            else:
                _BLAS_LIMITER = threadpool_limits(limits=1, user_api="blas")
        _BLAS_DEPTH += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_DEPTH -= 1
            if _BLAS_DEPTH == 0 and _BLAS_LIMITER is not None:
                _BLAS_LIMITER.restore_original_limits()
                _BLAS_LIMITER = None


def decoder_count(whisper: Any) -> int:
    """How many decoder replicas a loaded ``WhisperModel`` has (``load_model(replicas=)``)."""
    return int(getattr(getattr(whisper, "model", None), "num_workers", 1) or 1)


@contextlib.contextmanager
def on_replicas(whisper: Any) -> Iterator[Callable[..., Iterator[Any]]]:
    """A ``map`` whose calls run on the model's decoder replicas at once (the batched engine on a CPU loads
    two, ``decoder_replicas``), results in order; plain ``map`` on a model with one. The calls must be
    independent of each other: then the result is the same either way."""
    replicas = decoder_count(whisper)
    if replicas <= 1:
        yield map
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(replicas, thread_name_prefix="subpipe-decode") as ex:
        yield ex.map


def refill(read: Callable[[int, int], np.ndarray], decode_window: Callable, whisper: Any, segs: list,
           speech: list[tuple[int, int]], a: int, b: int, options: Any, *, lang: str | None, task: str,
           duration_ms: int, tag: bool, speech_map: Any = None) -> tuple[list, list]:
    """Nothing lost (asr/coverage.py): each stretch of ``speech`` in [a, b) that no segment's words cover is
    decoded again on its own with ``decode_window`` (the sequential decoder) over the samples ``read(i, j)``
    gives; returns the segments with the words found added, and the stretches decoded again. Both engines use it.
    With ``speech_map`` (and the guards on), only the words the guards keep cover speech: a loop Whisper fell
    into over real speech (a segment dropped whole, a line repeated segment after segment, a phrase looping
    inside one segment) is decoded again instead of leaving a hole (issue 27). ``decode_window`` must be safe to
    call from several threads (one model call per replica at a time)."""
    from . import coverage
    from .guards import apply_guards

    covering = None
    if speech_map is not None and getattr(options, "guards", False):
        covering = apply_guards(segs, speech_map, options.guard_options()).words

    def decode(lo: int, hi: int) -> list:
        part = read(ms_to_samples(lo), ms_to_samples(hi))
        return decode_window(whisper, part, options, language=lang, task=task, offset_ms=lo,
                             duration_ms=duration_ms, progress=None, tag=tag)[0]

    with on_replicas(whisper) as each:
        out, redone = coverage.fill(segs, speech, a, b, decode, covering=covering, map_each=each)
    if redone:
        log.info("coverage: %d stretch(es) of speech without words (%.1f s) decoded again", len(redone),
                 sum(g.speech_ms for g in redone) / 1000)
    return out, redone


# Tokens a decode of weak speech may write per second of its audio (at least WEAK_TOKENS_MIN): twice a fast
# speaker's rate (about 6 text tokens a second, timestamps included). What a faint stretch makes Whisper loop on
# (room tone, crosstalk) stops there instead of running to 448 tokens in beam search: on long12 two 3 s
# stretches took 7 s each to decode 112 looping words that the confidence floor then refused.
WEAK_TOKENS_PER_S = 12
WEAK_TOKENS_MIN = 24


def refill_weak(read: Callable[[int, int], np.ndarray], decode_window: Callable, whisper: Any, segs: list,
                weak: list[tuple[int, int]], a: int, b: int, options: Any, *, lang: str | None, task: str,
                duration_ms: int, tag: bool,
                decode_many: Callable[[list[tuple[int, int]]], list[list[Any]]] | None = None
                ) -> tuple[list, list, list]:
    """``refill`` over weak speech (``coverage.weak_spans``, issue 27): a segment decoded there is kept only when
    Whisper is confident of it (mean log-probability at least the options' ``log_prob_threshold``, no-speech
    probability under ``no_speech_threshold``): a faint voice said something, crosstalk and room noise did not.
    ``decode_many`` (the batched engine's): decodes every stretch ``(lo_ms, hi_ms)`` at once, the segments heard
    around each (those of other stretches are left out by time); else each is decoded on its own with
    ``decode_window``. Returns (segments, stretches decoded again, the words of the segments refused, as
    ``Dropped``)."""
    from ..model import Dropped
    from . import coverage

    if not weak:
        return segs, [], []
    lp = options.log_prob_threshold if options.log_prob_threshold is not None else -1.0
    ns = options.no_speech_threshold if options.no_speech_threshold is not None else 0.6
    have = [w for sg in segs for w in sg.words]
    refused: list[Dropped] = []

    def judge(out: list, lo: int, hi: int) -> list:
        ok = [sg for sg in out if sg.avg_logprob >= lp and sg.no_speech_prob < ns]
        for sg in out:
            if sg not in ok:
                why = (f"decoded again from weak speech (VAD under {options.vad_threshold}): mean log-probability "
                       f"{sg.avg_logprob:.2f}, no-speech probability {sg.no_speech_prob:.2f}; kept only from {lp} "
                       f"and under {ns}")
                refused.extend(Dropped(w.text, w.start_ms, w.end_ms, "weak-speech", why)
                               for w in coverage.new_words(sg.words, have, lo, hi))
        return ok

    def confident(whisper: Any, part: np.ndarray, options: Any, **kw: Any) -> tuple[list, str]:
        cap = max(WEAK_TOKENS_MIN, int(WEAK_TOKENS_PER_S * min(len(part) / SAMPLE_RATE, 30)))
        out, found = decode_window(whisper, part, options, max_new_tokens=cap, **kw)
        return judge(out, kw["offset_ms"], kw["offset_ms"] + samples_to_ms(len(part))), found

    if decode_many is None:
        out, redone = refill(read, confident, whisper, segs, weak, a, b, options, lang=lang, task=task,
                             duration_ms=duration_ms, tag=tag)
    else:
        def each(_decode: Any, los: list[int], his: list[int]) -> list[list]:
            spans = list(zip(los, his, strict=True))
            return [judge(found, lo, hi) for (lo, hi), found in zip(spans, decode_many(spans), strict=True)]

        out, redone = coverage.fill(segs, weak, a, b, None, map_each=each)  # type: ignore[arg-type]
    refused.sort(key=lambda d: (d.start_ms, d.end_ms, d.text))  # stretches may decode at once (on_replicas)
    return out, redone, refused
