"""Atomic file output: write to a temporary file in the same folder, fsync, then rename.

A reader (or a rerun after a crash) sees either the old file or the whole new one, never a part.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError, display_name  # noqa: F401 (display_name: the one rule, in errors)


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


# A temp file is ``.{name}.{pid}.{random}.part``; the writer holds an exclusive ``flock`` on it for as long as
# it lives, so whether a temp file is still owned is a question the kernel answers (a killed writer's lock is
# released with its process; a reused PID holds no lock), not a guess from its name.
_PART = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<rand>[A-Za-z0-9_]+)\.part(?:\.[A-Za-z0-9]{1,5})?$")
STALE_UNLOCKED_S = 60.0  # an unlocked temp file this old is stale even if its PID is alive (PID reuse)


def _lock(fd: int, *, blocking: bool = True) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: fall back to the PID in the name
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


@contextlib.contextmanager
def atomic_path(path: Path, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The temp file stays locked (``flock``) until it is renamed or removed, so ``sweep_stale_parts`` of
    another run never takes it for a leftover. On any failure (disk full included) it is removed and
    ``path`` is untouched. ``suffix`` ends the temp name (``.wav`` for a tool that picks its format by
    extension): the tool writes the very file that is renamed or removed.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part" + suffix, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror or exc})", path=path,
                          hint=_space_hint(exc)) from exc
    _lock(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, path)
        except OSError as exc:  # disk full, a folder where the file should go, ...
            raise OutputError(f"cannot write ({exc.strerror or exc})", path=path, hint=_space_hint(exc)) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
    finally:
        os.close(fd)


def _space_hint(exc: OSError) -> str | None:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full: free some space and run again (finished files are kept)"
    if exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long for this file system: rename the input or pass a shorter name"
    if exc.errno == errno.EROFS:
        return "the file system is read-only: choose another output folder with -o"
    return None


def is_temp_part(name: str) -> bool:
    return bool(_PART.match(name))


def sweep_stale_parts(folder: Path, *, recursive: bool = False) -> list[Path]:
    """Remove temporary files left by a writer that died mid-write; returns what was removed.

    Only names that are exactly ours (``.{name}.{pid}.{8 chars}.part``) are considered. A temp file is
    stale when no process holds its lock and either its PID is gone or it is older than a minute (the
    PID was reused). A live writer's file is locked, so it is never taken, whatever its name says.
    """
    import time

    removed: list[Path] = []
    folder = Path(folder)
    try:
        parts = list(folder.rglob(".*.part*") if recursive else folder.glob(".*.part*"))
    except OSError:
        return removed
    for part in parts:
        m = _PART.match(part.name)
        if not m or not part.is_file():
            continue
        try:
            fd = os.open(part, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if not _lock(fd, blocking=False):
                continue  # a live writer holds it
            pid = int(m.group("pid"))
            age = time.time() - os.fstat(fd).st_mtime
            if pid != os.getpid() and _alive(pid) and age < STALE_UNLOCKED_S:
                continue  # just created, lock not taken yet
            if pid == os.getpid() and age < STALE_UNLOCKED_S:
                continue
            with contextlib.suppress(OSError):
                part.unlink()
                removed.append(part)
        finally:
            os.close(fd)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- names from the wild
MAX_NAME_BYTES = 120  # an output stem this long leaves room for ".transcript.json" and a temp suffix (255 max)


def output_name(stem: str) -> str:
    """A file-system-safe output stem for a media file's stem: valid UTF-8, no more than MAX_NAME_BYTES bytes
    (a 250-character media name cannot have a 266-character transcript beside it), unique by a short hash of
    the original when it had to be changed."""
    raw = os.fsencode(stem)
    clean = raw.decode("utf-8", "replace").replace("\ufffd", "_").replace("/", "_")
    if clean == stem and len(raw) <= MAX_NAME_BYTES:
        return stem
    digest = hashlib.sha256(raw).hexdigest()[:8]
    cut = clean.encode("utf-8")[:MAX_NAME_BYTES - 9].decode("utf-8", "ignore")
    return f"{cut}-{digest}"


def atomic_write_text(path: Path, text: str | bytes) -> Path:
    """``text`` as UTF-8; bytes as they are (a binary subtitle format's writer, EBU-STL, gives bytes)."""
    with atomic_path(path) as tmp:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
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


def cache_dir() -> Path:
    """``$SUBPIPE_CACHE``, else ``$XDG_CACHE_HOME/subpipe``, else ``~/.cache/subpipe``."""
    env = os.environ.get("SUBPIPE_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "subpipe"
