"""Scenarist SCC: CEA-608 pop-on captions (ANSI/CTA-608-E), written and read through sandflow's ttconv.

SCC carries line-21 byte pairs, one pair per frame at 29.97 (drop-frame or not) or 30 fps, so a few
things have to be settled before ttconv writes the bytes; we do that here and report what changed:

- Characters: CEA-608 has a small Latin character set. Typographic quotes, dashes and ellipses become
  their ASCII forms, letters lose accents the set lacks (Ç -> C); ttconv's writer turns anything it
  cannot encode into a space, so text with characters left over (CJK, emoji) is refused with a
  FormatError naming the cue. Two identical special characters in a row (``♪♪``) get a space between
  them, or decoders would drop the second as a repeated code.
- Lines: at most 32 characters (CTA-608 caption grid: 32 columns, 15 rows). A cue with a longer line is
  rewrapped, and a warning names it (``strict=True`` refuses instead).
- Timing: the caption is loaded into non-displayed memory and shown with End Of Caption on its in-frame.
  Loading takes one frame per byte pair (RCL, ENM, a PAC per row, the text, EOC; control codes sent
  twice), the channel carries one caption's bytes at a time, and the stream cannot begin before
  00:00:00;00. A cue that starts too soon after the previous one (or at the very start) is delayed
  just enough, and a warning lists it (``strict=True`` refuses instead). A caption is erased (EDM) on
  its out-frame; the erase needs two frames before the next caption's EOC, so a cue ends at least two
  frames before the next begins (the Netflix 2-frame gap does this already); a caption lasts two
  frames at least.
- Overlaps: SCC shows one caption at a time; a cue overlapping the next ends when it begins (reported),
  and cues starting on the same frame are shown together as one caption.
- Frame rate: the track's profile frame rate when it is 29.97 (DF or NDF) or 30, else 29.97 drop-frame.
  Times move to their nearest frame.

ttconv's writer is configured for pop-on only (``force_popon``), so text that merely looks like roll-up
(a cue starting with the previous cue's last line) is not turned into roll-up captions.
"""

from __future__ import annotations

import contextlib
import logging
import re
import textwrap
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import ttconv.model as tmodel
import ttconv.scc.reader as scc_reader
import ttconv.scc.writer as scc_writer
from ttconv.scc.codes.characters import unicode_to_scc
from ttconv.scc.codes.extended_characters import SccExtendedCharacter
from ttconv.scc.config import SCCFrameRate, SccWriterConfiguration

from ..errors import FormatError
from ..model import CueTrack
from ..timecode import FrameRate, frames_to_ms, frames_to_smpte, smpte_to_frames
from ._common import ReadLog, captured_logs, frame_rate_for, nearest_frame, shown_lines, track_fps, ttconv_document

NAME = "scc"
EXTENSIONS = (".scc",)

MAX_CHARS = 32  # CTA-608 caption grid: 32 columns
MAX_ROWS = 15  # and 15 rows
USUAL_ROWS = 4  # DCMP / FCC practice: up to 4 rows of pop-on text
MIN_FRAMES = 2  # EOC is sent twice, so the erase can come two frames after it at the earliest
DEFAULT_FPS = "29.97df"

log = logging.getLogger("subpipe")

_SCC_RATES = {
    FrameRate(Fraction(30000, 1001), True): SCCFrameRate.FPS_2997_DF,
    FrameRate(Fraction(30000, 1001), False): SCCFrameRate.FPS_2997_NDF,
    FrameRate(Fraction(30), False): SCCFrameRate.FPS_30_NDF,
}

# ASCII stand-ins for characters CEA-608's basic and special sets lack (ttconv does not write the
# extended set). Letters with accents the set lacks are handled by stripping the accent.
_STAND_INS = {
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "^": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "--", "\u2015": "--", "\u2212": "-",
    "_": "-", "~": "-", "\u2022": "-", "\u00b7": "-", "\u2026": "...", "{": "(", "}": ")", "|": "/", "\\": "/",
    "*": "#", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\t": " ", "\u00df": "ss", "\u00c6": "AE",
    "\u00e6": "ae", "\u0152": "OE", "\u0153": "oe", "\u00d8": "O", "\u00f8": "o", "\u0141": "L", "\u0142": "l",
    "\u0110": "D", "\u0111": "d", "\u00a9": "(c)", "\u20ac": "EUR", "\u00a1": "!",
}


# CEA-608's extended characters (Spanish, French, Portuguese, German, Danish sets), from ttconv's table:
# sent as a basic character for older decoders, then the two-byte code that replaces it.
_EXTENDED = {m.value[2]: m.value[0] for m in SccExtendedCharacter}


def _fallback(c: str) -> int:
    alt = _STAND_INS.get(c) or ""
    if not alt:
        alt = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
    alt = alt[:1] if alt and unicode_to_scc(alt[:1]) != b"\x20" and len(unicode_to_scc(alt[:1])) == 1 else "'"
    return unicode_to_scc(alt)[0]


def scc_bytes(c: str) -> bytes:
    """``c`` as CEA-608 bytes (without parity): basic and special characters as ttconv encodes them,
    extended ones as their basic stand-in, a null, and the extended code (aligned on a byte pair)."""
    b = unicode_to_scc(c)
    if b != b"\x20" or c == " " or c not in _EXTENDED:
        return b
    code = _EXTENDED[c]
    return bytes([_fallback(c), 0, code >> 8, code & 0xFF])


_PATCH = threading.Lock()


@contextlib.contextmanager
def _extended_writer():
    """ttconv's SCC writer encodes basic and special characters only; while it runs, its character
    encoder is ours (``scc_bytes``), which adds the extended set."""
    with _PATCH:
        old = scc_writer.unicode_to_scc
        scc_writer.unicode_to_scc = scc_bytes
        try:
            yield
        finally:
            scc_writer.unicode_to_scc = old


def _encodable(c: str) -> bool:
    return c == " " or scc_bytes(c) != b"\x20"


def to_cea608(text: str) -> tuple[str, str]:
    """``text`` in characters CEA-608 can show, and the characters that have no stand-in."""
    out: list[str] = []
    missing: list[str] = []
    for c in text:
        if _encodable(c):
            out.append(c)
            continue
        alt = _STAND_INS.get(c)
        if alt is None:
            alt = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
        if alt and all(_encodable(x) for x in alt):
            out.append(alt)
        else:
            missing.append(c)
    return _unrepeat("".join(out)), "".join(dict.fromkeys(missing))


def _unrepeat(text: str) -> str:
    """A space between two identical two-byte characters (``♪♪``): decoders take a byte pair equal to
    the one before it for the redundant second copy of a control code and drop it, and ttconv's writer
    sends special characters once."""
    out: list[str] = []
    for c in text:
        if out and out[-1] == c and len(scc_bytes(c)) == 2:
            out.append(" ")
        out.append(c)
    return "".join(out)


def caption_lines(lines: Sequence[str]) -> tuple[list[str], bool]:
    """A cue's lines as CEA-608 rows of at most 32 characters; True when they had to be rewrapped."""
    rows = [" ".join(line.split()) for line in lines if line.strip()]
    if all(len(r) <= MAX_CHARS for r in rows):
        return rows, False
    text = " ".join(rows)
    return textwrap.wrap(text, MAX_CHARS, break_long_words=True, break_on_hyphens=False), True


def load_frames(rows: Sequence[str]) -> int:
    """Frames (byte pairs) needed to load a pop-on caption, as ttconv's writer emits it: RCL, ENM,
    per row a PAC, the centring spaces PACs cannot express and the characters, then EOC; control codes
    are sent twice and two-byte characters start on a pair boundary."""
    n = 0

    def control() -> int:
        return n + n % 2 + 4

    n = control()  # RCL
    n = control()  # ENM
    for row in rows:
        n = control()  # PAC
        n += ((MAX_CHARS - len(row)) // 2) % 4  # centring spaces
        for c in row:
            size = len(scc_bytes(c))
            if size > 1 and n % 2:
                n += 1
            n += size
    n = control()  # EOC
    return (n + 1) // 2


@dataclass(frozen=True, slots=True)
class Caption:
    """One pop-on caption as it will be written: frames at the SCC frame rate."""

    cue: int  # 1-based cue number in the track
    begin: int  # frame of EOC (first frame shown)
    end: int  # frame of EDM (first frame no longer shown)
    rows: tuple[str, ...]
    asked_begin: int  # the cue's own in-frame, before any delay
    rewrapped: bool = False
    cut: bool = False  # ends early because it overlapped the next caption


def scc_frame_rate(track: CueTrack, fps: str | float | FrameRate | None) -> FrameRate:
    if fps is not None:
        fr = FrameRate.parse(fps)
        if fr not in _SCC_RATES:
            raise FormatError(f"SCC is written at 29.97 (drop-frame or not) or 30 fps, not {fr}",
                              hint="use --fps 29.97df, 29.97 or 30 for SCC")
        return fr
    fr = frame_rate_for(track, None, DEFAULT_FPS)
    if fr not in _SCC_RATES:
        log.info("SCC is NTSC line 21: writing at 29.97 drop-frame rather than the profile's %s", track_fps(track))
        fr = FrameRate.parse(DEFAULT_FPS)
    return fr


def plan(track: CueTrack, fr: FrameRate, start: int = 0) -> list[Caption]:
    """Cues -> captions that CEA-608 can carry: text, rows, then in- and out-frames (see module doc).
    ``start``: the frame of the programme start timecode (``--start-tc``): media time 0 is that frame."""
    pending: list[Caption] = []
    for n, cue in enumerate(track.cues, start=1):
        text_rows = shown_lines(cue.lines)
        if not text_rows:
            continue
        converted = []
        for line in text_rows:
            ok, missing = to_cea608(line)
            if missing:
                raise FormatError(
                    f"cue {n} ({frames_to_smpte(nearest_frame(cue.start_ms, fr), fr)}) has characters CEA-608 "
                    f"cannot show: {' '.join(repr(c) for c in missing)}",
                    hint="SCC carries Latin text only; deliver TTML or WebVTT for this language",
                )
            converted.append(ok)
        rows, rewrapped = caption_lines(converted)
        if len(rows) > MAX_ROWS:
            raise FormatError(f"cue {n} needs {len(rows)} rows of 32 characters; CEA-608 has {MAX_ROWS}")
        b, e = nearest_frame(cue.start_ms, fr) + start, nearest_frame(cue.end_ms, fr) + start
        if pending and pending[-1].begin == b:  # two cues at once: one caption shows both
            prev = pending.pop()
            rows = list(prev.rows) + rows
            rewrapped = rewrapped or prev.rewrapped
            e = max(e, prev.end)
            n = prev.cue
            if len(rows) > MAX_ROWS:
                raise FormatError(f"cues {n} and on start together and need {len(rows)} rows; CEA-608 has "
                                  f"{MAX_ROWS}")
        pending.append(Caption(n, b, max(e, b + MIN_FRAMES), tuple(rows), b, rewrapped))

    # in-frames: the caption's bytes must have been sent by its EOC, after the previous caption's
    scheduled: list[Caption] = []
    for c in pending:
        load = load_frames(c.rows)
        earliest = load - 2 if not scheduled else scheduled[-1].begin + load + 2
        b = max(c.begin, earliest)
        # a delay that leaves under two frames gives the cue its own length back after the delay
        e = c.end if c.end - b >= MIN_FRAMES else b + (c.end - c.begin)
        scheduled.append(Caption(c.cue, b, e, c.rows, c.asked_begin, c.rewrapped))
    # out-frames: never past the next caption, and two frames before its EOC for the erase
    out = []
    for i, c in enumerate(scheduled):
        e = c.end if i + 1 == len(scheduled) else min(c.end, scheduled[i + 1].begin - 2)
        out.append(Caption(c.cue, c.begin, e, c.rows, c.asked_begin, c.rewrapped, cut=c.end > e + 2))
    return out


def _report(captions: Sequence[Caption], fr: FrameRate, strict: bool, start: int = 0) -> list[str]:
    wrapped = [c for c in captions if c.rewrapped]
    late = [c for c in captions if c.begin > c.asked_begin]
    problems = []
    first = captions[0] if captions else None
    if first is not None and first.begin > first.asked_begin and first.begin == load_frames(first.rows) - 2:
        problems.append(  # the stream cannot begin before 00:00:00;00: no room to load the first caption
            f"cue {first.cue} is shown {float(Fraction(first.begin - first.asked_begin) / fr.rate):.2f} s late "
            f"({frames_to_smpte(first.asked_begin, fr)} -> {frames_to_smpte(first.begin, fr)}): its caption "
            f"takes {load_frames(first.rows)} frames to load and SCC cannot begin before "
            f"{frames_to_smpte(0, fr)}; give the programme a start timecode as broadcast masters do "
            "(--start-tc 01:00:00;00, or 00:59:58;00 with the pre-roll) so it loads before the programme starts")
    elif first is not None and start and first.begin - load_frames(first.rows) < start:
        problems.append(f"cue {first.cue}'s caption loads from "
                        f"{frames_to_smpte(max(first.begin - load_frames(first.rows), 0), fr)}, before the "
                        f"programme start {frames_to_smpte(start, fr)}: the pre-roll must play for it to be on time")
    if wrapped:
        problems.append(
            f"{len(wrapped)} cue(s) had lines over {MAX_CHARS} characters and were rewrapped for CEA-608 "
            f"(cue " + ", ".join(str(c.cue) for c in wrapped[:8]) + (", ..." if len(wrapped) > 8 else "") + ")"
        )
    if late:
        problems.append(
            f"{len(late)} cue(s) start later than asked, because CEA-608 needs one frame per two characters "
            "to load a caption: " + ", ".join(
                f"cue {c.cue} {frames_to_smpte(c.asked_begin, fr)} -> {frames_to_smpte(c.begin, fr)}"
                for c in late[:5]) + (", ..." if len(late) > 5 else "")
        )
    cut = [c for c in captions if c.cut]
    if cut:
        problems.append(
            f"{len(cut)} cue(s) overlap the next one and end when it begins, as SCC shows one caption at a "
            "time (cue " + ", ".join(str(c.cue) for c in cut[:8]) + (", ..." if len(cut) > 8 else "") + ")"
        )
    many = [c for c in captions if len(c.rows) > USUAL_ROWS]
    if many:
        log.warning("SCC: %d caption(s) have more than %d rows (cue %s)", len(many), USUAL_ROWS,
                    ", ".join(str(c.cue) for c in many[:8]))
    if problems and strict:
        raise FormatError("SCC: " + "; ".join(problems),
                          hint="re-make the subtitles with a CEA-608 profile (32 characters) or space the cues")
    return problems


def _dropped_markup(track: CueTrack) -> list[str]:
    """Styling and placement this SCC writer (ttconv's, pop-on, white, bottom rows) cannot carry."""
    from .markup import styled_lines

    what: dict[str, list[int]] = {}
    for n, cue in enumerate(track.cues, start=1):
        runs = [s for r in styled_lines(cue) for s in r]
        for label, hit in (("italics", any(s.italic for s in runs)), ("bold", any(s.bold for s in runs)),
                           ("underline", any(s.underline for s in runs)), ("colour", any(s.color for s in runs)),
                           ("speaker voices", any(s.voice for s in runs)),
                           ("placement (rows other than the bottom, alignment)",
                            cue.placement is not None and (cue.placement.vertical, cue.placement.align)
                            != ("bottom", "center"))):
            if hit:
                what.setdefault(label, []).append(n)
    return [f"{label} not kept in SCC: {len(ns)} cue(s) (cue " + ", ".join(map(str, ns[:8]))
            + (", ..." if len(ns) > 8 else "") + ")" for label, ns in what.items()]


def to_model(captions: Sequence[Caption], fr: FrameRate, last: int | None = None) -> tmodel.ContentDocument:
    """``captions[:last]`` as a ttconv document whose times make ttconv's writer put EOC on ``begin``
    and EDM on ``end`` (``captions[last]``, if any, is only looked at). ttconv merges an erase that
    touches the next caption's load into it, two frames early (the load moves two frames earlier to
    make room), so such an end is given two frames late."""
    last = len(captions) if last is None else last
    doc, div = ttconv_document()
    for i, c in enumerate(captions[:last]):
        end = c.end
        if i + 1 < len(captions):
            nxt = captions[i + 1]
            if end >= nxt.begin - load_frames(nxt.rows):  # the erase lands in the next load
                end += 2
        p = tmodel.P(doc)
        p.set_begin(Fraction(c.begin) / fr.rate)
        p.set_end(Fraction(end) / fr.rate)
        for k, row in enumerate(c.rows):
            if k:
                p.push_child(tmodel.Br(doc))
            span = tmodel.Span(doc)
            span.push_child(tmodel.Text(doc, row))
            p.push_child(span)
        div.push_child(p)
    return doc


GROUP = 48  # captions per ttconv call (see _write)
HEADER = "Scenarist_SCC V1.0"


def _write(captions: Sequence[Caption], fr: FrameRate) -> list[str]:
    """The SCC lines (one per block of byte pairs), ttconv writing ``GROUP`` captions at a time.

    ttconv's writer computes a rendering state per time point over the whole document, which takes
    quadratic time (20 s for 2,000 cues). A caption's bytes depend only on itself and the caption
    before it (whose erase may go inside its load), so each group is written with the caption before
    it as context: that caption's load line is dropped from the group's output, and the last caption's
    trailing erase is dropped from every group but the last (the next group writes it, merged or not).
    The result is the same text as one call over the whole track (a test checks it)."""
    config = SccWriterConfiguration(force_popon=True, frame_rate=_SCC_RATES[fr])
    lines: list[str] = []
    for start in range(0, len(captions), GROUP):
        stop = min(start + GROUP, len(captions))
        context = 1 if start else 0
        group = captions[start - context : stop + 1]  # with the next caption for to_model's erase timing
        with captured_logs() as records, _extended_writer():
            try:
                text = scc_writer.from_model(to_model(group, fr, last=stop - start + context), config)
            except (RuntimeError, ValueError) as exc:
                raise FormatError(f"ttconv could not write SCC: {exc}") from exc
        for r in records:
            if "Skipping" in r.getMessage():  # a caption ttconv dropped: our plan failed; never lose one
                raise FormatError(f"ttconv dropped a caption writing SCC ({r.getMessage()})",
                                  hint="this is a bug in subpipe's SCC timing; please report it")
            log.debug("ttconv: %s", r.getMessage())
        blocks = text.split("\n\n")[1:]
        if context:
            blocks = blocks[1:]
        if stop < len(captions):
            blocks = blocks[:-1]
        lines += blocks
    return lines


def start_frame(start_tc: str | None, fr: FrameRate) -> int:
    """The frame of a programme start timecode at ``fr`` (0 without one)."""
    if not start_tc:
        return 0
    try:
        return smpte_to_frames(start_tc, fr)
    except FormatError as exc:
        raise FormatError(f"--start-tc: {exc.message}", hint="e.g. 01:00:00;00 (drop-frame) or 01:00:00:00") from None


def dumps(track: CueTrack, *, fps: str | float | FrameRate | None = None, strict: bool = False,
          start_tc: str | None = None) -> str:
    """SCC pop-on captions on channel 1. ``fps``: 29.97df (default), 29.97 or 30. ``strict``: refuse
    to rewrap lines or delay cues instead of doing it with a warning. ``start_tc``: see ``write``."""
    text, notes = write(track, fps=fps, strict=strict, start_tc=start_tc)
    for note in notes:
        log.warning("SCC: %s", note)
    return text


def write(track: CueTrack, *, fps: str | float | FrameRate | None = None, strict: bool = False,
          start_tc: str | None = None) -> tuple[str, list[str]]:
    """``dumps`` that returns its notes (rewrapped, delayed or cut cues, styling not kept) instead of
    logging them. ``start_tc``: the programme's start timecode (``01:00:00;00``): media time 0 is written
    at it, and the first caption can load before it (in the pre-roll) instead of starting late."""
    fr = scc_frame_rate(track, fps)
    start = start_frame(start_tc, fr)
    captions = plan(track, fr, start)
    notes = _report(captions, fr, strict, start) + _dropped_markup(track)
    return "\n\n".join([HEADER, *_write(captions, fr)]) + "\n", notes


_HEADER = re.compile(r"^Scenarist_SCC V1\.0\s*$")
_LINE = re.compile(r"^(\d{2,}):(\d{2})([:;.,])(\d{2})([:;.,])(\d{2})[ \t]+((?:[0-9a-fA-F]{4}|[0-9a-fA-F]{2})"
                   r"(?:[ \t]+(?:[0-9a-fA-F]{4}|[0-9a-fA-F]{2}))*)[ \t]*$")


def loads(text: str, *, fps: str | float | FrameRate | None = None, strict: bool = False,
          start_tc: str | None = None) -> CueTrack:
    """SCC -> cues (pop-on, paint-on and roll-up decoded by ttconv's reader); rows become lines, PAC
    rows a placement, mid-row codes italics, underline and colour. ttconv reads timecode at 29.97 (DF
    with ``;``); give ``fps=30`` for a 30 fps file. As players do, the header line may be missing, a
    space may stand for the tab after the timecode, and hours may pass 99; a line that is not
    ``timecode<tab>hex words`` is skipped with its number (``strict`` raises). ``start_tc``: the
    programme start timecode, read as media time 0 (what ``write(start_tc=...)`` wrote)."""
    from . import ttml

    rl = ReadLog(strict)
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = 0
    while start < len(lines) - 1 and not lines[start].strip():
        start += 1
    if _HEADER.match(lines[start]):
        start += 1
    elif _LINE.match(lines[start].strip()):
        rl.note(1, "no 'Scenarist_SCC V1.0' header line; read as SCC anyway")
    else:
        raise FormatError("not SCC: the first line must be 'Scenarist_SCC V1.0'", line=1)
    parsed: list[tuple[int, tuple[str, ...], str]] = []
    spaced = 0
    for k, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        m = _LINE.match(line.strip())
        if not m:
            rl.skip(k, f"expected 'HH:MM:SS;FF<tab>hex words', got {line.strip()[:40]!r}")
            continue
        if "\t" not in line:
            spaced += 1
        words = m.group(7).split()
        if any(len(w) == 2 for w in words):
            rl.note(k, "a one-byte word is padded with a null byte")
            words = [w + "80" if len(w) == 2 else w for w in words]
        parsed.append((k, m.groups()[:6], " ".join(words)))
    if spaced:
        rl.note(None, f"{spaced} line(s) have a space, not a tab, after the timecode; read as a tab")
    # ttconv reads two-digit hours only: each run of lines within 100 hours is read with its hours
    # moved into 00-99, and the hours added back after
    groups: list[list[tuple[int, tuple[str, ...], str]]] = []
    for item in parsed:
        if not groups or int(item[1][0]) - int(groups[-1][0][1][0]) > 99:
            groups.append([])
        groups[-1].append(item)
    scale = Fraction(1)
    if fps is not None:
        fr = FrameRate.parse(fps)
        if fr not in _SCC_RATES:
            raise FormatError(f"SCC is 29.97 (drop-frame or not) or 30 fps, not {fr}")
        scale = Fraction(30000, 1001) / fr.rate
    if len(groups) > 1:
        rl.note(None, "timecodes span more than 99 hours: read in runs of 99 hours, a caption shown across "
                      "a run's end ends there")
    cues = []
    for group in groups or [[]]:
        base = int(group[0][1][0]) if group and max(int(g[0]) for _, g, _ in group) > 99 else 0
        body = ["Scenarist_SCC V1.0", ""]
        for _, g, words in group:
            body.append(f"{int(g[0]) - base:02d}:{g[1]}{g[2]}{g[3]}{g[4]}{g[5]}\t{words}")
            body.append("")
        with captured_logs() as records:
            try:
                doc = scc_reader.to_model("\n".join(body))
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise FormatError(f"SCC that ttconv cannot decode: {exc}") from None
        for r in records:
            log.debug("ttconv: %s", r.getMessage())
        part = ttml.from_model(doc, scale, rl=rl, align=False, merge_touching=True)
        offset = 0
        if base:
            df = any(g[4] in ";.," for _, g, _ in group)
            offset = round(Fraction(base * (107892 if df else 108000) * 1001, 30000) * scale * 1000)
            rl.note(None, f"timecode hours from {base} on")
        cues += [c.with_times(c.start_ms + offset, c.end_ms + offset) for c in part.cues]
    if start_tc:  # media time 0 is the programme start: times before it (the pre-roll) are dropped
        fr0 = FrameRate.parse(fps) if fps is not None else FrameRate.parse(
            "29.97df" if any(g[4] in ";.," for _, g, _ in parsed) else "29.97")
        s0 = frames_to_ms(start_frame(start_tc, fr0), fr0)
        before = sum(1 for c in cues if c.end_ms <= s0)
        if before:
            rl.note(None, f"{before} caption(s) end before the start timecode {start_tc}: dropped")
        cues = [c.with_times(max(c.start_ms - s0, 0), c.end_ms - s0) for c in cues if c.end_ms > s0]
    return CueTrack.of(cues, metadata=rl.metadata())
