"""Masked subtitles: a copy of the transcript with the terms at a severity or above masked, for making cues.
The transcript itself (its file, the quote index) keeps every word."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import UsageError
from ..model import Transcript, Utterance, Word
from .lexicon import Lexicon, find, load_lexicon
from .report import Instance, scan

MASK_STYLES = ("f***", "[bleep]", "\u2014")  # first letter kept; a [bleep] tag; an em dash


@dataclass(frozen=True)
class MaskOptions:
    """``subtitles --mask-profanity``: how (``style``), from which severity, with which user lexicon file."""

    style: str = "f***"
    severity: str = "strong"
    lexicon: Path | None = None

    def __post_init__(self) -> None:
        if self.style not in MASK_STYLES:
            raise UsageError(f"unknown mask style {self.style!r}", hint="use " + ", ".join(map(repr, MASK_STYLES)))

    def describe(self) -> dict[str, str | None]:
        return {"style": self.style, "severity": self.severity,
                "lexicon": str(self.lexicon) if self.lexicon else None}


def _stars(seg: str) -> str:
    out, first = [], True
    for c in seg:
        if c.isalnum():
            out.append(c if first else "*")
            first = False
        else:
            out.append(c)
    return "".join(out)


def _masked(words: Sequence[Word], spans: Sequence[tuple[tuple[int, int, int], ...]],
            style: str) -> dict[int, Word | None]:
    """Index -> the masked word (None: folded into the word before it) for each span of (index, from, to)."""
    out: dict[int, Word | None] = {}
    # last first: a replacement of another length then never moves the offsets of one still to come
    for parts in sorted(spans, key=lambda p: p[0][:2], reverse=True):
        if style == "f***":
            for k, a, b in parts:
                w = out.get(k) or words[k]
                out[k] = replace(w, text=w.text[:a] + _stars(w.text[a:b]) + w.text[b:])
            continue
        (k0, a0, _), (k1, _, b1) = parts[0], parts[-1]
        first, last = out.get(k0) or words[k0], out.get(k1) or words[k1]
        if k0 == k1:
            out[k0] = replace(first, text=first.text[:a0] + style + first.text[b1:])
            continue
        out[k0] = replace(first, text=first.text[:a0] + style + last.text[b1:], end_ms=last.end_ms)
        for k, _, _ in parts[1:]:
            out[k] = None
    return out


def mask_transcript(t: Transcript, options: MaskOptions | None = None, *,
                    lexicon: Lexicon | None = None) -> tuple[Transcript, list[Instance], str]:
    """(the transcript with its terms masked, the instances masked, a note saying how many). Utterances and
    the English translation (subtitles of foreign parts) are masked alike; nothing else changes."""
    opts = options or MaskOptions()
    lex = lexicon or load_lexicon(opts.lexicon)
    found, _ = scan(t, lex, severity=opts.severity)
    new = _masked(t.words, [i.parts for i in found], opts.style)
    by_word: dict[Word, Word | None] = {t.words[k]: w for k, w in new.items()}
    tr_found = find(lex, t.translation, "en") if t.translation else []
    tr_new = _masked(t.translation, [m.parts for m in tr_found
                                     if _rank(m.term.severity) >= _rank(opts.severity)], opts.style)

    def keep(words: Sequence[Word], table: dict[Word, Word | None]) -> tuple[Word, ...]:
        out = []
        for w in words:
            m = table.get(w, w)
            if m is not None:
                out.append(m)
        return tuple(out)

    kept = [(keep(u.words, by_word), u) for u in t.utterances]
    utts = tuple(Utterance(ws, language=u.language, speaker=u.speaker) for ws, u in kept if ws)
    translation = keep(t.translation, {t.translation[k]: w for k, w in tr_new.items()})
    masked = replace(t, words=keep(t.words, by_word), utterances=utts,
                     translation=translation)
    n = len(found) + sum(1 for m in tr_found if _rank(m.term.severity) >= _rank(opts.severity))
    note = (f"{n} instance{'s' if n != 1 else ''} of {opts.severity} language (or stronger) masked in the "
            f"subtitles as {opts.style!r}; the transcript keeps every word")
    return masked, found, note


def _rank(severity: str) -> int:
    from .lexicon import severity_rank

    return severity_rank(severity)
