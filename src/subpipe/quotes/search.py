"""Searching the quote index: FTS5 word and trigram queries, filters, ranking, hits with snippets."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import QueryError
from ..model import Word
from ..text import fold_chinese
from ..timecode import FrameRate
from .folding import _clean, escape_query, escape_substring, fold, frame_rate, parse_words, tokens
from .schema import MODES

log = logging.getLogger("subpipe")


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
