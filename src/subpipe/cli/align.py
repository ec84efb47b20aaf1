"""CLI: `subpipe align` (a known script timed to media) and `subpipe conform` (old subtitles, new cut).

``register(group, shell)`` adds the commands to the main group; ``shell`` is the cli module, whose
shared option decorators they use (passed in, so `python -m subpipe.cli` has no import cycle).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import click

from ..errors import AlignmentError

_REFINE = click.option("--refine", type=click.Choice(["auto", "phones", "energy", "none"]), default="auto",
                       show_default=True,
                       help="Sharpen Whisper's word boundaries: phones (pocketsphinx phone-level alignment, "
                            "English), energy (trim silence off word edges), auto (phones for English, else "
                            "energy), none.")
def _fps_rate(ctx, param, value):
    """The project's one frame-rate grammar (timecode.FrameRate.parse), as a float for conform's shifts."""
    if value is None:
        return None
    from ..errors import FormatError
    from ..timecode import FrameRate

    try:
        return float(FrameRate.parse(value).rate)
    except FormatError as exc:
        raise click.BadParameter(f"{exc.message} ({exc.hint})") from None


_ENCODING = click.option("--encoding", default=None,
                         help="Text encoding of the script or subtitles (default: a BOM, else UTF-8), e.g. cp1252.")
_STRICT = click.option("--strict", is_flag=True,
                       help="Fail (exit 1, nothing written) when the script and the audio differ.")


@contextmanager
def _details_on_stderr():
    """A --strict failure's mismatches, one per line on stderr, before the error itself."""
    try:
        yield
    except AlignmentError as exc:
        for line in getattr(exc, "details", ()):
            click.echo(f"mismatch: {line}", err=True)
        raise


def register(group: click.Group, shell: ModuleType) -> None:
    """Add `align` and `conform` to ``group``."""
    transcribe_options, media_options = shell.transcribe_options, shell.media_options
    _topts, _Bar = shell._topts, shell._Bar

    def _align_options(refine: str, topts: dict):
        from ..alignment import AlignOptions

        return AlignOptions(transcribe=_topts(**topts), refine=refine)

    @click.command("align")
    @click.argument("media", type=click.Path(path_type=Path))
    @click.option("--script", "script_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The words: plain text, SRT, WebVTT or a transcript JSON.")
    @click.option("--script-format", type=click.Choice(["auto", "text", "srt", "vtt", "transcript"]),
                  default="auto", show_default=True, help="How to read --script (auto: from its extension).")
    @click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="Transcript JSON to write: the script's words, each with its start and end.")
    @_ENCODING
    @_STRICT
    @_REFINE
    @transcribe_options
    @media_options
    @click.pass_obj
    def align_cmd(obj, media, script_path, script_format, out, encoding, strict, refine, audio_stream, dialogue,
                  **topts):
        """Time the words of a script the editor already has (--script) against MEDIA.

        Every script word comes out exactly as written, in order, with a start and an end. Script
        passages not heard in the audio and speech the script lacks are listed (and fail --strict).
        """
        from .. import api

        with _Bar(obj["quiet"]) as bar, _details_on_stderr():
            bar.start(media.name)
            res = api.align(media, script_path, options=_align_options(refine, topts), script_format=script_format,
                            output=out, strict=strict, audio_stream=audio_stream, dialogue=dialogue, progress=bar,
                            encoding=encoding)
        if not obj["quiet"]:
            s = res.stats
            click.echo(f"wrote {out}: {s['script_words']} script words timed, {s['aligned_words']} aligned to "
                       f"speech, {len(res.mismatches)} mismatches")
            for mm in res.mismatches:
                click.echo(f"  mismatch: {mm.describe()}")

    @click.command("conform")
    @click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
    @click.argument("media", type=click.Path(path_type=Path))
    @click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                  help="Subtitles to write (.srt or .vtt).")
    @click.option("--fps", default=None, callback=_fps_rate,
                  help="Move cues by whole frames at this rate (23.976, 24, 25, 29.97, 29.97df, ...).")
    @_ENCODING
    @_STRICT
    @_REFINE
    @transcribe_options
    @media_options
    @click.pass_obj
    def conform_cmd(obj, old, media, out, fps, encoding, strict, refine, audio_stream, dialogue, **topts):
        """Re-time the subtitles OLD (SRT/WebVTT) to a new cut MEDIA, keeping every cue's text.

        Cues whose lines are no longer spoken are left out and listed.
        """
        from .. import api

        with _Bar(obj["quiet"]) as bar, _details_on_stderr():
            bar.start(media.name)
            res = api.conform(old, media, options=_align_options(refine, topts), fps=fps, output=out, strict=strict,
                              audio_stream=audio_stream, dialogue=dialogue, progress=bar, encoding=encoding)
        if not obj["quiet"]:
            click.echo(f"wrote {out}: {len(res.track)} of {len(res.shifts)} cues kept, {len(res.gone)} gone, "
                       f"{len(res.partial)} partly gone")
            for note in res.notes:
                click.echo(f"  {note}")

    group.add_command(align_cmd)
    group.add_command(conform_cmd)
