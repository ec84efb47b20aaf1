"""Issue 26, manifests and output folders (items 8-11): what messy manifests and shared output folders do.

Real speech from ../shared/data, transcribed with tiny.en (the model does not matter here).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from click.testing import CliRunner

from subpipe import api
from subpipe.cli.app import cli

from conftest import shared

FAST = ("-m", "tiny.en", "--speakers", "off", "--timing", "fast")


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def report(out: Path) -> dict:
    return json.loads((out / "run-report.json").read_text())


def test_bom_manifests_and_a_duplicate_row(tmp_path):
    """8: CSV and JSON-lines manifests saved with a UTF-8 BOM; 11: a row repeated is transcribed once."""
    media = tmp_path / "media"
    media.mkdir()
    shutil.copy(shared("jfk/jfk.flac"), media / "jfk.flac")
    shutil.copy(shared("librispeech/1995-1837-0001.wav"), media / "reader.wav")
    csv = tmp_path / "jobs.csv"
    csv.write_bytes(b"\xef\xbb\xbfpath,language\r\nmedia/jfk.flac,en\r\nmedia/jfk.flac,en\r\n")
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_bytes(b'\xef\xbb\xbf{"path": "media/reader.wav", "language": "en"}\n')
    out = tmp_path / "out"
    res = invoke("batch", csv, jsonl, "-o", out, "-j", "1", *FAST)
    assert res.exit_code == 0, res.output
    rep = report(out)
    assert [Path(r["media"]).name for r in rep["results"]] == ["jfk.flac", "reader.wav"]
    assert all(r["words"] > 10 for r in rep["results"])
    jfk = rep["results"][0]
    assert "jobs.csv row 3 repeats jobs.csv row 2 (same file, same options): processed once" in jfk["notes"]
    assert "processed once" in res.output  # on screen too
    assert sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")) == ["jfk", "reader"]


def test_manifest_rows_with_extra_fields_or_bad_values_are_named(tmp_path):
    """9: one clear line naming the manifest and the row, never Python's own message."""
    jfk = shared("jfk/jfk.flac")
    wide = tmp_path / "wide.csv"
    wide.write_text(f"path,language\n{jfk},en\n{jfk},en,extra,more\n")
    res = invoke("batch", wide, "-o", tmp_path / "out", *FAST)
    assert res.exit_code == 1
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {wide}: row 3 has 4 fields, the header has 2"], res.output
    assert "NoneType" not in res.output and "sequence item" not in res.output

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"path": str(jfk)}) + "\n" + json.dumps({"path": str(jfk), "speakers": "zero"}) + "\n")
    res = invoke("batch", bad, "-o", tmp_path / "out", *FAST)
    assert res.exit_code == 1
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: {bad}: row 2: ") and "'zero'" in errors[0], res.output
    assert not (tmp_path / "out" / "jfk").exists()  # refused before any work


def test_same_stem_across_runs_and_a_busy_output_folder(tmp_path):
    """10: batch/a.flac then batch/sub/a.wav into one folder: two folders, a note, the first kept; a rerun
    finds its folder again; a second run while one is writing is refused with one line."""
    (tmp_path / "batch" / "sub").mkdir(parents=True)
    first, second = tmp_path / "batch" / "a.flac", tmp_path / "batch" / "sub" / "a.wav"
    shutil.copy(shared("jfk/jfk.flac"), first)
    shutil.copy(shared("librispeech/1995-1837-0001.wav"), second)
    out = tmp_path / "out"
    assert invoke("run", first, "-o", out, *FAST).exit_code == 0
    jfk_words = (out / "a" / "a.srt").read_text()
    assert "country" in jfk_words
    res = invoke("run", second, "-o", out, *FAST)
    assert res.exit_code == 0, res.output
    assert (out / "a" / "a.srt").read_text() == jfk_words  # not overwritten
    t = json.loads((out / "a-wav" / "a-wav.transcript.json").read_text())
    assert t["provenance"]["media"]["name"] == "a.wav" and len(t["words"]) > 10
    assert "go to a-wav/" in res.output and str(first.resolve()) in res.output
    media = {Path(m.path).name for m in api.quotes_media(db=out / "quotes.db")}
    assert media == {"a.flac", "a.wav"}

    # the rerun of each lands in its own folder again (nothing transcribed)
    res = invoke("run", second, "-o", out, *FAST)
    assert res.exit_code == 0 and "transcript reused" in res.output and "a-wav" in res.output
    assert invoke("run", first, "-o", out, *FAST).exit_code == 0
    assert report(out)["results"][0]["transcript_reused"] and (out / "a" / "a.srt").read_text() == jfk_words

    # a second run into the folder while this one writes: refused at once, the first run's report kept
    seen = []

    def listener(kind, result, totals):
        if kind == "planned":
            seen.append(invoke("run", second, "-o", out, *FAST))

    rep = api.run([first], api.BatchOptions(output=out, transcribe=api.TranscribeOptions(model="tiny.en"),
                                            speakers="off", timing="fast"), listener=listener)
    assert not rep.failed
    refused = seen[0]
    assert refused.exit_code == 1
    errors = [line for line in refused.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {out}: another subpipe run is writing to this output folder (pid {os.getpid()})"]
    assert Path(report(out)["results"][0]["media"]).name == "a.flac"


def test_same_content_under_a_second_name_keeps_the_first_title(tmp_path):
    """11: the same recording indexed again under another name does not silently retitle the first."""
    a, b = tmp_path / "interview.flac", tmp_path / "copy-for-editor.flac"
    shutil.copy(shared("jfk/jfk.flac"), a)
    shutil.copy(a, b)
    out = tmp_path / "out"
    assert invoke("run", a, "-o", out, *FAST).exit_code == 0
    res = invoke("run", b, "-o", out, *FAST)
    assert res.exit_code == 0, res.output
    rows = api.quotes_media(db=out / "quotes.db")
    assert [(r.title, Path(r.path).name) for r in rows] == [("interview", "interview.flac")]
    assert "already holds this content as" in res.output and "kept that title" in res.output
    hits = api.quotes_search("ask not", db=out / "quotes.db")
    assert hits and {h.title for h in hits} == {"interview"}


def test_a_moved_original_lets_the_new_name_take_over(tmp_path):
    """11, the other side: when the first path is gone (the file was renamed), the new name is the title."""
    a = tmp_path / "interview.flac"
    shutil.copy(shared("jfk/jfk.flac"), a)
    out = tmp_path / "out"
    assert invoke("run", a, "-o", out, *FAST).exit_code == 0
    b = a.rename(tmp_path / "renamed.flac")
    assert invoke("run", b, "-o", out, *FAST).exit_code == 0
    rows = api.quotes_media(db=out / "quotes.db")
    assert [(r.title, Path(r.path).name) for r in rows] == [("renamed", "renamed.flac")]


def test_same_stem_in_one_run_gets_two_folders_and_a_note(tmp_path):
    """10, within one run: both files kept apart, and each says where its outputs went."""
    from subpipe.jobs.manifest import collect
    from subpipe.jobs.pipeline import RunOptions

    (tmp_path / "batch" / "sub").mkdir(parents=True)
    a, b = tmp_path / "batch" / "a.flac", tmp_path / "batch" / "sub" / "a.wav"
    shutil.copy(shared("jfk/jfk.flac"), a)
    shutil.copy(shared("librispeech/1995-1837-0001.wav"), b)
    items = collect([tmp_path / "batch"], RunOptions())
    assert [(i.media.name, i.name) for i in items] == [("a.flac", "a-flac"), ("a.wav", "a-wav")]
    assert all(len(i.notes) == 1 and f"go to {i.name}/" in i.notes[0] for i in items)
