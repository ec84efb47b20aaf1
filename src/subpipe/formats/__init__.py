"""Format registry: names and extensions -> modules with ``dumps`` (and ``loads`` where a format can be
read back) over the internal model.

Every module has ``NAME``, ``EXTENSIONS`` and ``dumps(track, **config)``; config is keyword-only and
format-specific (``fps`` for the frame-based formats, which default to the track's profile frame rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..errors import FormatError, SubpipeError
from ..model import CueTrack
from . import ass, itt, scc, spotting, srt, ssa, stl, timecoded, ttml, txt, vtt

SUBTITLE_FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (srt, vtt, ttml, scc, txt, timecoded, spotting,
                                                               ass, ssa, stl, itt)}
EXTENSIONS: dict[str, str] = {ext: m.NAME for m in SUBTITLE_FORMATS.values() for ext in m.EXTENSIONS}


def format_for(path: Path | str, explicit: str | None = None) -> str:
    """The format name for ``explicit``, else for the file name's extension (the longest that matches,
    so ``x.timecoded.txt`` is a timecoded transcript and ``x.txt`` plain text)."""
    if explicit:
        if explicit not in SUBTITLE_FORMATS:
            raise FormatError(f"unknown format {explicit!r}; known: {', '.join(SUBTITLE_FORMATS)}")
        return explicit
    name = Path(path).name.lower()
    for ext in sorted(EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext) and len(name) > len(ext):
            return EXTENSIONS[ext]
    ext = Path(path).suffix.lower()
    raise FormatError(
        f"cannot tell the subtitle format from {ext or 'no extension'!r}",
        path=path,
        hint="known: " + ", ".join(sorted(EXTENSIONS)),
    )


def module(name: str) -> ModuleType:
    return SUBTITLE_FORMATS[format_for("", name)]


def readable(name: str) -> bool:
    return hasattr(module(name), "loads") or hasattr(module(name), "loadb")


_BOMS = (  # longest first: a UTF-32 LE mark begins with the UTF-16 LE one
    (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xfe\xff", "utf-16"), (b"\xff\xfe", "utf-16"),
)


def suggest_encoding(data: bytes) -> str | None:
    """The encoding that best fits the bytes (charset-normalizer), e.g. gb18030 for Chinese."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency
        return None
    best = from_bytes(data).best()
    return best.encoding if best is not None else None


def decode(data: bytes, encoding: str | None = None, *, path: Path | str | None = None) -> str:
    """Bytes -> text. With no ``encoding``: a UTF-8, UTF-16 or UTF-32 byte order mark decides, else
    strict UTF-8; anything that does not decode fails with the line it is on and suggests the encoding
    that fits the bytes (``--encoding``)."""
    if encoding is None:
        encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
        asked = False
    else:
        asked = True
    try:
        text = data.decode(encoding)
        return text.removeprefix("\ufeff") if asked else text
    except LookupError:
        raise FormatError(f"unknown text encoding {encoding!r}", path=path,
                          hint="e.g. --encoding cp1252, latin-1, utf-16") from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        what = f"not {encoding} text" if asked else "not UTF-8 text"
        guess = suggest_encoding(data)
        hint = (f"the bytes look like {guess}: try --encoding {guess}" if guess and guess != encoding
                else "give the file's encoding with --encoding")
        raise FormatError(f"{what} (byte 0x{bad})", path=path, line=line, hint=hint) from None


def read_subtitles(path: Path | str, encoding: str | None = None, fmt: str | None = None) -> CueTrack:
    """Read a subtitle file: the format from ``fmt`` or the extension, the text decoded strictly
    (see ``decode``). Errors are FormatErrors naming the file and, where known, the line."""
    name = format_for(path, fmt)
    mod = SUBTITLE_FORMATS[name]
    if not readable(name):
        raise FormatError(f"{name} files cannot be read back into cues", path=path,
                          hint="read " + ", ".join(n for n in SUBTITLE_FORMATS if readable(n)))
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SubpipeError("no such file", path=path) from None
    except OSError as exc:
        raise SubpipeError(f"cannot read ({exc.strerror or exc})", path=path) from None
    binary = getattr(mod, "BINARY", False)  # EBU-STL: the reader takes the bytes
    text = "" if binary else decode(data, encoding, path=path)
    try:
        track = mod.loadb(data) if binary else mod.loads(text)
    except FormatError as exc:
        if exc.path is None:
            exc.path = str(path)
        raise
    meta = dict(track.metadata)
    meta["source"] = {"path": str(path), "format": name,
                      "has_text": mod.has_text(data) if binary else has_text(text, name)}
    return CueTrack(track.cues, track.language, meta)


def has_text(text: str, fmt: str) -> bool:
    """Whether a file holds anything a viewer could read: letters or digits outside the format's
    own syntax (SCC: any printable character code)."""
    import re

    if fmt == "scc":
        body = re.sub(r"^\s*Scenarist_SCC.*$|\d+:\d\d[:;.,]\d\d[:;.,]\d\d", " ", text, flags=re.M)
        return any(0x20 < (int(w, 16) >> 8) & 0x7F < 0x7F or 0x20 < int(w, 16) & 0x7F < 0x7F
                   for w in re.findall(r"\b[0-9a-fA-F]{4}\b", body))
    if fmt in ("ttml", "itt"):
        body = re.sub(r"<[^>]*>", " ", text)
    elif fmt in ("ass", "ssa"):  # the Text field of Dialogue lines, override blocks removed
        body = " ".join(re.sub(r"\{[^}]*\}|\\[Nnh]", " ", line.split(",", 9)[-1])
                        for line in re.findall(r"^\s*Dialogue\s*:(.*)$", text, flags=re.M))
    elif fmt == "vtt":
        body = re.sub(r"^WEBVTT.*$|^(NOTE|STYLE|REGION)\b.*$", " ", text, flags=re.M)
        body = re.sub(r"[\d:.,]+\s*-->\s*[\d:.,]+.*$", " ", body, flags=re.M)
    else:
        body = re.sub(r"[\d:.,]+\s*-->\s*[\d:.,]+.*$|^\s*\d+\s*$", " ", text, flags=re.M)
    return any(c.isalnum() for c in body)


def write_subtitles(track: CueTrack, fmt: str, *, fps: str | None = None,
                    start_tc: str | None = None) -> tuple[str | bytes, list[str]]:
    """The text of ``track`` in format ``fmt`` and the notes on what that format could not carry
    (styling, placement, characters, re-timed cues). ``fps`` goes to the formats that count frames.
    A binary format (EBU-STL) gives bytes instead of text (``fsio.atomic_write_text`` takes both)."""
    import inspect

    from .limits import refuse_past_limit

    mod = module(fmt)
    kw: dict = {"fps": fps} if fps is not None and "fps" in inspect.signature(mod.dumps).parameters else {}
    if start_tc:  # the programme start timecode: SCC only (its first caption loads in the pre-roll)
        if "start_tc" not in inspect.signature(mod.dumps).parameters:
            raise FormatError(f"--start-tc is for SCC output, not {mod.NAME}")
        kw["start_tc"] = start_tc
    refuse_past_limit(mod.NAME, track, fps, start_tc)  # a time the format cannot hold: refused, nothing written
    if hasattr(mod, "write"):
        return mod.write(track, **kw)
    text = mod.dumps(track, **kw)
    notes = []
    styled = [n for n, c in enumerate(track.cues, start=1) if c.spans or c.placement is not None]
    if styled:
        notes.append(f"styling and placement are not kept in {mod.NAME}: {len(styled)} cue(s) (cue "
                     + ", ".join(map(str, styled[:8])) + (", ..." if len(styled) > 8 else "") + ")")
    return text, notes


def source_notes(track: CueTrack) -> list[str]:
    """The reader's notes and skipped blocks as ``file:line: message`` lines."""
    from ._common import reader_notes, reader_skipped

    meta = track.metadata if isinstance(track.metadata, dict) else {}
    path = (meta.get("source") or {}).get("path", "")
    where = (lambda line: f"{path}:{line}: " if line else f"{path}: ") if path else (
        lambda line: f"line {line}: " if line else "")
    return ([where(line) + f"skipped: {why}" for line, why in reader_skipped(track)]
            + [where(line) + msg for line, msg in reader_notes(track)])


@dataclass(frozen=True)
class Conversion:
    """What ``convert`` did: the track as read, the text written, and every note (reader and writer)."""

    track: CueTrack
    text: str | bytes  # bytes for a binary format (EBU-STL)
    fmt: str
    notes: tuple[str, ...]


def convert(src: Path | str, dst: Path | str | None = None, *, to: str | None = None, fps: str | None = None,
            encoding: str | None = None, src_format: str | None = None, start_tc: str | None = None) -> Conversion:
    """Read any subtitle file and write it in another format (the one ``to`` names, else ``dst``'s
    extension), keeping what the target can hold; the notes say what it could not. With ``dst``, the
    file is written atomically. ``fps``: the frame rate for frame-based formats (SCC in and out,
    spotting lists, TTML frames)."""
    from ..fsio import atomic_write_text

    if dst is None and to is None:
        raise FormatError("convert needs an output file or a target format")
    fmt = format_for(dst or "", to)
    name = format_for(src, src_format)
    if name == "scc" and fps is not None:
        track = _read_scc(src, encoding, fps)
    else:
        track = read_subtitles(src, encoding, src_format)
    text, wnotes = write_subtitles(track, fmt, fps=fps, start_tc=start_tc)
    if dst is not None:
        atomic_write_text(Path(dst), text)
    return Conversion(track, text, fmt, tuple(source_notes(track) + [f"{fmt}: {n}" for n in wnotes]))


def _read_scc(path: Path | str, encoding: str | None, fps: str) -> CueTrack:
    data = Path(path).read_bytes()
    text = decode(data, encoding, path=path)
    try:
        track = scc.loads(text, fps=fps)
    except FormatError as exc:
        exc.path = exc.path or str(path)
        raise
    meta = dict(track.metadata)
    meta["source"] = {"path": str(path), "format": "scc", "has_text": has_text(text, "scc")}
    return CueTrack(track.cues, track.language, meta)
