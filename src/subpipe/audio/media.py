"""The ffmpeg adapter: the only module that starts processes.

Argv lists (never a shell), ``-nostdin``, the command logged with ``shlex.join``, and every failure
raised as a SubpipeError that carries the command and the tail of ffmpeg's stderr.
The ffmpeg binary is ``$FFMPEG_PATH``, else the one on PATH, else the one the imageio-ffmpeg wheel
ships. Probing uses ffprobe when there is one and PyAV (libav* bundled with faster-whisper) when not.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg  # ffmpeg-python: builds the argv
import numpy as np

from ..errors import (
    CorruptMediaError,
    FFmpegError,
    FFmpegNotFoundError,
    MediaError,
    MediaNotFoundError,
    NoAudioStreamError,
    OutputError,
)
from ..timecode import SAMPLE_RATE, samples_duration_ms

log = logging.getLogger("subpipe")

MEDIA_EXTENSIONS = frozenset(
    ".mp4 .mov .mkv .mxf .avi .webm .m4v .mpg .mpeg .ts .m2ts .wmv .flv "
    ".wav .flac .mp3 .m4a .aac .ogg .opus .wma .aif .aiff".split()
)


@functools.cache
def ffmpeg_exe() -> str:
    env = os.environ.get("FFMPEG_PATH")
    if env:
        if not (Path(env).is_file() and os.access(env, os.X_OK)):
            raise FFmpegNotFoundError(f"FFMPEG_PATH={env} is not an executable file")
        return env
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:  # the ffmpeg extra: a bundled binary
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # no imageio-ffmpeg, or it has no binary for this machine
        raise FFmpegNotFoundError(
            "no ffmpeg found (not in FFMPEG_PATH, not on PATH, and no bundled one: the ffmpeg extra)",
            hint="install ffmpeg (apt-get install ffmpeg), set FFMPEG_PATH, or pip install 'subpipe[ffmpeg]'",
        ) from exc


@functools.cache
def ffprobe_exe() -> str | None:
    env = os.environ.get("FFPROBE_PATH")
    if env:
        return env if env.lower() not in ("", "none", "0") and Path(env).is_file() else None
    sibling = Path(ffmpeg_exe()).with_name("ffprobe")
    if sibling.is_file():
        return str(sibling)
    return shutil.which("ffprobe")


def _run(cmd: list[str], *, path: Path | None = None, what: str = "ffmpeg") -> subprocess.CompletedProcess:
    log.debug("running %s", shlex.join(cmd))
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    except OSError as exc:
        raise FFmpegNotFoundError(f"cannot start {cmd[0]}: {exc}") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        last = tail[-1] if tail else f"exit code {proc.returncode}"
        raise FFmpegError(f"{what} failed: {last}", cmd=cmd, stderr="\n".join(tail), path=path)
    return proc


def _safe_input(path: Path) -> str:
    # An absolute path can never be read as an option ("-x.mp4") or a protocol ("a:b.mp4").
    return str(path.resolve())


@dataclass(frozen=True, slots=True)
class AudioStream:
    index: int  # position among the audio streams (ffmpeg's 0:a:N)
    codec: str | None
    channels: int
    layout: str | None
    sample_rate: int | None
    language: str | None = None

    @property
    def has_centre(self) -> bool:
        return self.channels >= 3 and (self.layout is None or "FC" in _layout_channels(self.layout))


def _layout_channels(layout: str) -> set[str]:
    named = {
        "5.1": {"FL", "FR", "FC", "LFE", "BL", "BR"},
        "5.1(side)": {"FL", "FR", "FC", "LFE", "SL", "SR"},
        "7.1": {"FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"},
        "3.0": {"FL", "FR", "FC"},
        "mono": {"FC"},
        "stereo": {"FL", "FR"},
    }
    return named.get(layout, {p.upper() for p in layout.replace("(", "+").replace(")", "").split("+")})


def fps_label(rate: Fraction | None) -> str | None:
    """A video frame rate as the label profiles take: 24000/1001 -> "23.976"; None stays None."""
    if rate is None:
        return None
    known = {Fraction(24000, 1001): "23.976", Fraction(30000, 1001): "29.97", Fraction(60000, 1001): "59.94"}
    return known.get(Fraction(rate), str(Fraction(rate)))


@dataclass(frozen=True, slots=True)
class MediaInfo:
    path: Path
    duration_ms: int
    audio_streams: tuple[AudioStream, ...]
    has_video: bool
    video_fps: Fraction | None
    format_name: str | None


def _check_file(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise MediaNotFoundError("no such file", path=path)
    if not path.is_file():
        raise MediaError("not a regular file", path=path)
    if path.stat().st_size == 0:
        raise CorruptMediaError("empty file (0 bytes)", path=path)
    return path


def probe(path: Path) -> MediaInfo:
    """Describe a media file; raise a clear error for anything ffmpeg cannot read."""
    path = _check_file(path)
    exe = ffprobe_exe()
    return _probe_ffprobe(path, exe) if exe else _probe_pyav(path)


def _probe_ffprobe(path: Path, exe: str) -> MediaInfo:
    log.debug("probing %s with %s", path, exe)
    try:
        data = ffmpeg.probe(_safe_input(path), cmd=exe)
    except ffmpeg.Error as exc:
        tail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        reason = tail[-1].split(": ", 1)[-1] if tail else "unreadable"
        raise CorruptMediaError(f"not a readable media file ({reason})", path=path) from None
    streams = data.get("streams", [])
    audio = []
    for s in streams:
        if s.get("codec_type") != "audio":
            continue
        audio.append(
            AudioStream(
                index=len(audio),
                codec=s.get("codec_name"),
                channels=int(s.get("channels") or 0),
                layout=s.get("channel_layout"),
                sample_rate=int(s["sample_rate"]) if s.get("sample_rate") else None,
                language=(s.get("tags") or {}).get("language"),
            )
        )
    video = [s for s in streams if s.get("codec_type") == "video" and not _is_cover_art(s)]
    fps = None
    if video:
        rate = video[0].get("avg_frame_rate") or video[0].get("r_frame_rate")
        if rate and rate not in ("0/0", "0"):
            fps = Fraction(rate)
    fmt = data.get("format", {})
    duration = float(fmt.get("duration") or 0.0)
    if not duration:
        duration = max((float(s.get("duration") or 0) for s in streams), default=0.0)
    return MediaInfo(path, int(duration * 1000 + 0.5), tuple(audio), bool(video), fps, fmt.get("format_name"))


def _is_cover_art(stream: dict) -> bool:
    return bool((stream.get("disposition") or {}).get("attached_pic"))


def _probe_pyav(path: Path) -> MediaInfo:
    import av

    log.debug("probing %s with PyAV (no ffprobe)", path)
    try:
        container = av.open(_safe_input(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise CorruptMediaError(f"not a readable media file ({exc})", path=path) from None
    with container:
        audio = []
        for s in container.streams.audio:
            layout = s.codec_context.layout.name if s.codec_context.layout else None
            audio.append(
                AudioStream(
                    index=len(audio),
                    codec=s.codec_context.name,
                    channels=s.codec_context.channels,
                    layout=layout,
                    sample_rate=s.codec_context.sample_rate,
                    language=s.metadata.get("language"),
                )
            )
        video = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
        fps = Fraction(video[0].average_rate) if video and video[0].average_rate else None
        if container.duration:
            duration_ms = int(container.duration / 1000 + 0.5)  # av.time_base is microseconds
        else:
            duration_ms = max((int(float(s.duration * s.time_base) * 1000) for s in container.streams
                               if s.duration), default=0)
        return MediaInfo(path, duration_ms, tuple(audio), bool(video), fps, container.format.name)


@dataclass(frozen=True, slots=True)
class Audio:
    """Decoded 16 kHz mono float32 samples, with how they were made."""

    samples: np.ndarray
    sample_rate: int
    stream: int
    notes: tuple[str, ...] = ()

    @property
    def duration_ms(self) -> int:
        return int(len(self.samples) * 1000 / self.sample_rate + 0.5)


def _audio_graph(path: Path, info: MediaInfo, stream: int | None, dialogue: str):
    if not info.audio_streams:
        raise NoAudioStreamError("no audio stream", path=path, hint="the file has no sound to transcribe")
    n = 0 if stream is None else stream
    if not 0 <= n < len(info.audio_streams):
        raise MediaError(
            f"audio stream {n} does not exist (the file has {len(info.audio_streams)})",
            path=path, hint="count audio streams from 0; `subpipe extract --list` lists them",
        )
    chosen = info.audio_streams[n]
    from .choices import choice_notes  # other streams, a centre channel: what exists when the default was taken

    notes: list[str] = choice_notes(info.audio_streams, stream, dialogue)
    inp = ffmpeg.input(_safe_input(path))
    a = inp[f"a:{n}"]
    if dialogue == "centre":
        if chosen.has_centre:
            a = a.filter("channelmap", map="FC", channel_layout="mono")
            notes.append(f"dialogue: centre channel of a {chosen.layout or str(chosen.channels) + '-channel'} mix")
        else:
            notes.append(f"dialogue: no centre channel in a {chosen.layout or chosen.channels} mix; downmixed instead")
    elif dialogue != "mix":
        raise MediaError(f"unknown dialogue mode {dialogue!r} (use 'mix' or 'centre')")
    return a, n, notes


# Optional dialogue pre-filters (ffmpeg filter chains). Measured on the trailer mixes, not assumed to help:
# see bench/bench_trailer.py and bench/results/trailer.md before turning one on.
PREFILTERS: dict[str, tuple[tuple[str, dict], ...]] = {
    "none": (),
    "voice": (("highpass", {"f": 150}), ("lowpass", {"f": 5000})),  # the speech band
    "voice-loudnorm": (("highpass", {"f": 150}), ("lowpass", {"f": 5000}), ("loudnorm", {"I": -23, "TP": -2})),
}


def _apply_prefilter(a, prefilter: str, notes: list[str]):
    if prefilter not in PREFILTERS:
        raise MediaError(f"unknown pre-filter {prefilter!r} (use {', '.join(PREFILTERS)})")
    for name, kw in PREFILTERS[prefilter]:
        a = a.filter(name, **kw)
    if PREFILTERS[prefilter]:
        notes.append(f"pre-filter: {prefilter}")
    return a


def extract_audio(path: Path, *, stream: int | None = None, dialogue: str = "mix",
                  info: MediaInfo | None = None, prefilter: str = "none") -> Audio:
    """Decode one audio stream to 16 kHz mono float32, piped into memory (no temp files)."""
    path = Path(path)
    info = info or probe(path)
    a, n, notes = _audio_graph(path, info, stream, dialogue)
    a = _apply_prefilter(a, prefilter, notes)
    out = ffmpeg.output(a, "pipe:", format="f32le", acodec="pcm_f32le", ac=1, ar=SAMPLE_RATE)
    cmd = out.global_args("-nostdin", "-hide_banner", "-loglevel", "error").compile(cmd=ffmpeg_exe())
    proc = _run(cmd, path=path, what="audio extraction")
    samples = np.frombuffer(proc.stdout, dtype=np.float32).copy()
    if samples.size == 0 and info.duration_ms > 0:
        raise CorruptMediaError("the audio stream decoded to nothing", path=path)
    notes += decode_notes(info.duration_ms, samples_duration_ms(samples.size), proc.stderr)
    for note in notes[-2:]:
        if note.startswith(("truncated", "ffmpeg reported")):
            log.warning("%s: %s", path, note)
    return Audio(samples, SAMPLE_RATE, n, tuple(notes))


TRUNCATION_SLACK_MS = 1000  # decoded audio this much (or 2 %) shorter than the container says: truncated


def decode_notes(probed_ms: int, decoded_ms: int, stderr: bytes | str = b"") -> list[str]:
    """What a decode that "succeeded" still says about the file: audio shorter than the probed duration (a
    truncated or damaged file: a faststart MP4 cut in half still claims its full length) and ffmpeg's own
    errors about the data (``partial file``, ``Invalid data``), which are not noise."""
    notes = []
    if probed_ms > 0 and probed_ms - decoded_ms > max(TRUNCATION_SLACK_MS, probed_ms // 50):
        notes.append(f"truncated or damaged media: the file says {probed_ms / 1000:.1f} s but only "
                     f"{decoded_ms / 1000:.1f} s of audio decoded; the transcript stops at "
                     f"{decoded_ms / 1000:.1f} s")
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    seen: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"^\[[^\]]*\]\s*", "", line.strip())  # "[mov,mp4 @ 0x...] " prefixes
        if line and line not in seen:
            seen.append(line)
    if seen:
        more = f" (and {len(seen) - 2} more)" if len(seen) > 2 else ""
        notes.append("ffmpeg reported errors in the data: " + "; ".join(seen[:2]) + more)
    return notes


def extract_wav(path: Path, dest: Path, *, stream: int | None = None, dialogue: str = "mix") -> Path:
    """Write the 16 kHz mono audio as a 16-bit WAV file (``dest`` should be a temporary path)."""
    path = Path(path)
    info = probe(path)
    a, _, _ = _audio_graph(path, info, stream, dialogue)
    out = ffmpeg.output(a, str(Path(dest).resolve()), format="wav", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE)
    cmd = out.global_args("-nostdin", "-hide_banner", "-loglevel", "error", "-y").compile(cmd=ffmpeg_exe())
    _run(cmd, path=path, what="audio extraction")
    return Path(dest)


# ---------------------------------------------------------------- clips
_AUDIO_CODECS = {".m4a": "aac", ".mp4": "aac", ".aac": "aac", ".mov": "aac", ".wav": "pcm_s16le",
                 ".flac": "flac", ".mp3": "libmp3lame", ".ogg": "libopus", ".opus": "libopus", ".mka": "aac"}
_MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".m4a": "ipod",
           ".mka": "matroska", ".wav": "wav", ".flac": "flac", ".mp3": "mp3", ".aac": "adts", ".ogg": "ogg",
           ".opus": "ogg"}
_VIDEO_CONTAINERS = {  # extension -> (video codec, audio codec, soft-subtitle codec)
    ".mp4": ("libx264", "aac", "mov_text"), ".m4v": ("libx264", "aac", "mov_text"),
    ".mov": ("libx264", "aac", "mov_text"), ".mkv": ("libx264", "aac", "srt"),
    ".webm": ("libvpx-vp9", "libopus", "webvtt"),
}


def _filter_value(text: str) -> str:
    """Escape a value for a filter option inside a filtergraph (both of ffmpeg's escaping levels)."""
    for ch in "\\':":
        text = text.replace(ch, "\\" + ch)
    for ch in "\\'[],;":
        text = text.replace(ch, "\\" + ch)
    return text


def clip_bounds(start_ms: int, end_ms: int, *, fps: Fraction | None, duration_ms: int | None) -> tuple[int, int]:
    """Clamp to the media and widen to whole frames: the in-point on the frame holding ``start_ms``,
    the out-point at the end of the frame holding ``end_ms``. Returns (start, end) in ms."""
    start = max(0, start_ms)
    end = min(end_ms, duration_ms) if duration_ms else end_ms
    if end <= start:
        raise MediaError(f"nothing to cut between {start_ms} ms and {end_ms} ms (the media lasts {duration_ms} ms)")
    if fps:
        first = int(Fraction(start) * fps // 1000)
        last = -(-Fraction(end) * fps // 1000)  # ceiling
        start = int(round(Fraction(first * 1000) / fps))
        end = int(round(Fraction(int(last) * 1000) / fps))
        if duration_ms:
            end = min(end, duration_ms)
    return start, end


def cut_clip(
    src: Path,
    dest: Path,
    start_ms: int,
    end_ms: int,
    *,
    subtitles: Path | None = None,
    burn_in: bool = False,
    audio_only: bool = False,
    language: str | None = None,
    info: MediaInfo | None = None,
    ext: str | None = None,
) -> tuple[int, int]:
    """Cut ``src`` between two times into ``dest``, re-encoded so the cut is frame-accurate.

    ``subtitles`` (an SRT/WebVTT file on the clip's own clock, starting at 0) is burnt into the
    picture with ``burn_in``, else muxed as a subtitle track (mov_text in MP4/MOV, WebVTT in WebM, SRT
    in MKV). ``audio_only`` writes just the sound (codec from the extension). ``dest`` should be a
    temporary path (``ext`` then names the container, e.g. ".mp4"). Returns the (start, end) actually cut, in ms.
    """
    src = Path(src)
    info = info or probe(src)
    dest = Path(dest)
    ext = (ext or dest.suffix).lower()
    if audio_only or not info.has_video:
        if not info.audio_streams:
            raise NoAudioStreamError("no audio stream to cut", path=src)
        if burn_in:
            raise MediaError("cannot burn subtitles into an audio-only clip", path=src,
                             hint="drop --burn-in, or cut a video clip")
        audio_only = True
    fps = None if audio_only else info.video_fps
    start, end = clip_bounds(start_ms, end_ms, fps=fps, duration_ms=info.duration_ms or None)
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
           "-ss", f"{start / 1000:.3f}", "-i", _safe_input(src)]
    soft = subtitles is not None and not burn_in and not audio_only
    if soft:
        cmd += ["-i", _safe_input(Path(subtitles))]
    cmd += ["-t", f"{(end - start) / 1000:.3f}"]
    if audio_only:
        cmd += ["-map", "0:a:0", "-vn", "-sn", "-c:a", _AUDIO_CODECS.get(ext, "aac")]
    else:
        if ext not in _VIDEO_CONTAINERS:
            raise MediaError(f"cannot write a video clip as {ext or 'a file without an extension'}",
                             path=dest, hint="use .mp4, .mov, .mkv or .webm (or --audio-only)")
        vcodec, acodec, scodec = _VIDEO_CONTAINERS[ext]
        cmd += ["-map", "0:v:0", "-map", "0:a:0?", "-c:v", vcodec, "-pix_fmt", "yuv420p", "-c:a", acodec]
        cmd += ["-preset", "veryfast", "-crf", "18"] if vcodec == "libx264" else ["-b:v", "0", "-crf", "32",
                                                                                 "-deadline", "realtime"]
        if subtitles is not None and burn_in:
            cmd += ["-vf", f"subtitles=filename={_filter_value(str(Path(subtitles).resolve()))}"]
        if soft:
            cmd += ["-map", "1:s:0", "-c:s", scodec]
            if language:
                cmd += ["-metadata:s:s:0", f"language={language}"]
        if ext in (".mp4", ".m4v", ".mov"):
            cmd += ["-movflags", "+faststart"]
    if ext not in _MUXERS:
        raise MediaError(f"cannot write a clip as {ext or 'a file without an extension'}", path=dest,
                         hint="use " + ", ".join(sorted(_MUXERS)))
    cmd += ["-f", _MUXERS[ext], str(dest.resolve())]
    _run(cmd, path=src, what="clip cut")
    return start, end

def filter_audio_streams(src: Path, dest: Path, chains: list[str], codecs: list[str], *, ext: str | None = None,
                         what: str = "audio render") -> None:
    """Write ``src`` to ``dest`` (a temporary path; ``ext`` names the container) with audio stream N passed
    through ``chains[N]``, a filtergraph from ``[0:a:N]`` to ``[aN]``, and encoded with ``codecs[N]``;
    video and subtitle streams are copied as they are."""
    ext = (ext or Path(dest).suffix).lower()
    if ext not in _MUXERS:
        raise MediaError(f"cannot write {ext or 'a file without an extension'}", path=dest,
                         hint="use " + ", ".join(sorted(_MUXERS)))
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", _safe_input(Path(src)),
           "-filter_complex", ";".join(chains), "-map", "0:v?"]
    for n in range(len(chains)):
        cmd += ["-map", f"[a{n}]"]
    cmd += ["-map", "0:s?", "-c", "copy"]
    for n, codec in enumerate(codecs):
        cmd += [f"-c:a:{n}", codec]
    cmd += ["-f", _MUXERS[ext], str(Path(dest).resolve())]
    _run(cmd, path=Path(src), what=what)


# ---------------------------------------------------------------- shot changes
SCENE_THRESHOLD = 0.3  # ffmpeg scene score (0-1) above which a frame starts a new shot
_PTS_TIME = re.compile(r"\bpts_time:\s*(-?[0-9.]+)")


def scene_changes(path: Path, threshold: float = SCENE_THRESHOLD, *, cache: Path | None = None,
                  sha256: str | None = None) -> tuple[int, ...]:
    """Shot changes (cut times in ms) from ffmpeg's scene score: ``select='gt(scene,T)',showinfo``.

    Cached per media SHA-256 and threshold in a JSON file (``<cache dir>/scenes/<sha256>.json`` unless
    ``cache`` names the file), so a rerun does not decode the video again. Audio-only media: no cuts.
    """
    import json

    from ..fsio import atomic_write_text, cache_dir, sha256_file

    path = _check_file(Path(path))
    if not 0 < threshold < 1:
        raise MediaError(f"scene threshold must be between 0 and 1, not {threshold}")
    sha = sha256 or sha256_file(path)  # callers that know the hash spare a re-read of the media
    cache_file = Path(cache) if cache else cache_dir() / "scenes" / f"{sha}.json"
    key = f"{threshold:.4f}"
    data: dict = {}
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
        if data.get("sha256") == sha and key in data.get("thresholds", {}):
            log.debug("shot changes for %s from %s", path.name, cache_file)
            return tuple(int(x) for x in data["thresholds"][key])
    except (OSError, ValueError, AttributeError):
        data = {}
    info = probe(path)
    cuts: tuple[int, ...] = ()
    if info.has_video:
        cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "info", "-i", _safe_input(path),
               "-map", "0:v:0", "-an", "-sn", "-dn",
               "-vf", f"select='gt(scene,{threshold})',showinfo", "-f", "null", "-"]
        proc = _run(cmd, path=path, what="shot-change detection")
        found = []
        for line in proc.stderr.decode("utf-8", "replace").splitlines():
            if "Parsed_showinfo" in line:
                m = _PTS_TIME.search(line)
                if m:
                    found.append(int(float(m.group(1)) * 1000 + 0.5))
        cuts = tuple(sorted(set(t for t in found if t > 0)))
    thresholds = data.get("thresholds", {}) if data.get("sha256") == sha else {}
    thresholds[key] = list(cuts)
    try:
        record = {"sha256": sha, "media": path.name, "thresholds": thresholds}
        atomic_write_text(cache_file, json.dumps(record))
    except (OSError, OutputError):  # a cache that cannot be written only costs time
        log.debug("cannot write the shot-change cache %s", cache_file, exc_info=True)
    return cuts


def _interleaved(path: Path, stream: int | None, info: MediaInfo | None, rate: int, what: str, *,
                 channels: int | None = None, max_channels: int = 2) -> np.ndarray:
    """One audio stream as float32 samples [n, ch] at ``rate``: ``channels`` (ffmpeg up- or downmixes), or
    the stream's own up to ``max_channels``."""
    path = Path(path)
    info = info or probe(path)
    a, n, _ = _audio_graph(path, info, stream, "mix")
    ch = channels or max(1, min(info.audio_streams[n].channels or 1, max_channels))
    out = ffmpeg.output(a, "pipe:", format="f32le", acodec="pcm_f32le", ac=ch, ar=rate)
    cmd = out.global_args("-nostdin", "-hide_banner", "-loglevel", "error").compile(cmd=ffmpeg_exe())
    samples = np.frombuffer(_run(cmd, path=path, what=what).stdout, dtype=np.float32)
    return samples[: len(samples) // ch * ch].reshape(-1, ch)


def extract_channels(path: Path, *, stream: int | None = None, info: MediaInfo | None = None,
                     max_channels: int = 2) -> list[np.ndarray]:
    """Each channel of one audio stream as 16 kHz float32 samples (for one-person-per-channel
    interviews, diarize.py); at most ``max_channels``, from the first. A mono stream gives one."""
    samples = _interleaved(path, stream, info, SAMPLE_RATE, "channel extraction", max_channels=max_channels)
    return [samples[:, k].copy() for k in range(samples.shape[1])]


def extract_stereo(path: Path, *, stream: int | None = None, info: MediaInfo | None = None,
                   sample_rate: int = 44_100) -> np.ndarray:
    """One audio stream as float32 samples [n, 2] at ``sample_rate`` (dialogue separation, separate.py: the
    network hears the full band and the stereo image). A mono stream gives two equal channels; more than two
    are downmixed by ffmpeg."""
    return _interleaved(path, stream, info, sample_rate, "stereo extraction", channels=2).copy()


# ---------------------------------------------------------------- long inputs: decode once to a file
# Inputs at least this long are decoded to a PCM temp file and read by window (bounded memory); shorter
# ones stay in memory, as before (no cost on short files).
STREAM_MIN_MS = 10 * 60 * 1000


def decode_to_pcm(path: Path, dest: Path, *, stream: int | None = None, dialogue: str = "mix",
                  info: MediaInfo | None = None, prefilter: str = "none") -> tuple[Path, int, tuple[str, ...]]:
    """Decode one audio stream to raw 16 kHz mono float32 PCM in ``dest``, written atomically (a ``.part``
    file renamed on success, removed on failure): the same samples ``extract_audio`` pipes into memory.
    Returns (dest, stream index, notes)."""
    path = Path(path)
    dest = Path(dest)
    info = info or probe(path)
    a, n, notes = _audio_graph(path, info, stream, dialogue)
    a = _apply_prefilter(a, prefilter, notes)
    part = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    out = ffmpeg.output(a, str(part.resolve()), format="f32le", acodec="pcm_f32le", ac=1, ar=SAMPLE_RATE)
    cmd = out.global_args("-nostdin", "-hide_banner", "-loglevel", "error", "-y").compile(cmd=ffmpeg_exe())
    try:
        _run(cmd, path=path, what="audio extraction")
        if part.stat().st_size == 0 and info.duration_ms > 0:
            raise CorruptMediaError("the audio stream decoded to nothing", path=path)
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return dest, n, tuple(notes)


@dataclass(frozen=True)
class StreamedAudio:
    """A long input decoded to a PCM temp file: ``source`` reads it by window (audiosource.FileSource).
    ``samples`` loads all of it (for the stages that still need an array); ``close`` deletes the file."""

    source: object
    sample_rate: int
    stream: int
    notes: tuple[str, ...] = ()

    @property
    def samples(self) -> np.ndarray:
        return self.source.materialize()  # type: ignore[attr-defined]

    @property
    def duration_ms(self) -> int:
        return self.source.duration_ms  # type: ignore[attr-defined]

    def close(self) -> None:
        self.source.close()  # type: ignore[attr-defined]


def open_audio(path: Path, *, stream: int | None = None, dialogue: str = "mix", info: MediaInfo | None = None,
               prefilter: str = "none", temp_dir: Path | None = None,
               stream_min_ms: int | None = None) -> Audio | StreamedAudio:
    """The audio of one stream: in memory (``Audio``) for inputs shorter than ``stream_min_ms`` (default
    ``STREAM_MIN_MS``), else decoded once to a PCM temp file in ``temp_dir`` (default: the system temp
    folder) and read by window (``StreamedAudio``); the file is deleted on ``close`` or garbage collection."""
    import tempfile

    from .source import FileSource

    path = Path(path)
    info = info or probe(path)
    limit = STREAM_MIN_MS if stream_min_ms is None else stream_min_ms
    if info.duration_ms < limit:
        return extract_audio(path, stream=stream, dialogue=dialogue, info=info, prefilter=prefilter)
    folder = Path(temp_dir) if temp_dir else Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)
    _sweep_stale_pcm(folder)
    fd, name = tempfile.mkstemp(prefix=f".subpipe-pcm.{os.getpid()}.", suffix=".f32", dir=folder)
    os.close(fd)
    dest = Path(name)
    try:
        _, n, notes = decode_to_pcm(path, dest, stream=stream, dialogue=dialogue, info=info, prefilter=prefilter)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return StreamedAudio(FileSource(dest, owned=True), SAMPLE_RATE, n, notes)


def _sweep_stale_pcm(folder: Path) -> None:
    """PCM temp files of runs that were killed (their PID is gone): removed, so a crash costs no disk."""
    from ..fsio import _alive

    for f in folder.glob(".subpipe-pcm.*.f32"):
        bits = f.name.split(".")
        pid = int(bits[2]) if len(bits) > 2 and bits[2].isdigit() else None
        if pid is not None and (pid == os.getpid() or _alive(pid)):
            continue
        try:
            f.unlink()
        except OSError:
            pass
