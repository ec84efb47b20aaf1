"""The strong-language report a ratings submission or a standards team asks for: every instance with in and
out timecode, the word as said, its severity, speaker and the utterance around it, and counts per term,
per speaker and per file. Writers for CSV, JSON, Markdown and Word (.docx), chosen by the extension."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..model import Transcript, Utterance, Word
from ..text import guess_cjk_language
from ..timecode import FrameRate, ms_to_smpte
from .lexicon import SEVERITIES, Lexicon, Match, family, find, lexicon_language, severity_rank

DEFAULT_FPS = "24"


@dataclass(frozen=True, slots=True)
class Instance:
    """One term said once."""

    file: str
    text: str  # as said
    term: str  # the lexicon's term it is (a form of)
    severity: str
    language: str
    speaker: str | None
    start_ms: int
    end_ms: int
    utterance: str  # the utterance around it
    word_index: int  # the first word's index in the transcript's words
    family: str = ""  # what the per-term summary counts it under (lexicon.family: "fucking" -> "fuck")
    parts: tuple[tuple[int, int, int], ...] = field(default=(), compare=False)  # (word index, char from, to)

    def as_dict(self, fr: FrameRate) -> dict[str, Any]:
        return {"file": self.file, "text": self.text, "term": self.term, "severity": self.severity,
                "language": self.language, "speaker": self.speaker, "start_ms": self.start_ms,
                "end_ms": self.end_ms, "in": ms_to_smpte(self.start_ms, fr), "out": ms_to_smpte(self.end_ms, fr),
                "family": self.family or self.term, "utterance": self.utterance, "word_index": self.word_index}


def stretches(t: Transcript) -> Iterator[tuple[int, Sequence[Word], str | None, str | None]]:
    """(index of the first word, words, language, speaker) for each utterance; the whole transcript as one
    stretch when it has no utterances or they do not hold its words in order."""
    offset = 0
    found: list[tuple[int, Utterance]] = []
    for u in t.utterances:
        n = len(u.words)
        if tuple(t.words[offset:offset + n]) != tuple(u.words):
            found = []
            break
        found.append((offset, u))
        offset += n
    if not found:
        if t.words:
            yield 0, t.words, t.language, None
        return
    for off, u in found:
        yield off, u.words, u.language or t.language, _speaker(u)


def _speaker(u: Utterance) -> str | None:
    return u.speaker or next((w.speaker for w in u.words if w.speaker), None)


def scan(t: Transcript, lexicon: Lexicon, *, severity: str = "mild", name: str = "") -> tuple[list[Instance],
                                                                                                list[str]]:
    """Every term at ``severity`` or above in a transcript; the language of each utterance picks the lexicon
    (an utterance of unknown language is checked as Chinese when it is mostly Han characters, else English).
    Returns (instances, notes)."""
    floor = severity_rank(severity)
    out: list[Instance] = []
    skipped: Counter[str] = Counter()
    guessed = 0
    for off, words, lang, speaker in stretches(t):
        lex = lexicon_language(lang)
        if lang is None:
            lex = "zh" if guess_cjk_language("".join(w.text for w in words)) == "zh" else "en"
            guessed += 1
        if lex is None or lex not in lexicon.terms:
            skipped[str(lang)] += len(words)
            continue
        text = _join(words)
        for m in find(lexicon, words, lex):
            if severity_rank(m.term.severity) >= floor:
                out.append(_instance(m, words, off, lex, speaker, text, name, family(lexicon, m.term)))
    notes = [f"{n} words in language {lang!r} not checked: no lexicon for it" for lang, n in skipped.items()]
    if guessed:
        notes.append(f"{guessed} utterances without a language: checked with the lexicon their script suggests")
    return out, notes


def _join(words: Sequence[Word]) -> str:
    from ..model import join_words

    return join_words(words).strip()


def _instance(m: Match, words: Sequence[Word], off: int, lex: str, speaker: str | None, text: str,
              name: str, fam: str) -> Instance:
    span = words[m.first:m.last + 1]
    spk = speaker or next((w.speaker for w in span if w.speaker), None)
    return Instance(file=name, text=m.said, term=m.term.text, severity=m.term.severity, language=lex,
                    speaker=spk, start_ms=span[0].start_ms, end_ms=span[-1].end_ms, utterance=text,
                    word_index=off + m.first, family=fam, parts=tuple((off + k, a, b) for k, a, b in m.parts))


@dataclass(frozen=True)
class LanguageReport:
    instances: tuple[Instance, ...]
    files: tuple[str, ...]
    fps: FrameRate
    severity: str  # the lowest severity listed
    notes: tuple[str, ...] = ()
    lexicon: dict[str, Any] = field(default_factory=dict)

    def _summary(self, key: Callable[[Instance], str]) -> list[dict[str, Any]]:
        rows: dict[str, Counter[str]] = {}
        for i in self.instances:
            rows.setdefault(key(i), Counter())[i.severity] += 1
        out = [{"name": k, "total": sum(c.values()), **{s: c[s] for s in reversed(SEVERITIES)}}
               for k, c in rows.items()]
        return sorted(out, key=lambda r: (-r["total"], r["name"]))

    def by_term(self) -> list[dict[str, Any]]:
        return self._summary(lambda i: i.family or i.term)

    def by_speaker(self) -> list[dict[str, Any]]:
        return self._summary(lambda i: i.speaker or "(unknown)")

    def by_file(self) -> list[dict[str, Any]]:
        rows = {r["name"]: r for r in self._summary(lambda i: i.file)}
        return [rows.get(f, {"name": f, "total": 0, **{s: 0 for s in reversed(SEVERITIES)}}) for f in self.files]

    def as_dict(self) -> dict[str, Any]:
        return {"fps": str(self.fps), "severity": self.severity, "files": list(self.files),
                "instances": [i.as_dict(self.fps) for i in self.instances],
                "summary": {"terms": self.by_term(), "speakers": self.by_speaker(), "files": self.by_file()},
                "notes": list(self.notes), "lexicon": self.lexicon}


def build(transcripts: Sequence[tuple[str, Transcript]], lexicon: Lexicon, *, fps: str | FrameRate | None = None,
          severity: str = "mild") -> LanguageReport:
    """The report over named transcripts (a reel or file each)."""
    notes: list[str] = []
    if fps is None:
        notes.append(f"no frame rate given: timecode at {DEFAULT_FPS} fps")
    fr = FrameRate.parse(fps if fps is not None else DEFAULT_FPS)
    inst: list[Instance] = []
    for name, t in transcripts:
        found, n = scan(t, lexicon, severity=severity, name=name)
        inst += found
        notes += [f"{name}: {x}" for x in n]
    return LanguageReport(tuple(inst), tuple(n for n, _ in transcripts), fr, severity, tuple(notes),
                          lexicon.describe())


def language_report(transcripts: Sequence[Transcript | Path | str] | Path | str, *,
                    output: Path | str | None = None, fps: str | None = None, severity: str = "mild",
                    lexicon: Path | str | None = None) -> LanguageReport:
    """Every instance of strong language in transcripts (Transcripts or their JSON files, one per file or
    reel), with counts per term, speaker and file; written to ``output`` when given (.csv, .json, .md,
    .docx). ``lexicon``: a user tier file laid over the committed tiers. The library twin of
    ``subpipe language``."""
    from ..formats.transcript_json import load as load_transcript
    from .lexicon import load_lexicon

    items = [transcripts] if isinstance(transcripts, (str, Path, Transcript)) else list(transcripts)
    if output is not None and Path(output).suffix.lower() not in WRITERS:
        raise UsageError(f"cannot write a language report as {Path(output).suffix or 'a file without an extension'}",
                         hint="use " + ", ".join(WRITERS))
    named = []
    for k, item in enumerate(items):
        if isinstance(item, Transcript):
            named.append((str(item.provenance.get("name") or f"transcript {k + 1}"), item))
        else:
            p = Path(item)
            named.append((p.name.removesuffix(".json").removesuffix(".transcript"), load_transcript(p)))
    r = build(named, load_lexicon(lexicon), fps=fps, severity=severity)
    if output is not None:
        write(r, Path(output))
    return r


# ---------------------------------------------------------------- writers
_COLUMNS = ("file", "in", "out", "text", "term", "family", "severity", "speaker", "language", "utterance", "start_ms",
            "end_ms")


def dumps_csv(r: LanguageReport) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for i in r.instances:
        w.writerow(i.as_dict(r.fps))
    return buf.getvalue()


def dumps_json(r: LanguageReport) -> str:
    return json.dumps(r.as_dict(), ensure_ascii=False, indent=2) + "\n"


def _md_cell(v: Any) -> str:
    return str("" if v is None else v).replace("|", "\\|").replace("\n", " ")


def _md_table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out + [""]


def _summary_tables(r: LanguageReport) -> list[tuple[str, list[str], list[list[Any]]]]:
    sev = list(reversed(SEVERITIES))
    return [(title, [col, "total", *sev], [[x["name"], x["total"], *(x[s] for s in sev)] for x in rows])
            for title, col, rows in (("Per term", "term", r.by_term()), ("Per speaker", "speaker", r.by_speaker()),
                                     ("Per file", "file", r.by_file()))]


def _instance_rows(r: LanguageReport) -> tuple[list[str], list[list[Any]]]:
    head = ["file", "in", "out", "said", "severity", "speaker", "utterance"]
    rows = [[d["file"], d["in"], d["out"], d["text"], d["severity"], d["speaker"] or "", d["utterance"]]
            for d in (i.as_dict(r.fps) for i in r.instances)]
    return head, rows


def dumps_md(r: LanguageReport) -> str:
    lines = ["# Language report", "",
             f"{len(r.instances)} instances at {r.severity} or above in {len(r.files)} file(s); timecode at "
             f"{r.fps} fps.", ""]
    head, rows = _instance_rows(r)
    lines += ["## Instances", ""] + _md_table(head, rows)
    for title, h, rows2 in _summary_tables(r):
        lines += [f"## {title}", ""] + _md_table(h, rows2)
    if r.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in r.notes] + [""]
    return "\n".join(lines)


def dumps_docx(r: LanguageReport) -> bytes:
    import docx

    doc = docx.Document()
    doc.add_heading("Language report", 0)
    doc.add_paragraph(f"{len(r.instances)} instances at {r.severity} or above in {len(r.files)} file(s); "
                      f"timecode at {r.fps} fps.")
    head, rows = _instance_rows(r)
    for title, h, body in [("Instances", head, rows), *_summary_tables(r)]:
        doc.add_heading(title, 1)
        table = doc.add_table(rows=1, cols=len(h))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, h, strict=True):
            cell.text = str(text)
        for row in body:
            for cell, v in zip(table.add_row().cells, row, strict=True):
                cell.text = "" if v is None else str(v)
    for n in r.notes:
        doc.add_paragraph(n, style="List Bullet")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


WRITERS: dict[str, Callable[[LanguageReport], str | bytes]] = {
    ".csv": dumps_csv, ".json": dumps_json, ".md": dumps_md, ".docx": dumps_docx}


def write(r: LanguageReport, path: Path) -> Path:
    """Write the report in the format the extension names (.csv, .json, .md, .docx), atomically."""
    from ..fsio import atomic_write_bytes, atomic_write_text

    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise UsageError(f"cannot write a language report as {path.suffix or 'a file without an extension'}",
                         hint="use " + ", ".join(WRITERS))
    data = writer(r)
    return atomic_write_bytes(path, data) if isinstance(data, bytes) else atomic_write_text(path, data)
