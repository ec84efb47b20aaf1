"""Batch throughput (issue 6): `subpipe batch` against a naive loop over raw faster-whisper, same run.

Files: every audio file in ../shared/data (22 files, ~235 s of real speech, English and Mandarin).
- naive: one process loads WhisperModel once and loops: decode_audio + transcribe (same model path,
  device, compute type, beam size, VAD and word-timestamp options as subpipe), consuming the segments.
- subpipe batch in fresh output folders: -j 1 (one process; the next file decoded while the current one
  is transcribed) and -j 2 --threads 1 (two worker processes, one model each), outputs and index included.
- a fully cached rerun of the -j 2 run (nothing to do but check).
Throughput is audio seconds per wall second, model loading included on both sides (a batch is judged end
to end). WER is pooled over the English files (Whisper's normaliser, bench/scoring.py).

    python bench/bench_batch.py [--model base] [--out bench/results/batch.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import scoring  # noqa: E402

from subpipe.asr.models import resolve  # noqa: E402
from subpipe.asr.transcribe import TranscribeOptions  # noqa: E402
from subpipe.audio import media  # noqa: E402
from subpipe.fsio import atomic_write_text  # noqa: E402

DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def discover() -> list[tuple[str, Path]]:
    out = []
    for d in sorted(p for p in DATA.iterdir() if p.is_dir()):
        for f in sorted(d.iterdir()):
            if f.suffix.lower() in media.MEDIA_EXTENSIONS:
                out.append((d.name, f))
    return out


def naive(files: list[Path], model: str) -> tuple[float, dict[str, str]]:
    from faster_whisper import WhisperModel, decode_audio

    opts = TranscribeOptions(model=model)
    t0 = time.perf_counter()
    m = WhisperModel(resolve(model).path, device="cpu", compute_type="int8")
    texts = {}
    for f in files:
        audio = decode_audio(str(f), sampling_rate=16000)
        segments, _ = m.transcribe(
            audio, beam_size=opts.beam_size, word_timestamps=True, vad_filter=True,
            vad_parameters=dict(min_silence_duration_ms=opts.vad_min_silence_ms, speech_pad_ms=opts.vad_speech_pad_ms),
        )
        texts[str(f)] = "".join(s.text for s in segments)
    return time.perf_counter() - t0, texts


def subpipe_batch(files: list[Path], model: str, out: Path, extra: list[str]) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "subpipe.cli", "-q", "batch", *map(str, files), "-o", str(out), "-m", model, *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"subpipe batch failed: {proc.stderr[-2000:]}")
    return wall, json.loads((out / "run-report.json").read_text())


def texts_from(report: dict) -> dict[str, str]:
    out = {}
    for r in report["results"]:
        tpath = next(p for p in r["outputs"] if p.endswith(".transcript.json"))
        out[r["media"]] = json.loads(Path(tpath).read_text())["text"]
    return out


def english_wer(files: list[tuple[str, Path]], texts: dict[str, str]) -> float:
    counts = []
    for folder, f in files:
        if folder == "mandarin":
            continue
        counts.append(scoring.score(scoring.read_reference(f), texts.get(str(f), ""), "en", folder))
    return scoring.total(counts).rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="base")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "batch.md")
    args = ap.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"bench: {DATA} is missing")
    found = discover()
    files = [f for _, f in found]
    audio_s = sum(media.probe(f).duration_ms for f in files) / 1000
    resolve(args.model)  # assemble/verify once, outside every timing
    rows = []
    with tempfile.TemporaryDirectory(prefix="subpipe-bench-batch-") as tmp:
        tmp = Path(tmp)
        wall, texts = naive(files, args.model)
        rows.append(("naive loop, raw faster-whisper (1 process)", wall, english_wer(found, texts), None, None, None))
        base_rate = audio_s / wall
        configs = (("subpipe batch -j 1", []), ("subpipe batch -j 2 --threads 1", ["-j", "2", "--threads", "1"]))
        for label, extra in configs:
            out = tmp / label.replace(" ", "_")
            wall, rep = subpipe_batch(files, args.model, out, extra)
            w = english_wer(found, texts_from(rep))
            rows.append((label, wall, w, rep["first_output_s"], rep["peak_rss_mb"], out))
        last_out = rows[-1][5]
        wall, rep = subpipe_batch(files, args.model, last_out, ["-j", "2", "--threads", "1"])
        cached = wall
        cached_statuses = sorted({r["status"] for r in rep["results"]})
    lines = [
        "# Batch throughput",
        "",
        f"Written by `bench/bench_batch.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{len(files)} files, {audio_s:.1f} s of real speech from ../shared/data; model `{args.model}`, CPU int8, "
        f"{os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.2f}.",
        "",
        "| run | wall s | audio s / wall s | vs naive | English WER | first output s | peak RSS MB (a worker) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, wall, w, first, rss, _ in rows:
        rate = audio_s / wall
        lines.append(f"| {label} | {wall:.1f} | {rate:.2f} | {rate / base_rate:.2f}x | {w * 100:.1f} % | "
                     f"{'-' if first is None else f'{first:.1f}'} | {'-' if rss is None else f'{rss:.0f}'} |")
    lines += [
        "",
        f"Fully cached rerun of the `-j 2` run: {cached:.2f} s wall for {len(files)} files, process start included "
        f"(statuses: {', '.join(cached_statuses)}).",
        "",
        "Both sides include model loading; subpipe's figures include writing the transcript JSON, SRT, WebVTT and the "
        "quote index for every file.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    atomic_write_text(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
