"""Options, results and the constants the passes share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..asr.transcribe import TranscribeOptions
from ..model import Transcript
from ..timecode import SAMPLE_RATE  # noqa: F401 (the alignment modules take it from here)

WINDOW_MS = 30_000  # Whisper's receptive field
MAX_WINDOW_MS = 29_000  # leave room for the padding frame
WINDOW_PAD_MS = 800  # audio kept around a slice's first and last word
MAX_TOKENS = 400  # of the decoder's 448 positions, less the start sequence
FAST_ANCHOR = "tiny.en"
FILLERS = frozenset("uh um er erm ah eh hm hmm mm mhm uhm huh".split())


# ---------------------------------------------------------------- options and results
@dataclass(frozen=True)
class AlignOptions:
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    # The anchor pass only has to find the words: greedy, and with tiny.en when the speech is English
    # ("auto"; the aligning model still does the timing). A model name forces one.
    anchor_model: str = "auto"
    anchor_beam_size: int = 1
    # auto: phones for English when pocketsphinx is installed, else energy | phones | energy | none
    refine: str = "auto"
    min_mismatch_words: int = 3  # shorter unmatched runs are misrecognitions, not mismatches
    batch_size: int = 4  # windows encoded and aligned together

    def provenance(self) -> dict[str, Any]:
        return {"transcribe": self.transcribe.provenance(), "anchor_model": self.anchor_model,
                "anchor_beam_size": self.anchor_beam_size,
                "refine": self.refine, "min_mismatch_words": self.min_mismatch_words}


@dataclass(frozen=True, slots=True)
class ScriptWord:
    text: str
    space_before: bool = True
    group: int = 0  # the cue or paragraph it came from


@dataclass(frozen=True)
class Script:
    words: tuple[ScriptWord, ...]
    kind: str = "text"  # text | srt | vtt | transcript
    cues: tuple[Any, ...] = ()  # the subtitle cues, for srt/vtt scripts (group = cue index)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A difference between the script and the audio.

    not_heard: script words [first, last) have no room in the audio; start_ms == end_ms marks where.
    unscripted: speech between start_ms and end_ms that the script lacks; heard is what Whisper heard,
    and it falls before script word ``first``.
    """

    kind: str
    start_ms: int
    end_ms: int
    first: int
    last: int
    text: str

    def describe(self) -> str:
        from ..timecode import format_srt

        at = f"{format_srt(self.start_ms)}"
        if self.kind == "not_heard":
            return f"not heard (script words {self.first + 1}-{self.last}, near {at}): {self.text}"
        return (f"unscripted speech {at}-{format_srt(self.end_ms)} (before script word {self.first + 1}): "
                f"{self.text}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_ms": self.start_ms, "end_ms": self.end_ms,
                "script_words": [self.first, self.last], "text": self.text}


@dataclass(frozen=True)
class Alignment:
    transcript: Transcript
    mismatches: tuple[Mismatch, ...]
    stats: dict[str, Any]

    @property
    def not_heard(self) -> tuple[Mismatch, ...]:
        return tuple(m for m in self.mismatches if m.kind == "not_heard")

    @property
    def unscripted(self) -> tuple[Mismatch, ...]:
        return tuple(m for m in self.mismatches if m.kind == "unscripted")
