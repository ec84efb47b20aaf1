"""iTT, Apple's iTunes Timed Text (.itt): the TTML profile the iTunes Store / Apple TV delivery and Final
Cut Pro take, timed in SMPTE frames ("Timed Text for iTunes", Apple's iTunes Package Film/TV spec).

Written here with ElementTree (ttconv's writer cannot write ``HH:MM:SS:FF`` at 23.976 or 29.97):
``ttp:timeBase="smpte"``, ``ttp:frameRate`` with ``ttp:frameRateMultiplier="1000 1001"`` for the NTSC
rates and ``ttp:dropMode``; a ``normal`` style (sans-serif, white, 100%); the two regions iTT defines,
``top`` and ``bottom``; one ``p`` per cue, ``br`` between lines, ``span`` with ``tts:fontStyle`` /
``fontWeight`` / ``textDecoration`` / ``color`` for styled runs, ``tts:textAlign`` for left/right.
Every time is moved to its nearest frame (the project's one rule, ``timecode.ms_to_frames``).

Read with the TTML reader (ttconv), which takes iTT's SMPTE times.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as et
from fractions import Fraction

from ..model import CueTrack
from ..timecode import FrameRate, frames_to_smpte
from ._common import frame_rate_for, nearest_frame
from .markup import color_hex, styled_lines

NAME = "itt"
EXTENSIONS = (".itt",)

log = logging.getLogger("subpipe")

_TT, _TTS = "http://www.w3.org/ns/ttml", "http://www.w3.org/ns/ttml#styling"
_TTP, _TTM = "http://www.w3.org/ns/ttml#parameter", "http://www.w3.org/ns/ttml#metadata"
_XML = "http://www.w3.org/XML/1998/namespace"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
for _prefix, _uri in (("", _TT), ("tts", _TTS), ("ttp", _TTP), ("ttm", _TTM)):
    et.register_namespace(_prefix, _uri)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def loads(text: str, *, strict: bool = False) -> CueTrack:
    from .ttml import loads as ttml_loads

    return ttml_loads(text, strict=strict)


def write(track: CueTrack, *, fps: str | float | FrameRate | None = None) -> tuple[str, list[str]]:
    """The track as iTT at ``fps`` (else the track's profile frame rate, else 23.976) and the notes."""
    fr = frame_rate_for(track, fps, "23.976")
    notes: list[str] = []
    nominal = fr.nominal
    if fr.rate.denominator not in (1, 1001) or Fraction(nominal) not in (fr.rate, fr.rate * Fraction(1001, 1000)):
        fr = FrameRate.parse("25")
        notes.append("iTT times count whole frames at an integer or NTSC (x1000/1001) rate: written at 25 fps")
        nominal = 25
    root = et.Element(_q(_TT, "tt"), {
        _q(_XML, "lang"): track.language or "en",
        _q(_TTP, "timeBase"): "smpte",
        _q(_TTP, "frameRate"): str(nominal),
        _q(_TTP, "frameRateMultiplier"): "1000 1001" if fr.rate.denominator == 1001 else "1 1",
        _q(_TTP, "dropMode"): "dropNTSC" if fr.drop_frame else "nonDrop",
    })
    if not track.language:
        notes.append("the track names no language: xml:lang is 'en'")
    head = et.SubElement(root, _q(_TT, "head"))
    styling = et.SubElement(head, _q(_TT, "styling"))
    et.SubElement(styling, _q(_TT, "style"), {
        _q(_XML, "id"): "normal", _q(_TTS, "fontFamily"): "sansSerif", _q(_TTS, "fontWeight"): "normal",
        _q(_TTS, "fontStyle"): "normal", _q(_TTS, "color"): "white", _q(_TTS, "fontSize"): "100%"})
    layout = et.SubElement(head, _q(_TT, "layout"))
    for rid, origin, align in (("top", "0% 0%", "before"), ("bottom", "0% 85%", "after")):
        et.SubElement(layout, _q(_TT, "region"), {
            _q(_XML, "id"): rid, _q(_TTS, "origin"): origin, _q(_TTS, "extent"): "100% 15%",
            _q(_TTS, "textAlign"): "center", _q(_TTS, "displayAlign"): align})
    body = et.SubElement(root, _q(_TT, "body"), {"region": "bottom", "style": "normal"})
    div = et.SubElement(body, _q(_TT, "div"))
    middle, voices, short = [], [], []

    def tc(frames: int) -> str:
        return frames_to_smpte(frames, fr).replace(";", ":")  # TTML SMPTE labels use ':' (dropMode says drop)

    for n, cue in enumerate(track.cues, start=1):
        rows = [r for r in styled_lines(cue) if "".join(s.text for s in r).strip()]
        if not rows:
            continue
        a = nearest_frame(cue.start_ms, fr)
        b = nearest_frame(cue.end_ms, fr)
        if b <= a:
            b = a + 1
            short.append(n)
        attrs = {"begin": tc(a), "end": tc(b)}
        pl = cue.placement
        if pl is not None and pl.vertical == "top":
            attrs["region"] = "top"
        elif pl is not None and pl.vertical == "middle":
            middle.append(n)
        if pl is not None and pl.align != "center":
            attrs[_q(_TTS, "textAlign")] = {"left": "left", "right": "right"}[pl.align]
        p = et.SubElement(div, _q(_TT, "p"), attrs)
        last: et.Element | None = None
        for k, runs in enumerate(rows):
            if k:
                last = et.SubElement(p, _q(_TT, "br"))
            for run in runs:
                text = _NOT_XML.sub("", run.text)
                if run.voice:
                    voices.append(n)
                style = {}
                if run.italic:
                    style[_q(_TTS, "fontStyle")] = "italic"
                if run.bold:
                    style[_q(_TTS, "fontWeight")] = "bold"
                if run.underline:
                    style[_q(_TTS, "textDecoration")] = "underline"
                if run.color:
                    style[_q(_TTS, "color")] = color_hex(run.color)
                if style:
                    last = et.SubElement(p, _q(_TT, "span"), style)
                    last.text = text
                elif last is None:
                    p.text = (p.text or "") + text
                else:
                    last.tail = (last.tail or "") + text
    for what, which in (("iTT has top and bottom regions only: middle written at the bottom", middle),
                        ("speaker voices are not kept in iTT", voices),
                        ("shorter than a frame: written one frame long", short)):
        if which:
            which = sorted(set(which))
            notes.append(f"{what}: {len(which)} cue(s) (cue {', '.join(map(str, which[:8]))}"
                         f"{', ...' if len(which) > 8 else ''})")
    keep = {el: (el.text, el.tail) for p in root.iter(_q(_TT, "p")) for el in p.iter() if el is not p}
    keep.update({p: (p.text, p.tail) for p in root.iter(_q(_TT, "p"))})
    et.indent(et.ElementTree(root), space="  ")
    for el, (txt, tail) in keep.items():  # no indentation inside a p: white space is text there
        el.text = txt
        if el.tag != _q(_TT, "p"):
            el.tail = tail
    text = et.tostring(root, encoding="unicode", xml_declaration=False)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n", notes


def dumps(track: CueTrack, *, fps: str | float | FrameRate | None = None) -> str:
    text, notes = write(track, fps=fps)
    for note in notes:
        log.warning("iTT: %s", note)
    return text
