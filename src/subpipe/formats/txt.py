"""Plain text (.txt): the words people read, one cue per line, no times.

A cue's lines are joined with a space (with nothing for languages written without spaces). Text
cannot be read back into cues, so this module has no ``loads``.
"""

from __future__ import annotations

from ..model import NO_SPACE_LANGUAGES, CueTrack
from ._common import one_line

NAME = "txt"
EXTENSIONS = (".txt",)


def joiner(track: CueTrack) -> str:
    return "" if (track.language or "").split("-")[0] in NO_SPACE_LANGUAGES else " "


def dumps(track: CueTrack) -> str:
    j = joiner(track)
    rows = [one_line(c.lines, j) for c in track.cues]
    return "".join(r + "\n" for r in rows if r)
