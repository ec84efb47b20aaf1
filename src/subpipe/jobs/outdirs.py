"""One output folder per media file, for good: who owns ``out/<name>/``, and one run at a time per output root.

A finished file leaves ``.<name>.source.json`` (its media's path and SHA-256) in its folder. A later run that
would write another file's outputs there (``batch/sub/a.wav`` after ``batch/a.flac``: both ``a``) takes the
next free name instead (``a-wav``, ``a-wav-2``, ...) with a note, and finds that folder again on its rerun.
Folders from before these markers are told apart by the media name their transcript records.

``run_lock`` holds an exclusive ``flock`` on ``<out>/.subpipe/run.lock`` for the whole run: a second run into
the same folder is refused at once with a one-line error (the kernel drops the lock when a run dies).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import OutputError
from ..fsio import atomic_write_text, display_name, output_name, sha256_file
from .manifest import Item

log = logging.getLogger("subpipe")

LOCK_NAME = "run.lock"


@contextlib.contextmanager
def run_lock(out_root: Path) -> Iterator[Path]:
    """Hold ``<out_root>/.subpipe/run.lock`` (exclusive, non-blocking) while the block runs."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock (as fsio's temp files)
        yield Path(out_root) / ".subpipe" / LOCK_NAME
        return
    folder = Path(out_root) / ".subpipe"
    path = folder / LOCK_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"cannot create the run lock ({exc.strerror or exc})", path=path) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            raise OutputError(
                f"another subpipe run is writing to this output folder{f' (pid {holder})' if holder else ''}",
                path=out_root, hint="wait for it to finish, or give another folder with -o") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock


def _marker(folder: Path, name: str) -> Path:
    return folder / f".{name}.source.json"


def claim(folder: Path, name: str, media: Path, sha256: str) -> None:
    """Record that ``folder`` holds ``media``'s outputs (written after a file finishes)."""
    data = {"media": display_name(_resolved(media)), "sha256": sha256}
    m = _marker(folder, name)
    try:
        if m.is_file() and json.loads(m.read_text(encoding="utf-8")) == data:
            return
    except (OSError, ValueError):
        pass
    atomic_write_text(m, json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")


def _resolved(p: Path) -> Path:
    try:
        return Path(p).resolve()
    except OSError:
        return Path(p)


def owner(folder: Path, name: str) -> dict | None:
    """Who the folder's outputs belong to: {"media": path, "sha256": ...}, {"name": media name} for a folder
    from before the markers, or None when it holds no outputs."""
    m = _marker(folder, name)
    if m.is_file():
        try:
            data = json.loads(m.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
        except (OSError, ValueError):
            pass
    t = folder / f"{name}.transcript.json"
    if t.is_file():
        try:
            prov = json.loads(t.read_text(encoding="utf-8")).get("provenance") or {}
            return {"name": (prov.get("media") or {}).get("name")}
        except (OSError, ValueError, AttributeError):
            return {"name": None}
    return None


def _is_mine(who: dict | None, media: Path) -> bool:
    if who is None:
        return True
    if "media" in who:
        if who["media"] == display_name(_resolved(media)):
            return True
        try:  # the same content moved or renamed: its folder still
            return bool(who.get("sha256")) and media.is_file() and sha256_file(media) == who["sha256"]
        except OSError:
            return False
    return who.get("name") in (None, media.name)


def _candidates(name: str, media: Path) -> Iterator[str]:
    yield name
    ext = media.suffix.lstrip(".").lower()
    base = name if not ext or name.endswith(f"-{ext}") else output_name(f"{name}-{ext}")
    if base != name:
        yield base
    k = 2
    while True:
        yield f"{base}-{k}"
        k += 1


def assign(items: Sequence[Item], out_root: Path) -> list[Item]:
    """Each item's output folder: its name unless that folder holds another media file's outputs, then the
    next free one (a note says so). Names other items of this run use are never taken."""
    used = {it.name for it in items}
    out = []
    for it in items:
        chosen = it.name
        for cand in _candidates(it.name, it.media):
            if cand != it.name and cand in used:
                continue
            if _is_mine(owner(Path(out_root) / cand, cand), it.media):
                chosen = cand
                break
        if chosen != it.name:
            who = owner(Path(out_root) / it.name, it.name) or {}
            note = (f"{display_name(Path(out_root) / it.name)}/ holds the outputs of "
                    f"{who.get('media') or who.get('name') or 'another file'}: outputs of "
                    f"{display_name(it.media)} go to {chosen}/")
            log.warning("%s", note)
            used.add(chosen)
            it = replace(it, name=chosen, notes=it.notes + (note,))
        out.append(it)
    return out
