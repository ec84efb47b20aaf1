"""Stage profile of `subpipe run` on one input (issue 25): cProfile's cumulative wall time of the main thread
for the subpipe and faster-whisper functions that take the most.

    python bench/stage_profile.py MEDIA OUT_DIR [--src SRC]   # SRC: a subpipe source tree to profile

The decoder replicas run in threads: their time shows where the main thread waits for them (the batched blocks).
An input of many short stretches: ``bench_long.build(path, 4.0, seed=12)`` (bench/results/long.md).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("media")
    ap.add_argument("out")
    ap.add_argument("--src", default=None, help="the subpipe source tree to import (default: the installed one)")
    ap.add_argument("--top", type=int, default=70)
    ap.add_argument("--cpu", action="store_true", help="process CPU time (every thread) instead of wall time")
    a = ap.parse_args()
    if a.src:
        sys.path.insert(0, a.src)
    from subpipe.cli.app import cli

    pr = cProfile.Profile(time.process_time) if a.cpu else cProfile.Profile()
    t0 = time.perf_counter()
    pr.enable()
    try:
        cli.main(["run", a.media, "-m", "base", "--no-index", "-o", a.out, "--force"], standalone_mode=False)
    except SystemExit:
        pass
    pr.disable()
    wall = time.perf_counter() - t0
    rows = {}
    for (f, _line, name), (_cc, nc, _tt, ct, _callers) in pstats.Stats(pr).stats.items():  # type: ignore[attr-defined]
        if "/subpipe/" in f or "faster_whisper" in f:
            short = f.split("/src/")[-1] if "/src/" in f else f.split("site-packages/")[-1]
            rows[f"{short}:{name}"] = (ct, nc)
    print(f"total wall {wall:.1f} s")
    for k, (ct, nc) in sorted(rows.items(), key=lambda kv: -kv[1][0])[: a.top]:
        print(f"{ct:8.2f} s {nc:6d}x  {k}")


if __name__ == "__main__":
    main()
