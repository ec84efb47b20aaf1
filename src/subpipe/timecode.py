"""Time presentation: integer ms <-> SRT / WebVTT / SMPTE timecode and frames.

Time is stored as integer milliseconds; frames and timecode are only a way to show it.
SMPTE drop-frame (29.97 / 59.94) follows SMPTE ST 12-1: frame labels 00 and 01 (00-03 at 59.94)
are skipped at the start of every minute except every tenth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from .errors import FormatError


@dataclass(frozen=True, slots=True)
class FrameRate:
    """An exact frame rate, e.g. 24000/1001 for 23.976, with a drop-frame flag for labels."""

    rate: Fraction
    drop_frame: bool = False

    @classmethod
    def parse(cls, value: str | float | FrameRate) -> FrameRate:
        if isinstance(value, FrameRate):
            return value
        text = str(value).strip().lower()
        drop = False
        if text.endswith(("df", "drop")):
            drop = True
            text = text.removesuffix("drop").removesuffix("df").strip(" -_")
        elif text.endswith(("ndf", "nondrop")):
            text = text.removesuffix("nondrop").removesuffix("ndf").strip(" -_")
        known = {
            "23.976": Fraction(24000, 1001),
            "23.98": Fraction(24000, 1001),
            "29.97": Fraction(30000, 1001),
            "59.94": Fraction(60000, 1001),
            "47.952": Fraction(48000, 1001),
        }
        try:
            rate = known.get(text) or Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise FormatError(f"not a frame rate: {value!r}", hint="use e.g. 23.976, 24, 25, 29.97df, 30") from None
        if rate <= 0:
            raise FormatError(f"not a frame rate: {value!r}")
        if drop and rate not in (Fraction(30000, 1001), Fraction(60000, 1001)):
            raise FormatError(f"drop-frame timecode exists only at 29.97 and 59.94, not {value!r}")
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


def ms_to_frames(ms: int, fr: FrameRate) -> int:
    """The frame containing time ms. Frame starts are stored rounded to the nearest ms, so half a
    millisecond of slack keeps every stored frame boundary in its own frame."""
    return int(Fraction(2 * ms + 1, 2) * fr.rate // 1000)


def frames_to_ms(frames: int, fr: FrameRate) -> int:
    """Start time of a frame, rounded to the nearest ms."""
    return round(Fraction(frames * 1000) / fr.rate)


def snap_ms(ms: int, fr: FrameRate) -> int:
    """Move a time to the nearest frame boundary."""
    return frames_to_ms(round(Fraction(ms) * fr.rate / 1000), fr)


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
