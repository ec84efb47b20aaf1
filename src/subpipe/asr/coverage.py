"""Speech coverage: every stretch of speech the VAD found is transcribed, decoded again, or reported.

A decoder may return no words for speech it was given: a batched window that stops early or starts late
(faster-whisper's batched pipeline cannot seek, #1179, #1351), a sequential window that skips a stretch.
After the decoding, the speech the VAD found (Silero's probabilities, no padding) is compared with the time the
words cover; every uncovered stretch with at least ``MIN_GAP_MS`` of speech is decoded again on its own, with
the audio around it up to the neighbouring words as context; what still has no words is reported, with why.

Pure functions over integer milliseconds; the decoding itself is the caller's (``engine.refill``,
which both engines call).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

Span = tuple[int, int]  # [start_ms, end_ms)

# A word covers this much speech either side of its own times: Whisper's word times are approximate (words
# start early or end late by a few hundred ms), and Silero's onset and offset lag the voice.
SLACK_MS = 400
# Uncovered speech (summed over a stretch between two words) from this long on is decoded again. Measured in
# docs/notes/issue-25.md (bench/coverage_sweep.py): stretches under 1 s are breaths, "um"s and word tails, and
# decoded on their own Whisper invents text for them ("I'm sorry" loops, "Thanks for watching"); on the regression
# inputs every stretch of 1 s or more was lost speech (14.4 s on the 100 s cut, 5 stretches on 30 minutes).
MIN_GAP_MS = 1000
# A word longer than this covers only its ends (no English word lasts 2 s; Whisper's stretched times do).
LONG_WORD_MS = 2000
# Audio either side of an uncovered stretch given to the decoder with it (never past a neighbouring word).
PAD_MS = 1000
# The VAD's speech for coverage: Silero's threshold from the options, short pauses split, no padding.
VAD_MIN_SILENCE_MS = 160
# Weak speech (issue 27): Silero under the options' threshold but over this one, for this long at least, is also
# decoded again when no word covers it (``weak_spans``, ``engine.refill_weak``); what Whisper finds there is kept
# only when it is confident (its own log-probability and no-speech thresholds).
WEAK_THRESHOLD: float | None = 0.15
WEAK_MIN_MS = 2000


@dataclass(frozen=True)
class Gap:
    """An uncovered stretch: the speech in it (``speech_ms``) and the audio decoded for it (``lo``-``hi``)."""

    start_ms: int
    end_ms: int
    speech_ms: int
    lo: int
    hi: int


@dataclass
class Coverage:
    """The coverage report of one transcription (in provenance ``decoder.coverage``, milliseconds)."""

    speech_ms: int = 0  # speech the VAD found
    with_words_ms: int = 0  # of it, covered by the words kept
    redecoded_ms: int = 0  # uncovered speech decoded again (MIN_GAP_MS and over)
    recovered_ms: int = 0  # of that, covered by words after decoding again
    redecoded: int = 0  # stretches decoded again
    dropped_ms: dict[str, int] = field(default_factory=dict)  # speech without words, by reason
    dropped: list[dict[str, Any]] = field(default_factory=list)  # the stretches >= MIN_GAP_MS still without words

    def add(self, other: Coverage) -> None:
        self.speech_ms += other.speech_ms
        self.with_words_ms += other.with_words_ms
        self.redecoded_ms += other.redecoded_ms
        self.recovered_ms += other.recovered_ms
        self.redecoded += other.redecoded
        for k, v in other.dropped_ms.items():
            self.dropped_ms[k] = self.dropped_ms.get(k, 0) + v
        self.dropped += other.dropped

    def music(self, events: Iterable[Any]) -> None:
        """Stretches without words that lie mostly under music the sound detector found: reason "music"."""
        music = union((e.start_ms, e.end_ms) for e in events if getattr(e, "kind", "") == "music")
        if not music:
            return
        for d in self.dropped:
            span = [(d["start_ms"], d["end_ms"])]
            under = total(span) - total(subtract(span, music))
            if d["reason"] == "no words" and 2 * under >= total(span):
                d["reason"], d["detail"] = "music", "under music (sound detector); decoded again: no words"
                self.dropped_ms["no words"] -= d["speech_ms"]
                self.dropped_ms["music"] = self.dropped_ms.get("music", 0) + d["speech_ms"]
                if not self.dropped_ms["no words"]:
                    del self.dropped_ms["no words"]

    def to_dict(self, events: Iterable[Any] = ()) -> dict[str, Any]:
        """The report as provenance keeps it (seconds); with ``events``, stretches under music say so."""
        self.music(events)
        return {
            "speech_s": _s(self.speech_ms), "with_words_s": _s(self.with_words_ms),
            "redecoded_s": _s(self.redecoded_ms), "recovered_s": _s(self.recovered_ms),
            "redecoded_stretches": self.redecoded,
            "dropped_s": {k: _s(v) for k, v in sorted(self.dropped_ms.items())},
            "dropped": list(self.dropped),
            "rule": {"slack_ms": SLACK_MS, "min_gap_ms": MIN_GAP_MS, "pad_ms": PAD_MS,
                     "vad_min_silence_ms": VAD_MIN_SILENCE_MS},
        }

    def summary(self) -> str:
        """One line: what the run's summary and the notes say."""
        return describe(self.to_dict())


def describe(report: dict[str, Any]) -> str:
    """A coverage report (``Coverage.to_dict``, as provenance keeps it) in one line."""
    dropped = report.get("dropped_s") or {}
    gone = round(sum(dropped.values()), 1)
    why = ", ".join(f"{v} s {k}" for k, v in sorted(dropped.items()) if v)
    return (f"speech {report['speech_s']} s, {report['with_words_s']} s with words, {report['redecoded_s']} s "
            f"decoded again, {gone} s without words" + (f" ({why})" if why else ""))


def _s(ms: int) -> float:
    return round(ms / 1000, 1)


def speech_spans(probs: Any, n_samples: int, options: Any, *, threshold: float | None = None) -> list[Span]:
    """The speech coverage is measured against: Silero's regions (``probs``, 32 ms frames) with the options'
    threshold (or ``threshold``), short pauses split, unpadded; in ms."""
    from faster_whisper.vad import VadOptions

    from ..audio.source import speech_timestamps
    from ..timecode import SAMPLE_RATE

    th = options.vad_threshold if threshold is None else threshold
    vad = VadOptions(threshold=th, min_silence_duration_ms=VAD_MIN_SILENCE_MS, speech_pad_ms=0)
    return [(r["start"] * 1000 // SAMPLE_RATE, r["end"] * 1000 // SAMPLE_RATE)
            for r in speech_timestamps(probs, n_samples, vad)]


def weak_spans(probs: Any, n_samples: int, options: Any, voiced: Sequence[Span]) -> list[Span]:
    """Weak speech (issue 27): Silero over ``WEAK_THRESHOLD`` but under the options' threshold, in stretches of at
    least ``WEAK_MIN_MS``, less the ``voiced`` speech. A hoarse or quiet voice (the sick speaker of
    mfa_spontaneous/michaelandsickmichael, Silero 0.1-0.5 for 8 s) is speech that the VAD gate drops whole."""
    if WEAK_THRESHOLD is None or WEAK_THRESHOLD >= options.vad_threshold:
        return []
    weak = [s for s in speech_spans(probs, n_samples, options, threshold=WEAK_THRESHOLD) if s[1] - s[0] >= WEAK_MIN_MS]
    return subtract(union(weak), union(voiced))


def union(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(spans):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """``spans`` minus ``holes`` (both sorted, disjoint)."""
    out: list[Span] = []
    j = 0
    for a, b in spans:
        while j < len(holes) and holes[j][1] <= a:
            j += 1
        k = j
        cur = a
        while k < len(holes) and holes[k][0] < b:
            if holes[k][0] > cur:
                out.append((cur, holes[k][0]))
            cur = max(cur, holes[k][1])
            k += 1
        if cur < b:
            out.append((cur, b))
    return out


def total(spans: Iterable[Span]) -> int:
    return sum(b - a for a, b in spans)


def covered(words: Iterable[Any], slack_ms: int | None = None) -> list[Span]:
    """The time the words cover, each word widened by ``slack_ms`` either side; a word longer than
    ``LONG_WORD_MS`` (Whisper stretches a word over a pause or over speech it skipped) covers only its first and
    last ``LONG_WORD_MS / 2``."""
    slack_ms = SLACK_MS if slack_ms is None else slack_ms
    half = LONG_WORD_MS // 2
    spans: list[Span] = []
    for w in words:
        if w.end_ms - w.start_ms > LONG_WORD_MS:
            spans += [(w.start_ms - slack_ms, w.start_ms + half + slack_ms), (w.end_ms - half - slack_ms,
                                                                               w.end_ms + slack_ms)]
        else:
            spans.append((w.start_ms - slack_ms, w.end_ms + slack_ms))
    return union(spans)


def gaps(speech: Sequence[Span], words: Sequence[Any], lo: int, hi: int, *, min_ms: int | None = None,
         pad_ms: int | None = None) -> tuple[list[Gap], list[Span]]:
    """The uncovered speech in [lo, hi) grouped by the words around it: (stretches with at least ``min_ms`` of
    speech, each with the audio to decode for it; the speech left uncovered in shorter stretches).

    A stretch is all the uncovered speech between two consecutive covered spans (or the range's ends); its
    audio reaches ``pad_ms`` beyond its speech, never into a word."""
    from bisect import bisect_right

    min_ms = MIN_GAP_MS if min_ms is None else min_ms
    pad_ms = PAD_MS if pad_ms is None else pad_ms
    cov = covered(words)
    starts = [a for a, _ in cov]
    loose = subtract([(max(a, lo), min(b, hi)) for a, b in speech if min(b, hi) > max(a, lo)], cov)
    groups: list[tuple[int, list[Span]]] = []
    for a, b in loose:
        k = bisect_right(starts, a)  # covered spans before this piece: the same for pieces between two of them
        if groups and groups[-1][0] == k:
            groups[-1][1].append((a, b))
        else:
            groups.append((k, [(a, b)]))
    big: list[Gap] = []
    small: list[Span] = []
    for k, g in groups:
        speech_ms = total(g)
        if speech_ms < min_ms:
            small += g
            continue
        a, b = g[0][0], g[-1][1]
        before = cov[k - 1][1] - SLACK_MS if k else lo  # the word before the stretch ends here
        after = cov[k][0] + SLACK_MS if k < len(cov) else hi
        big.append(Gap(a, b, speech_ms, max(lo, a - pad_ms, before), min(hi, b + pad_ms, after)))
    return big, small


def new_words(found: Sequence[Any], existing: Sequence[Any], lo: int, hi: int) -> list[Any]:
    """The words of a decode of [lo, hi) to add to ``existing``: those whose middle lies in the range and in no
    existing word (the context either side may be decoded again; those words are already there)."""
    from bisect import bisect_right

    spans = covered(existing, 0)
    starts = [a for a, _ in spans]
    out = []
    for w in found:
        mid = (w.start_ms + w.end_ms) // 2
        if not lo <= mid < hi:
            continue
        i = bisect_right(starts, mid)
        if i and mid <= spans[i - 1][1]:
            continue
        out.append(w)
    return out


def fill(segments: Sequence[Any], speech: Sequence[Span], lo: int, hi: int,
         decode: Callable[[int, int], list[Any]], *, min_ms: int | None = None,
         covering: Sequence[Any] | None = None,
         map_each: Callable[..., Iterable[list[Any]]] = map) -> tuple[list[Any], list[Gap]]:
    """``segments`` (guards' ``Segment``s on the file's clock) with the words found by decoding again, on its
    own, every stretch of [lo, hi) with at least ``min_ms`` of speech and no words; and those stretches.

    ``decode(a_ms, b_ms)`` decodes that audio and returns its segments on the file's clock. ``covering``: the
    words that count as coverage (default: every segment's); the words the guards will drop (a decoding loop over
    speech) cover nothing, so the speech under them is decoded again (their segments stay for the guards to drop
    and record). The segments found are marked ``again`` (guards.Segment). The stretches are
    independent of each other (each is judged against the words before any was decoded again), so
    ``map_each`` (``map``'s signature, results in order) may decode them at once: the same result."""
    from dataclasses import replace

    words = sorted(covering if covering is not None else (w for sg in segments for w in sg.words),
                   key=lambda w: (w.start_ms, w.end_ms))
    big, _ = gaps(speech, words, lo, hi, min_ms=min_ms)
    out = list(segments)
    for g, found in zip(big, map_each(decode, [g.lo for g in big], [g.hi for g in big]), strict=True):
        for sg in found:
            keep = new_words(sg.words, words, g.lo, g.hi)
            if keep:
                out.append(replace(sg, words=tuple(keep), again=True))
    out.sort(key=lambda sg: (sg.start_ms, sg.end_ms))
    return out, big


def report(speech: Sequence[Span], kept: Sequence[Any], guard_dropped: Sequence[Any], redecoded: Sequence[Gap],
           lo: int, hi: int, *, min_ms: int | None = None) -> Coverage:
    """The coverage of [lo, hi) after decoding (and decoding again ``redecoded``)."""
    min_ms = MIN_GAP_MS if min_ms is None else min_ms
    sp = union((max(a, lo), min(b, hi)) for a, b in speech)
    cov = Coverage(speech_ms=total(sp))
    with_words = total(sp) - total(subtract(sp, covered(kept)))
    cov.with_words_ms = with_words
    loose = subtract(sp, covered(kept))
    by_guard = subtract(loose, subtract(loose, covered(guard_dropped)))
    rest = subtract(loose, by_guard)
    red = union((g.start_ms, g.end_ms) for g in redecoded)
    cov.redecoded = len(redecoded)
    cov.redecoded_ms = sum(g.speech_ms for g in redecoded)
    still = subtract(rest, subtract(rest, red))  # uncovered speech inside the stretches decoded again
    cov.recovered_ms = max(0, cov.redecoded_ms - total(still))
    short = subtract(rest, red)
    dropped: dict[str, int] = {}
    if total(by_guard):
        dropped["guard"] = total(by_guard)
    if total(still):
        dropped["no words"] = total(still)
    if total(short):
        dropped["short"] = total(short)
    cov.dropped_ms = dropped
    for g in redecoded:
        left = total(subtract([(g.start_ms, g.end_ms)], subtract([(g.start_ms, g.end_ms)], still)))
        if left >= min_ms:
            cov.dropped.append({"start_ms": g.start_ms, "end_ms": g.end_ms, "speech_ms": left,
                                "reason": "no words", "detail": "decoded again on its own: still no words"})
    return cov


__all__ = ["MIN_GAP_MS", "PAD_MS", "SLACK_MS", "Coverage", "Gap", "covered", "describe", "fill", "gaps",
           "new_words", "report", "speech_spans", "subtract", "union", "weak_spans"]
