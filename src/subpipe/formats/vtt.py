"""WebVTT (https://www.w3.org/TR/webvtt1/): cue text escaped (&, <, >), never a bare "-->" in text."""

from __future__ import annotations

import re

from ..errors import FormatError
from ..model import Cue, CueTrack
from ..timecode import format_vtt, parse_clock

NAME = "vtt"
EXTENSIONS = (".vtt",)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    text = re.sub(r"</?[a-zA-Z][^>]*>", "", text)  # drop tags such as <i>, <v Speaker>, <c.x>
    for ent, ch in (("&lt;", "<"), ("&gt;", ">"), ("&nbsp;", "\u00a0"), ("&lrm;", "\u200e"),
                    ("&rlm;", "\u200f"), ("&amp;", "&")):
        text = text.replace(ent, ch)
    return text


def dumps(track: CueTrack) -> str:
    out = ["WEBVTT", ""]
    for n, cue in enumerate(track.cues, start=1):
        out.append(str(n))
        out.append(f"{format_vtt(cue.start_ms)} --> {format_vtt(cue.end_ms)}")
        out.extend(escape(line) for line in cue.lines)  # escaping '>' also removes any '-->'
        out.append("")
    return "\n".join(out) + "\n"


_TIMING = re.compile(r"^(\S+)\s+-->\s+(\S+)(?:\s+.*)?$")


def loads(text: str) -> CueTrack:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or not re.match(r"^WEBVTT([ \t].*)?$", lines[0]):
        raise FormatError("not WebVTT: the first line must be 'WEBVTT'", line=1)
    cues: list[Cue] = []
    k = 1
    while k < len(lines):
        line = lines[k]
        if not line.strip():
            k += 1
            continue
        if line.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in line:
            while k < len(lines) and lines[k].strip():
                k += 1
            continue
        if "-->" not in line:  # a cue identifier
            k += 1
            if k >= len(lines) or "-->" not in lines[k]:
                raise FormatError("expected a cue timing line ('start --> end')", line=k + 1)
            line = lines[k]
        m = _TIMING.match(line.strip())
        if not m:
            raise FormatError(f"bad cue timing {line.strip()!r}", line=k + 1)
        try:
            start, end = parse_clock(m.group(1)), parse_clock(m.group(2))
        except FormatError as exc:
            raise FormatError(exc.message, line=k + 1) from None
        k += 1
        body = []
        while k < len(lines) and lines[k].strip():
            body.append(unescape(lines[k]))
            k += 1
        cues.append(Cue(start, max(end, start), tuple(body)))
    return CueTrack.of(cues)
