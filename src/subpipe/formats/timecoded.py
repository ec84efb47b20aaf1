"""A timecoded transcript: the press deliverable for interviews (../shared/STANDARDS.md).

One paragraph per utterance, each opening with its in-time as ``[HH:MM:SS.FF]`` (frames at the track's
frame rate, drop-frame labels at 29.97 DF), paragraphs separated by a blank line::

    [00:00:01.12] And so, my fellow Americans, ask not what your country can do for you.

From a CueTrack, consecutive cues are joined into one paragraph until a sentence ends (``. ? !``, also
inside closing quotes or brackets) or speech pauses for ``pause_ms``. ``from_transcript`` writes the
transcript's own utterances instead. There is no ``loads``: out-times are not written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..model import CueTrack, Transcript
from ..text import CLOSERS, SENTENCE_END
from ..timecode import FrameRate, frames_to_smpte
from ._common import frame_rate_for, nearest_frame, one_line
from .txt import joiner

NAME = "timecoded"
EXTENSIONS = (".timecoded.txt", ".tc.txt")
DEFAULT_FPS = "24"

_SENTENCE_END = re.compile(f"[{re.escape(''.join(SENTENCE_END))}][{re.escape(CLOSERS)}]*$")


def stamp(ms: int, fr: FrameRate) -> str:
    """``[HH:MM:SS.FF]`` for the frame nearest to ``ms``."""
    tc = frames_to_smpte(nearest_frame(ms, fr), fr)
    return f"[{tc[:8]}.{tc[9:]}]"


def paragraphs(track: CueTrack, pause_ms: int = 2000) -> list[tuple[int, str]]:
    """(in-time ms, text) per paragraph: cues joined until a sentence end or a pause."""
    j = joiner(track)
    out: list[tuple[int, str]] = []
    start: int | None = None
    parts: list[str] = []
    prev_end = 0
    for cue in track.cues:
        text = one_line(cue.lines, j)
        if not text:
            continue
        if parts and cue.start_ms - prev_end >= pause_ms:
            out.append((start or 0, j.join(parts)))
            parts = []
        if not parts:
            start = cue.start_ms
        parts.append(text)
        prev_end = cue.end_ms
        if _SENTENCE_END.search(text):
            out.append((start or 0, j.join(parts)))
            parts = []
    if parts:
        out.append((start or 0, j.join(parts)))
    return out


def _render(items: Sequence[tuple[int, str]], fr: FrameRate) -> str:
    return "\n".join(f"{stamp(ms, fr)} {text}\n" for ms, text in items)


def dumps(track: CueTrack, *, fps: str | float | FrameRate | None = None, pause_ms: int = 2000) -> str:
    """``fps``: else the track's profile frame rate, else 24."""
    return _render(paragraphs(track, pause_ms), frame_rate_for(track, fps, DEFAULT_FPS))


def from_transcript(transcript: Transcript, *, fps: str | float | FrameRate = DEFAULT_FPS) -> str:
    """One paragraph per utterance of a transcript (speaker first when known)."""
    items = []
    for u in transcript.utterances:
        text = " ".join(u.text.split())
        items.append((u.start_ms, f"{u.speaker}: {text}" if u.speaker else text))
    return _render(items, FrameRate.parse(fps))
