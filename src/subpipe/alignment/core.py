"""The alignment pipeline: anchor -> plan -> Whisper pass -> refinement -> words; and re-timing a transcript."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from typing import Any

import numpy as np

from .._version import __version__
from ..asr.engine import one_blas_thread
from ..asr.transcribe import Progress, load_model
from ..errors import AlignmentError
from ..model import Transcript, Word
from ..timecode import samples_duration_ms
from ..utterances import build_utterances
from .acoustic import monotonic_times
from .anchor import _anchor_model, _anchor_pass, _use_phones
from .energy import voiced_frames
from .phone_pass import _place_untimed, _refine_with_phones, _snap_to_pauses, _trim_to_voice
from .script import _word_groups, parse_script
from .types import Alignment, AlignOptions, Script, ScriptWord
from .whisper_pass import _whisper_times
from .windows import _plan, plan_windows_count

log = logging.getLogger("subpipe")


@one_blas_thread()
def align(
    samples: np.ndarray,
    script: Script | str,
    options: AlignOptions | None = None,
    *,
    progress: Progress | None = None,
    media_sha256: str | None = None,
    media_name: str | None = None,
    anchor: Transcript | None = None,
) -> Alignment:
    """Time the script's words against 16 kHz mono samples. ``anchor``: a transcript of the same
    audio to use instead of the anchor pass (e.g. one made already)."""
    options = options or AlignOptions()
    if isinstance(script, str):
        script = parse_script(script)
    duration_ms = samples_duration_ms(len(samples))
    words = script.words
    if not words:
        raise AlignmentError("the script has no words")
    loaded = load_model(options.transcribe)
    voiced = voiced_frames(samples)
    anchor_model = None
    if anchor is None:
        anchor_model, lang = _anchor_model(samples, words, options, loaded)
        anchor = _anchor_pass(samples, options, anchor_model, lang, progress)
    plan = _plan(words, anchor, duration_ms, voiced, options)
    if anchor_model not in (None, options.transcribe.model) and any(m.kind == "not_heard" for m in plan.mismatches):
        # the fast model may simply have missed those words: confirm with the aligning model
        log.info("confirming %d not-heard passages with %s", len(plan.mismatches), options.transcribe.model)
        anchor = _anchor_pass(samples, options, options.transcribe.model, anchor.language, progress)
        plan = _plan(words, anchor, duration_ms, voiced, options)
    language = options.transcribe.language or anchor.language or "en"
    times, probs = _whisper_times(samples, words, plan, loaded, language, options)
    refined = 0
    done: set[int] = set()
    if _use_phones(options.refine, language):
        times, refined, done = _refine_with_phones(samples, words, times, plan, voiced)
    if options.refine != "none":
        times = _snap_to_pauses(times, words, plan, voiced, done)
        times = _trim_to_voice(times, words, plan, voiced, done)
    times = _place_untimed(times, words, plan.excluded)
    times = monotonic_times(times, duration_ms)
    out_words = []
    for i, w in enumerate(words):
        s, e = times[i]
        p = 0.0 if i in plan.excluded else probs[i]
        out_words.append(Word(w.text, s, e, round(float(p), 4), space_before=w.space_before))
    for m in plan.mismatches:  # a not-heard passage sits where the script puts it
        if m.kind == "not_heard":
            at = out_words[m.first].start_ms
            plan.mismatches[plan.mismatches.index(m)] = replace(m, start_ms=at, end_ms=at)
    mismatches = tuple(sorted(plan.mismatches, key=lambda m: (m.first, m.kind)))
    aligned = sum(1 for i in range(len(words)) if i not in plan.excluded)
    stats = {"script_words": len(words), "timed_words": len(words), "aligned_words": aligned,
             "not_heard_words": len(plan.excluded),
             "anchored_words": sum(1 for a in plan.approx if a[0] >= 0),
             "refined_words": refined, "windows": plan_windows_count(plan),
             "anchor_words": len(anchor.words)}
    notes = [m.describe() for m in mismatches]
    provenance = {
        "tool": "subpipe",
        "version": __version__,
        "method": "align",
        "model": {"name": loaded.resolved.name, "sha256": loaded.resolved.sha256,
                  "source": loaded.resolved.source, "verified": loaded.resolved.verified},
        "anchor_model": ((anchor.provenance or {}).get("model") or {}).get("name"),
        "device": loaded.device,
        "compute_type": loaded.compute_type,
        "options": options.provenance(),
        "script": {"kind": script.kind, "words": len(words),
                   "sha256": hashlib.sha256("\n".join(w.text for w in words).encode("utf-8")).hexdigest()},
        "alignment": {"mismatches": [m.to_dict() for m in mismatches], "stats": stats},
        "engine": (anchor.provenance or {}).get("engine", {}),
    }
    if media_sha256:
        provenance["media"] = {"sha256": media_sha256, "name": media_name}
    utter_words = out_words
    transcript = Transcript(
        words=tuple(out_words),
        language=language,
        duration_ms=duration_ms,
        utterances=build_utterances(utter_words, language),
        notes=tuple(notes),
        provenance=provenance,
    )
    if options.refine != "none":
        # the same acoustic word edges a plain run gets (wordtiming.py): the aligner's first word of a stretch
        # otherwise reaches back into the pause before it, and a conform to a cut lands in the edit's gap
        from .acoustic import array_reader, retime

        timed = retime(transcript, array_reader(samples))
        if plan.excluded:  # a not-heard passage stays a zero-length point where the script puts it
            ws = list(timed.words)
            for i in sorted(plan.excluded):
                prev_end = ws[i - 1].end_ms if i > 0 else 0
                nxt = [ws[j].start_ms for j in range(i + 1, len(ws)) if j not in plan.excluded]
                at = min(max(out_words[i].start_ms, prev_end), nxt[0] if nxt else duration_ms)
                at = max(at, prev_end)
                ws[i] = replace(out_words[i], start_ms=at, end_ms=at)
            timed = replace(timed, words=tuple(ws), utterances=build_utterances(ws, language))
        transcript = timed
    if progress:
        progress(duration_ms, duration_ms)
    return Alignment(transcript, mismatches, stats)


def align_script(samples: np.ndarray, script_text: Script | str, options: AlignOptions | None = None,
                 **kw: Any) -> Transcript:
    """The script's words, exactly as written, each with start/end ms (mismatches in notes/provenance)."""
    return align(samples, script_text, options, **kw).transcript


def refine_transcript(samples: np.ndarray, transcript: Transcript, options: AlignOptions | None = None) -> Transcript:
    """Re-time a transcript's own words by aligning them to the audio (Whisper cross-attention, then phone
    and energy refinement), keeping every word's text, language and probability.

    Transcription word times start cues early or late (median utterance in-time error 842 ms against human
    segments, bench/results/align.md); aligned times are within a couple of frames. Used by
    ``subpipe run --refine-times``.
    """
    if not transcript.words:
        return transcript
    groups = _word_groups(transcript)
    script = Script(tuple(ScriptWord(w.text, w.space_before, groups[i]) for i, w in enumerate(transcript.words)),
                    "transcript")
    res = align(samples, script, options, anchor=transcript)
    if len(res.transcript.words) != len(transcript.words):  # pragma: no cover - align keeps every word
        return transcript
    new_words = tuple(replace(old, start_ms=new.start_ms, end_ms=new.end_ms)
                      for old, new in zip(transcript.words, res.transcript.words, strict=True))
    utterances, k = [], 0
    for u in transcript.utterances:  # utterances partition the words, in order
        n = len(u.words)
        if transcript.words[k:k + n] != u.words:  # pragma: no cover - not a partition: rebuild sentences
            from ..utterances import build_utterances

            utterances, k = list(build_utterances(new_words, transcript.language)), -1
            break
        utterances.append(replace(u, words=new_words[k:k + n]))
        k += n
    prov = dict(transcript.provenance)
    prov["refined"] = {"method": "align", "refine": (options or AlignOptions()).refine,
                       "stats": res.stats}
    return replace(transcript, words=new_words, utterances=tuple(utterances), provenance=prov)
