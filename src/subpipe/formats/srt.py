"""SubRip (.srt): written through pysrt, read by a small line-numbered parser.

SubRip has no formal spec; we follow what players accept (and cdown/srt's reading of it): blocks of an
optional index, ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` (a dot is accepted too, position fields after the end
time are ignored) and the text, separated by blank lines. The reader accepts a BOM, CRLF or CR line
ends, missing indices, extra blank lines and a missing blank line before the next index + timing; any
other block it cannot read fails with its line number.

pysrt is not used for reading: it reports the blank line after a bad block rather than the bad line,
and reads digits out of broken timestamps (``00:0x:04`` is taken as 00:00:04).
"""

from __future__ import annotations

import io
import logging
import re

import pysrt

from ..errors import FormatError
from ..model import Cue, CueTrack
from ..timecode import parse_clock
from ._common import shown_lines

NAME = "srt"
EXTENSIONS = (".srt",)

log = logging.getLogger("subpipe")


def dumps(track: CueTrack) -> str:
    """SRT with ``\\n`` line ends; blank lines inside a cue are dropped (they would end it)."""
    f = pysrt.SubRipFile()
    for n, cue in enumerate(track.cues, start=1):
        f.append(
            pysrt.SubRipItem(
                index=n,
                start=pysrt.SubRipTime.from_ordinal(cue.start_ms),
                end=pysrt.SubRipTime.from_ordinal(cue.end_ms),
                text="\n".join(shown_lines(cue.lines)),
            )
        )
    buf = io.StringIO()
    f.write_into(buf, eol="\n")
    return buf.getvalue()


_TIME = r"\d+:\d{1,2}:\d{1,2}[,.]\d{1,3}"
# A line that is certainly a timing line: used to find a cue that follows without a blank line.
STRICT_TIMING = re.compile(rf"^\s*({_TIME})\s*-->\s*({_TIME})(?:\s.*)?$")
_LOOSE_TIMING = re.compile(r"^\s*(\S+)\s*-->\s*(\S+)(?:\s.*)?$")
_INDEX = re.compile(r"^\s*\d+\s*$")


def normalise_newlines(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def parse_timing(line: str, lineno: int, example: str = "00:00:01,000 --> 00:00:02,000") -> tuple[int, int]:
    """``start --> end`` -> ms; an end before the start is clamped to the start (and logged)."""
    m = _LOOSE_TIMING.match(line)
    if not m:
        raise FormatError(f"expected a timing line like '{example}', got {line.strip()[:60]!r}", line=lineno)
    try:
        start, end = parse_clock(m.group(1)), parse_clock(m.group(2))
    except FormatError as exc:
        raise FormatError(exc.message, line=lineno) from None
    if end < start:
        log.warning("line %d: cue ends before it starts; its end is set to its start", lineno)
        end = start
    return start, end


def loads(text: str) -> CueTrack:
    """Read SRT; tolerate a BOM, CRLF and missing indices; fail with the line number otherwise."""
    lines = normalise_newlines(text).split("\n")
    cues: list[Cue] = []
    k, n = 0, len(lines)
    while k < n:
        if not lines[k].strip():
            k += 1
            continue
        if "-->" not in lines[k]:  # an index, then the timing line
            if not _INDEX.match(lines[k]):
                raise FormatError(
                    f"expected a cue number or a timing line, got {lines[k].strip()[:60]!r}", line=k + 1
                )
            k += 1
            if k >= n or not lines[k].strip():
                raise FormatError("expected a timing line after the cue number", line=k + 1)
        start, end = parse_timing(lines[k], k + 1)
        k += 1
        body: list[str] = []
        while k < n and lines[k].strip():
            if STRICT_TIMING.match(lines[k]):  # the next cue began without a blank line
                if body and _INDEX.match(body[-1]):
                    body.pop()
                break
            body.append(lines[k].strip())
            k += 1
        cues.append(Cue(start, end, tuple(body)))
    return CueTrack.of(cues)
