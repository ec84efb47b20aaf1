"""One long file split across Ray actors (issue 12, raysplit.py) against a local run of the same file.

Input: one long file built by bench/bench_long.py's ``build`` (../shared/data English speech with pauses and
the *Tears of Steel* M&E bed, (CC) Blender Foundation), ``--minutes`` long (12 by default: ``long12``-like).
Runs, each one `subpipe batch` child process in a fresh output folder, model `base`, CPU int8:

- local: ``-j 1 --threads T`` (one process, the batched engine over the whole file);
- ray: ``--executor ray -j W --threads 1 --split-long on``: a local Ray cluster started by the run, W actors
  with one thread each, the file's blocks of windows spread over them.

Reported: wall, × real time, CPU seconds (the process tree, Ray's processes included, from /proc), peak RSS
summed over the tree, and whether the words (text, start, end) and the SRT bytes are the same.

    python bench/bench_ray.py [--minutes 12] [--workers 2] [--threads 2] [--out bench/results/ray.md]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))


def outputs(out: Path) -> tuple[list, dict]:
    words, srt = [], {}
    for p in sorted(out.rglob("*.transcript.json")):
        words += [(w["text"], w["start_ms"], w["end_ms"]) for w in json.loads(p.read_text())["words"]]
    for p in sorted(out.rglob("*.srt")):
        srt[p.name] = p.read_bytes()
    return words, srt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=12.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="threads of the local run")
    ap.add_argument("--model", default="base")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ray.md")
    a = ap.parse_args()
    from bench_batch_long import measure
    from bench_long import build

    from subpipe.asr.models import resolve
    from subpipe.fsio import atomic_write_text

    resolve(a.model)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
               RAY_AUTH_MODE="disabled")
    cli = [sys.executable, "-c", "import sys; from subpipe.cli.app import main; sys.argv[0] = 'subpipe'; main()"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="subpipe-bench-ray-") as tmp:
        work = Path(tmp)
        f = work / "long.wav"
        _, secs = build(f, a.minutes, seed=100)
        print(f"{secs / 60:.1f} min built", file=sys.stderr)
        runs = [("local", ["-j", "1", "--threads", str(a.threads)]),
                ("ray", ["--executor", "ray", "-j", str(a.workers), "--threads", "1", "--split-long", "on"])]
        for label, extra in runs:
            out = work / label
            r = measure([*cli, "-q", "batch", str(f), "-o", str(out), "-m", a.model, "--no-index", *extra], env)
            rep = json.loads((out / "run-report.json").read_text()) if r["rc"] == 0 else {}
            r.update(label=label, extra=" ".join(extra), xrt=secs / r["wall"], out=outputs(out),
                     split=(rep.get("plan") or {}).get("split"))
            print(f"  {label}: {r['wall']:.1f} s, {r['xrt']:.1f}x, CPU {r['cpu']:.0f} s, "
                  f"RSS sum {r['rss_sum']:.0f} MiB, rc {r['rc']}, split {r['split']}", file=sys.stderr)
            rows.append(r)
    local_words, local_srt = rows[0]["out"]
    lines = [
        "# Ray: one long file split across actors (issue 12)",
        "",
        f"`python bench/bench_ray.py --minutes {a.minutes:g} --workers {a.workers} --threads {a.threads}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: one {secs / 60:.1f}-minute file built like "
        f"bench_long's `long12` (seed 100), model `{a.model}`, CPU int8, {os.cpu_count()} CPUs shared with other "
        f"work (load average at the end {os.getloadavg()[0]:.2f}). Each row is one `subpipe batch` process, Ray's "
        "start included; CPU and RSS over the whole process tree (Ray's own processes included).",
        "",
        "| run | options | wall s | × real time | CPU s | peak RSS, sum (MiB) | words | same words and times | "
        "same SRT bytes |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        words, srt = r["out"]
        lines.append(f"| {r['label']} | `{r['extra']}` | {r['wall']:.1f} | {r['xrt']:.1f}× | {r['cpu']:.0f} | "
                     f"{r['rss_sum']:.0f} | {len(words)} | {'yes' if words == local_words else '**no**'} | "
                     f"{'yes' if srt == local_srt and srt else '**no**'} |")
    if rows[1]["split"]:
        lines += ["", f"Split: {json.dumps(rows[1]['split'])}"]
    text = "\n".join(lines) + "\n"
    atomic_write_text(a.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
