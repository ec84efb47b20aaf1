"""Hallucination guards: pure functions that find words Whisper invented, and say why.

Whisper's known failures on trailer audio (music beds, effects, title-card silence) are invented text
over non-speech and looping lines (faster-whisper #506, openai/whisper #1838). Each guard here is a
small rule over decoded segments; ``apply_guards`` composes them. Nothing is removed silently: every
word a guard drops comes back as a ``Dropped`` record (text, times, rule, a human reason), which the
transcript JSON keeps.

Speech evidence is Silero VAD's speech probability per 32 ms frame (``SpeechMap``), computed once per
file by the adapter; the rules themselves never touch audio or models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .model import Dropped, Word, join_words
from .text import normalise_for_matching

# --------------------------------------------------------------------------- speech evidence
VAD_HOP_MS = 32  # Silero VAD: one probability per 512 samples at 16 kHz


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


# --------------------------------------------------------------------------- segments
@dataclass(frozen=True, slots=True)
class Segment:
    """One decoded Whisper segment: its words and the decoder's own confidence figures."""

    words: tuple[Word, ...]
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    temperature: float = 0.0

    @property
    def text(self) -> str:
        return join_words(self.words)

    @property
    def start_ms(self) -> int:
        return self.words[0].start_ms if self.words else 0

    @property
    def end_ms(self) -> int:
        return self.words[-1].end_ms if self.words else 0


@dataclass(frozen=True)
class GuardOptions:
    """Thresholds of the guards (measured on the trailer mixes; see bench/bench_trailer.py)."""

    repeat_lines: int = 3  # the same line this many times in a row: the copies after the first are a loop
    loop_repeats: int = 3  # a phrase of 2+ words repeated this many times in a row is a loop
    loop_repeats_single: int = 4  # one word repeated this many times in a row is a loop
    loop_max_words: int = 12  # longest phrase the loop detector looks for
    phantom_max_speech: float = 0.5  # a stock phrase with less speech than this under it is dropped
    no_speech_max_speech: float = 0.1  # a segment with less speech than this under it...
    no_speech_logprob: float = -0.7  # ...and a mean log-probability below this is dropped
    compression_ratio: float = 2.4  # text this compressible (gzip) after every fallback is a loop
    sound_labels: bool = True  # drop "[Music]", "(applause)", "♪" (descriptions, not speech)


@dataclass(frozen=True)
class GuardResult:
    words: tuple[Word, ...]
    dropped: tuple[Dropped, ...]


# --------------------------------------------------------------------------- text helpers
# one normaliser for the package (text.py): lower case, NFKC, punctuation to spaces, spaces collapsed
normalise = normalise_for_matching


def _key(word: Word) -> str:
    return normalise(word.text) or word.text.strip()


# Whisper's stock phrases: what it writes when it hears no speech (its training data's credits and
# sign-offs). Compared after ``normalise``; Chinese ones also with spaces removed.
PHANTOM_PHRASES: frozenset[str] = frozenset(
    normalise(p)
    for p in (
        "Thank you for watching", "Thanks for watching", "Thank you so much for watching",
        "Thank you very much for watching", "Thank you for watching!", "Thanks for watching and see you next time",
        "Thank you for listening", "Thanks for listening", "Please subscribe", "Please like and subscribe",
        "Don't forget to like and subscribe", "Like and subscribe", "Subscribe to my channel",
        "See you next time", "See you in the next video", "See you next week", "I'll see you next time",
        "Thank you", "Thank you.", "Thanks", "Thank you very much", "Thank you so much", "Bye", "Bye bye",
        "Bye-bye", "Goodbye", "You", "Oh", "So", "Okay", "Hmm", "Um", "Uh", "The end", "Silence",
        "谢谢观看", "感谢观看", "谢谢大家", "谢谢", "多谢观看", "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
        "字幕由Amara.org社区提供", "优优独播剧场——YoYo Television Series Exclusive", "中文字幕", "字幕",
        "ご視聴ありがとうございました", "Sous-titrage Société Radio-Canada", "Untertitel der Amara.org-Community",
    )
)
PHANTOM_PREFIXES: tuple[str, ...] = tuple(
    normalise(p)
    for p in (
        "Subtitles by", "Subtitled by", "Subtitling by", "Captions by", "Captioning by", "Captioned by",
        "Closed captioning by", "Transcribed by", "Transcription by", "Transcript by", "Translated by",
        "Translation by", "Subtitles made by", "Amara.org", "www.", "字幕由", "字幕提供", "字幕制作", "字幕：",
        "Sous-titres", "Untertitel",
    )
)
_SOUND_LABEL = re.compile(r"^\s*[\[(（【*♪♫♬#]+.*[\])）】*♪♫♬#]\s*$|^[\s♪♫♬#*.…-]+$")


def phantom_rule(text: str) -> str | None:
    """The stock phrase ``text`` is, if it is one (whole line, or a credit line's opening)."""
    n = normalise(text)
    if not n:
        return None
    if n in PHANTOM_PHRASES or n.replace(" ", "") in PHANTOM_PHRASES:
        return n
    for p in PHANTOM_PREFIXES:
        if n.startswith(p) or n.replace(" ", "").startswith(p.replace(" ", "")):
            return p + "…"
    return None


def is_sound_label(text: str) -> bool:
    """'[Music]', '(upbeat music)', '♪ ♪', '*applause*': a description of sound, not words spoken."""
    return bool(text.strip()) and bool(_SOUND_LABEL.match(text.strip()))


# --------------------------------------------------------------------------- the rules
def _drop(words: Sequence[Word], reason: str, detail: str) -> list[Dropped]:
    return [Dropped(w.text, w.start_ms, w.end_ms, reason, detail) for w in words]


def find_word_loops(words: Sequence[Word], options: GuardOptions = GuardOptions()) -> list[tuple[int, int, int]]:
    """Runs of a phrase repeated back to back: (start, phrase length, repeats), earliest and longest first.

    A phrase of n >= 2 words counts when it repeats ``loop_repeats`` times in a row; one word when it
    repeats ``loop_repeats_single`` times ("no, no, no" is speech; twelve "no"s are a loop).
    """
    keys = [_key(w) for w in words]
    out = []
    i = 0
    while i < len(keys):
        best = None
        for n in range(1, min(options.loop_max_words, (len(keys) - i) // 2) + 1):
            unit = keys[i:i + n]
            reps = 1
            while keys[i + reps * n:i + (reps + 1) * n] == unit:
                reps += 1
            need = options.loop_repeats_single if n == 1 else options.loop_repeats
            if reps >= need and (best is None or reps * n > best[1] * best[2]):
                best = (i, n, reps)
        if best is not None:
            out.append(best)
            i += best[1] * best[2]
        else:
            i += 1
    return out


def collapse_word_loops(words: Sequence[Word], options: GuardOptions = GuardOptions()
                        ) -> tuple[list[Word], list[Dropped]]:
    """Keep the first copy of every looping phrase; the other copies are dropped."""
    loops = find_word_loops(words, options)
    drop_idx: set[int] = set()
    dropped: list[Dropped] = []
    for i, n, reps in loops:
        phrase = join_words(words[i:i + n])
        detail = f"{phrase!r} repeated {reps} times in a row; the first kept"
        for k in range(i + n, i + n * reps):
            drop_idx.add(k)
        dropped += _drop(words[i + n:i + n * reps], "repetition", detail)
    kept = [w for k, w in enumerate(words) if k not in drop_idx]
    return kept, dropped


def repeated_lines(segments: Sequence[Segment], options: GuardOptions = GuardOptions()) -> set[int]:
    """Indexes of segments that repeat the line before them, in runs of ``repeat_lines`` or more (first kept)."""
    out: set[int] = set()
    i = 0
    while i < len(segments):
        key = normalise(segments[i].text)
        j = i + 1
        while j < len(segments) and key and normalise(segments[j].text) == key:
            j += 1
        if j - i >= options.repeat_lines:
            out.update(range(i + 1, j))
        i = j
    return out


def segment_verdict(seg: Segment, speech: SpeechMap | None, options: GuardOptions = GuardOptions()
                    ) -> tuple[str, str] | None:
    """(rule, reason) when the whole segment should go, else None. Order: sound label, compression,
    phantom phrase, no speech."""
    text = seg.text
    if options.sound_labels and is_sound_label(text):
        return "sound-label", f"{text.strip()!r} describes a sound, it is not speech"
    if seg.compression_ratio > options.compression_ratio:
        return "compression", (f"text compresses {seg.compression_ratio:.2f}x (> {options.compression_ratio}) after "
                               f"every temperature fallback: a decoding loop")
    share = speech.fraction(seg.start_ms, seg.end_ms) if speech is not None else None
    phantom = phantom_rule(text)
    if phantom is not None:
        if share is not None and share < options.phantom_max_speech:
            return "phantom", (f"Whisper's stock phrase {phantom!r} over {share:.0%} speech "
                               f"(VAD; under {options.phantom_max_speech:.0%})")
        if share is None and seg.no_speech_prob > 0.5:
            return "phantom", f"Whisper's stock phrase {phantom!r} with no-speech probability {seg.no_speech_prob:.2f}"
    if (share is not None and share < options.no_speech_max_speech
            and seg.avg_logprob < options.no_speech_logprob):
        return "no-speech", (f"{share:.0%} speech under it (VAD) and mean log-probability {seg.avg_logprob:.2f} "
                             f"(< {options.no_speech_logprob})")
    return None


def apply_guards(segments: Sequence[Segment], speech: SpeechMap | None = None,
                 options: GuardOptions = GuardOptions()) -> GuardResult:
    """Run every guard over the decoded segments; the words kept and the words dropped, both in time order."""
    dropped: list[Dropped] = []
    kept_segments: list[Segment] = []
    for seg in segments:
        if not seg.words:
            continue
        verdict = segment_verdict(seg, speech, options)
        if verdict is not None:
            dropped += _drop(seg.words, *verdict)
        else:
            kept_segments.append(seg)
    loops = repeated_lines(kept_segments, options)
    words: list[Word] = []
    for k, seg in enumerate(kept_segments):
        if k in loops:
            dropped += _drop(seg.words, "repetition", f"the line {seg.text.strip()!r} again, in a run of repeats")
        else:
            words += seg.words
    words, more = collapse_word_loops(words, options)
    dropped += more
    dropped.sort(key=lambda d: (d.start_ms, d.end_ms))
    return GuardResult(tuple(words), tuple(dropped))
