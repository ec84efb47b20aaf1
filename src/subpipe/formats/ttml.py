"""TTML, IMSC 1.1 Text Profile (https://www.w3.org/TR/ttml-imsc1.1/), through sandflow's ttconv.

We build a ttconv ``ContentDocument`` (one bottom-centred region inside the 10% safe area, one ``p`` per
cue, ``br`` between lines, the IMSC 1.1 Text Profile designator in ``ttp:contentProfiles``) and serialise
it with ttconv's IMSC writer. The tests run ttconv's IMSC 1.1 Text Profile filter over what we build;
the writer does not, as the filter computes every rendering state and takes quadratic time. Times are
clock times to the millisecond (our integer ms, exactly) unless ``time_format="frames"``, which writes
frame counts at the frame rate (``ttp:frameRate``), each time moved to its nearest frame.

Reading goes through ttconv's IMSC reader; ``p`` times are resolved against their ancestors'.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as et
from fractions import Fraction

import ttconv.imsc.config as imsc_config
import ttconv.imsc.reader as imsc_reader
import ttconv.imsc.writer as imsc_writer
import ttconv.model as tmodel
import ttconv.style_properties as styles
from ttconv.imsc.attributes import TimeExpressionSyntaxEnum
from ttconv.imsc.designators import IMSC_11_TEXT_PROFILE_DESIGNATOR

from ..errors import FormatError
from ..model import Cue, CueTrack, Placement, Span
from ..timecode import FrameRate
from ._common import ReadLog, captured_logs, frame_rate_for, nearest_frame, ttconv_document
from .markup import color_hex, make_cue, norm_color, styled_lines

NAME = "ttml"
EXTENSIONS = (".ttml", ".dfxp", ".xml")

log = logging.getLogger("subpipe")

# Characters XML 1.0 cannot carry at all (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PCT = styles.LengthType.Units.pct
_TT = "http://www.w3.org/ns/ttml"


_VERTICAL_ALIGN = {"top": styles.DisplayAlignType.before, "middle": styles.DisplayAlignType.center,
                   "bottom": styles.DisplayAlignType.after}
_TEXT_ALIGN = {"left": styles.TextAlignType.start, "center": styles.TextAlignType.center,
               "right": styles.TextAlignType.end}


def _color_type(color: str) -> styles.ColorType:
    h = color_hex(color).lstrip("#")
    return styles.ColorType((int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 255))


def to_model(track: CueTrack, *, fps: FrameRate | None = None, notes: list[str] | None = None,
             ) -> tmodel.ContentDocument:
    """Our CueTrack as a ttconv document; with ``fps``, times are moved onto that frame grid. Styled
    spans become ``span`` elements with ``tts:fontStyle``/``fontWeight``/``textDecoration``/``color``;
    a placement becomes a region (top, middle or bottom of the safe area) and ``tts:textAlign``.
    ``notes`` collects what TTML as written here cannot carry (speaker voices)."""
    notes = notes if notes is not None else []
    pct10, pct80 = styles.LengthType(10, _PCT), styles.LengthType(80, _PCT)
    doc, div = ttconv_document((
        (styles.StyleProperties.Origin, styles.CoordinateType(pct10, pct10)),
        (styles.StyleProperties.Extent, styles.ExtentType(pct80, pct80)),
    ))
    doc.set_lang(track.language or "")
    doc.set_content_profiles({IMSC_11_TEXT_PROFILE_DESIGNATOR})
    regions = {"bottom": doc.get_region("bottom")}

    def region_for(vertical: str) -> tmodel.Region:
        if vertical not in regions:
            r = tmodel.Region(vertical, doc)
            r.set_style(styles.StyleProperties.Origin, styles.CoordinateType(pct10, pct10))
            r.set_style(styles.StyleProperties.Extent, styles.ExtentType(pct80, pct80))
            r.set_style(styles.StyleProperties.DisplayAlign, _VERTICAL_ALIGN[vertical])
            r.set_style(styles.StyleProperties.TextAlign, styles.TextAlignType.center)
            doc.put_region(r)
            regions[vertical] = r
        return regions[vertical]

    def when(ms: int) -> Fraction:
        return Fraction(nearest_frame(ms, fps)) / fps.rate if fps else Fraction(ms, 1000)

    for n, cue in enumerate(track.cues, start=1):
        lines = [r for r in styled_lines(cue) if "".join(x.text for x in r).strip()]
        if not lines:
            continue
        p = tmodel.P(doc)
        p.set_id(f"c{n}")
        p.set_begin(when(cue.start_ms))
        end = cue.end_ms
        if when(end) <= when(cue.start_ms):  # TTML readers drop a p with no duration: its words would go
            end = cue.start_ms + (max(1, round(1000 / fps.rate)) if fps else 1)
            while when(end) <= when(cue.start_ms):
                end += 1
            notes.append(f"cue {n} lasts 0 ms; written {end - cue.start_ms} ms long so TTML readers keep it")
        p.set_end(when(end))
        pl = cue.placement
        if pl is not None and pl.vertical != "bottom":
            p.set_region(region_for(pl.vertical))
        if pl is not None and pl.align != "center":
            p.set_style(styles.StyleProperties.TextAlign, _TEXT_ALIGN[pl.align])
        for i, runs in enumerate(lines):
            if i:
                p.push_child(tmodel.Br(doc))
            for run in runs:
                clean = _NOT_XML.sub("", run.text)
                if clean != run.text:
                    notes.append(f"cue {n}: characters XML cannot carry were removed")
                span = tmodel.Span(doc)
                if run.italic:
                    span.set_style(styles.StyleProperties.FontStyle, styles.FontStyleType.italic)
                if run.bold:
                    span.set_style(styles.StyleProperties.FontWeight, styles.FontWeightType.bold)
                if run.underline:
                    span.set_style(styles.StyleProperties.TextDecoration,
                                   styles.TextDecorationType(underline=True))
                if run.color:
                    span.set_style(styles.StyleProperties.Color, _color_type(run.color))
                if run.voice:
                    notes.append(f"cue {n}: speaker voice {run.voice!r} is not kept in TTML")
                span.push_child(tmodel.Text(doc, clean))
                p.push_child(span)
        div.push_child(p)
    return doc


def dumps(track: CueTrack, *, fps: str | float | FrameRate | None = None, time_format: str = "clock") -> str:
    text, notes = write(track, fps=fps, time_format=time_format)
    for note in notes:
        log.warning("TTML: %s", note)
    return text


def write(track: CueTrack, *, fps: str | float | FrameRate | None = None, time_format: str = "clock",
          ) -> tuple[str, list[str]]:
    """IMSC 1.1 Text Profile TTML. ``time_format``: ``clock`` (``HH:MM:SS.mmm``, exact) or ``frames``
    (``123f`` at ``fps``, else the track's profile frame rate, else 24)."""
    if time_format not in ("clock", "frames"):
        raise FormatError(f"unknown TTML time format {time_format!r}", hint="use 'clock' or 'frames'")
    fr = frame_rate_for(track, fps, "24") if time_format == "frames" else None
    notes: list[str] = []
    doc = to_model(track, fps=fr, notes=notes)
    with captured_logs() as records:
        config = imsc_config.IMSCWriterConfiguration(
            profile_signaling=imsc_config.ContentProfilesSignaling.CONTENT_PROFILES,
            time_format=TimeExpressionSyntaxEnum.frames if fr else TimeExpressionSyntaxEnum.clock_time,
            fps=fr.rate if fr else None,
        )
        tree = imsc_writer.from_model(doc, config)
    for r in records:
        log.debug("ttconv: %s", r.getMessage())
    _indent(tree)
    return et.tostring(tree.getroot(), encoding="unicode", xml_declaration=True) + "\n", list(dict.fromkeys(notes))


def _indent(tree: et.ElementTree) -> None:
    """Indent the structure for people to read, but leave no whitespace inside a ``p``: it is content
    there, and renderers do not all collapse it as TTML says they should."""
    et.indent(tree, space="  ")
    for p in tree.getroot().iter(f"{{{_TT}}}p"):
        p.text = None
        for el in p.iter():
            if el is not p:
                el.tail = None


def loads(text: str, *, strict: bool = False) -> CueTrack:
    rl = ReadLog(strict)
    body = text.removeprefix("\ufeff")
    if body[: len(body) - len(body.lstrip())].strip(" \t\r\n") == "" and body != body.lstrip():
        rl.note(1, "white space before the XML declaration is ignored")
        body = body.lstrip()
    # one-digit hours (0:00:02.07): TTML asks for two; read them as players that accept them do
    body, padded = re.subn(r"""(\s(?:begin|end|dur)\s*=\s*["'])(\d):(\d\d:)""", r"\g<1>0\2:\3", body)
    if padded:
        rl.note(None, f"{padded} time(s) with one-digit hours (TTML asks for two) read as written")
    # the text is decoded already: an encoding named in the XML declaration no longer applies
    body = re.sub(r"^(<\?xml[^>]*?)\s+encoding\s*=\s*([\"'])[^\"']*\2", r"\1", body, count=1)
    try:
        root = et.fromstring(body.encode("utf-8"))
    except et.ParseError as exc:
        why = re.sub(r": line \d+, column \d+$", "", str(exc))
        raise FormatError(f"not XML: {why}", line=exc.position[0] if exc.position else None) from None
    with captured_logs() as records:
        try:
            doc = imsc_reader.to_model(et.ElementTree(root))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise FormatError(f"not TTML that ttconv can read: {exc}") from None
    if doc is None:
        why = "; ".join(r.getMessage() for r in records if r.levelno >= logging.ERROR) or "unreadable"
        raise FormatError(f"not TTML: {why}")
    for r in records:
        if r.levelno >= logging.WARNING:
            msg = r.getMessage()
            if msg.startswith("Bad ") and "attribute" in msg:  # a time or style ttconv had to ignore
                rl.skip(None, f"ttconv ignored it: {msg}")
            else:
                rl.note(None, f"ttconv: {msg}")
    return from_model(doc, rl=rl)


DEFAULT_LAST_MS = 4000  # how long a caption with no stated end stays when nothing follows it (a note says so)


def _hex(color) -> str | None:
    try:
        r, g, b, a = color.components
    except (AttributeError, ValueError):
        return None
    if a == 0:
        return None
    c = norm_color(f"#{r:02x}{g:02x}{b:02x}")
    return None if c == "white" else c


_INHERITED = (styles.StyleProperties.FontStyle, styles.StyleProperties.FontWeight,
              styles.StyleProperties.TextDecoration, styles.StyleProperties.Color)


def _style_of(chain: list) -> dict:
    """Computed values of the styles we keep for an element, from its ancestors (nearest wins) and
    finally its region (TTML regions pass inherited styles to the content they show)."""
    out: dict = {}
    for el in chain:
        for prop in _INHERITED:
            if prop not in out and el.has_style(prop):
                out[prop] = el.get_style(prop)
    return out


def _span(text: str, st: dict) -> Span:
    fs = st.get(styles.StyleProperties.FontStyle)
    fw = st.get(styles.StyleProperties.FontWeight)
    td = st.get(styles.StyleProperties.TextDecoration)
    col = st.get(styles.StyleProperties.Color)
    return Span(text, italic=fs in (styles.FontStyleType.italic, styles.FontStyleType.oblique),
                bold=fw == styles.FontWeightType.bold, underline=bool(getattr(td, "underline", False)),
                color=_hex(col) if col is not None else None)


def _pct(length, axis_cells: int | None) -> float | None:
    units = getattr(length, "units", None)
    if units == _PCT:
        return float(length.value)
    if units == styles.LengthType.Units.c and axis_cells:
        return float(length.value) * 100 / axis_cells
    return None


def _placement(doc: tmodel.ContentDocument, p: tmodel.ContentElement) -> Placement | None:
    region = None
    el = p
    while el is not None and region is None:
        region = el.get_region()
        el = el.parent()
    align = None
    el = p
    while el is not None and align is None:
        if el.has_style(styles.StyleProperties.TextAlign):
            align = el.get_style(styles.StyleProperties.TextAlign)
        el = el.parent()
    if region is not None and align is None and region.has_style(styles.StyleProperties.TextAlign):
        align = region.get_style(styles.StyleProperties.TextAlign)
    horizontal = {styles.TextAlignType.start: "left", styles.TextAlignType.end: "right"}.get(align, "center")
    vertical = "bottom"
    if region is not None:
        rows = doc.get_cell_resolution().rows if doc.get_cell_resolution() else 15
        origin = region.get_style(styles.StyleProperties.Origin) if region.has_style(
            styles.StyleProperties.Origin) else None
        extent = region.get_style(styles.StyleProperties.Extent) if region.has_style(
            styles.StyleProperties.Extent) else None
        da = region.get_style(styles.StyleProperties.DisplayAlign) if region.has_style(
            styles.StyleProperties.DisplayAlign) else styles.DisplayAlignType.before
        top = _pct(origin.y, rows) if origin is not None else 0.0
        height = _pct(extent.height, rows) if extent is not None else 100.0
        if top is not None and height is not None:
            anchor = top + {styles.DisplayAlignType.before: 0.0, styles.DisplayAlignType.center: height / 2,
                            styles.DisplayAlignType.after: height}[da]
            vertical = "top" if anchor < 40 else ("middle" if anchor < 60 else "bottom")
    return Placement(vertical=vertical, align=horizontal)


def from_model(doc: tmodel.ContentDocument, time_scale: Fraction = Fraction(1), *, rl: ReadLog | None = None,
               placement: bool = True, align: bool = True, merge_touching: bool = False) -> CueTrack:
    """A ttconv document (from any ttconv reader) -> CueTrack.

    Timing on any element counts (TTML 1 section 10.4): each text run is shown while it and all its
    ancestors are active, so a ``p`` whose ``span`` children carry the times becomes one cue per
    change of what is on screen; ttconv's reader has already resolved ``seq`` containers and ``dur``.
    A caption with no end stays until the next caption begins, or ``DEFAULT_LAST_MS`` (noted).
    Times are multiplied by ``time_scale`` (for a reader that assumed the wrong frame rate)."""
    rl = rl or ReadLog()
    body = doc.get_body()
    found: list[tuple[int, int | None, Cue]] = []
    if body is None:
        return CueTrack.of([], metadata=rl.metadata())

    def ms(t: Fraction) -> int:
        return round(t * time_scale * 1000)

    def clip(el, pb: Fraction, pe: Fraction | None) -> tuple[Fraction, Fraction | None]:
        b = el.get_begin() if el.get_begin() is not None else Fraction(0)
        e = el.get_end()
        a = pb + Fraction(b)
        z = pb + Fraction(e) if e is not None else pe
        if pe is not None and z is not None:
            z = min(z, pe)
        return a, z

    def paragraphs(el, pb, pe):
        for child in el:
            if isinstance(child, tmodel.P):
                yield child, *clip(child, pb, pe)
            elif isinstance(child, (tmodel.Div,)):
                yield from paragraphs(child, *clip(child, pb, pe))

    bb, be = clip(body, Fraction(0), None)
    for p, pb, pe in paragraphs(body, bb, be):
        if pe is not None and pe < pb:
            continue
        instant = pe is not None and pe == pb  # a zero-length caption: kept, its text read untimed
        chain_up = []
        el = p.parent()
        while el is not None:
            chain_up.append(el)
            el = el.parent()
        region = None
        for el in [p, *chain_up]:
            region = region or el.get_region()
        tail = chain_up + ([region] if region is not None else [])
        pieces: list[tuple[str | None, dict, Fraction, Fraction | None]] = []  # None text = line break

        def walk(el, chain, a, z, pieces=pieces, instant=instant, pb=pb):
            for child in el:
                ca, cz = clip(child, a, z) if not isinstance(child, tmodel.Text) else (a, z)
                if instant:
                    ca, cz = pb, None
                elif cz is not None and cz <= ca:
                    continue
                if isinstance(child, tmodel.Br):
                    pieces.append((None, {}, ca, cz))
                elif isinstance(child, tmodel.Text):
                    pieces.append((child.get_text(), _style_of([el, *chain]), ca, cz))
                else:
                    walk(child, [el, *chain], ca, cz)

        walk(p, tail, pb, pe)
        points = sorted({pb, *(x for _, _, a, z in pieces for x in (a, z) if x is not None and x > pb
                                and (pe is None or x < pe))})
        collapse = p.get_space() != tmodel.WhiteSpaceHandling.PRESERVE
        where = _placement(doc, p) if placement else None
        if where is not None and not align:
            where = Placement(vertical=where.vertical)
        prev: tuple | None = None
        for i, t in enumerate(points):
            t_end = points[i + 1] if i + 1 < len(points) else pe
            if instant:
                t_end = pe
            lines: list[list[Span]] = [[]]
            for text, st, a, z in pieces:
                if a <= t and (z is None or z > t):
                    if text is None:
                        lines.append([])
                    else:
                        parts = text.split("\n") if not collapse else [text]
                        for k, part in enumerate(parts):
                            if k:
                                lines.append([])
                            lines[-1].append(_span(part, st))
            cue = make_cue(ms(t), ms(t_end) if t_end is not None else ms(t), lines, where, collapse=collapse)
            if not cue.lines:
                prev = None
                continue
            key = (cue.lines, cue.spans)
            if prev is not None and prev[0] == key and found[-1][1] == ms(t):
                s0, _, c0 = found[-1]
                end = ms(t_end) if t_end is not None else None
                found[-1] = (s0, end, c0)
            else:
                found.append((ms(t), ms(t_end) if t_end is not None else None, cue))
            prev = (key,)
    # captions with no end: until the next caption begins, or a default
    starts = sorted({s for s, _, _ in found})
    cues: list[Cue] = []
    import bisect

    for s, e, cue in found:
        if e is None:
            k = bisect.bisect_right(starts, s)
            if k < len(starts):
                e = starts[k]
                rl.note(None, "a caption with no end is shown until the next caption begins")
            else:
                e = s + DEFAULT_LAST_MS
                rl.note(None, f"the last caption has no end; it is given {DEFAULT_LAST_MS} ms")
        c = Cue(s, max(s, e), cue.lines, spans=cue.spans, placement=cue.placement)
        last = cues[-1] if cues else None
        if (merge_touching and last is not None and last.end_ms == c.start_ms and last.lines == c.lines
                and last.spans == c.spans
                and last.placement == c.placement):
            cues[-1] = last.with_times(last.start_ms, c.end_ms)  # the same text on screen, unbroken
            continue
        cues.append(c)
    lang = doc.get_lang() or None
    return CueTrack.of(cues, language=lang, metadata=rl.metadata())
