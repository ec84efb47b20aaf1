"""Quote sheets for press: csv, md, json, docx, one row per quote.

Each row: media title, the quote verbatim (the whole utterance), in and out as SMPTE timecode at the
media's frame rate (drop-frame labels at 29.97 and 59.94), duration, speaker; and where a search found
it, the timecode of the matched phrase inside the quote.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import SubpipeError
from ..formats._common import csv_cell
from ..fsio import atomic_write_bytes
from ..timecode import ms_to_smpte
from .index import Hit

FORMATS = ("csv", "md", "json", "docx")
COLUMNS = ("Media", "Quote", "In", "Out", "Duration", "Speaker", "Phrase at")


@dataclass(frozen=True)
class SheetRow:
    id: str
    title: str
    quote: str
    tc_in: str
    tc_out: str
    duration: str
    speaker: str
    phrase_at: str
    fps: str
    media: str
    start_ms: int
    end_ms: int
    in_ms: int
    out_ms: int

    def cells(self) -> tuple[str, ...]:
        return (self.title, self.quote, self.tc_in, self.tc_out, self.duration, self.speaker, self.phrase_at)


def sheet_row(h: Hit) -> SheetRow:
    fr = h.frame_rate
    return SheetRow(
        id=h.id, title=h.title, quote=h.text, tc_in=ms_to_smpte(h.start_ms, fr), tc_out=ms_to_smpte(h.end_ms, fr),
        duration=f"{h.duration_ms / 1000:.1f} s", speaker=h.speaker or "", phrase_at=ms_to_smpte(h.in_ms, fr),
        fps=str(fr), media=h.media_path, start_ms=h.start_ms, end_ms=h.end_ms, in_ms=h.in_ms, out_ms=h.out_ms,
    )


def format_for(path: Path, explicit: str | None) -> str:
    fmt = (explicit or Path(path).suffix.lstrip(".")).lower()
    fmt = {"markdown": "md", "txt": "md"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise SubpipeError(f"unknown quote sheet format {fmt or 'without an extension'!r}",
                           hint="use --format " + "|".join(FORMATS))
    return fmt


def render(hits: Sequence[Hit], fmt: str, *, heading: str | None = None) -> bytes:
    rows = [sheet_row(h) for h in hits]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow([*COLUMNS, "FPS", "Id"])
        for r in rows:
            w.writerow([csv_cell(c) for c in (*r.cells(), r.fps, r.id)])
        return buf.getvalue().encode("utf-8-sig")  # the BOM makes spreadsheet programs read UTF-8
    if fmt == "json":
        return (json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=1) + "\n").encode()
    if fmt == "md":
        return _markdown(rows, heading).encode()
    if fmt == "docx":
        return _docx(rows, heading)
    raise SubpipeError(f"unknown quote sheet format {fmt!r}", hint="use " + "|".join(FORMATS))


def write(hits: Sequence[Hit], path: Path, fmt: str | None = None, *, heading: str | None = None) -> Path:
    return atomic_write_bytes(Path(path), render(hits, format_for(path, fmt), heading=heading))


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def _markdown(rows: Sequence[SheetRow], heading: str | None) -> str:
    out = [f"# {_md_cell(heading or 'Quote sheet')}", "",
           f"{len(rows)} quote{'s' if len(rows) != 1 else ''}; timecode at each media's frame rate "
           "(`;` marks drop-frame).", "",
           "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(_md_cell(c) for c in r.cells()) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _docx(rows: Sequence[SheetRow], heading: str | None) -> bytes:
    try:
        import docx
    except ImportError:  # the docx extra
        raise SubpipeError("quote sheets as .docx need python-docx (the docx extra), which is not installed",
                           hint="pip install 'subpipe[docx]', or export csv, md or json") from None
    doc = docx.Document()
    doc.add_heading(heading or "Quote sheet", level=1)
    doc.add_paragraph(f"{len(rows)} quotes; timecode at each media's frame rate (';' marks drop-frame). "
                      f"Made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by subpipe.")
    table = doc.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, COLUMNS, strict=True):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for r in rows:
        for cell, value in zip(table.add_row().cells, r.cells(), strict=True):
            cell.text = value
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
