"""The public Python API: one function per CLI command, with the same names and options.

Every function takes paths and option values (option groups as dataclasses: :class:`TranscribeOptions`,
:class:`AlignOptions`, :class:`BatchOptions`, :class:`SearchFilters`), returns the model objects
(:class:`~subpipe.model.Transcript`, :class:`~subpipe.model.CueTrack`, check reports, search hits) and
never prints; errors are :class:`~subpipe.errors.SubpipeError` and its children. Progress comes through
an optional ``progress(done_ms, total_ms)`` callback. The CLI (cli.py, cli_align.py, cli_quotes.py,
cli_rules.py) parses its options, calls one of these, and renders the result.

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
======================  ============================================

See docs/api.md for examples (each one is run by tests/test_api.py).
"""

from __future__ import annotations

import glob
import hashlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .align import AlignOptions
from .errors import AlignmentError, FormatError, QuoteIndexError, SubpipeError, UsageError
from .language.api import clean, language
from .model import CueTrack, Transcript
from .pipeline import RunOptions
from .transcribe import Progress, TranscribeOptions, read_glossary

if TYPE_CHECKING:
    from .align import Alignment
    from .batch import BatchReport, Listener
    from .conform import ConformResult
    from .formats import Conversion
    from .language.mask import MaskOptions
    from .media import AudioStream
    from .models import ModelStatus
    from .qc import FixResult, Report
    from .quotes import Hit, MediaRow

__all__ = [
    "AlignOptions", "BatchOptions", "CheckResult", "ClipResult", "IndexedTranscript", "RetimeResult",
    "SearchFilters", "TranscribeOptions", "align", "audio_streams", "batch", "check", "clip", "conform", "convert",
    "extract", "fix", "models", "quotes_add", "quotes_export", "quotes_media", "quotes_search", "quotes_show",
    "read_glossary", "retime", "run", "serve", "SpeakerRow", "speakers_list", "speakers_rename", "subtitles",
    "transcribe", "language", "clean",
]

DEFAULT_DB = Path("outputs") / "quotes.db"


def _parent(out: Path) -> Path:
    return out.parent if str(out.parent) else Path(".")


# ---------------------------------------------------------------- extract
def audio_streams(media: Path | str) -> list[AudioStream]:
    """The audio streams of ``media`` (``subpipe extract --list``)."""
    from . import media as m

    return list(m.probe(Path(media)).audio_streams)


def extract(media: Path | str, output: Path | str, *, audio_stream: int | None = None,
            dialogue: str = "mix") -> Path:
    """16 kHz mono 16-bit WAV of ``media`` written atomically to ``output``; returns ``output``."""
    from . import media as m
    from .fsio import atomic_path

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
    from . import media as m
    from .formats import transcript_json as tj
    from .fsio import atomic_write_text, ensure_writable_dir, sha256_file
    from .pipeline import TranscribeJob, transcribe_job

    media = Path(media)
    run_opts = RunOptions(transcribe=options or TranscribeOptions(), audio_stream=audio_stream, dialogue=dialogue,
                          speakers=speakers, speaker_samples=tuple((str(a), str(b)) for a, b in speaker_samples),
                          separate=separate, dialogue_stem=str(dialogue_stem) if dialogue_stem else None)
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

    Returns the :class:`~subpipe.align.Alignment` (``.transcript``, ``.mismatches``, ``.stats``) and writes
    the transcript JSON to ``output`` if given. ``strict``: raise AlignmentError (nothing written) when the
    script and the audio differ.
    """
    from . import media as m
    from .align import align as align_audio
    from .align import read_script
    from .formats import transcript_json as tj
    from .fsio import atomic_write_text, ensure_writable_dir, sha256_file

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

    Returns the :class:`~subpipe.conform.ConformResult` (``.track``, ``.gone``, ``.partial``, ``.notes``);
    writes ``.track`` to ``output`` (format from its extension) if given. ``strict``: raise AlignmentError
    (nothing written) when cues are gone or changed.
    """
    from . import media as m
    from .conform import conform as conform_track
    from .formats import SUBTITLE_FORMATS, format_for, read_subtitles
    from .fsio import atomic_write_text, ensure_writable_dir

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
              sdh: bool = False, sdh_label: str | None = None, mask: MaskOptions | None = None) -> CueTrack:
    """Cues for a transcript (a Transcript or its JSON file) under a delivery profile, without transcribing
    again; each of ``outputs`` is written in the format its extension names (.srt, .vtt, .ttml, .scc, ...).

    ``mask``: terms at its severity or above masked in the cues (the transcript keeps them; a note counts
    them). ``shot_changes``: a media file (ffmpeg scene score) or a file listing cut times. With ``sdh`` on a
    transcript made before sound-event detection, the track's ``metadata["notes"]`` says so.
    """
    from .formats import SUBTITLE_FORMATS, format_for
    from .fsio import atomic_write_text
    from .pipeline import load_transcript, make_subtitles
    from .profiles import get_profile
    from .rules import load_shot_changes

    t = transcript if isinstance(transcript, Transcript) else load_transcript(Path(transcript))
    outs = [Path(o) for o in outputs]
    fmts = [format_for(o) for o in outs]  # fail on a bad extension before writing anything
    mask_note = None
    if mask is not None:  # the cues show masked words; the transcript keeps them
        from .language.mask import mask_transcript

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
        atomic_write_text(out, SUBTITLE_FORMATS[fmt].dumps(track))
    return track


# ---------------------------------------------------------------- check / fix / retime
@dataclass(frozen=True)
class CheckResult:
    """One file's check: its report, or the error that kept it from being read."""

    path: Path
    report: Report | None
    error: SubpipeError | None = None
    notes: tuple[str, ...] = ()  # what the reader skipped or could not keep, with its line

    @property
    def ok(self) -> bool:
        return self.error is None and self.report is not None and self.report.ok


def check(files: Sequence[Path | str] | Path | str, *, profile: str = "netflix-en", fps: str | None = None,
          media: Path | str | None = None, shot_changes: str | None = None, scene_threshold: float = 0.3,
          encoding: str | None = None) -> list[CheckResult]:
    """Check subtitle files against a delivery profile: one :class:`CheckResult` per file, in order (a file
    that cannot be read has ``.error`` and the others are still checked)."""
    from .formats import source_notes
    from .qc import check_track
    from .rules import read_track, resolve

    paths = [Path(files)] if isinstance(files, str | Path) else [Path(f) for f in files]
    prof, duration, cuts = resolve(profile, fps, Path(media) if media else None, shot_changes, scene_threshold)
    out = []
    for path in paths:
        try:
            track = read_track(path, encoding)
        except SubpipeError as exc:
            out.append(CheckResult(path, None, exc))
            continue
        out.append(CheckResult(path, check_track(track, prof, media_duration_ms=duration, shot_changes_ms=cuts),
                               notes=tuple(source_notes(track))))
    return out


def fix(file: Path | str, output: Path | str, *, profile: str = "netflix-en", fps: str | None = None,
        media: Path | str | None = None, shot_changes: str | None = None, scene_threshold: float = 0.3,
        encoding: str | None = None) -> FixResult:
    """Re-break and re-time ``file`` to a profile without changing its words; write it to ``output``.
    The result holds the track, the reports before and after, and notes on what could not be fixed."""
    from .formats import format_for
    from .rules import fix_file, resolve

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
    from .formats import format_for, source_notes
    from .qc import change_fps, parse_offset, shift
    from .rules import read_track, write_track

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
            encoding: str | None = None) -> Conversion:
    """Convert a subtitle file to another format (``to``, else ``output``'s extension), keeping text, line
    breaks, styling and placement wherever the target can hold them. Returns the
    :class:`~subpipe.formats.Conversion` (``.track``, ``.text``, ``.fmt``, ``.notes`` on what was dropped);
    writes ``output`` atomically if given."""
    from .formats import convert as convert_file

    return convert_file(file, output, to=to, fps=fps, encoding=encoding)


# ---------------------------------------------------------------- models
def models(*, verify: bool = True) -> list[ModelStatus]:
    """The offline model names: installed, assembled, verified against their SHA-256 (``--no-verify``:
    ``verify=False``)."""
    from . import models as mm

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
    mask: MaskOptions | None = None  # strong language masked in the subtitles (language/mask.py)
    language_report: bool = False  # <stem>.language.csv/.json beside the outputs (language/report.py)

    def run_options(self) -> RunOptions:
        return RunOptions(transcribe=self.transcribe, profile=self.profile, fps=self.fps,
                          audio_stream=self.audio_stream, dialogue=self.dialogue, index=self.index,
                          force=self.force, shot_changes=self.shot_changes,
                          script=str(self.script) if self.script else None, strict=self.strict,
                          refine_times=self.refine_times, timing=self.timing, sdh=self.sdh,
                          sdh_label=self.sdh_label, script_encoding=self.script_encoding,
                          speakers=self.speakers, speaker_samples=self.speaker_samples, separate=self.separate,
                          dialogue_stem=str(self.dialogue_stem) if self.dialogue_stem else None,
                          mask=self.mask, language_report=self.language_report)

    @property
    def db_path(self) -> Path | None:
        return None if not self.index else (self.db or self.output / "quotes.db")

    @property
    def report_path(self) -> Path:
        return self.output / "run-report.json"

    def workers(self) -> tuple[int, int]:
        """(workers, threads per worker): ``jobs="auto"`` picks by device and cores."""
        from .batch import auto_workers
        from .transcribe import resolve_device

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

    A bad file is reported in the :class:`~subpipe.batch.BatchReport` and the rest complete; the report's
    ``failed`` lists them. ``listener(kind, result, totals)`` hears each file as it finishes.
    """
    from . import batch as b

    opts = options or BatchOptions()
    items = b.collect([Path(p) for p in inputs], opts.run_options())
    if opts.script and len(items) > 1:
        raise UsageError("--script goes with one media file (for many, a manifest with a `script` column)")
    if opts.dialogue_stem and len(items) > 1:
        raise UsageError("--dialogue-stem goes with one media file")
    if not items:
        raise SubpipeError("no media files found", hint="give media files, folders holding media, or a manifest")
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


# ---------------------------------------------------------------- quotes
@dataclass(frozen=True)
class SearchFilters:
    """The filters of ``quotes search`` and ``quotes export`` (times in ms)."""

    media: str | None = None
    speaker: str | None = None
    language: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    mode: str = "auto"  # auto | words | substring
    raw: bool = False

    def kwargs(self) -> dict[str, Any]:
        return {"media": self.media, "speaker": self.speaker, "language": self.language,
                "since_ms": self.since_ms, "until_ms": self.until_ms, "mode": self.mode, "raw": self.raw}


def open_index(db: Path | str, *, readonly: bool = True):
    """An existing quote index (QuoteIndexError when there is none at ``db``), opened read-only unless
    ``readonly=False``: reading never writes, so an index on read-only storage can be searched."""
    from . import quotes as q

    db = Path(db)
    if not db.exists():
        raise QuoteIndexError("no quote index here", path=db,
                              hint="run `subpipe run` or `subpipe quotes add` first, or give --db")
    return q.connect(db, readonly=readonly)


@dataclass(frozen=True)
class IndexedTranscript:
    transcript: Path
    media_path: str
    media_id: str
    utterances: int


def quotes_add(transcripts: Sequence[Path | str] | Path | str, *, db: Path | str = DEFAULT_DB,
               media: Path | str | None = None, media_root: Path | str = Path("media"), title: str | None = None,
               fps: str | None = None) -> list[IndexedTranscript]:
    """Index transcript JSON files (re-indexing a media file replaces its rows). Each transcript's media is
    ``media`` or found by name under ``media_root``; its SHA-256 is the media id and must match the one
    the transcript recorded."""
    from . import quotes as q
    from .pipeline import load_transcript

    paths = [Path(transcripts)] if isinstance(transcripts, str | Path) else [Path(p) for p in transcripts]
    if (media or title) and len(paths) > 1:
        raise UsageError("media and title apply to one transcript at a time")
    con = q.connect(Path(db))
    out = []
    try:
        for tpath in paths:
            t = load_transcript(tpath)
            media_id, path, media_fps = media_for(tpath, t, Path(media) if media else None, Path(media_root))
            n = q.add_transcript(con, t, media_id=media_id, path=path, title=title, fps=fps or media_fps)
            out.append(IndexedTranscript(tpath, path, media_id, n))
    finally:
        con.close()
    return out


def media_for(tpath: Path, t: Transcript, media_path: Path | None, media_root: Path) -> tuple[str, str, str | None]:
    """(media id, media path, fps) for a transcript: its media's SHA-256 as the id."""
    from . import media as m
    from .fsio import sha256_file

    prov = (t.provenance or {}).get("media") or {}
    found = media_path
    if found is None and prov.get("name"):
        cand = sorted(media_root.rglob(glob.escape(prov["name"]))) if media_root.is_dir() else []
        found = cand[0] if cand else None
    fps = None
    if found is not None:
        if not found.exists():
            raise SubpipeError("no such media file", path=found)
        sha = sha256_file(found)
        if prov.get("sha256") and prov["sha256"] != sha:
            raise SubpipeError("the media file does not match the transcript (SHA-256 differs)", path=found,
                               hint="give the media file the transcript was made from with --media")
        try:
            fps = m.fps_label(m.probe(found).video_fps)
        except SubpipeError:
            fps = None
        return sha, str(found), fps
    media_id = prov.get("sha256") or hashlib.sha256(tpath.read_bytes()).hexdigest()
    return media_id, prov.get("name") or tpath.name.removesuffix(".transcript.json"), fps


def quotes_search(query: str, *, db: Path | str = DEFAULT_DB, limit: int = 20,
                  filters: SearchFilters | None = None, clean: bool = False) -> list[Hit]:
    """Utterances that hold ``query``'s words, verbatim and in order, best first (FTS5 bm25), each with
    in and out times of the matched words. ``clean``: leave out quotes with strong language."""
    from . import quotes as q

    con = open_index(db)
    try:
        hits = q.search(con, query, limit=limit * 4 + 50 if clean else limit,
                        **(filters or SearchFilters()).kwargs())
    finally:
        con.close()
    if clean:
        from .language.lexicon import load_lexicon, text_has

        lex = load_lexicon()
        hits = [h for h in hits if not text_has(lex, h.text, h.language)]
    return hits[:limit]


def quotes_show(quote_id: str, *, db: Path | str = DEFAULT_DB) -> Hit:
    """One quote by id (or a unique prefix of 6+ characters), with every word and its time (``.words``)."""
    from . import quotes as q

    con = open_index(db)
    try:
        return q.get(con, quote_id)
    finally:
        con.close()


def quotes_export(query: str | None = None, *, output: Path | str, ids: Sequence[str] = (),
                  format: str | None = None, title: str | None = None, db: Path | str = DEFAULT_DB,
                  limit: int = 50, filters: SearchFilters | None = None) -> list[Hit]:
    """Write a quote sheet (csv, md, json, docx; default from ``output``'s extension) for ``query``'s hits
    or for the quotes ``ids``; returns the hits written."""
    from . import quotes as q
    from . import quotesheet

    if bool(query) == bool(ids):
        raise UsageError("give a query or ids, not both")
    out = Path(output)
    fmt = quotesheet.format_for(out, format)
    con = open_index(db)
    try:
        if ids:
            hits = q.get_many(con, [i for chunk in ids for i in chunk.split(",") if i.strip()])
        else:
            assert query is not None
            hits = q.search(con, query, limit=limit, **(filters or SearchFilters()).kwargs())
    finally:
        con.close()
    quotesheet.write(hits, out, fmt, heading=title or (f"Quotes: {query}" if query else None))
    return hits


def quotes_media(*, db: Path | str = DEFAULT_DB) -> list[MediaRow]:
    """The media in the quote index."""
    from . import quotes as q

    con = open_index(db)
    try:
        return q.media_list(con)
    finally:
        con.close()


# ---------------------------------------------------------------- clip
@dataclass(frozen=True)
class ClipResult:
    output: Path
    quote: Hit
    media: Path
    start_ms: int  # the clip's bounds in the media, on frame boundaries
    end_ms: int


def resolve_media(path: str, media_root: Path | None) -> Path:
    """An indexed media path as a file here: as stored, else under ``media_root`` (by relative path or name)."""
    p = Path(path)
    cands = [p]
    if media_root is not None:
        cands += [media_root / p, media_root / p.name]
    for c in cands:
        if c.is_file():
            return c
    raise SubpipeError("the media file of this quote is not here", path=path,
                       hint="give --media-root with the folder that holds it")


def clip(quote_id: str, output: Path | str, *, db: Path | str = DEFAULT_DB, handles_ms: int = 0,
         burn_in: bool = False, soft_subs: bool = False, audio_only: bool = False,
         media_root: Path | str | None = None, profile: str = "netflix-en") -> ClipResult:
    """Cut the media around a quote, frame-accurately, with its subtitles burnt in or muxed as a track."""
    from . import media as m
    from . import quotes as q
    from .formats import srt
    from .fsio import atomic_path

    if burn_in and soft_subs:
        raise UsageError("burn_in and soft_subs exclude each other")
    if audio_only and (burn_in or soft_subs):
        raise UsageError("an audio-only clip has no subtitles")
    out = Path(output)
    con = open_index(db)
    try:
        h = q.get(con, quote_id)
        src = resolve_media(h.media_path, Path(media_root) if media_root else None)
        track = q.media_subtitles(con, h.media_id, profile) if (burn_in or soft_subs) else None
    finally:
        con.close()
    info = m.probe(src)
    start, end = m.clip_bounds(h.start_ms - handles_ms, h.end_ms + handles_ms,
                               fps=None if audio_only else info.video_fps, duration_ms=info.duration_ms or None)
    with tempfile.TemporaryDirectory(prefix="subpipe-clip-") as tmpdir, atomic_path(out) as tmp:
        subs = None
        if track is not None:
            subs = Path(tmpdir) / "clip.srt"
            subs.write_text(srt.dumps(q.window(track, start, end)), encoding="utf-8")
        start, end = m.cut_clip(src, tmp, start, end, subtitles=subs, burn_in=burn_in, audio_only=audio_only,
                                language=h.language, info=info, ext=out.suffix)
    return ClipResult(out, h, src, start, end)


# ---------------------------------------------------------------- serve
def serve(db: Path | str = DEFAULT_DB, *, media_root: Path | str = Path("media"),
          allowed_hosts: Sequence[str] | None = None) -> Callable[..., Any]:
    """The quote search web page as an ASGI app (run it with uvicorn, as ``subpipe serve`` does). Requests whose
    Host header is not one of ``allowed_hosts`` (default: this machine's names) are refused."""
    try:
        from .web import create_app
    except ImportError as exc:
        raise SubpipeError(f"the web page needs the 'web' extra ({exc.name} is missing)",
                           hint="pip install 'subpipe[web]'") from None
    from .web import LOCAL_HOSTS

    open_index(db).close()
    return create_app(Path(db), Path(media_root),
                      allowed_hosts=LOCAL_HOSTS if allowed_hosts is None else tuple(allowed_hosts))


# ---------------------------------------------------------------- speakers
@dataclass(frozen=True)
class SpeakerRow:
    """One speaker of a transcript or of the quote index."""

    label: str
    speaking_ms: int
    utterances: int | None = None  # in the index: how many quotes
    name: str | None = None  # a transcript's enrolled-voice name, when one matched
    similarity: float | None = None


def _is_db(path: Path) -> bool:
    return path.suffix.lower() in (".db", ".sqlite", ".sqlite3")


def speakers_list(target: Path | str) -> list[SpeakerRow]:
    """The speakers of ``target``: a transcript JSON, or the quote index (a .db file), with speaking time."""
    from .pipeline import load_transcript
    from .speakers import index_speakers

    target = Path(target)
    if _is_db(target):
        con = open_index(target)
        try:
            return [SpeakerRow(spk, ms, utterances=n) for spk, n, ms in index_speakers(con)]
        finally:
            con.close()
    t = load_transcript(target)
    return [SpeakerRow(sp.label, sp.speaking_ms, name=sp.name, similarity=sp.similarity) for sp in t.speakers]


def speakers_rename(target: Path | str, old: str, new: str, *, media: str | None = None) -> int:
    """Rename speaker ``old`` (e.g. "S2") to ``new`` in ``target``: a transcript JSON (rewritten atomically;
    subtitles made from it afterwards carry the name; returns its words renamed) or the quote index .db (every
    quote, or one ``media``; returns the quotes renamed). Nothing to rename is a FormatError."""
    from .formats import transcript_json as tj
    from .fsio import atomic_write_text
    from .pipeline import load_transcript
    from .speakers import rename_in_index, rename_transcript

    target = Path(target)
    if _is_db(target):
        con = open_index(target, readonly=False)
        try:
            n = rename_in_index(con, old, new, media_id=media)
        finally:
            con.close()
        if n == 0:
            raise FormatError(f"no quote in the index is spoken by {old!r}", path=target)
        return n
    t = load_transcript(target)
    renamed = rename_transcript(t, old, new)
    atomic_write_text(target, tj.dumps(renamed))
    return sum(1 for w in t.words if w.speaker == old)
