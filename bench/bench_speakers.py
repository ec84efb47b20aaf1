"""Speaker-label benchmark: mixes with known turns built from ../shared/data voices.

    python bench/bench_speakers.py [--model base] [--out bench/results/speakers.md] [--threshold T]

Mix A (tuned on): 7 voices (JFK, three LibriSpeech readers, a LibriVox reader, the MFA speaker and a
Mandarin AISHELL speaker), 3-6 s turns cut at the recordings' own pauses, 0.2-0.7 s gaps, seeded order.
Mix B (not tuned on): 6 voices, other recordings of the LibriSpeech/LibriVox/MFA readers and the other
Mandarin speaker, plus the AMI headset speaker's clip; another seed.

Figures: speakers found vs true; words to the wrong speaker (each transcribed word's reference speaker is
the turn under its midpoint; hypothesis labels mapped one-to-one onto voices to maximise agreement);
words left unlabelled; naming (one voice enrolled from a recording NOT in the mix: the share of its words
that carry its name, and other voices' words that do); CPU seconds of diarization per audio minute and
its share of the `subpipe run` wall time (transcription with --speakers off vs the diarization call).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from subpipe.asr.transcribe import TranscribeOptions, load_model, transcribe_audio  # noqa: E402
from subpipe.audio import media  # noqa: E402
from subpipe.speakers.diarize import (  # noqa: E402
    DiarizeOptions,
    apply,
    diarize,
    expected_provenance,
    speech_regions,
    voice_embedding,
)

DATA = ROOT.parent / "shared" / "data"
SR = 16000

MIX_A = {
    "jfk": ["jfk/jfk.flac"],
    "ls2412": ["librispeech/2412-153948-0000.flac"],
    "ls1995": ["librispeech/1995-1837-0001.wav"],
    "ls61": ["librispeech/61-70968-0000.flac"],
    "librivox": ["librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0870.wav",
                 "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0920.wav"],
    "mfa": ["mfa_spontaneous/acoustic_corpus.wav"],
    "zh0724": ["mandarin/BAC009S0724W0121.wav"],
}
MIX_B = {
    "ls2412": ["librispeech/2412-153948-0001.flac"],
    "librivox": ["librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0890.wav",
                 "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0930.wav",
                 "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0880.wav"],
    "mfa": ["mfa_spontaneous/cold_corpus.wav"],
    "zh0764": ["mandarin/BAC009S0764W0121.wav", "mandarin/BAC009S0764W0122.wav"],
    "jfk": ["jfk/jfk.flac"],
    "ls1995": ["librispeech/1995-1837-0001.wav"],
}
# the enrolled voice of each mix, from a recording that is not in that mix
ENROL = {
    "A": ("ls2412", "librispeech/2412-153948-0001.flac"),
    "B": ("librivox", "librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-0870.wav"),
}


def load(rel: str) -> np.ndarray:
    return media.extract_audio(DATA / rel).samples


def turns_of(samples: np.ndarray, lo_ms: int = 3000, hi_ms: int = 6000) -> list[np.ndarray]:
    """The recording cut at its own pauses into pieces of 3-6 s of speech (a shorter tail is kept if >= 1.5 s)."""
    regions = speech_regions(samples)
    out, cur = [], []
    for r in regions:
        if cur and r[1] - cur[0][0] > hi_ms:
            out.append((cur[0][0], cur[-1][1]))
            cur = []
        cur.append(r)
        if cur[-1][1] - cur[0][0] >= lo_ms:
            out.append((cur[0][0], cur[-1][1]))
            cur = []
    if cur and cur[-1][1] - cur[0][0] >= 1500:
        out.append((cur[0][0], cur[-1][1]))
    pieces = []
    for a, b in out:
        a, b = max(0, a - 40), min(len(samples) * 1000 // SR, b + 40)
        pieces.append(samples[a * SR // 1000:b * SR // 1000])
    return pieces


def build_mix(spec: dict[str, list[str]], seed: int) -> tuple[np.ndarray, list[tuple[int, int, str]]]:
    """Turns of every voice, interleaved in a seeded order with no voice twice in a row; (audio, turns)."""
    rng = np.random.default_rng(seed)
    pools = {v: [t for f in files for t in turns_of(load(f))] for v, files in spec.items()}
    order: list[str] = []
    left = {v: len(p) for v, p in pools.items()}
    while sum(left.values()):
        cands = sorted(v for v, n in left.items() if n and (not order or v != order[-1]))
        if not cands:  # only the last voice has turns left
            cands = sorted(v for v, n in left.items() if n)
        weights = np.array([left[v] for v in cands], dtype=np.float64)
        v = cands[int(rng.choice(len(cands), p=weights / weights.sum()))]
        order.append(v)
        left[v] -= 1
    used = {v: 0 for v in pools}
    chunks, turns, pos = [], [], 0
    for v in order:
        piece = pools[v][used[v]]
        used[v] += 1
        gap = int(rng.uniform(200, 700))
        chunks.append(np.zeros(gap * SR // 1000, dtype=np.float32))
        pos += gap
        # each recording at the same loudness (RMS), as a mixing desk would
        piece = piece / (np.sqrt(np.mean(piece ** 2)) + 1e-9) * 0.05
        chunks.append(piece.astype(np.float32))
        dur = len(piece) * 1000 // SR
        turns.append((pos, pos + dur, v))
        pos += dur
    chunks.append(np.zeros(SR // 2, dtype=np.float32))
    return np.concatenate(chunks), turns


def ref_speaker(turns, ms: int) -> str | None:
    for a, b, v in turns:
        if a <= ms < b:
            return v
    return None


def score(words, turns) -> dict:
    ref = [ref_speaker(turns, (w.start_ms + w.end_ms) // 2) for w in words]
    pairs = [(r, w.speaker) for r, w in zip(ref, words, strict=True) if r is not None]
    hyps = sorted({h for _, h in pairs if h is not None})
    voices = sorted({r for r, _ in pairs})
    conf = {(r, h): 0 for r in voices for h in hyps}
    for r, h in pairs:
        if h is not None:
            conf[(r, h)] += 1
    mapping: dict[str, str] = {}
    for (r, h), _n in sorted(conf.items(), key=lambda kv: (-kv[1], kv[0])):  # greedy one-to-one
        if h not in mapping and r not in mapping.values():
            mapping[h] = r
    wrong = sum(1 for r, h in pairs if h is not None and mapping.get(h) != r)
    none = sum(1 for _, h in pairs if h is None)
    return {"words": len(pairs), "wrong": wrong, "unlabelled": none, "mapping": mapping,
            "speakers_true": len(voices), "speakers_found": len(hyps)}


def run_mix(name: str, spec, seed: int, whisper_opts: TranscribeOptions, threshold: float) -> dict:
    samples, turns = build_mix(spec, seed)
    dur_min = len(samples) / SR / 60
    load_model(whisper_opts)
    t0, tc0 = time.perf_counter(), time.process_time()
    t = transcribe_audio(samples, whisper_opts)
    run_s, run_cpu = time.perf_counter() - t0, time.process_time() - tc0
    opts = DiarizeOptions(threshold=threshold)
    c0, w0 = time.process_time(), time.perf_counter()
    d = diarize(samples, opts, words=t.words)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    lab = apply(t, d, provenance=expected_provenance(opts) or {})
    res = score(lab.words, turns)
    # naming: one voice enrolled from a recording not in the mix
    voice, rel = ENROL[name]
    enrolled = [(voice.upper(), voice_embedding(load(rel)))]
    dn = diarize(samples, opts, voices=enrolled, words=t.words)
    named = apply(t, dn, provenance={})
    ref = [ref_speaker(turns, (w.start_ms + w.end_ms) // 2) for w in named.words]
    own = [w for r, w in zip(ref, named.words, strict=True) if r == voice]
    other = [w for r, w in zip(ref, named.words, strict=True) if r is not None and r != voice]
    sim = next((s.similarity for s in dn.info if s.name), None)
    res.update({
        "mix": name, "seed": seed, "audio_s": round(len(samples) / SR, 1), "turns": len(turns),
        "voices": sorted(spec), "cpu_s_per_min": round(cpu / dur_min, 2), "diarize_wall_s": round(wall, 2),
        "transcribe_wall_s": round(run_s, 2), "share_of_run": round(wall / run_s, 4),
        "diarize_cpu_s": round(cpu, 2), "transcribe_cpu_s": round(run_cpu, 2), "cpu_share": round(cpu / run_cpu, 4),
        "enrolled": voice, "named_own": sum(w.speaker == voice.upper() for w in own), "own_words": len(own),
        "named_other": sum(w.speaker == voice.upper() for w in other), "other_words": len(other),
        "name_similarity": sim,
    })
    return res


def run_overhead(samples: np.ndarray, model: str) -> dict:
    """`subpipe run` (process_media) on mix A as a WAV, --speakers off then auto: wall and CPU seconds."""
    import tempfile
    import wave

    from subpipe.jobs.pipeline import RunOptions, process_media

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "mixA.wav"
        with wave.open(str(wav), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(SR)
            f.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        load_model(TranscribeOptions(model=model))
        for mode in ("off", "auto", "off", "auto"):  # twice each, the faster kept (a shared machine is noisy)
            opts = RunOptions(transcribe=TranscribeOptions(model=model), speakers=mode, index=False, force=True)
            w0, c0 = time.perf_counter(), time.process_time()
            process_media(wav, Path(tmp) / "out", opts)
            w, c = time.perf_counter() - w0, time.process_time() - c0
            prev = out.get(mode)
            out[mode] = (w, c) if prev is None else (min(prev[0], w), min(prev[1], c))
    return {"off_wall_s": round(out["off"][0], 2), "auto_wall_s": round(out["auto"][0], 2),
            "off_cpu_s": round(out["off"][1], 2), "auto_cpu_s": round(out["auto"][1], 2),
            "added_wall": round(out["auto"][0] / out["off"][0] - 1, 4),
            "added_cpu": round(out["auto"][1] / out["off"][1] - 1, 4)}


STEREO = "mfa_spontaneous/michaelandsickmichael.wav"
STEREO_REFS = ("mfa_spontaneous/michaelandsickmichael.ch0_michael.txt",
               "mfa_spontaneous/michaelandsickmichael.ch1_sickmichael.txt")


def stereo_case(model: str) -> dict:
    """One person per channel: WER of each speaker's words against that channel's reference, per-channel
    labels (label_speakers) vs the plain downmix transcription (--speakers off) scored against the
    references joined; and whether every word went to its own channel's speaker."""
    import jiwer
    from scoring import normalize_english

    from subpipe.speakers.diarize import label_speakers

    src = DATA / STEREO
    opts = TranscribeOptions(model=model)
    mix = media.extract_audio(src).samples
    down = transcribe_audio(mix, opts)
    labelled = label_speakers(src, mix, down, DiarizeOptions(), transcribe=lambda s: transcribe_audio(s, opts))
    refs = [normalize_english((DATA / r).read_text(encoding="utf-8")) for r in STEREO_REFS]
    out = {"file": STEREO, "speakers": [s.label for s in labelled.speakers],
           "channel_mode": "channels" in labelled.provenance.get("diarization", {})}
    for k, lab in enumerate(("S1", "S2")):
        hyp = normalize_english(" ".join(w.text for w in labelled.words if w.speaker == lab))
        out[f"wer_{lab}"] = round(jiwer.wer(refs[k], hyp or "-"), 4)
    out["wer_downmix"] = round(jiwer.wer(" ".join(refs), normalize_english(down.text) or "-"), 4)
    out["bleed_dropped"] = sum(1 for d in labelled.dropped if d.reason == "channel-bleed")
    return out


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f} %" if b else "-"


def render(results: list[dict], model: str, threshold: float, overhead: dict | None = None,
           stereo: dict | None = None) -> str:
    rows = [
        "| mix | audio | voices (true / found) | words to the wrong speaker | unlabelled | enrolled voice's words "
        "named | other voices' words given its name | CPU s per audio min | added to transcription |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['mix']}{' (tuned on)' if r['mix'] == 'A' else ' (not tuned on)'} | {r['audio_s']} s, "
            f"{r['turns']} turns | {r['speakers_true']} / {r['speakers_found']} | "
            f"{_pct(r['wrong'], r['words'])} ({r['wrong']}/{r['words']}) | {_pct(r['unlabelled'], r['words'])} | "
            f"{_pct(r['named_own'], r['own_words'])} ({r['enrolled']}, similarity {r['name_similarity']}) | "
            f"{r['named_other']}/{r['other_words']} | {r['cpu_s_per_min']} | {100 * r['cpu_share']:.1f} % CPU, "
            f"{100 * r['share_of_run']:.1f} % wall |")
    voices = "\n".join(f"- mix {r['mix']} (seed {r['seed']}): {', '.join(r['voices'])}" for r in results)
    return (
        "# Speaker labels (`make bench-speakers`)\n\n"
        f"Whisper model `{model}` (CPU, int8) transcribes each mix; diarization (d-vector ONNX, average-linkage, "
        f"threshold {threshold}) labels the words. Mixes are built from ../shared/data by bench/bench_speakers.py: "
        "3-6 s turns cut at each recording's own pauses, 0.2-0.7 s gaps, equal loudness.\n\n"
        + voices + "\n\n" + "\n".join(rows) + "\n\n"
        "A word's reference speaker is the turn under its midpoint; labels are mapped one-to-one onto voices "
        "(greedy, most shared words first). Naming: the voice is enrolled from a recording that is not in the mix. "
        "Share of run: diarization wall time over transcription wall time (`--speakers off`), same audio, same run; "
        "timings on a shared 2-core machine are noisy, the error figures are not.\n"
        + ("" if not overhead else
           "\n`subpipe run` on mix A (a mono WAV, model base, default options, best of two runs each): "
           f"`--speakers off` {overhead['off_wall_s']} s wall / {overhead['off_cpu_s']} s CPU, `--speakers auto` "
           f"{overhead['auto_wall_s']} s / {overhead['auto_cpu_s']} s: diarization adds "
           f"**{100 * overhead['added_wall']:.1f} % wall time** and {100 * overhead['added_cpu']:.1f} % CPU time "
           "(on this shared machine the wall figure swings by several points between runs; the CPU one is "
           "steadier).\n")
        + ("" if not stereo else
           f"\nOne person per channel (`{stereo['file']}`, 52 s, two channels): detected "
           f"{'yes' if stereo['channel_mode'] else 'NO'}; speakers {', '.join(stereo['speakers'])}; WER of S1's words "
           f"against channel 0's reference {100 * stereo['wer_S1']:.1f} %, S2's against channel 1's "
           f"{100 * stereo['wer_S2']:.1f} %; the downmix transcribed as one (`--speakers off`) against both "
           f"references joined: {100 * stereo['wer_downmix']:.1f} % (the joined reference's order is not the "
           f"speech's where the two overlap, so that figure is an upper bound); {stereo['bleed_dropped']} word(s) "
           "dropped as the other channel leaking in.\n")
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="base")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "speakers.md")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--mix", choices=["A", "B", "both"], default="both")
    ap.add_argument("--no-overhead", action="store_true", help="skip the `subpipe run` off-vs-auto timing")
    ap.add_argument("--no-stereo", action="store_true", help="skip the one-person-per-channel case")
    ap.add_argument("--render", type=Path, default=None, help="only write --out again from a --json of a run")
    a = ap.parse_args(argv)
    from subpipe.speakers.diarize import CLUSTER_THRESHOLD

    thr = a.threshold if a.threshold is not None else CLUSTER_THRESHOLD
    # the mixes hold Mandarin turns among English ones: each speech region in its own language
    if a.render:
        saved = json.loads(a.render.read_text(encoding="utf-8"))
        a.out.write_text(render(saved["mixes"], saved["model"], saved["threshold"], saved.get("overhead"),
                                saved.get("stereo")), encoding="utf-8")
        return 0
    wopts = TranscribeOptions(model=a.model, languages="utterance", candidate_languages=("en", "zh"))
    results = []
    for name, spec, seed in (("A", MIX_A, 1), ("B", MIX_B, 2)):
        if a.mix in (name, "both"):
            r = run_mix(name, spec, seed, wopts, thr)
            print(json.dumps(r), file=sys.stderr)
            results.append(r)
    overhead = None
    if not a.no_overhead:
        overhead = run_overhead(build_mix(MIX_A, 1)[0], a.model)
        print(json.dumps(overhead), file=sys.stderr)
    stereo = None if a.no_stereo else stereo_case(a.model)
    if stereo:
        print(json.dumps(stereo), file=sys.stderr)
    text = render(results, a.model, thr, overhead, stereo)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text, encoding="utf-8")
    if a.json:
        a.json.write_text(json.dumps({"model": a.model, "threshold": thr, "mixes": results, "overhead": overhead,
                                      "stereo": stereo}, indent=1), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
