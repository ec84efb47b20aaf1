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
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import QueryError, QuoteIndexError
from ..model import Cue, CueTrack, Transcript, Utterance, Word
from ..text import fold_chinese, fold_for_search, fold_signature, has_unspaced, space_unspaced
from ..timecode import FrameRate, ms_to_frames

log = logging.getLogger("subpipe")

SCHEMA_VERSION = 3
DEFAULT_DB = Path("outputs") / "quotes.db"  # the index the commands use when no --db is given
DEFAULT_FPS = "24"  # frames are counted at 24 fps when the media's frame rate is unknown (audio)
MAX_QUERY_CHARS = 1000
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


# ---------------------------------------------------------------- text helpers (rules in text.py)
_TOKEN = re.compile(r"[^\W_]+")


def spaced_cjk(text: str) -> str:
    """Every Chinese/Japanese character as a word of its own, so the word index finds any run of them."""
    return space_unspaced(text)


def fts_text(text: str) -> str | None:
    """What the word index holds for ``text`` when it differs from it: CJK spaced out, Traditional
    Chinese folded to Simplified (so 广州 and 廣州 find each other). None: the text itself."""
    return spaced_cjk(fold_chinese(text)) if has_unspaced(text) else None


def tri_text(text: str) -> str | None:
    """What the substring (trigram) index holds for ``text`` when it differs: Chinese folded."""
    folded = fold_chinese(text)
    return folded if folded != text else None


def fold(text: str) -> str:
    """Case and diacritics folded (as unicode61 with remove_diacritics 2 sees text), Chinese Simplified."""
    return fold_for_search(text)


def tokens(text: str) -> list[str]:
    """The tokens the word index holds for ``text`` (folded; CJK one character each)."""
    return _TOKEN.findall(fold(spaced_cjk(text)))


def _clean(query: str) -> str:
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long ({len(query)} characters; at most {MAX_QUERY_CHARS})",
                         hint="search for a shorter phrase")
    return "".join(ch if ch.isprintable() else " " for ch in query)


def escape_query(query: str) -> str:
    """A user's words -> an FTS5 phrase query that matches them verbatim, in order.

    Every token is quoted, so FTS5 operators (AND, OR, NEAR, *, ^, quotes) are read as plain text.
    Chinese and Japanese characters become one token each (as they are indexed).
    A trailing ``*`` on the last word keeps prefix search.
    """
    query = _clean(query)
    prefix = query.rstrip().endswith("*")
    toks = _TOKEN.findall(spaced_cjk(fold_chinese(query)))
    if not toks:
        return ""
    phrase = '"' + " ".join(toks) + '"'
    return phrase + ("*" if prefix else "")


def escape_substring(query: str) -> str:
    """A user's text -> a trigram phrase (a substring match, case folded). Empty if under 3 characters."""
    text = " ".join(fold_chinese(_clean(query)).split())
    if len(text) < 3:
        return ""
    return '"' + text.replace('"', '""') + '"'


def utterance_id(media_id: str, seq: int) -> str:
    return hashlib.sha256(f"{media_id}:{seq}".encode()).hexdigest()[:16]


def frame_rate(fps: str | None) -> FrameRate:
    """The media's frame rate for timecode, by the project's one grammar (``FrameRate.parse``): a bare
    "29.97" is non-drop here as everywhere; "29.97df" gives drop-frame labels. No rate (audio): 24.
    A rate that does not parse is an error (``add_transcript`` refuses it), never a silent 24."""
    return FrameRate.parse((fps or DEFAULT_FPS).strip() or DEFAULT_FPS)


def words_json(words: Sequence[Word]) -> str:
    rows = [[w.text, w.start_ms, w.end_ms] if w.space_before else [w.text, w.start_ms, w.end_ms, 0]
            for w in words]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def parse_words(data: str) -> tuple[Word, ...]:
    out = []
    for row in json.loads(data):
        out.append(Word(row[0], int(row[1]), int(row[2]), 1.0, bool(row[3]) if len(row) > 3 else True))
    return tuple(out)


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
) -> int:
    """Index one media file's utterances, replacing any earlier rows for it (or for its path).

    Returns the number of utterances written. ``media_id`` is normally the file's SHA-256.
    """
    fr = frame_rate(fps)  # raises FormatError for a rate that does not parse: never a silent 24
    rows = []
    for seq, u in enumerate(transcript.utterances):
        text = u.text
        rows.append((utterance_id(media_id, seq), media_id, seq, u.start_ms, u.end_ms,
                     ms_to_frames(u.start_ms, fr), ms_to_frames(u.end_ms, fr), u.speaker,
                     u.language or transcript.language, text, fts_text(text), tri_text(text),
                     words_json(u.words)))
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


# ---------------------------------------------------------------- search
@dataclass(frozen=True)
class Hit:
    """One utterance, as a search found it (or as fetched by id).

    ``start_ms``/``end_ms`` bound the whole utterance (the quote); ``in_ms``/``out_ms`` bound the words
    the query matched (the in-point to cue the media to). Fetched by id, they equal the utterance's.
    """

    id: str
    media_id: str
    media_path: str
    title: str
    start_ms: int
    end_ms: int
    text: str
    snippet: str  # the matched words in [brackets], with context
    speaker: str | None
    language: str | None
    rank: float
    in_ms: int = 0
    out_ms: int = 0
    fps: str | None = None
    seq: int = 0
    start_frame: int = 0
    end_frame: int = 0
    words: tuple[Word, ...] = field(default=(), compare=False, repr=False)
    parts: tuple[tuple[str, bool], ...] = field(default=(), compare=False, repr=False)  # snippet pieces

    @property
    def frame_rate(self) -> FrameRate:
        return frame_rate(self.fps)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "media_id": self.media_id, "media": self.media_path, "title": self.title,
            "start_ms": self.start_ms, "end_ms": self.end_ms, "in_ms": self.in_ms, "out_ms": self.out_ms,
            "start_frame": self.start_frame, "end_frame": self.end_frame, "fps": str(self.frame_rate),
            "text": self.text, "snippet": self.snippet, "speaker": self.speaker, "language": self.language,
            "rank": self.rank,
        }


_SELECT = (
    "SELECT u.id, u.media_id, m.path, m.title, u.start_ms, u.end_ms, u.text, u.speaker, u.language, "
    "m.fps, u.seq, u.start_frame, u.end_frame, u.words_json"
)


def search(
    con: sqlite3.Connection,
    query: str,
    *,
    limit: int = 20,
    media: str | None = None,
    raw: bool = False,
    mode: str = "auto",
    speaker: str | None = None,
    language: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> list[Hit]:
    """Utterances that hold ``query``, best first (BM25).

    mode ``words``: the words verbatim and in order (diacritics and case folded; ``word*`` for a prefix);
    ``substring``: the characters anywhere, inside words too (trigram index; 3 characters or more);
    ``auto``: words, then substring when the words find nothing. ``raw``: FTS5 syntax on the word index.
    Filters: media (title, path or id), speaker, language, and a time range that the utterance overlaps.
    """
    if mode not in MODES:
        raise QueryError(f"unknown search mode {mode!r}", hint="use one of: " + ", ".join(MODES))
    limit = max(1, min(int(limit), 10_000))
    filters = _filters(media, speaker, language, since_ms, until_ms)
    if raw:
        query = _clean(query)
        if not query.strip():
            return []
        return _run(con, "utterances_fts", query, filters, limit, _Locator.raw(query), query)
    if mode in ("auto", "words"):
        match = escape_query(query)
        hits = _run(con, "utterances_fts", match, filters, limit, _Locator.words(query), query) if match else []
        if hits or mode == "words":
            return hits
    match = escape_substring(query)
    if match:
        return _run(con, "utterances_tri", match, filters, limit, _Locator.substring(query), query)
    return _like(con, query, filters, limit) if mode == "substring" else []


def _filters(media, speaker, language, since_ms, until_ms) -> list[tuple[str, list[object]]]:
    out: list[tuple[str, list[object]]] = []
    if media:
        out.append(("(m.title = ? OR m.path = ? OR m.id = ?)", [media, media, media]))
    if speaker:
        out.append(("u.speaker = ?", [speaker]))
    if language:
        out.append(("u.language = ?", [language]))
    if since_ms is not None:
        out.append(("u.end_ms >= ?", [int(since_ms)]))
    if until_ms is not None:
        out.append(("u.start_ms <= ?", [int(until_ms)]))
    return out


def _run(con, table: str, match: str, filters, limit: int, locator: _Locator, query: str) -> list[Hit]:
    """The matches of one FTS5 query, best first: FTS5's own ``bm25()`` over every match, ties broken by
    media, time and position, so the order never depends on the order the media were indexed in.
    (bm25() counts every match of each phrase once per query: a very common word costs time in
    proportion to how often it occurs; bench/bench_rank.py and bench/bench_quotes.py measure it.)"""
    where = "".join(f" AND {f}" for f, _ in filters)
    fparams = [p for _, ps in filters for p in ps]
    joins = " JOIN utterances u ON u.rowid = c.rowid JOIN media m ON m.id = u.media_id" if filters else ""
    sql = (f"{_SELECT}, c.score FROM (SELECT c.rowid AS rowid, bm25({table}) AS score FROM {table} AS c"
           f"{joins} WHERE {table} MATCH ?{where}) AS c "
           "JOIN utterances u ON u.rowid = c.rowid JOIN media m ON m.id = u.media_id "
           "ORDER BY c.score, u.media_id, u.start_ms, u.seq LIMIT ?")
    try:
        rows = con.execute(sql, [match, *fparams, limit]).fetchall()
    except (sqlite3.Error, UnicodeError) as exc:
        raise QueryError(f"cannot search for {query[:60]!r}: {exc}",
                         hint="check the FTS5 syntax, or drop --raw to search the words as typed") from None
    return [_hit(r, locator) for r in rows]


def _like(con, query: str, filters, limit: int) -> list[Hit]:
    """Substrings too short for trigrams (1-2 characters): a plain scan, slow on big indexes."""
    text = " ".join(fold_chinese(_clean(query)).split())
    if not text:
        return []
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    conds = ["coalesce(u.tri_text, u.text) LIKE ? ESCAPE '\\'"] + [f for f, _ in filters]
    sql = (f"{_SELECT}, 0.0 FROM utterances u JOIN media m ON m.id = u.media_id WHERE {' AND '.join(conds)} "
           "ORDER BY u.media_id, u.seq LIMIT ?")
    rows = con.execute(sql, [pattern, *[p for _, ps in filters for p in ps], limit]).fetchall()
    return [_hit(r, _Locator.substring(query)) for r in rows]


def _hit(r, locator: _Locator | None) -> Hit:
    words = parse_words(r[13])
    span = locator.locate(words) if locator and words else None
    if span is None:
        i, j, marks = 0, len(words) - 1, set[int]()
    else:
        i, j, marks = span
    in_ms = words[i].start_ms if words else r[4]
    out_ms = words[j].end_ms if words else r[5]
    parts = _snippet_parts(words, i, j, marks) if words else ((r[6], False),)
    snippet = "".join(f"[{t}]" if hl else t for t, hl in parts)
    return Hit(
        id=r[0], media_id=r[1], media_path=r[2], title=r[3], start_ms=r[4], end_ms=r[5], text=r[6],
        snippet=snippet, speaker=r[7], language=r[8], rank=float(r[14]) if len(r) > 14 else 0.0,
        in_ms=in_ms, out_ms=out_ms, fps=r[9], seq=r[10], start_frame=r[11] or 0, end_frame=r[12] or 0,
        words=words, parts=parts,
    )


SNIPPET_CONTEXT = 10  # words shown either side of the match


def _snippet_parts(words: Sequence[Word], i: int, j: int, marks: set[int]) -> tuple[tuple[str, bool], ...]:
    lo, hi = max(0, i - SNIPPET_CONTEXT), min(len(words), j + 1 + SNIPPET_CONTEXT)
    parts: list[tuple[str, bool]] = [("…", False)] if lo > 0 else []
    for k in range(lo, hi):
        if k > lo and words[k].space_before:
            parts.append((" ", k in marks and k - 1 in marks))
        parts.append((words[k].text, k in marks))
    if hi < len(words):
        parts.append(("…", False))
    merged: list[tuple[str, bool]] = []
    for t, hl in parts:
        if merged and merged[-1][1] == hl:
            merged[-1] = (merged[-1][0] + t, hl)
        else:
            merged.append((t, hl))
    return tuple(merged)


class _Locator:
    """Finds where in an utterance's words a query matched: the in-point of the quote."""

    def __init__(self, kind: str, terms: list[str], prefix: bool = False, text: str = ""):
        self.kind, self.terms, self.prefix, self.text = kind, terms, prefix, text

    @classmethod
    def words(cls, query: str) -> _Locator:
        q = _clean(query)
        return cls("words", tokens(q), q.rstrip().endswith("*"))

    @classmethod
    def raw(cls, query: str) -> _Locator:
        ops = {"and", "or", "not", "near"}
        terms = [t for t in tokens(query) if t not in ops]
        return cls("raw", terms, True)

    @classmethod
    def substring(cls, query: str) -> _Locator:
        return cls("substring", [], False, fold(" ".join(_clean(query).split())))

    def locate(self, words: Sequence[Word]) -> tuple[int, int, set[int]] | None:
        if self.kind == "substring":
            return self._substring(words)
        flat: list[tuple[str, int]] = [(t, k) for k, w in enumerate(words) for t in tokens(w.text)]
        if not self.terms or not flat:
            return None
        if self.kind == "raw":
            hits = {k for t, k in flat if any(t == q or t.startswith(q) for q in self.terms)}
            return (min(hits), max(hits), hits) if hits else None
        n = len(self.terms)
        for s in range(len(flat) - n + 1):
            ok = all(flat[s + m][0] == self.terms[m] for m in range(n - 1))
            last = flat[s + n - 1][0]
            if ok and (last == self.terms[-1] or (self.prefix and last.startswith(self.terms[-1]))):
                i, j = flat[s][1], flat[s + n - 1][1]
                return i, j, set(range(i, j + 1))
        return None

    def _substring(self, words: Sequence[Word]) -> tuple[int, int, set[int]] | None:
        chars: list[str] = []
        owner: list[int] = []
        for k, w in enumerate(words):
            if k and w.space_before:
                chars.append(" ")
                owner.append(k)
            f = fold(w.text)
            chars.extend(f)
            owner.extend([k] * len(f))
        at = "".join(chars).find(self.text) if self.text else -1
        if at < 0:
            return None
        i, j = owner[at], owner[at + len(self.text) - 1]
        return i, j, set(range(i, j + 1))


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
