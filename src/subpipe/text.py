"""One place for the text rules every stage shares: which characters are written without spaces (CJK),
and how text is normalised before it is compared.

Script classes (one set of ranges for the whole package):

- ``HAN``: CJK ideographs (unified, extension A, compatibility, extensions B-G), radicals, 々 and 〇;
- ``KANA``: hiragana, katakana (with the phonetic extensions and the half-width forms);
- ``BOPOMOFO``; ``HANGUL`` (Korean is written with spaces between words, so it is not *unspaced*);
- ``UNSPACED`` = HAN + KANA + BOPOMOFO: scripts whose words are not separated by spaces, so each
  character is a token for matching and searching.
- ``CHARWISE`` = UNSPACED + HANGUL: what the aligner compares character by character (see there why
  Hangul is in it).

Normalisers, named by what they are for (they differ on purpose):

- :func:`normalise_for_matching`: NFKC, lower case, punctuation and symbols to spaces, spaces collapsed;
  for comparing two lines (the hallucination guards).
- :func:`tokens_for_alignment`: :func:`normalise_for_matching` plus the aligner's own steps (5,000 ->
  5000, apostrophes dropped, % and & spelled out, CHARWISE characters one token each); for pairing the
  words of a script with the words heard.
- :func:`tokens_for_layout`: not a normaliser: a line cut into words with every character kept (the QC
  fixer re-breaks cues without changing their text), unspaced scripts a character at a time.
- :func:`fold_for_search`: diacritics removed and case folded exactly as SQLite FTS5's
  ``unicode61 remove_diacritics 2`` does, then Traditional Chinese folded to Simplified
  (:func:`fold_chinese`); for the quote index and its queries, so that 广州 finds 廣州.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache

# The one sentence-end set: utterances end on it, line breaking prefers breaks after it, the timecoded transcript
# starts a paragraph after it; closing quotes and brackets after the mark do not hide it.
SENTENCE_END = (".", "?", "!", "\u2026", "\u3002", "\uff1f", "\uff01")  # . ? ! … 。 ？ ！
CLOSERS = "\"'\u201d\u2019)]\u00bb\u300d\u300f"  # " ' ” ’ ) ] » 」 』

HAN = ("\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
       "\U00020000-\U0003134f")
KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
BOPOMOFO = "\u3100-\u312f\u31a0-\u31bf"
HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
UNSPACED = HAN + KANA + BOPOMOFO
# The aligner's variant: Hangul too. Korean is written with spaces, but where a script and Whisper put
# them disagrees often (spacing between a noun and its particle, compounds), so the aligner pairs Korean
# syllable by syllable, as it does Chinese and Japanese characters. Only the aligner uses this.
CHARWISE = UNSPACED + HANGUL

_HAN = re.compile(f"[{HAN}]")
_KANA = re.compile(f"[{KANA}]")
_HANGUL = re.compile(f"[{HANGUL}]")
_UNSPACED = re.compile(f"[{UNSPACED}]")
_UNSPACED_CHAR = re.compile(f"([{UNSPACED}])")
_CHARWISE = re.compile(f"[{CHARWISE}]")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


# ---------------------------------------------------------------- script classes
def is_unspaced(ch: str) -> bool:
    """Whether ``ch`` belongs to a script written without spaces between words (Chinese, Japanese)."""
    return bool(_UNSPACED.fullmatch(ch))


def has_unspaced(text: str) -> bool:
    return _UNSPACED.search(text) is not None


def has_charwise(text: str) -> bool:
    """Whether ``text`` holds a character the aligner compares on its own (CJK or Hangul)."""
    return _CHARWISE.search(text) is not None


def space_unspaced(text: str) -> str:
    """Every Chinese/Japanese character as a word of its own (surrounded by spaces)."""
    return _UNSPACED_CHAR.sub(r" \1 ", text)


def script_of(ch: str) -> str:
    """'han', 'kana', 'bopomofo', 'hangul' or 'other' for one character."""
    if _HAN.fullmatch(ch):
        return "han"
    if _KANA.fullmatch(ch):
        return "kana"
    if _HANGUL.fullmatch(ch):
        return "hangul"
    if _UNSPACED.fullmatch(ch):
        return "bopomofo"
    return "other"


def guess_cjk_language(text: str) -> str | None:
    """'zh', 'ja' or 'ko' when most letters are CJK (kana present: Japanese; Hangul: Korean); else None."""
    letters = [c for c in text if not c.isspace() and unicodedata.category(c)[0] in "LN"]
    if not letters:
        return None
    kinds = [script_of(c) for c in letters]
    cjk = sum(1 for k in kinds if k != "other")
    if cjk * 2 < len(letters):
        return None
    if "kana" in kinds:
        return "ja"
    if kinds.count("hangul") * 2 >= cjk:
        return "ko"
    return "zh"


# ---------------------------------------------------------------- normalisers
def normalise_for_matching(text: str) -> str:
    """Lower case, NFKC, punctuation and symbols to spaces, spaces collapsed: for comparing lines."""
    t = unicodedata.normalize("NFKC", text).lower().replace("_", " ")
    return " ".join(_NON_WORD.sub(" ", t).split())


_THOUSANDS = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")


def tokens_for_alignment(word: str) -> list[str]:
    """Comparable pieces of a written word, for the aligner: lower-case letters and digits, no punctuation.

    On top of :func:`normalise_for_matching`: digit group separators go (5,000 -> 5000), apostrophes are
    dropped rather than split on (I'm -> im, as Whisper writes it either way), % and & are spelled out
    (Whisper writes "percent"/"and" as often as the sign), and CHARWISE characters are one token each.
    """
    w = unicodedata.normalize("NFKC", word).lower()
    w = _THOUSANDS.sub("", w)
    w = w.replace("\u2019", "'").replace("'", "")
    w = w.replace("%", " percent ").replace("&", " and ")
    toks: list[str] = []
    for piece in normalise_for_matching(w).split():
        if has_charwise(piece):
            toks += list(piece)
        else:
            toks.append(piece)
    return toks


_LAYOUT_PIECE = re.compile(r"[A-Za-z0-9]+|.")


def tokens_for_layout(line: str, unspaced: bool) -> list[tuple[str, bool]]:
    """Words of a line with whether a space precedes each, every character kept (joined back with the
    spaces they give the line's text). With ``unspaced``, a chunk holding Chinese/Japanese is cut into
    characters (runs of ASCII letters and digits stay whole); otherwise words are what spaces separate."""
    out: list[tuple[str, bool]] = []
    for chunk in line.split():
        if unspaced and has_unspaced(chunk):
            out += [(piece, k == 0) for k, piece in enumerate(_LAYOUT_PIECE.findall(chunk))]
        else:
            out.append((chunk, True))
    return out


def fold_case(text: str) -> str:
    """Case and diacritics folded, as FTS5's unicode61 tokenizer with remove_diacritics 2 sees text."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


# Traditional -> Simplified, character by character (OpenCC's t2s character table, without its phrase
# table): the same character always folds the same way, so an utterance folded whole and its words
# folded one by one agree, and so do the index and the query. Bump FOLD_VERSION when the rule changes;
# the quote index re-folds its rows when the version (or OpenCC's) differs from the one it was built with.
FOLD_VERSION = 1
_T2S: dict[str, str] = {}
_T2S_LOCK = threading.Lock()


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@cache
def fold_signature() -> str:
    """What the Chinese folding depends on: this module's rule and OpenCC's dictionaries (its version)."""
    from importlib.metadata import version

    return f"{FOLD_VERSION}:opencc-{version('opencc')}"


def fold_chinese(text: str) -> str:
    """Traditional Chinese characters in ``text`` as Simplified (廣州 -> 广州); anything else unchanged."""
    han = set(_HAN.findall(text))
    if not han:
        return text
    missing = sorted(c for c in han if c not in _T2S)
    if missing:
        with _T2S_LOCK:
            out = _converter().convert("\n".join(missing)).split("\n")
            if len(out) != len(missing):  # pragma: no cover - OpenCC keeps one line per line
                out = [_converter().convert(c) for c in missing]
            for a, b in zip(missing, out, strict=True):
                _T2S[a] = b if len(b) == 1 else a
    return "".join(_T2S.get(c, c) for c in text)


def fold_for_search(text: str) -> str:
    """The form the quote index stores and compares: case and diacritics folded, Chinese Simplified."""
    return fold_chinese(fold_case(text))
