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
from ..model import Cue, CueTrack
from ..timecode import FrameRate
from ._common import captured_logs, frame_rate_for, nearest_frame, shown_lines, ttconv_document

NAME = "ttml"
EXTENSIONS = (".ttml", ".dfxp", ".xml")

log = logging.getLogger("subpipe")

# Characters XML 1.0 cannot carry at all (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PCT = styles.LengthType.Units.pct
_TT = "http://www.w3.org/ns/ttml"


def to_model(track: CueTrack, *, fps: FrameRate | None = None) -> tmodel.ContentDocument:
    """Our CueTrack as a ttconv document; with ``fps``, times are moved onto that frame grid."""
    pct10, pct80 = styles.LengthType(10, _PCT), styles.LengthType(80, _PCT)
    doc, div = ttconv_document((
        (styles.StyleProperties.Origin, styles.CoordinateType(pct10, pct10)),
        (styles.StyleProperties.Extent, styles.ExtentType(pct80, pct80)),
    ))
    doc.set_lang(track.language or "")
    doc.set_content_profiles({IMSC_11_TEXT_PROFILE_DESIGNATOR})

    def when(ms: int) -> Fraction:
        return Fraction(nearest_frame(ms, fps)) / fps.rate if fps else Fraction(ms, 1000)

    for n, cue in enumerate(track.cues, start=1):
        lines = shown_lines(cue.lines)
        if not lines:
            continue
        p = tmodel.P(doc)
        p.set_id(f"c{n}")
        p.set_begin(when(cue.start_ms))
        p.set_end(when(cue.end_ms))
        for i, line in enumerate(lines):
            if i:
                p.push_child(tmodel.Br(doc))
            clean = _NOT_XML.sub("", line)
            if clean != line:
                log.warning("cue %d: characters XML cannot carry were removed for TTML", n)
            span = tmodel.Span(doc)
            span.push_child(tmodel.Text(doc, clean))
            p.push_child(span)
        div.push_child(p)
    return doc


def dumps(track: CueTrack, *, fps: str | float | FrameRate | None = None, time_format: str = "clock") -> str:
    """IMSC 1.1 Text Profile TTML. ``time_format``: ``clock`` (``HH:MM:SS.mmm``, exact) or ``frames``
    (``123f`` at ``fps``, else the track's profile frame rate, else 24)."""
    if time_format not in ("clock", "frames"):
        raise FormatError(f"unknown TTML time format {time_format!r}", hint="use 'clock' or 'frames'")
    fr = frame_rate_for(track, fps, "24") if time_format == "frames" else None
    doc = to_model(track, fps=fr)
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
    return et.tostring(tree.getroot(), encoding="unicode", xml_declaration=True) + "\n"


def _indent(tree: et.ElementTree) -> None:
    """Indent the structure for people to read, but leave no whitespace inside a ``p``: it is content
    there, and renderers do not all collapse it as TTML says they should."""
    et.indent(tree, space="  ")
    for p in tree.getroot().iter(f"{{{_TT}}}p"):
        p.text = None
        for el in p.iter():
            if el is not p:
                el.tail = None


def loads(text: str) -> CueTrack:
    try:
        root = et.fromstring(text.removeprefix("\ufeff").encode("utf-8"))
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
    return from_model(doc)


def _text_lines(p: tmodel.ContentElement) -> list[str]:
    lines = [""]

    def walk(el: tmodel.ContentElement) -> None:
        for child in el:
            if isinstance(child, tmodel.Br):
                lines.append("")
            elif isinstance(child, tmodel.Text):
                lines[-1] += child.get_text()
            else:
                walk(child)

    walk(p)
    return [" ".join(x.split()) for x in lines if x.strip()]


def _offset(el: tmodel.ContentElement | None) -> Fraction:
    """Absolute begin of ``el``: begin times are relative to the parent's (TTML par semantics)."""
    total = Fraction(0)
    while el is not None:
        b = el.get_begin() if hasattr(el, "get_begin") else None
        total += Fraction(b or 0)
        el = el.parent()
    return total


def _end(el: tmodel.ContentElement) -> Fraction | None:
    while el is not None:
        e = el.get_end() if hasattr(el, "get_end") else None
        if e is not None:
            return _offset(el.parent()) + Fraction(e)
        el = el.parent()
    return None


def from_model(doc: tmodel.ContentDocument, time_scale: Fraction = Fraction(1)) -> CueTrack:
    """A ttconv document (from any ttconv reader) -> CueTrack: one cue per ``p``; times are multiplied
    by ``time_scale`` (for a reader that assumed the wrong frame rate)."""
    body = doc.get_body()
    cues: list[Cue] = []
    if body is None:
        return CueTrack.of(cues)
    for el in body.dfs_iterator():
        if not isinstance(el, tmodel.P):
            continue
        begin = _offset(el) * time_scale
        end = _end(el)
        end = end * time_scale if end is not None else None
        start_ms = round(begin * 1000)
        end_ms = round(end * 1000) if end is not None else start_ms
        cues.append(Cue(start_ms, max(start_ms, end_ms), tuple(_text_lines(el))))
    lang = doc.get_lang() or None
    return CueTrack.of(cues, language=lang)
