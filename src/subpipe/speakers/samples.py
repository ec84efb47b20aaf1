"""Enrolled voices (``--speaker-sample NAME=FILE``), read and checked once, before any transcription.

A sample that cannot name anyone is an error that names the speaker and the file: a missing file, one that
does not decode, a silent one, or too little speech to learn a voice from. Each sample's embedding is kept
(bounded, by path, size and modification time), so checking first costs nothing later in the same process.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import SubpipeError
from .embedder import DiarizationError, speech_regions, voice_embedding
from .names import check_sample_name

SAMPLE_MIN_SPEECH_MS = 1000  # less speech than this does not make a voice (5-30 s is best)
_CACHE_SIZE = 32
_cache: OrderedDict[tuple[str, int, int], np.ndarray] = OrderedDict()


def sample_voice(name: str, path: str | Path) -> np.ndarray:
    """The voice embedding of ``name``'s sample at ``path``; DiarizationError naming both when it cannot be."""
    from ..audio import media as media_mod

    p = Path(path)
    who = f"the voice sample for {name!r}"
    try:
        st = p.stat()
    except OSError:
        raise DiarizationError(f"{who}: no such file", path=p,
                               hint="check the path after NAME= (relative paths start from where you run)") from None
    key = (os.fspath(p.resolve()), st.st_size, st.st_mtime_ns)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    try:
        audio = media_mod.extract_audio(p)
    except SubpipeError as exc:
        raise DiarizationError(f"{who}: {exc.message}", path=p, hint=exc.hint) from None
    if audio.duration_ms < SAMPLE_MIN_SPEECH_MS:
        raise DiarizationError(f"{who} is only {audio.duration_ms / 1000:.1f} s long; a sample needs "
                               f"{SAMPLE_MIN_SPEECH_MS / 1000:.0f} s of speech or more", path=p,
                               hint="record 5-30 s of that person talking alone")
    regions = speech_regions(audio.samples)
    speech_ms = sum(b - a for a, b in regions)
    if not regions:
        raise DiarizationError(f"{who} holds no speech ({audio.duration_ms / 1000:.1f} s of silence or noise)",
                               path=p, hint="record 5-30 s of that person talking alone")
    if speech_ms < SAMPLE_MIN_SPEECH_MS:
        raise DiarizationError(f"{who} holds only {speech_ms / 1000:.1f} s of speech; a sample needs "
                               f"{SAMPLE_MIN_SPEECH_MS / 1000:.0f} s or more", path=p,
                               hint="record 5-30 s of that person talking alone")
    try:
        emb = voice_embedding(audio.samples)
    except DiarizationError as exc:
        raise DiarizationError(f"{who}: {exc.message}", path=p) from None
    _cache[key] = emb
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return emb


def check_samples(samples: Sequence[tuple[str, str]]) -> None:
    """Every (NAME, FILE) usable: a proper name and a sample with enough speech (raises otherwise)."""
    for name, path in samples:
        check_sample_name(name)
        sample_voice(name, path)


__all__ = ["SAMPLE_MIN_SPEECH_MS", "check_samples", "sample_voice"]
