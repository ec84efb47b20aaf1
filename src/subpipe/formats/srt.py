"""SubRip (.srt): written through pysrt (``pysrt.SubRipItem``), read by a small line-numbered parser.

SubRip has no formal spec; we follow what players accept (and cdown/srt's reading of it): blocks of an
optional index, ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` (a dot is accepted too, position fields after the end
time are ignored) and the text, separated by blank lines. The reader accepts a BOM, CRLF or CR line
ends, missing indices, extra blank lines and a missing blank line before the next index + timing; any
other block it cannot read fails with its line number.

pysrt is not used for reading: it reports the blank line after a bad block rather than the bad line,
and reads digits out of broken timestamps (``00:0x:04`` is taken as 00:00:04); this reader stays in front
and says which line it skipped and why. ``tests/test_formats_roundtrip.py`` re-reads what we write with
pysrt's reader as well as with the independent ``srt`` library.
"""

from __future__ import annotations

import logging
import re

from ..errors import FormatError
from ..model import Cue, CueTrack
from ._common import ReadLog
from .markup import make_cue, parse_srt, render_srt

NAME = "srt"
EXTENSIONS = (".srt",)

log = logging.getLogger("subpipe")


def write(track: CueTrack) -> tuple[str, list[str]]:
    """SRT with ``\n`` line ends and the notes on what SubRip could not carry. Styling becomes
    ``<i> <b> <u> <font color>`` and a placement other than bottom centre ``{\\anN}``; blank lines
    inside a cue are dropped (they would end it). Each block is pysrt's ``SubRipItem`` (its clock format
    and block layout); the markup and the notes are ours (``markup.render_srt``)."""
    from pysrt import SubRipItem, SubRipTime

    out: list[str] = []
    notes: list[str] = []
    for n, cue in enumerate(track.cues, start=1):
        lines, dropped = render_srt(cue)
        notes += [f"cue {n}: {d}" for d in dict.fromkeys(dropped)]
        item = SubRipItem(index=n, start=SubRipTime(milliseconds=cue.start_ms),
                          end=SubRipTime(milliseconds=cue.end_ms), text="\n".join(lines))
        block = str(item)  # "n\nstart --> end\ntext\n"
        out.append(block if lines else block[:-1])  # a cue with no lines: no empty text line
    return "".join(x + "\n" for x in out), notes


def dumps(track: CueTrack) -> str:
    text, notes = write(track)
    for note in notes:
        log.warning("SRT: %s", note)
    return text


_TIME = r"(?:\d+:)?\d{1,2}:\d{1,2}(?:[,.:]\d+)?"
# A line that is certainly a timing line: used to find a cue that follows without a blank line.
STRICT_TIMING = re.compile(rf"^\s*({_TIME})\s*-->\s*({_TIME})(?:\s.*)?$")
_LOOSE_TIMING = re.compile(r"^\s*(\S+)\s*-->\s*(\S+)(?:\s.*)?$")
_INDEX = re.compile(r"^\s*\d+\s*$")


def normalise_newlines(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


_SRT_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.:](\d+))?\s*$")


def parse_time(text: str) -> int:
    """A SubRip/WebVTT clock time -> ms, as players read it: hours optional and of any width, the
    milliseconds optional, more than three fraction digits rounded (``01,1416`` is 1.142 s)."""
    m = _SRT_CLOCK.match(text)
    if not m or int(m.group(2)) > 59 or int(m.group(3)) > 59:
        raise FormatError(f"not a timestamp: {text!r}")
    h, mi, sec, frac = m.groups()
    ms = 0
    if frac:  # round(0.frac * 1000), a tie to even, in integers
        q, r = divmod(int(frac) * 1000, 10 ** len(frac))
        ms = q + 1 if 2 * r > 10 ** len(frac) or (2 * r == 10 ** len(frac) and q % 2) else q
    return ((int(h or 0) * 60 + int(mi)) * 60 + int(sec)) * 1000 + ms


def parse_timing(line: str, lineno: int, example: str = "00:00:01,000 --> 00:00:02,000",
                 rl: ReadLog | None = None) -> tuple[int, int]:
    """``start --> end`` -> ms; an end before the start is clamped to the start (and noted)."""
    m = _LOOSE_TIMING.match(line)
    if not m:
        raise FormatError(f"expected a timing line like '{example}', got {line.strip()[:60]!r}", line=lineno)
    try:
        start, end = parse_time(m.group(1)), parse_time(m.group(2))
    except FormatError as exc:
        raise FormatError(exc.message, line=lineno) from None
    if end < start:
        if rl is not None:
            rl.note(lineno, f"a cue ends before it starts ({line.strip()}); its end is set to its start")
        else:
            log.warning("line %d: cue ends before it starts; its end is set to its start", lineno)
        end = start
    return start, end


def loads(text: str, *, strict: bool = False) -> CueTrack:
    """Read SRT as players do: a BOM, CRLF, missing indices and a missing blank line are fine; a block
    that cannot be read is skipped with its line (``track.metadata["skipped"]``; ``strict`` raises).
    Tags become styled spans and ``{\\anN}`` a placement; tags players do not know stay text."""
    rl = ReadLog(strict)
    lines = normalise_newlines(text).split("\n")
    cues: list[Cue] = []
    k, n = 0, len(lines)

    def skip_block(at_line: int, why: str) -> int:
        rl.skip(at_line, why)
        j = at_line - 1
        while j < n and lines[j].strip():
            j += 1
        return j

    while k < n:
        if not lines[k].strip():
            k += 1
            continue
        if "-->" not in lines[k]:  # an index, then the timing line
            if not _INDEX.match(lines[k]):
                k = skip_block(k + 1, f"expected a cue number or a timing line, got {lines[k].strip()[:60]!r}")
                continue
            k += 1
            if k >= n or not lines[k].strip():
                rl.skip(k + 1, "expected a timing line after the cue number")
                continue
        try:
            start, end = parse_timing(lines[k], k + 1, rl=rl)
        except FormatError as exc:
            k = skip_block(k + 1, exc.message)
            continue
        first = k + 1
        k += 1
        body: list[str] = []
        while k < n and lines[k].strip():
            if STRICT_TIMING.match(lines[k]):  # the next cue began without a blank line
                if body and _INDEX.match(body[-1]):
                    body.pop()
                break
            body.append(lines[k].strip())
            k += 1
        runs, placement, dropped = parse_srt(body)
        for d in dropped:
            rl.note(first, d)
        cues.append(make_cue(start, end, runs, placement))
    rl.nothing_read(cues)
    return CueTrack.of(cues, metadata=rl.metadata())
