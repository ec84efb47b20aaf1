"""SubStation Alpha v4.00 (.ssa): read and written as ASS is (``ass.py``), the file's own section names
and style fields through pysubs2; attached fonts and images are not held by SSA (a note says so)."""

from __future__ import annotations

import logging

from ..model import CueTrack
from . import ass

NAME = "ssa"
EXTENSIONS = (".ssa",)

log = logging.getLogger("subpipe")
loads = ass.loads


def write(track: CueTrack) -> tuple[str, list[str]]:
    return ass.write(track, subformat="ssa")


def dumps(track: CueTrack) -> str:
    text, notes = write(track)
    for note in notes:
        log.warning("SSA: %s", note)
    return text
