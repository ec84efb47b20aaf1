"""The dialogue the pipeline transcribes: ``--separate auto``'s unsure stretches decided by Whisper's confidence.

``audio.separate`` decides per 20 s stretch whether Whisper hears the mix or the separated dialogue stem, from
the quiet floor (a bed) and Silero's share of speech (whether the VAD still hears the voice through it). One kind
of stretch it decides without knowing (``separate.unsure``): a bed the VAD still hears the speech through, which
the rules leave mixed. There the separation may win words or cost them (bench/results/trailer_bed.md: it cost
7.6 points on the tuned set at +5 dB and won 6 at 0 dB), and neither the floor, the VAD nor the stems' balance
tells which. Both decodes cover the speech there (the VAD hears it), so they differ in how right their words
are, and Whisper's own confidence in its words can judge that: both are decoded and it chooses. (A stretch the
VAD does not hear is not asked: the mix's loss there is words it never decodes, which no confidence of the
words it does decode can show; a first build that also asked the bridged stretches lost 7.3 points on the
held-out set at -5 dB where the mix's few confident words beat the stem.)

The measure: the mean natural log of Whisper's word probabilities over the words the transcription keeps
(after the hallucination guards, no-speech probability and the coverage re-decode, exactly as a run keeps them),
each stretch decoded on its own. A word's probability is the mean of its tokens' probabilities given the audio
(faster-whisper's alignment pass), so this is the token-level confidence of exactly the words that would reach
the subtitles, by the same computation on both decodes; a segment's ``avg_logprob`` would also score a whole
30 s window, its timestamp tokens, and text the guards later drop. Rules, none with a threshold: a decode that
keeps no word loses to one that keeps some; where neither keeps a word, or both score the same, the rules'
own decision stands (the mix). Same input, same options
(temperature 0), same choice.

Off by default (``SeparateOptions.decide_unsure``): measured with bench/bench_bed.py --decide-unsure
(bench/results/trailer_bed.md, docs/notes/issue-27.md) it fixed none of issue 27 item 4's misses and made the tuned
set's -5 dB mix 2.7 points worse; on the stretches it is asked about, the two decodes are mostly within hundredths
of a nat of each other. The mean was chosen over sum(2p - 1) (expected right minus wrong words) on the tuned set,
where it was better or equal at every level; both are recorded in the choice (``*_logprob``, ``*_score``).

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
MEASURE = "mean natural log of the kept words' probabilities"  # what ``confidence`` computes
PROB_FLOOR = 1e-4  # word probabilities are stored to 4 decimals: 0.0 means "under 0.00005"


def confidence(words: Sequence[Word]) -> float | None:
    """Mean natural log of the words' probabilities (None: no words): what chooses."""
    if not words:
        return None
    return float(np.mean([math.log(max(w.probability, PROB_FLOOR)) for w in words]))


def expected_net(words: Sequence[Word]) -> float:
    """sum(2p - 1): Whisper's expected right words minus expected wrong ones (recorded, not used to choose)."""
    return float(sum(2 * w.probability - 1 for w in words))


def pick(mix: float | None, stem: float | None, rules: str) -> str:
    """"stem" or "mix" by the two decodes' confidences; ``rules`` (what auto's rules chose) where they cannot tell."""
    if (mix is None and stem is None) or mix == stem:
        return rules
    if mix is None or stem is None:
        return "mix" if stem is None else "stem"
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
            for stretch, mix, stem in clips:
                got = {}
                for name, samples in (("mix", mix), ("stem", stem)):
                    words = transcribe_audio(np.ascontiguousarray(samples, np.float32), options).words
                    got[name] = (confidence(words), len(words), expected_net(words))
                rules = "stem" if stretch.separated else "mix"
                kept = pick(got["mix"][0], got["stem"][0], rules)
                rec = {"kept": kept, "rules": rules, "measure": MEASURE,
                       "mix_logprob": _r(got["mix"][0]), "stem_logprob": _r(got["stem"][0]),
                       "mix_words": got["mix"][1], "stem_words": got["stem"][1],
                       "mix_score": round(got["mix"][2], 3), "stem_score": round(got["stem"][2], 3)}
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
        lp, n = rec[f"{name}_logprob"], rec[f"{name}_words"]
        return "no words" if lp is None else f"{lp:.2f} over {n} word(s)"

    other = "mix" if rec["kept"] == "stem" else "stem"
    what = {"stem": "the dialogue stem", "mix": "the mix"}
    if rec["mix_logprob"] is None and rec["stem_logprob"] is None:
        return f"neither kept a word: kept {what[rec['kept']]}, as the rules chose"
    return (f"kept {what[rec['kept']]} (Whisper's mean log word probability {side(rec['kept'])}, against "
            f"{side(other)} on {what[other]})")


def dialogue_audio(audio, opts, media_path: Path):
    """``separate.dialogue_audio`` with auto's unsure stretches chosen by Whisper's confidence (the pipeline's
    entry point: the samples VAD and Whisper hear, the notes, the separation provenance)."""
    return separate.dialogue_audio(audio, opts, media_path, choose=chooser(opts.transcribe))
