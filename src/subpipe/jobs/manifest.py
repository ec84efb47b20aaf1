"""What a batch is asked to do: manifests (CSV, JSON lines), folders and files -> items with output names.

Every problem with a manifest is one line that names the manifest and the row. A file listed twice with the
same options is processed once (a note says which rows), and inputs that share a stem get distinct output
folders (``unique_names``; across runs, ``outdirs.assign``).
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..asr.transcribe import read_glossary
from ..errors import SubpipeError
from ..fsio import display_name
from .pipeline import RunOptions, expand_inputs, unique_names

log = logging.getLogger("subpipe")

MANIFEST_EXTENSIONS = (".csv", ".jsonl", ".ndjson")
# Per-file options a manifest may set, and how they apply to RunOptions / TranscribeOptions.
_TRANSCRIBE_KEYS = {"language", "task", "model", "initial_prompt"}
_RUN_KEYS = {"profile", "fps", "audio_stream", "dialogue"}
_OTHER_KEYS = {"glossary", "script", "speakers", "speaker_samples"}


@dataclass(frozen=True)
class Item:
    """One media file to process, with the options that apply to it."""

    media: Path
    options: RunOptions
    name: str = ""
    origin: str = ""  # where it was asked for: "jobs.csv row 3" (manifests), else the path as given
    notes: tuple[str, ...] = ()  # what collecting decided for it (a duplicate dropped, a folder renamed)


def _read_text(path: Path) -> str:
    try:  # utf-8-sig: a BOM (Excel, Notepad) is not part of the first column's name
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SubpipeError(f"cannot read manifest ({exc.strerror})", path=path) from exc
    except UnicodeDecodeError as exc:
        raise SubpipeError(f"manifest is not UTF-8 text (byte {exc.start})", path=path,
                           hint="save it as UTF-8 (CSV UTF-8 in a spreadsheet)") from None


def _csv_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "path" not in [f.strip() for f in reader.fieldnames]:
        raise SubpipeError("manifest CSV needs a header row with a 'path' column", path=path)
    width = len(reader.fieldnames)
    rows = []
    for row in reader:
        n = reader.line_num
        extra = row.pop(None, None)  # type: ignore[call-overload]
        if extra:
            raise SubpipeError(f"row {n} has {width + len(extra)} fields, the header has {width}", path=path,
                               hint="quote values that hold a comma, or add the column to the header")
        rows.append((n, {str(k).strip(): v for k, v in row.items()}))
    return rows


def _jsonl_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SubpipeError(f"line {n} is not JSON ({exc.msg})", path=path) from None
        if not isinstance(row, dict) or "path" not in row:
            raise SubpipeError(f"line {n} has no 'path'", path=path)
        rows.append((n, row))
    return rows


def read_manifest(path: Path, base: RunOptions) -> list[Item]:
    """CSV (header row; a ``path`` column) or JSON lines (``{"path": ...}``), with per-file options:
    language, task, model, initial_prompt, glossary (a file), script (a file to align instead of
    transcribing), profile, fps, audio_stream, dialogue, speakers (auto|N|off), speaker_samples
    ("NAME=FILE; NAME=FILE": voices that name the speakers).
    Relative paths are relative to the manifest's folder. A UTF-8 BOM is allowed."""
    path = Path(path)
    text = _read_text(path)
    rows = _csv_rows(text, path) if path.suffix.lower() == ".csv" else _jsonl_rows(text, path)
    items = []
    for n, row in rows:
        if not isinstance(row.get("path"), str) or not row["path"].strip():
            raise SubpipeError(f"row {n}: 'path' must be a file name", path=path)
        try:
            opts = _apply(base, {k: v for k, v in row.items() if k != "path" and v not in (None, "")}, path.parent)
        except (TypeError, ValueError) as exc:
            raise SubpipeError(f"row {n}: {exc}", path=path) from None
        except SubpipeError as exc:  # a bad value (speakers=zero): the row it is on
            raise SubpipeError(f"row {n}: {exc}", path=path, hint=exc.hint) from None
        media = Path(row["path"].strip())
        items.append(Item(media if media.is_absolute() else path.parent / media, opts,
                          origin=f"{display_name(path.name)} row {n}"))
    return items


def _apply(base: RunOptions, overrides: dict[str, Any], root: Path) -> RunOptions:
    t = base.transcribe
    tkw = {k: v for k, v in overrides.items() if k in _TRANSCRIBE_KEYS}
    if "glossary" in overrides:
        g = Path(overrides["glossary"])
        tkw["glossary"] = read_glossary(g if g.is_absolute() else root / g)
    rkw: dict[str, Any] = {k: v for k, v in overrides.items() if k in _RUN_KEYS}
    if "audio_stream" in rkw:
        try:
            rkw["audio_stream"] = int(rkw["audio_stream"])
        except ValueError:
            raise ValueError(f"audio_stream must be a number, not {rkw['audio_stream']!r}") from None
    if "script" in overrides:
        sp = Path(overrides["script"])
        rkw["script"] = str(sp if sp.is_absolute() else root / sp)
    if "speakers" in overrides or "speaker_samples" in overrides:  # speaker labels (diarize.py)
        from ..speakers.diarize import parse_mode, parse_samples

        if "speakers" in overrides:
            rkw["speakers"] = parse_mode(str(overrides["speakers"]))
        if "speaker_samples" in overrides:  # "NAME=FILE; NAME=FILE", relative to the manifest
            vals = [v.strip() for v in str(overrides["speaker_samples"]).split(";") if v.strip()]
            rkw["speaker_samples"] = base.speaker_samples + parse_samples(vals, root=root)
    unknown = set(overrides) - _TRANSCRIBE_KEYS - _RUN_KEYS - _OTHER_KEYS
    if unknown:
        log.warning("manifest: ignoring unknown columns %s", ", ".join(sorted(unknown)))
    return replace(base, transcribe=replace(t, **tkw), **rkw)


def _key(media: Path) -> str:
    try:
        return str(media.resolve())
    except OSError:
        return str(media)


def drop_duplicates(items: Sequence[Item]) -> list[Item]:
    """A file asked for twice with the same options is processed once; the kept item gets a note naming the
    repeats (and it goes to the log). The same file with other options (another language) stays."""
    kept: list[Item] = []
    keys: list[tuple[str, RunOptions]] = []  # compared with ==: options need not be hashable
    for it in items:
        k = (_key(it.media), it.options)
        if k in keys:
            i = keys.index(k)
            note = (f"{it.origin or display_name(it.media)} repeats {kept[i].origin or display_name(kept[i].media)}"
                    f" (same file, same options): processed once")
            log.warning("%s", note)
            kept[i] = replace(kept[i], notes=kept[i].notes + (note,))
            continue
        keys.append(k)
        kept.append(it)
    return kept


def collect(inputs: Sequence[Path], base: RunOptions) -> list[Item]:
    """Files, folders (recursive, by media extension) and manifests -> items with unique output names;
    duplicates dropped (``drop_duplicates``); a name changed because of another input's stem gets a note."""
    items: list[Item] = []
    for inp in inputs:
        inp = Path(inp)
        if inp.is_file() and inp.suffix.lower() in MANIFEST_EXTENSIONS:
            items += read_manifest(inp, base)
        else:
            items += [Item(p, base, origin=display_name(p)) for p in expand_inputs([inp])]
    items = drop_duplicates(items)
    names = unique_names([i.media for i in items])
    out = []
    for it, name in zip(items, names, strict=True):
        if name != it.media.stem:
            others = [display_name(o.media) for o in items if o is not it and o.media.stem == it.media.stem]
            if others:
                note = (f"another input has the stem {it.media.stem!r} ({', '.join(others[:3])}): "
                        f"outputs of {display_name(it.media)} go to {name}/")
                it = replace(it, notes=it.notes + (note,))
        out.append(replace(it, name=name))
    return out
