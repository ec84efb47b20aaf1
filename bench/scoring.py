"""Scoring for `make bench`: text normalisation, WER and CER, and the reference rules per corpus.

Pure functions (no transcription, no files except `read_reference`), so tests/test_bench.py covers them.

English: both sides go through Whisper's own ``EnglishTextNormalizer`` (the ``whisper-normalizer``
package): lower case, punctuation dropped, fillers (uh, um, hmm...) and bracketed markup ([adif],
<VOCNOISE>) removed, spellings standardised (mr -> mister, contractions expanded), numbers written as
digits. Mandarin: Whisper's ``BasicTextNormalizer`` drops punctuation, then every character that is not
a letter or digit (spaces included) is removed, Traditional characters are converted to Simplified (OpenCC
``t2s``; AISHELL references are Simplified, Whisper often writes Traditional) unless ``simplify=False``,
and the error rate is counted per character (CER).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jiwer

# Reference conventions that the Whisper normaliser does not know about, per corpus folder.
# MFA's transcripts spell "you know" as one token "yknow"; Whisper writes "you know".
REFERENCE_FIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "mfa_spontaneous": ((r"\byknow\b", "you know"),),
}


@functools.cache
def _english():
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()


@functools.cache
def _basic():
    from whisper_normalizer.basic import BasicTextNormalizer

    return BasicTextNormalizer()


def normalize_english(text: str) -> str:
    """Whisper's English normalisation, with whitespace collapsed to single spaces."""
    return " ".join(_english()(text).split())


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize_chars(text: str, *, simplify: bool = True) -> str:
    """For character scoring: punctuation, symbols and spaces removed, Latin letters lower-cased,
    Traditional Chinese characters written as Simplified (unless ``simplify`` is false)."""
    text = _basic()(unicodedata.normalize("NFKC", text))
    if simplify:
        text = _t2s().convert(text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def normalize(text: str, lang: str, *, simplify: bool = True) -> str:
    return normalize_chars(text, simplify=simplify) if lang == "zh" else normalize_english(text)


def prepare_reference(text: str, folder: str) -> str:
    """Apply the folder's reference conventions (before the shared normaliser)."""
    for pattern, repl in REFERENCE_FIXES.get(folder, ()):
        text = re.sub(pattern, repl, text)
    return text


def read_reference(audio: Path) -> str:
    """The human reference beside ``audio``: ``STEM.txt``, or every ``STEM.*.txt`` in name order, joined.

    Several files mean one text per channel (``.ch0_x``/``.ch1_y``, ``.left``/``.right``); name
    order puts them in the order the channels speak in this data set.
    """
    audio = Path(audio)
    single = audio.with_suffix(".txt")
    if single.is_file():
        return single.read_text(encoding="utf-8").strip()
    parts = sorted(audio.parent.glob(f"{audio.stem}.*.txt"))
    if not parts:
        raise FileNotFoundError(f"no reference text for {audio}")
    return " ".join(p.read_text(encoding="utf-8").strip() for p in parts)


@dataclass(frozen=True)
class ErrorCount:
    """Edit operations against a reference of ``ref_len`` tokens (words, or characters for CER)."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    ref_len: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        if self.ref_len == 0:
            return 0.0 if self.errors == 0 else float("inf")
        return self.errors / self.ref_len

    def __add__(self, other: ErrorCount) -> ErrorCount:
        return ErrorCount(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.ref_len + other.ref_len,
        )


def _count(ref_tokens: Sequence[str], hyp_tokens: Sequence[str]) -> ErrorCount:
    if not ref_tokens:
        return ErrorCount(insertions=len(hyp_tokens))
    if not hyp_tokens:
        return ErrorCount(deletions=len(ref_tokens), ref_len=len(ref_tokens))
    # jiwer aligns sequences of words; for characters each character is one "word".
    out = jiwer.process_words(" ".join(ref_tokens), " ".join(hyp_tokens))
    return ErrorCount(out.substitutions, out.deletions, out.insertions, len(ref_tokens))


def word_errors(reference: str, hypothesis: str) -> ErrorCount:
    """Word errors between two already-normalised texts."""
    return _count(reference.split(), hypothesis.split())


def char_errors(reference: str, hypothesis: str) -> ErrorCount:
    """Character errors between two already-normalised texts (whitespace ignored)."""
    return _count(list("".join(reference.split())), list("".join(hypothesis.split())))


def score(
    reference: str, hypothesis: str, lang: str, folder: str = "", *, simplify: bool = True
) -> ErrorCount:
    """Normalise both sides the same way, then count word (English) or character (Mandarin) errors."""
    ref = normalize(prepare_reference(reference, folder), lang, simplify=simplify)
    hyp = normalize(hypothesis, lang, simplify=simplify)
    return char_errors(ref, hyp) if lang == "zh" else word_errors(ref, hyp)


def wer(reference: str, hypothesis: str) -> float:
    """WER of one English pair after normalisation."""
    return score(reference, hypothesis, "en").rate


def total(counts: Sequence[ErrorCount]) -> ErrorCount:
    """Pooled counts (corpus-level WER: all errors over all reference words)."""
    out = ErrorCount()
    for c in counts:
        out = out + c
    return out
