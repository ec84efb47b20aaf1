"""Cue markup as structure: styled spans per line and a placement, parsed from and rendered to the
inline syntaxes of SubRip (``<i>``, ``<font color>``, ``{\\an8}``) and WebVTT (``<i>``, ``<c.yellow>``,
``<v Name>``, https://www.w3.org/TR/webvtt1/#cue-text-parsing-rules).

A cue's ``lines`` always hold the text a viewer reads (no tags); ``spans`` hold the same text split
into runs with a style. Writers ask ``styled_lines`` for the runs and say in notes what they drop.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from ..model import Cue, Placement, Span

# WebVTT's default colour classes (section 5.1 "::cue(.white)" ... ) and their sRGB values.
VTT_COLORS = {"white": "#ffffff", "lime": "#00ff00", "cyan": "#00ffff", "red": "#ff0000",
              "yellow": "#ffff00", "magenta": "#ff00ff", "blue": "#0000ff", "black": "#000000"}
_HEX_TO_NAME = {v: k for k, v in VTT_COLORS.items()}
_CSS_EXTRA = {"green": "#008000", "gray": "#808080", "grey": "#808080", "silver": "#c0c0c0",
              "maroon": "#800000", "navy": "#000080", "olive": "#808000", "purple": "#800080",
              "teal": "#008080", "fuchsia": "#ff00ff", "aqua": "#00ffff", "orange": "#ffa500",
              "brown": "#a52a2a", "pink": "#ffc0cb", "gold": "#ffd700", "violet": "#ee82ee",
              "indigo": "#4b0082", "darkred": "#8b0000", "darkgreen": "#006400", "darkblue": "#00008b",
              "lightblue": "#add8e6", "lightgreen": "#90ee90", "lightgray": "#d3d3d3", "lightgrey": "#d3d3d3"}


def norm_color(value: str | None) -> str | None:
    """A colour as one canonical string: a WebVTT class name when it is one, else ``#rrggbb``."""
    if not value:
        return None
    v = value.strip().strip("\"'").lower()
    if re.fullmatch(r"[0-9a-f]{6}", v):  # players take a bare hex triplet too
        v = "#" + v
    if re.fullmatch(r"#[0-9a-f]{6}([0-9a-f]{2})?", v):
        v = v[:7]
        return _HEX_TO_NAME.get(v, v)
    if re.fullmatch(r"#[0-9a-f]{3}", v):
        v = "#" + "".join(c * 2 for c in v[1:])
        return _HEX_TO_NAME.get(v, v)
    if v in VTT_COLORS:
        return v
    if v in _CSS_EXTRA:
        h = _CSS_EXTRA[v]
        return _HEX_TO_NAME.get(h, h)
    return None


def color_hex(color: str) -> str:
    return VTT_COLORS.get(color, color)


# ---------------------------------------------------------------- model helpers
def styled_lines(cue: Cue) -> list[list[Span]]:
    """The cue's lines as styled runs (plain runs when the cue carries no markup)."""
    sp = cue.spans
    if sp and len(sp) == len(cue.lines) and all("".join(s.text for s in r) == line
                                                 for r, line in zip(sp, cue.lines, strict=True)):
        return [list(r) for r in sp]
    return [[Span(line)] if line else [] for line in cue.lines]


def normalise(lines: Iterable[Sequence[Span]], collapse: bool = False) -> list[list[Span]]:
    """Merge neighbouring runs of one style, drop empty runs, strip each line's ends (and with
    ``collapse`` fold runs of white space into one space, as TTML's default white-space handling does)."""
    out: list[list[Span]] = []
    for line in lines:
        runs: list[Span] = []
        for s in line:
            text = re.sub(r"[ \t\n\r\f]+", " ", s.text) if collapse else s.text
            if collapse and runs and runs[-1].text.endswith(" ") and text.startswith(" "):
                text = text[1:]
            if not text:
                continue
            if runs and runs[-1].same_style(s):
                runs[-1] = Span(runs[-1].text + text, s.italic, s.bold, s.underline, s.color, s.voice)
            else:
                runs.append(Span(text, s.italic, s.bold, s.underline, s.color, s.voice))
        # strip the line's ends
        while runs and not runs[0].text.strip():
            runs.pop(0)
        while runs and not runs[-1].text.strip():
            runs.pop()
        if runs:
            f, last = runs[0], runs[-1]
            runs[0] = _with_text(f, f.text.lstrip())
            last = runs[-1]
            runs[-1] = _with_text(last, last.text.rstrip())
        out.append(runs)
    return out


def _with_text(s: Span, text: str) -> Span:
    return Span(text, s.italic, s.bold, s.underline, s.color, s.voice)


def make_cue(start_ms: int, end_ms: int, lines: Iterable[Sequence[Span]], placement: Placement | None = None,
             *, collapse: bool = False, keep_blank: bool = False) -> Cue:
    """A cue from styled runs: ``lines`` are the runs' texts; ``spans`` only when something is styled."""
    runs = normalise(lines, collapse)
    if not keep_blank:
        runs = [r for r in runs if r]
    text = tuple("".join(s.text for s in r) for r in runs)
    styled = any(not s.plain for r in runs for s in r)
    if placement is not None and placement.default:
        placement = None
    return Cue(start_ms, max(start_ms, end_ms), text, spans=tuple(tuple(r) for r in runs) if styled else (),
               placement=placement)


# ---------------------------------------------------------------- placement <-> {\anN}
_VERT = {1: "bottom", 2: "bottom", 3: "bottom", 4: "middle", 5: "middle", 6: "middle", 7: "top", 8: "top", 9: "top"}
_HOR = {1: "left", 4: "left", 7: "left", 2: "center", 5: "center", 8: "center", 3: "right", 6: "right", 9: "right"}
_LEGACY_A = {1: 1, 2: 2, 3: 3, 5: 7, 6: 8, 7: 9, 9: 4, 10: 5, 11: 6}  # SSA {\aN} -> {\anN}


def an_placement(n: int) -> Placement:
    return Placement(vertical=_VERT[n], align=_HOR[n])


def placement_an(p: Placement | None) -> int | None:
    """The ``{\\anN}`` for a placement, or None for the default (bottom centre)."""
    if p is None or (p.vertical, p.align) == ("bottom", "center"):
        return None
    row = {"bottom": 0, "middle": 3, "top": 6}[p.vertical]
    return row + {"left": 1, "center": 2, "right": 3}[p.align]


# ---------------------------------------------------------------- SubRip
_SRT_TOKEN = re.compile(r"(</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?>)|(\{\\[^{}]*\})")
_SRT_KNOWN = {"i": "i", "b": "b", "u": "u", "s": "s", "font": "font", "em": "i", "strong": "b", "bold": "b",
              "italic": "i", "underline": "u"}
_ASS_TAG = re.compile(r"\\([a-zA-Z]+)(\([^)]*\)|[^\\]*)")


class _Style:
    __slots__ = ("italic", "bold", "underline", "colors", "voice")

    def __init__(self) -> None:
        self.italic = self.bold = self.underline = 0
        self.colors: list[str | None] = []
        self.voice: list[str] = []

    def span(self, text: str) -> Span:
        color = next((c for c in reversed(self.colors) if c), None)
        return Span(text, self.italic > 0, self.bold > 0, self.underline > 0, color,
                    self.voice[-1] if self.voice else None)


def parse_srt(lines: Sequence[str]) -> tuple[list[list[Span]], Placement | None, list[str]]:
    """SubRip cue lines -> styled runs, a placement from ``{\\anN}``, and notes on what was dropped.
    Tags players know (``<i> <b> <u> <font color>``, ASS ``{\\i1}``-style overrides) become style; any
    other ``<...>`` is text, as players show it."""
    st = _Style()
    placement: Placement | None = None
    notes: list[str] = []
    out: list[list[Span]] = []
    joined = "\n".join(lines)
    closed = {m.lower() for m in re.findall(r"</([a-zA-Z][a-zA-Z0-9]*)\s*>", joined)}
    for line in lines:
        runs: list[Span] = []
        pos = 0
        for m in _SRT_TOKEN.finditer(line):
            tag = m.group(1)
            if tag:
                raw = re.match(r"</?([a-zA-Z0-9]+)", tag).group(1).lower()  # type: ignore[union-attr]
                if raw not in _SRT_KNOWN and raw not in closed:
                    continue  # not a tag players know and never closed: it is text (<LAUGHING>)
            if m.start() > pos:
                runs.append(st.span(line[pos:m.start()]))
            pos = m.end()
            if tag:
                closing = tag.startswith("</")
                name = _SRT_KNOWN.get(raw)
                if name is None:
                    if not closing:
                        notes.append(f"unknown tag <{raw}> is not kept (its text is)")
                    continue
                d = -1 if closing else 1
                if name == "i":
                    st.italic = max(0, st.italic + d)
                elif name == "b":
                    st.bold = max(0, st.bold + d)
                elif name == "u":
                    st.underline = max(0, st.underline + d)
                elif name == "s":
                    if not closing:
                        notes.append("strike-through is not kept")
                elif name == "font":
                    if closing:
                        if st.colors:
                            st.colors.pop()
                    else:
                        cm = re.search(r"color\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", tag, re.IGNORECASE)
                        color = norm_color(cm.group(1)) if cm else None
                        if cm and color is None:
                            notes.append(f"font colour {cm.group(1)} is not a colour subpipe knows; dropped")
                        if re.search(r"\b(face|size)\s*=", tag, re.IGNORECASE):
                            notes.append("font face/size is not kept")
                        st.colors.append(color)
                continue
            for name, arg in _ASS_TAG.findall(m.group(2)[1:-1]):
                low = name.lower()
                if low == "an" and arg.strip().isdigit() and 1 <= int(arg) <= 9:
                    placement = an_placement(int(arg))
                elif low == "a" and arg.strip().isdigit() and int(arg) in _LEGACY_A:
                    placement = an_placement(_LEGACY_A[int(arg)])
                elif low in ("i", "b", "u") and arg.strip() in ("0", "1"):
                    setattr(st, {"i": "italic", "b": "bold", "u": "underline"}[low], int(arg))
                elif low in ("c", "1c") and (cm := re.match(r"&H([0-9a-fA-F]{6})&?", arg.strip())):
                    bgr = cm.group(1).lower()
                    st.colors = [norm_color("#" + bgr[4:6] + bgr[2:4] + bgr[0:2])]
                else:
                    notes.append(f"override {{\\{name}{arg}}} is not kept")
        if pos < len(line):
            runs.append(st.span(line[pos:]))
        out.append(runs)
    return out, placement, notes


def render_srt(cue: Cue) -> tuple[list[str], list[str]]:
    """A cue's lines with SubRip tags, and notes for what SubRip cannot carry."""
    notes: list[str] = []
    lines = [r for r in styled_lines(cue) if "".join(s.text for s in r).strip()]
    out: list[str] = []
    for runs in lines:
        parts = []
        for s in runs:
            t = s.text
            if s.voice:
                notes.append("speaker voice (WebVTT <v>) is not kept in SRT")
            if s.color:
                t = f'<font color="{color_hex(s.color)}">{t}</font>'
            t = _styled(t, s)
            parts.append(t)
        out.append("".join(parts))
    an = placement_an(cue.placement)
    if an is not None and out:
        out[0] = f"{{\\an{an}}}" + out[0]
    return out, notes


# ---------------------------------------------------------------- WebVTT
_VTT_TOKEN = re.compile(r"<([^>]*)>?")
_VTT_TIMESTAMP = re.compile(r"^(\d+:)?\d{2}:\d{2}\.\d{3}$")


def parse_vtt(lines: Sequence[str]) -> tuple[list[list[Span]], list[str]]:
    """WebVTT cue text -> styled runs (section 6.4: every ``<`` opens a tag; unknown tags, ruby text
    markers, language and inline timestamps carry no style; character references are decoded)."""
    st = _Style()
    stack: list[str] = []
    notes: list[str] = []
    out: list[list[Span]] = []
    for line in lines:
        runs: list[Span] = []
        pos = 0
        for m in _VTT_TOKEN.finditer(line):
            if m.start() > pos:
                runs.append(st.span(html.unescape(line[pos:m.start()])))
            pos = m.end()
            tag = m.group(1).strip()
            if not tag:
                continue
            if _VTT_TIMESTAMP.match(tag):
                notes.append("inline timestamps (karaoke painting) are not kept; the text is")
                continue
            closing = tag.startswith("/")
            head = tag[1:] if closing else tag
            name_classes, _, annotation = head.partition(" ")
            name, *classes = name_classes.split(".")
            name = name.lower()
            if closing:
                # close up to the matching open tag
                while stack:
                    top = stack.pop()
                    _close(st, top)
                    if top.split(":")[0] == name:
                        break
                continue
            if name in ("i", "b", "u"):
                setattr(st, {"i": "italic", "b": "bold", "u": "underline"}[name],
                        getattr(st, {"i": "italic", "b": "bold", "u": "underline"}[name]) + 1)
            elif name == "c":
                colors = [c.lower() for c in classes if c.lower() in VTT_COLORS]
                st.colors.append(colors[-1] if colors else None)
                other = [c for c in classes if c.lower() not in VTT_COLORS]
                if other:
                    notes.append(f"cue class {'.'.join(other)} has no meaning without its style sheet; not kept")
            elif name == "v":
                st.voice.append(annotation.strip() or "")
            elif name in ("lang", "ruby", "rt"):
                pass
            else:
                notes.append(f"unknown tag <{name}> ignored, as WebVTT says")
                continue
            stack.append(name)
        if pos < len(line):
            runs.append(st.span(html.unescape(line[pos:])))
        out.append(runs)
    return out, notes


def _close(st: _Style, name: str) -> None:
    if name in ("i", "b", "u"):
        attr = {"i": "italic", "b": "bold", "u": "underline"}[name]
        setattr(st, attr, max(0, getattr(st, attr) - 1))
    elif name == "c" and st.colors:
        st.colors.pop()
    elif name == "v" and st.voice:
        st.voice.pop()


def vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(cue: Cue) -> tuple[list[str], list[str]]:
    notes: list[str] = []
    out: list[str] = []
    for runs in styled_lines(cue):
        if not "".join(s.text for s in runs).strip():
            continue
        parts = []
        for s in runs:
            t = vtt_escape(s.text)
            if s.color:
                if s.color in VTT_COLORS:
                    t = f"<c.{s.color}>{t}</c>"
                else:
                    notes.append(f"colour {s.color} is not one of WebVTT's colour classes; dropped")
            t = _styled(t, s)
            if s.voice is not None:
                t = f"<v {s.voice}>{t}</v>" if s.voice else f"<v>{t}</v>"
            parts.append(t)
        out.append("".join(parts))
    return out, notes


def vtt_settings(p: Placement | None) -> str:
    """WebVTT cue settings for a placement: as read when read from WebVTT, else from vertical/align."""
    if p is None:
        return ""
    if (p.line is not None or p.position is not None or p.size is not None or p.vtt_align is not None
            or p.region is not None):
        parts = [f"{k}:{v}" for k, v in (("region", p.region), ("line", p.line), ("position", p.position),
                                         ("size", p.size), ("align", p.vtt_align)) if v is not None]
        return " ".join(parts)
    parts = []
    if p.vertical == "top":
        parts.append("line:0")
    elif p.vertical == "middle":
        parts.append("line:50%")
    if p.align != "center":
        parts.append(f"align:{p.align}")
    return " ".join(parts)


def parse_vtt_settings(text: str) -> tuple[Placement | None, list[str]]:
    """Cue settings (section 6.3) -> placement; an unknown or malformed setting is ignored (noted)."""
    raw: dict[str, str] = {}
    notes: list[str] = []
    for tok in text.split():
        k, sep, v = tok.partition(":")
        if not sep or not v or k not in ("region", "vertical", "line", "position", "size", "align"):
            notes.append(f"cue setting {tok!r} ignored")
            continue
        raw[k] = v
    if not raw:
        return None, notes
    if "vertical" in raw:
        notes.append("vertical text (vertical:) is not kept")
    vertical = "bottom"
    line = raw.get("line")
    if line is not None:
        val = line.split(",")[0]
        try:
            if val.endswith("%"):
                pct = float(val[:-1])
                vertical = "top" if pct < 40 else ("middle" if pct < 60 else "bottom")
            else:
                num = float(val)
                vertical = "top" if num >= 0 and num < 5 else ("bottom" if num < 0 else "middle")
        except ValueError:
            notes.append(f"cue setting line:{line} ignored")
            line = None
    a = raw.get("align")
    align = {"start": "left", "left": "left", "end": "right", "right": "right"}.get(a or "", "center")
    return Placement(vertical=vertical, align=align, line=line, position=raw.get("position"),
                     size=raw.get("size"), vtt_align=a, region=raw.get("region")), notes


def _styled(t: str, s) -> str:
    """``t`` inside the underline / italic / bold tags SRT and WebVTT share, in the order both writers use."""
    if s.underline:
        t = f"<u>{t}</u>"
    if s.italic:
        t = f"<i>{t}</i>"
    if s.bold:
        t = f"<b>{t}</b>"
    return t
