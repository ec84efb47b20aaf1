#!/usr/bin/env python
"""`make bench`: subpipe's accuracy (WER/CER against human references) and speed against raw faster-whisper.

For every model named in --models, and every file of the folders below (../shared/data), in a fixed order:
  1. subpipe: ``pipeline.process_media`` -- what `subpipe run` does per file (probe, hash, ffmpeg decode,
     faster-whisper with word timestamps, cues, SRT + WebVTT written); its transcription is scored;
  2. raw faster-whisper: ``WhisperModel(...).transcribe`` on the same file with the same model folder,
     device, compute type, beam size, VAD settings and word timestamps, the segment generator consumed;
  3. ``BatchedInferencePipeline(batch_size=8)`` over the same raw model, same options, for reference.
The three run one after the other per file so a load change on a shared machine hits all of them alike.
Model loads are timed apart from transcription; one untimed warm-up call per engine precedes the timing.

Usage: python bench/bench.py [--out BENCHMARKS.md] [--quick] [--models tiny.en,base] [--data DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scoring  # noqa: E402  (bench/scoring.py, beside this script)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))

# (folder, language); English folders first, in the order of the data manifest.
FOLDERS: tuple[tuple[str, str], ...] = (
    ("jfk", "en"),
    ("librispeech", "en"),
    ("librivox_sense_sensibility", "en"),
    ("human_word_alignments", "en"),
    ("ami_meeting", "en"),
    ("mfa_spontaneous", "en"),
    ("stereo_two_speakers", "en"),
    ("mandarin", "zh"),
)
QUICK_FOLDERS = ("jfk", "librispeech")
STEREO_FOLDER = "stereo_two_speakers"  # also scored channel by channel (see BENCHMARKS.md)
WARMUP = ("human_word_alignments", "praatio_bobby.wav")
BATCH_SIZE = 8


METHOD = """
- Both sides are normalised with Whisper's `EnglishTextNormalizer` (PyPI `whisper-normalizer`): lower case, \
punctuation removed, contractions and spellings standardised ("Mr." → "mister", British → American), \
numbers as digits. It also **drops fillers** (uh, um, hmm) and **bracketed markup** (`[adif]`, \
`<VOCNOISE>` in `mfa_spontaneous`), so verbatim fillers in a reference count neither for nor against a \
transcript.
- `mfa_spontaneous`: the corpus writes "you know" as `yknow`; it is rewritten to "you know" before \
normalising. The reader's slip "a amiable" in `librivox_sense_sensibility` is kept (verbatim is the point \
of that reference).
- `mfa_spontaneous/michaelandsickmichael.wav` is stereo with one speaker per channel and turns that do not \
overlap (channel 0 talks first, channel 1 from 26.7 s). `subpipe run` downmixes to mono, so it is scored \
against the two channel texts joined in speaking order.
- `stereo_two_speakers`: two different utterances play **at the same time**, one per channel. The folder \
row scores the downmix that `subpipe run` transcribes against left + right joined, so it shows how much of \
the overlapped speech a mono transcript keeps. The extra row transcribes each channel on its own \
(`transcribe_audio` on that channel's samples) and scores it against that channel's text: what a \
per-channel mode would give.
- Mandarin (AISHELL-1): punctuation, symbols and spaces removed, then scored per character (CER). The \
references are in Simplified characters and Whisper often writes Traditional ones, so both sides are \
converted to Simplified (OpenCC `t2s`) first; the "as written" row shows the rate without that conversion. \
Digits are not spelled out (AISHELL writes 一二 where Whisper may write 12), so they count as errors.
- *raw* and *batched* give faster-whisper the file path (it decodes with PyAV); subpipe decodes with \
ffmpeg. The resampled samples differ slightly, which can change a word here and there.
- The three engines take turns going first on each file (the order rotates), and one untimed call per \
engine warms up before the timing starts.
- Rates are pooled per folder (errors summed over files, divided by total reference words).
"""


@dataclass(frozen=True)
class Item:
    folder: str
    audio: Path
    lang: str
    reference: str
    duration_s: float


@dataclass
class Run:
    """One engine's pass over the items with one model."""

    load_s: float = 0.0
    wall_s: float = 0.0
    audio_s: float = 0.0
    errors: dict[str, scoring.ErrorCount] = field(default_factory=dict)  # per audio path
    texts: dict[str, str] = field(default_factory=dict)


@dataclass
class ModelResult:
    name: str
    device: str
    compute_type: str
    skipped: list[str] = field(default_factory=list)
    runs: dict[str, Run] = field(default_factory=dict)
    transcribe_s: float = 0.0  # subpipe's transcribe_audio only (inside process_media)
    check_s: float = 0.0  # subpipe's per-call model resolution (hash check)
    channels: dict[str, scoring.ErrorCount] = field(default_factory=dict)


ENGINES = ("subpipe", "raw", "batched")
ENGINE_LABEL = {
    "subpipe": "subpipe `process_media` (= `subpipe run` per file)",
    "raw": "faster-whisper `WhisperModel.transcribe`",
    "batched": f"faster-whisper `BatchedInferencePipeline(batch_size={BATCH_SIZE})`",
}


def discover(data: Path, folders: tuple[str, ...]) -> list[Item]:
    from subpipe.audio import media

    items = []
    for folder, lang in FOLDERS:
        if folder not in folders:
            continue
        d = data / folder
        if not d.is_dir():
            raise SystemExit(f"bench: {d} is missing (the real-speech data set ../shared/data is needed)")
        for audio in sorted(d.iterdir()):
            if audio.suffix.lower() not in media.MEDIA_EXTENSIONS:
                continue
            info = media.probe(audio)
            items.append(Item(folder, audio, lang, scoring.read_reference(audio), info.duration_ms / 1000))
    return items


def english_only(model: str) -> bool:
    from subpipe.asr.models import PACKAGED

    if model in PACKAGED:
        return not PACKAGED[model].multilingual
    return model.endswith(".en")


def raw_kwargs(opts) -> dict:
    """The faster-whisper options subpipe's transcribe_audio passes, spelled out for the raw calls."""
    kw = dict(
        language=opts.language,
        task=opts.task,
        beam_size=opts.beam_size,
        word_timestamps=True,
        vad_filter=opts.vad,
        condition_on_previous_text=opts.condition_on_previous_text,
        initial_prompt=opts.initial_prompt,
    )
    if opts.vad:
        kw["vad_parameters"] = dict(
            min_silence_duration_ms=opts.vad_min_silence_ms, speech_pad_ms=opts.vad_speech_pad_ms
        )
    return kw


def _consume(segments) -> str:
    return "".join(s.text for s in segments)


def read_channels(path: Path) -> list[np.ndarray]:
    """The channels of a 16 kHz 16-bit PCM WAV file as float32 arrays (for the per-channel scores)."""
    with wave.open(str(path), "rb") as w:
        if w.getframerate() != 16000 or w.getsampwidth() != 2:
            raise SystemExit(f"bench: {path} is not 16 kHz 16-bit PCM")
        n = w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, n)
    return [np.ascontiguousarray(data[:, c], dtype=np.float32) / 32768.0 for c in range(n)]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def bench_model(name: str, items: list[Item], args, data: Path, workdir: Path) -> ModelResult:
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from subpipe.asr.models import resolve
    from subpipe.asr.transcribe import TranscribeOptions, load_model, transcribe_audio
    from subpipe.jobs.pipeline import RunOptions, load_transcript, process_media, transcript_path

    opts = TranscribeOptions(model=name, device=args.device, compute_type=args.compute_type)
    run_opts = RunOptions(transcribe=opts, formats=("srt", "vtt"), index=False, force=True)
    out_root = workdir / name
    t = time.perf_counter()
    loaded = load_model(opts)
    sub_load = time.perf_counter() - t
    t = time.perf_counter()
    raw = WhisperModel(
        loaded.resolved.path, device=loaded.device, device_index=opts.device_index,
        compute_type=loaded.compute_type, cpu_threads=opts.cpu_threads,
    )
    raw_load = time.perf_counter() - t
    batched = BatchedInferencePipeline(model=raw)
    kw = raw_kwargs(opts)
    res = ModelResult(name, loaded.device, loaded.compute_type)
    res.runs = {e: Run() for e in ENGINES}
    res.runs["subpipe"].load_s, res.runs["raw"].load_s = sub_load, raw_load
    res.runs["batched"].load_s = raw_load  # it wraps the raw model: no load of its own
    t = time.perf_counter()
    for _ in range(3):
        resolve(name)
    res.check_s = (time.perf_counter() - t) / 3

    warm = data / WARMUP[0] / WARMUP[1]
    if warm.is_file():  # untimed: first calls pay one-off costs (VAD model, allocations)
        process_media(warm, workdir / "warmup", run_opts)
        _consume(raw.transcribe(str(warm), **kw)[0])
        _consume(batched.transcribe(str(warm), batch_size=BATCH_SIZE, **kw)[0])

    def run_subpipe(item: Item) -> None:
        t = time.perf_counter()
        fr = process_media(item.audio, out_root, run_opts)
        wall = time.perf_counter() - t
        _record(res.runs["subpipe"], item, wall, load_transcript(transcript_path(item.audio, out_root)).text)
        res.transcribe_s += fr.transcribe_s

    def run_raw(item: Item) -> None:
        t = time.perf_counter()
        hyp = _consume(raw.transcribe(str(item.audio), **kw)[0])
        _record(res.runs["raw"], item, time.perf_counter() - t, hyp)

    def run_batched(item: Item) -> None:
        t = time.perf_counter()
        hyp = _consume(batched.transcribe(str(item.audio), batch_size=BATCH_SIZE, **kw)[0])
        _record(res.runs["batched"], item, time.perf_counter() - t, hyp)

    engines = [run_subpipe, run_raw, run_batched]
    for n, item in enumerate(items):
        key = str(item.audio)
        if item.lang != "en" and english_only(name):
            res.skipped.append(key)
            continue
        log(f"  {name}: {item.folder}/{item.audio.name} ({item.duration_s:.1f} s)")
        for k in range(len(engines)):  # rotate who goes first, so no engine always meets a cold cache
            engines[(n + k) % len(engines)](item)

        if item.folder == STEREO_FOLDER:
            refs = sorted(item.audio.parent.glob(f"{item.audio.stem}.*.txt"))
            for ref, samples in zip(refs, read_channels(item.audio), strict=True):
                hyp = transcribe_audio(samples, opts).text
                text = ref.read_text(encoding="utf-8")
                res.channels[ref.name] = scoring.score(text, hyp, item.lang, item.folder)
                res.runs["subpipe"].texts[ref.name] = hyp
    return res


def _record(run: Run, item: Item, wall: float, hyp: str) -> None:
    key = str(item.audio)
    run.wall_s += wall
    run.audio_s += item.duration_s
    run.texts[key] = hyp
    run.errors[key] = scoring.score(item.reference, hyp, item.lang, item.folder)


# ---------------------------------------------------------------- report


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine_info() -> list[str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    from subpipe.audio.media import ffmpeg_exe

    return [
        f"CPU: {cpu}; {os.cpu_count()} logical CPUs, {usable} usable by this process",
        f"OS: {platform.platform()}; Python {platform.python_version()}",
        "versions: " + ", ".join(
            f"{p} {_pkg(p)}" for p in ("subpipe", "faster-whisper", "ctranslate2", "numpy", "av",
                                       "whisper-normalizer", "jiwer")
        ),
        f"ffmpeg: {ffmpeg_exe()}",
    ]


def _rate(c: scoring.ErrorCount | None) -> str:
    if c is None:
        return "—"
    return f"{100 * c.rate:.1f} %"


def _folder_count(run: Run, items: list[Item]) -> scoring.ErrorCount | None:
    counts = [run.errors[str(i.audio)] for i in items if str(i.audio) in run.errors]
    return scoring.total(counts) if counts else None


def render(results: list[ModelResult], items: list[Item], *, quick: bool, started: str, load: tuple) -> str:
    folders = [f for f, _ in FOLDERS if any(i.folder == f for i in items)]
    lang = dict(FOLDERS)
    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append(
        f"Written by `make bench` (`bench/bench.py{' --quick' if quick else ''}`) on {started}. "
        "Re-run it to refresh this file."
    )
    L.append("")
    L += [f"- {line}" for line in machine_info()]
    L.append(
        f"- load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f}. The CPU is shared with other "
        "work, so the timings are **noisy and measured under load**; compare engines within one run, "
        "where each file went through all three back to back."
    )
    if results:
        from subpipe.asr.transcribe import TranscribeOptions

        d = TranscribeOptions()
        L.append(f"- device {results[0].device}, compute type {results[0].compute_type}, beam size {d.beam_size}, "
                 f"Silero VAD on (min silence {d.vad_min_silence_ms} ms, speech pad {d.vad_speech_pad_ms} ms) for "
                 "both, word timestamps on, language detected (not forced). subpipe adds its hallucination "
                 "guards and thresholds (`hallucination_silence_threshold` and the rest); *raw* keeps "
                 "faster-whisper's defaults for those.")
    L.append("")

    # -- accuracy
    L.append("## Accuracy")
    L.append("")
    L.append("Word error rate (character error rate for Mandarin), pooled per folder: all errors over all "
             "reference words. Lower is better. *subpipe* is the transcript `subpipe run` writes; *raw* is "
             "plain faster-whisper with the same options.")
    L.append("")
    head = ["folder", "files", "audio s", "ref. words"]
    for r in results:
        head += [f"{r.name} subpipe", f"{r.name} raw"]
    L.append("| " + " | ".join(head) + " |")
    L.append("|" + "---|" * 4 + "---:|" * (2 * len(results)))
    for f in folders:
        its = [i for i in items if i.folder == f]
        ref_len = scoring.total([
            scoring.score(i.reference, "", i.lang, i.folder) for i in its
        ]).ref_len
        unit = " chars" if lang[f] == "zh" else ""
        row = [f"{f}{' (CER)' if lang[f] == 'zh' else ''}", str(len(its)),
               f"{sum(i.duration_s for i in its):.1f}", f"{ref_len}{unit}"]
        for r in results:
            row += [_rate(_folder_count(r.runs["subpipe"], its)), _rate(_folder_count(r.runs["raw"], its))]
        L.append("| " + " | ".join(row) + " |")
    zh = [i for i in items if i.lang == "zh"]
    if zh and any(r.runs["subpipe"].errors.get(str(i.audio)) for r in results for i in zh):
        row = ["mandarin, as written (CER, no Traditional → Simplified)", str(len(zh)), "", ""]
        for r in results:
            for e in ("subpipe", "raw"):
                counts = [scoring.score(i.reference, r.runs[e].texts[str(i.audio)], "zh", simplify=False)
                          for i in zh if str(i.audio) in r.runs[e].texts]
                row.append(_rate(scoring.total(counts)) if counts else "—")
        L.append("| " + " | ".join(row) + " |")
    en = [i for i in items if i.lang == "en"]
    if en:
        ref_len = scoring.total([scoring.score(i.reference, "", i.lang, i.folder) for i in en]).ref_len
        row = ["**all English**", str(len(en)), f"{sum(i.duration_s for i in en):.1f}", str(ref_len)]
        for r in results:
            row += [f"**{_rate(_folder_count(r.runs['subpipe'], en))}**",
                    f"**{_rate(_folder_count(r.runs['raw'], en))}**"]
        L.append("| " + " | ".join(row) + " |")
    if any(r.channels for r in results):
        row = [f"{STEREO_FOLDER}, channel by channel (not `subpipe run`)", "1", "", ""]
        for r in results:
            parts = [f"{k.split('.')[-2]} {_rate(v)}" for k, v in sorted(r.channels.items())]
            row += ["; ".join(parts), ""]
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    for r in results:
        if r.skipped:
            L.append(f"`{r.name}` is an English-only model: Mandarin is not scored for it.")
    L.append("")

    # -- speed
    L.append("## Speed")
    L.append("")
    L.append("Wall time over the same files, model load excluded (shown on its own). × real time = audio "
             "seconds / wall seconds (higher is faster). The WER column pools all English files.")
    L.append("")
    L.append("| model | engine | model load s | files | audio s | wall s | × real time | WER (English) |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        n = len(r.runs["subpipe"].errors)
        for e in ENGINES:
            run = r.runs[e]
            load_s = f"{run.load_s:.2f}" if e != "batched" else "(raw model)"
            wer_en = _rate(_folder_count(run, en))
            L.append(f"| {r.name} | {ENGINE_LABEL[e]} | {load_s} | {n} | {run.audio_s:.1f} | "
                     f"{run.wall_s:.1f} | {_xrt(run.audio_s, run.wall_s)} | {wer_en} |")
            if e == "subpipe":
                L.append(f"| {r.name} | … of which `transcribe_audio` | | {n} | {run.audio_s:.1f} | "
                         f"{r.transcribe_s:.1f} | {_xrt(run.audio_s, r.transcribe_s)} | |")
    L.append("")
    L.append("subpipe's model load includes resolving the name to the cached weights and checking their "
             "SHA-256 (once per process; measured per call after that: "
             + ", ".join(f"{r.name} {r.check_s:.2f} s" for r in results)
             + "). The gap between the two subpipe rows is probing, hashing the media file, decoding with "
             "ffmpeg, building cues and writing SRT + WebVTT; between `transcribe_audio` and raw "
             "faster-whisper it is the guards' VAD pass and Whisper's silence re-checks.")
    L.append("")

    # -- method
    L.append("## How the references were scored")
    L.append("")
    L += METHOD.strip().splitlines()
    L.append("")

    # -- per file
    L.append("<details><summary>Per file</summary>")
    L.append("")
    head = ["file", "audio s"] + [f"{r.name} {e}" for r in results for e in ENGINES]
    L.append("| " + " | ".join(head) + " |")
    L.append("|---|---:|" + "---:|" * (len(head) - 2))
    for i in items:
        key = str(i.audio)
        row = [f"{i.folder}/{i.audio.name}", f"{i.duration_s:.1f}"]
        for r in results:
            for e in ENGINES:
                row.append(_rate(r.runs[e].errors.get(key)))
        L.append("| " + " | ".join(row) + " |")
    L.append("")
    L.append("</details>")
    L.append("")
    return "\n".join(L)


def _xrt(audio_s: float, wall_s: float) -> str:
    return f"{audio_s / wall_s:.1f}×" if wall_s > 0 else "—"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="write the Markdown report here (atomically)")
    ap.add_argument("--quick", action="store_true", help="only jfk and librispeech (a fast check)")
    ap.add_argument("--models", default="tiny.en,base",
                    help="comma-separated model names (default: %(default)s)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="the real-speech folder (default: %(default)s)")
    ap.add_argument("--texts", type=Path, default=None,
                    help="also write every transcription (per model, engine, file) to this JSON file")
    ap.add_argument("--device", default="auto", help="auto | cpu | cuda")
    ap.add_argument("--compute-type", default="auto", help="auto -> int8 on CPU, float16 on CUDA")
    args = ap.parse_args(argv)

    import logging
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)

    folders = QUICK_FOLDERS if args.quick else tuple(f for f, _ in FOLDERS)
    if not args.data.is_dir():
        raise SystemExit(f"bench: no data folder {args.data} (set --data or SUBPIPE_SHARED_DATA)")
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load0 = os.getloadavg()[0]
    items = discover(args.data, folders)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    results = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="subpipe-bench-") as tmp:
        for m in models:
            log(f"bench: model {m}, {len(items)} files")
            results.append(bench_model(m, items, args, args.data, Path(tmp)))
    load1 = os.getloadavg()[0]
    report = render(results, items, quick=args.quick, started=started, load=(load0, load1))
    report += f"Total bench time: {time.perf_counter() - t0:.0f} s.\n"
    print(report)
    from subpipe.fsio import atomic_write_text

    if args.texts:
        def rel(key: str) -> str:
            return os.path.relpath(key, args.data) if os.path.isabs(key) else key

        dump = {r.name: {e: {rel(k): v for k, v in r.runs[e].texts.items()} for e in ENGINES}
                for r in results}
        atomic_write_text(args.texts, json.dumps(dump, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    if args.out:
        atomic_write_text(args.out, report)
        log(f"bench: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
