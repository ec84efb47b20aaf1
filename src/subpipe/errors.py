"""One exception hierarchy. The library raises these; the CLI maps them to one-line messages."""

from __future__ import annotations

import os
from pathlib import Path


class SubpipeError(Exception):
    """Base of every error subpipe raises on purpose.

    ``path`` names the file the error is about (shown first by the CLI); ``hint`` says what to do.
    """

    exit_code = 1

    def __init__(self, message: str, *, path: str | Path | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = display_name(path) if path is not None else None
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __reduce__(self):
        # keep path, hint and any extra fields when an error crosses a process (batch workers, Ray)
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: type[SubpipeError], message: str, state: dict) -> SubpipeError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class MediaError(SubpipeError):
    """The media file cannot be used."""


class MediaNotFoundError(MediaError):
    pass


class CorruptMediaError(MediaError):
    pass


class NoAudioStreamError(MediaError):
    pass


class FFmpegError(MediaError):
    """ffmpeg itself failed; carries the command and the tail of its stderr."""

    def __init__(self, message: str, *, cmd: list[str] | None = None, stderr: str = "", **kw):
        super().__init__(message, **kw)
        self.cmd = cmd or []
        self.stderr = stderr


class FFmpegNotFoundError(SubpipeError):
    pass


class ModelError(SubpipeError):
    pass


class ModelNotAvailableError(ModelError):
    pass


class ModelIntegrityError(ModelError):
    pass


class TranscriptionError(SubpipeError):
    pass


class FormatError(SubpipeError):
    """A subtitle or transcript file cannot be read or written."""

    def __init__(self, message: str, *, line: int | None = None, **kw):
        super().__init__(message, **kw)
        self.line = line

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} (line {self.line})" if self.line else base


class OutputError(SubpipeError):
    """The output location cannot be written."""


class QuoteIndexError(SubpipeError):
    pass


class QueryError(QuoteIndexError):
    pass


class AlignmentError(SubpipeError):
    """A script cannot be aligned to the media, or (with --strict) differs from what is said."""


class UsageError(SubpipeError):
    """Options that do not go together (the API's twin of a CLI usage error: exit code 2)."""

    exit_code = 2


def display_name(value: object) -> str:
    """A path or name as text that can be written anywhere (JSON, SQLite, a terminal, an error message): bytes
    that are not UTF-8 (file names from other systems) are shown as ``\\xNN`` instead of breaking the writer.
    The one display rule (``fsio`` re-exports it)."""
    text = str(value)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
