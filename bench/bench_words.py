#!/usr/bin/env python
"""Words on the shared English set: `subpipe run` against raw faster-whisper **with its own defaults**.

`bench/bench.py` gives raw faster-whisper subpipe's VAD settings (min silence 1000 ms, pad 800 ms); an
outside check runs plain ``WhisperModel(path).transcribe(audio, word_timestamps=True)``: beam 5, no VAD,
``condition_on_previous_text``, the temperature fallback (0.0 ... 1.0) and Whisper's thresholds. This script
scores both, file by file, on the English folders of ../shared/data (bench/scoring.py), pooled per folder.

Engines (``--engines``):
  subpipe       ``pipeline.process_media`` (= `subpipe run` per file) with the default options
  raw-defaults  ``WhisperModel(path, compute_type=<subpipe's>).transcribe(path, word_timestamps=True)``
  raw-ourvad    the same with subpipe's VAD settings, as bench/bench.py runs it

``--set KEY=VALUE`` changes a ``TranscribeOptions`` field for the subpipe engine (to try a change).
Transcripts are cached in --cache by engine, options and file, so a re-run only decodes what changed.

Usage: python bench/bench_words.py [--model base] [--engines subpipe,raw-defaults] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scoring  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
FOLDERS = ("jfk", "librispeech", "librivox_sense_sensibility", "human_word_alignments", "ami_meeting",
           "mfa_spontaneous", "stereo_two_speakers")
EXTS = {".wav", ".flac", ".mp3", ".webm", ".m4a"}


def items(folders: tuple[str, ...]) -> list[tuple[str, Path]]:
    out = []
    for f in folders:
        for p in sorted((DATA / f).iterdir()):
            if p.suffix.lower() in EXTS:
                out.append((f, p))
    return out


def parse_set(pairs: list[str]) -> dict:
    out: dict = {}
    for kv in pairs:
        k, v = kv.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
        if isinstance(out[k], list):
            out[k] = tuple(out[k])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="base")
    ap.add_argument("--engines", default="subpipe,raw-defaults")
    ap.add_argument("--folders", default=",".join(FOLDERS))
    ap.add_argument("--set", action="append", default=[], help="TranscribeOptions field for subpipe: KEY=JSON")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "subpipe-bench-words")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--texts", action="store_true", help="print each hypothesis")
    args = ap.parse_args(argv)

    from faster_whisper import WhisperModel

    from subpipe.asr.transcribe import TranscribeOptions, load_model
    from subpipe.jobs.pipeline import RunOptions, load_transcript, process_media, transcript_path

    overrides = parse_set(args.set)
    opts = TranscribeOptions(model=args.model, **overrides)
    loaded = load_model(opts)
    raw = None
    engines = args.engines.split(",")
    todo = items(tuple(args.folders.split(",")))
    args.cache.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha1(json.dumps(overrides, sort_keys=True, default=str).encode()).hexdigest()[:8]
    # the cache follows the code: a digest of subpipe's source (an edit decodes subpipe's side again)
    src = hashlib.sha1()
    for f in sorted((ROOT / "src" / "subpipe").rglob("*.py")):
        src.update(f.read_bytes())
    src_tag = "-" + src.hexdigest()[:8]
    rows: dict[str, dict[str, scoring.ErrorCount]] = {e: {} for e in engines}
    with tempfile.TemporaryDirectory() as tmp:
        for folder, audio in todo:
            ref = scoring.read_reference(audio)
            for e in engines:
                key = f"{args.model}-{e}-{tag if e == 'subpipe' else ''}{src_tag if e == 'subpipe' else ''}"
                cached = args.cache / key / f"{folder}__{audio.name}.txt"
                if cached.is_file():
                    hyp = cached.read_text(encoding="utf-8")
                else:
                    t = time.perf_counter()
                    if e == "subpipe":
                        run = RunOptions(transcribe=opts, formats=("srt",), index=False, force=True)
                        process_media(audio, Path(tmp), run)
                        hyp = load_transcript(transcript_path(audio, Path(tmp))).text
                    else:
                        if raw is None:
                            raw = WhisperModel(loaded.resolved.path, device=loaded.device,
                                               compute_type=loaded.compute_type)
                        kw: dict = {"word_timestamps": True}
                        if e == "raw-ourvad":
                            kw.update(vad_filter=True, vad_parameters=dict(
                                min_silence_duration_ms=opts.vad_min_silence_ms,
                                speech_pad_ms=opts.vad_speech_pad_ms))
                        segs, _ = raw.transcribe(str(audio), **kw)
                        hyp = "".join(s.text for s in segs)
                    print(f"  {e} {folder}/{audio.name}: {time.perf_counter() - t:.1f} s", file=sys.stderr,
                          flush=True)
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_text(hyp, encoding="utf-8")
                rows[e][f"{folder}/{audio.name}"] = scoring.score(ref, hyp, "en", folder)
                if args.texts:
                    print(f"[{e}] {folder}/{audio.name}: {hyp.strip()}")
    lines = render(rows, engines, todo, args, overrides)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


def _r(c: scoring.ErrorCount) -> str:
    return f"{100 * c.rate:.1f} %"


def render(rows, engines, todo, args, overrides) -> list[str]:
    import datetime as dt

    L = ["# Words on the shared English set: subpipe against raw faster-whisper with its defaults", "",
         f"Written by `python bench/bench_words.py --engines {','.join(engines)} --out ...` on "
         f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; model `{args.model}` (the same CTranslate2 folder and "
         f"compute type for every engine); subpipe options changed: {overrides or 'none'}.", "",
         "- *subpipe*: `pipeline.process_media`, what `subpipe run` does per file (a stereo file with one voice per "
         "channel is transcribed channel by channel).",
         "- *raw-defaults*: `WhisperModel(path).transcribe(path, word_timestamps=True)`: beam 5, **no VAD**, "
         "`condition_on_previous_text`, temperature fallback 0.0-1.0, Whisper's thresholds.",
         "- *raw-ourvad*: the same with subpipe's VAD settings (min silence 1000 ms, pad 800 ms), as "
         "`bench/bench.py` runs raw.",
         "- Scored with `bench/scoring.py` (Whisper's English normaliser; fillers and markup dropped), pooled: all "
         "errors over all reference words. In brackets: errors.", ""]
    L.append("| file | ref words | " + " | ".join(engines) + " |")
    L.append("|---|---:|" + "---:|" * len(engines))
    for folder, audio in todo:
        k = f"{folder}/{audio.name}"
        n = rows[engines[0]][k].ref_len
        L.append(f"| {k} | {n} | " + " | ".join(
            f"{_r(rows[e][k])} ({rows[e][k].errors})" for e in engines) + " |")
    L += ["", "| folder | files | ref words | " + " | ".join(engines) + " |",
          "|---|---:|---:|" + "---:|" * len(engines)]
    folders = list(dict.fromkeys(f for f, _ in todo))
    for f in folders:
        keys = [f"{f}/{a.name}" for g, a in todo if g == f]
        tot = {e: scoring.total([rows[e][k] for k in keys]) for e in engines}
        L.append(f"| {f} | {len(keys)} | {tot[engines[0]].ref_len} | " + " | ".join(
            f"{_r(tot[e])} ({tot[e].errors})" for e in engines) + " |")
    tot = {e: scoring.total(list(rows[e].values())) for e in engines}
    L.append(f"| **all English** | {len(todo)} | {tot[engines[0]].ref_len} | " + " | ".join(
        f"**{_r(tot[e])}** ({tot[e].errors})" for e in engines) + " |")
    mono = [f"{f}/{a.name}" for f, a in todo if f != "stereo_two_speakers"]
    if len(mono) < len(todo):  # two voices at once in one downmix: raw cannot, subpipe splits the channels
        tot = {e: scoring.total([rows[e][k] for k in mono]) for e in engines}
        L.append(f"| all English but `stereo_two_speakers` | {len(mono)} | {tot[engines[0]].ref_len} | " + " | ".join(
            f"{_r(tot[e])} ({tot[e].errors})" for e in engines) + " |")
    return L


if __name__ == "__main__":
    raise SystemExit(main())
