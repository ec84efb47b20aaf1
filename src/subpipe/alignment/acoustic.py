"""Word times on the acoustics: move Whisper's word starts and ends to where speech starts and stops.

Whisper's word times come from cross-attention on a 20 ms grid and are coarse; worse, with VAD on, the
first word of a stretch swallows the VAD padding before it (the sample trailer's "In" got 3200-4160 ms,
the voice starts at 4000). This pass is cheap and works for every language, digits and symbols too,
because it looks only at the sound:

1. the audio around each stretch of words is read through ``read(start_ms, end_ms)`` (16 kHz mono
   float32; the whole file need not be in memory);
2. a speech mask on a 10 ms grid: short-time energy with hysteresis (a loud frame starts a run, the run
   spreads over the quieter frames around it down to a lower threshold, so weak fricative onsets are
   kept), kept only where Silero VAD (shipped with faster-whisper) hears speech nearby, so music and
   effects do not count; runs are split by pauses of ``min_pause_ms`` or more;
3. each word is given to the speech run it overlaps most (in order); the first word of a run starts on
   the run's first frame and the last word of a run ends on its last frame; words inside a run keep
   Whisper's boundaries, clamped into the run;
4. for English, the boundaries inside a run come from the pocketsphinx phone aligner (phones.py) where it
   agrees with Whisper within ``phone_gate_ms``;
5. order kept, no overlaps, everything inside the media; what moved is counted in the provenance.

``retime(transcript, read)`` is the whole pass; ``speech_runs`` is its acoustic half.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..model import Transcript, Word
from ..timecode import SAMPLE_RATE, ms_to_samples, samples_to_ms

log = logging.getLogger("subpipe")

FRAME_MS = 10
SILERO_MS = 32  # Silero VAD scores 512 samples (32 ms) at a time
METHOD = "acoustic-onsets-v1"

AudioReader = Callable[[int, int], np.ndarray]  # read(start_ms, end_ms) -> float32 16 kHz mono


@dataclass(frozen=True)
class RetimeOptions:
    min_pause_ms: int = 150  # silence this long between two runs of speech is a pause
    min_run_ms: int = 60  # speech runs shorter than this are clicks, not words
    region_gap_ms: int = 1500  # Whisper gaps this long split the work into separately read regions
    max_region_ms: int = 30_000
    margin_ms: int = 800  # audio read around a region's first and last word
    reach_before_ms: int = 400  # a word start may move this much earlier than Whisper's
    silero_threshold: float = 0.5  # a frame Silero scores this or more starts a run of speech
    edge_reach_ms: int = 96  # an edge may move this far outside Silero's run (3 Silero frames)
    edge_context_ms: int = 400  # the sound before an onset (after an offset) the voice is compared with
    edge_min_db: float = 4.0  # an edge frame is at least this much above that sound
    edge_rise: float = 0.25  # ... and this share of the way up to the voice's level
    phones: str = "auto"  # auto: pocketsphinx for English inner boundaries; none: acoustics only
    phone_gate_ms: int = 150

    def provenance(self) -> dict:
        return {"method": METHOD, **asdict(self)}


# ---------------------------------------------------------------- acoustics
def frame_db(x: np.ndarray) -> np.ndarray:
    """Energy in dB per 10 ms frame (20 ms window, so a frame sees its neighbours' edges)."""
    hop = SAMPLE_RATE * FRAME_MS // 1000
    n = len(x) // hop
    if n == 0:
        return np.zeros(0, np.float32)
    p = np.pad(x.astype(np.float32), (hop // 2, hop // 2 + hop))
    sq = np.concatenate([[0.0], np.cumsum(p.astype(np.float64) ** 2)])
    starts = np.arange(n) * hop
    e = (sq[starts + 2 * hop] - sq[starts]) / (2 * hop)
    return (10 * np.log10(e + 1e-10)).astype(np.float32)


def silero_probs(x: np.ndarray) -> np.ndarray:
    """Silero VAD's speech probability per 32 ms of ``x``."""
    from faster_whisper.vad import get_vad_model

    w = SAMPLE_RATE * SILERO_MS // 1000
    if len(x) == 0:
        return np.zeros(0, np.float32)
    padded = np.pad(x.astype(np.float32), (0, (-len(x)) % w))
    return np.asarray(get_vad_model()(padded), dtype=np.float32).reshape(-1)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frame index pairs of True runs."""
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def speech_runs(x: np.ndarray, options: RetimeOptions | None = None,
                probs: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of speech in ``x`` (ms from its start), on the 10 ms grid.

    Silero decides where speech is (it tells a voice from music and effects), on its 32 ms grid with
    hysteresis (a run starts at ``silero_threshold`` and holds down to 0.15 less, as faster-whisper's VAD
    does); each run's edges are then put on the 10 ms energy grid: the first frame near Silero's onset
    that rises clearly above the sound just before it, and the last one near its offset above the sound
    just after it.
    """
    o = options or RetimeOptions()
    if probs is None:
        probs = silero_probs(x)
    if probs.size == 0:
        return []
    strong = probs >= o.silero_threshold
    weak = probs >= o.silero_threshold - 0.15
    mask = np.zeros(probs.size, bool)
    for a, b in _runs(weak):
        if strong[a:b].any():
            mask[a:b] = True
    merged: list[list[int]] = []
    for a, b in _runs(mask):
        a_ms, b_ms = a * SILERO_MS, min(b * SILERO_MS, samples_to_ms(len(x)))
        if merged and a_ms - merged[-1][1] < o.min_pause_ms:
            merged[-1][1] = b_ms
        else:
            merged.append([a_ms, b_ms])
    db = frame_db(x)
    out: list[tuple[int, int]] = []
    for k, (a, b) in enumerate(merged):
        prev_end = merged[k - 1][1] if k else 0
        next_start = merged[k + 1][0] if k + 1 < len(merged) else len(db) * FRAME_MS
        a2 = _refine_edge(db, a, b, prev_end, o, onset=True)
        b2 = _refine_edge(db, a, b, next_start, o, onset=False)
        if b2 - a2 >= o.min_run_ms:
            out.append((a2, b2))
    return out


def _refine_edge(db: np.ndarray, a: int, b: int, other: int, o: RetimeOptions, *, onset: bool) -> int:
    """A Silero run edge moved onto the 10 ms energy grid (see ``speech_runs``)."""
    n = db.size
    f = lambda ms: int(min(max(ms // FRAME_MS, 0), n))  # noqa: E731
    if onset:
        quiet = db[f(max(other, a - o.edge_context_ms)):f(a - SILERO_MS)]
        loud = db[f(a):f(min(b, a + 400))]
        lo_s, hi_s = f(max(other, a - o.edge_reach_ms)), f(min(b, a + 2 * SILERO_MS))
    else:
        quiet = db[f(b + SILERO_MS):f(min(other, b + o.edge_context_ms))]
        loud = db[f(max(a, b - 400)):f(b)]
        lo_s, hi_s = f(max(a, b - o.edge_reach_ms - SILERO_MS)), f(min(other, b + SILERO_MS))
    if quiet.size < 3 or loud.size < 3 or hi_s <= lo_s:
        return a if onset else b
    floor = float(np.percentile(quiet, 50))
    peak = float(np.percentile(loud, 90))
    if peak - floor < 6.0:  # the voice does not stand out from what is around it: keep Silero's edge
        return a if onset else b
    thr = floor + max(o.edge_min_db, o.edge_rise * (peak - floor))
    above = np.flatnonzero(db[lo_s:hi_s] > thr)
    if above.size == 0:
        return a if onset else b
    return (lo_s + int(above[0])) * FRAME_MS if onset else (lo_s + int(above[-1]) + 1) * FRAME_MS


# ---------------------------------------------------------------- assignment
def _regions(words: Sequence[Word], o: RetimeOptions) -> list[tuple[int, int]]:
    out = []
    i0 = 0
    for i in range(1, len(words)):
        if (words[i].start_ms - words[i - 1].end_ms >= o.region_gap_ms
                or words[i].end_ms - words[i0].start_ms > o.max_region_ms):
            out.append((i0, i))
            i0 = i
    out.append((i0, len(words)))
    return out


def _assign(times: list[tuple[int, int]], runs: list[tuple[int, int]]) -> list[int | None]:
    """Run index per word (non-decreasing): the run each word overlaps most; None where none is near."""
    out: list[int | None] = []
    k0 = 0
    for s, e in times:
        best, best_ov = None, 0
        for k in range(k0, len(runs)):
            a, b = runs[k]
            if a >= max(e, s + 1) + 300:
                break
            ov = min(b, max(e, s + 1)) - max(a, s)
            if ov > best_ov:
                best, best_ov = k, ov
        if best is None:
            # no overlap: the next run, when it starts soon after the word (Whisper started it early)
            nxt = next((k for k in range(k0, len(runs)) if runs[k][0] >= s), None)
            if nxt is not None and runs[nxt][0] - e <= 300:
                best = nxt
        out.append(best)
        if best is not None:
            k0 = best
    return out


def _retime_region(words: Sequence[Word], times: list[tuple[int, int]], runs: list[tuple[int, int]],
                   lo_ms: int, o: RetimeOptions) -> tuple[list[tuple[int, int]], int]:
    """New (start, end) per word of one region; and how many words were left without speech under them."""
    owner = _assign(times, runs)
    out = list(times)
    unplaced = sum(1 for r in owner if r is None)
    by_run: dict[int, list[int]] = {}
    for i, r in enumerate(owner):
        if r is not None:
            by_run.setdefault(r, []).append(i)
    for r, idx in by_run.items():
        a, b = runs[r]
        j0, j1 = idx[0], idx[-1]
        s0, e0 = out[j0]
        # first word of the run: starts on the run's first frame (not earlier than reach_before allows)
        if a >= s0 - o.reach_before_ms:
            out[j0] = (a, max(e0, a + FRAME_MS))
        s1, e1 = out[j1]
        out[j1] = (s1, max(b, s1 + FRAME_MS) if b <= e1 + 1000 else e1)
        # words inside keep Whisper's boundaries, clamped into the run
        for i in idx:
            s, e = out[i]
            s = min(max(s, a), b)
            e = min(max(e, s), max(b, s))
            out[i] = (s, e)
    return out, unplaced


# pocketsphinx alignments at once, each in its own process (phones.AlignerProcess; pocketsphinx holds the GIL,
# so threads would not help). A process costs about 0.8 CPU s and 120 MiB to start: only for files with at
# least PHONE_PROC_MIN_WORDS words, and started before the acoustic pass so it loads while that runs.
PHONE_PROCS = 2
PHONE_PROC_MIN_WORDS = 400


def _phone_refine(read: AudioReader, words: Sequence[Word], times: list[tuple[int, int]],
                  groups: list[list[int]], o: RetimeOptions, workers: Sequence = ()) -> int:
    """English: boundaries inside a run from the pocketsphinx phone aligner; returns words moved.

    Each group's audio span and words come from its own words only (a group moves only its own words), so
    the alignments are computed first, on the ``workers`` (phones.AlignerProcess) at once or in this process
    (an alignment does not depend on the decoder nor on what it aligned before), then applied in order: the
    same times as one by one."""
    jobs = [idx for idx in groups if len(idx) >= 2]
    spans = [(max(0, times[idx[0]][0] - 50), times[idx[-1]][1] + 50) for idx in jobs]
    results = _align_groups(read, words, jobs, spans, workers)
    moved = 0
    for idx, (pa, _), res in zip(jobs, spans, results, strict=True):
        if res is None:
            continue
        for n, (i, r) in enumerate(zip(idx, res, strict=True)):
            if r is None:
                continue
            s, e = pa + r[0], pa + r[1]
            ws, we = times[i]
            if n > 0 and abs(s - ws) <= o.phone_gate_ms and s > times[idx[n - 1]][0]:
                times[i] = (s, max(we, s))
                prev = idx[n - 1]
                if times[prev][1] > s or abs(times[prev][1] - ws) <= 40:
                    times[prev] = (times[prev][0], max(times[prev][0], s))
                moved += 1
            if n < len(idx) - 1 and abs(e - we) <= o.phone_gate_ms and e >= times[i][0]:
                times[i] = (times[i][0], e)
    return moved


def _align_groups(read: AudioReader, words: Sequence[Word], jobs: list[list[int]],
                  spans: list[tuple[int, int]], workers: Sequence = ()) -> list:
    """pocketsphinx's alignment of every group (None where it failed): on the ``workers`` (each takes the
    next group when it is free), or in this process when there are none or one stops working."""
    from . import phones

    out: list = [None] * len(jobs)
    if not workers or len(jobs) < 2:
        local = phones.PhoneAligner.shared()
        for j in range(len(jobs)):
            out[j] = local.align(read(*spans[j]), [words[i].text for i in jobs[j]])
        return out
    import itertools
    import threading
    from concurrent.futures import ThreadPoolExecutor

    todo = iter(range(len(jobs)))
    lock = threading.Lock()  # the job counter and the reader (any AudioReader; it need not be thread-safe)

    def work(worker) -> None:
        while True:
            with lock:
                j = next(todo, None)
                if j is None:
                    return
                x = read(*spans[j])
            text = [words[i].text for i in jobs[j]]
            try:
                out[j] = worker.align(x, text)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                # the child died (killed, out of memory): this and the rest of its share here (same result)
                log.warning("timing: a phone aligner process stopped (%s); aligning in this process", exc)
                local = phones.PhoneAligner.shared()
                out[j] = local.align(x, text)
                worker = local

    with ThreadPoolExecutor(len(workers)) as ex:
        for f in [ex.submit(work, w) for w in itertools.islice(workers, len(jobs))]:
            f.result()
    return out


def monotonic_times(times: Sequence[tuple[int, int]], duration_ms: int) -> list[tuple[int, int]]:
    """Clamp into the media, make starts non-decreasing and each word end after it starts; an end past the
    next word's start is pulled back to it (words do not overlap)."""
    out = []
    prev = 0
    for s, e in times:
        s = min(max(s, prev, 0), duration_ms)
        e = min(max(e, s), duration_ms)
        out.append((s, e))
        prev = s
    for k in range(len(out) - 1):
        s, e = out[k]
        if e > out[k + 1][0]:
            out[k] = (s, max(s, out[k + 1][0]))
    return out


def _use_phones(o: RetimeOptions, language: str | None) -> bool:
    if o.phones == "none" or (language or "").split("-")[0] != "en":
        return False
    from . import phones

    return phones.available()


# ---------------------------------------------------------------- the pass
def retime_words(words: Sequence[Word], read: AudioReader, duration_ms: int, language: str | None,
                 options: RetimeOptions | None = None, *, cores: int = 1) -> tuple[tuple[Word, ...], dict]:
    """Words re-timed on the acoustics (text untouched); and stats for the provenance. ``cores``: how many
    the phone alignment may use (processes; the times do not depend on it)."""
    o = options or RetimeOptions()
    words = tuple(words)
    stats = {"words": len(words), "moved": 0, "no_speech_found": 0, "phone_moved": 0, "regions": 0}
    if not words:
        return words, stats
    phones_on = _use_phones(o, language)
    workers: list = []
    if phones_on and len(words) >= PHONE_PROC_MIN_WORDS:
        from .phones import AlignerProcess

        workers = [AlignerProcess() for _ in range(min(cores, PHONE_PROCS))] if cores > 1 else []
    try:
        return _retime_words(words, read, duration_ms, o, stats, phones_on, workers, cores)
    finally:
        for w in workers:
            w.close()


def _speech_runs_each(read: AudioReader, spans: list[tuple[int, int]], o: RetimeOptions, cores: int
                      ) -> Iterator[list[tuple[int, int]]]:
    """``speech_runs`` of each span's audio, in order; on several cores that many at once (Silero and the
    energy frames release the GIL; each span is computed alone, so the runs are the same). The audio is read
    here, a few spans ahead at most."""
    if cores <= 1 or len(spans) <= 1:
        for lo, hi in spans:
            yield speech_runs(read(lo, hi), o)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(cores, thread_name_prefix="subpipe-runs") as ex:
        ahead: deque = deque()
        todo = iter(spans)
        for lo, hi in todo:
            ahead.append(ex.submit(speech_runs, read(lo, hi), o))
            if len(ahead) > 2 * cores:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def _retime_words(words: tuple[Word, ...], read: AudioReader, duration_ms: int, o: RetimeOptions, stats: dict,
                  phones_on: bool, workers: list, cores: int = 1) -> tuple[tuple[Word, ...], dict]:
    times = [(w.start_ms, w.end_ms) for w in words]
    groups: list[list[int]] = []
    spans = []
    for i0, i1 in _regions(words, o):
        lo = max(0, words[i0].start_ms - o.margin_ms)
        hi = min(duration_ms, max(words[i1 - 1].end_ms, words[i0].start_ms) + o.margin_ms)
        if hi - lo >= 100:
            spans.append((i0, i1, lo, hi))
    found_each = _speech_runs_each(read, [(lo, hi) for _, _, lo, hi in spans], o, cores)
    for (i0, i1, lo, _), found in zip(spans, found_each, strict=True):
        stats["regions"] += 1
        runs = [(lo + a, lo + b) for a, b in found]
        part = [(s, e) for s, e in times[i0:i1]]
        new, unplaced = _retime_region(words[i0:i1], part, runs, lo, o)
        stats["no_speech_found"] += unplaced
        times[i0:i1] = new
        if phones_on:
            owner = _assign(part, runs)
            by_run: dict[int, list[int]] = {}
            for k, r in enumerate(owner):
                if r is not None:
                    by_run.setdefault(r, []).append(i0 + k)
            groups += [v for _, v in sorted(by_run.items())]
    if phones_on and groups:
        times = monotonic_times(times, duration_ms)
        stats["phone_moved"] = _phone_refine(read, words, times, groups, o, workers)
    times = monotonic_times(times, duration_ms)
    out = tuple(replace(w, start_ms=s, end_ms=e) for w, (s, e) in zip(words, times, strict=True))
    stats["moved"] = sum(1 for a, b in zip(words, out, strict=True) if (a.start_ms, a.end_ms) != (b.start_ms, b.end_ms))
    return out, stats


def retime(transcript: Transcript, read: AudioReader, options: RetimeOptions | None = None, *,
           cores: int = 1) -> Transcript:
    """The transcript with every word (and translation word) re-timed on the acoustics; method in provenance.
    ``cores``: how many the phone alignment may use (the times do not depend on it)."""
    o = options or RetimeOptions()
    if not transcript.words:
        return replace(transcript, provenance={**transcript.provenance, "timing": {**o.provenance(), "stats": {}}})
    words, stats = retime_words(transcript.words, read, transcript.duration_ms, transcript.language, o, cores=cores)
    utterances, k = [], 0
    for u in transcript.utterances:  # utterances partition the words, in order
        n = len(u.words)
        if transcript.words[k:k + n] != u.words:  # not a partition: sentences made again
            from ..utterances import build_utterances

            utterances, k = list(build_utterances(words, transcript.language)), -1
            break
        utterances.append(replace(u, words=words[k:k + n]))
        k += n
    notes = list(transcript.notes)
    if stats["no_speech_found"]:
        notes.append(f"timing: {stats['no_speech_found']} word(s) had no speech found under them; "
                     f"Whisper's times kept for those")
    prov = {**transcript.provenance, "timing": {**o.provenance(), "stats": stats}}
    return replace(transcript, words=words, utterances=tuple(utterances), notes=tuple(notes), provenance=prov)


def array_reader(samples: np.ndarray) -> AudioReader:
    """A reader over 16 kHz mono samples held in memory."""
    def read(start_ms: int, end_ms: int) -> np.ndarray:
        a = ms_to_samples(max(0, start_ms))
        b = ms_to_samples(max(0, end_ms))
        return samples[a:b]
    return read


__all__ = ["AudioReader", "METHOD", "RetimeOptions", "array_reader", "frame_db", "monotonic_times", "retime",
           "retime_words",
           "silero_probs", "speech_runs"]
