"""The transcript JSON: the checkpoint between transcription and everything after it.

Schema version 1::

    {"schema_version": 1, "language": "en", "duration_ms": 11000,
     "text": "...", "words": [{"text", "start_ms", "end_ms", "probability", "space_before"}],
     "utterances": [{"id", "start_ms", "end_ms", "text", "language", "speaker", "word_range": [i, j]}],
     "notes": [...], "provenance": {...},
     "dropped": [{"text", "start_ms", "end_ms", "reason", "detail"}],
     "translation": [word, ...],
     "events": [{"kind": "music", "start_ms", "end_ms"}]}

Optional additions that keep version 1 (a reader that does not know them ignores them; a file without them
reads as before): a word's ``"language"`` (files transcribed language by language), ``"dropped"`` (the
words the hallucination guards removed, with the rule and why) and ``"translation"`` (English words for the
foreign-language parts, present only when a translation was asked for) and ``"events"`` (stretches of
music without speech for SDH cues, found at transcription time by sound.py; absent in older files),
a word's ``"speaker"`` and the top-level ``"speakers"`` list (``[{"label", "speaking_ms", "name",
"similarity"}]``, written by diarize.py; absent when diarization did not run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..model import Dropped, SoundEvent, SpeakerInfo, Transcript, Utterance, Word

SCHEMA_VERSION = 1
NAME = "transcript-json"
EXTENSIONS = (".transcript.json", ".json")


def to_dict(t: Transcript) -> dict[str, Any]:
    utts = []
    offset = 0
    for n, u in enumerate(t.utterances):
        first: int | None = offset
        if t.words[offset:offset + len(u.words)] != u.words:  # utterances normally partition the words
            first = next((k for k in range(len(t.words)) if t.words[k:k + len(u.words)] == u.words), None)
        offset = (first or 0) + len(u.words)
        utts.append(
            {
                "id": n,
                "start_ms": u.start_ms,
                "end_ms": u.end_ms,
                "text": u.text,
                "language": u.language,
                "speaker": u.speaker,
                "word_range": [first, first + len(u.words)] if first is not None else None,
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "language": t.language,
        "duration_ms": t.duration_ms,
        "text": t.text,
        "words": [_word(w) for w in t.words],
        "utterances": utts,
        "notes": list(t.notes),
        "provenance": t.provenance,
        "dropped": [
            {"text": d.text, "start_ms": d.start_ms, "end_ms": d.end_ms, "reason": d.reason, "detail": d.detail}
            for d in t.dropped
        ],
        **({"translation": [_word(w) for w in t.translation]} if t.translation else {}),
        "events": [{"kind": e.kind, "start_ms": e.start_ms, "end_ms": e.end_ms} for e in t.events],
        **({"speakers": [{"label": s.label, "speaking_ms": s.speaking_ms, "name": s.name,
                          "similarity": s.similarity} for s in t.speakers]} if t.speakers else {}),
    }


def _word(w: Word) -> dict[str, Any]:
    d: dict[str, Any] = {"text": w.text, "start_ms": w.start_ms, "end_ms": w.end_ms, "probability": w.probability,
                         "space_before": w.space_before}
    if w.language is not None:
        d["language"] = w.language
    if w.speaker is not None:
        d["speaker"] = w.speaker
    return d


def _read_word(w: dict[str, Any]) -> Word:
    return Word(w["text"], int(w["start_ms"]), int(w["end_ms"]), float(w.get("probability", 1.0)),
                bool(w.get("space_before", True)), w.get("language"), w.get("speaker"))


def dumps(t: Transcript) -> str:
    """Pretty JSON with one word or utterance per line, so diffs and eyes can follow it."""
    d = to_dict(t)
    one = {k: "\x00" + k for k in ("words", "utterances", "dropped", "translation", "events", "speakers") if k in d}
    body = json.dumps({**d, **one}, ensure_ascii=False, indent=1)
    for k in one:
        rows = ",\n  ".join(json.dumps(r, ensure_ascii=False) for r in d[k])
        body = body.replace(json.dumps(one[k]), "[\n  " + rows + "\n ]" if rows else "[]")
    return body + "\n"


def loads(text: str) -> Transcript:
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not JSON: {exc.msg}", line=exc.lineno) from None
    return from_dict(d)


def from_dict(d: Any) -> Transcript:
    if not isinstance(d, dict) or "words" not in d:
        raise FormatError("not a subpipe transcript (no 'words')")
    version = d.get("schema_version")
    if version != SCHEMA_VERSION:
        raise FormatError(f"transcript schema_version {version!r} is not supported (expected {SCHEMA_VERSION})")
    try:
        words = tuple(_read_word(w) for w in d["words"])
        translation = tuple(_read_word(w) for w in d.get("translation") or ())
        dropped = tuple(
            Dropped(x["text"], int(x["start_ms"]), int(x["end_ms"]), str(x.get("reason", "")), str(x.get("detail", "")))
            for x in d.get("dropped") or ()
        )
        events = tuple(SoundEvent(str(e["kind"]), int(e["start_ms"]), int(e["end_ms"]))
                       for e in d.get("events") or ())
        speakers = tuple(SpeakerInfo(str(x["label"]), int(x.get("speaking_ms") or 0), x.get("name"),
                                     None if x.get("similarity") is None else float(x["similarity"]))
                         for x in d.get("speakers") or ())
        utts = []
        for u in d.get("utterances", []):
            rng = u.get("word_range")
            if rng is None:
                continue
            utts.append(Utterance(words[rng[0]:rng[1]], u.get("language"), u.get("speaker")))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise FormatError(f"transcript is malformed: {exc}") from None
    return Transcript(
        words=words,
        language=d.get("language"),
        duration_ms=int(d.get("duration_ms") or 0),
        utterances=tuple(utts),
        notes=tuple(d.get("notes", [])),
        provenance=d.get("provenance") or {},
        dropped=dropped,
        translation=translation,
        events=events,
        speakers=speakers,
    )


def load(path: Path | str) -> Transcript:
    """A transcript JSON file; a missing, non-UTF-8 or malformed file is a FormatError naming it."""
    try:
        return loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("no such transcript", path=path) from None
    except UnicodeDecodeError:
        raise FormatError("transcript is not UTF-8 JSON", path=path) from None
    except FormatError as exc:
        exc.path = str(path)
        raise
