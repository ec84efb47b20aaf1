"""Advanced SubStation Alpha (.ass, v4.00+) and SubStation Alpha (.ssa, v4.00) through pysubs2.

pysubs2 parses and writes the file's sections (script info, styles, events, attached fonts and
images); this module maps them onto the one cue model. Reading, for each ``Dialogue`` event:

- the event's style gives the starting look: italic, bold, underline and the primary colour (when not
  white) become span styles, its alignment (numpad 1-9) the cue's placement;
- override tags ``{\\i1}`` ``{\\b1}`` ``{\\u1}`` ``{\\c&HBBGGRR&}``/``{\\1c}`` ``{\\r}`` change the runs,
  ``{\\anN}``/``{\\aN}`` the placement; ``\\N`` breaks the line, ``\\h`` is a no-break space, ``\\n`` a
  line break only under ``WrapStyle: 2`` (else a space, as libass shows it); the speaker (``Name``
  field) becomes the runs' voice;
- what the model cannot hold (fonts and sizes, ``\\pos``/``\\move``, fades, karaoke, drawings, comment
  events, attached fonts and images, layers) is a note naming it.

Writing makes one ``Default`` style (bottom centre, white, 1920x1080 script resolution) and puts each
cue's styling in override tags; a file read from ASS keeps its attached fonts and images (they travel
in the track's metadata). ASS times are centiseconds: every time is rounded to the nearest 10 ms.
"""

from __future__ import annotations

import logging
import re
import warnings

import pysubs2

from ..errors import FormatError
from ..model import Cue, CueTrack, Placement, Span
from ._common import ReadLog
from .markup import an_placement, color_hex, make_cue, norm_color, placement_an, styled_lines

NAME = "ass"
EXTENSIONS = (".ass",)
SUBFORMAT = "ass"
MAX_MS = 35_999_990  # 9:59:59.99, the largest time an ASS file can hold

log = logging.getLogger("subpipe")

_BLOCK = re.compile(r"\{([^{}]*)\}")
_TAG = re.compile(r"\\(1c|2c|3c|4c|1a|2a|3a|4a|[a-zA-Z]+)(\([^)]*\)|[^\\]*)")
_LEGACY_A = {1: 1, 2: 2, 3: 3, 5: 7, 6: 8, 7: 9, 9: 4, 10: 5, 11: 6}  # SSA {\aN} -> numpad
_NUMPAD_TO_SSA = {v: k for k, v in _LEGACY_A.items()}
_IGNORED_SILENTLY = {"1a", "2c", "3c", "4c", "2a", "3a", "4a", "alpha", "bord", "shad", "xbord", "ybord",
                     "xshad", "yshad", "q"}  # outline/shadow looks: no viewer loses words or meaning


def _ass_color(value: str) -> str | None:
    """``&HBBGGRR&`` (or ``&HAABBGGRR``) -> our colour, None for white."""
    m = re.fullmatch(r"&?[hH]?([0-9a-fA-F]{1,8})&?", value.strip())
    if not m:
        return None
    v = int(m.group(1), 16)
    r, g, b = v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF
    c = norm_color(f"#{r:02x}{g:02x}{b:02x}")
    return None if c == "white" else c


def _style_color(color: pysubs2.Color) -> str | None:
    c = norm_color(f"#{color.r:02x}{color.g:02x}{color.b:02x}")
    return None if c == "white" else c


class _Look:
    __slots__ = ("italic", "bold", "underline", "color")

    def __init__(self, style: pysubs2.SSAStyle | None):
        self.italic = bool(style and style.italic)
        self.bold = bool(style and style.bold)
        self.underline = bool(style and style.underline)
        self.color = _style_color(style.primarycolor) if style is not None else None

    def span(self, text: str, voice: str | None) -> Span:
        return Span(text, self.italic, self.bold, self.underline, self.color, voice)


def _parse_event(ev: pysubs2.SSAEvent, styles: dict, wrap2: bool, note) -> tuple[list[list[Span]], Placement | None]:
    """One event's text -> styled runs per line and a placement."""
    base = styles.get(ev.style)
    if base is None and ev.style not in styles:
        note(f"style {ev.style!r} is not defined; the default look is used")
    look = _Look(base)
    align = int(base.alignment) if base is not None else 2
    voice = ev.name.strip() or None
    lines: list[list[Span]] = [[]]
    pos = 0
    text = ev.text
    drawing = False
    for m in [*_BLOCK.finditer(text), None]:
        chunk = text[pos: m.start() if m else len(text)]
        if chunk and not drawing:
            parts = re.split(r"(\\N|\\n)", chunk)
            for part in parts:
                if part == "\\N" or (part == "\\n" and wrap2):
                    lines.append([])
                elif part == "\\n":
                    lines[-1].append(look.span(" ", voice))
                elif part:
                    lines[-1].append(look.span(part.replace("\\h", "\u00a0"), voice))
        elif chunk and drawing:
            note("vector drawings ({\\p1}) are not kept")
        if m is None:
            break
        pos = m.end()
        for tag, arg in _TAG.findall(m.group(1)):
            low = tag.lower()
            if low == "i":
                look.italic = arg.strip() not in ("0",) if arg.strip() else bool(base and base.italic)
            elif low == "b":
                a = arg.strip()
                look.bold = (a not in ("0",) and (not a.isdigit() or int(a) == 1 or int(a) >= 500)) if a else \
                    bool(base and base.bold)
            elif low == "u":
                look.underline = arg.strip() not in ("0",) if arg.strip() else bool(base and base.underline)
            elif low in ("c", "1c"):
                look.color = _ass_color(arg) if arg.strip() else (
                    _style_color(base.primarycolor) if base is not None else None)
            elif low == "an" and arg.strip().isdigit() and 1 <= int(arg) <= 9:
                align = int(arg)
            elif low == "a" and arg.strip().isdigit() and int(arg) in _LEGACY_A:
                align = _LEGACY_A[int(arg)]
            elif low == "r":
                look = _Look(styles.get(arg.strip(), base) if arg.strip() else base)
            elif low == "p":
                drawing = arg.strip() not in ("", "0")
            elif low in ("pos", "move", "org"):
                note(f"{{\\{low}}} positions are kept only as top/middle/bottom and left/centre/right")
            elif low in ("fad", "fade"):
                note("fades ({\\fad}) are not kept")
            elif low in ("k", "kf", "ko", "kt", "K"):
                note("karaoke timing ({\\k}) is not kept")
            elif low in ("fn", "fs", "fscx", "fscy", "fsp", "frz", "fr", "frx", "fry", "fax", "fay", "blur", "be",
                         "s", "clip", "iclip", "fe"):
                note(f"{{\\{low}}} (font, size, strikeout, rotation, blur, clip) is not kept")
            elif low not in _IGNORED_SILENTLY:
                note(f"override tag {{\\{tag}}} is not kept")
    return lines, (an_placement(align) if align != 2 else None)


def loads(text: str, *, strict: bool = False) -> CueTrack:
    rl = ReadLog(strict)
    body = text.removeprefix("\ufeff")
    if not re.search(r"^\s*\[Script Info\]", body, re.M | re.I) and not re.search(r"^\s*Dialogue\s*:", body, re.M):
        raise FormatError("not an ASS/SSA file: no [Script Info] section and no Dialogue lines")
    try:
        with warnings.catch_warnings(record=True) as caught:  # pysubs2 warns about fields it replaced
            warnings.simplefilter("always")
            subs = pysubs2.SSAFile.from_string(body, format_="ass" if "[v4+ styles]" in body.lower() else None)
    except (pysubs2.Pysubs2Error, ValueError, KeyError, IndexError, TypeError) as exc:
        raise FormatError(f"not an ASS/SSA file that pysubs2 can read: {exc}") from None
    for w in caught:
        rl.note(None, f"pysubs2: {w.message}")
    wrap2 = str(subs.info.get("WrapStyle", "0")).strip() == "2"
    dialogue_lines = [n for n, line in enumerate(body.splitlines(), start=1)
                      if re.match(r"\s*(Dialogue|Comment)\s*:", line)]
    cues: list[Cue] = []
    comments = 0
    layers = {e.layer for e in subs if not e.is_comment}
    for k, ev in enumerate(subs):
        line_no = dialogue_lines[k] if k < len(dialogue_lines) else None
        if ev.is_comment:
            comments += 1
            continue
        lines, placement = _parse_event(ev, subs.styles, wrap2, lambda msg, ln=line_no: rl.note(ln, msg))
        cue = make_cue(ev.start, max(ev.start, ev.end), lines, placement)
        if not cue.lines:
            continue
        if ev.end < ev.start:
            rl.note(line_no, "an event that ends before it starts is shown for 0 ms")
        cues.append(cue)
    if comments:
        rl.note(None, f"{comments} Comment event(s) are not shown by players and are not kept")
    if len(layers) > 1:
        rl.note(None, "layers are not kept: events are ordered by time")
    used = {e.style for e in subs if not e.is_comment}
    for st_name, st in subs.styles.items():
        if st_name in used and (st.fontname.lower() != "arial" or st.borderstyle == 3):
            look = f"font {st.fontname!r}" + (" and opaque box" if st.borderstyle == 3 else "")
            rl.note(None, f"style {st_name!r}: its {look} are not kept (the model holds italic, bold, underline, "
                          "colour and position)")
    attached = {"fonts": dict(subs.fonts_opaque), "graphics": dict(subs.graphics_opaque)}
    names = [*attached["fonts"], *attached["graphics"]]
    if names:
        rl.note(None, f"attached {len(names)} file(s) ({', '.join(names[:4])}{', ...' if len(names) > 4 else ''}) "
                      "are kept when written as ASS and dropped by every other format")
    meta = rl.metadata()
    if names:
        meta["ass_attachments"] = attached
    return CueTrack.of(cues, metadata=meta)


def _tags(prev: Span | None, run: Span) -> str:
    out = []
    p = prev or Span("")
    if run.italic != p.italic:
        out.append("\\i1" if run.italic else "\\i0")
    if run.bold != p.bold:
        out.append("\\b1" if run.bold else "\\b0")
    if run.underline != p.underline:
        out.append("\\u1" if run.underline else "\\u0")
    if run.color != p.color:
        if run.color:
            h = color_hex(run.color).lstrip("#")
            out.append(f"\\c&H{h[4:6]}{h[2:4]}{h[0:2]}&".upper().replace("\\C", "\\c"))
        else:
            out.append("\\c")
    return "{" + "".join(out) + "}" if out else ""


def _escape(text: str) -> str:
    """Text that ASS would take for markup: ``{`` opens a tag block and ``\\N`` ``\\n`` ``\\h`` are
    breaks; a zero-width joiner after the backslash keeps them text (libass shows it as nothing)."""
    return (text.replace("{", "\uff5b").replace("}", "\uff5d")
            .replace("\\", "\\\u2060").replace("\u00a0", "\\h").replace("\n", " "))


def write(track: CueTrack, *, subformat: str | None = None) -> tuple[str, list[str]]:
    """The track as ASS (or SSA v4 with ``subformat='ssa'``) and the notes on what it could not keep."""
    fmt = subformat or SUBFORMAT
    subs = pysubs2.SSAFile()
    subs.info.update({"Title": "subpipe", "ScriptType": "v4.00+" if fmt == "ass" else "v4.00", "WrapStyle": "0",
                      "ScaledBorderAndShadow": "yes", "PlayResX": "1920", "PlayResY": "1080"})
    subs.styles["Default"] = pysubs2.SSAStyle(fontname="Arial", fontsize=54, outline=2.5, shadow=1, marginv=54,
                                              marginl=96, marginr=96)
    notes: list[str] = []
    rounded = 0
    braces = False
    voices: set[int] = set()
    clamped: list[int] = []
    for n, cue in enumerate(track.cues, start=1):
        parts = []
        an = placement_an(cue.placement)
        head = (f"{{\\a{_NUMPAD_TO_SSA[an]}}}" if fmt == "ssa" else f"{{\\an{an}}}") if an else ""
        speakers = {s.voice for r in styled_lines(cue) for s in r if s.voice}
        prev = None  # override tags hold across \\N to the end of the event
        for runs in styled_lines(cue):
            line = ""
            for run in runs:
                if "{" in run.text or "}" in run.text or "\\" in run.text:
                    braces = True
                line += _tags(prev, run) + _escape(run.text)
                prev = run
            parts.append(line)
        if not any(p.strip() for p in parts):
            continue
        if len(speakers) > 1:
            voices.add(n)
        rounded += cue.start_ms % 10 != 0 or cue.end_ms % 10 != 0
        start, end = min(cue.start_ms, MAX_MS), min(cue.end_ms, MAX_MS)
        if end != cue.end_ms:
            clamped.append(n)
        subs.events.append(pysubs2.SSAEvent(start=start, end=end, text=head + "\\N".join(parts),
                                            name=next(iter(speakers)) if len(speakers) == 1 else ""))
    if clamped:
        notes.append(f"ASS times end at 9:59:59.99: {len(clamped)} cue(s) later than that are written there "
                     f"(cue {', '.join(map(str, clamped[:8]))}{', ...' if len(clamped) > 8 else ''}); shift the "
                     "track first (`retime --offset`) to keep their times")
    if rounded:
        notes.append(f"ASS holds centiseconds: {rounded} cue(s) had times rounded to the nearest 10 ms")
    if voices:
        notes.append(f"ASS holds one speaker per event: {len(voices)} cue(s) with two or more speakers "
                     f"keep none (cue {', '.join(map(str, sorted(voices)[:8]))})")
    if braces:
        notes.append("curly braces and backslashes in the text are written as full-width braces and "
                     "a backslash with a word joiner, so ASS does not read them as tags")
    meta = track.metadata if isinstance(track.metadata, dict) else {}
    att = meta.get("ass_attachments") or {}
    if att:
        if fmt == "ass":
            subs.fonts_opaque.update(att.get("fonts") or {})
            subs.graphics_opaque.update(att.get("graphics") or {})
        else:
            notes.append("SSA does not hold attached fonts and images: they are dropped")
    if track.language:
        subs.info["Language"] = track.language
    try:
        text = subs.to_string(fmt)
    except (pysubs2.Pysubs2Error, ValueError) as exc:  # pragma: no cover - pysubs2 writes what we hand it
        raise FormatError(f"pysubs2 cannot write {fmt}: {exc}") from None
    return text, notes


def dumps(track: CueTrack) -> str:
    text, notes = write(track)
    for note in notes:
        log.warning("ASS: %s", note)
    return text
