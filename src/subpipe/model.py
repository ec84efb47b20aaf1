"""The internal timed-text model: frozen dataclasses, integer milliseconds, no I/O.

media -> Transcript (words, utterances) -> CueTrack (cues with lines) -> files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

# Languages written without spaces between words (used when a word carries no spacing info).
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "km", "yue", "bo"})


def seconds_to_ms(seconds: float) -> int:
    """The one rounding rule from Whisper's float seconds to integer ms: round half up."""
    return int(seconds * 1000 + 0.5) if seconds >= 0 else -int(-seconds * 1000 + 0.5)


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start_ms: int
    end_ms: int
    probability: float = 1.0
    space_before: bool = True  # whether a space separates this word from the previous one
    language: str | None = None  # set when a file mixes languages (per-utterance language detection)
    speaker: str | None = None  # the speaker label ("S1", or a name) when diarization ran (diarize.py)

    def __post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise ValueError(f"word {self.text!r} ends before it starts ({self.start_ms} > {self.end_ms})")

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def join_words(words: Iterable[Word]) -> str:
    """Join words into text, honouring each word's spacing."""
    out: list[str] = []
    for w in words:
        if out and w.space_before:
            out.append(" ")
        out.append(w.text)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Utterance:
    """A sentence-level stretch of speech: what a press quote is made of."""

    words: tuple[Word, ...]
    language: str | None = None
    speaker: str | None = None

    def __post_init__(self) -> None:
        if not self.words:
            raise ValueError("an utterance needs at least one word")

    @property
    def start_ms(self) -> int:
        return self.words[0].start_ms

    @property
    def end_ms(self) -> int:
        return self.words[-1].end_ms

    @property
    def text(self) -> str:
        return join_words(self.words)


@dataclass(frozen=True, slots=True)
class Dropped:
    """A word a hallucination guard removed, kept with why and when so nothing disappears silently."""

    text: str
    start_ms: int
    end_ms: int
    reason: str  # the guard's rule id: repetition, phantom, no-speech, compression, sound-label
    detail: str = ""  # a human sentence: what the guard saw


@dataclass(frozen=True, slots=True)
class SoundEvent:
    """A stretch of non-speech sound worth an SDH cue (``kind``: "music"), found in the audio (sound.py)."""

    kind: str
    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise ValueError(f"sound event ends before it starts ({self.start_ms} > {self.end_ms})")


@dataclass(frozen=True, slots=True)
class SpeakerInfo:
    """One speaker of a transcript: its label, how long it speaks, and its name when a known voice matched."""

    label: str  # "S1", "S2"... or the enrolled name
    speaking_ms: int = 0
    name: str | None = None
    similarity: float | None = None  # cosine similarity to the enrolled voice that gave the name


@dataclass(frozen=True, slots=True)
class Transcript:
    """Everything known about the speech in one media file; the checkpoint between stages."""

    words: tuple[Word, ...]
    language: str | None
    duration_ms: int
    utterances: tuple[Utterance, ...] = ()
    notes: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict, compare=False)
    dropped: tuple[Dropped, ...] = ()  # what the hallucination guards removed (see guards.py)
    translation: tuple[Word, ...] = ()  # English for the foreign-language parts, when asked to translate
    events: tuple[SoundEvent, ...] = ()  # music and other non-speech sound, for SDH cues (sound.py)
    speakers: tuple[SpeakerInfo, ...] = ()  # who speaks (diarize.py); words and utterances carry the labels

    @property
    def text(self) -> str:
        return join_words(self.words)


@dataclass(frozen=True, slots=True)
class Span:
    """A run of cue text with one style: what a viewer sees as italic, bold, underlined, coloured, or
    as one speaker's voice (WebVTT ``<v>``). A cue's ``spans`` hold its lines as runs of these."""

    text: str
    italic: bool = False
    bold: bool = False
    underline: bool = False
    color: str | None = None  # a CSS colour name ("yellow") or "#rrggbb"
    voice: str | None = None

    def same_style(self, other: Span) -> bool:
        return (self.italic, self.bold, self.underline, self.color, self.voice) == (
            other.italic, other.bold, other.underline, other.color, other.voice)

    @property
    def plain(self) -> bool:
        return not (self.italic or self.bold or self.underline or self.color or self.voice)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a cue sits on screen. ``vertical``/``align`` are what every format can say (``{\\anN}``,
    TTML regions, CEA-608 rows); the WebVTT settings and the TTML region id are kept as written so a
    file read and written in its own format keeps them exactly."""

    vertical: str = "bottom"  # top, middle, bottom
    align: str = "center"  # left, center, right
    line: str | None = None  # WebVTT cue settings as written
    position: str | None = None
    size: str | None = None
    vtt_align: str | None = None
    region: str | None = None  # TTML region id or WebVTT region

    @property
    def default(self) -> bool:
        return self == Placement()


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    words: tuple[Word, ...] = field(default=(), compare=False)
    # markup as structure: per line, runs of styled text whose texts join to that line ("" = plain)
    spans: tuple[tuple[Span, ...], ...] = field(default=(), compare=False)
    placement: Placement | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.end_ms < self.start_ms:
            raise ValueError(f"cue ends before it starts ({self.start_ms} > {self.end_ms})")

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def with_times(self, start_ms: int, end_ms: int) -> Cue:
        return replace(self, start_ms=start_ms, end_ms=end_ms)


@dataclass(frozen=True, slots=True)
class CueTrack:
    cues: tuple[Cue, ...]
    language: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.cues)

    @classmethod
    def of(cls, cues: Sequence[Cue], **kw: Any) -> CueTrack:
        return cls(tuple(sorted(cues, key=lambda c: (c.start_ms, c.end_ms))), **kw)
