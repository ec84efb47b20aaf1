"""The anchor pass: a fast transcription that says roughly what is said when, and in which language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..asr.transcribe import Progress, transcribe_audio
from ..errors import SubpipeError
from ..model import Transcript
from .matching import norm_tokens
from .types import FAST_ANCHOR, AlignOptions, ScriptWord


def _anchor_pass(samples, options: AlignOptions, model: str, language: str | None,
                 progress: Progress | None) -> Transcript:
    opts = replace(options.transcribe, model=model, language=language, beam_size=options.anchor_beam_size,
                   condition_on_previous_text=False)
    return transcribe_audio(samples, opts, progress=progress)


_ENGLISH = frozenset("the a an and of to in is it i you that he she we they was for on are with as be at "
                     "this have not but what so my your all can do".split())


def script_language(words: Sequence[ScriptWord]) -> str | None:
    """'en' when the script is plainly English (Latin letters, common English words); else None."""
    toks = [t for w in words[:600] for t in norm_tokens(w.text)]
    if len(toks) < 2 or any(not t.isascii() for t in toks):
        return None
    common = sum(t in _ENGLISH for t in toks)
    return "en" if common >= max(1, 0.15 * len(toks)) else None


def _anchor_model(samples: np.ndarray, words: Sequence[ScriptWord], options: AlignOptions,
                  loaded) -> tuple[str, str | None]:
    """Which model makes the anchor pass, and in which language."""
    main, lang = options.transcribe.model, options.transcribe.language
    if options.anchor_model != "auto":
        return options.anchor_model, lang
    if main == FAST_ANCHOR or options.transcribe.task != "transcribe":
        return main, lang
    english_only = main.endswith(".en")
    if lang is None and not english_only:
        lang = script_language(words)
    if lang is None and not english_only and len(samples):
        with loaded.lock:
            lang, _, _ = loaded.whisper.detect_language(samples)
    if lang == "en" or english_only:
        from ..asr.models import resolve

        try:
            resolve(FAST_ANCHOR, verify=False)  # installed? (it is verified when it loads)
        except SubpipeError:
            return main, lang
        return FAST_ANCHOR, "en"
    return main, lang


def _use_phones(refine: str, language: str | None) -> bool:
    if refine == "none":
        return False
    if refine not in ("auto", "phones", "energy"):
        raise SubpipeError(f"unknown refinement {refine!r} (auto, phones, energy or none)")
    if refine == "energy":
        return False
    if language not in (None, "en"):
        return False
    from . import phones

    if not phones.available():
        if refine == "phones":
            raise SubpipeError("phone refinement needs the pocketsphinx package",
                               hint="pip install pocketsphinx")
        return False
    return True
