"""Format registry: names and extensions -> modules with ``loads``/``dumps`` over the internal model."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ..errors import FormatError
from . import srt, vtt

SUBTITLE_FORMATS: dict[str, ModuleType] = {"srt": srt, "vtt": vtt}
EXTENSIONS: dict[str, str] = {".srt": "srt", ".vtt": "vtt", ".webvtt": "vtt"}


def format_for(path: Path | str, explicit: str | None = None) -> str:
    if explicit:
        if explicit not in SUBTITLE_FORMATS:
            raise FormatError(f"unknown format {explicit!r}; known: {', '.join(SUBTITLE_FORMATS)}")
        return explicit
    ext = Path(path).suffix.lower()
    try:
        return EXTENSIONS[ext]
    except KeyError:
        raise FormatError(
            f"cannot tell the subtitle format from {ext or 'no extension'!r}",
            path=path,
            hint="known: " + ", ".join(sorted(EXTENSIONS)),
        ) from None


def module(name: str) -> ModuleType:
    return SUBTITLE_FORMATS[format_for("", name)]
