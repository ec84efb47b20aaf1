"""EBU-STL (EBU Tech 3264-E, "Specification of the EBU Subtitling data exchange format"), the binary
file European broadcasters take: a 1024-byte GSI header and 128-byte TTI blocks.

Reading goes through ttconv's STL reader (GSI frame rate, code page and character code table: Latin /
ISO 6937, Cyrillic, Arabic, Greek, Hebrew; TTI extension blocks, cumulative sets, vertical position,
justification, teletext colours, italics and underline), then the one ttconv-document mapping that TTML
reading uses (``ttml.from_model``). Times are the file's own timecodes; a start-of-programme timecode
(GSI TCP) other than 00:00:00:00 is a note, as are double height and boxing, which the model does not hold.

No library writes STL, so ``write`` builds the blocks here: GSI with the frame rate (``STL25.01`` by
default; 23.976, 24, 29.97 and 50 too), code page 850, the character code table that holds the text
(ISO 6937 Latin first), the language code, counts, and ``MNC``/``MNR`` 40/23 (teletext level 1); one
subtitle per cue, its text in double-height boxed rows (``0D 0B 0B ... 0A 0A``, rows parted by
``8A 8A``), split over extension blocks when it is longer than a block's 112 bytes. The vertical
position puts the last row on row 22-23 (bottom), row 1 (top) or the middle; justification from the
placement's alignment; colours as teletext alpha colours (the nearest of eight, noted when not exact);
italics and underline as the TF codes 80h-83h.
"""

from __future__ import annotations

import io
import logging
import os
import time
import unicodedata

from ttconv.stl import iso6937
from ttconv.stl.config import STLReaderConfiguration
from ttconv.stl.datafile import _DFC_FRACTION_MAP, _LC_BCP47_MAP
from ttconv.stl.reader import to_model as stl_to_model
from ttconv.time_code import SmpteTimeCode

from ..errors import FormatError
from ..model import Cue, CueTrack
from ..timecode import FrameRate
from ._common import ReadLog, captured_logs, frame_rate_for, nearest_frame
from .markup import color_hex, styled_lines

NAME = "stl"
EXTENSIONS = (".stl",)
BINARY = True  # bytes in and out (formats.read_subtitles and the writers' callers take bytes)

log = logging.getLogger("subpipe")

GSI_SIZE, TTI_SIZE, TF_SIZE = 1024, 128, 112
ROWS, COLUMNS = 23, 40
_DFC = {rate: code.decode() for code, rate in _DFC_FRACTION_MAP.items()}
_LC = {lang: code.decode() for code, lang in _LC_BCP47_MAP.items() if lang}
_CCT_CODECS = (("00", None), ("01", "iso8859_5"), ("02", "iso8859_6"), ("03", "iso8859_7"), ("04", "iso8859_8"))
_ISO6937 = {v: k for k, v in iso6937._CCT0_DECODE_MAP.items()}  # ttconv's decoding table, inverted
_TELETEXT_COLORS = {"black": 0x00, "red": 0x01, "lime": 0x02, "yellow": 0x03, "blue": 0x04, "magenta": 0x05,
                    "cyan": 0x06, "white": 0x07}
_RGB = {0x00: (0, 0, 0), 0x01: (255, 0, 0), 0x02: (0, 255, 0), 0x03: (255, 255, 0), 0x04: (0, 0, 255),
        0x05: (255, 0, 255), 0x06: (0, 255, 255), 0x07: (255, 255, 255)}


# ---------------------------------------------------------------- reading
def loadb(data: bytes, *, strict: bool = False) -> CueTrack:
    """An EBU-STL file's bytes -> CueTrack (through ttconv's reader)."""
    from .ttml import from_model

    rl = ReadLog(strict)
    if len(data) < GSI_SIZE or data[3:6] != b"STL" or not data[:3].isdigit():
        raise FormatError("not an EBU-STL file: no GSI block (it starts with a code page and 'STLnn.01')")
    gsi = data[:GSI_SIZE]
    if (len(data) - GSI_SIZE) % TTI_SIZE:
        rl.note(None, f"the file ends in a partial TTI block ({(len(data) - GSI_SIZE) % TTI_SIZE} bytes): "
                      "it is not read")
        data = data[: len(data) - (len(data) - GSI_SIZE) % TTI_SIZE]
    dsc = _gsi_field(gsi, "DSC")
    mnr = _gsi_field(gsi, "MNR").strip()
    rows: int | None = None  # teletext: ttconv's 23 rows
    if dsc not in (b"1", b"2"):  # open subtitles: the rows the GSI says
        if mnr.isdigit() and 0 < int(mnr) < 100:
            rows = int(mnr)
        else:
            rl.note(None, f"the GSI gives no maximum number of rows ({mnr!r}): vertical positions read on 23 rows")
    config = STLReaderConfiguration(max_row_count=rows)
    with captured_logs() as records:
        try:
            doc = stl_to_model(io.BytesIO(data), config)
        except Exception as exc:  # noqa: BLE001 - ttconv raises bare struct/value errors on bad blocks
            raise FormatError(f"not an EBU-STL file that ttconv can read: {exc}") from None
    for r in records:
        if r.levelno < logging.WARNING:
            continue
        msg = r.getMessage()
        if "omitting subtitle" in msg or "Invalid TTI timecode" in msg:
            rl.skip(None, f"ttconv: {msg}")
        else:
            rl.note(None, f"ttconv: {msg}")
    tcp = _gsi_field(gsi, "TCP")
    if tcp.strip(b"0 ") and tcp.strip().isdigit():
        t = tcp.decode()
        rl.note(None, f"the programme starts at timecode {t[0:2]}:{t[2:4]}:{t[4:6]}:{t[6:8]} (GSI TCP); times "
                      "are the file's timecodes (subtract it with `retime --offset`)")
    tf = data[GSI_SIZE:]
    blocks = [tf[i: i + TTI_SIZE] for i in range(0, len(tf), TTI_SIZE)]
    if any(0x0D in b[16:] for b in blocks if b[3] < 0xF0 or b[3] == 0xFF):
        rl.note(None, "double-height rows are read as ordinary rows (the model has no text size; an STL "
                      "written from it has double height again)")
    if any(b[15] != 0 for b in blocks):
        rl.note(None, f"{sum(1 for b in blocks if b[15] != 0)} TTI block(s) flagged as comments (CF) are read "
                      "as subtitles, as ttconv reads them")
    if dsc in (b"1", b"2") and _teletext_gaps(doc):
        rl.note(None, "two or more teletext attributes between words are shown as spaces: a word gap is kept "
                      "there (ttconv joins the words)")
    track = from_model(doc, rl=rl)
    meta = dict(track.metadata)
    fr = _DFC_FRACTION_MAP.get(_gsi_field(gsi, "DFC"))
    if fr is not None:
        meta["fps"] = f"{fr.numerator}/{fr.denominator}" if fr.denominator != 1 else str(fr.numerator)
    return CueTrack(track.cues, track.language, meta)


def _teletext_gaps(doc) -> int:
    """Teletext attributes are spacing: each takes a cell shown as a space. ttconv starts a new span at each
    attribute but adds a space only for a lone one between two characters, so two attributes between
    words join them ("black" + "AlphaBlack"). A space goes back where two runs of one row abut."""
    import ttconv.model as tmodel

    def texts(el):
        return [t for t in _walk(el) if isinstance(t, tmodel.Text)]

    fixed = 0
    for el in _walk(doc.get_body()):
        kids = list(el) if not isinstance(el, tmodel.Text) else []
        for a, b in zip(kids, kids[1:], strict=False):
            if not (isinstance(a, tmodel.Span) and isinstance(b, tmodel.Span)):
                continue
            ta, tb = texts(a), texts(b)
            if ta and tb and ta[-1].get_text()[-1:].strip() and tb[0].get_text()[:1].strip():
                tb[0].set_text(" " + tb[0].get_text())
                fixed += 1
    return fixed


def _walk(el):
    yield el
    import ttconv.model as tmodel

    if not isinstance(el, tmodel.Text):
        for c in el:
            yield from _walk(c)


_GSI_LAYOUT = (("CPN", 3), ("DFC", 8), ("DSC", 1), ("CCT", 2), ("LC", 2), ("OPT", 32), ("OET", 32), ("TPT", 32),
               ("TET", 32), ("TN", 32), ("TCD", 32), ("SLR", 16), ("CD", 6), ("RD", 6), ("RN", 2), ("TNB", 5),
               ("TNS", 5), ("TNG", 3), ("MNC", 2), ("MNR", 2), ("TCS", 1), ("TCP", 8), ("TCF", 8), ("TND", 1),
               ("DSN", 1), ("CO", 3), ("PUB", 32), ("EN", 32), ("ECD", 32), ("SB", 75), ("UDA", 576))


def _gsi_field(gsi: bytes, name: str) -> bytes:
    pos = 0
    for key, size in _GSI_LAYOUT:
        if key == name:
            return gsi[pos: pos + size]
        pos += size
    raise KeyError(name)


def has_text(data: bytes) -> bool:
    """Whether any TTI block's text field holds a printable character."""
    tf = data[GSI_SIZE:]
    for i in range(0, len(tf) - TTI_SIZE + 1, TTI_SIZE):
        block = tf[i: i + TTI_SIZE]
        if 0xEF < block[3] < 0xFF:  # user data
            continue
        if any(0x20 < c < 0x7F or 0xA0 < c <= 0xFF and c != 0x8F for c in block[16:]):
            return True
    return False


# ---------------------------------------------------------------- writing
def _encoder(texts: list[str]) -> tuple[str, object]:
    """The character code table that holds every character, and its encoding function."""
    def latin(s: str) -> bytes:
        out = bytearray()
        for ch in s:
            if 0x20 <= ord(ch) <= 0x7E:
                out.append(ord(ch))
            elif ch in _ISO6937:
                out += _ISO6937[ch]
            else:
                raise UnicodeEncodeError("iso6937", s, 0, 1, f"{ch!r}")
        return bytes(out)

    chars = set("".join(texts))

    def held(enc) -> int:
        n = 0
        for ch in chars:
            try:
                enc(ch)
                n += 1
            except UnicodeEncodeError:
                pass
        return n

    tables = [(cct, latin if codec is None else (lambda s, c=codec: s.encode(c))) for cct, codec in _CCT_CODECS]
    return max(tables, key=lambda t: held(t[1]))  # the first (Latin) of those that hold the most


def _fallback(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(0x20 <= ord(c) <= 0x7E for c in base) else "?"


def _nearest_teletext(color: str) -> tuple[int, bool]:
    h = color_hex(color).lstrip("#")
    rgb = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
    if color in _TELETEXT_COLORS:
        return _TELETEXT_COLORS[color], True
    code = min(_RGB, key=lambda k: sum((a - b) ** 2 for a, b in zip(_RGB[k], rgb, strict=True)))
    return code, False


def _encode_row(runs, enc, bad_chars: set, approx: list) -> tuple[bytes, bool]:
    """One row's runs as TF bytes. Teletext attributes are spacing: each code takes a character cell and
    shows as a space, so a change is written at the start of the row or in place of a space, one code a
    gap (readers see one word gap per code); a change inside a word waits for the next gap."""
    out = bytearray()
    italic = underline = False
    color = 0x07
    moved = False
    started = False
    chars: list[tuple[str, tuple[bool, bool, int]]] = []
    for run in runs:
        code = 0x07
        if run.color:
            code, exact = _nearest_teletext(run.color)
            if not exact:
                approx.append(1)
        for ch in run.text.replace("\u00a0", " "):
            chars.append((ch, (run.italic, run.underline, code)))
    # one space between words: a second space next to a code would hide the gap from readers
    squeezed = [x for i, x in enumerate(chars) if not (x[0] == " " and i and chars[i - 1][0] == " ")]
    for i, (ch, style) in enumerate(squeezed):
        # at a gap, the style wanted is the next word's: its codes go in place of the space
        want = next((st for c2, st in squeezed[i:] if c2 != " "), style) if ch == " " else style
        pending = _codes(want, italic, underline, color)
        if not started:
            if ch == " ":
                continue
            for c in pending:
                out.append(c)
            italic, underline, color = want
            started = True
        elif ch == " " and pending:
            out.append(pending[0])  # in place of the space
            if pending[0] < 0x08:
                color = want[2]
            elif pending[0] in (0x80, 0x81):
                italic = want[0]
            else:
                underline = want[1]
            moved = moved or len(pending) > 1
            continue
        elif pending and ch != " ":
            moved = True
        try:
            out += enc(ch)
        except UnicodeEncodeError:
            bad_chars.add(ch)
            out += enc(_fallback(ch))
    while out and out[-1] == 0x20:
        out.pop()
    if italic:
        out.append(0x81)
    if underline:
        out.append(0x83)
    return bytes(out), moved


def _codes(want: tuple[bool, bool, int], italic: bool, underline: bool, color: int) -> list[int]:
    """The attribute codes that take the state to ``want``: colour first, then italic, then underline."""
    c = []
    if want[2] != color:
        c.append(want[2])
    if want[0] != italic:
        c.append(0x80 if want[0] else 0x81)
    if want[1] != underline:
        c.append(0x82 if want[1] else 0x83)
    return c


def _rate(track: CueTrack, fps) -> tuple[FrameRate, list[str]]:
    fr = frame_rate_for(track, fps, "25")
    if fr.rate in _DFC:
        return fr, []
    return FrameRate.parse("25"), [f"EBU-STL holds 23.976, 24, 25, 29.97 and 50 fps, not {fr}: written at 25 fps"]


def _timecode(ms: int, fr: FrameRate) -> SmpteTimeCode:
    return SmpteTimeCode.from_frames(max(0, nearest_frame(ms, fr)), fr.rate)


def screen_states(cues: tuple[Cue, ...] | list[Cue]) -> list[Cue]:
    """Cues that overlap as one subtitle per change of what is on screen (their rows stacked in start
    order): an STL subtitle replaces the one before, and readers drop or cut one that overlaps it."""
    out: list[Cue] = []
    group: list[Cue] = []
    group_end = -1

    def flush() -> None:
        if len(group) == 1:
            out.append(group[0])
            return
        points = sorted({t for c in group for t in (c.start_ms, c.end_ms)})
        for a, b in zip(points, points[1:], strict=False):
            shown = [c for c in group if c.start_ms <= a and c.end_ms >= b and c.end_ms > c.start_ms]
            if shown:
                rows = [r for c in shown for r in styled_lines(c)]
                out.append(Cue(a, b, tuple("".join(x.text for x in r) for r in rows),
                               spans=tuple(tuple(r) for r in rows), placement=shown[0].placement))

    for c in sorted(cues, key=lambda c: (c.start_ms, c.end_ms)):
        if group and c.start_ms >= group_end:
            flush()
            group = []
        group.append(c)
        group_end = max(group_end, c.end_ms) if len(group) > 1 else c.end_ms
    if group:
        flush()
    return out


def subtitles(track: CueTrack, fr: FrameRate, notes: list[str] | None = None) -> list[Cue]:
    """The subtitles an STL file of ``track`` holds: each cue at least one frame long (a reader drops a
    subtitle whose out-time is not after its in-time), then overlaps as screen states."""
    notes = notes if notes is not None else []
    frame = -(-1000 * fr.rate.denominator // fr.rate.numerator)  # one frame in ms, rounded up
    longer = [c if c.end_ms - c.start_ms >= frame or not "".join(c.lines).strip() else
              c.with_times(c.start_ms, c.start_ms + frame) for c in track.cues]
    short = [n for n, (a, b) in enumerate(zip(longer, track.cues, strict=True), start=1) if a is not b]
    if short:
        notes.append(f"{len(short)} cue(s) shorter than a frame written one frame long (cue "
                     f"{', '.join(map(str, short[:8]))}{', ...' if len(short) > 8 else ''})")
    states = screen_states(longer)
    if len(states) != len(longer) or any(a is not b for a, b in zip(states, longer, strict=False)):
        notes.append(f"overlapping cues are written as one subtitle per change of what is on screen "
                     f"({len(track.cues)} cues, {len(states)} subtitles): STL shows one subtitle at a time")
    return states


def write(track: CueTrack, *, fps: str | float | FrameRate | None = None) -> tuple[bytes, list[str]]:
    """The track as an EBU-STL file (teletext level 1, double height) and the notes on what it could not keep."""
    fr, notes = _rate(track, fps)
    cues = [(n, c, [r for r in styled_lines(c) if "".join(s.text for s in r).strip()])
            for n, c in enumerate(subtitles(track, fr, notes), start=1)]
    cues = [(n, c, rows) for n, c, rows in cues if rows]
    cct, enc = _encoder(["".join(s.text for r in rows for s in r) for _, _, rows in cues])
    bad_chars: set[str] = set()
    long_rows, bold, approx, voices, many_rows, shifted = [], [], [], [], [], []
    blocks: list[bytes] = []
    if len(cues) > 0xFFFF:
        raise FormatError("EBU-STL numbers subtitles with 16 bits: more than 65,535 cues cannot be written")
    for sn, (n, cue, rows) in enumerate(cues):
        if len(rows) > 11:
            many_rows.append(n)
        tf = bytearray()
        for k, runs in enumerate(rows[:11]):
            if k:
                tf += b"\x8a\x8a"
            tf += b"\x0d\x0b\x0b"
            approx_flag: list[int] = []
            row, moved = _encode_row(runs, enc, bad_chars, approx_flag)
            tf += row
            if moved:
                shifted.append(n)
            if approx_flag:
                approx.append(n)
            if any(r.bold for r in runs):
                bold.append(n)
            if any(r.voice for r in runs):
                voices.append(n)
            width = sum(len(r.text) for r in runs) + sum(1 for c in row if c < 0x08 or 0x80 <= c <= 0x83)
            tf += b"\x0a\x0a"
            if width > COLUMNS - 4:
                long_rows.append(n)
        nrows = min(len(rows), 11)
        pl = cue.placement
        vertical = pl.vertical if pl is not None else "bottom"
        vp = {"top": 1, "middle": max(1, (ROWS + 1 - 2 * nrows) // 2), "bottom": ROWS + 1 - 2 * nrows}[vertical]
        jc = {"left": 1, "center": 2, "right": 3}[pl.align if pl is not None else "center"]
        tci, tco = _timecode(cue.start_ms, fr), _timecode(max(cue.end_ms, cue.start_ms + 1), fr)
        if tco.to_frames() <= tci.to_frames():
            tco = SmpteTimeCode.from_frames(tci.to_frames() + 1, fr.rate)
            notes.append(f"cue {n} is shorter than a frame: written one frame long so STL readers keep it")
        pieces = [bytes(tf[i: i + TF_SIZE]) for i in range(0, len(tf), TF_SIZE)] or [b""]
        for ebn, piece in enumerate(pieces):
            head = bytes([0, sn & 0xFF, (sn >> 8) & 0xFF, 0xFF if ebn == len(pieces) - 1 else ebn, 0,
                          tci.get_hours(), tci.get_minutes(), tci.get_seconds(), tci.get_frames(),
                          tco.get_hours(), tco.get_minutes(), tco.get_seconds(), tco.get_frames(), vp, jc, 0])
            blocks.append(head + piece.ljust(TF_SIZE, b"\x8f"))
    if any(s.italic or s.underline for _, _, rows in cues for r in rows for s in r):
        notes.append("italics and underline are written as the TF codes 80h-83h, which Tech 3264 defines for "
                     "open subtitles: some teletext inserters show them as spaces")
    if bad_chars:
        shown = "".join(sorted(bad_chars))[:20]
        notes.append(f"characters the STL character code table {cct} cannot hold were replaced by their base "
                     f"letter or '?': {shown!r}")
    for what, which in (("rows longer than teletext's 36 visible columns", long_rows),
                        ("bold is not held by EBU-STL", bold),
                        ("colours written as the nearest teletext colour", approx),
                        ("speaker voices are not held by EBU-STL", voices),
                        ("more than 11 rows: the rows after the 11th are dropped", many_rows),
                        ("a style change inside a word (or two at one gap) moved to the next word gap, as teletext "
                         "attributes take a space", shifted)):
        if which:
            which = sorted(set(which))
            notes.append(f"{what}: {len(which)} cue(s) (cue {', '.join(map(str, which[:8]))}"
                         f"{', ...' if len(which) > 8 else ''})")
    first = _timecode(cues[0][1].start_ms, fr) if cues else SmpteTimeCode(0, 0, 0, 0, fr.rate)
    gsi = _gsi(fr, cct, track.language, len(blocks), len(cues), first)
    return gsi + b"".join(blocks), list(dict.fromkeys(notes))


def _gsi(fr: FrameRate, cct: str, language: str | None, tnb: int, tns: int, first: SmpteTimeCode) -> bytes:
    stamp = time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0))  # deterministic by default
    date = time.strftime("%y%m%d", stamp)
    lang = _LC.get((language or "").split("-")[0].lower(), "00")
    tcf = f"{first.get_hours():02d}{first.get_minutes():02d}{first.get_seconds():02d}{first.get_frames():02d}"
    values = {"CPN": "850", "DFC": _DFC[fr.rate], "DSC": "1", "CCT": cct, "LC": lang, "OPT": "", "OET": "",
              "TPT": "", "TET": "", "TN": "", "TCD": "", "SLR": "", "CD": date, "RD": date, "RN": "00",
              "TNB": f"{tnb:05d}", "TNS": f"{tns:05d}", "TNG": "001", "MNC": f"{COLUMNS:02d}", "MNR": f"{ROWS:02d}",
              "TCS": "1", "TCP": "00000000", "TCF": tcf, "TND": "1", "DSN": "1", "CO": "", "PUB": "",
              "EN": "subpipe", "ECD": "", "SB": "", "UDA": ""}
    return b"".join(values[k].encode("ascii").ljust(size, b" ") for k, size in _GSI_LAYOUT)


def dumps(track: CueTrack, *, fps: str | float | FrameRate | None = None) -> bytes:
    data, notes = write(track, fps=fps)
    for note in notes:
        log.warning("EBU-STL: %s", note)
    return data

