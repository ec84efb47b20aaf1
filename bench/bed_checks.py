#!/usr/bin/env python
"""Checks behind bench/results/trailer_bed.md's fourth-session section (issue 27): is a difference real or noise?

- ``raw SET/LEVEL ...``: raw faster-whisper (``bench_bed.run_raw``: its temperature fallback samples at random)
  decoded ``--repeats`` times on one mix, and once with temperature 0 only;
- ``offsets SET LEVELS OFFSETS``: the set under the bed from other points (seconds), auto with and without
  ``drown_floor_db`` against off and raw;
- ``ablate OFFSET/LEVEL ...`` (tuned speech): ``--separate off``'s transcription with one option changed at a time
  (raw's VAD settings, no guards, no hallucination_silence_threshold, temperature fallback), and raw at temperature 0;
- ``pad SET/LEVEL ...`` (LEVEL ``clean`` or dB): ``--separate off`` with the VAD's speech pad at 800 ms (the default)
  and 400 ms.

Prints one JSON line per mix. Usage: python bench/bed_checks.py raw tuned/-5 fresh2/-10 [--repeats 4]
       python bench/bed_checks.py offsets tuned 0,-5 13,23,33,48
       python bench/bed_checks.py ablate 23/0 33/0 48/0
       python bench/bed_checks.py pad tuned/clean tuned/0 held-out/5
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import bench_bed as bb  # noqa: E402

from subpipe.asr.transcribe import TranscribeOptions, load_model, transcribe_audio  # noqa: E402
from subpipe.audio import media  # noqa: E402
from subpipe.audio import separate as sep  # noqa: E402

OPTS = TranscribeOptions(model="base")
ABLATIONS = {"default": {}, "raw-vad": {"vad_speech_pad_ms": 400, "vad_min_silence_ms": 2000},
             "no-guards": {"guards": False}, "no-hst": {"hallucination_silence_threshold": None},
             "fallback": {"temperatures": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)}}


def mix(name: str, level: float, bed_from_s: int | None, tmp: Path):
    speech, ref = bb.speech_set(bb.DEFAULT_DATA, name)
    bed = media.extract_stereo(bb.DEFAULT_DATA / bb.BED, sample_rate=sep.WIDE_RATE)
    start = bb.SET_BED_OFFSET_S.get(name, bb.BED_OFFSET_S) if bed_from_s is None else bed_from_s
    mixed, _ = sep.mix_under_bed(speech, bed[start * sep.WIDE_RATE:], level, sep.WIDE_RATE)
    x, wide = bb.as_media(mixed, tmp, f"{name}{level:+.0f}-{start}")
    return x, wide, ref


def pct(ref: str, text: str) -> float:
    e, n = bb.wer(ref, text)
    return round(100 * e / n, 1)


def ours(x, wide, options: TranscribeOptions = OPTS, separate: sep.SeparateOptions | None = None) -> str:
    y = sep.isolate_dialogue(x, 16000, separate, wide=wide)[0] if separate else x
    return " ".join(w.text for w in transcribe_audio(y, options).words)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("check", choices=("raw", "offsets", "ablate", "pad"))
    ap.add_argument("args", nargs="+")
    ap.add_argument("--repeats", type=int, default=4)
    a = ap.parse_args(argv)
    whisper = load_model(OPTS).whisper
    tmp = Path(tempfile.mkdtemp(prefix="bed_checks."))
    if a.check == "raw":
        for item in a.args:
            name, level = item.split("/")
            x, _, ref = mix(name, float(level), None, tmp)
            runs = [pct(ref, bb.run_raw(whisper, x)) for _ in range(a.repeats)]
            t0 = pct(ref, bb.run_raw(whisper, x, temperature=0.0))
            print(json.dumps({"set": name, "level": float(level), "raw": runs, "raw_t0": t0}), flush=True)
    elif a.check == "offsets":
        name, levels, offsets = a.args
        for start in (int(v) for v in offsets.split(",")):
            for level in (float(v) for v in levels.split(",")):
                x, wide, ref = mix(name, level, start, tmp)
                r = {"raw": pct(ref, bb.run_raw(whisper, x)), "off": pct(ref, ours(x, wide))}
                for label, so in (("auto", sep.SeparateOptions()),
                                  ("auto_without_drown", sep.SeparateOptions(drown_floor_db=None))):
                    r[label] = pct(ref, ours(x, wide, separate=so))
                print(json.dumps({"set": name, "bed_from_s": start, "level": level, **r}), flush=True)
    elif a.check == "pad":
        import numpy as np

        for item in a.args:
            name, level = item.split("/")
            if level == "clean":
                speech, ref = bb.speech_set(bb.DEFAULT_DATA, name)
                x, _ = bb.as_media(np.stack([speech, speech], axis=1), tmp, f"{name}-clean")
            else:
                x, _, ref = mix(name, float(level), None, tmp)
            r = {f"pad{ms}": pct(ref, ours(x, None, replace(OPTS, vad_speech_pad_ms=ms))) for ms in (800, 400)}
            print(json.dumps({"set": name, "level": level, **r}), flush=True)
    else:
        for item in a.args:
            start, level = item.split("/")
            x, _, ref = mix("tuned", float(level), int(start), tmp)
            r = {"raw_t0": pct(ref, bb.run_raw(whisper, x, temperature=0.0))}
            r.update({k: pct(ref, ours(x, None, replace(OPTS, **kw))) for k, kw in ABLATIONS.items()})
            print(json.dumps({"bed_from_s": int(start), "level": float(level), **r}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
