"""Sound events for SDH subtitles: long stretches of music with no speech, found in the samples.

``detect_music`` is a pure function over 16 kHz mono samples, the words Whisper kept and (when the
adapter computed it for the guards) Silero VAD's speech map. It runs at transcription time, because the
subtitle stage has no audio; its result is stored in ``Transcript.events`` (the checkpoint).

Per 32 ms frame (the VAD's hop) it measures the level and the spectral flatness between 100 Hz and 4 kHz
(geometric over arithmetic mean of the power spectrum: near 0 for tones and chords, near 0.5-0.6 for
white noise). A frame is musical when it is well above silence and tonal; a second is musical when most
of its frames are (drum hits and noise between notes do not break a stretch). A stretch becomes a
``SoundEvent("music")`` when it is musical, holds no word, has no VAD speech and lasts ``min_ms`` or more.
Silence (digital zero, room tone) fails the level test; broadband noise bursts (impacts, applause, wind)
fail the flatness test; speech is excluded by the words and the VAD.

Measured on ffmpeg-made beds and on the real speech in ../shared/data: see tests/test_sound.py and the
figures in the module's commit message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..model import SoundEvent, Word
from ..timecode import SAMPLE_RATE, samples_to_ms
from .source import VAD_HOP_MS, SpeechMap

DETECTOR = "music-v1"  # recorded in the transcript's provenance: which detector made the events


@dataclass(frozen=True)
class MusicOptions:
    min_ms: int = 3000  # shortest stretch worth a cue
    min_level_dbfs: float = -45.0  # frames quieter than this are silence (room tone sits near -65)
    max_flatness: float = 0.25  # frames flatter than this are noise, not notes
    min_stability: float = 0.7  # frames whose spectrum moved more than this in 64 ms are speech or noise
    smooth_ms: int = 1000  # a stretch is musical where most frames within this window are
    musical_share: float = 0.5
    word_pad_ms: int = 100  # around every kept word: speech, not music (Whisper starts words early under music)
    vad_threshold: float = 0.5


HOP = SAMPLE_RATE * VAD_HOP_MS // 1000  # 512 samples: one frame per VAD probability
WIN = 2 * HOP
_BLOCK = 4096  # frames per FFT block: bounded memory on hour-long files


def frame_features(samples: np.ndarray, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 32 ms frame (window 64 ms, Hann): level (dBFS), spectral flatness and spectral stability.

    Flatness and stability are measured between 100 Hz and 4 kHz. Stability is the correlation of the
    frame's log spectrum with the one 64 ms earlier (the previous non-overlapping window): held notes and
    chords keep their peaks (about 0.85-1 on the made beds), speech moves them (median 0.45-0.63 on the real
    speech in ../shared/data), noise has none to keep (about 0-0.15).
    """
    x = np.asarray(samples, dtype=np.float32)
    n = -(-len(x) // HOP) if len(x) else 0
    if n == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    x = np.pad(x, (0, n * HOP + WIN - len(x)))
    return _features(lambda a, b: x[a:b], n, sr)


def frame_features_source(source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``frame_features`` over an AudioSource (audiosource.py), reading one block of frames at a time."""
    n = -(-source.n_samples // HOP) if source.n_samples else 0
    if n == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)

    def read(a: int, b: int) -> np.ndarray:
        x = source.read_samples(a, b)
        return np.pad(x, (0, b - a - len(x))) if len(x) < b - a else x

    return _features(read, n, SAMPLE_RATE)


def _features(read, n: int, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    freqs = np.fft.rfftfreq(WIN, 1 / sr)
    band = (freqs >= 100) & (freqs <= 4000)
    window = np.hanning(WIN).astype(np.float32)
    level = np.empty(n)
    flat = np.empty(n)
    stable = np.zeros(n)
    prev = np.zeros((0, int(band.sum())))
    for a in range(0, n, _BLOCK):
        b = min(n, a + _BLOCK)
        base = a * HOP
        x = read(base, (b - 1) * HOP + WIN)
        idx = np.arange(0, b - a)[:, None] * HOP + np.arange(WIN)[None, :]
        frames = x[idx]
        core = frames[:, :HOP]
        level[a:b] = 10 * np.log10(np.mean(core.astype(np.float64) ** 2, axis=1) + 1e-12)
        p = np.abs(np.fft.rfft(frames * window, axis=1))[:, band].astype(np.float64) ** 2 + 1e-12
        logp = np.log(p)
        flat[a:b] = np.exp(np.mean(logp, axis=1)) / np.mean(p, axis=1)
        logp -= logp.mean(axis=1, keepdims=True)
        logp /= np.linalg.norm(logp, axis=1, keepdims=True) + 1e-9
        both = np.concatenate((prev, logp))
        stable[a - len(prev) + 2:b] = np.einsum("ij,ij->i", both[2:], both[:-2])  # frame t against t-2
        prev = logp[-2:].copy()
        del x, idx, frames, core, p, logp, both  # nothing of a block held while the next is read (a prefetch
        # may wait there while Whisper decodes: audio.source._PREFETCH_GO)
    return level, flat, stable


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frame index pairs where ``mask`` is True."""
    if not len(mask):
        return []
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def speech_mask(n: int, words: Sequence[Word], speech: SpeechMap | None, opts: MusicOptions) -> np.ndarray:
    """Frames that are (or are next to) speech: a kept word, or the VAD's speech probability."""
    mask = np.zeros(n, dtype=bool)
    for w in words:
        a = max(0, (w.start_ms - opts.word_pad_ms) // VAD_HOP_MS)
        b = min(n, -(-(w.end_ms + opts.word_pad_ms) // VAD_HOP_MS))
        mask[a:b] = True
    if speech is not None and len(speech.probs):
        p = speech.probs[:n]
        mask[:len(p)] |= p >= opts.vad_threshold
    return mask


def detect_music(samples: np.ndarray, *, words: Sequence[Word] = (), speech: SpeechMap | None = None,
                 options: MusicOptions | None = None, sr: int = SAMPLE_RATE) -> tuple[SoundEvent, ...]:
    """Stretches of music without speech, at least ``options.min_ms`` long, in time order."""
    opts = options or MusicOptions()
    if sr != SAMPLE_RATE:
        raise ValueError(f"detect_music needs {SAMPLE_RATE} Hz samples, not {sr}")
    level, flat, stable = frame_features(samples, sr)
    return _music(level, flat, stable, len(samples) * 1000 // sr, words, speech, opts)


def detect_music_source(source, *, words: Sequence[Word] = (), speech: SpeechMap | None = None,
                        options: MusicOptions | None = None) -> tuple[SoundEvent, ...]:
    """``detect_music`` over an AudioSource, in bounded memory (same events)."""
    # once per source (the pipeline prefetches them while the model loads and detects the language)
    from .source import memoised

    level, flat, stable = memoised(source, frame_features_source)
    return _music(level, flat, stable, samples_to_ms(source.n_samples), words, speech,
                  options or MusicOptions())


def _music(level, flat, stable, duration_ms: int, words: Sequence[Word], speech: SpeechMap | None,
           opts: MusicOptions) -> tuple[SoundEvent, ...]:
    n = len(level)
    if n == 0:
        return ()
    musical = (level >= opts.min_level_dbfs) & (flat <= opts.max_flatness) & (stable >= opts.min_stability)
    k = max(1, opts.smooth_ms // VAD_HOP_MS)
    share = np.convolve(musical.astype(np.float64), np.ones(k) / k, mode="same")
    music = (share >= opts.musical_share) & ~speech_mask(n, words, speech, opts)
    out = []
    for a, b in _runs(music):
        start, end = a * VAD_HOP_MS, min(b * VAD_HOP_MS, duration_ms)
        if end - start >= opts.min_ms:
            out.append(SoundEvent("music", start, end))
    return tuple(out)


__all__ = ["DETECTOR", "MusicOptions", "detect_music", "detect_music_source", "frame_features", "frame_features_source",
           "speech_mask"]
