"""Delivery profiles: the numbers the rules engine works to, each with its source.

Sources are summarised in ../shared/STANDARDS.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from .errors import SubpipeError
from .timecode import FrameRate


@dataclass(frozen=True)
class Profile:
    name: str
    max_chars_per_line: int
    max_lines: int
    max_cps: float  # characters per second (spaces and punctuation count)
    min_duration_ms: int
    max_duration_ms: int
    min_gap_frames: int  # at least this many frames between cues
    chain_gap_frames: int  # gaps of this many frames or fewer are closed down to min_gap_frames
    max_linger_ms: int  # out-time may run this far past the end of speech
    fps: FrameRate = FrameRate.parse("24")
    count_spaces: bool = True  # False for Chinese/Japanese: characters without spaces
    source: str = ""

    def at_fps(self, fps: str | float | FrameRate | None) -> Profile:
        return self if fps is None else replace(self, fps=FrameRate.parse(fps))

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["fps"] = str(self.fps)
        return d


PROFILES: dict[str, Profile] = {
    # Netflix Timed Text Style Guide, General Requirements (partnerhelp article 215758617) and
    # English (USA) guide (article 217350977): 42 chars, 2 lines, 20 cps adult, 5/6 s to 7 s,
    # 2-frame minimum gap, gaps of 12 frames or less chained to 2 frames; out-time up to 0.5 s after speech.
    "netflix-en": Profile(
        "netflix-en", 42, 2, 20.0, 833, 7000, 2, 12, 500,
        source="Netflix Timed Text Style Guide: General Requirements + English (USA)",
    ),
}


def get_profile(name: str, fps: str | float | FrameRate | None = None) -> Profile:
    try:
        prof = PROFILES[name]
    except KeyError:
        raise SubpipeError(
            f"unknown profile {name!r}", hint="known profiles: " + ", ".join(sorted(PROFILES))
        ) from None
    return prof.at_fps(fps)
