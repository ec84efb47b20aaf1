"""The Click shell: parse, call one library function, render. Errors are mapped here, once."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._version import __version__
from ..errors import SubpipeError

if TYPE_CHECKING:
    from ..api import BatchOptions

log = logging.getLogger("subpipe")

DEFAULT_OUT = Path("outputs")


class SubpipeGroup(click.Group):
    """Turns every SubpipeError into one line on stderr (plus a hint) and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SubpipeError as exc:
            click.echo(f"error: {exc}", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            log.debug("details", exc_info=True)
            ctx.exit(exc.exit_code)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING
    if not quiet and verbose:
        level = logging.DEBUG if verbose > 1 else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger("subpipe")
    root.handlers[:] = [handler]
    root.setLevel(level)


@click.group(cls=SubpipeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="subpipe")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug, ffmpeg commands included).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bar or summary.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """subpipe: media in; subtitles, transcripts and a searchable quote index out."""
    _setup_logging(verbose, quiet)
    ctx.obj = {"quiet": quiet}


# ---------------------------------------------------------------- shared transcription options
def transcribe_options(f):
    opts = [
        click.option("-m", "--model", default="base", show_default=True,
                     help="tiny.en or base (offline, from the subpipe[models] packages), a CTranslate2 model "
                          "folder, or any faster-whisper name (downloaded; needs internet)."),
        click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
                     help="auto: CUDA with float16 when a GPU is present, else CPU with int8."),
        click.option("--compute-type", default="auto", show_default=True,
                     help="CTranslate2 compute type (int8, int8_float16, float16, float32, auto)."),
        click.option("--device-index", type=int, default=0, show_default=True, help="Which GPU."),
        click.option("--threads", "cpu_threads", type=int, default=0, help="CPU threads (0: automatic)."),
        click.option("-l", "--language", default=None, help="Spoken language code (e.g. en, zh); default: detect."),
        click.option("--task", type=click.Choice(["transcribe", "translate"]), default="transcribe",
                     show_default=True, help="translate: English subtitles for the foreign-language parts; the "
                                             "transcript and quote index keep the original words."),
        click.option("--translate", is_flag=True, help="Same as --task translate."),
        click.option("--languages", type=click.Choice(["file", "utterance"]), default="file", show_default=True,
                     help="utterance: detect the language of each speech stretch and transcribe it in that "
                          "language (films that mix languages; slower)."),
        click.option("--glossary", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="File of names and terms, one per line, fed to Whisper as hotwords."),
        click.option("--beam-size", type=int, default=5, show_default=True),
        click.option("--no-vad", is_flag=True, help="Do not use Silero VAD to skip non-speech."),
        click.option("--no-guards", is_flag=True,
                     help="Keep every word Whisper writes (no repetition, stock-phrase or no-speech guards)."),
        click.option("--engine", type=click.Choice(["auto", "sequential", "batched"]), default="auto",
                     show_default=True,
                     help="batched: 30 s windows decoded together (faster on long files); auto: batched for "
                          "inputs of 3 minutes or more on CPU (30 s on CUDA). Recorded in provenance."),
        click.option("--batch-size", type=int, default=0, show_default=True,
                     help="Windows per batch (batched); 0: by device (2 on CPU, 8 on CUDA)."),
        click.option("--batched-beam-size", type=int, default=1, show_default=True,
                     help="Beam of the batched engine (windows it fails on are decoded again with --beam-size)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def media_options(f):
    f = click.option("--dialogue", type=click.Choice(["mix", "centre"]), default="mix", show_default=True,
                     help="centre: take only the centre channel of a 5.1/7.1 mix (dialogue).")(f)
    f = click.option("--audio-stream", type=int, default=None, help="Audio stream number (0-based).")(f)
    return f


def _topts(model, device, compute_type, device_index, cpu_threads, language, task, glossary, beam_size, no_vad,
           translate=False, languages="file", no_guards=False, engine="auto", batch_size=0, batched_beam_size=1):
    from ..asr.transcribe import TranscribeOptions, read_glossary

    return TranscribeOptions(
        model=model, device=device, compute_type=compute_type, device_index=device_index,
        cpu_threads=cpu_threads, language=language, task="translate" if translate else task, beam_size=beam_size,
        vad=not no_vad, languages=languages, guards=not no_guards,
        glossary=read_glossary(glossary) if glossary else (),
        engine=engine, batch_size=batch_size, batched_beam_size=batched_beam_size,
    )


class _Bar:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, quiet: bool):
        self.enabled = not quiet and sys.stderr.isatty()
        self.progress = None
        self.task = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                     TextColumn("{task.completed:.0f}/{task.total:.0f} s"), TimeRemainingColumn(),
                                     console=Console(stderr=True), transient=True)
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.progress:
            self.progress.__exit__(*exc)

    def start(self, label: str) -> None:
        if self.progress:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.task = self.progress.add_task(label, total=None)

    def __call__(self, done_ms: int, total_ms: int) -> None:
        if self.progress and self.task is not None:
            self.progress.update(self.task, completed=done_ms / 1000, total=total_ms / 1000)


# ---------------------------------------------------------------- run / batch
def output_options(f):
    opts = [
        click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
                     show_default=True, help="Output folder: <stem>/<stem>.{srt,vtt,transcript.json} per file."),
        click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Quote index to update (default: OUTPUT/quotes.db)."),
        click.option("--no-index", is_flag=True, help="Do not update the quote index."),
        click.option("--profile", default="netflix-en", show_default=True, help="Delivery profile for the subtitles."),
        click.option("--fps", default=None, help="Frame rate for frame rules (default: the video's, else 24)."),
        click.option("--force", is_flag=True, help="Transcribe again even when a matching transcript exists."),
        click.option("--shot-changes", is_flag=True, help="Detect cuts in the video; apply the shot-change rules."),
        click.option("--script", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                     help="Time this script's words (text, SRT/VTT or transcript JSON) instead of transcribing; "
                          "mismatches are listed as notes."),
        click.option("--strict", is_flag=True, help="With --script: fail a file whose audio and script differ."),
        click.option("--refine-times", is_flag=True, hidden=True,
                     help="Deprecated: accurate word times are the default (see --timing)."),
        click.option("--timing", type=click.Choice(["accurate", "fast"]), default="accurate", show_default=True,
                     help="accurate: word and cue times moved onto where speech starts and stops in the sound "
                          "(a few % more time); fast: Whisper's own word times (cues may start early)."),
        click.option("--format", "formats", multiple=True, metavar="NAME",
                     help="Subtitle formats to write (repeatable or comma-separated): srt vtt ttml scc ass ssa stl "
                          "itt txt timecoded spotting.  [default: srt, vtt]"),
        click.option("--start-tc", default=None,
                     help="With --format scc: the programme start timecode media time 0 is written at, as "
                          "broadcast masters use (01:00:00;00); the first caption loads before it."),
        *sdh_options(),
        click.option("--encoding", "script_encoding", default=None,
                     help="With --script: its text encoding (default: a BOM, else UTF-8), e.g. cp1252."),
        *speaker_options(),
        *separation_options(),
        *_language_run_options(),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _language_run_options() -> list:
    from .language import run_options

    return run_options()


def sdh_options() -> list:
    return [
        click.option("--sdh", is_flag=True,
                     help="SDH: a sound cue over each long stretch of music without speech; a dash before each "
                          "line when a cue holds two known speakers."),
        click.option("--sdh-label", default=None, metavar="TEXT",
                     help="With --sdh: the music cue's text (default [MUSIC]; e.g. \u266a or '[music playing]')."),
    ]


def speaker_options() -> list:
    return [
        click.option("--speakers", default="auto", show_default=True, metavar="auto|N|off",
                     help="Speaker labels: estimate how many speak (auto), a known count N, or off."),
        click.option("--speaker-sample", "speaker_sample", multiple=True, metavar="NAME=FILE",
                     help="A recording of NAME's voice: the speaker it matches is labelled NAME (repeatable). "
                          "Or a voices file: one NAME=FILE a line."),
    ]


def _with(options: list, f):
    for o in reversed(options):
        f = o(f)
    return f


def separation_options() -> list:
    return [
        click.option("--separate", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
                     help="Turn music and effects down under the dialogue (Spleeter 2-stem on onnxruntime) before "
                          "VAD and transcription: auto separates a 20 s stretch where the bed fills the pauses and the "
                          "VAD no longer hears the speech through it."),
        click.option("--dialogue-stem", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                     help="Transcribe this dialogue stem (or 5.1 mix: its centre) instead, timed against the "
                          "media; it must have the media's length."),
    ]



def _speaker_run_options(topts: dict) -> dict:
    from ..speakers.diarize import parse_mode, parse_samples

    samples = parse_samples(topts.pop("speaker_sample", ()) or ())
    return {"speakers": parse_mode(topts.pop("speakers", "auto")), "speaker_samples": samples}


def _formats(given) -> tuple[str, ...]:
    """``--format srt --format stl,itt`` as registered format names (a bad one is a usage error)."""
    from ..errors import FormatError
    from ..formats import format_for

    names = [n.strip().lower().lstrip(".") for g in given for n in g.split(",") if n.strip()]
    try:
        return tuple(dict.fromkeys(format_for("", n) for n in names))
    except FormatError as exc:
        raise click.BadParameter(exc.message, param_hint="--format") from None


def _batch_options(out, db, no_index, profile, fps, force, shot_changes, script, strict, audio_stream, dialogue,
                   topts, **batch) -> BatchOptions:
    """The Click parameters of `run`/`batch` as the API's BatchOptions."""
    from ..api import BatchOptions

    topts = dict(topts)
    sdh, sdh_label = topts.pop("sdh", False), topts.pop("sdh_label", None)
    refine_times = topts.pop("refine_times", False)
    script_encoding = topts.pop("script_encoding", None)
    timing = topts.pop("timing", "accurate")
    if refine_times:
        log.warning("--refine-times is deprecated: accurate word times are the default now (--timing)")
    spk = _speaker_run_options(topts)
    from .language import pop_run_options

    spk.update(pop_run_options(topts))
    separate, dialogue_stem = topts.pop("separate", "auto"), topts.pop("dialogue_stem", None)
    formats = _formats(topts.pop("formats", ()) or ())
    if formats:
        batch["formats"] = formats
    start_tc = topts.pop("start_tc", None)
    if start_tc:
        if "scc" not in (formats or ()):
            raise click.UsageError("--start-tc is for SCC output: add --format scc")
        batch["start_tc"] = start_tc
    return BatchOptions(output=out, db=db, index=not no_index, profile=profile, fps=fps, force=force,
                        shot_changes=shot_changes, script=script, strict=strict, refine_times=refine_times,
                        timing=timing, script_encoding=script_encoding,
                        sdh=sdh, sdh_label=sdh_label, audio_stream=audio_stream, dialogue=dialogue,
                        separate=separate, dialogue_stem=dialogue_stem,
                        transcribe=_topts(**topts), **spk, **batch)


def _run_batch(obj, inputs, options: BatchOptions) -> None:
    import signal

    from .. import api

    out = options.output
    db_path = options.db_path
    quiet = obj["quiet"]
    tty = sys.stderr.isatty()

    def on_term(signum, frame):  # SIGTERM behaves like Ctrl-C: finished files stay, the rest resume later
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    with _Bar(quiet) as bar:
        def listener(kind, res, totals):
            if kind == "planned":
                bar.start(f"{totals.files} files, {totals.audio_ms / 60000:.1f} min of audio")
                return
            if quiet:
                if not res.ok:
                    _echo_error(res.error)
                return
            head = f"[{totals.files_done}/{totals.files}] "
            if res.ok:
                rt = f"{res.realtime_factor:.1f}x real time" if res.realtime_factor else "transcript reused"
                click.echo(f"{head}{res.media.name}: {res.duration_ms / 1000:.1f} s, {res.words} words, "
                           f"{res.cues} cues, model {res.model}, {rt} -> {res.outputs[0].parent}"
                           + (f"; {res.coverage}" if res.coverage else ""))
                for note in res.notes:
                    click.echo(f"  note: {note}")
            else:
                click.echo(f"{head}{res.media.name}: failed", err=not tty)
                _echo_error(res.error)
            if not tty and totals.files_done < totals.files:
                eta = totals.eta_s()
                click.echo(f"  progress: {totals.files_done}/{totals.files} files, "
                           f"{totals.audio_done_ms / 60000:.1f}/{totals.audio_ms / 60000:.1f} min of audio"
                           + (f", ETA {eta:.0f} s" if eta is not None else ""))

        try:
            rep = api.batch(inputs, options, listener=listener, progress=bar)
        except KeyboardInterrupt:
            click.echo(f"interrupted: finished files are kept; run the same command again to resume "
                       f"(report: {out / 'run-report.json'})", err=True)
            sys.exit(130)
    report_note = (f", report {out / 'run-report.json'}" if rep.report_error is None
                   else ", no run report (it could not be written)")
    if not quiet:
        if len(rep.results) > 1:
            _print_table(rep)
        click.echo(f"{len(rep.results) - len(rep.failed)} of {len(rep.results)} files done in {rep.wall_s:.1f} s; "
                   f"outputs in {out}" + (f", quote index {db_path}" if db_path else "") + report_note)
    if rep.report_error is not None:
        _echo_error(rep.report_error)
    if rep.failed or rep.report_error is not None:
        sys.exit(1)


def _echo_error(err) -> None:
    click.echo(f"error: {err}", err=True)
    if err is not None and getattr(err, "hint", None):
        click.echo(f"hint: {err.hint}", err=True)


def _print_table(rep) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="run report", show_lines=False)
    for col in ("file", "status", "audio s", "x real time", "words", "cues", "compliance"):
        table.add_column(col, justify="left" if col in ("file", "status") else "right")
    for r in rep.results:
        table.add_row(r.name or r.media.name, r.status, f"{r.duration_ms / 1000:.1f}",
                      f"{r.realtime_factor:.1f}" if r.realtime_factor else "-", str(r.words), str(r.cues),
                      f"{r.compliance:.0%}" if r.compliance is not None else "-")
    Console(width=100, force_terminal=False).print(table)


@cli.command()
@click.argument("media", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_options
@transcribe_options
@media_options
@click.pass_obj
def run(obj, media, out, db, no_index, profile, fps, force, shot_changes, script, strict, audio_stream, dialogue,
        **topts):
    """Process MEDIA files or folders: transcript JSON, SRT, WebVTT and the quote index.

    A bad file is reported and the rest still run; the exit code is 1 if any file failed.
    A rerun reuses finished work (same media, model and options), so an interrupted run resumes.
    """
    _run_batch(obj, media, _batch_options(out, db, no_index, profile, fps, force, shot_changes, script, strict,
                                          audio_stream, dialogue, topts))


@cli.command("batch")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_options
@click.option("-j", "--jobs", default="auto", show_default=True,
              help="Workers, each with its own model (processes locally, actors on Ray). auto: on a CPU, one "
                   "single-threaded worker per core up to 4 cores (measured fastest on 2 cores), else workers of "
                   "2 threads; one worker on a GPU.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="ray: one task per file on a Ray cluster (pip install 'subpipe[ray]').")
@click.option("--address", default=None, help="Ray cluster address (auto, ray://host:10001); default: local Ray.")
@click.option("--split-long", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Ray: split a long file's windows across the actors (same words as a local run). auto: files "
                   "of 10 minutes or more, when fewer files need transcribing than there are actors.")
@transcribe_options
@media_options
@click.pass_obj
def batch_cmd(obj, inputs, out, db, no_index, profile, fps, force, shot_changes, script, strict, jobs, executor,
              address, audio_stream, dialogue, split_long="auto", **topts):
    """Process many INPUTS (files, folders, CSV/JSON-lines manifests) into OUTPUT, resumably.

    Finished stages are skipped (content-addressed by media hash, model and options); a bad file is reported
    and the rest complete; OUTPUT/run-report.json lists every file. Kill it at any moment and run it again.
    Manifests have a `path` column plus optional per-file language, task, model, glossary, script, profile,
    fps, audio_stream, dialogue.
    """
    if jobs != "auto":
        try:
            jobs = int(jobs)
        except ValueError:
            raise click.BadParameter(f"{jobs!r} is not a number or 'auto'", param_hint="-j/--jobs") from None
    _run_batch(obj, inputs, _batch_options(out, db, no_index, profile, fps, force, shot_changes, script, strict,
                                           audio_stream, dialogue, topts, executor=executor, jobs=jobs,
                                           address=address, split_long=split_long))


# ---------------------------------------------------------------- extract
@cli.command()
@click.argument("media", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="WAV file to write (16 kHz mono, 16-bit); required unless --list.")
@click.option("--list", "list_streams", is_flag=True, help="List the audio streams and exit.")
@media_options
def extract(media, out, list_streams, audio_stream, dialogue):
    """Extract 16 kHz mono audio from MEDIA (any container ffmpeg reads)."""
    from .. import api

    if list_streams:
        streams = api.audio_streams(media)
        for s in streams:
            click.echo(f"{s.index}: {s.codec} {s.channels} ch {s.layout or ''} {s.sample_rate or ''} Hz "
                       f"{s.language or ''}".rstrip())
        if not streams:
            click.echo("no audio streams")
        return
    if out is None:
        raise click.UsageError("give -o OUT.wav (or --list)")
    api.extract(media, out, audio_stream=audio_stream, dialogue=dialogue)
    click.echo(f"wrote {out}")


# ---------------------------------------------------------------- transcribe
@cli.command()
@click.argument("media", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Transcript JSON to write.")
@transcribe_options
@media_options
@speaker_options()[0]
@speaker_options()[1]
@lambda f: _with(separation_options(), f)
@click.pass_obj
def transcribe(obj, media, out, audio_stream, dialogue, **topts):
    """Transcribe MEDIA into a transcript JSON (words with times, utterances, provenance).

    The file is the same checkpoint `subpipe run` writes, so a later run with the same options reuses it.
    """
    from .. import api

    spk = _speaker_run_options(topts)
    separate, stem = topts.pop("separate", "auto"), topts.pop("dialogue_stem", None)
    with _Bar(obj["quiet"]) as bar:
        bar.start(media.name)
        t = api.transcribe(media, options=_topts(**topts), output=out, audio_stream=audio_stream, dialogue=dialogue,
                           progress=bar, separate=separate, dialogue_stem=stem, **spk)
    if not obj["quiet"]:
        click.echo(f"wrote {out}: {len(t.words)} words, {len(t.utterances)} utterances, language {t.language}")
        if t.speakers:
            click.echo("  speakers: " + ", ".join(f"{s.label} {s.speaking_ms / 1000:.1f} s" for s in t.speakers))
        for note in t.notes:
            click.echo(f"  note: {note}")


# ---------------------------------------------------------------- subtitles
START_TC_HELP = ("SCC: the programme start timecode media time 0 is written at, as broadcast masters use "
                 "(01:00:00;00; 00:59:58;00 with 2 s of pre-roll in the media). The first caption then loads "
                 "before it instead of showing late.")


@cli.command()
@click.argument("transcript", type=click.Path(path_type=Path))
@click.option("-o", "--output", "outs", multiple=True, required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Subtitle file(s) to write; the format comes from the extension (.srt, .vtt, .ttml, .scc, "
                   ".txt, .timecoded.txt, .csv spotting list, .ass, .ssa, .stl EBU-STL, .itt). Repeatable.")
@click.option("--profile", default="netflix-en", show_default=True, help="Delivery profile.")
@click.option("--fps", default=None, help="Frame rate for frame rules (default 24).")
@click.option("--shot-changes", default=None,
              help="Cut times: a media file (ffmpeg scene score) or a list of times.")
@sdh_options()[0]
@sdh_options()[1]
@lambda f: _with(_language_run_options()[1:], f)
@click.option("--start-tc", default=None, help=START_TC_HELP)
@click.pass_obj
def subtitles(obj, transcript, outs, profile, fps, shot_changes, sdh, sdh_label, start_tc, **mask):
    """Make subtitles from a TRANSCRIPT JSON without transcribing again."""
    from .. import api
    from .language import mask_from

    track = api.subtitles(transcript, outputs=outs, profile=profile, fps=fps, shot_changes=shot_changes, sdh=sdh,
                          sdh_label=sdh_label, mask=mask_from(**mask), start_tc=start_tc)
    if not obj["quiet"]:
        for note in track.metadata.get("notes", ()):
            click.echo(f"note: {note}", err=True)
        for out in outs:
            click.echo(f"wrote {out}: {len(track)} cues")


# ---------------------------------------------------------------- models
@cli.command()
@click.option("--no-verify", is_flag=True, help="Do not hash the assembled files.")
def models(no_verify):
    """List the offline model names: installed, assembled, verified against their SHA-256."""
    from .. import api
    from ..asr import models as mm
    from ..errors import ModelNotAvailableError

    click.echo(f"cache: {mm.cache_dir() / 'models'}")
    failed = []
    for s in api.models(verify=not no_verify):
        if s.verified is False:
            failed.append(s.name)
        ver = "-" if s.verified is None else ("verified" if s.verified else "FAILED")
        click.echo(f"{s.name:8} installed={'yes' if s.installed else 'no':3} "
                   f"assembled={'yes' if s.assembled else 'no':3} {ver:8} {s.source}")
        if s.error:
            click.echo(f"         {s.error}")
    click.echo("other names (small, large-v3, ...) download from the model hub and need internet.")
    if failed:  # a model that fails its hash check is an error, not a listing detail
        raise ModelNotAvailableError(f"model(s) {', '.join(failed)} failed verification against their SHA-256",
                                     hint="reinstall them: pip install --force-reinstall 'subpipe[models]'")


from .quotes import clip, quotes, serve  # noqa: E402
from .rules import check, fix, retime  # noqa: E402

for _cmd in (quotes, clip, serve, check, fix, retime):
    cli.add_command(_cmd)
cli.add_command(sys.modules["subpipe.cli.rules"].convert)

from . import align as cli_align  # noqa: E402

cli_align.register(cli, sys.modules[__name__])

from .speakers import speakers as _speakers_group  # noqa: E402

cli.add_command(_speakers_group)
from .language import register as _register_language  # noqa: E402

_register_language(cli)
cli.add_command(importlib.import_module(".review", __package__).review)


def main() -> None:
    from ..audio.source import tune_process

    tune_process()  # the CLI tunes its own process for speed (subpipe.tune_process); importing subpipe does not
    cli(prog_name="subpipe")


if __name__ == "__main__":  # pragma: no cover
    main()
