#!/usr/bin/env python3
"""Quote search ranking: latency per query kind on a few thousand utterances, and whether the ranking
depends on the order the media files were indexed in.

The rows are generated (a Zipf vocabulary of made-up words mixed with common English words, and a few
Chinese lines in Traditional and Simplified characters), so this needs nothing from ../shared.
``SUBPIPE_SRC=/path/to/other/src`` measures another checkout's quotes.py in the same way (before/after).

    python bench/bench_rank.py --rows 5000 --out bench/results/rank.md
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("SUBPIPE_SRC") or str(ROOT / "src"))

from subpipe.model import Transcript, Utterance, Word  # noqa: E402
from subpipe.quotes import index as q  # noqa: E402

COMMON = ("the and to of a in that it is was i you he for on we they be with this have but not at said "
          "what all there so one out about up if just like when know can time people go no could").split()
PER_MEDIA = 100


def make_media(n_rows: int, seed: int) -> list[tuple[str, Transcript]]:
    rng = random.Random(seed)
    vocab = [f"w{k}" for k in range(5000)]
    weights = [1 / (k + 1) ** 1.05 for k in range(len(vocab))]
    zh = ["我們明天去廣州", "我们明天去广州", "廣州的天氣很好", "广州的天气很好", "他說這是真的"]
    media = []
    for m in range(0, n_rows, PER_MEDIA):
        utts, t = [], 0
        for _k in range(min(PER_MEDIA, n_rows - m)):
            if rng.random() < 0.02:
                text = rng.choice(zh)
                toks = list(text)
                space = [i == 0 for i in range(len(toks))]
            else:
                n = rng.randint(3, 18)
                toks = [rng.choice(COMMON) if rng.random() < 0.5 else rng.choices(vocab, weights)[0]
                        for _ in range(n)]
                space = [True] * n
            words = []
            for tok, sp in zip(toks, space, strict=True):
                words.append(Word(tok, t, t + 300, 1.0, sp))
                t += 350
            utts.append(Utterance(tuple(words), None, None))
            t += 500
        allw = tuple(w for u in utts for w in u.words)
        media.append((f"{m:08x}" + "0" * 56, Transcript(allw, "en", t, tuple(utts))))
    return media


def build(db: Path, media, order: list[int]) -> float:
    con = q.connect(db)
    t0 = time.perf_counter()
    for i in order:
        mid, t = media[i]
        q.add_transcript(con, t, media_id=mid, path=f"/m/{mid[:8]}.mp4")
    con.close()
    return time.perf_counter() - t0


QUERIES = {
    "very common word": "the",
    "common word": "people",
    "rare word": "w3000",
    "phrase": "said the",
    "prefix": "w12*",
    "Chinese (Simplified)": "广州",
    "Chinese (Traditional)": "廣州",
    "substring": "w300",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    media = make_media(args.rows, seed=7)
    fwd = list(range(len(media)))
    rev = list(reversed(fwd))
    shuffled = fwd[:]
    random.Random(3).shuffle(shuffled)
    lines = [f"# Quote search ranking ({args.rows} utterances, {len(media)} media, limit {args.limit})", "",
             f"code: `{q.__file__}`", "",
             "| query | kind | hits | median ms | same ranking in 3 indexing orders |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        dbs = [Path(tmp) / f"{name}.db" for name in ("fwd", "rev", "shuf")]
        for db, order in zip(dbs, (fwd, rev, shuffled), strict=True):
            build(db, media, order)
        cons = [q.connect(db) for db in dbs]
        for kind, query in QUERIES.items():
            mode = "substring" if kind == "substring" else "auto"
            ranks = [[h.id for h in q.search(c, query, limit=args.limit, mode=mode)] for c in cons]
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                q.search(cons[0], query, limit=args.limit, mode=mode)
                times.append((time.perf_counter() - t0) * 1000)
            same = "yes" if ranks[0] == ranks[1] == ranks[2] else "NO"
            lines.append(f"| `{query}` | {kind} | {len(ranks[0])} | {statistics.median(times):.2f} | {same} |")
        for c in cons:
            c.close()
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        from subpipe.fsio import atomic_write_text

        atomic_write_text(args.out, text)


if __name__ == "__main__":
    main()
