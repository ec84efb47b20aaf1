"""WebVTT (https://www.w3.org/TR/webvtt1/).

Writing: cue text is escaped (``&``, ``<``, ``>``, section 4.2.2), which also keeps a ``-->`` out of it;
blank lines inside a cue are dropped (a blank line ends a cue). Reading: the header block after
``WEBVTT`` and NOTE, STYLE and REGION blocks are skipped, cue identifiers are optional, tags (``<i>``,
``<v Name>``, ``<c.x>``, timestamps) are removed and character references decoded. A BOM, CRLF and a
missing blank line before the next timing line are tolerated; anything else fails with its line number.
"""

from __future__ import annotations

import html
import re

from ..errors import FormatError
from ..model import Cue, CueTrack
from ..timecode import format_vtt
from ._common import shown_lines
from .srt import STRICT_TIMING, normalise_newlines, parse_timing

NAME = "vtt"
EXTENSIONS = (".vtt", ".webvtt")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TAG = re.compile(r"</?[a-zA-Z0-9.:_-][^>]*>")


def unescape(text: str) -> str:
    """Cue text -> plain text: tags removed, then character references decoded."""
    return html.unescape(_TAG.sub("", text))


def dumps(track: CueTrack) -> str:
    out = ["WEBVTT", ""]
    for n, cue in enumerate(track.cues, start=1):
        out.append(str(n))
        out.append(f"{format_vtt(cue.start_ms)} --> {format_vtt(cue.end_ms)}")
        out.extend(escape(line) for line in shown_lines(cue.lines))
        out.append("")
    return "\n".join(out) + "\n"


_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_EXAMPLE = "00:00:01.000 --> 00:00:02.000"


def loads(text: str) -> CueTrack:
    lines = normalise_newlines(text).split("\n")
    if not _HEADER.match(lines[0]):
        raise FormatError("not WebVTT: the first line must be 'WEBVTT'", line=1)
    k, n = 1, len(lines)
    while k < n and lines[k].strip():  # header lines (Kind:, Language:, ...) up to the first blank line
        if "-->" in lines[k]:
            raise FormatError("a blank line must follow the WEBVTT header", line=k + 1)
        k += 1
    cues: list[Cue] = []
    while k < n:
        line = lines[k]
        if not line.strip():
            k += 1
            continue
        if "-->" not in line and re.match(r"^(NOTE|STYLE|REGION)(\s|$)", line):
            while k < n and lines[k].strip():
                k += 1
            continue
        if "-->" not in line:  # a cue identifier
            k += 1
            if k >= n or "-->" not in lines[k]:
                raise FormatError(f"expected a cue timing line like '{_EXAMPLE}' after the cue identifier "
                                  f"{line.strip()[:40]!r}", line=k + 1)
        start, end = parse_timing(lines[k], k + 1, _EXAMPLE)
        k += 1
        body: list[str] = []
        while k < n and lines[k].strip():
            if STRICT_TIMING.match(lines[k]):  # the next cue began without a blank line
                break
            body.append(unescape(lines[k]).strip())
            k += 1
        cues.append(Cue(start, end, tuple(body)))
    return CueTrack.of(cues)
