"""SubRip (.srt), written and read through pysrt."""

from __future__ import annotations

import io

import pysrt

from ..errors import FormatError
from ..model import Cue, CueTrack

NAME = "srt"
EXTENSIONS = (".srt",)


def dumps(track: CueTrack) -> str:
    f = pysrt.SubRipFile()
    for n, cue in enumerate(track.cues, start=1):
        f.append(
            pysrt.SubRipItem(
                index=n,
                start=pysrt.SubRipTime.from_ordinal(cue.start_ms),
                end=pysrt.SubRipTime.from_ordinal(cue.end_ms),
                text=cue.text,
            )
        )
    buf = io.StringIO()
    f.write_into(buf, eol="\n")
    return buf.getvalue()


def loads(text: str) -> CueTrack:
    """Read SRT; tolerate a BOM, CRLF and missing indices; fail with the line number otherwise."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    try:
        f = pysrt.SubRipFile.from_string(text, error_handling=pysrt.SubRipFile.ERROR_RAISE)
    except pysrt.Error as exc:
        line = _line_of(text, exc)
        raise FormatError(f"not valid SRT: {_reason(exc)}", line=line) from None
    cues = [Cue(item.start.ordinal, max(item.end.ordinal, item.start.ordinal), tuple(item.text.split("\n")))
            for item in f]
    if not cues and text.strip():
        raise FormatError("not valid SRT: no cue could be read", line=1)
    return CueTrack.of(cues)


def _reason(exc: Exception) -> str:
    msg = str(exc.args[0]) if exc.args else str(exc)
    return msg.strip().splitlines()[0] if msg.strip() else type(exc).__name__


def _line_of(text: str, exc: Exception) -> int | None:
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[1], int):
        return args[1]
    snippet = str(args[0]).strip().splitlines()[0] if args and str(args[0]).strip() else ""
    if snippet:
        for n, line in enumerate(text.split("\n"), start=1):
            if snippet in line:
                return n
    return None
