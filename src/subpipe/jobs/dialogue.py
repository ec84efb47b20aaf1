"""The dialogue the pipeline transcribes: ``--separate auto``'s unsure stretches decided by Whisper's confidence.

``audio.separate`` decides per 20 s stretch whether Whisper hears the mix or the separated dialogue stem, from
the quiet floor (a bed) and Silero's share of speech (whether the VAD still hears the voice through it). Two
kinds of stretch it decides without knowing (``separate.unsure``): a bed the VAD still hears the speech
through (left mixed by the rules) and a quieter stretch separated only because it is next to a drowned one (the
bridge). There the separation may win words or cost them (bench/results/trailer_bed.md), and neither the floor,
the VAD nor the stems' balance tells which. Here both are decoded and Whisper's own confidence chooses.

The measure: Whisper's word probabilities p of the words the transcription keeps (after the hallucination
guards, no-speech probability and the coverage re-decode, exactly as a run keeps them), each stretch decoded on
its own, summed as sum(2p - 1): the expected number of right words minus the expected number of wrong ones, if p
is read as the chance that the word is right. Why this one: WER counts N + H - 2C - S errors for N reference
words, H words written, C right and S substituted; the stretch's N is the same for both decodes, so leaving S
aside the better transcript is the one with the larger 2C - H, and sum(2p - 1) is Whisper's own estimate of
it. A mean (of p or of log p) cannot see the words a decode leaves out: on a LibriVox sentence under the bed at
-5 dB (tiny.en), the stem's decode kept 10 words at a mean log probability of -0.50 where the mix kept 18 at
-0.72, and the mean chose the 10. It scores exactly the words that would reach the subtitles (a segment's
``avg_logprob`` covers a whole 30 s window, timestamp tokens, and text the guards later drop), by the same
computation on both decodes.
No threshold: a decode with no words scores 0 (so words Whisper itself expects to be more wrong than right
lose to none), and a tie keeps the mix (the rules' default). The mean log word probability of each is recorded
too. Same input, same options (temperature 0), same choice.

Cost: each unsure stretch is decoded twice more (its mix and its stem, 20 s each) before the file is
transcribed once with the choices made; stretches the rules are sure of are never decoded twice. Clean
speech has no bed and no unsure stretch, so it pays nothing.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..asr.transcribe import TranscribeOptions, transcribe_audio
from ..audio import separate
from ..model import Word

log = logging.getLogger("subpipe")
MEASURE = "sum(2p - 1) over the kept words' probabilities: expected right minus wrong words"
PROB_FLOOR = 1e-4  # word probabilities are stored to 4 decimals: 0.0 means "under 0.00005"


def confidence(words: Sequence[Word]) -> float:
    """sum(2p - 1) over the words: Whisper's expected right words minus expected wrong ones (0: no words)."""
    return float(sum(2 * w.probability - 1 for w in words))


def mean_logprob(words: Sequence[Word]) -> float | None:
    """Mean natural log of the words' probabilities (None: no words); recorded, not used to choose."""
    if not words:
        return None
    return float(np.mean([math.log(max(w.probability, PROB_FLOOR)) for w in words]))


def pick(mix: float, stem: float) -> str:
    """"stem" where the stem's decode scores higher, else "mix" (a tie keeps the mix)."""
    return "stem" if stem > mix else "mix"


class _ThisThread(logging.Filter):
    """Drops this thread's records: a probe's coverage warnings are about a decode that may not be kept."""

    def __init__(self) -> None:
        super().__init__()
        self.ident = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.ident


def chooser(options: TranscribeOptions, costs: dict[str, float] | None = None):
    """The ``choose`` of ``separate.isolate_dialogue``: each unsure stretch's mix and stem decoded on their own
    with ``options``; the record per stretch: which was kept, both confidences and word counts, and the note.
    ``costs``: where the probes' CPU seconds and the audio they decoded are added (the benchmark reads them)."""

    def choose(clips: list[tuple[Any, np.ndarray, np.ndarray]]) -> list[dict]:
        records = []
        quiet = _ThisThread()
        log.addFilter(quiet)
        c0 = time.process_time()
        try:
            for _stretch, mix, stem in clips:
                got = {}
                for name, samples in (("mix", mix), ("stem", stem)):
                    words = transcribe_audio(np.ascontiguousarray(samples, np.float32), options).words
                    got[name] = (confidence(words), len(words), mean_logprob(words))
                kept = pick(got["mix"][0], got["stem"][0])
                rec = {"kept": kept, "measure": MEASURE,
                       "mix_score": round(got["mix"][0], 3), "stem_score": round(got["stem"][0], 3),
                       "mix_words": got["mix"][1], "stem_words": got["stem"][1],
                       "mix_logprob": _r(got["mix"][2]), "stem_logprob": _r(got["stem"][2])}
                rec["note"] = _note(rec)
                records.append(rec)
        finally:
            log.removeFilter(quiet)
            if costs is not None:
                costs["probe_cpu_s"] = costs.get("probe_cpu_s", 0.0) + time.process_time() - c0
                costs["probe_audio_s"] = costs.get("probe_audio_s", 0.0) + sum(
                    len(m) + len(s) for _, m, s in clips) / separate.SAMPLE_RATE
        return records

    return choose


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def _note(rec: dict) -> str:
    def side(name: str) -> str:
        return f"{rec[f'{name}_score']:+.1f} over {rec[f'{name}_words']} word(s)"

    other = "mix" if rec["kept"] == "stem" else "stem"
    what = {"stem": "the dialogue stem", "mix": "the mix"}
    return (f"kept {what[rec['kept']]} (Whisper's expected right minus wrong words {side(rec['kept'])}, against "
            f"{side(other)} on {what[other]})")


def dialogue_audio(audio, opts, media_path: Path):
    """``separate.dialogue_audio`` with auto's unsure stretches chosen by Whisper's confidence (the pipeline's
    entry point: the samples VAD and Whisper hear, the notes, the separation provenance)."""
    return separate.dialogue_audio(audio, opts, media_path, choose=chooser(opts.transcribe))
