"""The quote index: plain SQLite with FTS5 over utterances (sentences), not cues.

External-content FTS5 tables kept in step by triggers; no stemming (quotes are verbatim); diacritics
folded; user queries escaped into phrases by default, raw FTS5 syntax only when asked.
Deterministic ids (media SHA-256 + utterance position) make re-indexing idempotent.
Schema migrations run through ``PRAGMA user_version``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import QueryError, QuoteIndexError
from .model import Transcript

SCHEMA_VERSION = 1

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE media (
        id TEXT PRIMARY KEY,             -- SHA-256 of the media file
        path TEXT NOT NULL,
        title TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        fps TEXT,
        language TEXT,
        indexed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE TABLE utterances (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,         -- media id + position: stable across re-indexing
        media_id TEXT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        speaker TEXT,
        language TEXT,
        text TEXT NOT NULL,
        words_json TEXT NOT NULL
    );
    CREATE INDEX utterances_media ON utterances(media_id, seq);
    CREATE VIRTUAL TABLE utterances_fts USING fts5(
        text, content='utterances', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER utterances_ai AFTER INSERT ON utterances BEGIN
        INSERT INTO utterances_fts(rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER utterances_ad AFTER DELETE ON utterances BEGIN
        INSERT INTO utterances_fts(utterances_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    CREATE TRIGGER utterances_au AFTER UPDATE ON utterances BEGIN
        INSERT INTO utterances_fts(utterances_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO utterances_fts(rowid, text) VALUES (new.rowid, new.text);
    END;
    """,
}


def connect(path: Path | str) -> sqlite3.Connection:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=30)
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA journal_mode = WAL")
        migrate(con)
    except sqlite3.DatabaseError as exc:
        raise QuoteIndexError(f"cannot open the quote index ({exc})", path=path) from exc
    except OSError as exc:
        raise QuoteIndexError(f"cannot create the quote index ({exc.strerror})", path=path) from exc
    con.row_factory = sqlite3.Row
    return con


def migrate(con: sqlite3.Connection) -> None:
    current = con.execute("PRAGMA user_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise QuoteIndexError(f"quote index schema {current} is newer than this subpipe ({SCHEMA_VERSION})")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with con:
            con.executescript("BEGIN;" + _MIGRATIONS[version] + f"PRAGMA user_version = {version}; COMMIT;")


def utterance_id(media_id: str, seq: int) -> str:
    return hashlib.sha256(f"{media_id}:{seq}".encode()).hexdigest()[:16]


def add_transcript(
    con: sqlite3.Connection,
    transcript: Transcript,
    *,
    media_id: str,
    path: str,
    title: str | None = None,
    fps: str | None = None,
) -> int:
    """Index one media file's utterances, replacing any earlier rows for it. Returns rows written."""
    rows = []
    for seq, u in enumerate(transcript.utterances):
        words = [[w.text, w.start_ms, w.end_ms] for w in u.words]
        rows.append((utterance_id(media_id, seq), media_id, seq, u.start_ms, u.end_ms, u.speaker,
                     u.language or transcript.language, u.text, json.dumps(words, ensure_ascii=False)))
    with con:  # one transaction: the index never holds half a media file
        con.execute("DELETE FROM utterances WHERE media_id = ?", (media_id,))
        con.execute(
            "INSERT INTO media(id, path, title, duration_ms, fps, language) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET path=excluded.path, title=excluded.title, "
            "duration_ms=excluded.duration_ms, fps=excluded.fps, language=excluded.language",
            (media_id, path, title or Path(path).stem, transcript.duration_ms, fps, transcript.language),
        )
        con.executemany(
            "INSERT INTO utterances(id, media_id, seq, start_ms, end_ms, speaker, language, text, words_json) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )
    return len(rows)


_TOKEN = re.compile(r"\w+", re.UNICODE)


def escape_query(query: str) -> str:
    """A user's words -> an FTS5 phrase query that matches them verbatim, in order.

    Every token is quoted, so FTS5 operators (AND, OR, NEAR, *, ^, quotes) are read as plain text.
    A trailing ``*`` on the last word keeps prefix search.
    """
    query = "".join(ch for ch in query if ch.isprintable())
    prefix = query.rstrip().endswith("*")
    tokens = _TOKEN.findall(query)
    if not tokens:
        return ""
    phrase = '"' + " ".join(t.replace('"', '""') for t in tokens) + '"'
    return phrase + ("*" if prefix else "")


@dataclass(frozen=True)
class Hit:
    id: str
    media_id: str
    media_path: str
    title: str
    start_ms: int
    end_ms: int
    text: str
    snippet: str
    speaker: str | None
    language: str | None
    rank: float


def search(
    con: sqlite3.Connection, query: str, *, limit: int = 20, media: str | None = None, raw: bool = False
) -> list[Hit]:
    match = query if raw else escape_query(query)
    if not match:
        return []
    sql = (
        "SELECT u.id, u.media_id, m.path, m.title, u.start_ms, u.end_ms, u.text, u.speaker, u.language, "
        "snippet(utterances_fts, 0, '[', ']', '…', 12) AS snip, bm25(utterances_fts) AS rank "
        "FROM utterances_fts JOIN utterances u ON u.rowid = utterances_fts.rowid "
        "JOIN media m ON m.id = u.media_id WHERE utterances_fts MATCH ?"
    )
    params: list[object] = [match]
    if media:
        sql += " AND (m.title = ? OR m.path = ? OR m.id = ?)"
        params += [media, media, media]
    sql += " ORDER BY rank, u.media_id, u.seq LIMIT ?"
    params.append(max(1, min(int(limit), 10_000)))
    try:
        rows = con.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        raise QueryError(f"cannot search for {query[:60]!r}: {exc}",
                         hint="drop --raw to search the words as typed") from None
    return [
        Hit(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[9], r[7], r[8], r[10])
        for r in rows
    ]


def count(con: sqlite3.Connection) -> int:
    return con.execute("SELECT count(*) FROM utterances").fetchone()[0]


def media_ids(con: sqlite3.Connection) -> Iterable[str]:
    return [r[0] for r in con.execute("SELECT id FROM media ORDER BY path")]
