"""One person per channel (stereo interviews): the evidence that two channels hold two people, and one
transcript merged from a transcript per channel (the other voice leaking in dropped and noted)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..model import Transcript, Utterance, Word
from .embedder import SR

log = logging.getLogger("subpipe")


# ------------------------------------------------------------------ one person per channel
CHANNEL_MAX_CORR = 0.3  # sample correlation between the channels below which they are different signals
CHANNEL_MIN_DOMINANT = 0.6  # share of active 100 ms frames where one channel is 6 dB louder than the other
CHANNEL_MIN_EACH = 0.1  # ... and each channel leads in at least this share (two people, not one off-centre)
BLEED_DB = 10.0  # a word whose own channel is this much quieter than the other is the other's voice leaking


def _frame_db(x: np.ndarray, fr: int = 1600) -> np.ndarray:
    n = len(x) // fr
    return 10 * np.log10((x[:n * fr].astype(np.float64).reshape(n, fr) ** 2).mean(axis=1) + 1e-10)


def separate_channels(channels: Sequence[np.ndarray]) -> dict[str, float] | None:
    """The evidence that two channels hold two different people (one each), or None when they do not."""
    if len(channels) != 2:
        return None
    a, b = (np.asarray(c, dtype=np.float32) for c in channels)
    n = min(len(a), len(b))
    if n < SR:
        return None
    a, b = a[:n], b[:n]
    if float(np.std(a)) == 0.0 or float(np.std(b)) == 0.0:
        return None
    corr = float(np.corrcoef(a, b)[0, 1])
    ea, eb = _frame_db(a), _frame_db(b)
    top = np.maximum(ea, eb)
    act = top > top.max() - 30
    d = (ea - eb)[act]
    lead_a, lead_b = float((d > 6).mean()), float((d < -6).mean())
    ev = {"correlation": round(corr, 3), "left_leads": round(lead_a, 3), "right_leads": round(lead_b, 3)}
    ok = (abs(corr) < CHANNEL_MAX_CORR and lead_a + lead_b >= CHANNEL_MIN_DOMINANT
          and min(lead_a, lead_b) >= CHANNEL_MIN_EACH)
    return ev if ok else None


def _word_db(x: np.ndarray, w: Word) -> float:
    seg = x[w.start_ms * SR // 1000:max(w.end_ms, w.start_ms + 20) * SR // 1000]
    return 10 * float(np.log10(np.mean(seg.astype(np.float64) ** 2) + 1e-10)) if len(seg) else -100.0


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def merge_channel_transcripts(parts: Sequence[Transcript], channels: Sequence[np.ndarray], labels: Sequence[str],
                              base: Transcript) -> Transcript:
    """One transcript from one per channel: each channel's words take its label; words that are only the
    other person leaking into this microphone are dropped (and noted); overlapped speech is kept, both
    sides, utterance by utterance in order of their start (so words of two overlapping utterances are not
    interleaved)."""
    from ..model import Dropped
    from ..utterances import build_utterances

    utts: list[tuple[int, int, Utterance]] = []
    dropped = list(base.dropped)
    notes: list[str] = []
    for k, (t, lab) in enumerate(zip(parts, labels, strict=True)):
        own, other = channels[k], channels[1 - k]
        theirs = [(_norm(w.text), w.start_ms) for w in parts[1 - k].words]
        kept = []
        for w in t.words:
            # the other person leaking in: the same word, at the same time, on the other channel, louder there
            echo = any(txt == _norm(w.text) and abs(st - w.start_ms) <= 400 for txt, st in theirs)
            if echo and _word_db(own, w) < _word_db(other, w) - BLEED_DB:
                dropped.append(Dropped(w.text, w.start_ms, w.end_ms, "channel-bleed",
                                       f"louder on the other channel: {labels[1 - k]}'s voice leaking into {lab}'s"))
                continue
            kept.append(replace(w, speaker=lab))
        bled = len(t.words) - len(kept)
        if bled:
            notes.append(f"speakers: {bled} word(s) heard on {lab}'s channel were the other voice leaking in; dropped")
        for u in build_utterances(kept, t.language):
            utts.append((u.start_ms, k, replace(u, speaker=lab)))
        dropped += list(t.dropped)
    utts.sort(key=lambda x: (x[0], x[1]))
    ordered = tuple(u for _, _, u in utts)
    words = tuple(w for u in ordered for w in u.words)
    overl = sum(1 for i in range(1, len(ordered)) if ordered[i].start_ms < ordered[i - 1].end_ms
                and ordered[i].speaker != ordered[i - 1].speaker)
    if overl:
        notes.append(f"speakers: {overl} utterance(s) overlap the other speaker's; both kept, each on its own")
    lang = base.language or next((t.language for t in parts if t.language), None)
    return replace(base, words=words, utterances=ordered, language=lang,
                   notes=base.notes + tuple(n for t in parts for n in t.notes) + tuple(notes),
                   dropped=tuple(sorted(dropped, key=lambda d: (d.start_ms, d.end_ms, d.text))))
