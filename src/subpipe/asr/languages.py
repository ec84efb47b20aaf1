"""Several languages in one file: pure rules over detected speech regions and words.

The adapter (transcribe.py) finds speech regions with Silero VAD and asks Whisper for each region's
language probabilities; ``assign_languages`` turns those into same-language spans to transcribe one by
one. ``subtitle_view`` gives what the subtitles show when asked to translate: the original where it is
already in the target language, the translation elsewhere (the transcript itself keeps the original).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ..model import Transcript, Word
from ..utterances import build_utterances

MIN_CONFIDENT_MS = 1000  # Whisper's language guess on less than a second of speech is a coin toss
MIN_CONFIDENT_PROB = 0.5


@dataclass(frozen=True, slots=True)
class LanguageSpan:
    start_ms: int
    end_ms: int
    language: str
    probability: float  # Whisper's probability for that language, duration-weighted over the regions


def _pick(probs: Mapping[str, float], candidates: Sequence[str]) -> tuple[str, float]:
    if candidates:
        sub = {k: float(probs.get(k, 0.0)) for k in candidates}
        total = sum(sub.values())
        if total <= 0:
            return candidates[0], 0.0
        lang = max(sub, key=lambda k: sub[k])
        return lang, sub[lang] / total
    lang = max(probs, key=lambda k: probs[k])
    return lang, float(probs[lang])


def _prob(probs: Mapping[str, float], lang: str, candidates: Sequence[str]) -> float:
    p = float(probs.get(lang, 0.0))
    if candidates:
        total = sum(float(probs.get(k, 0.0)) for k in candidates)
        return p / total if total > 0 else 0.0
    return p


def assign_languages(
    regions: Sequence[tuple[int, int, Mapping[str, float]]],
    *,
    candidates: Sequence[str] = (),
    min_ms: int = MIN_CONFIDENT_MS,
    min_prob: float = MIN_CONFIDENT_PROB,
) -> list[LanguageSpan]:
    """Regions (start_ms, end_ms, language probabilities), in time order -> same-language spans.

    A region that is long and clear enough keeps its own language; a short or unclear one takes the
    language of the nearest clear region (an interjection belongs to the speech around it). With
    ``candidates`` (the languages known to be in the film) only those are considered.
    """
    if not regions:
        return []
    picks = [_pick(p, candidates) for _, _, p in regions]
    sure = [k for k, ((a, b, _), (_, prob)) in enumerate(zip(regions, picks, strict=True))
            if b - a >= min_ms and prob >= min_prob]
    langs: list[str] = []
    if not sure:  # nothing clear: the language with the most probability mass over all the speech
        mass: dict[str, float] = {}
        for (a, b, _), (lang, prob) in zip(regions, picks, strict=True):
            mass[lang] = mass.get(lang, 0.0) + (b - a) * max(prob, 1e-6)
        langs = [max(mass, key=lambda k: mass[k])] * len(regions)
    else:
        for k in range(len(regions)):
            if k in sure:
                langs.append(picks[k][0])
                continue
            a, b, _ = regions[k]
            mid = (a + b) / 2
            nearest = min(sure, key=lambda j: abs((regions[j][0] + regions[j][1]) / 2 - mid))
            langs.append(picks[nearest][0])
    spans: list[LanguageSpan] = []
    weight: list[float] = []
    for (a, b, probs), lang in zip(regions, langs, strict=True):
        prob = _prob(probs, lang, candidates)
        if spans and spans[-1].language == lang:
            last = spans[-1]
            w = weight[-1] + (b - a)
            mean = (last.probability * weight[-1] + prob * (b - a)) / w if w else prob
            spans[-1] = LanguageSpan(last.start_ms, b, lang, round(mean, 4))
            weight[-1] = w
        else:
            spans.append(LanguageSpan(a, b, lang, round(prob, 4)))
            weight.append(b - a)
    return spans


def majority_language(speech_ms: Mapping[str, int]) -> str:
    """The language spoken longest (ties: the first seen)."""
    return max(speech_ms, key=lambda k: speech_ms[k])


def language_runs(words: Sequence[Word], default: str | None) -> list[tuple[str | None, list[Word]]]:
    """Consecutive words grouped by language (a word without one has the transcript's)."""
    runs: list[tuple[str | None, list[Word]]] = []
    for w in words:
        lang = w.language or default
        if runs and runs[-1][0] == lang:
            runs[-1][1].append(w)
        else:
            runs.append((lang, [w]))
    return runs


def subtitle_view(t: Transcript, target: str = "en") -> Transcript:
    """What subtitles show when a translation exists: ``target``-language words as spoken, the rest translated."""
    if not t.translation:
        return t
    own = [w for w in t.words if (w.language or t.language) == target]
    words = sorted(own + list(t.translation), key=lambda w: (w.start_ms, w.end_ms))
    return replace(t, words=tuple(words), language=target, utterances=build_utterances(words, target))
