"""Audio that need not fit in memory: a 16 kHz mono source read by time, and Silero VAD over windows.

``media.open_audio`` decodes a long input once (ffmpeg, through media.py) into a raw float32 PCM temp
file and returns a ``FileSource``; short inputs stay in memory as an ``ArraySource``. Both offer the same
small interface: ``duration_ms``, ``n_samples``, ``read(start_ms, end_ms)`` (float32 samples, what the
word-timing refinement needs), ``read_samples(a, b)`` and ``windows(size, overlap)``.

The PCM is float32, the very samples ``media.extract_audio`` pipes into memory, so a streamed decode
equals the in-memory decode sample for sample (an s16 file would quantise them and change short-file
results against today).

``vad_probs`` runs Silero over the source window by window, carrying the model's LSTM state and the
64-sample context across windows exactly as faster-whisper's ``SileroVADModel`` carries them across its
10,000-frame encoder batches, so the probabilities are bit-identical to the whole-file call while memory
stays at one window. ``speech_timestamps`` is faster-whisper's ``get_speech_timestamps`` post-processing
over those probabilities (MIT, SYSTRAN/faster-whisper ``vad.py``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..timecode import SAMPLE_RATE, ms_to_samples, samples_duration_ms

log = logging.getLogger("subpipe")

VAD_FRAME = 512  # samples per Silero probability (32 ms)
VAD_HOP_MS = 32  # Silero VAD: one probability per 512 samples at 16 kHz
VAD_CONTEXT = 64
VAD_BATCH_FRAMES = 10_000  # faster-whisper's encoder_batch_size: windows on the same boundaries


@dataclass(frozen=True)
class SpeechMap:
    """Speech probability per frame (Silero VAD), ``hop_ms`` apart from the start of the audio."""

    probs: np.ndarray
    hop_ms: int = VAD_HOP_MS

    def window(self, start_ms: int, end_ms: int) -> np.ndarray:
        a = max(0, start_ms // self.hop_ms)
        b = max(a + 1, -(-end_ms // self.hop_ms))  # at least one frame
        return self.probs[a:b]

    def fraction(self, start_ms: int, end_ms: int, threshold: float = 0.5) -> float:
        """Share of the frames in [start, end) whose speech probability is at least ``threshold``."""
        w = self.window(start_ms, end_ms)
        return float(np.mean(w >= threshold)) if len(w) else 0.0

    def peak(self, start_ms: int, end_ms: int) -> float:
        w = self.window(start_ms, end_ms)
        return float(w.max()) if len(w) else 0.0




_HEAP_MODE: str | None = None
_TUNED = False  # tune_process() was called: the heap modes below act only then
# glibc's mallopt parameters
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -3, -4, -8
_MMAP_MAX_DEFAULT = 65536
DECODER_TRIM_BYTES = 1 << 30  # free heap kept while Whisper decodes (reused by the next window's buffers)


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL("libc.so.6")


def bound_heap() -> None:
    """glibc only: serve allocations of 1 MiB and more with mmap, so the large per-window buffers (VAD
    batches, FFT blocks, feature stacks) go back to the system when freed instead of fragmenting the heap.
    Measured on a 36-minute input: Silero's peak 351 -> 295 MiB, the music features' 264 -> 210 MiB; without
    it the peak creeps up with the first few windows. Only on the long-input path; coming back from
    ``decoder_heap`` it first hands the decoder's free heap back to the system (``malloc_trim``)."""
    _heap_mode("blocks")


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def job_cores(cpu_threads: int) -> int:
    """The cores one job may keep busy at once (the one rule for the decoder's replicas and the phone
    aligner's processes): the threads asked for (a ``-j`` worker's share; 0: all), no more than this process
    may run on."""
    cores = usable_cores()
    return min(cpu_threads, cores) if cpu_threads > 0 else cores


def tune_process() -> None:
    """Tune this process for subpipe's throughput (glibc's allocator); importing subpipe never does.

    The CLI's ``main``, ``-j`` workers and Ray actors call it when they start; a library user may call it
    once, early (before the process starts threads). It sets one malloc arena (``one_arena``) and lets the
    decoders switch the heap's mmap and trim thresholds while they run (``decoder_heap``, ``bound_heap``,
    ``decoding``): less memory and fewer page faults on long inputs, the same words and times. Without it
    those switches do nothing and the allocator keeps the host's settings. Idempotent."""
    global _TUNED
    if _TUNED:
        return
    _TUNED = True
    one_arena()


def process_tuned() -> bool:
    """Whether ``tune_process`` was called in this process."""
    return _TUNED


def one_arena() -> None:
    """glibc only: every thread allocates from the main arena. glibc fixes its arena limit when a second
    thread first allocates, so ``tune_process`` calls this first thing in the CLI's main (and ``-j`` workers
    when they start; Ray actors get ``MALLOC_ARENA_MAX=1``). A thread's own arena is a heap of at most 64 MiB, so a
    larger buffer there is always a fresh mmap, whatever ``decoder_heap`` says: Whisper's encoder
    attention alone is 72 MiB a window (8 heads x 1500 x 1500 floats). CTranslate2's replica threads freed
    and mapped those again for every layer of every window: on the 12-minute bench input 5 million page
    faults, 18 of the run's 103 CPU seconds in the kernel. In one arena with mmap off (``decoder_heap``)
    they are reused: 0.5 million faults, 3-4 s in the kernel, 48-49 instead of 57 s, peak 744 instead of
    808 MiB. CTranslate2 allocates per operation, not per element, so one arena's lock costs nothing
    measurable."""
    try:
        _libc().mallopt(_M_ARENA_MAX, 1)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def decoder_heap() -> None:
    """glibc only: while Whisper decodes, no mmap at all and a trim threshold of ``DECODER_TRIM_BYTES``:
    CTranslate2 allocates and frees buffers of 1-150 MiB for every layer of every step (the encoder's
    attention is 72 MiB per window of a batch); as fresh mmaps each was zero-filled page by page and
    unmapped again (see ``one_arena``). On the heap those buffers are reused from one step and batch to
    the next, so the decoder's memory is bounded by the batch, not the input; ``bound_heap`` hands the
    free heap back when decoding is done."""
    _heap_mode("decoder")


@contextlib.contextmanager
def decoding() -> Iterator[None]:
    """``decoder_heap`` for the block's duration, then the heap as it was (when no mode was set, a short
    file's in-memory path: the thresholds glibc's own dynamic rule settles at, mmap from 32 MiB and trim
    from 64 MiB; once set by hand glibc stops adjusting them). Measured on a 52 s file: 1.1 million page
    faults and 5.4 of its 24.5 CPU seconds in the kernel before, 0.2 million and 2.6 s after."""
    before = _HEAP_MODE
    decoder_heap()
    try:
        yield
    finally:
        _heap_mode(before or "default")


def _heap_mode(mode: str) -> None:
    global _HEAP_MODE
    if not _TUNED or _HEAP_MODE == mode:  # the host's allocator settings unless tune_process() was called
        return
    if mode == "decoder":
        _PREFETCH_GO.clear()
    else:
        _PREFETCH_GO.set()
    try:
        libc = _libc()
        if mode == "decoder":
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, DECODER_TRIM_BYTES)
        elif mode == "default":  # where glibc's dynamic thresholds settle (its DEFAULT_MMAP_THRESHOLD_MAX)
            libc.mallopt(_M_MMAP_MAX, _MMAP_MAX_DEFAULT)
            libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
            libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
        else:  # "blocks" (bound_heap)
            libc.mallopt(_M_MMAP_MAX, _MMAP_MAX_DEFAULT)
            libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
            libc.mallopt(_M_TRIM_THRESHOLD, 128 << 10)  # glibc's default
        if _HEAP_MODE == "decoder":  # the decoder's free heap back to the system
            libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
    _HEAP_MODE = mode


class AudioSource(Protocol):
    """16 kHz mono float32 audio, read by time."""

    @property
    def n_samples(self) -> int: ...

    @property
    def duration_ms(self) -> int: ...

    def read_samples(self, a: int, b: int) -> np.ndarray: ...

    def read(self, start_ms: int, end_ms: int) -> np.ndarray: ...


_MEMO_LOCK = threading.Lock()
# Prefetch threads (``_Base.prefetch``) wait at their next read while Whisper decodes (``decoder_heap`` clears
# this, every other heap mode sets it). Quiet, they are done before the decoder starts; on a loaded machine
# (their threads run at the lowest priority) they went on through the decoding, and their blocks in the
# decoder's one-arena heap took a 30-minute input's peak from 809 to 1,100 MiB (two busy processes at nice 10
# beside it; docs/notes/issue-25.md). Whoever asks for a prefetched value lets them go again (``memo``).
_PREFETCH_GO = threading.Event()
_PREFETCH_GO.set()
_IN_PREFETCH = threading.local()


def _prefetch_waits() -> None:
    """In a prefetch thread: wait here while the decoder holds the heap (a read is where a block begins)."""
    if getattr(_IN_PREFETCH, "on", False):
        _PREFETCH_GO.wait()


class _Base:
    n_samples: int

    def memo(self, compute: Callable[[Any], Any]) -> Any:
        """``compute(self)``, once per source and function (the samples never change), kept with the source;
        when ``prefetch`` started it, its result is waited for (the same value, computed elsewhere)."""
        fut, mine = self._slot(compute)
        if mine:
            _settle(fut, compute, self)
        elif not fut.done():
            _PREFETCH_GO.set()  # a prefetch holding back for the decoder: its value is wanted now
        return fut.result()

    def prefetch(self, compute: Callable[[Any], Any]) -> None:
        """Start ``memo(compute)`` in a background thread at the lowest priority, so it takes only the CPU
        the job leaves idle (the model loading, language detection, the decoder's Python gaps). A failure
        is raised where the value is asked for, as without the prefetch."""
        fut, mine = self._slot(compute)
        if not mine:
            return

        def run() -> None:
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # Linux: this thread only
            except (AttributeError, OSError):  # pragma: no cover - not Linux
                pass
            _IN_PREFETCH.on = True
            _settle(fut, compute, self)

        threading.Thread(target=run, name=f"subpipe-prefetch-{compute.__name__}", daemon=True).start()

    def _slot(self, compute: Callable[[Any], Any]) -> tuple[Future[Any], bool]:
        """The future holding ``compute``'s value for this source; True when the caller must compute it."""
        with _MEMO_LOCK:
            cache = self.__dict__.setdefault("_memo", {})
            if compute in cache:
                return cache[compute], False
            fut: Future[Any] = Future()
            cache[compute] = fut
            return fut, True

    def _settled(self) -> None:
        """Wait for every prefetch of this source (before its file closes under them)."""
        _PREFETCH_GO.set()
        for fut in list(self.__dict__.get("_memo", {}).values()):
            fut.exception()

    @property
    def duration_ms(self) -> int:
        return samples_duration_ms(self.n_samples)

    def read(self, start_ms: int, end_ms: int) -> np.ndarray:
        """Samples in [start_ms, end_ms), clamped to the audio (a fresh float32 array)."""
        return self.read_samples(ms_to_samples(max(0, start_ms)), ms_to_samples(max(0, end_ms)))

    def read_samples(self, a: int, b: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def windows(self, size: int, overlap: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        """(first sample, samples) for windows of ``size`` samples, each starting ``size - overlap`` after
        the one before; the last may be shorter."""
        if not 0 <= overlap < size:
            raise ValueError("overlap must be >= 0 and smaller than the window")
        step = size - overlap
        a = 0
        while a < self.n_samples:
            yield a, self.read_samples(a, min(self.n_samples, a + size))
            if a + size >= self.n_samples:
                break
            a += step

    def materialize(self) -> np.ndarray:
        """The whole audio in memory (for stages that still need it; costs 4 bytes a sample)."""
        return self.read_samples(0, self.n_samples)


class ArraySource(_Base):
    """Samples already in memory (short inputs, tests)."""

    def __init__(self, samples: np.ndarray):
        self.samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        self.n_samples = len(self.samples)

    def read_samples(self, a: int, b: int) -> np.ndarray:
        _prefetch_waits()
        a, b = max(0, a), min(self.n_samples, b)
        return self.samples[a:b].copy() if b > a else np.zeros(0, dtype=np.float32)

    def materialize(self) -> np.ndarray:
        return self.samples

    def close(self) -> None:
        pass

    def __enter__(self) -> ArraySource:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class FileSource(_Base):
    """Raw float32 little-endian mono PCM in a file, read with ``pread`` (no mmap: mapped pages would
    count in the resident set as they are touched; no shared file position: threads read at once, as the
    batched engine's replicas do). ``owned``: delete the file on ``close``."""

    def __init__(self, path: Path, *, owned: bool = False):
        self.path = Path(path)
        self.owned = owned
        self._fh = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        self.n_samples = os.fstat(self._fh.fileno()).st_size // 4

    def read_samples(self, a: int, b: int) -> np.ndarray:
        _prefetch_waits()
        a, b = max(0, a), min(self.n_samples, b)
        if b <= a:
            return np.zeros(0, dtype=np.float32)
        want, parts, at = (b - a) * 4, [], a * 4
        while want > 0:
            chunk = os.pread(self._fh.fileno(), want, at)
            if not chunk:  # the file shrank under us: never hand back fewer samples than asked for
                from ..errors import MediaError

                raise MediaError(f"the decoded audio ended at sample {at // 4}, not {b}: its temp file was cut "
                                 "short while in use", path=self.path, hint="rerun; keep the output folder's "
                                 "disk from filling up")
            parts.append(chunk)
            want -= len(chunk)
            at += len(chunk)
        return np.frombuffer(b"".join(parts), dtype="<f4").astype(np.float32, copy=True)

    def close(self) -> None:
        self._settled()
        if not self._fh.closed:
            self._fh.close()
        if self.owned:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # a dropped source must not leave a temp file behind
        try:
            self.close()
        except Exception:  # pragma: no cover
            pass

    def __getstate__(self) -> dict:  # picklable for process pools: reopen by path, never delete twice
        return {"path": str(self.path)}

    def __setstate__(self, state: dict) -> None:
        self.__init__(Path(state["path"]), owned=False)  # type: ignore[misc]


def _settle(fut: Future, compute: Callable[[Any], Any], source: Any) -> None:
    try:
        fut.set_result(compute(source))
    except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the value
        fut.set_exception(exc)


def memoised(source: Any, compute: Callable[[Any], Any]) -> Any:
    """``compute(source)``: once per source when it is an AudioSource (``_Base.memo``; the pipeline may have
    prefetched it), else computed here (an array of samples)."""
    return source.memo(compute) if isinstance(source, _Base) else compute(source)


def as_source(audio: Any) -> Any:
    """An AudioSource for a source or an array of samples."""
    if hasattr(audio, "read_samples"):
        return audio
    return ArraySource(audio)


# ----------------------------------------------------------------------------------- Silero VAD
def vad_probs(source: Any) -> np.ndarray:
    """Silero speech probability for every 512 samples of the source, bit-identical to faster-whisper's
    whole-file ``get_vad_model()(padded_audio)`` but reading one 10,000-frame window (320 s) at a time."""
    return memoised(source, _vad_probs)  # once per source: the pipeline runs it while the model loads


def _vad_probs(source: Any) -> np.ndarray:
    from faster_whisper.vad import get_vad_model

    bound_heap()
    session = get_vad_model().session
    n = source.n_samples
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    total_frames = n // VAD_FRAME + 1  # faster-whisper always pads with 1..512 zeros
    h = np.zeros((1, 1, 128), dtype="float32")
    c = np.zeros((1, 1, 128), dtype="float32")
    context = np.zeros(VAD_CONTEXT, dtype=np.float32)
    out = np.empty(total_frames, dtype=np.float32)
    step = VAD_BATCH_FRAMES * VAD_FRAME
    for f0 in range(0, total_frames, VAD_BATCH_FRAMES):
        f1 = min(total_frames, f0 + VAD_BATCH_FRAMES)
        x = source.read_samples(f0 * VAD_FRAME, f0 * VAD_FRAME + step)
        frames = np.zeros(((f1 - f0) * VAD_FRAME,), dtype=np.float32)
        frames[: len(x)] = x
        frames = frames.reshape(-1, VAD_FRAME)
        if f1 == total_frames:  # faster-whisper zeroes the last frame's tail (its context trick writes through a view)
            frames[-1, -VAD_CONTEXT:] = 0
        ctx = np.empty((len(frames), VAD_CONTEXT), dtype=np.float32)
        ctx[0] = context
        ctx[1:] = frames[:-1, -VAD_CONTEXT:]
        batch = np.concatenate([ctx, frames], axis=1)
        context = frames[-1, -VAD_CONTEXT:].copy()
        o, h, c = session.run(None, {"input": batch, "h": h, "c": c})
        out[f0:f1] = np.asarray(o, dtype=np.float32).reshape(-1)
    return out


def speech_timestamps(probs: np.ndarray, n_samples: int, vad_options: Any) -> list[dict]:
    """faster-whisper's ``get_speech_timestamps`` over precomputed probabilities (same state machine,
    same padding rules, same results): [{"start": sample, "end": sample}, ...]."""
    sampling_rate = SAMPLE_RATE
    threshold = vad_options.threshold
    neg_threshold = vad_options.neg_threshold
    min_speech_samples = sampling_rate * vad_options.min_speech_duration_ms / 1000
    speech_pad_samples = sampling_rate * vad_options.speech_pad_ms / 1000
    window = VAD_FRAME
    max_speech_samples = sampling_rate * vad_options.max_speech_duration_s - window - 2 * speech_pad_samples
    min_silence_samples = sampling_rate * vad_options.min_silence_duration_ms / 1000
    min_silence_samples_at_max_speech = sampling_rate * 98 / 1000
    if neg_threshold is None:
        neg_threshold = max(threshold - 0.15, 0.01)
    triggered = False
    speeches: list[dict] = []
    current: dict = {}
    temp_end = 0
    prev_end = next_start = 0
    for i, p in enumerate(probs.tolist()):
        if p >= threshold and temp_end:
            temp_end = 0
            if next_start < prev_end:
                next_start = window * i
        if p >= threshold and not triggered:
            triggered = True
            current["start"] = window * i
            continue
        if triggered and window * i - current["start"] > max_speech_samples:
            if prev_end:
                current["end"] = prev_end
                speeches.append(current)
                current = {}
                if next_start < prev_end:
                    triggered = False
                else:
                    current["start"] = next_start
                prev_end = next_start = temp_end = 0
            else:
                current["end"] = window * i
                speeches.append(current)
                current = {}
                prev_end = next_start = temp_end = 0
                triggered = False
                continue
        if p < neg_threshold and triggered:
            if not temp_end:
                temp_end = window * i
            if window * i - temp_end > min_silence_samples_at_max_speech:
                prev_end = temp_end
            if window * i - temp_end < min_silence_samples:
                continue
            current["end"] = temp_end
            if current["end"] - current["start"] > min_speech_samples:
                speeches.append(current)
            current = {}
            prev_end = next_start = temp_end = 0
            triggered = False
            continue
    if current and n_samples - current["start"] > min_speech_samples:
        current["end"] = n_samples
        speeches.append(current)
    for i, sp in enumerate(speeches):
        if i == 0:
            sp["start"] = int(max(0, sp["start"] - speech_pad_samples))
        if i != len(speeches) - 1:
            silence = speeches[i + 1]["start"] - sp["end"]
            if silence < 2 * speech_pad_samples:
                sp["end"] += int(silence // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - silence // 2))
            else:
                sp["end"] = int(min(n_samples, sp["end"] + speech_pad_samples))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - speech_pad_samples))
        else:
            sp["end"] = int(min(n_samples, sp["end"] + speech_pad_samples))
    return speeches


__all__ = ["ArraySource", "AudioSource", "FileSource", "as_source", "speech_timestamps", "vad_probs"]
