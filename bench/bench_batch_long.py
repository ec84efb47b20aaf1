"""Batch throughput on long files (issue 12): `subpipe batch` over several long inputs, -j 1 / -j 2 / -j auto.

Inputs: N long files built by bench/bench_long.py's ``build`` (../shared/data English speech with pauses and
the *Tears of Steel* M&E bed, (CC) Blender Foundation), different seeds so the files differ. Each
configuration is one ``subpipe batch`` child process in a fresh output folder (model load, decoding, subtitles
and the quote index included). Measured per configuration:

- wall seconds and audio seconds per wall second;
- CPU use: user + system seconds of the batch and all its worker processes (``os.wait4`` rusage), over wall
  seconds (2.0 = both cores busy all the time on a 2-core machine);
- peak RSS summed over the process tree (the driver and its workers), sampled from /proc every 0.2 s;
- the words: every configuration must give the same transcripts (checked, reported).

    python bench/bench_batch_long.py [--files 2] [--minutes 12] [--configs "1 --threads 2;2 --threads 1;auto"]
        [--out bench/results/batch.md]

The figures go into a "Long files" section of the output file (replaced on a rerun; the rest is kept).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

SECTION = "## Long files (issue 12)"


def tree_rss_mb(root: int, cpu: dict[int, float] | None = None) -> float:
    """RSS of ``root`` and every descendant, in MiB (from /proc); ``cpu`` gets each one's CPU seconds so far."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, float] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            fields = st.rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            ticks[int(d)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            with open(f"/proc/{d}/statm") as f:
                pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        pid = int(d)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        if cpu is not None and p in ticks:
            cpu[p] = max(cpu.get(p, 0.0), ticks[p])
        todo += children.get(p, [])
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(cmd: list[str], env: dict) -> dict:
    """Wall, CPU seconds (the process and its waited-for descendants) and summed peak RSS of one child."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0.0]
    done = threading.Event()
    cpu: dict[int, float] = {}

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_mb(proc.pid, cpu))
            done.wait(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        print(err[-3000:], file=sys.stderr)
    # wait4 counts the waited-for descendants; the /proc samples also see processes nobody waits for (Ray's)
    return {"wall": wall, "cpu": max(usage.ru_utime + usage.ru_stime, sum(cpu.values())), "rss_sum": peak[0],
            "rc": rc}


def run_config(files: list[Path], jobs: str, work: Path, model: str, extra: list[str]) -> dict:
    out = work / f"out-j{jobs}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-c", "import sys; from subpipe.cli.app import main; sys.argv[0] = 'subpipe'; main()",
           "-q", "batch", *map(str, files), "-o", str(out), "-m", model, "-j", jobs, *extra]
    r = measure(cmd, env)
    rep = json.loads((out / "run-report.json").read_text()) if r["rc"] == 0 else {}
    words = {}
    for res in rep.get("results", []):
        tpath = next(p for p in res["outputs"] if p.endswith(".transcript.json"))
        t = json.loads(Path(tpath).read_text())
        words[Path(res["media"]).name] = [(w["text"], w["start_ms"], w["end_ms"]) for w in t["words"]]
    r.update(jobs=jobs, workers=rep.get("workers"), threads=rep.get("threads"), plan=rep.get("plan"),
             words=words, report_rss=rep.get("peak_rss_mb"))
    return r


def diff(a: dict, b: dict) -> str:
    """How two runs' words differ, per file: words (text, start, end) not in the other run, and text only."""
    import difflib

    out = []
    for name in sorted(set(a) | set(b)):
        x, y = a.get(name, []), b.get(name, [])
        if x == y:
            continue
        changed = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in
                      difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes() if op != "equal")
        tx, ty = [w[0] for w in x], [w[0] for w in y]
        text = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in
                   difflib.SequenceMatcher(None, tx, ty, autojunk=False).get_opcodes() if op != "equal")
        out.append(f"{name} {changed} of {len(x)} words ({text} in text)")
    return "; ".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2)
    ap.add_argument("--minutes", type=float, default=12.0)
    ap.add_argument("--model", default="base")
    ap.add_argument("--configs", default="1 --threads 2;2 --threads 1;auto",
                    help="-j values, ';'-separated ('1 --threads 2' allowed)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "batch.md")
    a = ap.parse_args()
    from bench_long import build

    from subpipe.asr.models import resolve
    from subpipe.fsio import atomic_write_text

    resolve(a.model)
    rows = []
    with tempfile.TemporaryDirectory(prefix="subpipe-bench-batch-long-") as tmp:
        work = Path(tmp)
        files, audio_s = [], 0.0
        for k in range(a.files):
            f = work / f"long{k}.wav"
            _, secs = build(f, a.minutes, seed=100 + k)
            files.append(f)
            audio_s += secs
        print(f"{a.files} files, {audio_s / 60:.1f} min built", file=sys.stderr)
        for spec in a.configs.split(";"):
            jobs, *extra = spec.split()
            r = run_config(files, jobs, work, a.model, extra)
            r["label"] = f"-j {spec}"
            r["xrt"] = audio_s / r["wall"]
            print(f"  -j {spec}: {r['wall']:.1f} s, {r['xrt']:.1f}x real time, CPU {r['cpu'] / r['wall']:.2f}, "
                  f"peak RSS sum {r['rss_sum']:.0f} MiB, workers {r['workers']} x {r['threads']} threads, "
                  f"rc {r['rc']}", file=sys.stderr)
            rows.append(r)
    ref = rows[0]["words"]
    lines = [
        SECTION,
        "",
        f"`python bench/bench_batch_long.py --files {a.files} --minutes {a.minutes:g} --configs \"{a.configs}\"` "
        f"on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {a.files} files of {a.minutes:g} min "
        f"({audio_s / 60:.1f} min of audio, built like bench_long's `long12`), model `{a.model}`, CPU int8, "
        f"{os.cpu_count()} CPUs, load average at the end {os.getloadavg()[0]:.2f} (other work shared the machine). "
        "One `subpipe batch` process per row, model load and outputs included; CPU = user+system seconds of the "
        "batch and its workers over wall seconds; RSS summed over the driver and its workers (sampled every 0.2 s).",
        "",
        "| run | workers x threads | wall s | × real time | CPU use (cores) | peak RSS, sum (MiB) "
        "| same words as row 1 |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        same = ("yes" if r["words"] == ref and r["rc"] == 0
                else "failed" if r["rc"] else "**no**: " + diff(ref, r["words"]))
        lines.append(f"| `subpipe batch {r['label']}` | {r['workers']} x {r['threads'] or 'auto'} | {r['wall']:.1f} | "
                     f"{r['xrt']:.1f}× | {r['cpu'] / r['wall']:.2f} | {r['rss_sum']:.0f} | {same} |")
    autos = [r for r in rows if r["jobs"] == "auto" and r.get("plan")]
    if autos:
        lines += ["", f"`-j auto` chose: {autos[0]['plan']}"]
    section = "\n".join(lines) + "\n"
    old = a.out.read_text() if a.out.exists() else ""
    head = old.split(SECTION)[0].rstrip("\n")
    atomic_write_text(a.out, (head + "\n\n" if head else "") + section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
