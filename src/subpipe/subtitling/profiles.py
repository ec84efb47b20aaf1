"""Delivery profiles: the numbers the rules engine and `subpipe check` work to, each with its source.

Sources are summarised in ../shared/STANDARDS.md. Where a preset needs a number its source does not
give, the comment says so ("subpipe's choice"). A user's own profile is a TOML file with the same
fields (see ``load_profile``); ``base = "netflix-en"`` inherits every field it does not set.

Time limits are integer milliseconds; frame limits (gaps, shot-change zones) are whole frames at the
run's frame rate (``--fps``), computed by the properties below.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import SubpipeError
from ..timecode import FrameRate

# Average characters per English word, counting the space after it and punctuation (4.7 letters on
# average in running English text, plus a space and punctuation): turns words per minute into cps.
CHARS_PER_WORD = 6.0


def wpm_to_cps(wpm: float) -> float:
    return round(wpm * CHARS_PER_WORD / 60.0, 2)


@dataclass(frozen=True, slots=True)
class ScriptLimits:
    """Limits for a language written without spaces (characters counted without spaces)."""

    language: str
    max_chars_per_line: int
    max_cps: float


@dataclass(frozen=True)
class Profile:
    name: str
    max_chars_per_line: int
    max_lines: int
    max_cps: float  # characters per second (spaces and punctuation count; line breaks do not)
    min_duration_ms: int
    max_duration_ms: int
    min_gap_frames: int  # at least this many frames between cues, at any frame rate
    chain_gap_ms: int  # gaps this short or shorter are closed down to min_gap_frames ("chaining")
    max_linger_ms: int  # out-time may run this far past the end of speech (more only for min duration/cps)
    max_lead_ms: int = 0  # in-time may come this far before speech (used only to reach min duration/cps)
    in_time_tolerance_frames: int = 2  # in-times 1-2 frames off the first frame of speech are acceptable
    fps: FrameRate = FrameRate.parse("24")
    count_spaces: bool = True  # False for Chinese/Japanese: characters without spaces
    scripts: tuple[ScriptLimits, ...] = ()  # per-language limits for unspaced scripts
    language: str | None = None  # the language the limits were set for (after for_language)
    shot_changes: bool = True  # apply the shot-change rules when cut times are known
    shot_in_snap_frames: int = 7  # speech starting this many frames or fewer before a cut: in-time on it
    shot_in_lead_frames: int = 12  # speech starting up to 11 frames before a cut: in-time this far before it
    shot_out_frames: int = 2  # out-times near a cut end this many frames before it
    shot_zone_frames: int = 12  # "near a cut": within this many frames of it
    charset: str | None = None  # "cea608": only characters CEA-608 can show
    source: str = ""
    recipe: str = "dp"  # segmentation recipe (regroup.RECIPES): "dp" (the default) or "stable"

    # ------------------------------------------------------------ derived, at the profile's frame rate
    @property
    def rate(self) -> Fraction:
        return self.fps.rate

    def frames_ceil(self, ms: float) -> int:
        """Whole frames needed to cover ``ms`` (a 1-ms slack absorbs rounding to ms)."""
        return max(0, math.ceil((Fraction(ms) - 1) * self.rate / 1000))

    def frames_floor(self, ms: float) -> int:
        return max(0, math.floor((Fraction(ms) + 1) * self.rate / 1000))

    @property
    def min_duration_frames(self) -> int:
        return max(1, self.frames_ceil(self.min_duration_ms))

    @property
    def max_duration_frames(self) -> int:
        return max(self.min_duration_frames, self.frames_floor(self.max_duration_ms))

    @property
    def chain_gap_frames(self) -> int:
        """Half a second is 12 frames at 24 fps (Netflix), 15 at 30, 25 at 50."""
        return max(self.min_gap_frames, round(Fraction(self.chain_gap_ms) * self.rate / 1000))

    @property
    def max_linger_frames(self) -> int:
        return self.frames_floor(self.max_linger_ms)

    @property
    def max_lead_frames(self) -> int:
        return self.frames_floor(self.max_lead_ms)

    # ------------------------------------------------------------ variants
    def at_fps(self, fps: str | float | FrameRate | None) -> Profile:
        return self if fps is None else replace(self, fps=FrameRate.parse(fps))

    def for_language(self, language: str | None) -> Profile:
        """The limits for ``language``: unspaced scripts (zh, ja) count characters without spaces."""
        if not language:
            return self
        lang = language.lower().split("-")[0].split("_")[0]
        for s in self.scripts:
            if s.language == lang:
                return replace(self, max_chars_per_line=s.max_chars_per_line, max_cps=s.max_cps,
                               count_spaces=False, language=lang)
        return replace(self, language=lang) if self.language != lang else self

    def describe(self) -> dict[str, Any]:
        d = asdict(self)
        d["fps"] = str(self.fps)
        d["scripts"] = [asdict(s) for s in self.scripts]
        return d


# Netflix per-language guides (Simplified Chinese, Japanese Timed Text Style Guides): 16 characters a line
# for Chinese (STANDARDS.md), 13 for Japanese; reading speed 9 characters a second for Chinese adult
# programmes (7 children's), 4 for Japanese. Characters are counted without spaces.
_NETFLIX_CJK = (ScriptLimits("zh", 16, 9.0), ScriptLimits("yue", 16, 9.0), ScriptLimits("ja", 13, 4.0))
_NETFLIX_CJK_CHILDREN = (
    ScriptLimits("zh", 16, 7.0), ScriptLimits("yue", 16, 7.0), ScriptLimits("ja", 13, 4.0),
)

PROFILES: dict[str, Profile] = {
    # Netflix Timed Text Style Guide, General Requirements (partnerhelp article 215758617) and
    # English (USA) guide: 42 characters, 2 lines, 20 cps adult, 5/6 s to 7 s, 2-frame minimum gap at
    # any frame rate, gaps of 12 frames (half a second) or less chained to 2 frames; in-time on the first
    # frame of speech, out-time up to 0.5 s after it; shot changes: speech 7 frames or fewer before a cut
    # starts on the cut, 8-11 frames before starts 12 frames before it, out-times near a cut end 2 frames
    # before it.
    "netflix-en": Profile(
        "netflix-en", max_chars_per_line=42, max_lines=2, max_cps=20.0, min_duration_ms=833,
        max_duration_ms=7000, min_gap_frames=2, chain_gap_ms=500, max_linger_ms=500, max_lead_ms=0,
        scripts=_NETFLIX_CJK,
        source="Netflix Timed Text Style Guide: General Requirements (215758617) + English (USA)",
    ),
    # Same guide, children's programmes: 17 characters a second.
    "netflix-en-children": Profile(
        "netflix-en-children", max_chars_per_line=42, max_lines=2, max_cps=17.0, min_duration_ms=833,
        max_duration_ms=7000, min_gap_frames=2, chain_gap_ms=500, max_linger_ms=500, max_lead_ms=0,
        scripts=_NETFLIX_CJK_CHILDREN,
        source="Netflix Timed Text Style Guide: English (USA), children's programmes (17 cps)",
    ),
    # BBC Subtitle Guidelines (bbc.github.io/subtitle-guidelines): line 68% of a 16:9 frame, about 37
    # characters; 2 lines; 160-180 words per minute (Ofcom), here 180 wpm -> cps at CHARS_PER_WORD;
    # a subtitle neither anticipates speech nor hangs on after it by more than 1.5 s (section 5.2);
    # shot changes: start on the first frame of a shot (section 6.1). Minimum 1 s, maximum 7 s, the
    # 2-frame gap and half-second chaining are subpipe's choices (the guidelines give no figure).
    "bbc": Profile(
        "bbc", max_chars_per_line=37, max_lines=2, max_cps=wpm_to_cps(180), min_duration_ms=1000,
        max_duration_ms=7000, min_gap_frames=2, chain_gap_ms=500, max_linger_ms=1500, max_lead_ms=1500,
        source="BBC Subtitle Guidelines (37 chars, 180 wpm, 1.5 s sync tolerance); Ofcom 160-180 wpm",
    ),
    # DCMP Captioning Key: 32 characters a line (CEA-608), up to 2 lines; 150-160 wpm for adult
    # special-interest media (160 wpm -> cps at CHARS_PER_WORD); no caption shorter than 2 s. Characters
    # limited to what CEA-608 decoders show. Maximum 7 s, gap and chaining: subpipe's choices.
    "dcmp": Profile(
        "dcmp", max_chars_per_line=32, max_lines=2, max_cps=wpm_to_cps(160), min_duration_ms=2000,
        max_duration_ms=7000, min_gap_frames=2, chain_gap_ms=500, max_linger_ms=500, max_lead_ms=0,
        charset="cea608",
        source="DCMP Captioning Key (32 chars, 2 lines, 160 wpm, min 2 s); CEA-608 character set",
    ),
    # Web / YouTube style: YouTube publishes no timing limits; 42 characters and 2 lines are the common
    # web convention (same as Netflix). Lighter timing is subpipe's choice: 25 cps, 0.7 s to 10 s,
    # 1-frame gap, gaps up to 0.25 s chained, up to 1 s linger; no shot-change rules.
    "web": Profile(
        "web", max_chars_per_line=42, max_lines=2, max_cps=25.0, min_duration_ms=700,
        max_duration_ms=10000, min_gap_frames=1, chain_gap_ms=250, max_linger_ms=1000, max_lead_ms=0,
        scripts=(ScriptLimits("zh", 16, 11.0), ScriptLimits("yue", 16, 11.0), ScriptLimits("ja", 16, 6.0)),
        shot_changes=False,
        source="subpipe web preset: 42 chars x 2 lines (web convention), lighter timing",
    ),
}

# The fps values the CLI documents; any positive rate FrameRate accepts also works.
COMMON_FPS = ("23.976", "24", "25", "29.97", "29.97df", "30", "50", "59.94", "59.94df")

_FIELDS = {f.name: f for f in fields(Profile)}


def _validate(p: Profile, where: str | Path) -> Profile:
    problems = []
    for name in ("max_chars_per_line", "max_lines", "min_duration_ms", "max_duration_ms"):
        if getattr(p, name) <= 0:
            problems.append(f"{name} must be positive")
    for name in ("min_gap_frames", "chain_gap_ms", "max_linger_ms", "max_lead_ms"):
        if getattr(p, name) < 0:
            problems.append(f"{name} must not be negative")
    if p.max_cps <= 0:
        problems.append("max_cps must be positive")
    if p.max_duration_ms < p.min_duration_ms:
        problems.append("max_duration_ms is below min_duration_ms")
    if p.charset not in (None, "cea608"):
        problems.append(f"charset {p.charset!r} is unknown (use 'cea608' or leave it out)")
    if problems:
        raise SubpipeError("bad profile: " + "; ".join(problems), path=where)
    return p


def profile_from_dict(data: dict[str, Any], *, where: str | Path = "<profile>") -> Profile:
    """Build a profile from TOML-like data; ``base`` names a built-in profile to start from."""
    data = dict(data)
    base_name = data.pop("base", None)
    if base_name is not None and base_name not in PROFILES:
        raise SubpipeError(f"unknown base profile {base_name!r}", path=where,
                           hint="known: " + ", ".join(sorted(PROFILES)))
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise SubpipeError(f"unknown profile field(s): {', '.join(unknown)}", path=where,
                           hint="known fields: base, " + ", ".join(_FIELDS))
    if "fps" in data:
        data["fps"] = FrameRate.parse(str(data["fps"]))
    if "scripts" in data:
        try:
            data["scripts"] = tuple(ScriptLimits(str(s["language"]), int(s["max_chars_per_line"]),
                                                 float(s["max_cps"])) for s in data["scripts"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SubpipeError(f"bad [[scripts]] entry: {exc}", path=where) from None
    try:
        if base_name is not None:
            prof = replace(PROFILES[base_name], **data)
        else:
            data.setdefault("name", Path(str(where)).stem)
            prof = Profile(**data)
    except TypeError as exc:
        raise SubpipeError(f"incomplete profile: {exc}", path=where,
                           hint='set base = "netflix-en" to inherit the fields you leave out') from None
    return _validate(prof, where)


def load_profile(path: str | Path) -> Profile:
    """A user's profile from a TOML file with the same fields as the built-in ones."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SubpipeError("no such profile file", path=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SubpipeError(f"not a TOML profile: {exc}", path=path) from None
    data.setdefault("name", path.stem)
    return profile_from_dict(data, where=path)


def get_profile(name: str, fps: str | float | FrameRate | None = None) -> Profile:
    """A built-in profile by name, or a TOML profile file by path, at ``fps`` (default: its own)."""
    if name in PROFILES:
        prof = PROFILES[name]
    elif name.endswith(".toml") or Path(name).is_file():
        prof = load_profile(name)
    else:
        raise SubpipeError(
            f"unknown profile {name!r}",
            hint="known profiles: " + ", ".join(sorted(PROFILES)) + "; or give a .toml profile file",
        )
    return prof.at_fps(fps)
