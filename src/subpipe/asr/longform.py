"""Long inputs in bounded memory: VAD over windows, then batched (or windowed sequential) decoding.

``decode_source`` is what ``transcribe_audio`` runs for an ``AudioSource`` (a long file decoded to a PCM
temp file) or whenever the engine is ``batched``. Nothing here holds more than a block of audio:

- Silero runs once over the source by window (``audiosource.vad_probs``, bit-identical to the whole-file
  call); its probabilities are both the guards' ``SpeechMap`` and the source of every VAD cut.
- ``batched``: the speech regions (VAD with a 30 s maximum and 160 ms minimum silence, as
  ``BatchedInferencePipeline`` cuts them) are packed into 30 s windows exactly as faster-whisper's
  ``collect_chunks`` packs them, and handed to ``BatchedInferencePipeline`` a block of windows at a time
  through ``clip_timestamps`` (so it never runs its own whole-file VAD nor stacks features for the whole
  file). Temperature 0 only: deterministic, no random fallback.
- ``sequential``: ``WhisperModel.transcribe`` over windows of at most ``SEQUENTIAL_WINDOW_MS`` cut in
  silences the VAD found (the decoder's text context restarts at each cut).

Word timestamps, the hallucination guards, per-utterance languages and translation work as on the
sequential path; the caller (``transcribe.transcribe_audio``) builds the Transcript. What both share
(the engine choice, ``Decoded``, ``to_word``) is in ``engine.py``: nothing here imports ``transcribe``.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from ..audio.source import speech_timestamps, vad_probs
from ..errors import SubpipeError
from ..model import Dropped, Word
from ..timecode import SAMPLE_RATE, ms_to_samples, samples_to_ms
from . import coverage
from .engine import Decoded, Progress, batch_size, decoder_count, on_replicas, refill, refill_weak, to_word
from .guards import Segment, SpeechMap
from .language_names import english_only_note
from .languages import LanguageSpan, assign_languages
from .rounds import CHUNK_S, Block, RestPacker, Rounds, by_round, continuation_block

log = logging.getLogger("subpipe")

SEQUENTIAL_WINDOW_MS = 10 * 60 * 1000
# windows per BatchedInferencePipeline call = batch_size x this (bounded features). One batch per call: a call
# carries state from batch to batch (faster-whisper's last_speech_timestamp, times on the call's own clock),
# so the block is also the unit a Ray run hands to one actor (raysplit.py): one batch per block gives a
# 12-minute file several blocks to spread, with the same words and times as here.
BLOCK_BATCHES = 1


def _vad(options: Any, **over: Any) -> Any:
    from faster_whisper.vad import VadOptions

    kw = dict(threshold=options.vad_threshold, min_silence_duration_ms=options.vad_min_silence_ms,
              speech_pad_ms=options.vad_speech_pad_ms)
    kw.update(over)
    return VadOptions(**kw)


def pack_windows(regions: list[dict], max_samples: int = CHUNK_S * SAMPLE_RATE) -> list[list[dict]]:
    """Speech regions packed into windows of at most 30 s of speech, as faster-whisper's ``collect_chunks``
    packs them (a region that would overflow the window starts the next one)."""
    out: list[list[dict]] = []
    cur: list[dict] = []
    dur = 0
    for r in regions:
        n = r["end"] - r["start"]
        if dur + n > max_samples:
            if cur:
                out.append(cur)
            cur, dur = [r], n
        else:
            cur.append(r)
            dur += n
    if cur:
        out.append(cur)
    return out


def pack_contiguous(regions: list[dict], max_samples: int = CHUNK_S * SAMPLE_RATE) -> list[list[dict]]:
    """Speech regions grouped into windows of contiguous audio of at most 30 s (the pauses between the
    regions of a window kept, windows cut in the pauses): what Whisper was trained on, unlike speech
    spliced together across cut-out pauses. Each window is one region [first start, last end)."""
    return pack_contiguous_cut(regions, [], max_samples)


# Digital silence (every sample under SILENCE_PEAK_DBFS) longer than SILENCE_KEEP_MS inside a window is cut down
# to SILENCE_KEEP_MS (half each side): nothing can be said in it, and each 30 s window costs a whole encoder pass.
# Measured on the bench inputs (0.6-3 s pauses of digital silence between the pieces; issue 25): short12 25 -> 23
# windows, 57.5 -> 53.5 CPU s, WER 9.6 -> 8.4 %; long12 53.7 -> 51.8 CPU s, WER 17.8 -> 16.5 %. Keeping only
# 400 ms cut more (21 windows, 47.7 s) but lost sentences of the hoarse MFA voice (WER 11.1 %): 1 s it is.
SILENCE_PEAK_DBFS = -70.0
SILENCE_KEEP_MS = 1000
SILENCE_FRAME = 512
SILENCE_BLOCK_S = 60


def digital_silence(source: Any) -> list[tuple[int, int]]:
    """[start, end) samples of the source that are digital silence beyond ``SILENCE_KEEP_MS`` (the inner part of
    every run of frames whose peak is under ``SILENCE_PEAK_DBFS`` and that lasts longer), read by block."""
    peak = 10 ** (SILENCE_PEAK_DBFS / 20)
    n = source.n_samples
    step = SILENCE_BLOCK_S * SAMPLE_RATE // SILENCE_FRAME * SILENCE_FRAME
    quiet: list[np.ndarray] = []
    for a in range(0, n, step):
        x = source.read_samples(a, min(n, a + step))
        m = len(x) // SILENCE_FRAME * SILENCE_FRAME
        q = np.abs(x[:m]).reshape(-1, SILENCE_FRAME).max(axis=1) < peak if m else np.zeros(0, bool)
        quiet.append(q)
    q = np.concatenate(quiet) if quiet else np.zeros(0, bool)
    if not q.any():
        return []
    d = np.diff(np.concatenate([[0], q.astype(np.int8), [0]]))
    half = ms_to_samples(SILENCE_KEEP_MS) // 2
    out = []
    for s, e in zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True):
        a, b = s * SILENCE_FRAME + half, e * SILENCE_FRAME - half
        if b > a:
            out.append((a, b))
    return out


def pack_contiguous_cut(regions: list[dict], cut: list[tuple[int, int]],
                        max_samples: int = CHUNK_S * SAMPLE_RATE) -> list[list[dict]]:
    """``pack_contiguous`` with the ``cut`` spans (digital silence) left out of every window: a window holds up to
    30 s of the audio that remains; its pieces are the stretches between the cuts."""
    from bisect import bisect_left

    ends = [b for _, b in cut]

    def kept(a: int, b: int) -> list[dict]:
        out, pos = [], a
        for s, e in cut[bisect_left(ends, a + 1):]:
            if s >= b:
                break
            if s > pos:
                out.append({"start": pos, "end": s})
            pos = max(pos, e)
        if b > pos:
            out.append({"start": pos, "end": b})
        return out

    def size(a: int, b: int) -> int:
        return sum(r["end"] - r["start"] for r in kept(a, b))

    out: list[list[dict]] = []
    a: int | None = None
    end = 0
    for r in regions:
        if a is not None and size(a, r["end"]) <= max_samples:
            end = r["end"]
            continue
        if a is not None:
            out.append(kept(a, end))
        a, end = r["start"], r["end"]
    if a is not None:
        out.append(kept(a, end))
    return [w for w in out if w]


CUT_SILENCE = True
# Windows decoded with Whisper's timestamp tokens: Whisper keeps its place through a window's pauses and stops
# early less often where the pauses are long (issue 25, bench/results/long.md: many short utterances, 12 min,
# WER 12.7 -> 9.6 %, speech the windows lost and the coverage check decoded again 17.5 -> 5.2 s; long12 18.2 ->
# 17.8 %, 27.5 -> 0 s), for about as much CPU (the closing timestamps are a few tokens a segment).
BATCHED_TIMESTAMPS = True


def decode_source(loaded: Any, source: Any, options: Any, *, engine: str, duration_ms: int,
                  progress: Progress | None, decode_window: Callable[..., tuple[list[Segment], str]],
                  guard: Callable[..., tuple[list[Word], list[Dropped]]],
                  non_latin: Callable[[Any], tuple[int, ...]]) -> Decoded:
    """Transcribe a source with ``engine`` (``batched`` or ``sequential``) in bounded memory."""
    from ..audio.source import bound_heap, decoder_heap

    bound_heap()
    if engine == "batched":
        options = replace(options, batch_size=batch_size(options, loaded.device))
    probs = vad_probs(source)
    decoder_heap()  # Whisper from here on (language, windows); bound_heap() again when it is done
    try:
        return _decode_all(loaded, source, options, probs, engine=engine, duration_ms=duration_ms,
                           progress=progress, decode_window=decode_window, guard=guard, non_latin=non_latin)
    finally:
        bound_heap()


def _decode_all(loaded: Any, source: Any, options: Any, probs: np.ndarray, *, engine: str, duration_ms: int,
                progress: Progress | None, decode_window: Callable[..., tuple[list[Segment], str]],
                guard: Callable[..., tuple[list[Word], list[Dropped]]],
                non_latin: Callable[[Any], tuple[int, ...]]) -> Decoded:
    whisper = loaded.whisper
    n = source.n_samples
    speech = SpeechMap(probs) if options.guards else None
    notes: list[str] = []
    multilingual = bool(getattr(whisper.model, "is_multilingual", False))
    if not multilingual and (en_note := english_only_note(loaded.resolved.name, options.language)):
        notes.append(en_note)
    spans: list[LanguageSpan] = []
    if options.languages not in ("file", "utterance"):
        raise SubpipeError(f"unknown languages mode {options.languages!r} (use file or utterance)")
    if options.languages == "utterance" and options.language is None and multilingual:
        spans = _detect_languages(whisper, source, probs, options)
        chunks = [(s.start_ms, s.end_ms, s.language) for s in spans]
    else:
        if options.languages == "utterance" and options.language is None:
            notes.append(f"languages by utterance need a multilingual model; {loaded.resolved.name} "
                         f"is English-only, so the file was transcribed as one language")
        lang = options.language
        if lang is None:
            lang = _file_language(whisper, source, probs, options) if multilingual else "en"
        chunks = [(0, duration_ms, lang)]
    tag = options.languages == "utterance"
    words: list[Word] = []
    translation: list[Word] = []
    dropped: list[Dropped] = []
    seen: dict[str, int] = {}
    stats: dict[str, int] = {}
    if engine == "batched":
        vad = _vad(options, min_silence_duration_ms=160, max_speech_duration_s=CHUNK_S)
        regions = (speech_timestamps(probs, n, vad) if options.vad
                   else [{"start": a, "end": min(n, a + CHUNK_S * SAMPLE_RATE)}
                         for a in range(0, n, CHUNK_S * SAMPLE_RATE)])
    else:
        regions = speech_timestamps(probs, n, _vad(options)) if options.vad else [{"start": 0, "end": n}]
    voiced = coverage.speech_spans(probs, n, options)
    weak = coverage.weak_spans(probs, n, options, voiced)  # a faint voice the VAD's threshold misses (issue 27)
    cover = coverage.Coverage()
    for a, b, lang in chunks:
        inside = _clip_regions(regions, ms_to_samples(a), ms_to_samples(b))
        run = partial(_batched, stats=stats) if engine == "batched" else _sequential
        segs = run(whisper, source, inside, options, lang, "transcribe", duration_ms, progress, tag, decode_window,
                   ())
        # nothing lost: the speech no word covers is decoded again on its own (coverage.py)
        # (the words the guards will drop, a loop over speech, cover nothing: the speech under them is decoded again)
        segs, redone = refill(source.read_samples, decode_window, whisper, segs, voiced, a, b, options, lang=lang,
                              task="transcribe", duration_ms=duration_ms, tag=tag, speech_map=speech)
        many = partial(_decode_spans, whisper, source, options, lang, "transcribe", duration_ms, tag) \
            if engine == "batched" else None
        segs, _, unsure = refill_weak(source.read_samples, decode_window, whisper, segs, weak, a, b, options,
                                      lang=lang, task="transcribe", duration_ms=duration_ms, tag=tag,
                                      decode_many=many)
        seen[lang] = seen.get(lang, 0) + (b - a)
        kept, gone = guard(segs, speech, options)
        gone += unsure
        cover.add(coverage.report(voiced, kept, gone, redone, a, b))
        words += kept
        dropped += gone
        if options.task == "translate" and lang != "en" and kept:
            tsegs = run(whisper, source, inside, options, lang, "translate", duration_ms, None, False,
                        decode_window, non_latin(whisper))
            tsegs, _ = refill(source.read_samples, decode_window, whisper, tsegs, voiced, a, b, options, lang=lang,
                              task="translate", duration_ms=duration_ms, tag=False, speech_map=speech)
            tkept, tgone = guard(tsegs, speech, options)
            translation += [replace(w, language="en") for w in tkept]
            dropped += [replace(d, detail=d.detail + " (in the English translation)") for d in tgone]
    language = max(seen.items(), key=lambda kv: (kv[1], kv[0]))[0] if seen else options.language
    return Decoded(words, translation, dropped, language, spans, speech, notes, seen, probs, stats, cover)


def _decode_spans(whisper: Any, source: Any, options: Any, lang: str, task: str, duration_ms: int, tag: bool,
                  spans: list[tuple[int, int]]) -> list[list[Segment]]:
    """Stretches ``(lo_ms, hi_ms)`` decoded as the batched engine decodes its remainders: packed into as few
    30 s windows as hold them (a longer stretch cut in 30 s pieces), in the continuation rounds' blocks on every
    replica at once; for each stretch, the segments of its windows (the caller keeps the words inside it)."""
    from faster_whisper import BatchedInferencePipeline

    device = str(getattr(whisper.model, "device", "cpu"))
    bs = batch_size(options, device)
    limit = CHUNK_S * SAMPLE_RATE
    packer = RestPacker(limit)
    windows: list[list[dict]] = []
    where: list[list[int]] = []
    for lo, hi in spans:
        a, b = ms_to_samples(lo), ms_to_samples(hi)
        mine = []
        for p in range(a, b, limit):
            windows += packer.add([{"start": p, "end": min(b, p + limit)}])
            mine.append(len(windows))  # the window being filled
        where.append(sorted(set(mine)))
    windows += packer.flush()
    per = continuation_block(bs, device)  # a few windows: spread over the replicas, as the continuation rounds
    groups = [windows[i:i + per] for i in range(0, len(windows), per)]

    def block(group: list[list[dict]]) -> list[list[Segment]]:
        return _decode_block(BatchedInferencePipeline(whisper), source, group, options, lang, task, duration_ms,
                             tag, (), bs)

    found: list[list[Segment]] = []
    with on_replicas(whisper) as each:
        for decoded in each(block, groups):
            found += decoded
    return [[sg for k in ks for sg in found[k]] for ks in where]


def _clip_regions(regions: list[dict], a: int, b: int) -> list[dict]:
    out = []
    for r in regions:
        s, e = max(r["start"], a), min(r["end"], b)
        if e > s:
            out.append({"start": s, "end": e})
    return out


def _file_language(whisper: Any, source: Any, probs: np.ndarray, options: Any) -> str:
    """The file's language from its first 30 s of speech (as faster-whisper detects it after VAD)."""
    regions = speech_timestamps(probs, source.n_samples, _vad(options)) if options.vad else []
    parts, total = [], 0
    for r in regions or [{"start": 0, "end": source.n_samples}]:
        take = min(r["end"] - r["start"], CHUNK_S * SAMPLE_RATE - total)
        parts.append(source.read_samples(r["start"], r["start"] + take))
        total += take
        if total >= CHUNK_S * SAMPLE_RATE:
            break
    audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    if len(audio) < SAMPLE_RATE // 10:
        return "en"
    lang, _, _ = whisper.detect_language(audio=audio)
    return lang


def _detect_languages(whisper: Any, source: Any, probs: np.ndarray, options: Any) -> list[LanguageSpan]:
    """``transcribe.detect_languages`` over a source: the language of every speech region, read one by one."""
    regions = speech_timestamps(probs, source.n_samples, _vad(options, min_silence_duration_ms=
                                                              options.language_min_silence_ms))
    detected = []
    for r in regions:
        part = source.read_samples(r["start"], r["end"])
        _, _, lp = whisper.detect_language(audio=part)
        detected.append((samples_to_ms(r["start"]), samples_to_ms(r["end"]), dict(lp)))
    return assign_languages(detected, candidates=options.candidate_languages)


def _sequential(whisper: Any, source: Any, regions: list[dict], options: Any, lang: str, task: str,
                duration_ms: int, progress: Progress | None, tag: bool, decode_window: Callable,
                suppress: tuple[int, ...]) -> list[Segment]:
    """WhisperModel.transcribe over windows of at most 10 minutes, cut in silences between speech regions."""
    limit = ms_to_samples(SEQUENTIAL_WINDOW_MS)
    windows: list[tuple[int, int]] = []
    for r in regions:
        if windows and r["end"] - windows[-1][0] <= limit:
            windows[-1] = (windows[-1][0], r["end"])
        else:
            start = r["start"]
            while r["end"] - start > limit:  # one region longer than a window: cut it (VAD found no pause)
                windows.append((start, start + limit))
                start += limit
            windows.append((start, r["end"]))
    out: list[Segment] = []
    for a, b in windows:
        part = source.read_samples(a, b)
        segs, _ = decode_window(whisper, part, options, language=lang, task=task, offset_ms=samples_to_ms(a),
                                duration_ms=duration_ms, progress=progress, tag=tag)
        out += segs
    return out


def _batched(whisper: Any, source: Any, regions: list[dict], options: Any, lang: str, task: str,
             duration_ms: int, progress: Progress | None, tag: bool, decode_window: Callable,
             suppress: tuple[int, ...], stats: dict[str, int] | None = None) -> list[Segment]:
    """BatchedInferencePipeline over the 30 s windows, one block of ``batch_size x BLOCK_BATCHES`` at a time.

    A batched decoder cannot seek: when Whisper stops early in a window (it often does on dense speech),
    raw ``BatchedInferencePipeline`` loses the rest of the window (faster-whisper #1179, #1351). Here the
    speech the VAD found after a window's last word becomes a new window, decoded in the next round (at
    most ``rounds.CONTINUE_ROUNDS``), as the sequential decoder would seek to it.
    """
    from faster_whisper import BatchedInferencePipeline

    pipe = BatchedInferencePipeline(whisper)
    device = str(getattr(whisper.model, "device", "cpu"))
    bs = batch_size(options, device)  # 0: by device, for any caller
    block = bs * BLOCK_BATCHES
    first = pack_contiguous_cut(regions, digital_silence(source) if CUT_SILENCE else [])
    spec = BlockSpec(options, lang, task, duration_ms, tag, tuple(suppress), bs)
    # by (round, block, window): the order the blocks were planned in, whichever replica finished first
    found: dict[tuple[int, int, int], list[Segment]] = {}
    retry: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    counts = {"windows": len(first), "retried": 0, "continued": 0, "continuation_windows": 0}

    def take(rnd: int, idx: int, group: list[list[dict]], decoded: list[list[Segment]]) -> list[list[dict]]:
        """One decoded block: its words kept, its failed windows set aside for the sequential decoder (a
        loop, a low-confidence window or nothing from seconds of speech: temperature fallback and seeking, as
        faster-whisper itself would retry it; a window of packed remainders piece by piece), and the
        remainders after early stops returned."""
        rests = []
        for j, (win, segs) in enumerate(zip(group, decoded, strict=True)):
            speech = sum(r["end"] - r["start"] for r in win)
            if any(_failed(sg, options) for sg in segs) or (not segs and speech >= CONTINUE_MIN_SAMPLES):
                retry[(rnd, idx, j)] = _pieces(win)
                counts["retried"] += 1
                continue
            found[(rnd, idx, j)] = segs
            rest = _remainder(win, segs)
            if rest:
                rests.append(rest)
                counts["continued"] += 1
        if rnd:
            counts["continuation_windows"] += len(group)
        elif progress:
            progress(min(samples_to_ms(group[-1][-1]["end"]), duration_ms), duration_ms)
        return rests

    rounds = Rounds([first[i:i + block] for i in range(0, len(first), block)], continuation_block(bs, device))
    runner = BLOCK_RUNNER.get()
    if runner is not None:
        by_round(rounds, lambda groups: runner(source, groups, spec), take)
    else:
        _streamed(rounds, pipe, source, spec, take)
    out = [sg for key in sorted(found) for sg in found[key]]
    pieces = [p for key in sorted(retry) for p in retry[key]]
    if pieces:
        def again(piece: tuple[int, int]) -> list[Segment]:
            a, b = piece
            return decode_window(whisper, source.read_samples(a, b), options, language=lang, task=task,
                                 offset_ms=samples_to_ms(a), duration_ms=duration_ms, progress=None,
                                 tag=tag)[0]

        with on_replicas(whisper) as each:  # every replica at once, results in order
            for segs in each(again, pieces):
                out += segs
    log.info("batched: %d window(s); %d decoded again sequentially (loop, low confidence or no words), "
             "%d continued after an early stop", counts["windows"], counts["retried"], counts["continued"])
    if stats is not None:  # summed over the calls of one decode_source (transcription and translation)
        for k, v in counts.items():
            stats[k] = stats.get(k, 0) + v
    out.sort(key=lambda sg: (sg.start_ms, sg.end_ms))
    return out


def _failed(seg: Segment, options: Any) -> bool:
    """faster-whisper's own fallback test: a compressible (looping) text, or a low log-probability that
    the no-speech probability does not explain."""
    cr = options.compression_ratio_threshold
    lp = options.log_prob_threshold
    if cr is not None and seg.compression_ratio > cr:
        return True
    if lp is not None and seg.avg_logprob < lp:
        ns = options.no_speech_threshold
        return not (ns is not None and seg.no_speech_prob > ns)
    return False


def _streamed(rounds: Rounds, pipe: Any, source: Any, spec: BlockSpec,
              handle: Callable[[int, int, Block, list[list[Segment]]], list[list[dict]]]) -> None:
    """The blocks on this process's model: on its replicas at once (each thread with its own pipeline: it keeps
    per-call state), a replica taking the next ready block as soon as it is free; at most ``replicas`` blocks
    in flight (bounded memory). Decoded blocks are handled in their planned order."""
    replicas = decoder_count(pipe.model)

    def decode(group: Block, p: Any = pipe) -> list[list[Segment]]:
        return _decode_block(p, source, group, spec.options, spec.lang, spec.task, spec.duration_ms, spec.tag,
                             spec.suppress, spec.batch_size)

    results: dict[tuple[int, int], tuple[Block, list[list[Segment]]]] = {}
    if replicas <= 1:
        while rounds.ready:
            r, i, g = rounds.pop()
            results[(r, i)] = (g, decode(g))
            rounds.take(results, handle)
        return
    import threading
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    from faster_whisper import BatchedInferencePipeline

    local = threading.local()

    def on_replica(group: Block) -> list[list[Segment]]:
        if not hasattr(local, "pipe"):
            local.pipe = BatchedInferencePipeline(pipe.model)
        return decode(group, local.pipe)

    running: dict[Future, tuple[int, int, Block]] = {}
    with ThreadPoolExecutor(replicas, thread_name_prefix="subpipe-block") as ex:
        while rounds.ready or running:
            while rounds.ready and len(running) < replicas:
                r, i, g = rounds.pop()
                running[ex.submit(on_replica, g)] = (r, i, g)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                r, i, g = running.pop(fut)
                results[(r, i)] = (g, fut.result())
            rounds.take(results, handle)


def _pieces(win: list[dict]) -> list[tuple[int, int]]:
    """The window's stretches of contiguous audio (its regions that touch, joined)."""
    out: list[tuple[int, int]] = []
    for r in win:
        if out and r["start"] <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], r["end"]))
        else:
            out.append((r["start"], r["end"]))
    return out

CONTINUE_MIN_SAMPLES = 2 * SAMPLE_RATE  # at least this much VAD speech left after the last word


def _remainder(win: list[dict], segs: list[Segment]) -> list[dict] | None:
    """The window's speech after its last decoded word, when there is enough of it to be words."""
    if not segs:
        return None
    last = ms_to_samples(max(w.end_ms for sg in segs for w in sg.words))
    rest = _clip_regions(win, last, win[-1]["end"])
    if sum(r["end"] - r["start"] for r in rest) < CONTINUE_MIN_SAMPLES:
        return None
    return rest


# Where the blocks of windows are decoded. None: here, one block after the other, with this process's model.
# batch.py's Ray executor (raysplit.py) sets a runner that decodes them on actors, each with its own model:
# the same blocks of the same windows (planned here, from the audio alone), so the same words and times.
BlockRunner = Callable[[Any, list[list[list[dict]]], "BlockSpec"], Iterator[list[list[Segment]]]]
BLOCK_RUNNER: contextvars.ContextVar[BlockRunner | None] = contextvars.ContextVar("subpipe_block_runner",
                                                                                   default=None)


@dataclass(frozen=True)
class BlockSpec:
    """What ``_decode_block`` needs besides the model and the audio (picklable: it travels to Ray actors)."""

    options: Any
    lang: str
    task: str
    duration_ms: int
    tag: bool
    suppress: tuple[int, ...]
    batch_size: int


def _decode_block(pipe: Any, source: Any, group: list[list[dict]], options: Any, lang: str, task: str,
                  duration_ms: int, tag: bool, suppress: tuple[int, ...], bs: int) -> list[list[Segment]]:
    """One BatchedInferencePipeline call over a block of windows; the segments of each window."""
    from faster_whisper.transcribe import restore_speech_timestamps

    flat = [r for w in group for r in w]
    audio = np.concatenate([source.read_samples(r["start"], r["end"]) for r in flat])
    clips, seeks, pos = [], {}, 0
    for j, w in enumerate(group):
        size = sum(r["end"] - r["start"] for r in w)
        # +0.25 sample: faster-whisper turns seconds back into samples with int(), never one short
        clips.append({"start": (pos + 0.25) / SAMPLE_RATE, "end": (pos + size + 0.25) / SAMPLE_RATE})
        seeks[int(pos / SAMPLE_RATE * 100)] = j  # faster-whisper's segment.seek: the window's offset in frames
        pos += size
    kwargs: dict[str, Any] = dict(
        language=lang, task=task, beam_size=max(1, options.batched_beam_size), word_timestamps=True, vad_filter=False,
        clip_timestamps=clips, batch_size=bs, temperature=0.0, initial_prompt=options.initial_prompt,
        without_timestamps=not BATCHED_TIMESTAMPS, log_progress=False,
    )
    if suppress:
        kwargs["suppress_tokens"] = [-1, *suppress]
    if options.glossary:
        kwargs["hotwords"] = ", ".join(options.glossary)
    segments, _info = pipe.transcribe(audio, **kwargs)
    del audio
    out: list[list[Segment]] = [[] for _ in group]
    for seg in restore_speech_timestamps(segments, flat, SAMPLE_RATE):
        found = seeks.get(int(seg.seek), None)
        if found is not None:
            j = found
        else:  # pragma: no cover - faster-whisper changed how it numbers windows
            j = min(range(len(group)), key=lambda k: abs(int(clips[k]["start"] * 100) - seg.seek))
        ws, prev = [], None
        for w in seg.words or ():
            word = to_word(w, prev, duration_ms, 0, lang if tag else None)
            if word is not None:
                ws.append(word)
                prev = word
        if ws:
            out[j].append(Segment(tuple(ws), float(seg.avg_logprob), float(seg.no_speech_prob),
                                  float(seg.compression_ratio), float(seg.temperature or 0.0)))
    return out


__all__ = ["decode_source", "pack_contiguous", "pack_windows"]
