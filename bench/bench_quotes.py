#!/usr/bin/env python3
"""Quote index benchmark: search latency on a big index, index build rate, database size per hour.

The rows are generated from the real transcripts in ../shared/data (the human reference texts of every
folder there): a word-bigram chain trained on them makes new sentences, each word timed at a speaking
rate like real speech, spread over media files of ~150 utterances with varied ids and frame rates.
The rows then go through the real indexing path (quotes.add_transcript).

Those transcripts hold only ~570 words of text, a vocabulary of a few hundred words, far from the
50,000+ of a 10,000-hour archive. So by default 60% of the less common words are swapped for words
drawn from a Zipf distribution over 50,000 made-up words (the long tail: names, topic words); the
common words and the sentence shapes stay the transcripts'. ``--tail 0`` keeps the real words only.

    python bench/bench_quotes.py --rows 1000000 --out bench/results/quotes.md
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from subpipe.model import Transcript, Utterance, Word  # noqa: E402
from subpipe.quotes import index as q  # noqa: E402

SHARED = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
FPS = ("23.976", "24", "25", "29.97")
PER_MEDIA = 150


def corpus() -> tuple[list[list[str]], list[str]]:
    """Sentences (word lists) of the real English transcripts, and Chinese reference lines."""
    english, chinese = [], []
    for p in sorted(SHARED.rglob("*.txt")):
        text = p.read_text(encoding="utf-8", errors="replace")
        if re.search(r"[\u4e00-\u9fff]", text):
            chinese += [line.strip() for line in text.splitlines() if line.strip()]
            continue
        for sent in re.split(r"(?<=[.!?])\s+|\n+", text):
            words = re.findall(r"[A-Za-z][A-Za-z'’-]*|\d+", sent)
            if len(words) >= 3:
                english.append([w.lower() for w in words])
    if not english:
        sys.exit(f"no transcripts found under {SHARED}")
    return english, chinese


class Lexicon:
    """The long tail of a big archive: names and topic words, Zipf-distributed over ``size`` made-up words."""

    def __init__(self, rng: random.Random, size: int = 50_000, exponent: float = 1.05):
        syllables = [c + v for c in "bdfgklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
        words: set[str] = set()
        while len(words) < size:
            words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
                      + rng.choice(("", "", "n", "s", "r", "l")))
        self.words = sorted(words)
        rng.shuffle(self.words)
        acc, self.cum = 0.0, []
        for r in range(1, size + 1):
            acc += 1 / r**exponent
            self.cum.append(acc)

    def sample(self, rng: random.Random) -> str:
        return self.words[bisect.bisect_left(self.cum, rng.random() * self.cum[-1])]


class Chain:
    def __init__(self, sentences: list[list[str]]):
        self.next: dict[str, list[str]] = defaultdict(list)
        self.starts = [s[0] for s in sentences]
        for s in sentences:
            for a, b in zip(["<s>", *s], [*s, "</s>"], strict=True):
                self.next[a].append(b)
        self.lengths = [len(s) for s in sentences]

    def sentence(self, rng: random.Random) -> list[str]:
        want = max(3, min(40, rng.choice(self.lengths) + rng.randint(-3, 3)))
        out = [rng.choice(self.starts)]
        while len(out) < want:
            nxt = rng.choice(self.next.get(out[-1]) or ["</s>"])
            if nxt == "</s>":
                if len(out) >= 4:
                    break
                nxt = rng.choice(self.starts)
            out.append(nxt)
        return out


def utterance(words: list[str], t0: int, rng: random.Random, *, cjk: bool = False) -> tuple[Utterance, int]:
    ws, t = [], t0
    for k, w in enumerate(words):
        text = w.capitalize() if k == 0 and not cjk else w
        if k == len(words) - 1 and not cjk:
            text += rng.choice(".?.!.")
        dur = (180 if cjk else 120 + 45 * len(w)) + rng.randint(-40, 60)
        ws.append(Word(text, t, t + dur, 1.0, not cjk))
        t += dur + rng.choice((0, 20, 40, 80, 150))
    return Utterance(tuple(ws), "zh" if cjk else "en"), t + rng.randint(300, 1500)


def build(db: Path, rows: int, seed: int, tail: float, *, index: bool = True) -> dict:
    rng = random.Random(seed)
    english, chinese = corpus()
    chain = Chain(english)
    common = {w for w, _ in Counter(w for s in english for w in s).most_common(60)}
    lexicon = Lexicon(random.Random(seed + 7)) if tail > 0 else None
    con = q.connect(db)
    con.execute("PRAGMA cache_size = -200000")
    made, n_media, speech_ms, gen_s, index_s = 0, 0, 0, 0.0, 0.0
    vocab: Counter[str] = Counter()
    samples: list[str] = []
    while made < rows:
        g0 = time.perf_counter()
        k = min(PER_MEDIA + rng.randint(-50, 50), rows - made)
        utts, t = [], rng.randint(0, 5000)
        for _ in range(k):
            if chinese and rng.random() < 0.02:
                line = rng.choice(chinese)
                cut = rng.randint(0, max(0, len(line) - 6))
                u, t = utterance(list(line[cut:cut + rng.randint(6, 14)]), t, rng, cjk=True)
            else:
                words = chain.sentence(rng)
                if lexicon is not None:
                    words = [lexicon.sample(rng) if w not in common and rng.random() < tail else w for w in words]
                vocab.update(words)
                if len(samples) < 5000 and rng.random() < 0.01:
                    samples.append(" ".join(words))
                u, t = utterance(words, t, rng)
            utts.append(u)
            speech_ms += u.end_ms - u.start_ms
        words = tuple(w for u in utts for w in u.words)
        tr = Transcript(words, "en", t, tuple(utts))
        media_id = hashlib.sha256(f"bench-media-{n_media}".encode()).hexdigest()
        g1 = time.perf_counter()
        if index:
            q.add_transcript(con, tr, media_id=media_id, path=f"archive/interview-{n_media:06d}.mov",
                             title=f"Interview {n_media}", fps=FPS[n_media % len(FPS)])
        index_s += time.perf_counter() - g1
        gen_s += g1 - g0
        made += k
        n_media += 1
        if n_media % 500 == 0 and index:
            print(f"  {made:,} utterances, {made / index_s:,.0f}/s indexing", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    if index:
        con.execute("INSERT INTO utterances_fts(utterances_fts) VALUES ('optimize')")
        con.execute("INSERT INTO utterances_tri(utterances_tri) VALUES ('optimize')")
        con.commit()
    optimize_s = time.perf_counter() - t0
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {"rows": made, "media": n_media, "speech_ms": speech_ms, "index_s": index_s, "gen_s": gen_s,
            "optimize_s": optimize_s, "vocab": vocab, "samples": samples, "chinese": chinese}


def queries(info: dict, rng: random.Random, n: int) -> dict[str, tuple[str, list[str]]]:
    vocab = [w for w in info["vocab"] if w.isalpha()]
    long_words = [w for w in vocab if len(w) >= 6]
    phrases = []
    for s in rng.sample(info["samples"], min(n, len(info["samples"]))):
        ws = s.split()
        k = rng.randint(2, min(4, len(ws)))
        i = rng.randint(0, len(ws) - k)
        phrases.append(" ".join(ws[i:i + k]))
    subs = []
    for w in rng.choices(long_words, k=n):
        k = rng.randint(4, min(6, len(w) - 1))
        i = rng.randint(1, len(w) - k)
        subs.append(w[i:i + k])
    top = [w for w, _ in info["vocab"].most_common(n)]
    return {
        "single words (uniform over the vocabulary)": ("words", rng.choices(vocab, k=n)),
        "single words (the most frequent)": ("words", top[: max(10, n // 10)]),
        "phrases (2-4 words)": ("words", phrases),
        "prefixes (3-4 letters + *)": ("words", [w[: rng.randint(3, 4)] + "*" for w in rng.choices(long_words, k=n)]),
        "trigram substrings (4-6 chars inside words)": ("substring", subs),
        "Chinese (2 characters)": ("words", [line[i:i + 2] for line in info["chinese"]
                                             for i in range(0, len(line) - 1, 3)][:n]),
    }


def measure(db: Path, sets: dict, limit: int) -> list[tuple[str, int, float, float, float, float]]:
    con = q.connect(db)
    out = []
    for name, (mode, qs) in sets.items():
        if not qs:
            continue
        for x in qs[:5]:  # warm the page cache
            q.search(con, x, mode=mode, limit=limit)
        times, found = [], 0
        for x in qs:
            t0 = time.perf_counter()
            hits = q.search(con, x, mode=mode, limit=limit)
            times.append((time.perf_counter() - t0) * 1000)
            found += bool(hits)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        out.append((name, len(qs), statistics.median(times), p95, times[-1], found / len(qs)))
    con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200, help="queries per kind")
    ap.add_argument("--limit", type=int, default=20, help="results per query (as the CLI and page ask)")
    ap.add_argument("--db", type=Path, default=None, help="keep the index here (default: a temporary file)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--tail", type=float, default=0.6,
                    help="share of the transcripts' less common words replaced by a Zipf long tail of 50,000 "
                         "made-up words (0: the real transcripts' words only, a very small vocabulary)")
    ap.add_argument("--reuse", action="store_true",
                    help="--db holds an index this script built with the same --rows/--seed/--tail: "
                         "only measure the searches")
    ap.add_argument("--out", type=Path, default=None, help="write the report (Markdown) here too")
    args = ap.parse_args()
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="subpipe-bench-")
        args.db = Path(tmp.name) / "quotes.db"
    elif args.db.exists() and not args.reuse:
        sys.exit(f"{args.db} exists; give a new path (or --reuse it)")
    print(f"{'regenerating' if args.reuse else 'building'} an index of {args.rows:,} utterances in {args.db}",
          file=sys.stderr)
    info = build(args.db, args.rows, args.seed, args.tail, index=not args.reuse)
    size = args.db.stat().st_size
    hours = info["speech_ms"] / 3_600_000
    results = measure(args.db, queries(info, random.Random(args.seed + 1), args.queries), args.limit)
    lines = [
        "## Quote index (bench/bench_quotes.py)",
        "",
        f"SQLite {q.sqlite3.sqlite_version}; {info['rows']:,} utterances in {info['media']:,} media, "
        f"{hours:,.0f} hours of speech; vocabulary {len(info['vocab']):,} words. Sentences come from a "
        f"word-bigram chain over the real transcripts in shared/data (572 words of text); "
        f"{args.tail:.0%} of their less common words are swapped for a Zipf long tail of 50,000 made-up words "
        f"(names, topic words); 2% of the rows are Chinese reference lines. "
        f"{os.cpu_count()} CPU cores, shared with other work while measured.",
        "",
        (f"- index build: {info['rows'] / info['index_s']:,.0f} utterances/s through quotes.add_transcript "
         f"({info['index_s']:,.0f} s; FTS optimize {info['optimize_s']:,.0f} s more)") if not args.reuse
        else "- index build: not measured (--reuse)",
        f"- database: {size / 2**20:,.0f} MiB, {size / 2**20 / hours:,.2f} MiB per hour of speech "
        f"({size / info['rows']:,.0f} bytes per utterance; two FTS5 indexes, words with times)",
        "",
        f"Search latency, top {args.limit} by BM25 with snippets and in-points (ms):",
        "",
        "| queries | n | median | p95 | max | share with hits |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {name} | {n} | {med:.1f} | {p95:.1f} | {mx:.1f} | {hit:.0%} |"
              for name, n, med, p95, mx, hit in results]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
