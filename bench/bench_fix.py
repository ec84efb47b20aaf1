#!/usr/bin/env python
"""``subpipe fix`` and ``check --json`` at scale: time and peak memory on big SRT files.

The input is real subtitle text: the cues of pycaption's ``example.srt`` (../shared/data/subtitles_wild,
1,8xx cues of a film) tiled end to end until there are N cues, every 37th cue moved to start 400 ms before
the previous one ends (an overlapping input, as tools that merge tracks make). Each size runs in a fresh
process (``subpipe fix FILE -o OUT.srt`` and ``subpipe check --json FILE``) and is measured for wall time
and peak resident memory (``resource.getrusage`` of the child). The 2.5k/5k/10k/100k ladder shows the
growth: linear means the time per cue stays flat.

Usage: python bench/bench_fix.py [--out bench/results/fix.md] [--sizes 2500,5000,10000,100000]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SOURCE = "subtitles_wild/pbs__pycaption/example.srt"
OVERLAP_EVERY = 37
OVERLAP_MS = 400


def _clock(ms: int) -> str:
    h, r = divmod(ms, 3_600_000)
    m, r = divmod(r, 60_000)
    s, r = divmod(r, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{r:03d}"


def make_srt(n: int, data: Path = DEFAULT_DATA, overlap_every: int = OVERLAP_EVERY) -> str:
    """``n`` cues of real text (see the module doc), as SRT text."""
    from subpipe.formats import read_subtitles

    base = [c for c in read_subtitles(data / SOURCE).cues if any(x.strip() for x in c.lines)]
    period = base[-1].end_ms + 2000
    out = []
    prev_end = 0
    for k in range(n):
        c = base[k % len(base)]
        off = (k // len(base)) * period
        a, b = c.start_ms + off, c.end_ms + off
        if overlap_every and k % overlap_every == overlap_every - 1 and k:
            a = max(prev_end - OVERLAP_MS, 0)
            b = max(b, a + 1000)
        out.append(f"{k + 1}\n{_clock(a)} --> {_clock(b)}\n" + "\n".join(c.lines) + "\n")
        prev_end = b
    return "\n".join(out)


def _run(args: list[str]) -> tuple[float, float, float, int, int]:
    """Wall seconds, CPU seconds, peak RSS MB, exit code and stdout bytes of one subpipe command in a fresh
    process (CPU time as well as wall: on a shared machine wall time measures the neighbours too)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = ("import resource, sys; from subpipe.cli.app import cli\n"
            "try:\n    cli(sys.argv[1:], prog_name='subpipe')\nfinally:\n"
            "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
            "    sys.stderr.write(f'\\nPEAK_KB {r.ru_maxrss} CPU_S {r.ru_utime + r.ru_stime}\\n')\n")
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True)
    wall = time.perf_counter() - t0
    peak, cpu = 0, 0.0
    for line in p.stderr.decode(errors="replace").splitlines():
        if line.startswith("PEAK_KB "):
            peak, cpu = int(line.split()[1]), float(line.split()[3])
    return wall, cpu, peak / 1024, p.returncode, len(p.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--sizes", default="2500,5000,10000,100000")
    ap.add_argument("--work", type=Path, default=Path("/tmp/subpipe-bench-fix"))
    a = ap.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in (int(x) for x in a.sizes.split(",")):
        src = a.work / f"fix-{n}.srt"
        src.write_text(make_srt(n), encoding="utf-8")
        mb = src.stat().st_size / 1e6
        fw, fc, fp, frc, _ = _run(["fix", str(src), "-o", str(a.work / f"fixed-{n}.srt"), "--profile", "netflix-en"])
        cw, cc, cp, crc, cbytes = _run(["check", "--json", str(src)])
        rows.append((n, mb, fw, fc, fp, cw, cc, cp, cbytes))
        print(f"{n:>7} cues {mb:6.1f} MB  fix {fw:6.1f} s wall {fc:6.1f} s CPU {fp:6.0f} MB (rc {frc})  "
              f"check --json {cw:5.1f} s {cc:5.1f} s CPU {cp:6.0f} MB {cbytes / 1e6:6.2f} MB out (rc {crc})",
              flush=True)
    lines = ["# fix and check at scale", "",
             f"`python bench/bench_fix.py --sizes {a.sizes}` on {platform.machine()} "
             f"({os.cpu_count()} CPUs), Python {platform.python_version()}. Input: {SOURCE} tiled to N cues, "
             f"every {OVERLAP_EVERY}th cue overlapping the previous by {OVERLAP_MS} ms. Fresh process per "
             "command; peak = max resident set size.", "",
             "| cues | SRT MB | fix wall s | fix CPU s | fix peak MB | fix CPU µs/cue | check --json wall s | "
             "check CPU s | check peak MB | JSON MB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, mb, fw, fc, fp, cw, cc, cp, cbytes in rows:
        lines.append(f"| {n:,} | {mb:.1f} | {fw:.1f} | {fc:.1f} | {fp:.0f} | {fc / n * 1e6:.0f} | {cw:.1f} | "
                     f"{cc:.1f} | {cp:.0f} | {cbytes / 1e6:.2f} |")
    lines += ["", f"Load average when it ended: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs."]
    text = "\n".join(lines) + "\n"
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
