"""Time presentation: integer ms <-> SRT / WebVTT / SMPTE timecode and frames.

Time is stored as integer milliseconds; frames and timecode are only a way to show it.
SMPTE drop-frame (29.97 / 59.94) follows SMPTE ST 12-1: frame labels 00 and 01 (00-03 at 59.94)
are skipped at the start of every minute except every tenth.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from .errors import FormatError

# ---------------------------------------------------------------- the frame-rate grammar (one for the project)
# A rate is a number (``24``, ``25``, ``23.976``, ``29.97``, ``59.94``, ``30000/1001``) optionally followed by
# a drop-frame mark: ``df`` / ``drop`` / ``drop-frame`` (drop-frame labels, only at 29.97 and 59.94) or ``ndf`` /
# ``nondrop`` / ``non-drop`` / ``non-drop-frame`` (non-drop labels: the same as no mark). A bare "29.97" means
# non-drop everywhere in subpipe (quote index, subtitle formats, spotting lists, QC); write "29.97df" for
# drop-frame. Decimal spellings of the NTSC rates (23.976, 23.98, 29.97, 59.94, 47.952, 119.88) are the exact
# N*1000/1001 rates.
_RATE = re.compile(
    r"^\s*(?P<num>\d+(?:\.\d+)?(?:/\d+)?)\s*[-_ ]?\s*"
    r"(?P<mark>df|drop|drop[-_ ]?frame|ndf|nondrop|non[-_ ]?drop|non[-_ ]?drop[-_ ]?frame)?\s*$",
    re.IGNORECASE,
)
_NTSC_BASES = (24, 30, 48, 60, 120)
FRAME_RATE_HINT = "use e.g. 23.976, 24, 25, 29.97, 29.97df, 29.97ndf, 30, 50, 59.94, 59.94df"


def _exact_rate(num: str) -> Fraction:
    rate = Fraction(num)
    if rate.denominator != 1:
        for base in _NTSC_BASES:  # 29.97 / 29.970 / 29.97003 -> 30000/1001
            ntsc = Fraction(base * 1000, 1001)
            if abs(rate - ntsc) < Fraction(1, 100):
                return ntsc
    return rate


@dataclass(frozen=True, slots=True)
class FrameRate:
    """An exact frame rate, e.g. 24000/1001 for 23.976, with a drop-frame flag for labels."""

    rate: Fraction
    drop_frame: bool = False

    @classmethod
    def parse(cls, value: str | float | Fraction | FrameRate) -> FrameRate:
        """The project's one frame-rate grammar (see above). Raises FormatError for anything else."""
        if isinstance(value, FrameRate):
            return value
        if isinstance(value, Fraction):
            text = f"{value.numerator}/{value.denominator}"
        else:
            text = str(value)
        m = _RATE.match(text)
        if not m:
            raise FormatError(f"not a frame rate: {value!r}", hint=FRAME_RATE_HINT)
        try:
            rate = _exact_rate(m.group("num"))
        except (ValueError, ZeroDivisionError):
            raise FormatError(f"not a frame rate: {value!r}", hint=FRAME_RATE_HINT) from None
        if rate <= 0 or rate > 1000:
            raise FormatError(f"not a frame rate: {value!r}", hint=FRAME_RATE_HINT)
        mark = (m.group("mark") or "").lower().replace("-", "").replace("_", "").replace(" ", "")
        drop = mark in ("df", "drop", "dropframe")
        if drop and rate not in (Fraction(30000, 1001), Fraction(60000, 1001)):
            raise FormatError(f"drop-frame timecode exists only at 29.97 and 59.94, not {value!r}",
                              hint=FRAME_RATE_HINT)
        return cls(rate, drop)

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def nominal(self) -> int:
        """Frames per timecode second (24 for 23.976, 30 for 29.97)."""
        return round(self.rate)

    def __str__(self) -> str:
        base = f"{float(self.rate):.3f}".rstrip("0").rstrip(".")
        return base + ("df" if self.drop_frame else "")


# ---------------------------------------------------------------- ms <-> samples (one rate for the project)
SAMPLE_RATE = 16_000  # what ffmpeg decodes every input to (audio.media) and every model hears


def ms_to_samples(ms: int) -> int:
    """The sample at time ``ms`` (16 per ms: exact for whole ms)."""
    return ms * SAMPLE_RATE // 1000


def samples_to_ms(n: int) -> int:
    """The time of sample ``n``, in whole ms (rounded down: the ms the sample falls in)."""
    return n * 1000 // SAMPLE_RATE


def samples_duration_ms(n: int) -> int:
    """The duration of ``n`` samples, to the nearest ms (halves up): a file's or a buffer's length."""
    return (n * 1000 + SAMPLE_RATE // 2) // SAMPLE_RATE


# ---------------------------------------------------------------- ms <-> frames (one rule for the project)
def ms_to_frames(ms: int | Fraction | float, fr: FrameRate) -> int:
    """The frame boundary nearest to ``ms``, a tie (exactly half a frame) going to the later frame
    (``floor(x + 1/2)``, negative times too): THE nearest-frame rule of the project.

    Every writer (spotting lists, timecoded transcripts, TTML frames, SCC), QC's frame checks, SDH's sound
    cues, conform's whole-frame shifts, the quote index and its quote sheets use it, so one time is one frame
    everywhere (at 25 fps 20 ms is frame 1 and 100 ms frame 3 for all of them). A frame start stored in whole
    ms (``frames_to_ms``) is within half a millisecond of its boundary, so it maps back to its own frame.
    (The timing rules decide where a cue starts with ``frame_containing``: that is a rule about speech, not a
    way to show a time.)
    """
    if isinstance(ms, int):  # the same value in integers (QC calls this for every cue: no Fraction objects)
        p, q = fr.rate.numerator, fr.rate.denominator
        return (2 * ms * p + 1000 * q) // (2000 * q)
    return math.floor(Fraction(ms) * fr.rate / 1000 + Fraction(1, 2))


def frame_containing(ms: int, fr: FrameRate) -> int:
    """The frame during which time ``ms`` falls (half a ms of slack for stored frame starts): the timing
    rules put an in-time on the first frame of speech with it (``timing.ms_to_frames_np`` vectorises it)."""
    return int(Fraction(2 * ms + 1, 2) * fr.rate // 1000)


def frames_to_ms(frames: int, fr: FrameRate) -> int:
    """Start time of a frame, rounded to the nearest ms (a tie to the even ms, as ``round`` does)."""
    n, d = frames * 1000 * fr.rate.denominator, fr.rate.numerator
    k, r = divmod(n, d)
    return k + 1 if 2 * r > d or (2 * r == d and k % 2) else k


def snap_ms(ms: int, fr: FrameRate) -> int:
    """Move a time to the nearest frame boundary (the ``ms_to_frames`` rule)."""
    return frames_to_ms(ms_to_frames(ms, fr), fr)


def _hmsm(ms: int) -> tuple[int, int, int, int]:
    if ms < 0:
        raise ValueError(f"negative time {ms} ms")
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, milli = divmod(rem, 1000)
    return h, m, s, milli


def format_srt(ms: int) -> str:
    h, m, s, milli = _hmsm(ms)
    return f"{h:02d}:{m:02d}:{s:02d},{milli:03d}"


def format_vtt(ms: int) -> str:
    h, m, s, milli = _hmsm(ms)
    return f"{h:02d}:{m:02d}:{s:02d}.{milli:03d}"


_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*$")


def parse_clock(text: str) -> int:
    """Parse SRT/WebVTT clock time (`HH:MM:SS,mmm`, `MM:SS.mmm`) to ms."""
    m = _CLOCK.match(text)
    if not m:
        raise FormatError(f"not a timestamp: {text!r}")
    h, mi, s, frac = m.groups()
    return ((int(h or 0) * 60 + int(mi)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0"))


def _drop_frames(fr: FrameRate) -> int:
    return 2 * fr.nominal // 30  # 2 at 29.97, 4 at 59.94


def frames_to_smpte(frames: int, fr: FrameRate) -> str:
    """Frame count -> `HH:MM:SS:FF` (or `HH:MM:SS;FF` drop-frame)."""
    if frames < 0:
        raise ValueError("negative frame count")
    nom = fr.nominal
    if fr.drop_frame:
        d = _drop_frames(fr)
        per_10min = nom * 600 - d * 9
        per_min = nom * 60 - d
        tens, rem = divmod(frames, per_10min)
        if rem > d:
            frames += d * 9 * tens + d * ((rem - d) // per_min)
        else:
            frames += d * 9 * tens
    ff = frames % nom
    ss = frames // nom % 60
    mm = frames // (nom * 60) % 60
    hh = frames // (nom * 3600)
    sep = ";" if fr.drop_frame else ":"
    return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:02d}"


def smpte_to_frames(text: str, fr: FrameRate) -> int:
    m = re.match(r"^(\d+):(\d{2}):(\d{2})[:;.](\d{2})$", text.strip())
    if not m:
        raise FormatError(f"not an SMPTE timecode: {text!r}")
    hh, mm, ss, ff = map(int, m.groups())
    nom = fr.nominal
    if ff >= nom or mm >= 60 or ss >= 60:
        raise FormatError(f"timecode out of range at {fr}: {text!r}")
    frames = ((hh * 60 + mm) * 60 + ss) * nom + ff
    if fr.drop_frame:
        d = _drop_frames(fr)
        total_minutes = hh * 60 + mm
        if ss == 0 and ff < d and mm % 10 != 0:
            raise FormatError(f"{text!r} is not a valid drop-frame label")
        frames -= d * (total_minutes - total_minutes // 10)
    return frames


def ms_to_smpte(ms: int, fr: FrameRate) -> str:
    return frames_to_smpte(ms_to_frames(ms, fr), fr)


# ---------------------------------------------------------------- the time grammar (one for the project)
_UNITS = {"ms": 1, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000}
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?|[.,]\d+)\s*(ms|s|sec|m|min|h)?$")
_CLOCKISH = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$")
_SMPTE = re.compile(r"^\d+:\d{2}:\d{2}[:;]\d{2}$")
TIME_HINT = "use e.g. 1.5 (seconds), 1.5s, 500ms, 2m, 1:30, 00:01:30.5, 00:01:30,500 or HH:MM:SS:FF with --fps"


def _ms(value: str, unit: int) -> int:
    try:
        d = Decimal(value.replace(",", ".")) * unit
    except InvalidOperation:
        raise ValueError(value) from None
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_time(text: str, *, fps: str | FrameRate | None = None, signed: bool = False) -> int:
    """THE time grammar of subpipe: text -> integer ms.

    Accepted: a number of seconds (``1.5``), a number with a unit (``1.5s``, ``500ms``, ``2m``, ``2min``,
    ``1h``), a clock (``1:30``, ``01:02.5``, ``00:01:02,500``, ``00:01:02.500``) and, with ``fps``, SMPTE
    timecode (``00:00:01:12``, drop-frame ``00:01:00;02``). With ``signed``, a leading ``+`` or ``-``.
    Fractions of a millisecond round half up. Raises FormatError with a hint for anything else.
    """
    raw = str(text)
    t = raw.strip().lower()
    sign = 1
    if signed and t[:1] in "+-" and t:
        sign = -1 if t[0] == "-" else 1
        t = t[1:].strip()
    try:
        m = _NUMBER.match(t)
        if m:
            return sign * _ms(m.group(1), _UNITS[m.group(2) or "s"])
        if _SMPTE.match(t):
            if fps is None:
                raise FormatError(f"SMPTE timecode {raw.strip()!r} needs a frame rate", hint="give --fps")
            fr = FrameRate.parse(fps)
            return sign * frames_to_ms(smpte_to_frames(t, fr), fr)
        m = _CLOCKISH.match(t)
        if m:
            h, mi, sec = int(m.group(1) or 0), int(m.group(2)), m.group(3)
            if mi >= 60 and m.group(1) is not None or float(sec.replace(",", ".")) >= 60:
                raise ValueError(t)
            return sign * ((h * 60 + mi) * 60_000 + _ms(sec, 1000))
    except ValueError:
        pass
    raise FormatError(f"not a time: {raw!r}", hint=TIME_HINT)
