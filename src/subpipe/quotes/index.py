"""The quote index: plain SQLite (``outputs/quotes.db``) with FTS5 over utterances (sentences), not cues.

Tables (datasette and the ``sqlite3`` shell can open the file as it is):

- ``media``: one row per media file: id (its SHA-256), path, title, sha256, duration, frame rate.
- ``utterances``: one row per sentence: media, position, start/end in ms and in frames at the media's
  frame rate, speaker, language, text, and the words with their times (``words_json``).
- ``utterances_fts``: FTS5 word index, ``unicode61 remove_diacritics 2``, no stemming (quotes are verbatim).
  Chinese and Japanese have no spaces between words, so their characters are indexed one token each
  (through the ``utterances_words`` view over ``fts_text``): any run of characters is a phrase.
- ``utterances_tri``: FTS5 ``trigram`` index over the same text, for substrings (partial words).

Both FTS tables are external-content tables kept in step by triggers. Chinese is indexed and searched
with Traditional characters folded to Simplified (OpenCC, character by character; text.py), so 广州 and
廣州 find each other; the ``meta`` table records the folding rule and a changed rule re-folds the rows.
Results are ranked by FTS5's ``bm25()``, ties broken by media and time. User queries are escaped into
phrases by default; raw FTS5 syntax only when asked, and a malformed one raises QueryError.
Deterministic ids (media SHA-256 + utterance position) make re-indexing idempotent.
Schema migrations run through ``PRAGMA user_version`` (v1 -> v2 upgrades in place).

This module indexes transcripts, looks rows up and rebuilds subtitles from them; the schema and its
migrations (``schema.py``), the text columns (``folding.py``) and search (``search.py``) sit beside it, their
names re-exported here.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import QuoteIndexError
from ..model import Cue, CueTrack, Transcript, Utterance
from ..timecode import ms_to_frames
from .folding import (  # noqa: F401 (re-exported: index is the package's front)
    DEFAULT_FPS,
    MAX_QUERY_CHARS,
    escape_query,
    escape_substring,
    fold,
    frame_rate,
    fts_text,
    parse_words,
    spaced_cjk,
    tokens,
    tri_text,
    utterance_id,
    words_json,
)
from .schema import (  # noqa: F401 (re-exported: index is the package's front)
    DEFAULT_DB,
    MODES,
    SCHEMA_VERSION,
    TRIGRAM_MIN_SQLITE,
    _db_hint,
    check_sqlite,
    connect,
    ensure_folded,
    migrate,
    schema_version,
)
from .search import (  # noqa: F401 (re-exported: index is the package's front)
    _SELECT,
    SNIPPET_CONTEXT,
    Hit,
    _hit,
    search,
)

log = logging.getLogger("subpipe")


# ---------------------------------------------------------------- indexing
def add_transcript(
    con: sqlite3.Connection,
    transcript: Transcript,
    *,
    media_id: str,
    path: str,
    title: str | None = None,
    fps: str | None = None,
    sha256: str | None = None,
    duration_ms: int | None = None,
    notes: list[str] | None = None,
) -> int:
    """Index one media file's utterances, replacing any earlier rows for it (or for its path).

    Returns the number of utterances written. ``media_id`` is normally the file's SHA-256. The same content
    indexed again under another path that still exists keeps its first path and title (unless ``title`` is
    given): a note in ``notes`` says so.
    """
    fr = frame_rate(fps)  # raises FormatError for a rate that does not parse: never a silent 24
    rows = []
    for seq, u in enumerate(transcript.utterances):
        text = u.text
        rows.append((utterance_id(media_id, seq), media_id, seq, u.start_ms, u.end_ms,
                     ms_to_frames(u.start_ms, fr), ms_to_frames(u.end_ms, fr), u.speaker,
                     u.language or transcript.language, text, fts_text(text), tri_text(text),
                     words_json(u.words)))
    first = con.execute("SELECT path, title FROM media WHERE id = ?", (media_id,)).fetchone()
    if first is not None and title is None and first[0] != str(path) and Path(first[0]).exists():
        if notes is not None:
            notes.append(f"the quote index already holds this content as {first[0]!r} (title {first[1]!r}): "
                         f"kept that title for {path}")
        path, title = first[0], first[1]
    media_row = (media_id, str(path), title or Path(path).stem, sha256 or media_id,
                 duration_ms if duration_ms is not None else transcript.duration_ms, fps,
                 transcript.language)
    with con:  # one transaction: the index never holds half a media file
        # the same media (by id), or another version of the file at the same path: replaced
        stale = [r[0] for r in con.execute("SELECT id FROM media WHERE id = ? OR path = ?", (media_id, str(path)))]
        for mid in stale:
            con.execute("DELETE FROM utterances WHERE media_id = ?", (mid,))
            if mid != media_id:
                con.execute("DELETE FROM media WHERE id = ?", (mid,))
        con.execute(
            "INSERT INTO media(id, path, title, sha256, duration_ms, fps, language) VALUES (?,?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET path=excluded.path, title=excluded.title, sha256=excluded.sha256, "
            "duration_ms=excluded.duration_ms, fps=excluded.fps, language=excluded.language, "
            "indexed_at=strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            media_row,
        )
        con.executemany(
            "INSERT INTO utterances(id, media_id, seq, start_ms, end_ms, start_frame, end_frame, speaker, "
            "language, text, fts_text, tri_text, words_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    return len(rows)


def remove_media(con: sqlite3.Connection, media_id: str) -> int:
    with con:
        n = con.execute("DELETE FROM utterances WHERE media_id = ?", (media_id,)).rowcount
        con.execute("DELETE FROM media WHERE id = ?", (media_id,))
    return n



# ---------------------------------------------------------------- lookups
def get(con: sqlite3.Connection, utterance: str) -> Hit:
    """One utterance by id (or a unique prefix of 6 characters or more)."""
    key = utterance.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{6,16}", key):
        raise QuoteIndexError(f"not a quote id: {utterance!r}", hint="ids are 16 hex digits; see `quotes search`")
    sql = f"{_SELECT}, 0.0 FROM utterances u JOIN media m ON m.id = u.media_id WHERE u.id "
    rows = con.execute(sql + ("= ?" if len(key) == 16 else "LIKE ? || '%' LIMIT 2"), (key,)).fetchall()
    if not rows:
        raise QuoteIndexError(f"no quote with id {utterance!r}", hint="ids come from `subpipe quotes search`")
    if len(rows) > 1:
        raise QuoteIndexError(f"quote id prefix {utterance!r} is ambiguous", hint="give more of the id")
    return _hit(rows[0], None)


def get_many(con: sqlite3.Connection, ids: Iterable[str]) -> list[Hit]:
    return [get(con, i) for i in ids]


@dataclass(frozen=True)
class MediaRow:
    id: str
    path: str
    title: str
    sha256: str | None
    duration_ms: int
    fps: str | None
    language: str | None
    utterances: int


def media_list(con: sqlite3.Connection) -> list[MediaRow]:
    rows = con.execute(
        "SELECT m.id, m.path, m.title, m.sha256, m.duration_ms, m.fps, m.language, "
        "(SELECT count(*) FROM utterances u WHERE u.media_id = m.id) FROM media m ORDER BY m.title, m.path"
    ).fetchall()
    return [MediaRow(*tuple(r)) for r in rows]


def media_row(con: sqlite3.Connection, media_id: str) -> MediaRow:
    for m in media_list(con):
        if m.id == media_id:
            return m
    raise QuoteIndexError(f"no media with id {media_id!r} in the quote index")


def media_transcript(con: sqlite3.Connection, media_id: str) -> Transcript:
    """A media file's indexed words and utterances as a Transcript (for subtitles of the media or a clip)."""
    m = media_row(con, media_id)
    utts = []
    for r in con.execute("SELECT words_json, language, speaker FROM utterances WHERE media_id = ? ORDER BY seq",
                         (media_id,)):
        ws = parse_words(r[0])
        if ws:
            utts.append(Utterance(ws, r[1], r[2]))
    words = tuple(w for u in utts for w in u.words)
    return Transcript(words, m.language, m.duration_ms, tuple(utts))


def count(con: sqlite3.Connection) -> int:
    return con.execute("SELECT count(*) FROM utterances").fetchone()[0]


def media_ids(con: sqlite3.Connection) -> Iterable[str]:
    return [r[0] for r in con.execute("SELECT id FROM media ORDER BY path")]


def integrity_check(con: sqlite3.Connection) -> None:
    """FTS5's own check that both indexes agree with the utterances table (raises QuoteIndexError)."""
    try:
        con.execute("INSERT INTO utterances_fts(utterances_fts) VALUES ('integrity-check')")
        con.execute("INSERT INTO utterances_tri(utterances_tri) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as exc:
        raise QuoteIndexError(f"the quote index is damaged ({exc})", hint="delete it and index again") from None


# ---------------------------------------------------------------- subtitles from the index
def media_subtitles(con: sqlite3.Connection, media_id: str, profile: str = "netflix-en") -> CueTrack:
    """Subtitles for a whole media file, made from its indexed words under a delivery profile."""
    from ..subtitling.cues import make_cues
    from ..subtitling.profiles import get_profile

    m = media_row(con, media_id)
    t = media_transcript(con, media_id)
    if not t.words:
        return CueTrack((), language=m.language)
    return make_cues(t, get_profile(profile, str(frame_rate(m.fps))))


def window(track: CueTrack, start_ms: int, end_ms: int) -> CueTrack:
    """The cues that overlap [start, end], moved onto a clip's clock (0 = start) and clipped to it."""
    cues = []
    for c in track.cues:
        if c.end_ms <= start_ms or c.start_ms >= end_ms:
            continue
        a, b = max(c.start_ms, start_ms) - start_ms, min(c.end_ms, end_ms) - start_ms
        if b > a:
            cues.append(Cue(a, b, c.lines))
    return CueTrack(tuple(cues), language=track.language, metadata=dict(track.metadata))
