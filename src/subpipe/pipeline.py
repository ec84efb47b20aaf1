"""Stages chained per media file: probe -> extract -> transcribe (checkpoint) -> subtitles -> index.

Every stage writes atomically (temp file + rename) and is skipped when its output is already there
for the same inputs, so an interrupted run resumes. A batch keeps going past a bad file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import media as media_mod
from . import quotes
from .cues import make_cues
from .errors import FormatError, SubpipeError
from .formats import SUBTITLE_FORMATS
from .formats import transcript_json as tj
from .fsio import atomic_write_text, ensure_writable_dir, sha256_file
from .model import CueTrack, Transcript
from .profiles import Profile, get_profile
from .transcribe import Progress, TranscribeOptions, transcribe_audio

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
    shot_changes: bool = False  # detect cuts in the video (ffmpeg scene score, cached) for the timing rules


@dataclass
class FileResult:
    media: Path
    ok: bool
    outputs: list[Path] = field(default_factory=list)
    duration_ms: int = 0
    words: int = 0
    cues: int = 0
    model: str | None = None
    elapsed_s: float = 0.0
    transcribe_s: float = 0.0
    reused_transcript: bool = False
    notes: list[str] = field(default_factory=list)
    error: SubpipeError | None = None

    @property
    def realtime_factor(self) -> float | None:
        if not self.transcribe_s or self.reused_transcript:
            return None
        return self.duration_ms / 1000 / self.transcribe_s


def output_dir_for(media: Path, out_root: Path) -> Path:
    return out_root / media.stem


def transcript_path(media: Path, out_root: Path) -> Path:
    return output_dir_for(media, out_root) / f"{media.stem}.transcript.json"


def load_transcript(path: Path) -> Transcript:
    try:
        return tj.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError("no such transcript", path=path) from None
    except UnicodeDecodeError:
        raise FormatError("transcript is not UTF-8 JSON", path=path) from None
    except FormatError as exc:
        exc.path = str(path)
        raise


def _checkpoint_matches(t: Transcript, media_sha: str, opts: TranscribeOptions, stream: int | None,
                        dialogue: str) -> bool:
    p = t.provenance
    return (
        (p.get("media") or {}).get("sha256") == media_sha
        and p.get("options") == opts.provenance()
        and p.get("audio") == {"stream": stream or 0, "dialogue": dialogue}
    )


def write_subtitles(track: CueTrack, base: Path, formats: Sequence[str]) -> list[Path]:
    written = []
    for fmt in formats:
        mod = SUBTITLE_FORMATS[fmt]
        path = base.with_name(base.name + "." + fmt)
        atomic_write_text(path, mod.dumps(track))
        written.append(path)
    return written


def make_subtitles(transcript: Transcript, profile: Profile, *, shot_changes_ms=None) -> CueTrack:
    return make_cues(transcript, profile, shot_changes_ms=shot_changes_ms)


def process_media(
    media: Path,
    out_root: Path,
    options: RunOptions,
    *,
    db: Path | None = None,
    progress: Progress | None = None,
) -> FileResult:
    """Run every stage for one media file. Raises SubpipeError for bad input."""
    t0 = time.perf_counter()
    media = Path(media)
    info = media_mod.probe(media)  # clear errors for missing, empty, corrupt files
    if not info.audio_streams:
        raise media_mod.NoAudioStreamError("no audio stream", path=media, hint="the file has no sound to transcribe")
    profile = get_profile(options.profile, options.fps or _media_fps(info))
    folder = ensure_writable_dir(output_dir_for(media, out_root))
    result = FileResult(media=media, ok=False, duration_ms=info.duration_ms)
    media_sha = sha256_file(media)
    tpath = transcript_path(media, out_root)
    transcript = None
    if tpath.exists() and not options.force:
        try:
            old = load_transcript(tpath)
            if _checkpoint_matches(old, media_sha, options.transcribe, options.audio_stream, options.dialogue):
                transcript, result.reused_transcript = old, True
                log.info("%s: reusing transcript %s", media.name, tpath)
        except FormatError:
            log.warning("%s: ignoring unreadable checkpoint %s", media.name, tpath)
    if transcript is None:
        audio = media_mod.extract_audio(media, stream=options.audio_stream, dialogue=options.dialogue, info=info)
        t1 = time.perf_counter()
        transcript = transcribe_audio(
            audio.samples, options.transcribe, progress=progress, media_sha256=media_sha, media_name=media.name
        )
        result.transcribe_s = time.perf_counter() - t1
        prov = dict(transcript.provenance)
        prov["audio"] = {"stream": audio.stream, "dialogue": options.dialogue}
        transcript = Transcript(
            transcript.words, transcript.language, transcript.duration_ms, transcript.utterances,
            tuple(audio.notes) + transcript.notes, prov,
        )
        atomic_write_text(tpath, tj.dumps(transcript))
    result.outputs.append(tpath)
    cuts = media_mod.scene_changes(media) if options.shot_changes and info.has_video else None
    track = make_subtitles(transcript, profile, shot_changes_ms=cuts)
    result.outputs += write_subtitles(track, folder / media.stem, options.formats)
    if options.index and db is not None:
        con = quotes.connect(db)
        try:
            fps = str(profile.fps)
            quotes.add_transcript(con, transcript, media_id=media_sha, path=str(media), fps=fps)
        finally:
            con.close()
    result.words = len(transcript.words)
    result.cues = len(track)
    result.model = (transcript.provenance.get("model") or {}).get("name")
    result.notes = list(transcript.notes)
    result.elapsed_s = time.perf_counter() - t0
    result.ok = True
    return result


def _media_fps(info: media_mod.MediaInfo) -> str | None:
    if info.video_fps is None:
        return None
    known = {"24000/1001": "23.976", "30000/1001": "29.97", "60000/1001": "59.94"}
    f = info.video_fps
    return known.get(f"{f.numerator}/{f.denominator}", str(f))


def run_batch(
    paths: Sequence[Path],
    out_root: Path,
    options: RunOptions,
    *,
    db: Path | None = None,
    on_start: Callable[[Path, int, int], None] | None = None,
    on_done: Callable[[FileResult], None] | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Process every file; a bad file is reported in its result and never stops the batch."""
    ensure_writable_dir(out_root)
    results = []
    for n, path in enumerate(paths, start=1):
        if on_start:
            on_start(path, n, len(paths))
        try:
            res = process_media(path, out_root, options, db=db, progress=progress)
        except SubpipeError as exc:
            log.debug("failed: %s", exc, exc_info=True)
            res = FileResult(media=Path(path), ok=False, error=exc)
        results.append(res)
        if on_done:
            on_done(res)
    return results


def expand_inputs(inputs: Sequence[Path]) -> list[Path]:
    """Files as given; folders expanded (recursively) to the media files inside them, sorted."""
    out: list[Path] = []
    for p in inputs:
        p = Path(p)
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in media_mod.MEDIA_EXTENSIONS)
        else:
            out.append(p)
    return out
