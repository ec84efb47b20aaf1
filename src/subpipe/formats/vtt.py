"""WebVTT (https://www.w3.org/TR/webvtt1/).

Reading follows the spec's parser (section 6.1): the file must begin with ``WEBVTT``; blocks are
separated by blank lines; a line with ``-->`` is a cue timing line when it is a block's first or
second line, and anywhere else it starts a new block; a block whose timing line does not parse is
dropped, and only that block (``track.metadata["skipped"]`` names its line; ``strict`` raises).
NOTE, STYLE and REGION blocks are not cues. Cue text is parsed into styled spans (``<i> <b> <u>``,
``<c.yellow>``, ``<v Name>``), character references decoded; cue settings become a placement.

Writing: cue text is escaped (``&``, ``<``, ``>``, section 4.2.2), which also keeps ``-->`` out of it;
styling and placement are written back as tags and cue settings; blank lines inside a cue are dropped.
"""

from __future__ import annotations

import logging
import re

from ..errors import FormatError
from ..model import Cue, CueTrack
from ..timecode import format_vtt
from ._common import ReadLog
from .markup import make_cue, parse_vtt, parse_vtt_settings, render_vtt, vtt_escape, vtt_settings
from .srt import normalise_newlines

NAME = "vtt"
EXTENSIONS = (".vtt", ".webvtt")

log = logging.getLogger("subpipe")


def escape(text: str) -> str:
    return vtt_escape(text)


def unescape(text: str) -> str:
    """Cue text -> plain text: tags removed, character references decoded."""
    runs, _ = parse_vtt([text])
    return "".join(s.text for s in runs[0])


def write(track: CueTrack) -> tuple[str, list[str]]:
    out = ["WEBVTT", ""]
    notes: list[str] = []
    for n, cue in enumerate(track.cues, start=1):
        lines, dropped = render_vtt(cue)
        notes += [f"cue {n}: {d}" for d in dict.fromkeys(dropped)]
        settings = vtt_settings(cue.placement)
        out.append(str(n))
        out.append(f"{format_vtt(cue.start_ms)} --> {format_vtt(cue.end_ms)}" + (f" {settings}" if settings else ""))
        out.extend(lines)
        out.append("")
    return "\n".join(out) + "\n", notes


def dumps(track: CueTrack) -> str:
    text, notes = write(track)
    for note in notes:
        log.warning("WebVTT: %s", note)
    return text


_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_EXAMPLE = "00:00:01.000 --> 00:00:02.000"
_WS = "[ \t\f]"
_TS = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_TIMING = re.compile(rf"^{_WS}*{_TS}{_WS}+-->{_WS}+{_TS}(?:{_WS}+(.*))?{_WS}*$")


def _ms(h: str | None, m: str, s: str, f: str) -> int | None:
    if int(m) > 59 or int(s) > 59:
        return None
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(f)


def parse_cue_timing(line: str) -> tuple[int, int, str] | None:
    """A cue timing line (section 6.3) -> (start, end, settings), or None when the spec rejects it."""
    m = _TIMING.match(line)
    if not m:
        return None
    g = m.groups()
    a, b = _ms(*g[0:4]), _ms(*g[4:8])
    if a is None or b is None:
        return None
    return a, b, g[8] or ""


def loads(text: str, *, strict: bool = False) -> CueTrack:
    rl = ReadLog(strict)
    lines = normalise_newlines(text).replace("\x00", "\ufffd").split("\n")
    if not _HEADER.match(lines[0]):
        raise FormatError("not WebVTT: the first line must be 'WEBVTT'", line=1)
    k, n = 1, len(lines)
    while k < n and lines[k].strip() and "-->" not in lines[k]:  # header lines up to the first blank line
        k += 1
    cues: list[Cue] = []
    after_style = False
    while k < n:
        if not lines[k].strip():
            k += 1
            continue
        first = k
        timing_at = None
        if "-->" in lines[k]:
            timing_at = k
        elif k + 1 < n and lines[k + 1].strip() and "-->" in lines[k + 1]:
            timing_at = k + 1
        if timing_at is None:  # a block that is not a cue: NOTE, STYLE, REGION, or dropped
            j = k + 1
            while j < n and lines[j].strip() and "-->" not in lines[j]:
                j += 1
            head = lines[k].strip()
            if re.match(r"^(NOTE|STYLE|REGION)([ \t]|$)", head):
                after_style = head.startswith(("STYLE", "REGION"))
                if head.startswith(("STYLE", "REGION")) and cues:
                    rl.note(k + 1, f"{head.split()[0]} block after the first cue is ignored, as WebVTT says")
            elif after_style and not cues:
                rl.note(k + 1, "style sheet text after a blank line inside a STYLE block is ignored, as "
                               "WebVTT says (a blank line ends the block)")
            else:
                rl.skip(k + 1, f"a block without a cue timing line like '{_EXAMPLE}' is dropped, as WebVTT says: "
                               f"{head[:40]!r}")
            k = j
            continue
        after_style = False
        timing = parse_cue_timing(lines[timing_at])
        j = timing_at + 1
        body: list[str] = []
        while j < n and lines[j].strip() and "-->" not in lines[j]:
            body.append(lines[j])
            j += 1
        k = j
        if timing is None:
            why = f"not a cue timing line like '{_EXAMPLE}': {lines[timing_at].strip()[:60]!r}"
            if body:
                rl.skip(timing_at + 1, why + "; the cue is dropped, as WebVTT says")
            else:
                rl.note(timing_at + 1, why + "; dropped, as WebVTT says")
            continue
        start, end, settings = timing
        if end < start:
            rl.note(timing_at + 1, f"a cue ends before it starts ({lines[timing_at].strip()}); its end is set "
                                   "to its start")
            end = start
        placement, snotes = parse_vtt_settings(settings)
        for s in snotes:
            rl.note(timing_at + 1, s)
        runs, tnotes = parse_vtt(body)
        for s in tnotes:
            rl.note(timing_at + 2, s)
        cue = make_cue(start, end, runs, placement)
        if any(s.strip() for s in body) and not cue.lines:
            rl.note(first + 1, "a cue whose text is all markup shows nothing")
        cues.append(cue)
    rl.nothing_read(cues)
    return CueTrack.of(cues, metadata=rl.metadata())
