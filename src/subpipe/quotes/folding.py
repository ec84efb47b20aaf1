"""The quote index's text columns: folded, tokenised and escaped forms of an utterance's text and of a query
(the rules themselves are in ``subpipe.text``), ids, frame rates and the words' JSON."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence

from ..errors import QueryError
from ..model import Word
from ..text import fold_chinese, fold_for_search, has_unspaced, space_unspaced
from ..timecode import FrameRate

DEFAULT_FPS = "24"  # frames are counted at 24 fps when the media's frame rate is unknown (audio)
MAX_QUERY_CHARS = 1000

log = logging.getLogger("subpipe")


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
