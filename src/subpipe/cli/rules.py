"""`subpipe check`, `subpipe fix`, `subpipe retime`, `subpipe convert`: QC for anyone's subtitle files
(parse, one ``subpipe.api`` call, render; the library side is ``rules.py``, ``qc.py`` and ``formats/``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..subtitling.profiles import COMMON_FPS
from ..subtitling.rules import fix_file, load_shot_changes, read_track, resolve, write_track  # noqa: F401 (re-exported)

PROFILE_HELP = "Delivery profile: netflix-en, netflix-en-children, bbc, dcmp, web, or a .toml profile file."
FPS_HELP = f"Frame rate for the frame rules ({', '.join(COMMON_FPS)}); default: the media's, else 24."


def common_options(f):
    opts = [
        click.option("--profile", default="netflix-en", show_default=True, help=PROFILE_HELP),
        click.option("--fps", default=None, help=FPS_HELP),
        click.option("--media", "media_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="The media the subtitles belong to: its duration, frame rate and shot changes."),
        click.option("--shot-changes", default=None,
                     help="Cut times: a media file (detected with ffmpeg's scene score) or a list of times "
                          "(seconds, HH:MM:SS.mmm or SMPTE per line, or a JSON list of ms)."),
        click.option("--scene-threshold", type=click.FloatRange(0.01, 0.99), default=0.3, show_default=True,
                     help="ffmpeg scene score above which a frame is a shot change."),
        click.option("--encoding", default=None, help="Text encoding of the input (default UTF-8)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _print_report(path: Path, report) -> None:
    from ..timecode import format_srt

    click.echo(f"{path}: profile {report.profile} at {report.fps} fps, {report.cues} cues")
    for v in report.violations:
        tag = "" if v.severity == "error" else " (warning)"
        click.echo(f"  cue {v.cue:>4}  {format_srt(max(v.start_ms, 0))}  {v.rule:<20} {v.message}{tag}")
    for note in report.notes:
        click.echo(f"  note: {note}")
    summary = ", ".join(f"{k} {n}" for k, n in report.summary().items()) or "none"
    click.echo(f"  {report.passed} of {report.cues} cues pass ({report.compliance:.1%}); "
               f"violations: {summary}")


# ---------------------------------------------------------------- check
@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@common_options
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON (one object per file, one line each), written as it is made.")
@click.option("--max-per-rule", type=click.IntRange(0), default=100, show_default=True,
              help="With --json: list at most this many violations of one rule, count the rest under "
                   "\"omitted\" (0: list all).")
def check(files, profile, fps, media_path, shot_changes, scene_threshold, encoding, as_json, max_per_rule):
    """Check subtitle FILES (.srt, .vtt, .ttml/.dfxp/.xml, .scc, spotting .csv, .ass/.ssa, .stl, .itt) against a
    delivery profile.

    Lists every violation with its rule, cue number, time, value and limit, then a summary. Blocks the
    reader had to skip and a file with text but no readable cue are errors, with their line numbers.
    Exit code 1 when any file has a violation (warnings aside) or cannot be read.
    """
    from .. import api

    failed = False
    kw = {"profile": profile, "fps": fps, "media": media_path, "shot_changes": shot_changes,
          "scene_threshold": scene_threshold, "encoding": encoding}
    if as_json:  # streamed: the report of a file of any size, never held whole
        for res in api.check_json(list(files), sys.stdout, max_per_rule=max_per_rule, **kw):
            if res.error is not None:
                click.echo(f"error: {res.error}", err=True)
                if res.error.hint:
                    click.echo(f"hint: {res.error.hint}", err=True)
            for note in res.notes:
                click.echo(f"note: {note}", err=True)
            failed |= not res.ok
        if failed:
            sys.exit(1)
        return
    for res in api.check(list(files), **kw):
        if res.error is not None:
            click.echo(f"error: {res.error}", err=True)
            if res.error.hint:
                click.echo(f"hint: {res.error.hint}", err=True)
            failed = True
            continue
        for note in res.notes:
            click.echo(f"note: {note}", err=True)
        failed |= not res.ok
        _print_report(res.path, res.report)
    if failed:
        sys.exit(1)


# ---------------------------------------------------------------- fix
@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write; the format comes from the extension.")
@common_options
@click.option("--strict", is_flag=True, help="Exit 1 when something could not be fixed.")
@click.option("--json", "as_json", is_flag=True, help="Print what could not be fixed as JSON.")
@click.pass_obj
def fix(obj, file, out, profile, fps, media_path, shot_changes, scene_threshold, encoding, strict, as_json):
    """Re-break and re-time FILE to a profile without changing its words; report what could not be fixed."""
    from .. import api

    res = api.fix(file, out, profile=profile, fps=fps, media=media_path, shot_changes=shot_changes,
                  scene_threshold=scene_threshold, encoding=encoding)
    for note in res.notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        click.echo(json.dumps({"file": str(file), "output": str(out), "before": res.before.to_dict(),
                               "after": res.after.to_dict(), "notes": list(res.notes)}, ensure_ascii=False))
    elif not (obj or {}).get("quiet"):
        click.echo(f"wrote {out}: {len(res.track)} cues; violations {len(res.before.errors)} before, "
                   f"{len(res.after.errors)} after (re-read from the file written)")
        if res.after.violations:
            click.echo("could not fix:")
            _print_report(out, res.after)
    if strict and not res.after.ok:
        sys.exit(1)


# ---------------------------------------------------------------- retime
@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write; the format comes from the extension.")
@click.option("--offset", default=None, help="Shift every cue, e.g. +1.5, -2s, 250ms, -00:00:01,500.")
@click.option("--from-fps", default=None, help="Frame rate the subtitles were timed for (e.g. 23.976).")
@click.option("--to-fps", default=None, help="Frame rate of the new media (e.g. 25 for a PAL speed-up).")
@click.option("--encoding", default=None, help="Text encoding of the input (default UTF-8).")
@click.pass_obj
def retime(obj, file, out, offset, from_fps, to_fps, encoding):
    """Shift FILE by an offset, or convert it between frame rates (23.976 -> 25 speed-up)."""
    from .. import api
    from ..errors import UsageError

    try:
        res = api.retime(file, out, offset=offset, from_fps=from_fps, to_fps=to_fps, encoding=encoding)
    except UsageError as exc:
        raise click.UsageError(exc.message.replace("from_fps", "--from-fps").replace("to_fps", "--to-fps")
                               .replace("an offset", "--offset")) from None
    for note in res.notes:
        click.echo(f"note: {note}", err=True)
    if not (obj or {}).get("quiet"):
        dropped = f"; {res.dropped} dropped (before 0)" if res.dropped else ""
        click.echo(f"wrote {out}: {len(res.track)} cues{dropped}")


# ---------------------------------------------------------------- convert
@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write; the format comes from the extension (.srt .vtt .ttml .dfxp .scc .csv .txt "
                   ".ass .ssa .stl .itt).")
@click.option("--to", "to_format", default=None, help="Output format, when the extension does not say.")
@click.option("--fps", default=None,
              help="Frame rate for frame-based formats: SCC in and out (29.97df, 29.97, 30), spotting lists, "
                   "EBU-STL (25, 29.97...) and iTT out.")
@click.option("--encoding", default=None, help="Text encoding of the input (default: a BOM, else UTF-8).")
@click.option("--start-tc", default=None,
              help="SCC out: the programme start timecode media time 0 is written at (01:00:00;00, as "
                   "broadcast masters use); the first caption loads before it instead of showing late.")
@click.pass_obj
def convert(obj, file, out, to_format, fps, encoding, start_tc):
    """Convert FILE to another subtitle format, keeping text, line breaks, styling and placement wherever
    the target can hold them; every thing it cannot keep is a note on stderr."""
    from .. import api

    res = api.convert(file, out, to=to_format, fps=fps, encoding=encoding, start_tc=start_tc)
    for note in res.notes:
        click.echo(f"note: {note}", err=True)
    if not (obj or {}).get("quiet"):
        click.echo(f"wrote {out}: {len(res.track)} cues ({res.fmt})")
