"""Subtitle files in and out for the QC commands (check, fix, retime, convert): read any format, write
any format with the writer's notes, fix and re-check what was written, resolve a profile against media.
The library side of ``subpipe check/fix/retime`` (``cli_rules.py`` only parses and renders)."""

from __future__ import annotations

from pathlib import Path

from ..errors import FormatError
from ..model import CueTrack
from .profiles import Profile


def read_track(path: Path, encoding: str | None = None) -> CueTrack:
    """Read any subtitle file (SRT, WebVTT, TTML/DFXP, SCC, spotting list) through the format registry;
    clear errors for bad encodings. Skipped blocks and notes are in ``track.metadata``."""
    from ..formats import read_subtitles

    return read_subtitles(path, encoding)


def write_track(track: CueTrack, out: Path, fps: str | None = None) -> list[str]:
    """Write ``track`` in the format of ``out``'s extension; returns the writer's notes."""
    from ..formats import format_for, write_subtitles
    from ..fsio import atomic_write_text

    text, notes = write_subtitles(track, format_for(out), fps=fps)
    atomic_write_text(out, text)
    return notes


def fix_file(src: Path, out: Path, profile: Profile, *, encoding: str | None = None,
             media_duration_ms: int | None = None, shot_changes_ms=None):
    """Read, fix, write, then re-read what was written and check it: the report's ``after`` is that of
    the bytes on disk. If the target format would make the fixed cues worse than the input (SCC moves
    and rewraps cues), the input's cues are written as they were instead, with a note. Returns a
    ``qc.FixResult`` whose track is the one read back."""
    from ..formats import read_subtitles, source_notes
    from .qc import FixResult, check_track, fix_track

    kw = {"media_duration_ms": media_duration_ms, "shot_changes_ms": shot_changes_ms}
    track = read_track(src, encoding)
    res = fix_track(track, profile, recheck=False, **kw)  # ``after`` is checked on the bytes written
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
    from ..audio import media
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
    from ..audio import media
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
    elif info is not None and media_path is not None and info.has_video and prof.shot_changes:
        cuts = media.scene_changes(media_path, threshold)
    return prof, duration, cuts
