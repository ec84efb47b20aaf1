"""The strong-language lexicon: word lists read at run time from registry packages, severity tiers laid
over them (tiers.toml, then a user file in the same format), and the matcher over transcript words.

Sources (read from the installed packages' files, never copied here):

- ``better-profanity`` (MIT): ``better_profanity/profanity_wordlist.txt``, English;
- ``expletives`` (Apache-2.0): its bundled LDNOOBW lists (CC-BY 4.0, https://github.com/LDNOOBW) for
  English (``ldnoobw-en``) and Chinese (``ldnoobw-zh``), and George Carlin's seven words.

Matching rules:

- English is matched per word: the word is lower-cased, stripped of surrounding punctuation and of a
  contraction's tail (he'll -> he), hyphens dropped (mother-fucker -> motherfucker, then each part).
  A term also matches its forms (-s, -es, -ed, -ing, -in', -er, -ers, -y, -ies, with a doubled last
  consonant or a dropped final e); roots listed as ``compound`` match inside longer words
  (clusterfuck, dipshit). Nothing else matches inside a word, so "Scunthorpe", "assess" and "class" are
  never hits; ``ordinary`` words (cumin, cocky, dicker) are never hits either. Multi-word terms match
  consecutive words, longest first.
- Chinese is matched on characters: each character folded as the quote index folds it (case, then
  Traditional -> Simplified with OpenCC: 雞巴 is 鸡巴), punctuation skipped, words joined; the longest,
  then strongest, term wins where matches overlap; a match inside a longer ``ordinary`` word (你妈 in
  你妈妈) is not a hit. A match covers whole words for its times.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import FormatError, SubpipeError, UsageError
from ..model import Word
from ..text import fold_case, fold_chinese

SEVERITIES = ("mild", "medium", "strong")  # weakest first
DEFAULT_TIER = "mild"  # a loaded term that no tier names

# language -> (distribution, file inside it) read at run time
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (("better-profanity", "better_profanity/profanity_wordlist.txt"),
           ("expletives", "expletives/data/sources/ldnoobw-en.txt"),
           ("expletives", "expletives/data/sources/seven-dirty-words.txt")),
    "zh": (("expletives", "expletives/data/sources/ldnoobw-zh.txt"),),
}
# a transcript's language code -> the lexicon that checks it (Cantonese terms are in the Chinese list)
LEXICON_FOR = {"en": "en", "zh": "zh", "yue": "zh", "cmn": "zh"}

_EN_TERM = re.compile(r"^[a-z][a-z' -]*[a-z]$")
_CONTRACTIONS = frozenset({"s", "ll", "re", "ve", "d", "t", "m"})
_SUFFIXES = ("s", "ed", "ing", "er", "ers", "y", "ies")
# what may follow a compound root inside a word: an inflection, or nothing (the root ends the word)
_COMPOUND_TAILS = ("", "s", "ed", "er", "ers", "y", "ty", "ting", "ted", "ter", "ters", "tin", "in", "ing")


def severity_rank(severity: str) -> int:
    """0 for mild, 1 medium, 2 strong; a UsageError for anything else."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise UsageError(f"unknown severity {severity!r}", hint="use " + ", ".join(SEVERITIES)) from None


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # the term as matched (normalised: "fuck", "piece of shit", "他妈的")
    language: str  # the lexicon: "en" or "zh"
    severity: str
    source: str  # where it came from: "better-profanity", "expletives:ldnoobw-en", "tiers", "user"
    tiered: bool = False  # a tier (tiers.toml or the user file) names it; else DEFAULT_TIER


@dataclass(frozen=True, slots=True)
class Match:
    """One term found in a run of words: ``first``..``last`` index the words given to :func:`find`;
    ``parts`` says which characters of which words it covers, as (word index, start, end)."""

    first: int
    last: int
    term: Term
    said: str  # the words (or characters) as said
    parts: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class Lexicon:
    terms: dict[str, dict[str, Term]]  # lexicon language -> normalised term -> Term
    ordinary: dict[str, frozenset[str]]
    compound: dict[str, frozenset[str]]
    sources: tuple[str, ...]  # "better-profanity 0.7.0 better_profanity/profanity_wordlist.txt: 905 lines"
    notes: tuple[str, ...] = ()
    _forms: dict[str, Term] = field(default_factory=dict, repr=False, compare=False)
    _phrases: dict[tuple[str, ...], Term] = field(default_factory=dict, repr=False, compare=False)
    _tier_forms: dict[str, Term] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        en = self.terms.get("en", {})
        for key, term in sorted(en.items(), key=lambda kv: (" " in kv[0], kv[0])):
            if " " in key:
                *head, last = key.split()
                for form in {last} | _forms(last):
                    self._phrases.setdefault((*head, form), term)
        for key, term in en.items():  # the terms themselves first: "fucker" is its own term, not a form
            if " " not in key:
                self._forms[key] = term
        for key, term in sorted(en.items()):
            if " " not in key and term.tiered:  # a list's own entries match as written
                for form in _forms(key):
                    self._forms.setdefault(form, term)
                    if term.tiered:  # a list's own "cunts" (untiered) still reads as "cunt"'s plural
                        old = self._tier_forms.get(form)
                        if old is None or severity_rank(term.severity) > severity_rank(old.severity):
                            self._tier_forms[form] = term

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.terms))

    def describe(self) -> dict[str, Any]:
        """What the lexicon is made of, for a report's provenance."""
        return {"sources": list(self.sources), "terms": {k: len(v) for k, v in self.terms.items()},
                "default_tier": DEFAULT_TIER, "notes": list(self.notes)}


def _forms(term: str) -> set[str]:
    """A tiered term's spoken forms: plural, -ed, -ing, -er(s), -y, with a doubled consonant or a dropped e."""
    if term.endswith("s"):  # already a plural or a verb form: "asses" + "s" would be "assess"
        return set()
    if term.endswith("c"):  # spic + es/ed/y is spices, spiced, spicy: a c before e, i, y is another sound
        return {term + "s"}
    out = {term + s for s in _SUFFIXES}
    if term.endswith(("s", "x", "z", "ch", "sh")):
        out |= {term + "es"}  # bitches
    if len(term) >= 3 and term[-1] not in "aeiouwxy" and term[-2] in "aeiou" and term[-3] not in "aeiou":
        # shitting, shitty (not -er: titter, potter)
        out |= {term + term[-1] + s for s in ("ing", "in", "ed", "y", "ies")}
    if term.endswith("e"):
        out |= {term[:-1] + s for s in ("ing", "in", "er", "ers", "y")} | {term + "d"}
    if term.endswith("y"):
        out |= {term[:-1] + "ies", term[:-1] + "ied"}
    return out


def en_key(text: str) -> str:
    """An English word as the matcher sees it: lower case, no surrounding punctuation, no contraction tail."""
    w = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    w = re.sub(r"^[^a-z0-9]+|[^a-z0-9]+$", "", w)
    if "'" in w:
        head, tail = w.split("'", 1)
        w = head if tail in _CONTRACTIONS else w.replace("'", "")
    return w


def _norm_en(term: str) -> str:
    t = unicodedata.normalize("NFKC", term).strip().lower().replace("\u2019", "'")
    return " ".join(t.replace("-", "").split()) if _EN_TERM.match(t) else ""


def _fold_char(c: str) -> str:
    f = fold_chinese(fold_case(c))
    return f if len(f) == 1 else c


def _norm_zh(term: str) -> str:
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFKC", term).strip() if c.isalnum())


_NORM = {"en": _norm_en, "zh": _norm_zh}


def _read_source(dist: str, rel: str) -> tuple[list[str], str]:
    try:
        d = distribution(dist)
    except PackageNotFoundError:
        raise SubpipeError(f"the word-list package {dist} is not installed",
                           hint=f"pip install {dist} (a dependency of subpipe)") from None
    path = Path(str(d.locate_file(rel)))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SubpipeError(f"cannot read the word list {rel} of {dist} {d.version} ({exc})", path=path) from None
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")], d.version


def read_tiers(path: Path | None = None) -> dict[str, dict[str, list[str]]]:
    """A tier file (TOML: ``[en]``/``[zh]`` tables of strong, medium, mild, remove, ordinary, compound);
    without ``path``, the committed tiers.toml."""
    try:
        if path is None:
            data = tomllib.loads(files("subpipe.language").joinpath("tiers.toml").read_text(encoding="utf-8"))
        else:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("no such lexicon file", path=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"not a TOML lexicon file ({exc})", path=path,
                          hint="tables [en] and [zh] with lists strong, medium, mild, remove, ordinary") from None
    keys = {*SEVERITIES, "remove", "ordinary", "compound"}
    out: dict[str, dict[str, list[str]]] = {}
    for lang, table in data.items():
        if lang not in SOURCES or not isinstance(table, dict):
            raise FormatError(f"unknown lexicon table [{lang}]", path=path, hint="use [en] or [zh]")
        bad = set(table) - keys
        if bad or not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in table.values()):
            raise FormatError(f"[{lang}]: lists of strings named {', '.join(sorted(keys))} only"
                              + (f" (not {', '.join(sorted(bad))})" if bad else ""), path=path)
        out[lang] = {k: list(v) for k, v in table.items()}
    return out


def load_lexicon(user: Path | str | None = None) -> Lexicon:
    """The registry lists with the committed tiers and, when given, a user file laid over them."""
    if user is None:
        return _load(None, None)
    p = Path(user)
    return _load(str(p.resolve()), p.stat().st_mtime_ns if p.exists() else None)


@lru_cache(maxsize=8)
def _load(user: str | None, _mtime: int | None) -> Lexicon:
    layers = [("tiers", read_tiers())] + ([("user", read_tiers(Path(user)))] if user else [])
    terms: dict[str, dict[str, Term]] = {}
    ordinary: dict[str, set[str]] = {}
    compound: dict[str, set[str]] = {}
    sources: list[str] = []
    notes: list[str] = []
    for lang, srcs in SOURCES.items():
        norm = _NORM[lang]
        named = {norm(t) for _, layer in layers for k in SEVERITIES for t in layer.get(lang, {}).get(k, ())}
        table: dict[str, Term] = {}
        unusable = unnamed = 0
        for dist, rel in srcs:
            lines, ver = _read_source(dist, rel)
            sources.append(f"{dist} {ver} {rel}: {len(lines)} entries")
            src = dist if dist != "expletives" else f"expletives:{Path(rel).stem}"
            for line in lines:
                key = norm(line)
                if not key:
                    unusable += 1  # spellings for text filters (sh!t, f_u_c_k), digits, emoji
                elif key not in named and ((lang == "en" and " " in key) or (lang == "zh" and len(key) == 1)):
                    unnamed += 1
                else:
                    table.setdefault(key, Term(key, lang, DEFAULT_TIER, src))
        if unusable:
            notes.append(f"{lang}: {unusable} list entries are not spoken words (symbols, digits) and are not used")
        if unnamed:
            notes.append(f"{lang}: {unnamed} multi-word or one-character list entries no tier names are not used")
        ordinary[lang], compound[lang] = set(), set()
        for origin, layer in layers:
            spec = layer.get(lang, {})
            for sev in SEVERITIES:
                for t in spec.get(sev, ()):
                    key = norm(t)
                    if key:
                        old = table.get(key)
                        table[key] = Term(key, lang, sev, old.source if old else origin, tiered=True)
            for t in spec.get("remove", ()):
                table.pop(norm(t), None)
            ordinary[lang] |= {k for k in map(norm, spec.get("ordinary", ())) if k}
            compound[lang] |= {k for k in map(norm, spec.get("compound", ())) if k}
        for k in ordinary[lang]:
            table.pop(k, None)
        terms[lang] = table
    return Lexicon(terms=terms, ordinary={k: frozenset(v) for k, v in ordinary.items()},
                   compound={k: frozenset(v) for k, v in compound.items()}, sources=tuple(sources),
                   notes=tuple(notes))


# ---------------------------------------------------------------- matching
def lexicon_language(language: str | None) -> str | None:
    """Which lexicon checks a language code ("en-US" -> "en", "yue" -> "zh"); None when there is none."""
    if not language:
        return None
    return LEXICON_FOR.get(language.lower().replace("_", "-").split("-")[0])


def find(lexicon: Lexicon, words: Sequence[Word], language: str) -> list[Match]:
    """The terms said in ``words`` (one utterance), in order, with the lexicon for ``language`` ("en", "zh")."""
    if language == "zh":
        return _find_zh(lexicon, words)
    if language == "en":
        return _find_en(lexicon, words)
    raise UsageError(f"no lexicon for language {language!r}", hint="lexicons: " + ", ".join(lexicon.languages))


def family(lexicon: Lexicon, term: Term) -> str:
    """The word a term counts under in a report's per-term summary: the compound root it holds (fucking,
    motherfucker and clusterfuck count as "fuck", as a ratings board counts them), else the tiered term it is a
    form of (cunts: "cunt"), else itself."""
    if term.language != "en":
        return term.text
    roots = [r for r in lexicon.compound.get("en", ()) if _compounds(term.text.replace(" ", ""), r)]
    if roots:
        return max(roots, key=len)
    base = lexicon._tier_forms.get(term.text)
    return base.text if base is not None else term.text


def lookup_en(lexicon: Lexicon, key: str) -> Term | None:
    """The term one English word (as :func:`en_key` gives it) is a form of, or None."""
    ordinary = lexicon.ordinary.get("en", frozenset())
    if not key or key in ordinary or key.replace("-", "") in ordinary:
        return None
    cand = key.replace("-", "")
    found = [lexicon._forms[cand]] if cand in lexicon._forms else []
    if cand in lexicon._tier_forms:
        found.append(lexicon._tier_forms[cand])
    found += [lexicon.terms["en"][root] for root in lexicon.compound.get("en", ())
              if root in lexicon.terms["en"] and _compounds(cand, root)]
    if found:  # the strongest reading: "shitty" (a list's own term, mild by default) is a form of "shit"
        return max(found, key=lambda t: (severity_rank(t.severity), t is found[0]))
    if "-" in key:
        found = [t for t in (lookup_en(lexicon, p) for p in key.split("-")) if t is not None]
        if found:
            return max(found, key=lambda t: severity_rank(t.severity))
    return None


def _compounds(word: str, root: str) -> bool:
    """Whether ``root`` is part of ``word`` as a compound: the word starts with it, or ends with it (plus an
    inflection), or it is followed by -ing/-in (unfuckingbelievable); not inside a name (Matsushita)."""
    at = word.find(root)
    while at >= 0:
        tail = word[at + len(root):]
        if at == 0 or tail in _COMPOUND_TAILS or tail.startswith(("ing", "in")):
            return True
        at = word.find(root, at + 1)
    return False


def _find_en(lexicon: Lexicon, words: Sequence[Word]) -> list[Match]:
    keys = [en_key(w.text) for w in words]
    longest = max((len(k) for k in lexicon._phrases), default=1)
    ordinary = lexicon.ordinary.get("en", frozenset())
    out: list[Match] = []
    i = 0
    while i < len(words):
        hit: tuple[int, Term] | None = None
        for n in range(min(longest, len(words) - i), 1, -1):
            tup = tuple(keys[i:i + n])
            term = lexicon._phrases.get(tup)
            if term is not None and " ".join(tup) not in ordinary:
                hit = (n, term)
                break
        if hit is None:
            term = lookup_en(lexicon, keys[i])
            hit = (1, term) if term is not None else None
        if hit is None:
            i += 1
            continue
        n, term = hit
        span = words[i:i + n]
        out.append(Match(i, i + n - 1, term, " ".join(w.text.strip() for w in span),
                         tuple((i + k, *_core(w.text)) for k, w in enumerate(span))))
        i += n
    return out


def _core(text: str) -> tuple[int, int]:
    """Where a word's letters start and end (its punctuation outside)."""
    idx = [j for j, c in enumerate(text) if c.isalnum()]
    return (idx[0], idx[-1] + 1) if idx else (0, len(text))


def _find_zh(lexicon: Lexicon, words: Sequence[Word]) -> list[Match]:
    chars: list[tuple[str, int, int]] = []  # (folded char, word index, char index in the word)
    for k, w in enumerate(words):
        for j, c in enumerate(w.text):
            if c.isalnum():
                chars.append((_fold_char(c), k, j))
    text = "".join(c for c, _, _ in chars)
    cands: list[tuple[int, int, Term]] = []
    for key, term in lexicon.terms.get("zh", {}).items():
        start = text.find(key)
        while start >= 0:
            cands.append((start, start + len(key), term))
            start = text.find(key, start + 1)
    if not cands:
        return []
    shelter: list[tuple[int, int]] = []
    for key in lexicon.ordinary.get("zh", ()):
        start = text.find(key)
        while start >= 0:
            shelter.append((start, start + len(key)))
            start = text.find(key, start + 1)
    cands = [c for c in cands if not any(a <= c[0] and c[1] <= b and b - a > c[1] - c[0] for a, b in shelter)]
    cands.sort(key=lambda c: (c[0] - c[1], -severity_rank(c[2].severity), c[0]))
    taken: list[tuple[int, int, Term]] = []
    for cand in cands:
        if all(cand[1] <= t[0] or t[1] <= cand[0] for t in taken):
            taken.append(cand)
    out = []
    for s, e, term in sorted(taken, key=lambda c: c[0]):
        span = chars[s:e]
        parts: dict[int, list[int]] = {}
        for _, k, j in span:
            parts.setdefault(k, []).append(j)
        said = "".join(words[k].text[j] for _, k, j in span)
        out.append(Match(span[0][1], span[-1][1], term, said,
                         tuple((k, min(js), max(js) + 1) for k, js in sorted(parts.items()))))
    return out


def text_has(lexicon: Lexicon, text: str, language: str | None, *, severity: str = "strong") -> bool:
    """Whether a line of text holds a term at ``severity`` or above (the quote index's ``--clean``); the
    language picks the lexicon as for transcripts (unknown: Chinese when mostly Han characters, else English)."""
    from ..text import guess_cjk_language

    lex = lexicon_language(language) or ("zh" if guess_cjk_language(text) == "zh" else "en")
    if lex not in lexicon.terms:
        return False
    words = [Word(w, 0, 0) for w in text.split()]
    floor = severity_rank(severity)
    return any(severity_rank(m.term.severity) >= floor for m in find(lexicon, words, lex))
