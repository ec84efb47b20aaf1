"""A clean version: the media with the span of each term at a severity or above dipped (``dip``: down by
``depth_db``, 60 dB unless told, with short linear fades so nothing clicks) or covered by a 1 kHz tone
(``bleep``), through ffmpeg (media.filter_audio_streams). Video and subtitle streams are copied; every
audio stream is treated alike and re-encoded with its own codec (lossless stays lossless). Outside the
spans and their fades, ffmpeg's timeline (``enable``) leaves the samples as they were.

Each span is the words' times widened by ``handles_ms`` on both sides and merged with its neighbours where
they meet; the fades lie outside it. The graph works on frames of about half a millisecond (so a fade is
a staircase of that step); that makes a long film's render slower than a copy, not much slower than a
re-encode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import NoAudioStreamError, UsageError
from ..model import Transcript
from .lexicon import load_lexicon, severity_rank
from .report import Instance, scan

MODES = ("dip", "bleep")
_ENCODERS = {"mp3": "libmp3lame", "opus": "libopus", "vorbis": "libvorbis"}  # codec -> ffmpeg's encoder
_ENCODABLE = {"flac", "aac", "alac", "ac3", "eac3", "mp2", "mp3", "opus", "vorbis"}
# the codecs each container keeps (None: any) and what it gets otherwise; lossless stays lossless
_CONTAINER_CODECS: dict[str, tuple[set[str] | None, str]] = {
    ".wav": ({"pcm"}, "pcm_s24le"), ".flac": ({"flac"}, "flac"), ".mp3": ({"mp3"}, "libmp3lame"),
    ".mp4": ({"aac", "alac", "ac3", "eac3", "mp3"}, "aac"), ".m4v": ({"aac", "alac", "ac3", "eac3"}, "aac"),
    ".mov": ({"aac", "alac", "ac3", "eac3", "pcm"}, "aac"), ".m4a": ({"aac", "alac"}, "aac"),
    ".mkv": (None, "flac"), ".mka": (None, "flac"), ".ogg": ({"opus", "vorbis", "flac"}, "libopus"),
    ".opus": ({"opus"}, "libopus"), ".webm": ({"opus", "vorbis"}, "libopus"), ".aac": ({"aac"}, "aac"),
}


def encoder_for(codec: str | None, ext: str) -> str:
    """The encoder for a stream of ``codec`` written to a file of extension ``ext``: its own codec when the
    container takes it and ffmpeg encodes it, else the container's default."""
    allowed, default = _CONTAINER_CODECS.get(ext.lower(), (None, "aac"))
    c = codec or ""
    family = "pcm" if c.startswith("pcm_") else c
    if (c.startswith("pcm_") or c in _ENCODABLE) and (allowed is None or family in allowed):
        return _ENCODERS.get(c, c)
    return default


@dataclass(frozen=True)
class CleanOptions:
    mode: str = "dip"  # dip | bleep
    severity: str = "strong"
    handles_ms: int = 40  # widen each word's span by this much on both sides
    fade_ms: int = 10  # linear fade down before and up after each span
    depth_db: float = 60.0  # dip: how far down
    tone_hz: int = 1000  # bleep: the tone
    tone_dbfs: float = -18.0  # bleep: its level
    lexicon: Path | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UsageError(f"unknown clean mode {self.mode!r}", hint="use dip or bleep")
        severity_rank(self.severity)
        if self.handles_ms < 0 or self.fade_ms < 1 or self.depth_db < 30:
            raise UsageError("handles must be >= 0 ms, fades >= 1 ms and the dip at least 30 dB deep")


@dataclass(frozen=True)
class Change:
    """One span changed: at full depth (or tone) from ``start_ms`` to ``end_ms``, fading over ``fade_ms``
    outside them; the instances it covers."""

    start_ms: int
    end_ms: int
    fade_ms: int
    mode: str
    instances: tuple[Instance, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"start_ms": self.start_ms, "end_ms": self.end_ms, "fade_ms": self.fade_ms, "mode": self.mode,
                "words": [i.text for i in self.instances], "terms": [i.term for i in self.instances],
                "severity": max((i.severity for i in self.instances), key=severity_rank),
                "word_times_ms": [[i.start_ms, i.end_ms] for i in self.instances]}


@dataclass(frozen=True)
class CleanResult:
    output: Path
    changes: tuple[Change, ...]
    options: CleanOptions
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        o = self.options
        return {"output": str(self.output), "mode": o.mode, "severity": o.severity, "handles_ms": o.handles_ms,
                "fade_ms": o.fade_ms, "depth_db": o.depth_db if o.mode == "dip" else None,
                "changes": [c.as_dict() for c in self.changes], "notes": list(self.notes)}


def plan_changes(instances: Sequence[Instance], options: CleanOptions, duration_ms: int | None) -> list[Change]:
    """Spans to treat: each instance widened by the handles, clamped to the media, merged where they meet
    (fades included)."""
    out: list[Change] = []
    h, f = options.handles_ms, options.fade_ms
    for inst in sorted(instances, key=lambda i: i.start_ms):
        a = max(0, inst.start_ms - h)
        b = inst.end_ms + h
        if duration_ms:
            b = min(b, duration_ms)
        if out and a - f <= out[-1].end_ms + f:
            last = out[-1]
            out[-1] = Change(last.start_ms, max(last.end_ms, b), f, options.mode, (*last.instances, inst))
        else:
            out.append(Change(a, b, f, options.mode, (inst,)))
    return out


def _gain_expr(c: Change, low: float) -> str:
    """The gain over one span's window as an ffmpeg expression of t: 1 -> low over the fade, low, back up."""
    a, b, f = c.start_ms / 1000, c.end_ms / 1000, c.fade_ms / 1000
    return (f"if(lt(t,{a:.4f}),1-{1 - low:.6f}*(t-{a - f:.4f})/{f:.4f},"
            f"if(gt(t,{b:.4f}),{low:.6f}+{1 - low:.6f}*(t-{b:.4f})/{f:.4f},{low:.6f}))")


def _window(c: Change) -> str:
    return f"between(t,{(c.start_ms - c.fade_ms) / 1000:.4f},{(c.end_ms + c.fade_ms) / 1000:.4f})"


def audio_chain(n: int, changes: Sequence[Change], options: CleanOptions, *, sample_rate: int, layout: str,
                duration_s: float) -> str:
    """The filtergraph for audio stream ``n``: [0:a:n] -> [an]."""
    step = max(16, sample_rate // 2000)  # ~0.5 ms frames: the gain's time step
    low = 10 ** (-options.depth_db / 20) if options.mode == "dip" else 0.0
    chain = [f"asetnsamples=n={step}:p=0"]
    chain += [f"volume=volume='{_gain_expr(c, low)}':eval=frame:enable='{_window(c)}'" for c in changes]
    dipped = f"[0:a:{n}]" + ",".join(chain)
    if options.mode == "dip":
        return dipped + f"[a{n}]"
    level = 10 ** (options.tone_dbfs / 20)
    cover = "+".join(f"{_window(c)}*(1-({_gain_expr(c, 0.0)}))" for c in changes) or "0"
    tone = (f"sine=frequency={options.tone_hz}:sample_rate={sample_rate}:duration={duration_s:.3f},"
            f"aformat=sample_fmts=fltp:channel_layouts={layout},asetnsamples=n={step}:p=0,"
            f"volume=volume='{level:.6f}*({cover})':eval=frame")
    return f"{dipped}[d{n}];{tone}[t{n}];[d{n}][t{n}]amix=inputs=2:normalize=0:duration=first[a{n}]"


def clean(media: Path | str, transcript: Transcript | Path | str, output: Path | str,
          options: CleanOptions | None = None) -> CleanResult:
    """The clean version of ``media`` written to ``output`` (atomically; the container from its extension),
    with the words of ``transcript`` (a Transcript or its JSON file) at ``options.severity`` or above dipped
    or bleeped. Returns each change made; with nothing to change the media is still re-rendered, and a note
    says so. The library twin of ``subpipe clean``."""
    from ..fsio import atomic_path
    from ..pipeline import load_transcript

    t = transcript if isinstance(transcript, Transcript) else load_transcript(Path(transcript))
    out = Path(output)
    if Path(media).resolve() == out.resolve():
        raise UsageError("the clean version cannot overwrite its media", path=out)
    with atomic_path(out) as tmp:
        return render(media, t, out, options, dest=tmp)


def render(media: Path | str, transcript: Transcript, output: Path | str, options: CleanOptions | None = None,
           *, dest: Path | None = None) -> CleanResult:
    """:func:`clean`'s work: render to ``dest`` (default ``output``) in ``output``'s container."""
    from .. import media as media_mod

    opts = options or CleanOptions()
    src = Path(media)
    info = media_mod.probe(src)
    if not info.audio_streams:
        raise NoAudioStreamError("no audio stream to clean", path=src)
    instances, notes = scan(transcript, load_lexicon(opts.lexicon), severity=opts.severity)
    changes = plan_changes(instances, opts, info.duration_ms or None)
    chains, codecs = [], []
    out = Path(output)
    for s in info.audio_streams:
        layout = s.layout or f"{s.channels}c"
        chains.append(audio_chain(s.index, changes, opts, sample_rate=s.sample_rate or 48000, layout=layout,
                                  duration_s=info.duration_ms / 1000 + 1))
        codecs.append(encoder_for(s.codec, out.suffix))
    media_mod.filter_audio_streams(src, Path(dest or out), chains, codecs, ext=out.suffix, what="clean render")
    notes = list(notes)
    if not changes:
        notes.append(f"no {opts.severity} language (or stronger) found: the output is the media re-rendered")
    if len(info.audio_streams) > 1:
        notes.append(f"all {len(info.audio_streams)} audio streams were treated alike")
    return CleanResult(out, tuple(changes), opts, tuple(notes))
