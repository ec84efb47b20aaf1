"""`subpipe check`, `subpipe fix`, `subpipe retime`, `subpipe convert`: QC for anyone's subtitle files
(thin Click shell over ``subpipe.qc`` and ``subpipe.formats``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import FormatError, SubpipeError
from .model import CueTrack
from .profiles import COMMON_FPS, Profile

PROFILE_HELP = "Delivery profile: netflix-en, netflix-en-children, bbc, dcmp, web, or a .toml profile file."
FPS_HELP = f"Frame rate for the frame rules ({', '.join(COMMON_FPS)}); default: the media's, else 24."


# ---------------------------------------------------------------- shared helpers (library-facing)
def read_track(path: Path, encoding: str | None = None) -> CueTrack:
    """Read any subtitle file (SRT, WebVTT, TTML/DFXP, SCC, spotting list) through the format registry;
    clear errors for bad encodings. Skipped blocks and notes are in ``track.metadata``."""
    from .formats import read_subtitles

    return read_subtitles(path, encoding)


def write_track(track: CueTrack, out: Path, fps: str | None = None) -> list[str]:
    """Write ``track`` in the format of ``out``'s extension; returns the writer's notes."""
    from .formats import format_for, write_subtitles
    from .fsio import atomic_write_text

    text, notes = write_subtitles(track, format_for(out), fps=fps)
    atomic_write_text(out, text)
    return notes


def fix_file(src: Path, out: Path, profile: Profile, *, encoding: str | None = None,
             media_duration_ms: int | None = None, shot_changes_ms=None):
    """Read, fix, write, then re-read what was written and check it: the report's ``after`` is that of
    the bytes on disk. If the target format would make the fixed cues worse than the input (SCC moves
    and rewraps cues), the input's cues are written as they were instead, with a note. Returns a
    ``qc.FixResult`` whose track is the one read back."""
    from .formats import read_subtitles, source_notes
    from .qc import FixResult, check_track, fix_track

    kw = {"media_duration_ms": media_duration_ms, "shot_changes_ms": shot_changes_ms}
    track = read_track(src, encoding)
    res = fix_track(track, profile, **kw)
    notes = source_notes(track) + list(res.notes)
    wnotes = write_track(res.track, out)
    back = read_subtitles(out)
    after = check_track(back, profile, **kw)
    if len(after.errors) > len(res.before.errors):
        alt_notes = write_track(track, out)
        back2 = read_subtitles(out)
        after2 = check_track(back2, profile, **kw)
        if len(after2.errors) <= len(after.errors):
            notes.append(f"written in {out.suffix} the fixed cues had {len(after.errors)} errors, more than the "
                         f"input's {len(res.before.errors)}: the input's cues were written unchanged")
            back, after, wnotes = back2, after2, alt_notes
        else:
            write_track(res.track, out)
    notes += [f"{out.suffix.lstrip('.')}: {n}" for n in wnotes]
    return FixResult(back, res.before, after, tuple(notes))


def load_shot_changes(value: str | Path | None, fps, threshold: float | None = None,
                      ) -> tuple[int, ...] | None:
    """Cut times from a media file (ffmpeg scene score, cached) or a list of times (text or JSON)."""
    if value is None:
        return None
    from . import media
    from .qc import parse_shot_changes

    p = Path(value)
    if p.suffix.lower() in media.MEDIA_EXTENSIONS:
        return media.scene_changes(p, threshold or media.SCENE_THRESHOLD)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError("no such shot-change list", path=p) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read the shot-change list ({exc})", path=p) from None
    try:
        return parse_shot_changes(text, fps)
    except FormatError as exc:
        exc.path = str(p)
        raise


def resolve(profile: str, fps: str | None, media_path: Path | None, shot_changes: str | None,
            threshold: float) -> tuple[Profile, int | None, tuple[int, ...] | None]:
    """The profile at the right frame rate, the media's duration and the cut times."""
    from . import media
    from .profiles import get_profile

    duration = None
    cuts = None
    media_fps = None
    info = None
    if media_path is not None:
        info = media.probe(media_path)
        duration = info.duration_ms
        media_fps = media.fps_label(info.video_fps)
    prof = get_profile(profile, fps or media_fps)
    if shot_changes is not None:
        cuts = load_shot_changes(shot_changes, prof.fps, threshold)
    elif info is not None and info.has_video and prof.shot_changes:
        cuts = media.scene_changes(media_path, threshold)
    return prof, duration, cuts


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
    from .timecode import format_srt

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
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (one object per file).")
def check(files, profile, fps, media_path, shot_changes, scene_threshold, encoding, as_json):
    """Check subtitle FILES (.srt, .vtt, .ttml/.dfxp/.xml, .scc, spotting .csv) against a delivery profile.

    Lists every violation with its rule, cue number, time, value and limit, then a summary. Blocks the
    reader had to skip and a file with text but no readable cue are errors, with their line numbers.
    Exit code 1 when any file has a violation (warnings aside) or cannot be read.
    """
    from .qc import check_track

    prof, duration, cuts = resolve(profile, fps, media_path, shot_changes, scene_threshold)
    failed = False
    for path in files:
        try:
            track = read_track(path, encoding)
        except SubpipeError as exc:
            click.echo(f"error: {exc}", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            failed = True
            continue
        report = check_track(track, prof, media_duration_ms=duration, shot_changes_ms=cuts)
        from .formats import source_notes

        for note in source_notes(track):
            click.echo(f"note: {note}", err=True)
        failed |= not report.ok
        if as_json:
            click.echo(json.dumps({"file": str(path), **report.to_dict()}, ensure_ascii=False))
        else:
            _print_report(path, report)
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
    from .formats import format_for

    format_for(out)  # fail on a bad extension before any work
    prof, duration, cuts = resolve(profile, fps, media_path, shot_changes, scene_threshold)
    res = fix_file(file, out, prof, encoding=encoding, media_duration_ms=duration, shot_changes_ms=cuts)
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
    from .formats import format_for
    from .qc import change_fps, parse_offset, shift

    if (offset is None) == (from_fps is None and to_fps is None):
        raise click.UsageError("give either --offset, or --from-fps and --to-fps")
    if offset is None and (from_fps is None or to_fps is None):
        raise click.UsageError("--from-fps and --to-fps go together")
    from .formats import source_notes

    format_for(out)
    track = read_track(file, encoding)
    dropped = 0
    if offset is not None:
        track, dropped = shift(track, parse_offset(offset))
    else:
        track = change_fps(track, from_fps, to_fps)
    for note in source_notes(track) + write_track(track, out):
        click.echo(f"note: {note}", err=True)
    if not (obj or {}).get("quiet"):
        click.echo(f"wrote {out}: {len(track)} cues" + (f"; {dropped} dropped (before 0)" if dropped else ""))


# ---------------------------------------------------------------- convert
@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write; the format comes from the extension (.srt .vtt .ttml .dfxp .scc .csv .txt).")
@click.option("--to", "to_format", default=None, help="Output format, when the extension does not say.")
@click.option("--fps", default=None,
              help="Frame rate for frame-based formats: SCC in and out (29.97df, 29.97, 30), spotting lists.")
@click.option("--encoding", default=None, help="Text encoding of the input (default: a BOM, else UTF-8).")
@click.pass_obj
def convert(obj, file, out, to_format, fps, encoding):
    """Convert FILE to another subtitle format, keeping text, line breaks, styling and placement wherever
    the target can hold them; every thing it cannot keep is a note on stderr."""
    from .formats import convert as convert_file

    res = convert_file(file, out, to=to_format, fps=fps, encoding=encoding)
    for note in res.notes:
        click.echo(f"note: {note}", err=True)
    if not (obj or {}).get("quiet"):
        click.echo(f"wrote {out}: {len(res.track)} cues ({res.fmt})")
