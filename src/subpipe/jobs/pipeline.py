"""Stages chained per media file: plan -> transcribe (checkpoint) -> finish (subtitles, index).

Every stage writes atomically (temp file + rename) and is skipped when its output is already there for
the same inputs (content-addressed: media SHA-256, model and options for the transcript; transcript
SHA-256 and profile for the subtitles), so an interrupted run resumes and a rerun redoes nothing.
``plan`` and ``finish`` run in the driver; ``transcribe_job`` is the heavy part a worker (a thread, a
process or a Ray actor) runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._version import __version__
from ..asr.engine import one_blas_thread
from ..asr.languages import subtitle_view
from ..asr.transcribe import Progress, TranscribeOptions, load_model, model_for, transcribe_audio
from ..audio import media as media_mod
from ..errors import FormatError, SubpipeError
from ..formats import SUBTITLE_FORMATS
from ..formats import transcript_json as tj
from ..fsio import atomic_write_text, display_name, ensure_writable_dir, output_name, sha256_file, sweep_stale_parts
from ..model import CueTrack, Transcript
from ..quotes import index as quotes
from ..subtitling.profiles import Profile, get_profile

log = logging.getLogger("subpipe")


@dataclass(frozen=True)
class RunOptions:
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    profile: str = "netflix-en"
    fps: str | None = None
    formats: tuple[str, ...] = ("srt", "vtt")
    audio_stream: int | None = None
    dialogue: str = "mix"
    index: bool = True
    force: bool = False  # transcribe again even when a matching checkpoint exists
    script: str | None = None  # a script/transcript/subtitle file whose words are timed instead of transcribed
    strict: bool = False  # with a script: fail the file when the script and the audio differ
    refine_times: bool = False  # deprecated: accurate word times are the default now (``timing``)
    shot_changes: bool = False  # detect cuts in the video (ffmpeg scene score, cached) for the timing rules
    sdh: bool = False  # SDH: sound cues over music without speech, dashes for two known speakers (sdh.py)
    sdh_label: str | None = None  # the music cue's text (default "[MUSIC]"; "♪" for a note)
    script_encoding: str | None = None  # the script's text encoding (default: a BOM, else UTF-8)
    timing: str = "accurate"  # "accurate": word times re-timed on the acoustics (wordtiming.py); "fast": Whisper's
    speakers: str = "auto"  # diarization (diarize.py): "auto" (count estimated), "off", or a count "N"
    speaker_samples: tuple[tuple[str, str], ...] = ()  # enrolled voices (NAME, audio file) that name speakers
    separate: str = "auto"  # dialogue isolation before VAD/transcription: auto | on | off (separate.py)
    dialogue_stem: str | None = None  # transcribe this dialogue stem instead, timed against the media
    mask: Any = None  # language.mask.MaskOptions: strong language masked in the subtitles only
    start_tc: str | None = None  # SCC: the programme start timecode media time 0 is written at (scc.write)
    language_report: bool = False  # write <name>.language.csv/.json (language/report.py)


@dataclass
class FileResult:
    media: Path
    ok: bool
    name: str = ""
    outputs: list[Path] = field(default_factory=list)
    duration_ms: int = 0
    words: int = 0
    cues: int = 0
    compliance: float | None = None
    model: str | None = None
    elapsed_s: float = 0.0
    transcribe_s: float = 0.0
    reused_transcript: bool = False
    reused_subtitles: bool = False
    notes: list[str] = field(default_factory=list)
    coverage: str | None = None  # the speech coverage report in one line (asr.coverage.describe), when recorded
    error: SubpipeError | None = None

    @property
    def realtime_factor(self) -> float | None:
        if not self.transcribe_s or self.reused_transcript:
            return None
        return self.duration_ms / 1000 / self.transcribe_s

    @property
    def status(self) -> str:
        if not self.ok:
            return "failed"
        return "cached" if self.reused_transcript and self.reused_subtitles else "done"

    def to_dict(self) -> dict[str, Any]:
        return {
            "media": display_name(self.media),
            "name": display_name(self.name),
            "status": self.status,
            "error": str(self.error) if self.error else None,
            "duration_s": round(self.duration_ms / 1000, 3),
            "elapsed_s": round(self.elapsed_s, 3),
            "transcribe_s": round(self.transcribe_s, 3),
            "x_real_time": round(self.realtime_factor, 2) if self.realtime_factor else None,
            "words": self.words,
            "cues": self.cues,
            "compliance": self.compliance,
            "model": self.model,
            "transcript_reused": self.reused_transcript,
            "subtitles_reused": self.reused_subtitles,
            "notes": self.notes,
            "coverage": self.coverage,
            "outputs": [display_name(p) for p in self.outputs],
        }


def output_dir_for(media: Path, out_root: Path, name: str | None = None) -> Path:
    return out_root / output_name(name or media.stem)


def transcript_path(media: Path, out_root: Path, name: str | None = None) -> Path:
    name = output_name(name or media.stem)
    return output_dir_for(media, out_root, name) / f"{name}.transcript.json"


load_transcript = tj.load  # the transcript JSON reader (formats.transcript_json.load), under its old name


def write_subtitles(track: CueTrack, base: Path, formats: Sequence[str], start_tc: str | None = None) -> list[Path]:
    written = []
    for fmt in formats:
        mod = SUBTITLE_FORMATS[fmt]
        path = base.with_name(base.name + mod.EXTENSIONS[0])
        atomic_write_text(path, mod.dumps(track, start_tc=start_tc) if start_tc and fmt == "scc" else mod.dumps(track))
        written.append(path)
    return written


def make_subtitles(transcript: Transcript, profile: Profile, *, shot_changes_ms=None, sdh: bool = False,
                   sdh_label: str | None = None) -> CueTrack:
    # with a translation: English subtitles for the foreign parts, the original words everywhere else
    view = subtitle_view(transcript)
    from ..subtitling.cues import cues_by_speaker  # make_cues, or per speaker where two speak at once (per channel)

    track = cues_by_speaker(view, profile, shot_changes_ms=shot_changes_ms)
    if sdh:
        from ..subtitling.sdh import add_sound_cues, dash_speakers, speaker_ids

        prof = profile.for_language(view.language)
        track = dash_speakers(track, view, prof)
        track = speaker_ids(track, view, prof)
        track = add_sound_cues(track, transcript.events, prof, media_end_ms=transcript.duration_ms or None,
                               label=sdh_label)
    # reading speed: a cue still too fast is held into the gap after it where the rules allow; the rest is
    # speech faster than the limit, named in a note with its rate
    from ..subtitling.qc import cue_chars
    from ..subtitling.reading import hold_and_note

    prof = profile.for_language(view.language)
    cues, notes = hold_and_note(track.cues, prof, lambda c: cue_chars(c, prof.count_spaces),
                                transcript.duration_ms or None)
    if notes:
        meta = {**track.metadata, "notes": [*track.metadata.get("notes", ()), *notes]}
        track = CueTrack(tuple(cues), language=track.language, metadata=meta)
    return track


def compliance(track: CueTrack, profile: Profile, *, media_duration_ms: int | None = None,
               shot_changes_ms=None) -> float | None:
    """Share of cues that pass every rule of the profile (``subpipe check``'s rules)."""
    if not track.cues:
        return None
    from ..subtitling.qc import check_track

    report = check_track(track, profile, media_duration_ms=media_duration_ms, shot_changes_ms=shot_changes_ms)
    return round(report.compliance, 4)


# ------------------------------------------------------------------ media hash cache
class HashCache:
    """SHA-256 of media files, remembered by (path, size, mtime) so cached reruns do not re-read media."""

    def __init__(self, path: Path | None):
        self.path = path
        self.data: dict[str, list] = {}
        if path and path.is_file():
            try:
                self.data = json.loads(path.read_text())
            except (OSError, ValueError):
                self.data = {}

    def sha256(self, media: Path) -> str:
        st = media.stat()
        key = str(media.resolve())
        hit = self.data.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        digest = sha256_file(media)
        self.data[key] = [st.st_size, st.st_mtime_ns, digest]
        if self.path:
            try:
                atomic_write_text(self.path, json.dumps(self.data, indent=0, sort_keys=True))
            except SubpipeError:
                pass  # a cache we cannot write only costs time
        return digest


# ------------------------------------------------------------------ stages
@dataclass
class Plan:
    """What the driver decided for one file before any heavy work."""

    media: Path
    name: str
    options: RunOptions
    info: media_mod.MediaInfo
    media_sha: str
    profile: Profile
    folder: Path
    transcript: Transcript | None  # a matching checkpoint, when there is one

    @property
    def needs_transcription(self) -> bool:
        return self.transcript is None


# Options that change how fast a transcript is made, not what it says: a rerun with other values reuses it.
_SPEED_ONLY = ("cpu_threads", "device_index")


def _comparable(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _comparable(v) for k, v in d.items() if k not in _SPEED_ONLY}
    return d


def _expected_options(opts: RunOptions) -> dict[str, Any]:
    if opts.script:
        from ..alignment import AlignOptions

        return _comparable(AlignOptions(transcribe=opts.transcribe).provenance())
    return _comparable(opts.transcribe.provenance())


def _script_stamp(opts: RunOptions) -> dict[str, Any] | None:
    if not opts.script:
        return None
    path = Path(opts.script)
    if not path.is_file():
        raise FormatError("no such script", path=path)
    return {"path": str(path), "sha256": sha256_file(path)}


def _checkpoint_matches(t: Transcript, media_sha: str, opts: RunOptions) -> bool:
    p = t.provenance
    return (
        (p.get("media") or {}).get("sha256") == media_sha
        and _comparable(p.get("options")) == _expected_options(opts)
        and p.get("audio") == {"stream": opts.audio_stream or 0, "dialogue": opts.dialogue}
        and p.get("script_file") == _script_stamp(opts)
        and (p.get("timing") or {}).get("method") == _timing_method(opts)
        and (not opts.sdh or p.get("sound_events") is not None)  # made before sound events were detected
        and _diarization_matches(p.get("diarization"), opts)
        and _separation_matches(p, opts)
    )


def _diarize_options(opts: RunOptions):
    from ..speakers.diarize import DiarizeOptions

    return DiarizeOptions(mode=opts.speakers, samples=tuple(opts.speaker_samples))


def _diarization_matches(stamp: Any, opts: RunOptions) -> bool:
    from ..speakers.diarize import provenance_matches

    return provenance_matches(stamp, _diarize_options(opts))


def _separation_matches(p: dict[str, Any], opts: RunOptions) -> bool:
    from ..audio.separate import dialogue_stamp

    want = dialogue_stamp(opts.separate, opts.dialogue_stem)
    if "separation" not in p:  # made before separation existed: the mix, as --separate off would transcribe it
        return want == dialogue_stamp("off", None)
    return (p.get("separation") or {}).get("request") == want


def plan(media: Path, out_root: Path, options: RunOptions, *, name: str | None = None,
         hashes: HashCache | None = None) -> Plan:
    """Probe the media (clear errors for missing, empty, corrupt, silent-video files) and find checkpoints."""
    media = Path(media)
    name = output_name(name or media.stem)  # long or non-UTF-8 names: a safe, unique output stem
    info = media_mod.probe(media)
    if not info.audio_streams:
        raise media_mod.NoAudioStreamError("no audio stream", path=media, hint="the file has no sound to transcribe")
    profile = get_profile(options.profile, options.fps or _media_fps(info))
    folder = ensure_writable_dir(output_dir_for(media, out_root, name))
    sweep_stale_parts(folder)  # temp files of a run that was killed mid-write
    media_sha = (hashes or HashCache(None)).sha256(media)
    tpath = folder / f"{name}.transcript.json"
    transcript = None
    if tpath.exists() and not options.force:
        try:
            old = load_transcript(tpath)
            if _checkpoint_matches(old, media_sha, options):
                transcript = old
                log.info("%s: reusing transcript %s", media.name, tpath)
        except FormatError:
            log.warning("%s: ignoring unreadable checkpoint %s", media.name, tpath)
    return Plan(media, name, options, info, media_sha, profile, folder, transcript)


@dataclass(frozen=True)
class TranscribeJob:
    """What a worker needs: picklable, no open handles."""

    media: str
    media_sha: str
    options: RunOptions
    key: str = ""  # the output name: how the driver matches a result to its file


@one_blas_thread()
def transcribe_job(job: TranscribeJob, progress: Progress | None = None,
                   audio: media_mod.Audio | media_mod.StreamedAudio | None = None) -> tuple[dict[str, Any], float]:
    """Extract and transcribe one file; returns the transcript as a dict and seconds spent transcribing."""
    opts = job.options
    media = Path(job.media)
    if audio is None:
        audio = media_mod.open_audio(media, stream=opts.audio_stream, dialogue=opts.dialogue,
                                     stream_min_ms=_stream_min_ms(opts))
    try:
        return _transcribe_job(job, progress, audio)
    finally:
        if isinstance(audio, media_mod.StreamedAudio):
            audio.close()  # the PCM temp file goes with the job


def _transcribe_job(job: TranscribeJob, progress: Progress | None, audio: Any) -> tuple[dict[str, Any], float]:
    opts = job.options
    media = Path(job.media)
    from .dialogue import dialogue_audio  # auto's unsure stretches: Whisper's confidence chooses

    original = audio
    audio, sep_notes, sep_prov = dialogue_audio(audio, opts, media)  # the samples VAD and Whisper hear
    source = getattr(audio, "source", None)  # a long input, streamed from a PCM temp file
    t1 = time.perf_counter()
    if opts.script:  # loading is not transcription time
        load_model(opts.transcribe)
        t1 = time.perf_counter()
    elif source is not None:  # the model loads on the other core while Silero reads the audio (it needs none)
        from concurrent.futures import ThreadPoolExecutor

        from ..audio.source import vad_probs

        _prefetch(source, opts)
        with ThreadPoolExecutor(1, thread_name_prefix="subpipe-load") as ex:
            loading = ex.submit(model_for, opts.transcribe, audio.duration_ms)
            vad_probs(source)  # kept on the source for the decoder (audiosource.vad_probs)
            loading.result()
    else:  # the model the engine for this length runs on (transcribe.model_for)
        model_for(opts.transcribe, audio.duration_ms)
        t1 = time.perf_counter()
    if opts.script:
        t = _align_job(job, audio, progress)
        from ..audio.events import DETECTOR, detect_music

        t = replace(t, events=detect_music(audio.samples, words=t.words),
                    provenance={**t.provenance, "sound_events": DETECTOR})
    else:
        # a long input streamed from a PCM temp file is read by window (bounded memory)
        t = transcribe_audio(source or audio.samples, opts.transcribe, progress=progress,
                             media_sha256=job.media_sha, media_name=display_name(media.name))
        t = retime_for(opts, t, audio)
    seconds = time.perf_counter() - t1
    prov = dict(t.provenance)
    prov["audio"] = {"stream": audio.stream, "dialogue": opts.dialogue}
    if opts.script:
        prov["script_file"] = _script_stamp(opts)
    prov["separation"] = sep_prov
    if audio is not original:  # sound events (SDH) come from the soundtrack as heard, not the dialogue
        from ..audio.events import detect_music

        t = replace(t, events=detect_music(original.samples, words=t.words))
    t = replace(t, notes=tuple(audio.notes) + sep_notes + t.notes, provenance=prov)
    from ..speakers.diarize import label_speakers  # speaker labels (unless --speakers off); one per channel when so

    # a long input's source is read by block (diarize.log_mel), not loaded whole
    t = label_speakers(media, getattr(audio, "source", None) or audio.samples, t, _diarize_options(opts),
                       transcribe=None if opts.script else (
        lambda s: transcribe_audio(s, opts.transcribe, media_sha256=job.media_sha, media_name=media.name)))
    return tj.to_dict(t), seconds


# Features a long input's later stages need from the audio alone, computed in the background while the cores
# are not both busy (model loading, language detection, the decoder's gaps): the same values, sooner. The
# speaker features cost 16 KiB per second of audio (58 MiB an hour): held from the start only up to an hour.
PREFETCH_SPEAKER_FEATURES_MAX_MS = 60 * 60 * 1000


def _prefetch(source: Any, opts: RunOptions) -> None:
    from ..audio.events import frame_features_source

    source.prefetch(frame_features_source)  # music detection (sound.detect_music_source)
    if opts.speakers != "off" and source.duration_ms <= PREFETCH_SPEAKER_FEATURES_MAX_MS:
        from ..speakers.diarize import log_mel

        source.prefetch(log_mel)


def _timing_method(opts: RunOptions) -> str | None:
    from ..alignment.acoustic import METHOD

    if opts.timing not in ("accurate", "fast"):
        raise SubpipeError(f"unknown timing {opts.timing!r} (use accurate or fast)")
    if opts.script:  # align() puts the script's words on the acoustics itself (align/core.py)
        return METHOD
    return METHOD if opts.timing == "accurate" else None


def retime_for(opts: RunOptions, t: Transcript, audio: media_mod.Audio) -> Transcript:
    """Word times on the acoustics unless ``timing`` is "fast" (the one place the pipeline re-times words)."""
    if _timing_method(opts) is None:
        return t
    from ..alignment.acoustic import array_reader, retime
    from ..audio.source import job_cores

    source = getattr(audio, "source", None)  # a long input read by window from its PCM file (bounded memory)
    reader = source.read if source is not None else array_reader(audio.samples)
    return retime(t, reader, cores=job_cores(opts.transcribe.cpu_threads))


def _align_job(job: TranscribeJob, audio: media_mod.Audio, progress: Progress | None) -> Transcript:
    """Time the words of the job's script instead of transcribing (``subpipe run --script``)."""
    from ..alignment import AlignOptions, align, read_script
    from ..errors import AlignmentError

    opts = job.options
    script = read_script(Path(opts.script), encoding=opts.script_encoding)  # type: ignore[arg-type]
    res = align(audio.samples, script, AlignOptions(transcribe=opts.transcribe), progress=progress,
                media_sha256=job.media_sha, media_name=display_name(Path(job.media).name))
    if opts.strict and res.mismatches:
        listed = "; ".join(m.describe() for m in res.mismatches[:3])
        raise AlignmentError(f"the script and the audio differ ({len(res.mismatches)} mismatches: {listed})",
                             path=job.media, hint="fix the script, or drop --strict to get them listed")
    return res.transcript


def finish(p: Plan, transcript: Transcript, out_root: Path, *, db: Path | None, new_transcript: bool,
           transcribe_s: float = 0.0, started: float | None = None) -> FileResult:
    """Write the checkpoint (when new), the subtitles (unless up to date) and the quote index rows."""
    result = FileResult(media=p.media, ok=False, name=p.name, duration_ms=p.info.duration_ms)
    tpath = p.folder / f"{p.name}.transcript.json"
    text = tj.dumps(transcript)
    if new_transcript:
        atomic_write_text(tpath, text)
    result.outputs.append(tpath)
    transcript_sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    stamp_path = p.folder / f".{p.name}.subtitles.json"
    cuts = (media_mod.scene_changes(p.media, sha256=p.media_sha)
            if p.options.shot_changes and p.info.has_video else None)
    stamp = {"transcript_sha256": transcript_sha, "profile": p.profile.describe(),
             "formats": list(p.options.formats), "shot_changes": cuts, "version": __version__}
    if p.options.sdh:
        stamp["sdh"] = {"label": p.options.sdh_label}
    if p.options.start_tc:
        stamp["start_tc"] = p.options.start_tc
    targets = [p.folder / (p.name + SUBTITLE_FORMATS[fmt].EXTENSIONS[0]) for fmt in p.options.formats]
    view, lang_notes = _language_outputs(p, transcript, stamp, result)
    track = make_subtitles(view, p.profile, shot_changes_ms=cuts, sdh=p.options.sdh,
                           sdh_label=p.options.sdh_label)
    if _stamp_matches(stamp_path, stamp) and all(t.exists() for t in targets):
        result.reused_subtitles = True
    else:
        write_subtitles(track, p.folder / p.name, p.options.formats, p.options.start_tc)
        atomic_write_text(stamp_path, json.dumps(stamp, sort_keys=True))
    result.outputs += targets
    index_notes: list[str] = []
    if p.options.index and db is not None:
        con = quotes.connect(db)
        try:
            quotes.add_transcript(con, transcript, media_id=p.media_sha, path=display_name(p.media.resolve()),
                                  fps=str(p.profile.fps), notes=index_notes)
            from ..speakers.naming import apply_names

            # speaker names given in the index earlier, on the voices they were given to
            apply_names(con, p.media_sha, voices=(transcript.provenance.get("diarization") or {}).get("voices"))
        except sqlite3.Error as exc:  # the index's fault, named as such (not the media file's)
            from ..errors import QuoteIndexError

            raise QuoteIndexError(f"cannot update the quote index ({exc})", path=db,
                                  hint=quotes._db_hint(exc)) from exc
        finally:
            con.close()
    result.words = len(transcript.words)
    result.cues = len(track)
    result.compliance = compliance(track, p.profile, media_duration_ms=p.info.duration_ms or None,
                                   shot_changes_ms=cuts)
    result.model = (transcript.provenance.get("model") or {}).get("name")
    result.notes = list(transcript.notes) + lang_notes + index_notes
    result.coverage = _coverage_line(transcript)
    result.reused_transcript = not new_transcript
    result.transcribe_s = transcribe_s
    result.elapsed_s = time.perf_counter() - started if started else 0.0
    result.ok = True
    return result


def _language_outputs(p: Plan, transcript: Transcript, stamp: dict, result: FileResult
                      ) -> tuple[Transcript, list[str]]:
    """--mask-profanity (the transcript the cues are made from) and --language-report (written here)."""
    notes: list[str] = []
    view = transcript
    if p.options.mask is not None:
        from ..language.mask import mask_transcript

        view, _, note = mask_transcript(transcript, p.options.mask)
        stamp["mask"] = p.options.mask.describe()
        notes.append(note)
    if p.options.language_report:
        from ..language.lexicon import load_lexicon
        from ..language.report import build, dumps_csv, dumps_json

        rep = build([(p.name, transcript)], load_lexicon(), fps=p.profile.fps)
        for ext, dump in ((".language.csv", dumps_csv), (".language.json", dumps_json)):
            result.outputs.append(atomic_write_text(p.folder / f"{p.name}{ext}", dump(rep)))
    return view, notes


def _coverage_line(transcript: Transcript) -> str | None:
    from ..asr.coverage import describe

    report = (transcript.provenance.get("decoder") or {}).get("coverage")
    return describe(report) if report else None


def _stamp_matches(path: Path, stamp: dict) -> bool:
    try:
        return json.loads(path.read_text()) == stamp
    except (OSError, ValueError):
        return False


def decode(p: Plan, *, in_memory: bool = False) -> media_mod.Audio | media_mod.StreamedAudio:
    """The planned file's audio as 16 kHz mono samples, with the plan's stream and dialogue choice; a long
    input (``media.STREAM_MIN_MS``) comes as a PCM temp file read by window (close it when done)."""
    return media_mod.open_audio(p.media, stream=p.options.audio_stream, dialogue=p.options.dialogue, info=p.info,
                                stream_min_ms=1 << 62 if in_memory else _stream_min_ms(p.options))


def _stream_min_ms(opts: RunOptions) -> int | None:
    # --script aligns over the whole array: keep it in memory (no gain from a temp file)
    return 1 << 62 if opts.script else None


def process_media(
    media: Path,
    out_root: Path,
    options: RunOptions,
    *,
    db: Path | None = None,
    progress: Progress | None = None,
    name: str | None = None,
    hashes: HashCache | None = None,
) -> FileResult:
    """Run every stage for one media file in this process. Raises SubpipeError for bad input."""
    t0 = time.perf_counter()
    p = plan(media, out_root, options, name=name, hashes=hashes)
    if p.transcript is not None:
        return finish(p, p.transcript, out_root, db=db, new_transcript=False, started=t0)
    audio = decode(p)
    data, seconds = transcribe_job(TranscribeJob(str(p.media), p.media_sha, options), progress, audio)
    return finish(p, tj.from_dict(data), out_root, db=db, new_transcript=True, transcribe_s=seconds, started=t0)


def _media_fps(info: media_mod.MediaInfo) -> str | None:
    return media_mod.fps_label(info.video_fps)


def unique_names(paths: Sequence[Path]) -> list[str]:
    """Output folder names: the stem, or stem-ext when two inputs share a stem; never two the same."""
    stems = [output_name(Path(p).stem) for p in paths]
    taken: set[str] = set()
    out = []
    for p, s in zip(paths, stems, strict=True):
        if stems.count(s) > 1:
            ext = Path(p).suffix.lstrip(".").lower()
            s = f"{s}-{ext}" if ext else s
        base, k = s, 2
        while s in taken:
            s, k = f"{base}-{k}", k + 1
        taken.add(s)
        out.append(s)
    return out


def expand_inputs(inputs: Sequence[Path]) -> list[Path]:
    """Files as given; folders expanded (recursively) to the media files inside them, sorted."""
    out: list[Path] = []
    for p in inputs:
        p = Path(p)
        if p.is_dir():
            out += sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in media_mod.MEDIA_EXTENSIONS and not f.name.startswith(".")
            )
        else:
            out.append(p)
    return out


__all__ = [
    "FileResult", "HashCache", "Plan", "RunOptions", "TranscribeJob", "compliance", "decode", "expand_inputs", "finish",
    "load_transcript", "make_subtitles", "plan", "process_media", "transcribe_job", "transcript_path",
    "unique_names", "write_subtitles",
]
