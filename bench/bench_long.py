"""Long-form benchmark (issue 12): speed, WER and peak memory on 12- and 60-minute inputs, in one run.

Inputs are built here from the English speech with human references in ../shared/data (JFK, LibriSpeech,
LibriVox, the MFA spontaneous monologues, AMI, the TIMIT/praatIO clips), concatenated in a seeded random
order with 0.6-3 s pauses, and with the *Tears of Steel* music-and-effects bed (CC BY 3.0, (CC) Blender
Foundation, mango.blender.org) laid at a low level (-26 dB) under every fifth pause and the speech
around it. Written as 16 kHz mono 16-bit WAV, piece by piece (never whole in memory). The reference is
the pieces' references in the same order.

- ``long12``: about 12 minutes (the issue's table); ``long60``: about 60 minutes;
- ``short12``: about 12 minutes built like issue 25's independent input: many short utterances (median about 3 s)
  with 0.6-3 s pauses: the MFA monologues cut into their utterances at every pause of 0.35 s or more in their
  word TextGrids (forced-aligner words, kept as the piece's reference), the LibriSpeech and LibriVox sentences,
  TIMIT, praatIO, AMI and JFK; the same bed under every fifth piece. ``short60``: the same recipe at 60 minutes
  (memory; the issue's 59-minute file repeated its 12 minutes);
- ``synth60``, ``synth180``: 1 and 3 hours for memory only: the same speech, but sparse (2-4 minutes of the
  bed after every piece, about 6 % speech), so they finish in minutes on a shared 2-core machine; only
  ``subpipe run`` is measured on them (every stage that reads the audio still reads all of it).

Engines, each in its own child process (model load, decode and everything else included; peak RSS from
``os.wait4``'s rusage of that child), all with ``base``, int8, the same thread count, beam 5, word
timestamps and VAD on:

- ``subpipe``: ``subpipe run FILE -o TMP --threads T`` (default engine choice, subtitles and index written);
- ``raw-seq``: faster-whisper ``WhisperModel.transcribe(decode_audio(FILE), vad_filter=True)``;
- ``raw-batched``: ``BatchedInferencePipeline(model).transcribe(audio, batch_size=8)``.

WER: Whisper's English normaliser on both sides (bench/scoring.py), jiwer alignment.

    python bench/bench_long.py [--quick] [--threads 2] [--out bench/results/long.md]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import scoring  # noqa: E402

DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SR = 16_000
FOLDERS = ("jfk", "librispeech", "librivox_sense_sensibility", "mfa_spontaneous", "ami_meeting",
           "human_word_alignments")
BED = "music_effects"
BED_DB = -26.0


# ------------------------------------------------------------------------------------------- inputs
def speech_pool() -> list[tuple[str, np.ndarray, str]]:
    from subpipe.audio import media

    pool = []
    for folder in FOLDERS:
        for f in sorted((DATA / folder).iterdir()):
            if f.suffix.lower() not in media.MEDIA_EXTENSIONS:
                continue
            try:
                ref = scoring.prepare_reference(scoring.read_reference(f), folder)
            except FileNotFoundError:
                continue
            pool.append((f"{folder}/{f.name}", media.extract_audio(f).samples, ref))
    if not pool:
        raise SystemExit(f"no speech found in {DATA}")
    return pool


MFA_CUT_S = 0.35  # a pause in the word TextGrid this long ends an utterance


def short_pool() -> list[tuple[str, np.ndarray, str]]:
    """The pool of ``short12``: the MFA monologues cut into utterances, every other piece as it is."""
    from bench_align import read_textgrid

    pool = [p for p in speech_pool() if not p[0].startswith("mfa_spontaneous/")]
    from subpipe.audio import media

    for stem in ("acoustic_corpus", "cold_corpus", "cold_corpus3"):
        wav = DATA / "mfa_spontaneous" / f"{stem}.wav"
        if not wav.exists():
            continue
        x = media.extract_audio(wav).samples
        tier = read_textgrid(wav.with_suffix(".TextGrid"))["words"]
        utt: list[tuple[float, float, str]] = []
        for a, b, w in tier + [(tier[-1][1], tier[-1][1] + 1.0, "")]:
            if w:
                utt.append((a, b, w))
            elif b - a >= MFA_CUT_S and utt:
                lo = max(0, int((utt[0][0] - 0.1) * SR))
                hi = min(len(x), int((utt[-1][1] + 0.1) * SR))
                ref = scoring.prepare_reference(" ".join(w for _, _, w in utt), "mfa_spontaneous")
                pool.append((f"mfa_spontaneous/{stem}@{utt[0][0]:.2f}", x[lo:hi], ref))
                utt = []
    return pool


def music_bed() -> np.ndarray:
    from subpipe.audio import media

    f = next(p for p in sorted((DATA / BED).iterdir()) if p.suffix.lower() in media.MEDIA_EXTENSIONS)
    x = media.extract_audio(f).samples
    return x / (np.max(np.abs(x)) + 1e-9) * (10 ** (BED_DB / 20))


def build(path: Path, minutes: float, *, seed: int, sparse: bool = False, short: bool = False) -> tuple[str, float]:
    """Write the input; return (reference text, seconds)."""
    pool = short_pool() if short else speech_pool()
    bed = music_bed()
    rng = random.Random(seed)
    refs: list[str] = []
    total = 0
    target = int(minutes * 60 * SR)
    bed_pos = 0
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)

        def put(x: np.ndarray) -> None:
            nonlocal total
            w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
            total += len(x)

        k = 0
        while total < target:
            order = list(range(len(pool)))
            rng.shuffle(order)
            for i in order:
                if total >= target:
                    break
                name, x, ref = pool[i]
                k += 1
                gap = int(rng.uniform(120, 240) * SR) if sparse else int(rng.uniform(0.6, 3.0) * SR)
                seg = np.concatenate([x, np.zeros(gap, dtype=np.float32)])
                if k % 5 == 0 or sparse:  # the bed under this piece and its pause
                    idx = (bed_pos + np.arange(len(seg))) % len(bed)
                    seg = seg + bed[idx]
                    bed_pos = int(idx[-1]) + 1
                put(seg)
                refs.append(ref)
    return " ".join(refs), total / SR


# ------------------------------------------------------------------------------------------- children
def child(engine: str, media_path: str, threads: int, out_json: str, model: str) -> None:
    """One engine in this (child) process; writes {'text': ...} to out_json."""
    from subpipe.asr.models import resolve

    t0 = time.perf_counter()
    if engine in ("raw-seq", "raw-batched"):
        from faster_whisper import BatchedInferencePipeline, WhisperModel, decode_audio

        m = WhisperModel(resolve(model).path, device="cpu", compute_type="int8", cpu_threads=threads)
        audio = decode_audio(media_path, sampling_rate=SR)
        if engine == "raw-seq":
            segs, _ = m.transcribe(audio, beam_size=5, word_timestamps=True, vad_filter=True)
        else:
            segs, _ = BatchedInferencePipeline(m).transcribe(audio, beam_size=5, word_timestamps=True,
                                                             batch_size=8)
        text = " ".join(s.text.strip() for s in segs)
    else:
        raise SystemExit(f"unknown engine {engine}")
    Path(out_json).write_text(json.dumps({"text": text, "seconds": time.perf_counter() - t0}))


LAST_CPU = [0.0]


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one child process; its CPU seconds (user + system) in
    ``LAST_CPU`` (a steadier figure than wall time on a shared machine)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    rc = os.waitstatus_to_exitcode(status)
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    if rc != 0:
        print(err[-2000:], file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, rc


def run_engine(engine: str, media_path: Path, threads: int, work: Path, model: str,
               extra: list[str] | None = None) -> dict:
    out = work / f"{engine}-{media_path.stem}.json"
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    if engine.startswith("subpipe"):
        folder = work / f"out-{engine}-{media_path.stem}"
        # the CLI from this tree (ROOT/src first on the path), so a copied tree benchmarks its own code
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        cmd = [sys.executable, "-c", "import sys; from subpipe.cli.app import main; sys.argv[0] = 'subpipe'; main()",
               "-q", "run", str(media_path), "-o", str(folder),
               "-m", model, "--threads", str(threads), "--force", *(extra or [])]
        wall, rss, rc = measure(cmd, env)
        tj = json.loads((folder / media_path.stem / f"{media_path.stem}.transcript.json").read_text())
        text = " ".join(u["text"] for u in tj.get("utterances", []))
        decoder = (tj.get("provenance") or {}).get("decoder", {})
        return {"wall": wall, "rss": rss, "rc": rc, "text": text, "decoder": decoder, "cpu": LAST_CPU[0]}
    cmd = [sys.executable, __file__, "--child", engine, "--media", str(media_path), "--threads", str(threads),
           "--json", str(out), "--model", model]
    wall, rss, rc = measure(cmd, env)
    text = json.loads(out.read_text())["text"] if rc == 0 else ""
    return {"wall": wall, "rss": rss, "rc": rc, "text": text, "cpu": LAST_CPU[0]}


def wer(ref: str, hyp: str) -> float:
    return scoring.word_errors(scoring.normalize_english(ref), scoring.normalize_english(hyp)).rate


# ------------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one 4-minute input, no 60-minute or 3-hour file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default="base")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--engines", default="subpipe,raw-seq,raw-batched")
    ap.add_argument("--engines-60", default=None,
                    help="engines for the 60-minute input (default: --engines; raw-seq takes the longest)")
    ap.add_argument("--inputs", default=None,
                    help="comma list of long12,short12,long60,short60,synth60,synth180 (default: all)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--media", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.media, a.threads, a.json, a.model)
        return
    if a.quick:
        specs = [("long4", 4.0, False)]
    else:
        specs = [("long12", 12.0, False), ("short12", 12.0, False), ("long60", 60.0, False),
                 ("short60", 60.0, False), ("synth60", 60.0, True), ("synth180", 180.0, True)]
    if a.inputs:
        want = set(a.inputs.split(","))
        specs = [s for s in specs if s[0] in want]
    engines = a.engines.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="subpipe-bench-long-") as tmp:
        work = Path(tmp)
        for name, minutes, sparse in specs:
            path = work / f"{name}.wav"
            ref, seconds = build(path, minutes, seed=12, sparse=sparse, short=name.startswith("short"))
            print(f"{name}: {seconds / 60:.1f} min built", file=sys.stderr)
            use = ["subpipe"] if sparse else (a.engines_60.split(",") if a.engines_60 and minutes >= 60 else engines)
            for engine in use:
                r = run_engine(engine, path, a.threads, work, a.model)
                r.update(input=name, minutes=seconds / 60, engine=engine, xrt=seconds / r["wall"],
                         wer=wer(ref, r["text"]) if not sparse else None, load=os.getloadavg()[0])
                shown = None if r["wer"] is None else round(100 * r["wer"], 1)
                print(f"  {engine}: {r['xrt']:.1f}x real time, WER {shown}, peak {r['rss']:.0f} MiB, rc {r['rc']}, "
                      f"CPU {r['cpu']:.0f} s, load {r['load']:.1f}", file=sys.stderr)
                rows.append(r)
            path.unlink()
    text = report(rows, a)
    if a.out:
        from subpipe.fsio import atomic_write_text

        atomic_write_text(a.out, text)
    print(text)


def report(rows: list[dict], a: argparse.Namespace) -> str:
    import platform

    from subpipe import __version__

    lines = [
        "# Long-form: speed, WER and peak memory (issue 12)",
        "",
        f"`python bench/bench_long.py{' --quick' if a.quick else ''} --threads {a.threads}` on "
        f"{os.cpu_count()} CPU(s) ({platform.machine()}), model `{a.model}`, int8, subpipe {__version__}. "
        "One run; each engine in its own child process, load included; peak RSS of that process. "
        "Inputs: ../shared/data English speech concatenated with 0.6-3 s pauses, the *Tears of Steel* M&E bed "
        "((CC) Blender Foundation, mango.blender.org) at -26 dB under every fifth piece; `synth180` is 3 hours "
        "of the same speech spread out (2-4 minutes of bed between pieces), `synth60` the same for 1 hour: memory.",
        "",
        "| input | minutes | engine | × real time | WER | peak RSS (MiB) | vs raw batched speed | CPU s "
        "| vs raw batched CPU | load avg (1 min, at its end) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    batched = {r["input"]: r["xrt"] for r in rows if r["engine"] == "raw-batched"}
    batched_cpu = {r["input"]: r["cpu"] for r in rows if r["engine"] == "raw-batched"}
    for r in rows:
        eng = r["engine"]
        if r.get("decoder"):
            eng += f" ({r['decoder'].get('engine')})"
        ratio = f"{r['xrt'] / batched[r['input']]:.2f}" if r["input"] in batched else "—"
        w = "—" if r["wer"] is None else f"{100 * r['wer']:.1f} %"
        fail = "" if r["rc"] == 0 else f" (exit {r['rc']})"
        cpu_ratio = f"{batched_cpu[r['input']] / r['cpu']:.2f}" if r["input"] in batched_cpu else "—"
        lines.append(f"| {r['input']} | {r['minutes']:.1f} | {eng}{fail} | {r['xrt']:.1f}× | {w} | {r['rss']:.0f} "
                     f"| {ratio} | {r['cpu']:.0f} | {cpu_ratio} | {r['load']:.1f} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
