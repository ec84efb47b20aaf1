"""Naming speakers after the fact: ``subpipe speakers rename`` on a transcript JSON or on the quote index.

Pure renaming over the transcript (words, utterances, the ``speakers`` list) and one UPDATE on the index,
so a person identified later is named once for every quote, without running diarization again.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from ..errors import FormatError
from ..model import SpeakerInfo, Transcript
from .names import check_name


def rename_transcript(t: Transcript, old: str, new: str) -> Transcript:
    """``old`` (a label such as S2, or a name) becomes ``new`` everywhere in the transcript.

    Raises FormatError when no word, utterance or speaker carries ``old``; renaming onto a label that
    exists merges the two (their speaking time is added up)."""
    new = check_name(new, what="a speaker's new name")  # one line, no brackets or markup (names.py)
    if not any(s.label == old for s in t.speakers) and not any(u.speaker == old for u in t.utterances):
        known = ", ".join(s.label for s in t.speakers) or "none"
        raise FormatError(f"no speaker {old!r} in this transcript (speakers: {known})")
    words = tuple(replace(w, speaker=new) if w.speaker == old else w for w in t.words)
    by_pos = {id(w): n for n, w in enumerate(t.words)}
    utts = []
    for u in t.utterances:
        ws = tuple(words[by_pos[id(w)]] if id(w) in by_pos else (replace(w, speaker=new) if w.speaker == old else w)
                   for w in u.words)
        utts.append(replace(u, words=ws, speaker=new if u.speaker == old else u.speaker))
    merged: dict[str, SpeakerInfo] = {}
    for s in t.speakers:
        label = new if s.label == old else s.label
        name = new if s.label == old else s.name
        sim = s.similarity if s.label != old else None
        if label in merged:
            m = merged[label]
            merged[label] = replace(m, speaking_ms=m.speaking_ms + s.speaking_ms)
        else:
            merged[label] = SpeakerInfo(label, s.speaking_ms, name, sim)
    return replace(t, words=words, utterances=tuple(utts), speakers=tuple(merged.values()))


# Names given in the index outlive re-indexing: a re-run of `subpipe run` writes the diarization's labels
# again, and the names recorded here are put back over them (apply_names, called after indexing). A name
# keeps the voice it was given to (the label's cluster centre, from the transcript's diarization provenance),
# so when a re-run numbers the speakers differently (labels go by first appearance) the name follows the
# voice, not the label.
_NAMES = """CREATE TABLE IF NOT EXISTS speaker_names (
    media_id TEXT NOT NULL,
    label TEXT NOT NULL,      -- the label diarization gave (S1, S2...) or an earlier name
    name TEXT NOT NULL,
    named_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    voice TEXT,               -- JSON: the named voice's d-vector when it was named (None: by label)
    PRIMARY KEY (media_id, label)
)"""
_VOICES = """CREATE TABLE IF NOT EXISTS speaker_voices (
    media_id TEXT NOT NULL,
    label TEXT NOT NULL,
    voice TEXT NOT NULL,      -- JSON: the label's cluster centre (unit d-vector) in the last indexing
    PRIMARY KEY (media_id, label)
)"""
FOLLOW_MIN_SIM = 0.8  # a re-diarized speaker this similar to a named voice takes its name


def _names_table(con: sqlite3.Connection) -> None:
    con.execute(_NAMES)
    con.execute(_VOICES)
    cols = {r[1] for r in con.execute("PRAGMA table_info(speaker_names)")}
    if "voice" not in cols:  # an index named before voices were kept
        con.execute("ALTER TABLE speaker_names ADD COLUMN voice TEXT")


def rename_in_index(con: sqlite3.Connection, old: str, new: str, *, media_id: str | None = None) -> int:
    """Rename a speaker in the quote index (in one media file, or in every one); returns the rows changed.

    The name is remembered per media file, with the voice it was given to, so indexing the file again keeps
    it on that voice."""
    new = check_name(new, what="a speaker's new name")  # one line, no brackets or markup (names.py)
    sql = "UPDATE utterances SET speaker = ? WHERE speaker = ?"
    args: list[object] = [new, old]
    if media_id:
        sql += " AND media_id IN (SELECT id FROM media WHERE id = ? OR path = ? OR title = ?)"
        args += [media_id, media_id, media_id]
    with con:
        _names_table(con)
        pick = sql.replace("UPDATE utterances SET speaker = ? WHERE", "SELECT DISTINCT media_id FROM utterances WHERE")
        media_ids = [r[0] for r in con.execute(pick, args[1:])]
        n = con.execute(sql, args).rowcount
        for mid in media_ids:
            # a label first named A then renamed B: every row that pointed at A now says B
            con.execute("UPDATE speaker_names SET name = ? WHERE media_id = ? AND name = ?", (new, mid, old))
            voice = con.execute("SELECT voice FROM speaker_voices WHERE media_id = ? AND label = ?",
                                (mid, old)).fetchone()
            con.execute("INSERT INTO speaker_names(media_id, label, name, voice) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(media_id, label) DO UPDATE SET name = excluded.name, "
                        "voice = coalesce(excluded.voice, speaker_names.voice)",
                        (mid, old, new, voice[0] if voice else None))
    return n


def apply_names(con: sqlite3.Connection, media_id: str, voices: dict[str, list[float]] | None = None) -> int:
    """Put the names given earlier in the index back on a freshly indexed media file's rows. ``voices``: the
    new diarization's label -> voice (recorded for later renames); a name given to a voice goes to the label
    whose voice is most like it, else (no voices) to the label it was given to."""
    with con:
        _names_table(con)
        if voices is not None:
            con.execute("DELETE FROM speaker_voices WHERE media_id = ?", (media_id,))
            con.executemany("INSERT INTO speaker_voices(media_id, label, voice) VALUES (?, ?, ?)",
                            [(media_id, lab, json.dumps(v)) for lab, v in voices.items()])
        names = con.execute("SELECT label, name, voice FROM speaker_names WHERE media_id = ?", (media_id,)).fetchall()
        mapping = _label_names(names, voices or {})
        n = 0
        rows = con.execute("SELECT id, speaker FROM utterances WHERE media_id = ?", (media_id,)).fetchall()
        for uid, spk in rows:
            if spk in mapping and mapping[spk] != spk:
                n += con.execute("UPDATE utterances SET speaker = ? WHERE id = ?", (mapping[spk], uid)).rowcount
    return n


def _label_names(names: list[tuple[str, str, str | None]], voices: dict[str, list[float]]) -> dict[str, str]:
    """Current label -> name: named voices matched to the most similar current voice (best pairs first, each
    once, at least FOLLOW_MIN_SIM); names without a voice (or without current voices) by their label."""
    import numpy as np

    out: dict[str, str] = {}
    pairs = []
    if voices:
        labs = sorted(voices)
        cur = np.array([voices[lab] for lab in labs], dtype=np.float64)
        cur /= np.linalg.norm(cur, axis=1, keepdims=True) + 1e-12
        for k, (_, _name, voice) in enumerate(names):
            if not voice:
                continue
            v = np.asarray(json.loads(voice), dtype=np.float64)
            sims = cur @ (v / (np.linalg.norm(v) + 1e-12))
            pairs += [(-float(s), k, lab) for s, lab in zip(sims.tolist(), labs, strict=True) if s >= FOLLOW_MIN_SIM]
    done: set[int] = set()
    for _, k, lab in sorted(pairs):
        if k in done or lab in out:
            continue
        out[lab] = names[k][1]
        done.add(k)
    for k, (label, name, voice) in enumerate(names):
        if k in done or (voice and voices):
            continue  # a named voice nobody here matches keeps no label's rows
        out.setdefault(label, name)
    return out


def index_speakers(con: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """(speaker, utterances, ms spoken) for every speaker in the index, most heard first."""
    rows = con.execute("SELECT speaker, COUNT(*), SUM(end_ms - start_ms) FROM utterances WHERE speaker IS NOT NULL "
                       "GROUP BY speaker ORDER BY 3 DESC, 1").fetchall()
    return [(r[0], int(r[1]), int(r[2] or 0)) for r in rows]


__all__ = ["apply_names", "index_speakers", "rename_in_index", "rename_transcript"]
