"""The faster-whisper adapter: audio -> Transcript (words with times).

Options travel in one dataclass; the model is loaded once per process and kept; faster-whisper's
lazy segment generator is consumed here, with progress reported through a callback.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .errors import ModelNotAvailableError, SubpipeError, TranscriptionError
from .model import Transcript, Word, seconds_to_ms
from .models import DEFAULT_MODEL, ResolvedModel, offline_help, resolve
from .utterances import build_utterances

log = logging.getLogger("subpipe")

Progress = Callable[[int, int], None]  # (done_ms, total_ms)


@dataclass(frozen=True)
class TranscribeOptions:
    model: str = DEFAULT_MODEL
    device: str = "auto"  # auto | cpu | cuda
    compute_type: str = "auto"  # auto -> float16 on CUDA, int8 on CPU
    device_index: int = 0
    cpu_threads: int = 0  # 0: CTranslate2 picks
    language: str | None = None  # None: detect
    task: str = "transcribe"  # or "translate" (to English)
    beam_size: int = 5
    vad: bool = True  # Silero VAD (bundled with faster-whisper)
    vad_min_silence_ms: int = 1000
    vad_speech_pad_ms: int = 400
    glossary: tuple[str, ...] = ()  # names and terms, fed as hotwords
    initial_prompt: str | None = None
    condition_on_previous_text: bool = True

    def provenance(self) -> dict[str, Any]:
        d = asdict(self)
        d["glossary"] = list(self.glossary)
        return d


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


_MODELS: dict[tuple, LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def load_model(options: TranscribeOptions) -> LoadedModel:
    """Load (once per process) and return the Whisper model the options name."""
    from faster_whisper import WhisperModel

    device, compute_type = resolve_device(options.device, options.compute_type)
    resolved = resolve(options.model)
    key = (resolved.path, device, compute_type, options.device_index, options.cpu_threads)
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        log.info("loading model %s (%s, %s)", resolved.name, device, compute_type)
        try:
            whisper = WhisperModel(
                resolved.path,
                device=device,
                device_index=options.device_index,
                compute_type=compute_type,
                cpu_threads=options.cpu_threads,
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
        return loaded


def transcribe_audio(
    samples: np.ndarray,
    options: TranscribeOptions,
    *,
    progress: Progress | None = None,
    media_sha256: str | None = None,
    media_name: str | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono float32 samples into a Transcript with word timings."""
    loaded = load_model(options)
    duration_ms = int(len(samples) * 1000 / 16000 + 0.5)
    notes: list[str] = []
    kwargs: dict[str, Any] = dict(
        language=options.language,
        task=options.task,
        beam_size=options.beam_size,
        word_timestamps=True,
        vad_filter=options.vad,
        condition_on_previous_text=options.condition_on_previous_text,
        initial_prompt=options.initial_prompt,
    )
    if options.vad:
        kwargs["vad_parameters"] = dict(
            min_silence_duration_ms=options.vad_min_silence_ms, speech_pad_ms=options.vad_speech_pad_ms
        )
    if options.glossary:
        kwargs["hotwords"] = ", ".join(options.glossary)
    words: list[Word] = []
    language = options.language
    if duration_ms == 0:
        notes.append("no audio samples")
    else:
        with loaded.lock:  # one CTranslate2 model serves one call at a time
            try:
                segments, info = loaded.whisper.transcribe(samples, **kwargs)
                language = info.language
                for seg in segments:
                    for w in seg.words or ():
                        word = _to_word(w, words[-1] if words else None, duration_ms)
                        if word is not None:
                            words.append(word)
                    if progress:
                        progress(min(seconds_to_ms(seg.end), duration_ms), duration_ms)
            except SubpipeError:
                raise
            except Exception as exc:
                raise TranscriptionError(f"transcription failed: {exc}") from exc
    if progress:
        progress(duration_ms, duration_ms)
    if not words:
        notes.append("no speech detected")
    provenance = {
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
    }
    if media_sha256:
        provenance["media"] = {"sha256": media_sha256, "name": media_name}
    return Transcript(
        words=tuple(words),
        language=language,
        duration_ms=duration_ms,
        utterances=build_utterances(words, language),
        notes=tuple(notes),
        provenance=provenance,
    )


def _to_word(w: Any, prev: Word | None, duration_ms: int) -> Word | None:
    raw = w.word
    text = raw.strip()
    if not text:
        return None
    start = min(seconds_to_ms(w.start), duration_ms)
    end = min(max(seconds_to_ms(w.end), start), duration_ms)
    if prev is not None and start < prev.start_ms:  # keep starts non-decreasing
        start = prev.start_ms
        end = max(end, start)
    return Word(text, start, end, round(float(w.probability), 4), space_before=raw[:1].isspace())


def _engine_versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {}
    for pkg in ("faster-whisper", "ctranslate2"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # pragma: no cover
            pass
    return out
