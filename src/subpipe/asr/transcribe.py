"""The faster-whisper adapter: audio -> Transcript (words with times).

Options travel in one dataclass; the model is loaded once and kept in a small cache (``unload_models``);
faster-whisper's lazy segment generator is consumed here, with progress reported through a callback.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..audio.events import DETECTOR as SOUND_DETECTOR
from ..audio.events import detect_music
from ..audio.source import decoding
from ..errors import ModelNotAvailableError, SubpipeError, TranscriptionError
from ..model import Dropped, Transcript, Word, seconds_to_ms
from ..timecode import SAMPLE_RATE, ms_to_samples, samples_duration_ms, samples_to_ms
from ..utterances import build_utterances
from . import coverage
from .engine import Progress, batch_size, choose_engine, decoder_replicas, one_blas_thread, refill, refill_weak, to_word
from .guards import GuardOptions, Segment, SpeechMap, apply_guards
from .language_names import english_only_note, normalize_language
from .languages import LanguageSpan, assign_languages, language_runs, majority_language
from .models import DEFAULT_MODEL, ResolvedModel, cache_dir, offline_help, resolve

log = logging.getLogger("subpipe")



@dataclass(frozen=True)
class TranscribeOptions:
    model: str = DEFAULT_MODEL
    device: str = "auto"  # auto | cpu | cuda
    compute_type: str = "auto"  # auto -> float16 on CUDA, int8 on CPU
    device_index: int = 0
    cpu_threads: int = 0  # 0: CTranslate2 picks
    language: str | None = None  # None: detect
    task: str = "transcribe"  # or "translate": English for the foreign parts, the original kept in the words
    beam_size: int = 5
    vad: bool = True  # Silero VAD (bundled with faster-whisper)
    vad_min_silence_ms: int = 1000
    # Measured on the trailer mixes (bench/bench_trailer.py --vad-sweep): under music Silero's onset lags the
    # voice by up to ~0.5 s, so 400 ms of padding cut into 11 of 23 first words; 800 ms covers all of them
    # with >= 0.28 s to spare and still marks no music-only second as speech.
    vad_speech_pad_ms: int = 800
    vad_threshold: float = 0.5
    glossary: tuple[str, ...] = ()  # names and terms, fed as hotwords
    initial_prompt: str | None = None
    condition_on_previous_text: bool = True
    # hallucination guards (guards.py) and Whisper's own thresholds
    guards: bool = True
    no_speech_threshold: float | None = 0.6
    log_prob_threshold: float | None = -1.0
    compression_ratio_threshold: float | None = 2.4
    # Whisper's temperature fallback re-decodes a window by random sampling when the greedy/beam result fails
    # the thresholds above. CTranslate2 cannot seed that per call (ctranslate2.set_random_seed does not reseed a
    # loaded model's worker thread), so sampling made the same file come out differently from run to run.
    # Default: no sampling (temperature 0 only, beam search): the same input gives the same words every run;
    # loops the fallback would have re-decoded are the guards' job. Give more temperatures to opt back in
    # (the output then records that it is not reproducible).
    temperatures: tuple[float, ...] = (0.0,)
    hallucination_silence_threshold: float | None = 2.0  # seconds; needs word timestamps (always on)
    # "file": one language for the whole file; "utterance": detect and transcribe each speech region in its own
    languages: str = "file"
    candidate_languages: tuple[str, ...] = ()  # limit per-utterance detection to these (e.g. en, zh)
    language_min_silence_ms: int = 300  # pauses that may separate two languages
    # long inputs (longform.py): "auto" picks batched from BATCHED_MIN_MS on (by device), else sequential
    engine: str = "auto"  # auto | sequential | batched
    batch_size: int = 0  # windows decoded together by the batched engine; 0: by device (engine.BATCH_SIZE)
    # the batched engine's beam. Greedy measured on the long bench inputs (bench/results/long.md): 18 % less CPU
    # than beam 5 and no worse (12 min: 21.4 % WER against 25.2 %; 4 min: 16.4 % against 16.0 %); the windows
    # it fails on (loops, low confidence, no words) are decoded again sequentially with ``beam_size``
    batched_beam_size: int = 1

    def __post_init__(self) -> None:  # "EN", "English" -> "en"; an unknown language is a usage error
        object.__setattr__(self, "language", normalize_language(self.language))
        object.__setattr__(self, "candidate_languages",
                           tuple(c for c in (normalize_language(x) for x in self.candidate_languages) if c))

    def provenance(self) -> dict[str, Any]:
        d = asdict(self)
        d["glossary"] = list(self.glossary)
        d["candidate_languages"] = list(self.candidate_languages)
        d["temperatures"] = list(self.temperatures)
        return d

    @property
    def deterministic(self) -> bool:
        return all(t == 0 for t in self.temperatures)

    def guard_options(self) -> GuardOptions:
        return GuardOptions(compression_ratio=self.compression_ratio_threshold or float("inf"))


def read_glossary(path: Path) -> tuple[str, ...]:
    """One name or term per line; blank lines and lines starting with # are ignored."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SubpipeError(f"cannot read glossary ({exc.strerror})", path=path) from exc
    except UnicodeDecodeError:
        raise SubpipeError("glossary is not UTF-8 text", path=path) from None
    terms = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            terms.append(line)
    return tuple(terms)


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    if device == "auto":
        try:
            import ctranslate2

            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        except Exception:  # pragma: no cover
            device = "cpu"
    if device not in ("cpu", "cuda"):
        raise SubpipeError(f"unknown device {device!r} (use auto, cpu or cuda)")
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


@dataclass
class LoadedModel:
    whisper: Any
    resolved: ResolvedModel
    device: str
    compute_type: str
    lock: threading.Lock = field(default_factory=threading.Lock)


# at most this many models stay loaded (least recently used out): an alignment holds its model and the fast
# anchor model, the batched engine on a CPU its replicas' copy; ``unload_models`` empties the cache
MODEL_CACHE_SIZE = 3
_MODELS: OrderedDict[tuple, LoadedModel] = OrderedDict()
_MODELS_LOCK = threading.Lock()


def load_model(options: TranscribeOptions, *, replicas: int = 1) -> LoadedModel:
    """Load (once per process while it stays in the cache) and return the Whisper model the options name.

    ``replicas`` > 1: CTranslate2 runs that many copies of the decoder (one set of weights), each with
    ``options.cpu_threads`` threads, so that many calls decode at once (the batched engine's blocks,
    ``engine.decoder_replicas``)."""
    from faster_whisper import WhisperModel

    device, compute_type = resolve_device(options.device, options.compute_type)
    # verified once per process and cache folder: hashing 145 MB again for every file costs ~0.3 s
    key = (options.model, str(cache_dir()), device, compute_type, options.device_index, options.cpu_threads,
           replicas)
    with _MODELS_LOCK:
        if key in _MODELS:
            _MODELS.move_to_end(key)
            return _MODELS[key]
        resolved = resolve(options.model)
        log.info("loading model %s (%s, %s)", resolved.name, device, compute_type)
        try:
            whisper = WhisperModel(
                resolved.path,
                device=device,
                device_index=options.device_index,
                compute_type=compute_type,
                cpu_threads=options.cpu_threads,
                num_workers=replicas,
            )
        except SubpipeError:
            raise
        except Exception as exc:
            if resolved.sha256 is None:  # a hub name: most failures here mean "offline"
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
                raise ModelNotAvailableError(
                    f"model {options.model!r} is not installed and could not be downloaded from the model hub "
                    f"({reason})",
                    hint=offline_help(),
                ) from exc
            raise ModelNotAvailableError(f"cannot load model {options.model!r}: {exc}") from exc
        loaded = LoadedModel(whisper, resolved, device, compute_type)
        _MODELS[key] = loaded
        while len(_MODELS) > MODEL_CACHE_SIZE:  # the least recently used goes (its memory with its last user)
            _MODELS.popitem(last=False)
        return loaded


def unload_models() -> int:
    """Drop every cached model (``load_model``'s cache); returns how many. A model still in use stays alive
    until its last user lets go; the next ``load_model`` loads (and verifies) it again."""
    with _MODELS_LOCK:
        n = len(_MODELS)
        _MODELS.clear()
    return n


def model_for(options: TranscribeOptions, duration_ms: int) -> tuple[LoadedModel, str]:
    """The engine for an input of ``duration_ms`` (``engine.choose_engine``) and the model it runs on:
    the batched engine on a CPU decodes its blocks on ``engine.decoder_replicas`` replicas."""
    device, _ = resolve_device(options.device, options.compute_type)
    engine = choose_engine(options.engine, duration_ms, device)
    if engine == "batched":
        replicas, threads = decoder_replicas(options.cpu_threads, device)
        if replicas > 1:
            return load_model(replace(options, cpu_threads=threads), replicas=replicas), engine
    return load_model(options), engine


@one_blas_thread()
def transcribe_audio(
    samples: Any,
    options: TranscribeOptions,
    *,
    progress: Progress | None = None,
    media_sha256: str | None = None,
    media_name: str | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono float32 samples into a Transcript with word timings.

    With ``options.guards`` every decoded segment passes the hallucination guards (guards.py); what they drop
    is kept in ``Transcript.dropped``. With ``options.languages == "utterance"`` each speech region is
    transcribed in its own language; with ``task == "translate"`` the non-English parts are also translated
    into ``Transcript.translation`` while the words keep the original.
    """
    source = samples if hasattr(samples, "read_samples") else None  # an AudioSource (audiosource.py)
    n_samples = source.n_samples if source is not None else len(samples)
    duration_ms = samples_duration_ms(n_samples)
    loaded, engine = model_for(options, duration_ms)
    if source is not None or engine == "batched":
        return _transcribe_long(loaded, samples, options, engine, duration_ms, progress, media_sha256, media_name)
    notes: list[str] = []
    words: list[Word] = []
    translation: list[Word] = []
    dropped: list[Dropped] = []
    speech: SpeechMap | None = None
    language = options.language
    spans: list[LanguageSpan] = []
    cover = coverage.Coverage()
    if duration_ms == 0:
        notes.append("no audio samples")
    else:
        # one CTranslate2 model serves one call at a time; its buffers reused, not mapped again (audiosource)
        with loaded.lock, decoding():
            try:
                speech = speech_map(samples) if options.guards else None
                # nothing lost: the speech the VAD found that no word covers is decoded again (coverage.py)
                probs = (speech or speech_map(samples)).probs
                voiced = coverage.speech_spans(probs, len(samples), options)
                weak = coverage.weak_spans(probs, len(samples), options, voiced)
                def read(i: int, j: int) -> np.ndarray:
                    return samples[i:j]

                multilingual = bool(getattr(loaded.whisper.model, "is_multilingual", False))
                if not multilingual and (en_note := english_only_note(loaded.resolved.name, options.language)):
                    notes.append(en_note)
                if options.languages == "utterance" and options.language is None and multilingual:
                    spans = detect_languages(loaded.whisper, samples, options)
                    chunks = [(s.start_ms, s.end_ms, s.language) for s in spans]
                elif options.languages not in ("file", "utterance"):
                    raise SubpipeError(f"unknown languages mode {options.languages!r} (use file or utterance)")
                else:
                    if options.languages == "utterance" and options.language is None:
                        notes.append(f"languages by utterance need a multilingual model; {loaded.resolved.name} "
                                     f"is English-only, so the file was transcribed as one language")
                    chunks = [(0, duration_ms, options.language)]
                seen: dict[str, int] = {}
                for a, b, lang in chunks:
                    part = samples[ms_to_samples(a): ms_to_samples(b)]
                    segs, lang = _decode(loaded.whisper, part, options, language=lang, task="transcribe",
                                         offset_ms=a, duration_ms=duration_ms, progress=progress,
                                         tag=options.languages == "utterance")
                    segs, redone = refill(read, _decode, loaded.whisper, segs, voiced, a, b, options, lang=lang,
                                          task="transcribe", duration_ms=duration_ms,
                                          tag=options.languages == "utterance", speech_map=speech)
                    segs, _, unsure = refill_weak(read, _decode, loaded.whisper, segs, weak, a, b, options, lang=lang,
                                                  task="transcribe", duration_ms=duration_ms,
                                                  tag=options.languages == "utterance")
                    seen[lang] = seen.get(lang, 0) + (b - a)
                    kept, gone = _guard(segs, speech, options)
                    gone += unsure
                    cover.add(coverage.report(voiced, kept, gone, redone, a, b))
                    words += kept
                    dropped += gone
                    if options.task == "translate" and lang != "en" and kept:
                        tsegs, _ = _decode(loaded.whisper, part, options, language=lang, task="translate",
                                           offset_ms=a, duration_ms=duration_ms, progress=None, tag=False)
                        tsegs, _ = refill(read, _decode, loaded.whisper, tsegs, voiced, a, b, options, lang=lang,
                                          task="translate", duration_ms=duration_ms, tag=False, speech_map=speech)
                        tkept, tgone = _guard(tsegs, speech, options)
                        translation += [replace(w, language="en") for w in tkept]
                        dropped += [replace(d, detail=d.detail + " (in the English translation)") for d in tgone]
                language = majority_language(seen) if seen else language
            except SubpipeError:
                raise
            except Exception as exc:
                raise TranscriptionError(f"transcription failed: {exc}") from exc
    if progress:
        progress(duration_ms, duration_ms)
    words = _monotonic(words)
    translation = _monotonic(translation)
    dropped.sort(key=lambda d: (d.start_ms, d.end_ms))
    notes += _summary_notes(options, words, dropped, spans)
    decoder: dict[str, Any] = {"engine": engine}
    provenance = _provenance(loaded, options, decoder, spans, media_sha256, media_name)
    events = detect_music(samples, words=words, speech=speech) if duration_ms else ()
    if duration_ms:
        notes += _record_coverage(decoder, cover, events)
    return _assemble(words, language, duration_ms, notes, provenance, dropped, translation, events)



def _summary_notes(options: TranscribeOptions, words: list, dropped: list, spans: list) -> list[str]:
    """The notes every transcription ends with, on either engine: sampling, no speech, guard drops, languages."""
    notes = []
    if not options.deterministic:
        notes.append(f"temperature fallback {list(options.temperatures)} samples at random: another run may "
                     f"give other words (the default, temperature 0 only, is reproducible)")
    if not words:
        notes.append("no speech detected")
    if dropped:
        notes.append(f"guards dropped {len(dropped)} word(s) Whisper likely invented "
                     f"({_count_reasons(dropped)}); see 'dropped' in the transcript JSON")
    if spans:
        langs = sorted({s.language for s in spans})
        notes.append(f"languages by utterance: {', '.join(langs)} ({len(spans)} stretch(es))")
    return notes


def _provenance(loaded: LoadedModel, options: TranscribeOptions, decoder: dict[str, Any], spans: list,
                media_sha256: str | None, media_name: str | None) -> dict[str, Any]:
    provenance: dict[str, Any] = {
        "tool": "subpipe",
        "version": __version__,
        "model": {
            "name": loaded.resolved.name,
            "sha256": loaded.resolved.sha256,
            "source": loaded.resolved.source,
            "verified": loaded.resolved.verified,
        },
        "device": loaded.device,
        "compute_type": loaded.compute_type,
        "options": options.provenance(),
        "engine": _engine_versions(),
        "decoding": {
            "temperatures": list(options.temperatures),
            "sampling": not options.deterministic,
            "reproducible": options.deterministic,
            "blas_threads": 1,
        },
        "decoder": decoder,
    }
    if spans:
        provenance["language_spans"] = [
            {"start_ms": s.start_ms, "end_ms": s.end_ms, "language": s.language, "probability": s.probability}
            for s in spans
        ]
    if media_sha256:
        provenance["media"] = {"sha256": media_sha256, "name": media_name}
    return provenance


def _transcribe_long(loaded: LoadedModel, audio: Any, options: TranscribeOptions, engine: str, duration_ms: int,
                     progress: Progress | None, media_sha256: str | None, media_name: str | None) -> Transcript:
    """An AudioSource (a long file read by window) or the batched engine: longform.py decodes, this builds
    the Transcript the same way as the sequential path."""
    from ..audio.events import detect_music_source
    from ..audio.source import as_source
    from .longform import decode_source

    source = as_source(audio)
    notes: list[str] = []
    if duration_ms == 0:
        res = None
        notes.append("no audio samples")
    else:
        with loaded.lock:
            try:
                res = decode_source(loaded, source, options, engine=engine, duration_ms=duration_ms,
                                    progress=progress, decode_window=_decode, guard=_guard,
                                    non_latin=non_latin_tokens)
            except SubpipeError:
                raise
            except Exception as exc:
                raise TranscriptionError(f"transcription failed: {exc}") from exc
    if progress:
        progress(duration_ms, duration_ms)
    words = _monotonic(res.words) if res else []
    translation = _monotonic(res.translation) if res else []
    dropped = sorted(res.dropped, key=lambda d: (d.start_ms, d.end_ms)) if res else []
    spans = res.spans if res else []
    notes += res.notes if res else []
    language = majority_language(res.seen) if res and res.seen else options.language
    notes += _summary_notes(options, words, dropped, spans)
    decoder: dict[str, Any] = {"engine": engine}
    if engine == "batched":
        decoder["batch_size"] = batch_size(options, loaded.device)
        decoder["beam_size"] = options.batched_beam_size
        decoder["temperature"] = 0.0
        decoder.update(res.stats if res else {})  # windows, and how many were decoded again sequentially or continued
    provenance = _provenance(loaded, options, decoder, spans, media_sha256, media_name)
    speech = res.speech if res else None
    events = detect_music_source(source, words=words, speech=speech) if duration_ms else ()
    if res is not None and res.coverage is not None:
        notes += _record_coverage(decoder, res.coverage, events)
    return _assemble(words, language, duration_ms, notes, provenance, dropped, translation, events)


def _record_coverage(decoder: dict[str, Any], cov: Any, events: tuple) -> list[str]:
    """The coverage report into the provenance's ``decoder`` (speech found, with words, decoded again, without
    words), and a note (and a warning on stderr) for each stretch of speech still without words."""
    decoder["coverage"] = cov.to_dict(events)
    notes = []
    for d in cov.dropped:
        at = f"{d['start_ms'] / 1000:.1f}-{d['end_ms'] / 1000:.1f} s"
        notes.append(f"{d['speech_ms'] / 1000:.1f} s of speech at {at} has no words ({d['reason']}: {d['detail']})")
    if notes:
        notes.append(f"coverage: {cov.summary()}; see decoder.coverage in the transcript's provenance")
        for n in notes:
            log.warning("%s", n)
    return notes


def _assemble(words: list[Word], language: str | None, duration_ms: int, notes: list[str],
              provenance: dict[str, Any], dropped: list[Dropped], translation: list[Word], events: tuple
              ) -> Transcript:
    provenance["sound_events"] = SOUND_DETECTOR
    utterances: tuple = ()
    for lang, run in language_runs(words, language):
        utterances += build_utterances(run, lang)
    return Transcript(
        words=tuple(words),
        language=language,
        duration_ms=duration_ms,
        utterances=utterances,
        notes=tuple(notes),
        provenance=provenance,
        dropped=tuple(dropped),
        translation=tuple(translation),
        events=events,
    )


def speech_map(samples: np.ndarray) -> SpeechMap:
    """Silero VAD's speech probability for every 32 ms of the audio (the guards' evidence)."""
    from faster_whisper.vad import get_vad_model

    window = 512
    if len(samples) == 0:
        return SpeechMap(np.zeros(0, dtype=np.float32))
    padded = np.pad(samples, (0, window - len(samples) % window))
    return SpeechMap(np.asarray(get_vad_model()(padded), dtype=np.float32).reshape(-1))


def vad_parameters(options: TranscribeOptions, *, min_silence_ms: int | None = None) -> dict[str, Any]:
    return dict(
        threshold=options.vad_threshold,
        min_silence_duration_ms=options.vad_min_silence_ms if min_silence_ms is None else min_silence_ms,
        speech_pad_ms=options.vad_speech_pad_ms,
    )


def whisper_kwargs(options: TranscribeOptions, *, language: str | None, task: str) -> dict[str, Any]:
    """The keyword arguments ``WhisperModel.transcribe`` gets for these options."""
    kwargs: dict[str, Any] = dict(
        language=language,
        task=task,
        beam_size=options.beam_size,
        word_timestamps=True,
        vad_filter=options.vad,
        condition_on_previous_text=options.condition_on_previous_text,
        initial_prompt=options.initial_prompt,
        no_speech_threshold=options.no_speech_threshold,
        log_prob_threshold=options.log_prob_threshold,
        compression_ratio_threshold=options.compression_ratio_threshold,
        temperature=list(options.temperatures) or [0.0],
        hallucination_silence_threshold=options.hallucination_silence_threshold,
    )
    if options.vad:
        kwargs["vad_parameters"] = vad_parameters(options)
    if options.glossary:
        kwargs["hotwords"] = ", ".join(options.glossary)
    return kwargs


def _decode(whisper: Any, samples: np.ndarray, options: TranscribeOptions, *, language: str | None, task: str,
            offset_ms: int, duration_ms: int, progress: Progress | None, tag: bool,
            max_new_tokens: int | None = None) -> tuple[list[Segment], str]:
    """One faster-whisper pass over ``samples``; segments with words on the file's clock (at most
    ``max_new_tokens`` tokens a window when given)."""
    if len(samples) < SAMPLE_RATE // 10:  # under 0.1 s: nothing Whisper can read
        return [], language or "en"
    kwargs = whisper_kwargs(options, language=language, task=task)
    if max_new_tokens is not None:
        kwargs["max_new_tokens"] = max_new_tokens
    if task == "translate":  # English subtitles: Whisper may not fall back to the source script
        kwargs["suppress_tokens"] = [-1, *non_latin_tokens(whisper)]
    fw_segments, info = whisper.transcribe(samples, **kwargs)
    lang = info.language
    out: list[Segment] = []
    prev: Word | None = None
    for seg in fw_segments:
        ws = []
        for w in seg.words or ():
            word = to_word(w, prev, duration_ms, offset_ms, lang if tag else None)
            if word is not None:
                ws.append(word)
                prev = word
        if ws:
            out.append(Segment(tuple(ws), float(seg.avg_logprob), float(seg.no_speech_prob),
                               float(seg.compression_ratio), float(seg.temperature or 0.0)))
        if progress:
            progress(min(offset_ms + seconds_to_ms(seg.end), duration_ms), duration_ms)
    return out, lang


_NON_LATIN: dict[int, tuple[int, ...]] = {}


def non_latin_tokens(whisper: Any) -> tuple[int, ...]:
    """Token ids whose text is outside Latin script (or a partial UTF-8 byte): suppressed when translating.

    Whisper ``base`` asked to translate short Mandarin stretches often writes Chinese characters or half of
    them; an English subtitle must not. Computed once per loaded model (about half a second).
    """
    key = id(whisper)
    if key not in _NON_LATIN:
        tok = whisper.hf_tokenizer
        bad = []
        for i in range(tok.get_vocab_size()):
            text = tok.decode([i])
            if any(ord(c) > 0x24F and not 0x2000 <= ord(c) <= 0x206F for c in text):
                bad.append(i)
        _NON_LATIN[key] = tuple(bad)
    return _NON_LATIN[key]


def _guard(segs: list[Segment], speech: SpeechMap | None, options: TranscribeOptions
           ) -> tuple[list[Word], list[Dropped]]:
    if not options.guards:
        return [w for s in segs for w in s.words], []
    res = apply_guards(segs, speech, options.guard_options())
    return list(res.words), list(res.dropped)


def detect_languages(whisper: Any, samples: np.ndarray, options: TranscribeOptions) -> list[LanguageSpan]:
    """The language of every speech region (Silero VAD, short pauses split), merged into same-language spans."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(**vad_parameters(options, min_silence_ms=options.language_min_silence_ms))
    regions = get_speech_timestamps(samples, vad)
    detected = []
    for r in regions:
        part = samples[r["start"]:r["end"]]
        _, _, probs = whisper.detect_language(audio=part)
        detected.append((samples_to_ms(r["start"]), samples_to_ms(r["end"]), dict(probs)))
    return assign_languages(detected, candidates=options.candidate_languages)


def _monotonic(words: list[Word]) -> list[Word]:
    """Chunks in time order (a stable sort by start: words inside a chunk already have non-decreasing starts)."""
    return sorted(words, key=lambda w: w.start_ms)


def _count_reasons(dropped: list[Dropped]) -> str:
    counts: dict[str, int] = {}
    for d in dropped:
        counts[d.reason] = counts.get(d.reason, 0) + 1
    return ", ".join(f"{n} {r}" for r, n in sorted(counts.items()))


def _engine_versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {}
    for pkg in ("faster-whisper", "ctranslate2"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # pragma: no cover
            pass
    return out
