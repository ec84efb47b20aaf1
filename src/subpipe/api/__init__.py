"""The public Python API: one function per CLI command, with the same names and options.

Every function takes paths and option values (option groups as dataclasses: :class:`TranscribeOptions`,
:class:`AlignOptions`, :class:`BatchOptions`, :class:`SearchFilters`), returns the model objects
(:class:`~subpipe.model.Transcript`, :class:`~subpipe.model.CueTrack`, check reports, search hits) and
never prints; errors are :class:`~subpipe.errors.SubpipeError` and its children. Progress comes through
an optional ``progress(done_ms, total_ms)`` callback. The CLI (``subpipe.cli``: app, align, quotes,
rules, speakers) parses its options, calls one of these, and renders the result. The twins of the quote index
commands (quotes, clip, serve, speakers) are in ``api/quotes.py``; every name is here too.

======================  ============================================
CLI command             function
======================  ============================================
``subpipe run``         :func:`run`
``subpipe batch``       :func:`batch`
``subpipe extract``     :func:`extract` (``--list``: :func:`audio_streams`)
``subpipe transcribe``  :func:`transcribe`
``subpipe align``       :func:`align`
``subpipe conform``     :func:`conform`
``subpipe subtitles``   :func:`subtitles`
``subpipe check``       :func:`check`
``subpipe fix``         :func:`fix`
``subpipe retime``      :func:`retime`
``subpipe models``      :func:`models`
``subpipe quotes ...``  :func:`quotes_add`, :func:`quotes_search`, :func:`quotes_show`,
                        :func:`quotes_export`, :func:`quotes_media`
``subpipe clip``        :func:`clip`
``subpipe serve``       :func:`serve`
``subpipe language``    :func:`language`
``subpipe clean``       :func:`clean`
``subpipe review``      :func:`review` (the page's edits from code: :func:`apply_edits`)
======================  ============================================

See docs/api.md for examples (each one is run by tests/test_api.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..alignment import AlignOptions
from ..asr.transcribe import Progress, TranscribeOptions, read_glossary
from ..errors import AlignmentError, FormatError, SubpipeError, UsageError
from ..jobs.pipeline import RunOptions
from ..language.api import clean, language
from ..model import CueTrack, Transcript
from ..quotes.index import DEFAULT_DB  # noqa: F401 (api.DEFAULT_DB: the index the commands use)
from .quotes import (  # noqa: F401 (re-exported: every API name is subpipe.api.<name>)
    ClipResult,
    IndexedTranscript,
    SearchFilters,
    SpeakerRow,
    clip,
    media_for,
    open_index,
    quotes_add,
    quotes_export,
    quotes_media,
    quotes_search,
    quotes_show,
    quotes_timeline,
    resolve_media,
    serve,
    speakers_list,
    speakers_rename,
)
from .review import apply_edits, review

if TYPE_CHECKING:
    from ..alignment import Alignment
    from ..asr.models import ModelStatus
    from ..audio.media import AudioStream
    from ..formats import Conversion
    from ..jobs.batch import BatchReport, Listener
    from ..language.mask import MaskOptions
    from ..subtitling.conform import ConformResult
    from ..subtitling.qc import FixResult, Report

__all__ = [
    "AlignOptions", "BatchOptions", "CheckResult", "ClipResult", "IndexedTranscript", "RetimeResult",
    "SearchFilters", "TranscribeOptions", "align", "audio_streams", "batch", "check", "check_json", "clip",
    "conform", "convert", "extract", "fix", "models", "quotes_add", "quotes_export", "quotes_media", "quotes_search",
    "quotes_show",
    "quotes_timeline",
    "read_glossary", "retime", "run", "serve", "SpeakerRow", "speakers_list", "speakers_rename", "subtitles",
    "transcribe", "language", "clean", "apply_edits", "review",
]


def _parent(out: Path) -> Path:
    return out.parent if str(out.parent) else Path(".")


# ---------------------------------------------------------------- extract
def audio_streams(media: Path | str) -> list[AudioStream]:
    """The audio streams of ``media`` (``subpipe extract --list``)."""
    from ..audio import media as m

    return list(m.probe(Path(media)).audio_streams)


def extract(media: Path | str, output: Path | str, *, audio_stream: int | None = None,
            dialogue: str = "mix") -> Path:
    """16 kHz mono 16-bit WAV of ``media`` written atomically to ``output``; returns ``output``."""
    from ..audio import media as m
    from ..fsio import atomic_path

    out = Path(output)
    with atomic_path(out, suffix=".wav") as tmp:  # ffmpeg writes the temp file itself: removed on failure
        m.extract_wav(Path(media), tmp, stream=audio_stream, dialogue=dialogue)
    return out


# ---------------------------------------------------------------- transcribe / align / conform
def transcribe(media: Path | str, *, options: TranscribeOptions | None = None, output: Path | str | None = None,
               audio_stream: int | None = None, dialogue: str = "mix", speakers: str = "auto",
               speaker_samples: Sequence[tuple[str, str]] = (), separate: str = "auto",
               dialogue_stem: Path | str | None = None, progress: Progress | None = None) -> Transcript:
    """Transcribe ``media`` (words with times and speakers, utterances, provenance); write the transcript JSON
    to ``output`` if given. The file is the checkpoint ``run`` writes, so a later run reuses it.
    ``speakers``: "auto" (count estimated), a count "N", or "off"; ``speaker_samples``: (NAME, audio file)
    pairs whose voices name the speakers they match. ``separate``: dialogue isolation under a score ("auto"
    decides per stretch, "on", "off"); ``dialogue_stem``: transcribe this stem instead, timed against ``media``."""
    from ..audio import media as m
    from ..formats import transcript_json as tj
    from ..fsio import atomic_write_text, ensure_writable_dir, sha256_file
    from ..jobs.pipeline import TranscribeJob, transcribe_job

    media = Path(media)
    run_opts = RunOptions(transcribe=options or TranscribeOptions(), audio_stream=audio_stream, dialogue=dialogue,
                          speakers=speakers, speaker_samples=tuple((str(a), str(b)) for a, b in speaker_samples),
                          separate=separate, dialogue_stem=str(dialogue_stem) if dialogue_stem else None)
    from ..jobs.checks import check_run_options

    check_run_options(run_opts)
    info = m.probe(media)
    if output is not None:
        ensure_writable_dir(_parent(Path(output)))
    audio = m.extract_audio(media, stream=audio_stream, dialogue=dialogue, info=info)
    data, _ = transcribe_job(TranscribeJob(str(media), sha256_file(media), run_opts), progress=progress, audio=audio)
    t = tj.from_dict(data)
    if output is not None:
        atomic_write_text(Path(output), tj.dumps(t))
    return t


def align(media: Path | str, script: Path | str, *, options: AlignOptions | None = None,
          script_format: str | None = None, output: Path | str | None = None, strict: bool = False,
          audio_stream: int | None = None, dialogue: str = "mix", progress: Progress | None = None,
          encoding: str | None = None) -> Alignment:
    """Time the words of ``script`` (text, SRT, WebVTT or transcript JSON) against ``media``.

    Returns the :class:`~subpipe.alignment.Alignment` (``.transcript``, ``.mismatches``, ``.stats``) and writes
    the transcript JSON to ``output`` if given. ``strict``: raise AlignmentError (nothing written) when the
    script and the audio differ.
    """
    from ..alignment import align as align_audio
    from ..alignment import read_script
    from ..audio import media as m
    from ..formats import transcript_json as tj
    from ..fsio import atomic_write_text, ensure_writable_dir, sha256_file

    media = Path(media)
    words = read_script(Path(script), None if script_format in (None, "auto") else script_format, encoding)
    info = m.probe(media)
    if output is not None:
        ensure_writable_dir(_parent(Path(output)))
    audio = m.extract_audio(media, stream=audio_stream, dialogue=dialogue, info=info)
    res = align_audio(audio.samples, words, options or AlignOptions(), progress=progress,
                      media_sha256=sha256_file(media), media_name=media.name)
    if strict and res.mismatches:
        err = AlignmentError(f"the script and the audio differ ({len(res.mismatches)} mismatches); nothing written",
                             path=media, hint="fix the script, or run without --strict to get them listed")
        err.details = tuple(mm.describe() for mm in res.mismatches)  # type: ignore[attr-defined]
        raise err
    if output is not None:
        atomic_write_text(Path(output), tj.dumps(res.transcript))
    return res


def conform(old: Path | str, media: Path | str, *, options: AlignOptions | None = None, fps: float | None = None,
            output: Path | str | None = None, strict: bool = False, audio_stream: int | None = None,
            dialogue: str = "mix", progress: Progress | None = None, encoding: str | None = None) -> ConformResult:
    """Re-time the subtitles ``old`` (SRT/WebVTT) to a new cut ``media``, keeping every cue's text.

    Returns the :class:`~subpipe.subtitling.conform.ConformResult` (``.track``, ``.gone``, ``.partial``, ``.notes``);
    writes ``.track`` to ``output`` (format from its extension) if given. ``strict``: raise AlignmentError
    (nothing written) when cues are gone or changed.
    """
    from ..audio import media as m
    from ..formats import SUBTITLE_FORMATS, format_for, read_subtitles
    from ..fsio import atomic_write_text, ensure_writable_dir
    from ..subtitling.conform import conform as conform_track

    old, media = Path(old), Path(media)
    fmt_out = format_for(Path(output)) if output is not None else None
    track = read_subtitles(old, encoding)
    if not track.cues:
        raise FormatError("no cues to conform", path=old)
    info = m.probe(media)
    if output is not None:
        ensure_writable_dir(_parent(Path(output)))
    audio = m.extract_audio(media, stream=audio_stream, dialogue=dialogue, info=info)
    res = conform_track(track, audio.samples, options or AlignOptions(), fps=fps, progress=progress)
    if strict and (res.gone or res.partial or res.alignment.unscripted):
        err = AlignmentError("the subtitles and the new cut differ; nothing written", path=media,
                             hint="run without --strict to write the surviving cues")
        err.details = tuple(res.notes)  # type: ignore[attr-defined]
        raise err
    if output is not None and fmt_out is not None:
        atomic_write_text(Path(output), SUBTITLE_FORMATS[fmt_out].dumps(res.track))
    return res


# ---------------------------------------------------------------- subtitles
def subtitles(transcript: Transcript | Path | str, *, outputs: Sequence[Path | str] = (),
              profile: str = "netflix-en", fps: str | None = None, shot_changes: str | Path | None = None,
              sdh: bool = False, sdh_label: str | None = None, mask: MaskOptions | None = None,
              start_tc: str | None = None) -> CueTrack:
    """Cues for a transcript (a Transcript or its JSON file) under a delivery profile, without transcribing
    again; each of ``outputs`` is written in the format its extension names (.srt, .vtt, .ttml, .scc, ...).

    ``mask``: terms at its severity or above masked in the cues (the transcript keeps them; a note counts
    them). ``shot_changes``: a media file (ffmpeg scene score) or a file listing cut times. ``start_tc``: the
    programme start timecode SCC outputs are written at (``01:00:00;00``; SCC only). With ``sdh`` on a
    transcript made before sound-event detection, the track's ``metadata["notes"]`` says so.
    """
    from ..formats import SUBTITLE_FORMATS, format_for
    from ..fsio import atomic_write_text
    from ..jobs.pipeline import load_transcript, make_subtitles
    from ..subtitling.profiles import get_profile
    from ..subtitling.rules import load_shot_changes

    t = transcript if isinstance(transcript, Transcript) else load_transcript(Path(transcript))
    outs = [Path(o) for o in outputs]
    fmts = [format_for(o) for o in outs]  # fail on a bad extension before writing anything
    if start_tc and "scc" not in fmts:
        raise UsageError("start_tc is for SCC output: name a .scc file")
    mask_note = None
    if mask is not None:  # the cues show masked words; the transcript keeps them
        from ..language.mask import mask_transcript

        t, _, mask_note = mask_transcript(t, mask)
    prof = get_profile(profile, fps)
    track = make_subtitles(t, prof, shot_changes_ms=load_shot_changes(shot_changes, prof.fps), sdh=sdh,
                           sdh_label=sdh_label)
    if sdh and "sound_events" not in t.provenance and not t.events:
        notes = [*track.metadata.get("notes", ()),
                 "this transcript predates sound-event detection; transcribe again for music cues"]
        track = CueTrack(track.cues, language=track.language, metadata={**track.metadata, "notes": notes})
    if mask_note:
        track = CueTrack(track.cues, language=track.language,
                         metadata={**track.metadata, "notes": [*track.metadata.get("notes", ()), mask_note]})
    for out, fmt in zip(outs, fmts, strict=True):
        kw = {"start_tc": start_tc} if start_tc and fmt == "scc" else {}
        atomic_write_text(out, SUBTITLE_FORMATS[fmt].dumps(track, **kw))
    return track


# ---------------------------------------------------------------- check / fix / retime
@dataclass(frozen=True)
class CheckResult:
    """One file's check: its report, or the error that kept it from being read."""

    path: Path
    report: Report | None
    error: SubpipeError | None = None
    notes: tuple[str, ...] = ()  # what the reader skipped or could not keep, with its line
    passed: bool | None = None  # the verdict of a streamed report (``check_json``: no report is kept)

    @property
    def ok(self) -> bool:
        if self.passed is not None:
            return self.error is None and self.passed
        return self.error is None and self.report is not None and self.report.ok


def check(files: Sequence[Path | str] | Path | str, *, profile: str = "netflix-en", fps: str | None = None,
          media: Path | str | None = None, shot_changes: str | None = None, scene_threshold: float = 0.3,
          encoding: str | None = None) -> list[CheckResult]:
    """Check subtitle files against a delivery profile: one :class:`CheckResult` per file, in order (a file
    that cannot be read has ``.error`` and the others are still checked)."""
    from ..formats import source_notes
    from ..subtitling.qc import check_track

    prof, duration, cuts, tracks = _tracks_to_check(files, profile, fps, media, shot_changes, scene_threshold,
                                                    encoding)
    out = []
    for path, track in tracks:
        if isinstance(track, SubpipeError):
            out.append(CheckResult(path, None, track))
            continue
        out.append(CheckResult(path, check_track(track, prof, media_duration_ms=duration, shot_changes_ms=cuts),
                               notes=tuple(source_notes(track))))
    return out


def _tracks_to_check(files, profile, fps, media, shot_changes, scene_threshold, encoding):
    """The profile, media duration and shot changes a check runs under, and each file's track read one at a time
    (a file that cannot be read gives its SubpipeError in the track's place)."""
    from ..subtitling.rules import read_track, resolve

    paths = [Path(files)] if isinstance(files, str | Path) else [Path(f) for f in files]
    prof, duration, cuts = resolve(profile, fps, Path(media) if media else None, shot_changes, scene_threshold)

    def tracks():
        for path in paths:
            try:
                yield path, read_track(path, encoding)
            except SubpipeError as exc:
                yield path, exc

    return prof, duration, cuts, tracks()


def check_json(files: Sequence[Path | str] | Path | str, stream, *, profile: str = "netflix-en",
               fps: str | None = None, media: Path | str | None = None, shot_changes: str | None = None,
               scene_threshold: float = 0.3, encoding: str | None = None,
               max_per_rule: int = 100) -> list[CheckResult]:
    """:func:`check`, each file's report streamed to ``stream`` as one JSON line as it is made, at most
    ``max_per_rule`` violations of a rule listed (the rest counted; 0: all), so memory does not grow with
    the report (``subtitling.qcstream``). The results carry no report: ``ok`` and the reader's notes."""
    from ..formats import source_notes
    from ..subtitling.qcstream import write_report_json

    prof, duration, cuts, tracks = _tracks_to_check(files, profile, fps, media, shot_changes, scene_threshold,
                                                    encoding)
    out = []
    for path, track in tracks:
        if isinstance(track, SubpipeError):
            out.append(CheckResult(path, None, track))
            continue
        notes = tuple(source_notes(track))
        ok = write_report_json(stream, track, prof, head={"file": str(path)}, media_duration_ms=duration,
                               shot_changes_ms=cuts, max_per_rule=max_per_rule)
        del track  # one file's cues at a time
        out.append(CheckResult(path, None, notes=notes, passed=ok))
    return out


def fix(file: Path | str, output: Path | str, *, profile: str = "netflix-en", fps: str | None = None,
        media: Path | str | None = None, shot_changes: str | None = None, scene_threshold: float = 0.3,
        encoding: str | None = None) -> FixResult:
    """Re-break and re-time ``file`` to a profile without changing its words; write it to ``output``.
    The result holds the track, the reports before and after, and notes on what could not be fixed."""
    from ..formats import format_for
    from ..subtitling.rules import fix_file, resolve

    out = Path(output)
    format_for(out)  # fail on a bad extension before any work
    prof, duration, cuts = resolve(profile, fps, Path(media) if media else None, shot_changes, scene_threshold)
    # written, then re-read and re-checked: ``after`` is the report of the bytes on disk
    return fix_file(Path(file), out, prof, encoding=encoding, media_duration_ms=duration, shot_changes_ms=cuts)


@dataclass(frozen=True)
class RetimeResult:
    track: CueTrack
    dropped: int = 0  # cues that a negative offset moved before 0
    notes: tuple[str, ...] = ()  # what the reader skipped and the writer could not keep


def retime(file: Path | str, output: Path | str, *, offset: str | int | None = None, from_fps: str | None = None,
           to_fps: str | None = None, encoding: str | None = None) -> RetimeResult:
    """Shift ``file`` by ``offset`` (ms, or text such as '+1.5', '-2s', '250ms') or convert it from
    ``from_fps`` to ``to_fps``; write it to ``output``."""
    from ..formats import format_for, source_notes
    from ..subtitling.qc import change_fps, parse_offset, shift
    from ..subtitling.rules import read_track, write_track

    if (offset is None) == (from_fps is None and to_fps is None):
        raise UsageError("give either an offset, or from_fps and to_fps")
    if offset is None and (from_fps is None or to_fps is None):
        raise UsageError("from_fps and to_fps go together")
    out = Path(output)
    format_for(out)
    track = read_track(Path(file), encoding)
    dropped = 0
    if offset is not None:
        track, dropped = shift(track, offset if isinstance(offset, int) else parse_offset(offset))
    else:
        assert from_fps is not None and to_fps is not None
        track = change_fps(track, from_fps, to_fps)
    notes = source_notes(track) + write_track(track, out)
    return RetimeResult(track, dropped, tuple(notes))


def convert(file: Path | str, output: Path | str | None = None, *, to: str | None = None, fps: str | None = None,
            encoding: str | None = None, start_tc: str | None = None) -> Conversion:
    """Convert a subtitle file to another format (``to``, else ``output``'s extension), keeping text, line
    breaks, styling and placement wherever the target can hold them (``start_tc``: SCC's programme start
    timecode, e.g. ``01:00:00;00``: media time 0 is written there). Returns the
    :class:`~subpipe.formats.Conversion` (``.track``, ``.text``, ``.fmt``, ``.notes`` on what was dropped);
    writes ``output`` atomically if given."""
    from ..formats import convert as convert_file

    return convert_file(file, output, to=to, fps=fps, encoding=encoding, start_tc=start_tc)


# ---------------------------------------------------------------- models
def models(*, verify: bool = True) -> list[ModelStatus]:
    """The offline model names: installed, assembled, verified against their SHA-256 (``--no-verify``:
    ``verify=False``)."""
    from ..asr import models as mm

    return mm.status(verify=verify)


# ---------------------------------------------------------------- run / batch
@dataclass(frozen=True)
class BatchOptions:
    """The options of ``subpipe run`` and ``subpipe batch`` (one field per CLI option)."""

    output: Path = Path("outputs")
    db: Path | None = None  # default: output/quotes.db
    index: bool = True  # False: --no-index
    profile: str = "netflix-en"
    fps: str | None = None
    force: bool = False
    shot_changes: bool = False
    script: Path | None = None
    strict: bool = False
    refine_times: bool = False  # deprecated: accurate timing is the default (``timing``)
    timing: str = "accurate"  # accurate | fast (Whisper's own word times)
    script_encoding: str | None = None  # the script's text encoding (default: a BOM, else UTF-8)
    speakers: str = "auto"  # speaker labels: "auto" (count estimated), a count "N", or "off"
    speaker_samples: tuple[tuple[str, str], ...] = ()  # (NAME, audio file): enrolled voices that name speakers
    separate: str = "auto"  # dialogue isolation under a score: auto (per stretch) | on | off
    dialogue_stem: Path | None = None  # transcribe this dialogue stem instead (one media file only)
    sdh: bool = False
    sdh_label: str | None = None
    audio_stream: int | None = None
    dialogue: str = "mix"
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    # batch only
    jobs: int | str = 1  # a number, or "auto"
    executor: str = "local"  # local | ray
    address: str | None = None  # Ray cluster address
    threads: int = 0  # CPU threads per worker (0: automatic)
    split_long: str = "auto"  # Ray: split a long file across the actors (auto | on | off; raysplit.py)
    formats: tuple[str, ...] = ("srt", "vtt")  # subtitle formats written per file (--format)
    mask: MaskOptions | None = None  # strong language masked in the subtitles (language/mask.py)
    language_report: bool = False  # <stem>.language.csv/.json beside the outputs (language/report.py)
    start_tc: str | None = None  # SCC: the programme start timecode media time 0 is written at (01:00:00;00)

    def run_options(self) -> RunOptions:
        return RunOptions(transcribe=self.transcribe, profile=self.profile, fps=self.fps, formats=self.formats,
                          audio_stream=self.audio_stream, dialogue=self.dialogue, index=self.index,
                          force=self.force, shot_changes=self.shot_changes,
                          script=str(self.script) if self.script else None, strict=self.strict,
                          refine_times=self.refine_times, timing=self.timing, sdh=self.sdh,
                          sdh_label=self.sdh_label, script_encoding=self.script_encoding,
                          speakers=self.speakers, speaker_samples=self.speaker_samples, separate=self.separate,
                          dialogue_stem=str(self.dialogue_stem) if self.dialogue_stem else None,
                          mask=self.mask, language_report=self.language_report, start_tc=self.start_tc)

    @property
    def db_path(self) -> Path | None:
        return None if not self.index else (self.db or self.output / "quotes.db")

    @property
    def report_path(self) -> Path:
        return self.output / "run-report.json"

    def workers(self) -> tuple[int, int]:
        """(workers, threads per worker): ``jobs="auto"`` picks by device and cores."""
        from ..asr.transcribe import resolve_device
        from ..jobs.batch import auto_workers

        threads = self.threads or self.transcribe.cpu_threads
        if self.jobs == "auto":
            device, _ = resolve_device(self.transcribe.device, self.transcribe.compute_type)
            jobs, auto_threads = auto_workers(device)
            return max(1, jobs), threads or auto_threads
        try:
            return max(1, int(self.jobs)), threads
        except ValueError:
            raise UsageError(f"jobs: {self.jobs!r} is not a number or 'auto'") from None


def batch(inputs: Sequence[Path | str], options: BatchOptions | None = None, *,
          listener: Listener | None = None, progress: Progress | None = None) -> BatchReport:
    """Process many inputs (media files, folders, CSV/JSON-lines manifests) into ``options.output``,
    resumably: transcript JSON, subtitles and the quote index per file, and ``run-report.json``.

    A bad file is reported in the :class:`~subpipe.jobs.batch.BatchReport` and the rest complete; the report's
    ``failed`` lists them. ``listener(kind, result, totals)`` hears each file as it finishes.
    """
    from ..jobs import batch as b

    opts = options or BatchOptions()
    items = b.collect([Path(p) for p in inputs], opts.run_options())
    if opts.script and len(items) > 1:
        raise UsageError("--script goes with one media file (for many, a manifest with a `script` column)")
    if opts.dialogue_stem and len(items) > 1:
        raise UsageError("--dialogue-stem goes with one media file")
    if not items:
        raise SubpipeError("no media files found", hint="give media files, folders holding media, or a manifest")
    from ..jobs.checks import check_items

    check_items(items)  # voice samples and options that contradict each other, before any transcription
    workers, threads = opts.workers()
    return b.run(items, opts.output, db=opts.db_path, executor=opts.executor, workers=workers, threads=threads,
                 ray_address=opts.address, report_path=opts.report_path, listener=listener, progress=progress,
                 split=opts.split_long,
                 auto_jobs=opts.jobs == "auto" and not (opts.threads or opts.transcribe.cpu_threads))


def run(media: Sequence[Path | str], options: BatchOptions | None = None, *,
        listener: Listener | None = None, progress: Progress | None = None) -> BatchReport:
    """Process media files or folders into transcript JSON, SRT, WebVTT and the quote index, in this
    process (``batch`` with one local worker)."""
    opts = options or BatchOptions()
    from dataclasses import replace

    return batch(media, replace(opts, jobs=1, executor="local", address=None), listener=listener,
                 progress=progress)


