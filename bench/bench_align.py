"""Alignment benchmark: word and utterance boundaries against human timings, coverage, speed.

    python bench/bench_align.py [--model base] [--out bench/results/align.md] [--json results.json]

Reads ../shared/data (human_word_alignments, ami_meeting, mfa_spontaneous, every English reference).
Timings on a shared CPU are noisy; the boundary errors are not.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from subpipe.alignment import AlignOptions, align, match_tokens, norm_tokens, parse_script, refine_transcript  # noqa: E402,E501
from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio  # noqa: E402
from subpipe.audio import media  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FPS = 24


# ---------------------------------------------------------------- references
def read_textgrid(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    """Interval tiers of a Praat TextGrid (long or short text format): name -> [(xmin, xmax, text)]."""
    text = path.read_text(encoding="utf-8", errors="replace")
    text = re.sub(r"\[\d*\]", "", text)
    toks = re.findall(r'"(?:[^"]|"")*"|<exists>|<absent>|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?', text)
    vals = [t[1:-1].replace('""', '"') if t.startswith('"') else t for t in toks]
    k = 2  # "ooTextFile", "TextGrid"
    k += 2  # xmin, xmax
    k += 1  # <exists>
    ntiers = int(vals[k])
    k += 1
    tiers = {}
    for _ in range(ntiers):
        cls, name = vals[k], vals[k + 1]
        n = int(vals[k + 4])
        k += 5
        if cls != "IntervalTier":
            k += 2 * n
            continue
        ivs = []
        for _ in range(n):
            ivs.append((float(vals[k]), float(vals[k + 1]), vals[k + 2].strip()))
            k += 3
        tiers[name] = ivs
    return tiers


def human_words() -> list[tuple[str, Path, list[tuple[str, int, int]]]]:
    """(name, wav, [(word, start_ms, end_ms)]) for the three files with human word boundaries."""
    d = DATA / "human_word_alignments"
    out = []
    timit = [(w["word"], round(w["start"] * 1000), round(w["end"] * 1000))
             for w in json.loads((d / "LDC93S1.words.json").read_text())]
    wrd = [line.split() for line in (d / "LDC93S1.wrd").read_text().split("\n") if line.strip()]
    assert [w for _, _, w in wrd] == [w for w, _, _ in timit]  # the two TIMIT files agree
    out.append(("TIMIT LDC93S1", d / "LDC93S1.wav", timit))
    for name, tg in (("praatIO bobby", "praatio_bobby_words.TextGrid"), ("praatIO mary", "praatio_mary.TextGrid")):
        tiers = read_textgrid(d / tg)
        tier = tiers.get("word") or next(v for k, v in tiers.items() if "word" in k)
        words = [(t, round(a * 1000), round(b * 1000)) for a, b, t in tier if t]
        out.append((name, d / tg.replace("_words.TextGrid", ".wav").replace(".TextGrid", ".wav"), words))
    return out


def load(path: Path, channel: int | None = None) -> np.ndarray:
    if channel is None:
        return media.extract_audio(path).samples
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path), sampling_rate=16000, split_stereo=True)[channel]


def english_references() -> list[tuple[str, Path, int | None, str]]:
    """(name, audio, channel, script text) for every English reference in ../shared/data."""
    refs = []
    for p in sorted(DATA.glob("*/*.txt")):
        folder = p.parent.name
        if folder == "mandarin" or ".ch" in p.name or p.name.startswith("stereo_"):
            continue
        audio = next((p.with_suffix(s) for s in (".wav", ".flac") if p.with_suffix(s).exists()), None)
        if audio is None:
            continue
        refs.append((f"{folder}/{p.stem}", audio, None, p.read_text(encoding="utf-8")))
    st = DATA / "stereo_two_speakers"
    for ch, side in ((0, "left"), (1, "right")):
        refs.append((f"stereo_two_speakers/{side}", st / "stereo_diarization.wav", ch,
                     (st / f"stereo_diarization.{side}.txt").read_text()))
    mf = DATA / "mfa_spontaneous"
    for ch, side in ((0, "ch0_michael"), (1, "ch1_sickmichael")):
        refs.append((f"mfa_spontaneous/michaelandsickmichael.{side}", mf / "michaelandsickmichael.wav", ch,
                     (mf / f"michaelandsickmichael.{side}.txt").read_text()))
    return refs


# ---------------------------------------------------------------- scoring
def stats(errs: list[float]) -> dict[str, float]:
    a = np.abs(np.asarray(errs, float))
    if a.size == 0:
        return {"n": 0, "median": float("nan"), "p90": float("nan")}
    return {"n": int(a.size), "median": float(np.median(a)), "p90": float(np.percentile(a, 90))}


def match_words(ref: list[str], hyp: list[str]) -> dict[int, list[int]]:
    """ref word index -> hyp word indices (token-level match)."""
    r_toks, r_own, h_toks, h_own = [], [], [], []
    for i, w in enumerate(ref):
        for t in norm_tokens(w):
            r_toks.append(t)
            r_own.append(i)
    for j, w in enumerate(hyp):
        for t in norm_tokens(w):
            h_toks.append(t)
            h_own.append(j)
    out: dict[int, list[int]] = {}
    for k, p in enumerate(match_tokens(r_toks, h_toks)):
        if p is not None:
            out.setdefault(r_own[k], []).append(h_own[p])
    return out


def word_errors(ref, words) -> tuple[list[float], list[float], int]:
    m = match_words([w for w, _, _ in ref], [w.text for w in words])
    se, ee = [], []
    for i, (_, s, e) in enumerate(ref):
        if i in m:
            js = m[i]
            se.append(min(words[j].start_ms for j in js) - s)
            ee.append(max(words[j].end_ms for j in js) - e)
    return se, ee, len(ref) - len(m)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="base")
    ap.add_argument("--out", type=Path, default=None, help="write a Markdown report here")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--skip-coverage", action="store_true")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no data at {DATA}")
    topts = TranscribeOptions(model=args.model)
    results: dict = {"model": args.model}
    lines = [f"# Alignment benchmark (model `{args.model}`, CPU, int8)", ""]

    # warm the model (load time is not alignment time)
    transcribe_audio(np.zeros(16000, np.float32), topts)

    # ------------------------------------------------ word boundaries
    variants = {
        "transcription word timestamps": None,
        "transcription + --refine-times": "refine",
        "alignment, Whisper only": AlignOptions(transcribe=topts, refine="none"),
        "alignment + energy edges": AlignOptions(transcribe=topts, refine="energy"),
        "alignment + phone refinement": AlignOptions(transcribe=topts, refine="auto"),
    }
    acc: dict[str, dict[str, list[float]]] = {k: {"start": [], "end": []} for k in variants}
    per_file = []
    for name, wav, ref in human_words():
        samples = load(wav)
        text = (wav.with_suffix(".txt")).read_text(encoding="utf-8")
        row = {"file": name, "words": len(ref)}
        for label, opts in variants.items():
            if opts is None:
                words = transcribe_audio(samples, topts).words
            elif opts == "refine":
                t = transcribe_audio(samples, topts)
                words = refine_transcript(samples, t, AlignOptions(transcribe=topts)).words
            else:
                words = align(samples, text, opts).transcript.words
            se, ee, missing = word_errors(ref, words)
            acc[label]["start"] += se
            acc[label]["end"] += ee
            row[label] = {"start": stats(se), "end": stats(ee), "unmatched": missing}
        per_file.append(row)
    results["word_boundaries"] = {k: {"start": stats(v["start"]), "end": stats(v["end"])} for k, v in acc.items()}
    results["word_boundaries_per_file"] = per_file
    lines += ["## Word boundaries vs human timings (TIMIT LDC93S1, praatIO bobby + mary; "
              f"{len(acc['alignment + phone refinement']['start'])} words)", "",
              "| method | median abs start err ms | p90 start | median abs end err ms | p90 end |",
              "|---|---|---|---|---|"]
    for k, v in results["word_boundaries"].items():
        lines.append(f"| {k} | {v['start']['median']:.0f} | {v['start']['p90']:.0f} | "
                     f"{v['end']['median']:.0f} | {v['end']['p90']:.0f} |")
    lines += ["", "Target for alignment: median <= 40 ms, p90 <= 120 ms.", ""]

    # ------------------------------------------------ utterance boundaries
    utt_methods = {"alignment, Whisper only": "none", "alignment + energy edges": "energy",
                   "alignment + phone refinement": "auto"}
    utt_keys = ["transcription", "transcription + --refine-times", *utt_methods]
    utt: dict[str, dict[str, list[float]]] = {k: {"in": [], "out": []} for k in utt_keys}
    cases = []
    ami = DATA / "ami_meeting"
    segs = json.loads((ami / "ES2011a.Headset-0_40s-46s.segments.json").read_text())
    cases.append(("ami_meeting", ami / "ES2011a.Headset-0_40s-46s.wav", None,
                  [(s["start"], s["end"], s["text"]) for s in segs]))
    tg = read_textgrid(DATA / "mfa_spontaneous" / "michaelandsickmichael.TextGrid")
    for ch, tier in enumerate(("michael", "sickmichael")):
        cases.append((f"michaelandsickmichael/{tier}", DATA / "mfa_spontaneous" / "michaelandsickmichael.wav", ch,
                      [(a, b, t) for a, b, t in tg[tier] if t]))
    for _name, wav, ch, segments in cases:
        samples = load(wav, ch)
        script = " ".join(t for _, _, t in segments)
        seg_words = [len(t.split()) for _, _, t in segments]
        t_hyp = transcribe_audio(samples, topts)
        hyp = t_hyp.words
        refined = refine_transcript(samples, t_hyp, AlignOptions(transcribe=topts)).words
        m = match_words(script.split(), [w.text for w in hyp])
        for label, refine in utt_methods.items():
            al = align(samples, script, AlignOptions(transcribe=topts, refine=refine)).transcript.words
            k = 0
            for (a, b, _), n in zip(segments, seg_words, strict=True):
                utt[label]["in"].append(al[k].start_ms - a * 1000)
                utt[label]["out"].append(al[k + n - 1].end_ms - b * 1000)
                k += n
        k = 0
        for (a, b, _), n in zip(segments, seg_words, strict=True):
            first = next((m[i] for i in range(k, k + n) if i in m), None)
            last = next((m[i] for i in reversed(range(k, k + n)) if i in m), None)
            if first and last:
                utt["transcription"]["in"].append(min(hyp[j].start_ms for j in first) - a * 1000)
                utt["transcription"]["out"].append(max(hyp[j].end_ms for j in last) - b * 1000)
                utt["transcription + --refine-times"]["in"].append(min(refined[j].start_ms for j in first) - a * 1000)
                utt["transcription + --refine-times"]["out"].append(max(refined[j].end_ms for j in last) - b * 1000)
            k += n
    results["utterance_boundaries"] = {k: {"in": stats(v["in"]), "out": stats(v["out"]),
                                           "in_within_2_frames": float(np.mean(np.abs(v["in"]) <= 2000 / FPS))
                                           if v["in"] else float("nan")}
                                       for k, v in utt.items()}
    n_utt = len(utt["alignment + phone refinement"]["in"])
    lines += [f"## Utterance boundaries vs human segments (ami_meeting, michaelandsickmichael per channel; "
              f"{n_utt} utterances)", "",
              "| method | median abs in-time err ms | p90 in | median abs out-time err ms | p90 out | "
              "in-times within 2 frames @24 fps |", "|---|---|---|---|---|---|"]
    for k, v in results["utterance_boundaries"].items():
        lines.append(f"| {k} | {v['in']['median']:.0f} | {v['in']['p90']:.0f} | {v['out']['median']:.0f} | "
                     f"{v['out']['p90']:.0f} | {v['in_within_2_frames']:.0%} |")
    lines += ["", "Target: median in-time error <= 2 frames at 24 fps (83 ms).", ""]

    # ------------------------------------------------ coverage, false alarms, speed
    if not args.skip_coverage:
        rows = []
        tot_words = tot_aligned = tot_alarms = 0
        t_tr = t_al = dur = c_tr = c_al = 0.0
        for name, audio, ch, text in english_references():
            samples = load(audio, ch)
            t0, p0 = time.perf_counter(), time.process_time()
            transcribe_audio(samples, topts)
            t1, p1 = time.perf_counter(), time.process_time()
            res = align(samples, text, AlignOptions(transcribe=topts))
            t2, p2 = time.perf_counter(), time.process_time()
            c_tr += p1 - p0
            c_al += p2 - p1
            words = res.transcript.words
            script = parse_script(text)
            exact = [w.text for w in words] == [w.text for w in script.words]
            ordered = all(a.start_ms <= b.start_ms for a, b in zip(words, words[1:], strict=False))
            inside = all(0 <= w.start_ms <= w.end_ms <= res.transcript.duration_ms for w in words)
            tot_words += len(words)
            tot_aligned += res.stats["aligned_words"]
            tot_alarms += len(res.mismatches)
            d = len(samples) / 16000
            dur += d
            t_tr += t1 - t0
            t_al += t2 - t1
            rows.append({"ref": name, "seconds": round(d, 1), "words": len(words),
                         "aligned": res.stats["aligned_words"], "mismatches": [m.describe() for m in res.mismatches],
                         "exact_words": exact, "ordered": ordered, "inside": inside,
                         "transcribe_s": round(t1 - t0, 2), "align_s": round(t2 - t1, 2)})
        results["coverage"] = {"files": len(rows), "words": tot_words, "aligned": tot_aligned,
                               "coverage": tot_aligned / tot_words, "false_alarms": tot_alarms, "rows": rows}
        results["speed"] = {"audio_s": dur, "transcribe_s": t_tr, "align_s": t_al, "transcribe_cpu_s": c_tr,
                            "align_cpu_s": c_al,
                            "transcribe_x_realtime": dur / t_tr, "align_x_realtime": dur / t_al}
        lines += [f"## Coverage on every English reference ({len(rows)} scripts, {tot_words} words, "
                  f"{dur:.0f} s)", "",
                  f"- words timed: {tot_words} of {tot_words} (100%); aligned to sound (not reported as not "
                  f"heard): {tot_aligned} ({tot_aligned / tot_words:.1%})",
                  f"- mismatch reports on these correct scripts (false alarms): {tot_alarms}",
                  f"- script words reproduced exactly and in order: {sum(r['exact_words'] for r in rows)} of "
                  f"{len(rows)} files; times non-decreasing and inside the media: "
                  f"{sum(r['ordered'] and r['inside'] for r in rows)} of {len(rows)}", "",
                  "## Speed (same media, same model, shared 2-core CPU: noisy)", "",
                  f"- transcription (`{args.model}`, beam 5, word timestamps): {t_tr:.1f} s wall = "
                  f"{dur / t_tr:.1f}x real time; {c_tr:.1f} s CPU",
                  f"- alignment (tiny.en greedy anchor pass + `{args.model}` cross-attention alignment + phone "
                  f"refinement): {t_al:.1f} s wall = {dur / t_al:.1f}x real time; {c_al:.1f} s CPU", ""]
        alarms = [(r["ref"], m) for r in rows for m in r["mismatches"]]
        if alarms:
            lines += ["False alarms:", ""] + [f"- {r}: {m}" for r, m in alarms] + [""]
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")


if __name__ == "__main__":
    main()
