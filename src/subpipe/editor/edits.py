"""Edits on a transcript's cues: text, in, out, speaker, split, merge (and restore, which reverts).

A transcript under review is its words plus the cue breaks (the word positions where a cue starts), kept in
``provenance["review"]["breaks"]`` so a split or a merge survives a reload; without them the cues are the ones
the delivery profile makes. Cues are numbered from 1, as on the page ("Cue 1 text").

Edit operations (plain dicts, JSON on the page):

=========  ====================================================================================
op         fields
=========  ====================================================================================
text       ``cue``, ``text``: the cue's words become the text's words (unchanged words keep their times)
in, out    ``cue``, ``ms``: the cue's first word starts / last word ends there (a person's timing: kept)
speaker    ``cue``, ``speaker``: every word of the cue is spoken by that speaker
split      ``cue``, ``word``: a new cue starts at that word of the cue (0-based, 1 .. words-1)
merge      ``cue``: the cue and the next one become one
restore    ``cue``, ``words``: the cue's words exactly as given (what :func:`revert_edit` makes)
=========  ====================================================================================

Words whose text changed are re-timed against the audio of their cue with the aligner (``alignment.align``)
when samples are given; without them they share the time the replaced words had. Every applied edit is logged
(before, after, when) in ``provenance["review"]["edits"]``; :func:`revert_edit` turns any entry back into an edit.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..errors import UsageError
from ..model import CueTrack, Transcript, Utterance, Word, join_words
from ..subtitling.profiles import Profile
from ..timecode import SAMPLE_RATE

log = logging.getLogger("subpipe")
OPS = ("text", "in", "out", "speaker", "split", "merge", "restore")
PAD_MS = 300  # audio either side of a cue that the aligner hears when it re-times the cue's words


@dataclass
class _W:
    """A word being edited, with what the edits did to it."""

    word: Word
    typed: bool = False  # its text was typed by a person (re-timed; probability 1)
    pin_start: int | None = None  # a person set the cue's in / out here: the aligner does not move it
    pin_end: int | None = None


@dataclass(frozen=True)
class EditResult:
    transcript: Transcript
    applied: int
    retimed_cues: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def word_dict(w: Word) -> dict[str, Any]:
    return {"text": w.text, "start_ms": w.start_ms, "end_ms": w.end_ms, "probability": w.probability,
            "speaker": w.speaker}


def _word_from(d: dict[str, Any]) -> Word:
    return Word(str(d["text"]), int(d["start_ms"]), int(d["end_ms"]), float(d.get("probability", 1.0)),
                speaker=d.get("speaker"))


def breaks_of(transcript: Transcript, profile: Profile) -> list[int]:
    """The cue breaks: the reviewed ones kept in the transcript, else the profile's own cues."""
    n = len(transcript.words)
    kept = (transcript.provenance.get("review") or {}).get("breaks")
    if isinstance(kept, list) and kept and kept[0] == 0 and all(
            isinstance(b, int) and 0 <= a < b < n for a, b in zip(kept, kept[1:], strict=False)) and kept[-1] < n:
        return list(kept)
    if not n:
        return []
    from ..subtitling.cues import make_cues

    out, k = [], 0
    for cue in make_cues(transcript, profile).cues:
        out.append(k)
        k += len(cue.words)
    return out if k == n else [0]


def ranges(breaks: Sequence[int], n: int) -> list[tuple[int, int]]:
    ends = list(breaks[1:]) + [n]
    return list(zip(breaks, ends, strict=True))


def cue_track(words: Sequence[Word], breaks: Sequence[int], profile: Profile,
              duration_ms: int | None = None) -> CueTrack:
    """The subtitle cues of these words and breaks under the profile (lines broken, times by its rules)."""
    from ..subtitling.cues import cues_from_bounds
    from ..subtitling.segment import word_arrays

    if not words:
        return CueTrack((), metadata={"profile": profile.describe()})
    a = word_arrays(words, profile.count_spaces)
    bounds = np.array([*breaks, len(words)], dtype=np.int64)
    cues = cues_from_bounds(words, a, bounds, profile, media_end_ms=duration_ms or None)
    return CueTrack(tuple(cues), metadata={"profile": profile.describe(), "segmentation": "reviewed cues"})


def rebuild_utterances(words: Sequence[Word], language: str | None) -> tuple[Utterance, ...]:
    """Sentences of the edited words, split where the speaker changes, each carrying its speaker."""
    from ..utterances import build_utterances

    out: list[Utterance] = []
    for u in build_utterances(words, language):
        cur: list[Word] = []
        for w in u.words:
            if cur and w.speaker != cur[-1].speaker:
                out.append(Utterance(tuple(cur), u.language, cur[0].speaker))
                cur = []
            cur.append(w)
        out.append(Utterance(tuple(cur), u.language, cur[0].speaker))
    return tuple(out)


class _Doc:
    def __init__(self, transcript: Transcript, breaks: list[int]):
        self.ws = [_W(w) for w in transcript.words]
        self.breaks = list(breaks)
        self.notes: list[str] = []

    def cue(self, edit: dict[str, Any]) -> tuple[int, int, int]:
        try:
            n = int(edit["cue"])
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"edit {edit!r} names no cue number") from None
        rs = ranges(self.breaks, len(self.ws))
        if not 1 <= n <= len(rs):
            raise UsageError(f"there is no cue {n} (cues 1-{len(rs)})")
        return n, *rs[n - 1]

    def snapshot(self, i: int, j: int) -> dict[str, Any]:
        words = [w.word for w in self.ws[i:j]]
        return {"first_word": i, "text": join_words(words), "in_ms": words[0].start_ms if words else None,
                "out_ms": words[-1].end_ms if words else None, "speaker": words[0].speaker if words else None,
                "words": [word_dict(w) for w in words]}

    def apply(self, edit: dict[str, Any]) -> dict[str, Any]:
        op = edit.get("op")
        if op not in OPS:
            raise UsageError(f"unknown edit {op!r}; known: {', '.join(OPS)}")
        n, i, j = self.cue(edit)
        span_j = j
        if op == "merge":
            if n == len(self.breaks):
                raise UsageError(f"cue {n} is the last cue: nothing to merge it with")
            span_j = ranges(self.breaks, len(self.ws))[n][1]
        before = self.snapshot(i, span_j)
        if op == "merge":
            before["second_cue_word"] = j - i
        getattr(self, "_" + op)(edit, n, i, j)
        k = 1 if op == "split" else 0
        rs = ranges(self.breaks, len(self.ws))
        after_j = rs[n - 1 + k][1] if op != "merge" else rs[n - 1][1]
        after = self.snapshot(i, after_j)
        return {"op": op, "cue": n, **{k2: v for k2, v in edit.items() if k2 not in ("op", "cue", "words")},
                "before": before, "after": after, "at": datetime.now(UTC).isoformat(timespec="seconds")}

    # ---- the operations
    def _text(self, edit, n, i, j) -> None:
        tokens = str(edit.get("text", "")).split()
        if not tokens:
            raise UsageError(f"cue {n} would have no words; merge it into its neighbour instead")
        old = self.ws[i:j]
        speaker = old[0].word.speaker
        sm = difflib.SequenceMatcher(a=[w.word.text for w in old], b=tokens, autojunk=False)
        new: list[_W] = []
        for tag, a0, a1, b0, b1 in sm.get_opcodes():
            if tag == "equal":
                new.extend(old[a0:a1])
                continue
            if b1 == b0:
                continue  # deleted words
            if a1 > a0:
                s, e = old[a0].word.start_ms, old[a1 - 1].word.end_ms
            else:  # inserted: the gap where they go
                s = old[a0 - 1].word.end_ms if a0 > 0 else old[0].word.start_ms
                e = old[a0].word.start_ms if a0 < len(old) else old[-1].word.end_ms
                e = max(e, s)
            cnt = b1 - b0
            for m, tok in enumerate(tokens[b0:b1]):
                ws = s + (e - s) * m // cnt
                we = s + (e - s) * (m + 1) // cnt
                new.append(_W(Word(tok, ws, we, 1.0, speaker=speaker), typed=True))
        if old[0].pin_start is not None:
            new[0].pin_start = old[0].pin_start
        if old[-1].pin_end is not None:
            new[-1].pin_end = old[-1].pin_end
        self.ws[i:j] = new
        delta = len(new) - (j - i)
        self.breaks = [b if b <= i else b + delta for b in self.breaks]

    def _time(self, edit, n) -> int:
        try:
            return int(edit["ms"])
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"edit {edit.get('op')} of cue {n} needs a time in ms") from None

    def _in(self, edit, n, i, j) -> None:
        ms = self._time(edit, n)
        lo = self.ws[i - 1].word.end_ms if i > 0 else 0
        first = self.ws[i].word
        hi = first.end_ms
        if not lo <= ms <= hi:
            self.notes.append(f"cue {n}: in {ms} ms clamped to {min(max(ms, lo), hi)} ms (between the previous "
                              "word's end and the first word's end)")
            ms = min(max(ms, lo), hi)
        self.ws[i].word = replace(first, start_ms=ms)
        self.ws[i].pin_start = ms

    def _out(self, edit, n, i, j) -> None:
        ms = self._time(edit, n)
        last = self.ws[j - 1].word
        lo = last.start_ms
        hi = self.ws[j].word.start_ms if j < len(self.ws) else max(last.end_ms, ms)
        if not lo <= ms <= hi:
            self.notes.append(f"cue {n}: out {ms} ms clamped to {min(max(ms, lo), hi)} ms (between the last "
                              "word's start and the next word's start)")
            ms = min(max(ms, lo), hi)
        self.ws[j - 1].word = replace(last, end_ms=ms)
        self.ws[j - 1].pin_end = ms

    def _speaker(self, edit, n, i, j) -> None:
        name = str(edit.get("speaker") or "").strip() or None
        for w in self.ws[i:j]:
            w.word = replace(w.word, speaker=name)

    def _split(self, edit, n, i, j) -> None:
        try:
            k = int(edit["word"])
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"split of cue {n} needs the word to split at") from None
        if not 1 <= k < j - i:
            raise UsageError(f"cue {n} has {j - i} words: split it at word 1-{j - i - 1}")
        self.breaks.insert(n, i + k)

    def _merge(self, edit, n, i, j) -> None:
        del self.breaks[n]

    def _restore(self, edit, n, i, j) -> None:
        words = [_W(_word_from(d)) for d in edit.get("words") or ()]
        if not words:
            raise UsageError(f"restore of cue {n} needs its words")
        self.ws[i:j] = words
        delta = len(words) - (j - i)
        self.breaks = [b if b <= i else b + delta for b in self.breaks]


def _retime(doc: _Doc, samples: np.ndarray, options: Any) -> tuple[list[int], list[str]]:
    """Re-time the typed words: their cue's words aligned against its stretch of audio, the typed ones taking
    the aligner's times (the words no one touched keep theirs; the person's in/out stay)."""
    from ..alignment import align

    done, notes = [], []
    total_ms = len(samples) * 1000 // SAMPLE_RATE
    for n, (i, j) in enumerate(ranges(doc.breaks, len(doc.ws)), 1):
        if not any(w.typed for w in doc.ws[i:j]):
            continue
        lo = max(doc.ws[i - 1].word.end_ms if i > 0 else 0, doc.ws[i].word.start_ms - PAD_MS, 0)
        hi = min(doc.ws[j].word.start_ms if j < len(doc.ws) else total_ms, doc.ws[j - 1].word.end_ms + PAD_MS,
                 total_ms)
        if hi - lo < 200:
            notes.append(f"cue {n}: too short a stretch of audio to re-time; the typed words share its time")
            continue
        chunk = samples[lo * SAMPLE_RATE // 1000: hi * SAMPLE_RATE // 1000]
        text = join_words(w.word for w in doc.ws[i:j])
        try:
            res = align(chunk, text, options)
        except Exception as exc:  # noqa: BLE001 - a cue the aligner cannot time keeps the provisional times
            notes.append(f"cue {n}: not re-timed ({exc})")
            continue
        got = res.transcript.words
        if len(got) != j - i:
            notes.append(f"cue {n}: the aligner returned {len(got)} words for {j - i}; not re-timed")
            continue
        for k in range(i, j):  # the typed words take the aligner's times, between their untouched neighbours
            w, g = doc.ws[k], got[k - i]
            if not w.typed:
                continue
            floor = doc.ws[k - 1].word.end_ms if k > 0 else 0
            ceil = doc.ws[k + 1].word.start_ms if k + 1 < len(doc.ws) and not doc.ws[k + 1].typed else total_ms
            s = min(max(lo + g.start_ms, floor), ceil)
            e = min(max(lo + g.end_ms, s), max(ceil, s))
            w.word = replace(w.word, start_ms=s, end_ms=e)
        first, last = doc.ws[i], doc.ws[j - 1]
        if first.pin_start is not None:
            first.word = replace(first.word, start_ms=min(first.pin_start, first.word.end_ms))
        if last.pin_end is not None:
            last.word = replace(last.word, end_ms=max(last.pin_end, last.word.start_ms))
        done.append(n)
    return done, notes


def apply(transcript: Transcript, edits: Iterable[dict[str, Any]], profile: Profile, *,
          samples: np.ndarray | None = None, align_options: Any = None) -> EditResult:
    """Apply ``edits`` in order; re-time typed words when ``samples`` (16 kHz mono) are given. The result's
    provenance keeps the cue breaks and the edit log (the earlier log plus one entry per edit)."""
    doc = _Doc(transcript, breaks_of(transcript, profile))
    entries = []
    for edit in edits:
        if not isinstance(edit, dict):
            raise UsageError(f"an edit is an object with an 'op', not {edit!r}")
        entries.append(doc.apply(edit))
    retimed: list[int] = []
    notes = doc.notes
    if samples is not None and any(w.typed for w in doc.ws):
        retimed, more = _retime(doc, samples, align_options)
        notes += more
        for e in entries:  # the log keeps the times the words ended up with
            if e["op"] == "text":
                a = e["after"]
                a["words"] = [word_dict(w.word) for w in doc.ws[a["first_word"]:a["first_word"] + len(a["words"])]]
    words: list[Word] = []
    for k, w in enumerate(doc.ws):  # times never run backwards (a typed word can overlap its neighbour)
        word = w.word
        if words and word.start_ms < words[-1].end_ms and w.typed:
            word = replace(word, start_ms=words[-1].end_ms, end_ms=max(word.end_ms, words[-1].end_ms))
        words.append(word)
        doc.ws[k].word = word
    review = dict(transcript.provenance.get("review") or {})
    review["breaks"] = doc.breaks
    review["edits"] = [*review.get("edits", []), *entries]
    prov = {**transcript.provenance, "review": review}
    t = replace(transcript, words=tuple(words), utterances=rebuild_utterances(words, transcript.language),
                provenance=prov, notes=tuple(transcript.notes))
    for note in notes:
        log.warning("%s", note)
    return EditResult(t, len(entries), tuple(retimed), tuple(notes))


def revert_edit(transcript: Transcript, index: int) -> list[dict[str, Any]]:
    """The edits that undo log entry ``index`` (0-based; negative counts from the end) on the transcript as
    it is now. Refused (UsageError) when the words it made have changed since."""
    log_ = (transcript.provenance.get("review") or {}).get("edits") or []
    try:
        entry = log_[index]
    except IndexError:
        raise UsageError(f"the edit log has {len(log_)} entries; there is no entry {index}") from None
    after, before = entry["after"], entry["before"]
    i, n_after = after["first_word"], len(after["words"])
    now = [word_dict(w) for w in transcript.words[i:i + n_after]]
    if [w["text"] for w in now] != [w["text"] for w in after["words"]]:
        raise UsageError(f"edit {index} cannot be reverted: its words have changed since")
    breaks = (transcript.provenance.get("review") or {}).get("breaks") or [0]
    starts = [b for b in breaks if b <= i]
    cue = len(starts)
    if entry["op"] == "split":
        return [{"op": "merge", "cue": cue}]
    if entry["op"] == "merge":
        return [{"op": "split", "cue": cue, "word": int(before["second_cue_word"])}]
    return [{"op": "restore", "cue": cue, "words": before["words"]}]
