"""Which Whisper word probability should `subpipe review` mark? (issue 28)

Each reference clip of ../shared/data is transcribed; the words are lined up with the reference text (lower
case, punctuation and [markup] dropped, difflib); a transcript word is an error when it is part of a
substitution or an insertion (a deleted reference word has no transcript word to mark). For each threshold:
the share of the error words marked (recall) and the share of all words marked. The aim (issue 28): mark at least
60 % of the word errors while marking at most 15 % of the words.

PYTHONPATH=src python bench/bench_review_threshold.py [--model tiny.en] [--out bench/results/review_threshold.md]
"""

from __future__ import annotations

import argparse
import difflib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CLIPS = [
    "jfk/jfk.flac",
    *[f"librispeech/{n}" for n in ("1995-1837-0001.wav", "2412-153948-0000.flac", "2412-153948-0001.flac",
                                    "61-70968-0000.flac")],
    *[f"librivox_sense_sensibility/sense_and_sensibility_01_austen_64kb-{n}.wav"
      for n in ("0870", "0880", "0890", "0920", "0930")],
    "ami_meeting/ES2011a.Headset-0_40s-46s.wav",
    *[f"mfa_spontaneous/{n}.wav" for n in ("acoustic_corpus", "cold_corpus", "cold_corpus3")],
]
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.78, 0.8, 0.82, 0.85, 0.9, 0.95)


def norm(text: str) -> list[str]:
    text = re.sub(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}", " ", text.lower())
    return [t for t in (re.sub(r"[^\w']", "", w) for w in re.split(r"[\s\-]+", text)) if t]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio
    from subpipe.audio import media

    pairs: list[tuple[float, bool]] = []  # (probability, is an error) per transcript word
    deletions = 0
    for rel in CLIPS:
        audio = DATA / rel
        ref = norm(audio.with_suffix(".txt").read_text(encoding="utf-8"))
        t = transcribe_audio(media.extract_audio(audio).samples, TranscribeOptions(model=args.model))
        hyp: list[tuple[str, float]] = []
        for w in t.words:
            toks = norm(w.text) or [""]
            hyp += [(tok, w.probability) for tok in toks if tok]
        sm = difflib.SequenceMatcher(a=ref, b=[h for h, _ in hyp], autojunk=False)
        for tag, a0, a1, b0, b1 in sm.get_opcodes():
            for k in range(b0, b1):
                pairs.append((hyp[k][1], tag != "equal"))
            if tag in ("delete", "replace"):
                deletions += max(0, (a1 - a0) - (b1 - b0))
    errors = sum(e for _, e in pairs)
    lines = [f"# Marking low-probability words (issue 28): {args.model}", "",
             f"{len(CLIPS)} reference clips of ../shared/data, {len(pairs)} transcript words, {errors} of them "
             f"errors (substituted or inserted; {deletions} reference words missing besides, which no mark can show).",
             "", "| threshold | errors marked | words marked |", "|---:|---:|---:|"]
    for th in THRESHOLDS:
        marked = [e for p, e in pairs if p < th]
        lines.append(f"| {th:.2f} | {100 * sum(marked) / max(errors, 1):.1f} % | "
                     f"{100 * len(marked) / max(len(pairs), 1):.1f} % |")
    # every threshold that meets the aim: just above each distinct probability
    meets = []
    for th in sorted({round(p + 0.0005, 4) for p, _ in pairs}):
        marked = [e for p, e in pairs if p < th]
        if sum(marked) >= 0.6 * errors and len(marked) <= 0.15 * len(pairs):
            meets.append(th)
    lines += ["", "Thresholds meeting the aim (>= 60 % of the errors, <= 15 % of the words): "
              + (f"{min(meets):.4f} to {max(meets):.4f}" if meets else "none") + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        from subpipe.fsio import atomic_write_text

        atomic_write_text(args.out, text)


if __name__ == "__main__":
    main()
