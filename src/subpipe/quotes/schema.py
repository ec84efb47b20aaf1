"""The quote index's SQLite schema: tables, triggers, connections (read-only too) and migrations
through ``PRAGMA user_version`` (v1 -> v2 -> v3 in place; a changed folding rule re-folds the rows)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..errors import QuoteIndexError
from ..text import fold_signature
from ..timecode import ms_to_frames
from .folding import frame_rate, fts_text, tri_text

log = logging.getLogger("subpipe")


SCHEMA_VERSION = 3
DEFAULT_DB = Path("outputs") / "quotes.db"  # the index the commands use when no --db is given
MODES = ("auto", "words", "substring")
TRIGRAM_MIN_SQLITE = (3, 34, 0)

_V1 = """
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
"""

_V2_BEFORE = """
ALTER TABLE media ADD COLUMN sha256 TEXT;
UPDATE media SET sha256 = id;
CREATE INDEX media_path ON media(path);
ALTER TABLE utterances ADD COLUMN start_frame INTEGER;
ALTER TABLE utterances ADD COLUMN end_frame INTEGER;
-- the text with every CJK character spaced out, for the word index; NULL when it equals text
ALTER TABLE utterances ADD COLUMN fts_text TEXT;
DROP TRIGGER utterances_ai;
DROP TRIGGER utterances_ad;
DROP TRIGGER utterances_au;
DROP TABLE utterances_fts;
"""

_V2_AFTER = """
CREATE VIEW utterances_words AS SELECT rowid, coalesce(fts_text, text) AS text FROM utterances;
CREATE VIRTUAL TABLE utterances_fts USING fts5(
    text, content='utterances_words', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2',
    prefix='2 3'
);
CREATE VIRTUAL TABLE utterances_tri USING fts5(
    text, content='utterances', content_rowid='rowid', tokenize='trigram'
);
CREATE TRIGGER utterances_ai AFTER INSERT ON utterances BEGIN
    INSERT INTO utterances_fts(rowid, text) VALUES (new.rowid, coalesce(new.fts_text, new.text));
    INSERT INTO utterances_tri(rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER utterances_ad AFTER DELETE ON utterances BEGIN
    INSERT INTO utterances_fts(utterances_fts, rowid, text)
        VALUES ('delete', old.rowid, coalesce(old.fts_text, old.text));
    INSERT INTO utterances_tri(utterances_tri, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER utterances_au AFTER UPDATE OF text, fts_text ON utterances BEGIN
    INSERT INTO utterances_fts(utterances_fts, rowid, text)
        VALUES ('delete', old.rowid, coalesce(old.fts_text, old.text));
    INSERT INTO utterances_tri(utterances_tri, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO utterances_fts(rowid, text) VALUES (new.rowid, coalesce(new.fts_text, new.text));
    INSERT INTO utterances_tri(rowid, text) VALUES (new.rowid, new.text);
END;
INSERT INTO utterances_fts(utterances_fts) VALUES ('rebuild');
INSERT INTO utterances_tri(utterances_tri) VALUES ('rebuild');
"""


def _statements(script: str) -> list[str]:
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


def _v2_fill(con: sqlite3.Connection) -> None:
    """Frames at each media's frame rate and the CJK-spaced text, for rows a v1 index already holds."""
    rates = {mid: frame_rate(fps) for mid, fps in con.execute("SELECT id, fps FROM media")}
    rows = con.execute("SELECT rowid, media_id, start_ms, end_ms, text FROM utterances").fetchall()
    default = frame_rate(None)
    con.executemany(
        "UPDATE utterances SET start_frame = ?, end_frame = ?, fts_text = ? WHERE rowid = ?",
        [(ms_to_frames(s, rates.get(m, default)), ms_to_frames(e, rates.get(m, default)), fts_text(t), rid)
         for rid, m, s, e, t in rows],
    )


# v3: Traditional Chinese folded to Simplified in both indexes (fts_text, and tri_text for the trigram
# index, which now reads a view), and a meta table that records the folding rule the rows were built with.
_V3_BEFORE = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- the text with Traditional Chinese folded to Simplified, for the trigram index; NULL when it equals text
ALTER TABLE utterances ADD COLUMN tri_text TEXT;
DROP TRIGGER utterances_ai;
DROP TRIGGER utterances_ad;
DROP TRIGGER utterances_au;
DROP TABLE utterances_tri;
"""

_V3_AFTER = """
CREATE VIEW utterances_chars AS SELECT rowid, coalesce(tri_text, text) AS text FROM utterances;
CREATE VIRTUAL TABLE utterances_tri USING fts5(
    text, content='utterances_chars', content_rowid='rowid', tokenize='trigram'
);
CREATE TRIGGER utterances_ai AFTER INSERT ON utterances BEGIN
    INSERT INTO utterances_fts(rowid, text) VALUES (new.rowid, coalesce(new.fts_text, new.text));
    INSERT INTO utterances_tri(rowid, text) VALUES (new.rowid, coalesce(new.tri_text, new.text));
END;
CREATE TRIGGER utterances_ad AFTER DELETE ON utterances BEGIN
    INSERT INTO utterances_fts(utterances_fts, rowid, text)
        VALUES ('delete', old.rowid, coalesce(old.fts_text, old.text));
    INSERT INTO utterances_tri(utterances_tri, rowid, text)
        VALUES ('delete', old.rowid, coalesce(old.tri_text, old.text));
END;
CREATE TRIGGER utterances_au AFTER UPDATE OF text, fts_text, tri_text ON utterances BEGIN
    INSERT INTO utterances_fts(utterances_fts, rowid, text)
        VALUES ('delete', old.rowid, coalesce(old.fts_text, old.text));
    INSERT INTO utterances_tri(utterances_tri, rowid, text)
        VALUES ('delete', old.rowid, coalesce(old.tri_text, old.text));
    INSERT INTO utterances_fts(rowid, text) VALUES (new.rowid, coalesce(new.fts_text, new.text));
    INSERT INTO utterances_tri(rowid, text) VALUES (new.rowid, coalesce(new.tri_text, new.text));
END;
INSERT INTO utterances_fts(utterances_fts) VALUES ('rebuild');
INSERT INTO utterances_tri(utterances_tri) VALUES ('rebuild');
"""


def _refold(con: sqlite3.Connection) -> None:
    """Fold every row's indexed text again with this subpipe's rule (and OpenCC's tables), rebuild both
    full-text indexes, and record the rule. Rows without CJK are untouched (their folded forms are NULL)."""
    rows = con.execute("SELECT rowid, text, fts_text, tri_text FROM utterances").fetchall()
    changed = []
    for rid, text, old_fts, old_tri in rows:
        new = (fts_text(text), tri_text(text))
        if new != (old_fts, old_tri):
            changed.append((*new, rid))
    if changed:
        log.info("quote index: re-folding %d utterances (Chinese folding changed)", len(changed))
        # the triggers keep both indexes in step, row by row
        con.executemany("UPDATE utterances SET fts_text = ?, tri_text = ? WHERE rowid = ?", changed)
    con.execute("INSERT INTO meta(key, value) VALUES ('fold', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (fold_signature(),))


def _v3_fill(con: sqlite3.Connection) -> None:
    """Folded text for the rows a v2 index holds (no triggers at this point; both indexes are rebuilt after)."""
    rows = con.execute("SELECT rowid, text FROM utterances").fetchall()
    con.executemany("UPDATE utterances SET fts_text = ?, tri_text = ? WHERE rowid = ?",
                    [(fts_text(t), tri_text(t), rid) for rid, t in rows])
    con.execute("INSERT INTO meta(key, value) VALUES ('fold', ?)", (fold_signature(),))


def ensure_folded(con: sqlite3.Connection) -> None:
    """Re-fold the index when it was built with another Chinese folding rule (another OpenCC version)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'fold'").fetchone()
    if row is not None and row[0] == fold_signature():
        return
    with con:
        _refold(con)


_MIGRATIONS: dict[int, tuple[str | Callable[[sqlite3.Connection], None], ...]] = {
    1: (_V1,),
    2: (_V2_BEFORE, _v2_fill, _V2_AFTER),
    3: (_V3_BEFORE, _v3_fill, _V3_AFTER),
}


def check_sqlite() -> None:
    if sqlite3.sqlite_version_info < TRIGRAM_MIN_SQLITE:
        raise QuoteIndexError(
            f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer (needs 3.34 or newer)",
            hint="use a Python built against a newer SQLite",
        )


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating or upgrading) the quote index at ``path``.

    ``readonly``: open an existing index for searching only (``mode=ro``; no WAL switch, no migration, no
    file created), so an index on read-only storage, or one another process owns, can be searched. An
    index older than this subpipe is then searched as it is if it can be, else an error says to upgrade it.
    """
    path = Path(path)
    check_sqlite()
    if readonly:
        return _connect_readonly(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=30, check_same_thread=False)
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        # FTS5 walks the doclists of common words for phrases and prefixes: keep them in memory
        # (64 MiB page cache, the file memory-mapped) rather than re-reading pages (bench/results/quotes.md)
        con.execute("PRAGMA cache_size = -65536")
        con.execute("PRAGMA mmap_size = 1073741824")
        migrate(con)
        ensure_folded(con)
    except sqlite3.DatabaseError as exc:
        raise QuoteIndexError(f"cannot open the quote index ({exc})", path=path, hint=_db_hint(exc)) from exc
    except OSError as exc:
        raise QuoteIndexError(f"cannot create the quote index ({exc.strerror})", path=path) from exc
    con.row_factory = sqlite3.Row
    return con


def _db_hint(exc: BaseException) -> str:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return "the index is on read-only storage: search it with `subpipe quotes search` / `serve` (they only read)"
    if "locked" in text or "busy" in text:
        return "another subpipe process is writing the index: wait for it, or use another --db"
    if "full" in text:
        return "the disk is full: free some space and run again"
    if "not a database" in text or "malformed" in text:
        return "the file is not a quote index (or is damaged): rebuild it with `subpipe quotes add`"
    return "check the file and its folder, or use another --db"


def _connect_readonly(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise QuoteIndexError("no quote index here", path=path,
                              hint="run `subpipe run` or `subpipe quotes add` first, or give --db")
    from urllib.parse import quote

    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
        con.execute("PRAGMA query_only = ON")
        con.execute("PRAGMA cache_size = -65536")
        version = schema_version(con)
    except sqlite3.DatabaseError as exc:
        if "unable to open" in str(exc).lower() and path.is_file():  # a WAL index whose folder we cannot write
            try:
                con = sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)
                con.execute("PRAGMA query_only = ON")
                version = schema_version(con)
            except sqlite3.DatabaseError as exc2:
                raise QuoteIndexError(f"cannot open the quote index ({exc2})", path=path,
                                      hint=_db_hint(exc2)) from exc2
        else:
            raise QuoteIndexError(f"cannot open the quote index ({exc})", path=path, hint=_db_hint(exc)) from exc
    if version > SCHEMA_VERSION:
        con.close()
        raise QuoteIndexError(f"quote index schema {version} is newer than this subpipe ({SCHEMA_VERSION})",
                              path=path)
    if version < SCHEMA_VERSION:
        con.close()
        raise QuoteIndexError(f"quote index schema {version} is older than this subpipe ({SCHEMA_VERSION}) and "
                              f"it was opened read-only", path=path,
                              hint="upgrade it once with write access: `subpipe quotes add` or `subpipe run`")
    con.row_factory = sqlite3.Row
    return con


def schema_version(con: sqlite3.Connection) -> int:
    return con.execute("PRAGMA user_version").fetchone()[0]


def migrate(con: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> None:
    """Bring the schema up to ``target``, one version per transaction."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise QuoteIndexError(f"quote index schema {current} is newer than this subpipe ({SCHEMA_VERSION})")
    for version in range(current + 1, target + 1):
        if con.in_transaction:
            con.commit()
        con.execute("BEGIN")
        try:
            for step in _MIGRATIONS[version]:
                if callable(step):
                    step(con)
                else:
                    for stmt in _statements(step):
                        con.execute(stmt)
            con.execute(f"PRAGMA user_version = {version}")
            con.commit()
        except BaseException:
            con.rollback()
            raise
