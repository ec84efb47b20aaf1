#!/usr/bin/env python3
"""Regenerate the golden files in tests/golden/ from tests/golden/track.json (run it only on purpose:
the tests compare every writer's output with these files, so a diff here is a change people will see).

    python scripts/regen_golden.py          # rewrite the files
    python scripts/regen_golden.py --check  # exit 1 and show a diff if any file would change
"""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
sys.path.insert(0, str(ROOT / "src"))

from subpipe.formats import SUBTITLE_FORMATS  # noqa: E402
from subpipe.fsio import atomic_write_text  # noqa: E402
from subpipe.model import Cue, CueTrack  # noqa: E402

# format name -> golden file name
FILES = {"srt": "golden.srt", "vtt": "golden.vtt", "ttml": "golden.ttml", "scc": "golden.scc",
         "csv": "golden.csv", "txt": "golden.txt", "timecoded": "golden.timecoded.txt",
         "ass": "golden.ass", "ssa": "golden.ssa", "itt": "golden.itt", "stl": "golden.stl"}


def golden_track() -> CueTrack:
    d = json.loads((GOLDEN / "track.json").read_text(encoding="utf-8"))
    return CueTrack.of([Cue(a, b, tuple(lines)) for a, b, lines in d["cues"]], language=d["language"],
                       metadata={"profile": {"fps": d["fps"]}})


def render() -> dict[str, str | bytes]:
    """Golden file name -> what the writers produce now (bytes for EBU-STL)."""
    track = golden_track()
    logging.getLogger("subpipe").setLevel(logging.ERROR)  # SCC reports its rewrap and delay on purpose
    return {FILES[name]: SUBTITLE_FORMATS[name].dumps(track) for name in FILES}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 on any difference")
    args = ap.parse_args(argv)
    changed = 0
    for name, text in render().items():
        path = GOLDEN / name
        binary = isinstance(text, bytes)
        old = (path.read_bytes() if binary else path.read_text(encoding="utf-8")) if path.exists() else ""
        if old == text:
            continue
        changed += 1
        if args.check and binary:
            print(f"{name}: the bytes differ")
        elif args.check:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                       f"a/{name}", f"b/{name}"))
        else:
            atomic_write_text(path, text)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and changed:
        print(f"{changed} golden file(s) differ; run scripts/regen_golden.py if the change is intended")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
