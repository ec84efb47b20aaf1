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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..audio.source import VAD_HOP_MS, SpeechMap  # noqa: F401 (the VAD evidence the guards weigh)
from ..model import Dropped, Word, join_words
from ..text import normalise_for_matching


# --------------------------------------------------------------------------- speech evidence
# --------------------------------------------------------------------------- segments
@dataclass(frozen=True, slots=True)
class Segment:
    """One decoded Whisper segment: its words and the decoder's own confidence figures."""

    words: tuple[Word, ...]
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    temperature: float = 0.0
    # decoded again on its own (coverage.fill): a run of repeated lines is one decode's property, so this
    # segment is judged for repeats only among the segments decoded again, never as a break in a first pass's run
    again: bool = False

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
    compression_ratio: float = 2.4  # a segment's own text this compressible (zlib) and not heard: a loop
    # "Heard": a repeat is only dropped when the audio does not carry it. A copy is heard when speech is under
    # it (VAD share >= heard_speech) and it takes a plausible time to say (<= heard_max_cps characters a
    # second, and at least heard_min_share of the time its first copy took). A line said twice, a chant, a
    # tagline repeated: all heard, all kept. Whisper's loops are copies squeezed into no time or laid over
    # music and silence.
    heard_speech: float = 0.5
    heard_max_cps: float = 30.0
    heard_min_share: float = 0.5
    heard_run_max: int = 6  # one word repeated up to this many times is judged as one run (``_run_heard``)
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
def compression_ratio(text: str) -> float:
    """zlib compression ratio of ``text`` (faster-whisper's measure, over one segment's own text)."""
    import zlib

    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def heard(words: Sequence[Word], speech: SpeechMap | None, options: GuardOptions = GuardOptions(),
          *, first: Sequence[Word] | None = None) -> bool:
    """Does the audio carry these words? Speech under them and a time to say them that a person needs: not
    squeezed (characters per second), not much shorter than ``first``. Without a speech map there is no
    evidence either way and nothing counts as heard (the text rules alone decide, as before)."""
    if not words or speech is None:
        return False
    start, end = words[0].start_ms, words[-1].end_ms
    dur = end - start
    chars = len(join_words(words))
    if dur <= 0 or chars * 1000 / dur > options.heard_max_cps:
        return False
    if first:
        ref = first[-1].end_ms - first[0].start_ms
        if ref > 0 and dur < options.heard_min_share * ref:
            return False
    return speech.fraction(start, end) >= options.heard_speech


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


def _run_heard(run: Sequence[Word], speech: SpeechMap | None, options: GuardOptions) -> bool:
    """A short run of one word said again and again, judged as a whole: speech under it, a speaking pace over
    the run (Whisper's times for the single copies of a repeated word are squeezed and uneven: "words." over
    540 ms, then "words," over 180 ms, in mfa_spontaneous/acoustic_corpus), and no copy under
    ``heard_min_share`` of the copies' median time."""
    if not heard(run, speech, options):
        return False
    durs = sorted(w.end_ms - w.start_ms for w in run)
    return durs[0] >= options.heard_min_share * durs[len(durs) // 2]


def collapse_word_loops(words: Sequence[Word], options: GuardOptions = GuardOptions(),
                        speech: SpeechMap | None = None) -> tuple[list[Word], list[Dropped]]:
    """Keep the first copy of every looping phrase; the other copies are dropped unless the audio carries
    them (``heard``): a chant or a repeated tagline is speech, a loop squeezed into no time is not."""
    loops = find_word_loops(words, options)
    drop_idx: set[int] = set()
    dropped: list[Dropped] = []
    for i, n, reps in loops:
        phrase = join_words(words[i:i + n])
        first = words[i:i + n]
        copies = [words[i + n * r:i + n * (r + 1)] for r in range(1, reps)]
        if n == 1 and reps <= options.heard_run_max and _run_heard(words[i:i + reps], speech, options):
            continue  # "words, words, words": one word said a few times over speech, at a speaking pace
        gone = [r for r, c in enumerate(copies, start=1) if not heard(c, speech, options, first=first)]
        if not gone:
            continue
        detail = (f"{phrase!r} repeated {reps} times in a row; {len(gone)} cop{'y' if len(gone) == 1 else 'ies'} "
                  f"with no speech or no time to say them under it")
        for r in gone:
            drop_idx.update(range(i + n * r, i + n * (r + 1)))
            dropped += _drop(copies[r - 1], "repetition", detail)
    kept = [w for k, w in enumerate(words) if k not in drop_idx]
    return kept, dropped


def repeated_lines(segments: Sequence[Segment], options: GuardOptions = GuardOptions(),
                   speech: SpeechMap | None = None) -> set[int]:
    """Indexes of segments that repeat the line before them, in runs of ``repeat_lines`` or more (first kept),
    and that the audio does not carry (``heard``): a line really said again is never one of them. Runs are
    looked for among the first decode's segments and among those decoded again (``Segment.again``) apart: words
    decoded again inside a loop's time do not cut it in two runs whose first copies would then be kept. A copy
    of a loop's line decoded again inside that loop's time is judged as one more copy of it."""
    out: set[int] = set()
    keys = [normalise(sg.text) for sg in segments]
    loops: list[tuple[str, int, int, tuple]] = []  # the first decode's: (line, from, to, first copy's words)
    for again in (False, True):
        idx = [k for k, sg in enumerate(segments) if sg.again == again]
        for i, j in _runs([keys[k] for k in idx], options.repeat_lines):
            first = segments[idx[i]].words
            out.update(idx[k] for k in range(i + 1, j)
                       if not heard(segments[idx[k]].words, speech, options, first=first))
            if not again:
                loops.append((keys[idx[i]], segments[idx[i]].start_ms, segments[idx[j - 1]].end_ms, first))
    out.update(k for k, sg in enumerate(segments) if sg.again and k not in out and any(
        keys[k] == line and a <= sg.start_ms and sg.end_ms <= b and not heard(sg.words, speech, options, first=first)
        for line, a, b, first in loops))
    return out


def _runs(keys: Sequence[str], min_len: int) -> Iterator[tuple[int, int]]:
    """``(i, j)``: each run ``keys[i:j]`` of one non-empty key, ``min_len`` or more in a row."""
    i = 0
    while i < len(keys):
        j = i + 1
        while j < len(keys) and keys[i] and keys[j] == keys[i]:
            j += 1
        if j - i >= min_len:
            yield i, j
        i = j


def segment_verdict(seg: Segment, speech: SpeechMap | None, options: GuardOptions = GuardOptions()
                    ) -> tuple[str, str] | None:
    """(rule, reason) when the whole segment should go, else None. Order: sound label, compression,
    phantom phrase, no speech."""
    text = seg.text
    if options.sound_labels and is_sound_label(text):
        return "sound-label", f"{text.strip()!r} describes a sound, it is not speech"
    # faster-whisper's compression_ratio is that of the whole 30 s window, so a line said twice in one window
    # looks like a loop there; judge the segment's own text, and only when the audio does not carry it
    own = compression_ratio(text)
    if own > options.compression_ratio and not heard(seg.words, speech, options):
        return "compression", (f"the segment's text compresses {own:.2f}x (> {options.compression_ratio}) and "
                               f"the audio does not carry it (no speech or no time to say it): a decoding loop")
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
    loops = repeated_lines(kept_segments, options, speech)
    words: list[Word] = []
    for k, seg in enumerate(kept_segments):
        if k in loops:
            dropped += _drop(seg.words, "repetition", f"the line {seg.text.strip()!r} again, in a run of repeats")
        else:
            words += seg.words
    words, more = collapse_word_loops(words, options, speech)
    dropped += more
    dropped.sort(key=lambda d: (d.start_ms, d.end_ms))
    return GuardResult(tuple(words), tuple(dropped))
