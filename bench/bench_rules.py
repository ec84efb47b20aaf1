#!/usr/bin/env python
"""Rules-engine benchmark: delivery compliance on real speech and words per second.

1. Compliance: every audio file of ../shared/data (manifest.tsv) is transcribed once (cached per media
   SHA-256 and model in ``<subpipe cache>/bench-rules/``), made into cues with a profile (default
   ``netflix-en`` at 24 fps) and checked with ``qc.check_track`` against the media's duration. Reported:
   the share of cues that pass every rule, and every failing cue with its rule and the reason the speech
   leaves (blocked by the next cue, a single word longer than a line, ...).
2. Speed: ``make_cues`` over a stream of one million words made by repeating the real transcripts' words
   end to end (a synthetic stream when there are none); best of --repeat runs, words per second.

Usage: python bench/bench_rules.py [--out FILE.md] [--quick] [--model base] [--profile netflix-en]
       [--fps 24] [--words 1000000] [--transcripts FILE.transcript.json ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from subpipe.formats import transcript_json as tj  # noqa: E402
from subpipe.model import CueTrack, Transcript, Word  # noqa: E402
from subpipe.subtitling.cues import make_cues  # noqa: E402
from subpipe.subtitling.profiles import Profile, get_profile  # noqa: E402
from subpipe.subtitling.qc import Report, check_track  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
TARGET_WPS = 200_000


def manifest_audio(data: Path, quick: bool) -> list[Path]:
    tsv = data / "manifest.tsv"
    if not tsv.exists():
        return []
    rows = [line.split("\t")[0] for line in tsv.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    files = [data / r for r in rows if (data / r).exists()]
    return [f for f in files if f.parent.name == "jfk"] if quick else files


def transcript_for(audio: Path, model: str) -> Transcript:
    from subpipe.asr.models import cache_dir
    from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio
    from subpipe.audio import media
    from subpipe.fsio import atomic_write_text, sha256_file

    sha = sha256_file(audio)
    cached = cache_dir() / "bench-rules" / f"{sha[:16]}-{model}.transcript.json"
    if cached.exists():
        return tj.loads(cached.read_text(encoding="utf-8"))
    t = transcribe_audio(media.extract_audio(audio).samples, TranscribeOptions(model=model),
                         media_sha256=sha, media_name=audio.name)
    atomic_write_text(cached, tj.dumps(t))
    return t


def reason(track: CueTrack, report: Report, n: int, rule: str, prof: Profile) -> str:
    """Why the speech leaves no room for a rule the engine could not meet."""
    cue = track.cues[n - 1]
    if rule == "chars_per_line":
        return "a single word longer than a line" if any(len(x.split()) == 1 for x in cue.lines) else "?"
    if rule in ("min_duration", "reading_speed", "reading_speed_hold"):
        chars = sum(len(x) for x in cue.lines)
        need = max(prof.min_duration_ms, chars * 1000 / prof.max_cps)
        if n < len(track.cues):
            free = track.cues[n].start_ms - cue.start_ms - prof.min_gap_frames * 1000 / float(prof.fps.rate)
            return f"speech too fast: {chars} chars need {need:.0f} ms, the next cue leaves {free:.0f} ms"
        return "at the media's end"
    if rule == "max_duration":
        return "a single stretch of speech longer than the maximum"
    if rule == "chaining":
        return "closing the gap would exceed the maximum duration"
    return ""


def compliance(transcripts: list[tuple[str, Transcript]], prof: Profile) -> tuple[list[str], int, int]:
    lines = ["| file | words | cues | pass | compliance |", "|---|---:|---:|---:|---:|"]
    fails: list[str] = []
    total = passed = 0
    for name, t in transcripts:
        track = make_cues(t, prof)
        rep = check_track(track, prof, media_duration_ms=t.duration_ms or None)
        total += rep.cues
        passed += rep.passed
        lines.append(f"| {name} | {len(t.words)} | {rep.cues} | {rep.passed} | {rep.compliance:.1%} |")
        for v in rep.errors:
            why = reason(track, rep, v.cue, v.rule, prof)
            fails.append(f"- {name} cue {v.cue} `{v.rule}` {v.message}: {why}")
    share = passed / total if total else 1.0
    n_words = sum(len(t.words) for _, t in transcripts)
    lines.append(f"| **all** | {n_words} | {total} | {passed} | **{share:.1%}** |")
    return lines + ([""] + ["Failing cues (rule, value, reason):"] + fails if fails else []), total, passed


def big_stream(transcripts: list[tuple[str, Transcript]], n_words: int) -> Transcript:
    """n_words words: the real transcripts' words repeated end to end (2 s apart), else synthetic."""
    base: list[Word] = [w for _, t in transcripts if t.language in (None, "en") for w in t.words]
    out: list[Word] = []
    offset = 0
    if base:
        first = base[0].start_ms
        while len(out) < n_words:
            last = offset
            prev_end = None
            for w in base:
                start = w.start_ms - first + offset
                if prev_end is not None and start < prev_end:
                    offset += prev_end - start
                    start = prev_end
                out.append(Word(w.text, start, start + w.duration_ms, w.probability, w.space_before))
                prev_end = start + w.duration_ms
                last = prev_end
                if len(out) >= n_words:
                    break
            offset = last + 2000
            first = base[0].start_ms
    else:
        rng = random.Random(0)
        vocab = ("the a of and to in is you that it he was for on are as with his they I at be this have "
                 "from or one had by word but not what all were we when your can said there use an each "
                 "which she do how their if will up other about out many then them these so some").split()
        t = 0
        for _ in range(n_words):
            w = rng.choice(vocab) + (rng.choice(".,?") if rng.random() < 0.1 else "")
            d = rng.randint(150, 450)
            out.append(Word(w, t, t + d))
            t += d + rng.choice((0, 0, 50, 120, 300, 900))
    end = out[-1].end_ms + 1000 if out else 0
    return Transcript(tuple(out), "en", end)


def speed(stream: Transcript, prof: Profile, repeat: int) -> tuple[float, int, Report]:
    best = float("inf")
    track = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        track = make_cues(stream, prof)
        best = min(best, time.perf_counter() - t0)
    assert track is not None
    rep = check_track(track, prof, media_duration_ms=stream.duration_ms)
    return len(stream.words) / best, len(track), rep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="also write the report (markdown) here")
    ap.add_argument("--quick", action="store_true", help="JFK only, and 200,000 words for speed")
    ap.add_argument("--model", default="base")
    ap.add_argument("--profile", default="netflix-en")
    ap.add_argument("--fps", default="24")
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--transcripts", nargs="*", type=Path, default=None,
                    help="transcript JSON files to use instead of transcribing ../shared/data")
    args = ap.parse_args(argv)
    prof = get_profile(args.profile, args.fps)

    transcripts: list[tuple[str, Transcript]] = []
    if args.transcripts:
        transcripts = [(p.name, tj.loads(p.read_text(encoding="utf-8"))) for p in args.transcripts]
    else:
        for audio in manifest_audio(args.data, args.quick):
            transcripts.append((f"{audio.parent.name}/{audio.name}", transcript_for(audio, args.model)))

    out = [f"# Rules engine: {prof.name} at {prof.fps} fps", "",
           f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
           f"Python {platform.python_version()}. Timings on a shared machine are noisy.", ""]
    if transcripts:
        lines, total, passed = compliance(transcripts, prof)
        out += [f"## Compliance on ../shared/data (model {args.model})", "", *lines, ""]
    else:
        out += ["## Compliance", "", f"no transcripts: {args.data} is absent", ""]
    n_words = 200_000 if args.quick and args.words == 1_000_000 else args.words
    stream = big_stream(transcripts, n_words)
    wps, n_cues, rep = speed(stream, prof, args.repeat)
    src = "real transcripts repeated" if transcripts else "synthetic words"
    verdict = "meets" if wps >= TARGET_WPS else "misses"
    by_rule = ", ".join(f"{k} {n}" for k, n in Counter(x.rule for x in rep.errors).items())
    out += ["## Speed", "",
            f"- make_cues over {len(stream.words):,} words ({src}): **{wps:,.0f} words/s** "
            f"(best of {args.repeat}; {verdict} the {TARGET_WPS:,} target)",
            f"- {n_cues:,} cues; {rep.compliance:.2%} pass every rule; "
            f"violations: {by_rule or 'none'}",
            ""]
    text = "\n".join(out)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
