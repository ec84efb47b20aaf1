"""Helpers shared by the format modules: the frame rate a writer works at, ms -> frames, text lines
and the log records of the libraries we call (ttconv logs its warnings instead of raising)."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Sequence

from ..model import CueTrack
from ..timecode import FrameRate
from ..timecode import ms_to_frames as nearest_frame  # noqa: F401 (the one nearest-frame rule, for writers)

log = logging.getLogger("subpipe")


def track_fps(track: CueTrack) -> str | None:
    """The frame rate the track was made at (the profile's), if it says."""
    meta = track.metadata if isinstance(track.metadata, dict) else {}
    prof = meta.get("profile")
    value = prof.get("fps") if isinstance(prof, dict) else None
    return str(value or meta.get("fps") or "") or None


def frame_rate_for(track: CueTrack, fps: str | float | FrameRate | None, default: str) -> FrameRate:
    """An explicit ``fps`` wins, then the track's profile frame rate, then the format's default."""
    if fps is not None:
        return FrameRate.parse(fps)
    return FrameRate.parse(track_fps(track) or default)


def shown_lines(lines: Sequence[str]) -> list[str]:
    """The lines a viewer sees: blank lines cannot be written (they end a cue in SRT and WebVTT)."""
    return [line for line in lines if line.strip()]


_SPACES = re.compile(r"\s+")


def one_line(lines: Sequence[str], join: str = " ") -> str:
    """A cue's lines as one line of running text."""
    return join.join(_SPACES.sub(" ", x).strip() for x in lines if x.strip())


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]):
        super().__init__(logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def captured_logs(name: str = "ttconv") -> Iterator[list[logging.LogRecord]]:
    """Collect what a library logs (its warnings are how ttconv reports problems) instead of letting
    it reach stderr; the caller turns the records into our errors and log lines."""
    records: list[logging.LogRecord] = []
    logger = logging.getLogger(name)
    handler = _Collect(records)
    old_level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def ttconv_document(region_styles=()):
    """An empty ttconv document with one bottom-centred region and a body holding one div.

    ``region_styles``: extra (StyleProperty, value) pairs for the region (origin, extent).
    Returns (document, div) so callers only add paragraphs.
    """
    import ttconv.model as tmodel
    import ttconv.style_properties as styles

    doc = tmodel.ContentDocument()
    region = tmodel.Region("bottom", doc)
    for prop, value in region_styles:
        region.set_style(prop, value)
    region.set_style(styles.StyleProperties.DisplayAlign, styles.DisplayAlignType.after)
    region.set_style(styles.StyleProperties.TextAlign, styles.TextAlignType.center)
    doc.put_region(region)
    body = tmodel.Body(doc)
    body.set_region(region)
    doc.set_body(body)
    div = tmodel.Div(doc)
    body.push_child(div)
    return doc, div


# ---------------------------------------------------------------- CSV cells a spreadsheet opens
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet will not run: one starting with = + - @ (or a tab / CR) gets a leading
    apostrophe (OWASP "CSV injection"), so a media title ``=HYPERLINK(...)`` stays text. ``csv_text`` undoes it."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(cell: str) -> str:
    """The text ``csv_cell`` escaped (a leading apostrophe before a formula character removed)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) else cell


class ReadLog:
    """What a reader skipped (content a viewer would have seen: ``check`` fails on it) and what it
    noted (markup it could not keep, times it had to guess), each with its line. ``strict`` raises on
    the first skipped block instead."""

    def __init__(self, strict: bool = False):
        self.strict = strict
        self.skipped: list[tuple[int | None, str]] = []
        self.notes: list[tuple[int | None, str]] = []
        self._seen: set[str] = set()

    def skip(self, line: int | None, why: str) -> None:
        from ..errors import FormatError

        if self.strict:
            raise FormatError(why, line=line)
        self.skipped.append((line, why))
        log.info("line %s: %s; the block is skipped", line, why)  # the CLI prints it once, as a note

    def note(self, line: int | None, message: str) -> None:
        """A note, once per distinct message (the first line it applies to)."""
        if message in self._seen:
            return
        self._seen.add(message)
        self.notes.append((line, message))
        log.info("line %s: %s", line, message)

    def nothing_read(self, cues) -> None:
        """A file whose every block was skipped is not this format at all: raise the first reason."""
        from ..errors import FormatError

        if not cues and self.skipped:
            line, why = self.skipped[0]
            more = f" ({len(self.skipped) - 1} more block(s) like it)" if len(self.skipped) > 1 else ""
            raise FormatError(f"no cue could be read: {why}{more}", line=line)

    def metadata(self) -> dict:
        return {"skipped": list(self.skipped), "reader_notes": list(self.notes)}


def reader_skipped(track: CueTrack) -> list[tuple[int | None, str]]:
    meta = track.metadata if isinstance(track.metadata, dict) else {}
    return list(meta.get("skipped", ()))


def reader_notes(track: CueTrack) -> list[tuple[int | None, str]]:
    meta = track.metadata if isinstance(track.metadata, dict) else {}
    return list(meta.get("reader_notes", ()))


def at(line: int | None) -> str:
    return f"line {line}: " if line else ""
