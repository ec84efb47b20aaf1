"""The strong-language lexicon measured (issue 30), written to bench/results/language.md:

1. precision and recall on tests/data/language_wordlist.tsv (ordinary words that hold strong or medium terms,
   and spoken forms of the terms), with the tier each form gets;
2. every word of CMUdict (the English dictionary the pocketsphinx wheel ships: 126k words we did not write)
   through the matcher, each hit listed by severity, so the ordinary words it flags can be read off;
3. the clean render's cost on a 10-minute 48 kHz stereo 24-bit WAV (pink noise) with 50 spans, against a
   plain re-encode of the same file.

    PYTHONPATH=src python bench/bench_language.py [--out bench/results/language.md]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from subpipe.language.lexicon import SEVERITIES, en_key, find, load_lexicon, lookup_en  # noqa: E402
from subpipe.model import Transcript, Utterance, Word  # noqa: E402


def wordlist() -> list[str]:
    lex = load_lexicon()
    tp = fp = fn = tn = tier_ok = 0
    false_hits, misses, wrong = [], [], []
    for line in (ROOT / "tests" / "data" / "language_wordlist.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, expected = line.split("\t")
        found = find(lex, [Word(x, 0, 0) for x in word.split()], "en")
        if expected == "-":
            if found:
                fp += 1
                false_hits.append(f"{word} ({found[0].term.text}, {found[0].term.severity})")
            else:
                tn += 1
        elif found:
            tp += 1
            if found[0].term.severity == expected:
                tier_ok += 1
            else:
                wrong.append(f"{word}: {found[0].term.severity}, not {expected}")
        else:
            fn += 1
            misses.append(word)
    return [f"- ordinary words: {tn + fp}; spoken forms of terms: {tp + fn}",
            f"- precision {tp / (tp + fp):.3f} ({tp} of {tp + fp} flagged words are forms of terms), "
            f"recall {tp / (tp + fn):.3f} ({tp} of {tp + fn} forms found)",
            f"- forms at their expected tier: {tier_ok} of {tp}" + (f" (wrong: {'; '.join(wrong)})" if wrong else ""),
            f"- false hits: {', '.join(false_hits) or 'none'}", f"- missed: {', '.join(misses) or 'none'}"]


def cmudict() -> list[str]:
    import pocketsphinx

    path = Path(pocketsphinx.__file__).parent / "model" / "en-us" / "cmudict-en-us.dict"
    words = sorted({ln.split()[0].split("(")[0] for ln in path.read_text(encoding="utf-8").splitlines() if ln})
    lex = load_lexicon()
    hits: dict[str, list[str]] = {s: [] for s in SEVERITIES}
    for w in words:
        t = lookup_en(lex, en_key(w))
        if t is not None:
            hits[t.severity].append(w)
    out = [f"- {len(words)} words; {sum(map(len, hits.values()))} flagged"]
    for s in reversed(SEVERITIES):
        out.append(f"- {s} ({len(hits[s])}): {' '.join(hits[s])}")
    return out


def render_cost() -> list[str]:
    from subpipe.audio.media import ffmpeg_exe
    from subpipe.language.clean import CleanOptions, clean

    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "long.wav"
        subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "anoisesrc=d=600:c=pink:r=48000:a=0.1", "-ac", "2", "-c:a", "pcm_s24le", str(src)], check=True)
        words = tuple(Word("fuck" if k % 12 == 5 else "word", k * 1000, k * 1000 + 400) for k in range(600))
        t = Transcript(words=words, language="en", duration_ms=600_000, utterances=(Utterance(words, language="en"),))
        t0 = time.perf_counter()
        subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(src), "-c:a", "pcm_s24le",
                        str(Path(d) / "copy.wav")], check=True)
        out = [f"- plain re-encode: {time.perf_counter() - t0:.1f} s"]
        for mode in ("dip", "bleep"):
            t0 = time.perf_counter()
            res = clean(src, t, Path(d) / f"{mode}.wav", CleanOptions(mode=mode))
            out.append(f"- {mode}: {len(res.changes)} spans, {time.perf_counter() - t0:.1f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "language.md")
    args = ap.parse_args()
    lex = load_lexicon()
    lines = ["# Strong-language lexicon and clean render", "", "Made by `bench/bench_language.py`.", "",
             "Sources: " + "; ".join(lex.sources) + ".", "",
             "## Ordinary words that hold strong ones (tests/data/language_wordlist.tsv)", "", *wordlist(), "",
             "## CMUdict through the English matcher", "", *cmudict(), "",
             "## Clean render cost (10 min, 48 kHz stereo 24-bit, 50 spans)", "", *render_cost(), ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
