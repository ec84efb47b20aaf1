"""A known script -> Transcript: the script's own words, each timed against the audio.

How (stable-ts's ``align`` and faster-whisper's word timestamps are the models):

1. Anchor pass: a fast transcription (greedy, word timestamps) says roughly what is said when.
2. Text alignment: script words and heard words are matched (difflib blocks, then an edit-distance
   alignment inside each gap). Unmatched runs become *mismatches*: script passages that have no
   room in the audio are "not heard"; heard passages the script lacks are "unscripted". They are
   reported, never hidden; unscripted speech is kept out of the alignment windows.
3. Windows: the script is cut into slices of at most 30 s of audio, at pauses between anchored words.
4. Whisper alignment: each slice's exact tokens are aligned to its audio with the model's
   cross-attention (CTranslate2 ``Whisper.align``, dynamic time warping over the alignment heads),
   which gives every word (numbers, symbols, names included) a start and an end on a 20 ms grid.
5. Refinement (English): word boundaries are moved to a phone-level forced alignment
   (pocketsphinx) where it agrees with Whisper's; elsewhere Whisper's times stand.

Every script word comes out, in order, with non-decreasing times inside the media. Words of a
passage that is not heard get a zero-length time where the passage would be and probability 0.

The package, one module a step (the timing path reads top to bottom in ``core.align``):
``types`` (options, results, constants), ``script`` (reading scripts), ``matching`` (tokens and the
script/heard pairing), ``energy`` (voiced frames), ``anchor`` (the anchor pass), ``windows`` (plan and
<= 30 s windows), ``whisper_pass`` (CTranslate2 cross-attention), ``phone_pass`` (pocketsphinx and
energy refinement), ``core`` (the pipeline, ``refine_transcript``).
"""

from .acoustic import monotonic_times
from .anchor import script_language
from .core import align, align_script, refine_transcript
from .energy import unvoiced_runs, voiced_frames, voiced_ms
from .matching import match_tokens, norm_tokens
from .script import _split_words, parse_script, read_script, script_kind
from .types import MAX_WINDOW_MS, Alignment, AlignOptions, Mismatch, Script, ScriptWord
from .windows import _Plan, _windows

_monotonic = monotonic_times  # the name tests and callers used before the split

__all__ = [
    "MAX_WINDOW_MS", "AlignOptions", "Alignment", "Mismatch", "Script", "ScriptWord", "_Plan", "_monotonic",
    "_split_words", "_windows", "align", "align_script", "match_tokens", "norm_tokens", "parse_script",
    "read_script", "refine_transcript", "script_kind", "script_language", "unvoiced_runs", "voiced_frames",
    "voiced_ms",
]
