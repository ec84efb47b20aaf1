"""A CSV spotting list (.csv): the established timecoded-dialogue deliverable (CCSL / spotting list,
../shared/STANDARDS.md), one row per event::

    event,in,out,duration,text
    1,00:00:01:12,00:00:03:00,00:00:01:12,And so, my fellow Americans

with a sixth column, ``speaker``, when the transcript's words carry speakers (a dash cue: ``S1 / S2``).

In, out and duration are SMPTE timecode to the frame at the track's frame rate (drop-frame labels with
``;`` at 29.97 DF / 59.94 DF); out is the first frame after the event, so duration = out - in. A cue's
lines stay lines inside one quoted field (RFC 4180), which spreadsheets show as one cell.
"""

from __future__ import annotations

import csv
import io

from ..errors import FormatError
from ..model import Cue, CueTrack
from ..timecode import FrameRate, frames_to_ms, frames_to_smpte, smpte_to_frames
from ._common import csv_cell, csv_text, frame_rate_for, nearest_frame, shown_lines

NAME = "csv"
EXTENSIONS = (".csv",)
HEADER = ("event", "in", "out", "duration", "text")
DEFAULT_FPS = "24"


def dumps(track: CueTrack, *, fps: str | float | FrameRate | None = None) -> str:
    """``fps``: else the track's profile frame rate, else 24."""
    fr = frame_rate_for(track, fps, DEFAULT_FPS)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    # a sixth column, "speaker", only when the words carry speakers (diarize.py): who says each event
    who = any(wd.speaker for cue in track.cues for wd in cue.words)
    w.writerow(HEADER + (("speaker",) if who else ()))
    for n, cue in enumerate(track.cues, start=1):
        a, b = nearest_frame(cue.start_ms, fr), nearest_frame(cue.end_ms, fr)
        spk = (" / ".join(dict.fromkeys(wd.speaker or "?" for wd in cue.words)),) if who else ()
        w.writerow((n, frames_to_smpte(a, fr), frames_to_smpte(b, fr), frames_to_smpte(b - a, fr),
                    csv_cell("\n".join(shown_lines(cue.lines))), *(csv_cell(x) for x in spk)))
    return buf.getvalue()


def loads(text: str, *, fps: str | float | FrameRate | None = None) -> CueTrack:
    """Read a spotting list written by ``dumps``. ``fps`` defaults to 29.97 DF when the timecodes use
    ``;``, else 24."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:5]] != list(HEADER):
            raise FormatError(f"not a spotting list: the header must be {','.join(HEADER)}", line=1)
        fr = FrameRate.parse(fps) if fps is not None else None
        cues = []
        while True:
            line = reader.line_num + 1  # where the row starts (a quoted field may span lines)
            row = next(reader, None)
            if row is None:
                break
            if not any(x.strip() for x in row):
                continue
            if len(row) < 5:
                raise FormatError(f"expected 5 fields, got {len(row)}", line=line)
            rate = fr or FrameRate.parse("29.97df" if ";" in row[1] else DEFAULT_FPS)
            try:
                a, b = smpte_to_frames(row[1], rate), smpte_to_frames(row[2], rate)
            except FormatError as exc:
                raise FormatError(exc.message, line=line) from None
            if b < a:
                raise FormatError("event ends before it starts", line=line)
            cues.append(Cue(frames_to_ms(a, rate), frames_to_ms(b, rate), tuple(csv_text(row[4]).split("\n"))))
    except csv.Error as exc:
        raise FormatError(f"not valid CSV: {exc}", line=reader.line_num) from None
    return CueTrack.of(cues)
