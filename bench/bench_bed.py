#!/usr/bin/env python
"""Speech under a real film's music-and-effects bed: subpipe (dialogue separation, auto) against raw faster-whisper.

The bed is ../shared/data/music_effects (70 s of *Tears of Steel*: orchestral score, explosions, sweeps;
CC BY 3.0, (CC) Blender Foundation, mango.blender.org). Speech from ../shared/data is laid under it at
+5 (a moderate bed), 0, -5 and -10 dB speech-to-music (speech RMS over its active samples against the bed's RMS over the
same stretch; ``separate.mix_under_bed``). Three speech sets:

- ``tuned`` (about 100 s): the four LibriSpeech utterances, JFK and two MFA monologues (``acoustic_corpus``,
  ``cold_corpus``), the set the separation's mask floor and the ``auto`` threshold were chosen on;
- ``held-out`` (about 110 s): the five LibriVox *Sense and Sensibility* sentences, the AMI meeting clip, the MFA
  monologue ``cold_corpus3`` and the two-person MFA conversation, never used for a choice;
- ``fresh`` (about 125 s, issue 27): the held-out speech in another order with the TIMIT and praatIO sentences and
  the two voices of ``stereo_two_speakers`` one after the other, under **another stretch of the bed** (from 38 s,
  looped): other words against other music. Built after the ``auto`` policy of issue 27 was chosen on ``tuned``.
- ``fresh2`` (about 130 s, issue 27's fourth session): the same voices in a third order under the bed from 20 s;
  built before ``drown_floor_db`` was chosen (on ``tuned``) and first run with it, so no choice has seen it.

Each mix is made as a film's soundtrack is: 44.1 kHz stereo (the bed as it is, the speech in both channels),
written to a WAV file and read back as the pipeline reads media: 16 kHz mono for VAD and Whisper
(``media.extract_audio``) and, for the separation, 44.1 kHz stereo (``media.extract_stereo``).

In one run, with one loaded model: raw faster-whisper (``WhisperModel.transcribe`` with its Silero VAD on,
word timestamps on), subpipe with ``--separate off``, ``--separate on`` and ``--separate auto`` (the default):
``isolate_dialogue`` then ``transcribe_audio``, as ``pipeline.transcribe_job`` does. Where auto separates no
stretch (every stretch) of a mix, its samples are those of off (on) and that transcript is reused. Also: CPU
seconds of separation per audio minute, the auto decision's cost on clean speech, and words invented on the bare
bed. ``--cache FILE`` keeps the transcripts (by model, set, level, mode and auto's options) so that a policy change
decodes only auto again; start a new file when the transcription code changes.

Usage: python bench/bench_bed.py [--out bench/results/trailer_bed.md] [--model base]
       [--sets tuned,held-out,fresh,fresh2] [--cache FILE] [--no-bare-bed]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from scoring import normalize_english, prepare_reference, read_reference  # noqa: E402

from subpipe.asr.transcribe import TranscribeOptions, load_model, transcribe_audio  # noqa: E402
from subpipe.audio import media  # noqa: E402
from subpipe.audio import separate as sep  # noqa: E402
from subpipe.jobs.dialogue import chooser  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
BED = "music_effects/tears-of-steel-battle-clip-medium.webm"
BED_OFFSET_S = 3  # the bed's first seconds are a fade-in
SET_BED_OFFSET_S = {"fresh": 38, "fresh2": 20}  # the fresh sets hear the bed from another point
MODES = ("raw", "off", "on", "auto")
CACHE_FILE: Path | None = None
LAST_STRETCHES: list[dict] = []  # the stretches (with auto's decision) of the last run_ours call
AUTO = sep.SeparateOptions()  # auto's options (--decide-unsure)
COSTS: dict[str, float] = {}  # CPU seconds of auto's unsure-stretch decodes (jobs/dialogue.py) and of transcribing
RATIOS = (5.0, 0.0, -5.0, -10.0)  # +5 dB (issue 27): a moderate bed, where separating may cost words
GAP_S = 0.5
SPEECH_DBFS = -24.0  # every speech file's active level before mixing


def speech_set(data: Path, name: str) -> tuple[np.ndarray, str]:
    """(speech at 44.1 kHz mono, reference) of one set, the files 0.5 s apart, each at the same active level.

    The recordings differ by up to 18 dB (JFK -14 dBFS, the AMI clip -32 dBFS over their active samples): set
    against the bed as one signal, the loudest file would be at the stated speech-to-music ratio and the
    others 8-18 dB under it. Each file is scaled to SPEECH_DBFS first, as a film's dialogue is levelled."""
    if name == "tuned":
        files = sorted((data / "librispeech").glob("*.flac")) + sorted((data / "librispeech").glob("*.wav"))
        files += [data / "jfk" / "jfk.flac", data / "mfa_spontaneous" / "acoustic_corpus.wav",
                  data / "mfa_spontaneous" / "cold_corpus.wav"]
    elif name == "held-out":
        files = sorted((data / "librivox_sense_sensibility").glob("*.wav"))
        files += [data / "ami_meeting" / "ES2011a.Headset-0_40s-46s.wav",
                  data / "mfa_spontaneous" / "cold_corpus3.wav", data / "mfa_spontaneous" / "michaelandsickmichael.wav"]
    elif name == "fresh":
        hwa = data / "human_word_alignments"
        files = [data / "mfa_spontaneous" / "michaelandsickmichael.wav", hwa / "LDC93S1.wav",
                 data / "mfa_spontaneous" / "cold_corpus3.wav", hwa / "praatio_bobby.wav",
                 *sorted((data / "librivox_sense_sensibility").glob("*.wav"), reverse=True),
                 hwa / "praatio_mary.wav", data / "ami_meeting" / "ES2011a.Headset-0_40s-46s.wav",
                 data / "stereo_two_speakers" / "stereo_diarization.wav"]
    elif name == "fresh2":  # built 2026-12-08 before any result on it was seen (issue 27, fourth session)
        hwa = data / "human_word_alignments"
        lv = sorted((data / "librivox_sense_sensibility").glob("*.wav"))
        files = [data / "ami_meeting" / "ES2011a.Headset-0_40s-46s.wav", *lv[::2],
                 data / "stereo_two_speakers" / "stereo_diarization.wav", data / "mfa_spontaneous" / "cold_corpus3.wav",
                 hwa / "praatio_mary.wav", hwa / "LDC93S1.wav", data / "mfa_spontaneous" / "michaelandsickmichael.wav",
                 hwa / "praatio_bobby.wav", *lv[1::2]]
    else:
        raise SystemExit(f"unknown speech set {name!r} (tuned, held-out, fresh, fresh2)")
    gap = np.zeros(int(GAP_S * sep.WIDE_RATE), np.float32)
    parts, refs = [], []
    for f in files:
        if f.parent.name == "stereo_two_speakers":  # two voices at once: one after the other, each its own text
            both = media.extract_stereo(f, sample_rate=sep.WIDE_RATE)
            for ch, ref in enumerate(sorted(f.parent.glob(f"{f.stem}.*.txt"))):
                x = both[:, ch] * (10 ** (SPEECH_DBFS / 20) / max(sep.active_rms(both[:, ch], sep.WIDE_RATE), 1e-9))
                parts += [x.astype(np.float32), gap]
                refs.append(ref.read_text(encoding="utf-8").strip())
            continue
        x = media.extract_stereo(f, sample_rate=sep.WIDE_RATE).mean(axis=1)
        x = x * (10 ** (SPEECH_DBFS / 20) / max(sep.active_rms(x, sep.WIDE_RATE), 1e-9))
        parts += [x.astype(np.float32), gap]
        refs.append(prepare_reference(read_reference(f), f.parent.name))
    return np.concatenate(parts), " ".join(refs)


def write_wav(path: Path, stereo: np.ndarray, sr: int = sep.WIDE_RATE) -> Path:
    import wave

    pcm = (np.clip(stereo, -1, 1) * 32767).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


def as_media(stereo: np.ndarray, tmp: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(16 kHz mono, 44.1 kHz stereo) of a soundtrack, read back from a WAV file as the pipeline reads media."""
    wav = write_wav(tmp / f"{name}.wav", stereo)
    return media.extract_audio(wav).samples, media.extract_stereo(wav, sample_rate=sep.WIDE_RATE)


def wer(ref: str, hyp: str) -> tuple[int, int]:
    import jiwer

    r, h = normalize_english(ref), normalize_english(hyp)
    o = jiwer.process_words(r, h if h else "")
    return o.substitutions + o.deletions + o.insertions, len(r.split())


def run_raw(whisper, x: np.ndarray, **kw) -> str:
    """raw faster-whisper with its defaults (``kw``: one changed, e.g. ``temperature=0.0``)."""
    segs, _ = whisper.transcribe(x, vad_filter=True, word_timestamps=True, beam_size=5, **kw)
    return " ".join(s.text for s in segs)


def run_ours(x: np.ndarray, opts: TranscribeOptions, mode: str, wide: np.ndarray | None = None
             ) -> tuple[str, float, tuple[str, ...], int]:
    """(text, separation CPU seconds, notes, words) of a plain run's transcription step; under auto the unsure
    stretches are decided by Whisper's confidence as the pipeline does (jobs/dialogue.py), their decodes' CPU
    added to COSTS (not to the separation seconds), and the final transcription's CPU too."""
    costs: dict[str, float] = {}
    c0 = time.process_time()
    y, notes, prov = sep.isolate_dialogue(x, 16000, replace(AUTO, mode=mode), wide=wide,
                                          choose=chooser(opts, costs) if mode == "auto" else None)
    cpu = time.process_time() - c0 - costs.get("probe_cpu_s", 0.0)
    LAST_STRETCHES[:] = prov.get("stretches", [])
    c1 = time.process_time()
    t = transcribe_audio(y, opts)
    if mode == "auto":
        for k, v in costs.items():
            COSTS[k] = COSTS.get(k, 0.0) + v
        COSTS["transcribe_cpu_s"] = COSTS.get("transcribe_cpu_s", 0.0) + time.process_time() - c1
        COSTS["transcribe_audio_s"] = COSTS.get("transcribe_audio_s", 0.0) + len(x) / 16000
    return " ".join(w.text for w in t.words), cpu, notes + t.notes, len(t.words)


def _lp(v: float | None) -> str:
    return "no words" if v is None else f"{v:.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--model", default="base")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--sets", default="tuned,held-out,fresh,fresh2")
    ap.add_argument("--cache", type=Path, default=None,
                    help="JSON file of raw/off/on transcripts to reuse (only auto is decoded again)")
    ap.add_argument("--no-bare-bed", action="store_true", help="skip the bare-bed section")
    ap.add_argument("--decide-unsure", action="store_true",
                    help="auto decodes each unsure stretch as mix and stem and keeps the one Whisper is more "
                         "confident of (SeparateOptions.decide_unsure, off by default; jobs/dialogue.py)")
    ap.add_argument("--levels", default=",".join(f"{r:g}" for r in RATIOS),
                    help="speech-to-music ratios in dB (and always clean)")
    a = ap.parse_args(argv)
    if not (a.data / BED).is_file():
        print(f"needs {a.data / BED}", file=sys.stderr)
        return 1
    global CACHE_FILE, AUTO
    CACHE_FILE = a.cache
    AUTO = sep.SeparateOptions(decide_unsure=a.decide_unsure)
    cache = json.loads(a.cache.read_text()) if a.cache and a.cache.is_file() else ({} if a.cache else None)
    try:
        lines = report(a.model, a.data, a.sets.split(","), cache=cache, bare_bed=not a.no_bare_bed,
                       levels=tuple(float(v) for v in a.levels.split(",")))
    finally:
        if a.cache and cache is not None:
            a.cache.write_text(json.dumps(cache, indent=0))
    text = "\n".join(lines) + "\n"
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text, encoding="utf-8")
        print(f"wrote {a.out}")
    else:
        print(text)
    return 0


def report(model: str = "base", data: Path = DEFAULT_DATA, sets: list[str] | tuple[str, ...] = ("tuned", "held-out"),
           heading: str = "#", cache: dict[str, str] | None = None, bare_bed: bool = True,
           levels: tuple[float, ...] = RATIOS) -> list[str]:
    """The section's markdown lines (bench_trailer.py appends them to trailer.md). ``cache``: transcripts of the
    modes that do not depend on the ``auto`` policy (raw, off, on), by model/set/level/mode, reused when given."""
    t_start = time.perf_counter()
    opts = TranscribeOptions(model=model)
    whisper = load_model(opts).whisper
    sep.load_separator()  # build/verify once, outside the timings
    bed = media.extract_audio(data / BED).samples
    bed_wide = media.extract_stereo(data / BED, sample_rate=sep.WIDE_RATE)
    tmp_dir = tempfile.TemporaryDirectory(prefix="bench_bed.")
    tmp = Path(tmp_dir.name)
    lines: list[str] = []
    say = lines.append
    say(f"{heading} Speech under a real film's music-and-effects bed")
    say("")
    say(f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, model `{model}`, {os.cpu_count()} CPUs, "
        f"`python bench/bench_bed.py`. Bed: *Tears of Steel* (CC BY 3.0, (CC) Blender Foundation, "
        "mango.blender.org), from 3 s, looped to the speech's length. Separation: Spleeter 2-stem "
        f"(`{sep.WHEEL_PIN}`) as `{sep.MODEL_NAME}` on onnxruntime, reading the soundtrack at 44.1 kHz stereo.")
    say("")
    say("| speech set | audio | raw faster-whisper (VAD on) | subpipe `--separate off` | subpipe `--separate on` | "
        "**subpipe `--separate auto`** (default) | stretches separated by auto | quiet floor per stretch, dB | "
        "speech over bed per stretch (stems), dB | separation CPU s / audio min | unsure stretches: kept "
        "(mean log word probability, mix / stem) |")
    say("|---|---|---|---|---|---|---|---|---|---|---|")
    cpu_total = audio_total = 0.0
    auto_key = repr(AUTO)
    clean_times: dict[str, float] = {}
    for name in sets:
        speech, ref = speech_set(data, name)
        minutes = len(speech) / sep.WIDE_RATE / 60
        bed_from = SET_BED_OFFSET_S.get(name, BED_OFFSET_S) * sep.WIDE_RATE
        for ratio in (None, *levels):
            if ratio is None:
                x, wide = as_media(np.stack([speech, speech], axis=1), tmp, f"{name}-clean")
                label = "clean"
            else:
                mixed, _ = sep.mix_under_bed(speech, bed_wide[bed_from:], ratio, sep.WIDE_RATE)
                x, wide = as_media(mixed, tmp, f"{name}{ratio:+.0f}")
                label = f"{ratio:+.0f} dB"
            got: dict[str, tuple[int, int] | None] = {}
            texts: dict[str, str] = {}
            cpus: dict[str, float] = {}
            stems: dict[str, list[dict]] = {}
            c0 = time.process_time()
            stretches = sep.measure(x, AUTO)  # auto's decision, per stretch
            measure_cpu = time.process_time() - c0
            done = sum(s.separated for s in stretches)
            doubt = sep.unsure(stretches, AUTO)  # decided by decoding both (jobs/dialogue.py)
            for mode in MODES:
                if mode == "on" and ratio is None:  # nobody separates clean speech on purpose
                    got[mode] = None
                    continue
                if mode == "auto" and not doubt and (done == 0 or (done == len(stretches) and "on" in texts)):
                    # auto separates none (all) of the stretches: its samples are those of off (on), same words
                    src = "off" if done == 0 else "on"
                    texts[mode] = texts[src]
                    if done == 0 or "on" in cpus:  # (the separation CPU of a cached "on" is not known)
                        cpus[mode] = measure_cpu + (cpus["on"] if done else 0.0)
                    got[mode] = wer(ref, texts[mode])
                    continue
                key = f"{model}/{name}/{label}/{mode}" + (f"/{auto_key}" if mode == "auto" else "")
                hit = cache.get(key) if cache is not None and mode != "auto" else None
                if hit is not None:
                    text = hit
                    if key + "#stretches" in cache:
                        stems[mode] = json.loads(cache[key + "#stretches"])
                elif mode == "raw":
                    text = run_raw(whisper, x)
                else:
                    text, cpus[mode], _, _ = run_ours(x, opts, mode, wide if mode != "off" else None)
                    if mode in ("on", "auto"):
                        stems[mode] = list(LAST_STRETCHES)
                if cache is not None and hit is None:
                    cache[key] = text
                    if mode in stems:
                        cache[key + "#stretches"] = json.dumps(stems[mode])
                    if CACHE_FILE is not None:  # kept as it grows: a run cut short still saves what it decoded
                        CACHE_FILE.write_text(json.dumps(cache, indent=0))
                texts[mode] = text
                got[mode] = wer(ref, text)
            cpu = cpus.get("auto")
            if ratio is None:
                clean_times[name] = measure_cpu
            elif cpu is not None:
                cpu_total += cpu
                audio_total += minutes
            r = {m: "—" if v is None else f"{v[0] / v[1]:.1%}" for m, v in got.items()}
            if "auto" in stems:
                done = sum(bool(d["separated"]) for d in stems["auto"])
            balance = [d.get("stem_db") for d in stems.get("on", [])]
            cpu_txt = "—" if cpu is None else f"{cpu / minutes:.2f}"
            chosen = ", ".join(f"{k + 1}: {c['kept']} ({_lp(c['mix_logprob'])} / {_lp(c['stem_logprob'])})"
                               for k, d in enumerate(stems.get("auto", [])) if (c := d.get("choice")))
            say(f"| {name} ({minutes * 60:.0f} s) | {label} | {r['raw']} | {r['off']} | {r['on']} | **{r['auto']}** | "
                f"{done}/{len(stretches)} | {', '.join(f'{s.floor_db:.1f}' for s in stretches)} | "
                f"{', '.join('—' if v is None else f'{v:+.1f}' for v in balance) or '—'} | {cpu_txt} | "
                f"{chosen or '—'} |")
    say("")
    say(f"Separation cost over the mixes decoded in this run: **{cpu_total / max(audio_total, 1e-9):.2f} CPU s per "
        "audio minute** of auto (process time of `isolate_dialogue`: level measurement, Silero where there is a bed, "
        "STFT, network, inverse STFT; — in the table: the transcript came from --cache, its CPU was not measured now).")
    say("")
    if COSTS.get("probe_audio_s"):
        say(f"Unsure stretches decoded both ways (mix and stem, each on its own; jobs/dialogue.py): "
            f"{COSTS['probe_audio_s'] / 2:.0f} s of audio, twice, in {COSTS['probe_cpu_s']:.0f} CPU s, against "
            f"{COSTS.get('transcribe_cpu_s', 0):.0f} CPU s for auto's final transcription of the same mixes "
            f"({COSTS.get('transcribe_audio_s', 0):.0f} s): "
            f"**+{COSTS['probe_cpu_s'] / max(COSTS.get('transcribe_cpu_s', 0), 1e-9):.0%}"
            "** decoding CPU.")
        say("")
    for name, c in clean_times.items():
        say(f"- clean `{name}`: auto's level measurement {c:.2f} CPU s; no stretch separated, so auto transcribes "
            "the same samples as `--separate off` and nothing else is spent.")
    say("")
    if not bare_bed:
        tmp_dir.cleanup()
        return lines
    # ---- the bare bed
    raw_novad = " ".join(s.text for s in whisper.transcribe(bed, vad_filter=False)[0])
    raw_vad = run_raw(whisper, bed)
    text, _, notes, n_words = run_ours(bed, opts, "auto", bed_wide)
    text_on, _, _, n_on = run_ours(bed, opts, "on", bed_wide)
    tmp_dir.cleanup()
    _, _, _, n_off = run_ours(bed, opts, "off")
    say(f"{heading}# The bare bed (no speech: every word is invented)")
    say("")
    say(f"- raw faster-whisper, VAD off: {len(raw_novad.split())} words: {raw_novad[:160]!r}")
    say(f"- raw faster-whisper, VAD on: {len(raw_vad.split())} words: {raw_vad[:160]!r}")
    say(f"- subpipe (plain run, `--separate off`): {n_off} words")
    say(f"- **subpipe `--separate auto`: {n_words} words**; notes: {list(notes)}")
    say(f"- subpipe `--separate on`: {n_on} words {text_on[:120]!r}")
    say("")
    say(f"Section time {time.perf_counter() - t_start:.0f} s.")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
