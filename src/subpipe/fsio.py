"""Atomic file output: write to a temporary file in the same folder, fsync, then rename.

A reader (or a rerun after a crash) sees either the old file or the whole new one, never a part.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError


def ensure_writable_dir(folder: Path) -> Path:
    """Create ``folder`` if needed and prove it is writable, before any expensive work is done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".subpipe-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(
            f"output folder is not writable ({exc.strerror or exc})",
            path=folder,
            hint="choose another folder with -o, or fix its permissions",
        ) from exc
    return folder


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror or exc})", path=path) from exc
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, path)
        except OSError as exc:  # disk full, a folder where the file should go, ...
            raise OutputError(f"cannot write ({exc.strerror or exc})", path=path) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def sweep_stale_parts(folder: Path) -> None:
    """Remove temporary files left by a process that was killed mid-write (its PID is gone)."""
    for part in Path(folder).glob(".*.part"):
        bits = part.name.split(".")
        pid = next((int(b) for b in bits if b.isdigit()), None)
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue  # another run is writing it right now
        with contextlib.suppress(OSError):
            part.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return Path(path)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()
