"""Print the packages whose pinned version differs between two requirements files (the lock and a fresh resolution).

Usage: python scripts/lock_diff.py requirements/lock.txt other.txt
"""

from __future__ import annotations

import sys

from packaging.requirements import Requirement


def pins(path: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith(("#", "-", "--")):
            continue
        req = Requirement(line.rstrip("\\").strip())
        for spec in req.specifier:
            if spec.operator == "==":
                out.setdefault(req.name.lower().replace("_", "-"), set()).add(spec.version)
    return out


def main(a: str, b: str) -> int:
    old, new = pins(a), pins(b)
    moved = [(n, old.get(n), new.get(n)) for n in sorted(old.keys() | new.keys()) if old.get(n) != new.get(n)]
    print(f"{len(moved)} package(s) differ from {a}:")
    for name, was, now in moved:
        print(f"  {name}: {', '.join(sorted(was)) if was else '-'} -> {', '.join(sorted(now)) if now else '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
