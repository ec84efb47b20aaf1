"""Quote selects on an editor's timeline: the hits of a quote search as a CMX 3600 EDL, an FCPXML file or
an OpenTimelineIO ``.otio`` file, built through OpenTimelineIO and its CMX 3600 and FCP X adapters.

One clip per hit, in the order the search gives (best first): the source in/out are the quote's in and
out (the whole utterance, as the quote sheet gives them) plus the handles, moved to frames at the
timeline's rate; the record side is contiguous from 01:00:00:00. The clip is named after its media (the
reel in an EDL: the file name, as short as the format needs), with the media path as its reference
(EDL ``* SOURCE FILE``, FCPXML asset, OTIO ``ExternalReference``), and carries a marker at the quote's own
in/out named "speaker: quote text". Which NLE takes what: docs/nle.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import FormatError
from ..timecode import FrameRate, ms_to_frames
from .index import Hit

log = logging.getLogger("subpipe")

FORMATS = {"edl": ".edl", "fcpxml": ".fcpxml", "otio": ".otio"}
RECORD_START_S = 3600  # 01:00:00:00, where an edit's programme starts by convention
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".wma", ".aif", ".aiff")


@dataclass(frozen=True)
class Select:
    """One clip of the timeline: a hit and the frames it takes, source and record."""

    hit: Hit
    src_in: int  # frames at the timeline rate, handles included
    src_out: int  # exclusive
    rec_in: int
    quote_in: int  # the quote itself, without handles (the marker)
    quote_out: int

    @property
    def frames(self) -> int:
        return self.src_out - self.src_in


@dataclass(frozen=True)
class TimelineExport:
    output: Path | None
    fmt: str
    selects: tuple[Select, ...]
    fps: FrameRate
    text: str
    notes: tuple[str, ...] = ()


def format_for(path: Path | str | None, explicit: str | None) -> str | None:
    """The timeline format ``explicit`` names, else the one ``path``'s extension names, else None."""
    if explicit:
        return explicit if explicit in FORMATS else None
    suffix = Path(path).suffix.lower() if path else ""
    return next((k for k, ext in FORMATS.items() if ext == suffix), None)


def plan(hits: Sequence[Hit], *, fps: str | FrameRate | None = None, handles_ms: int = 0,
         durations_ms: dict[str, int] | None = None) -> tuple[FrameRate, list[Select], list[str]]:
    """The clips of the timeline for ``hits``: its frame rate (``fps``, else the media's, which must agree),
    source in/out with handles (clamped to the media: 0 and, where ``durations_ms`` knows it, the end)."""
    notes: list[str] = []
    if fps is not None:
        fr = FrameRate.parse(fps)
    else:
        rates = {str(h.frame_rate) for h in hits}
        fr = hits[0].frame_rate if hits else FrameRate.parse("24")
        if len(rates) > 1:
            notes.append(f"the media have different frame rates ({', '.join(sorted(rates))}): the timeline is "
                         f"at {fr}; give --fps to choose")
    if handles_ms < 0:
        from ..errors import UsageError

        raise UsageError("handles cannot be negative")
    durations_ms = durations_ms or {}
    out: list[Select] = []
    rec = 0
    clamped = []
    for n, h in enumerate(hits, start=1):
        q_in, q_out = ms_to_frames(h.start_ms, fr), ms_to_frames(h.end_ms, fr)
        q_out = max(q_out, q_in + 1)
        start = max(0, h.start_ms - handles_ms)
        end = h.end_ms + handles_ms
        dur = durations_ms.get(h.media_id)
        if dur:
            end = min(end, max(dur, h.end_ms))
        if start != h.start_ms - handles_ms or end != h.end_ms + handles_ms:
            clamped.append(n)
        s_in, s_out = min(ms_to_frames(start, fr), q_in), max(ms_to_frames(end, fr), q_out)
        out.append(Select(h, s_in, s_out, rec, q_in, q_out))
        rec += s_out - s_in
    if clamped:
        notes.append(f"handles cut short at the start or end of the media: clip {', '.join(map(str, clamped[:8]))}"
                     + (", ..." if len(clamped) > 8 else ""))
    return fr, out, notes


def _name(h: Hit) -> str:
    return h.title or Path(h.media_path).stem


def _marker_name(h: Hit) -> str:
    text = " ".join(h.text.split())
    return f"{h.speaker}: {text}" if h.speaker else text


def to_otio(selects: Sequence[Select], fr: FrameRate, *, title: str = "subpipe selects"):
    """The selects as an OpenTimelineIO timeline: a video track of clips, each with an external media
    reference and a marker on the quote, and an audio track of the same clips (the sound editors cut on)."""
    import opentimelineio as otio

    rate = float(fr.rate)
    rt = lambda f: otio.opentime.RationalTime(f, rate)  # noqa: E731
    tl = otio.schema.Timeline(name=title)
    tl.global_start_time = otio.opentime.from_timecode("01:00:00;00" if fr.drop_frame else "01:00:00:00", rate)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    sound = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for s in selects:
        h = s.hit
        path = Path(h.media_path)
        url = path.resolve().as_uri() if path.is_absolute() or path.exists() else h.media_path
        ref = otio.schema.ExternalReference(target_url=url)
        ref.name = path.name
        clip = otio.schema.Clip(name=_name(h), media_reference=ref,
                                source_range=otio.opentime.TimeRange(rt(s.src_in), rt(s.frames)))
        marker = otio.schema.Marker(name=_marker_name(h),
                                    marked_range=otio.opentime.TimeRange(rt(s.quote_in), rt(s.quote_out - s.quote_in)),
                                    color=otio.schema.MarkerColor.RED)
        marker.metadata["subpipe"] = {"quote_id": h.id, "speaker": h.speaker, "text": h.text}
        clip.markers.append(marker)
        clip.metadata["subpipe"] = {"quote_id": h.id, "media": h.media_path, "speaker": h.speaker,
                                    "text": h.text, "in_ms": h.start_ms, "out_ms": h.end_ms}
        track.append(clip)
        a = clip.clone()
        a.markers.clear()
        sound.append(a)
    tl.tracks.append(track)
    tl.tracks.append(sound)
    return tl


def render(selects: Sequence[Select], fr: FrameRate, fmt: str, *, title: str = "subpipe selects",
           ) -> tuple[str, list[str]]:
    """The timeline's file text in ``fmt`` and the notes on what that format could not hold."""
    import opentimelineio as otio

    if fmt not in FORMATS:
        raise FormatError(f"unknown timeline format {fmt!r}", hint="use edl, fcpxml or otio")
    tl = to_otio(selects, fr, title=title)
    notes: list[str] = []
    if fmt == "otio":
        return otio.adapters.write_to_string(tl, "otio_json"), notes
    if fmt == "edl":
        reels: dict[str, set[str]] = {}
        for s in selects:
            reels.setdefault(_reel(s.hit), set()).add(s.hit.media_path)
        if any(len(paths) > 1 for paths in reels.values()):
            notes.append("two media share a reel name in 8 characters: the EDL's SOURCE FILE lines tell them apart")
        edl = tl.clone()
        for t in edl.tracks:
            for s, clip in zip(selects, t, strict=True):
                clip.metadata["cmx_3600"] = {"reel": _reel(s.hit)}
            # the adapter takes the record start from the track's (negative) source start, as its reader
            # gives it; OTIO and FCPXML say it with the timeline's global start time instead
            t.source_range = otio.opentime.TimeRange(-tl.global_start_time, t.duration())
        if any(len(_marker_name(s.hit)) > 200 for s in selects):
            notes.append("long quotes are cut in the EDL's locator comments by some NLEs")
        text = otio.adapters.write_to_string(edl, "cmx_3600", rate=float(fr.rate), style="avid")
        # picture and both sound channels of each source (the adapter writes the video track's events only)
        text = re.sub(r"(?m)^(\d{3,6}  \S+\s+)V {5}C ", r"\1AA/V  C ", text)
        drop = bool(re.search(r"\d\d:\d\d:\d\d;\d\d", text))
        if drop and not fr.drop_frame:
            notes.append(f"the EDL's timecode is drop-frame: OTIO's CMX 3600 adapter writes {fr} so")
        fcm = "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME"
        return re.sub(r"\A(TITLE:[^\n]*\n)", lambda m: m.group(1) + fcm + "\n", text, count=1), notes
    # FCPXML: the picture track only (an asset clip brings its own sound), each asset as long as the
    # adapter needs it; the sequence starts at 01:00:00:00 (tcStart, which the adapter does not write)
    fcp = tl.clone()
    del fcp.tracks[1]
    for clip in fcp.find_clips():
        clip.media_reference.available_range = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, float(fr.rate)), clip.source_range.end_time_exclusive())
    notes.append("FCPXML assets are given as long as the last frame a clip uses: Final Cut relinks them to "
                 "the media's full length")
    text = otio.adapters.write_to_string(fcp, "fcpx_xml")
    text = re.sub(r"<sequence ", f'<sequence tcStart="{RECORD_START_S}s" tcFormat="'
                                 f'{"DF" if fr.drop_frame else "NDF"}" ', text, count=1)

    # the adapter leaves a non-integer rate's frame duration empty; every quote's media has sound
    text = text.replace('frameDuration=""', f'frameDuration="{fr.rate.denominator}/{fr.rate.numerator}s"')

    def sound_only(m: re.Match) -> str:
        tag = m.group(0).replace('hasAudio="0"', 'hasAudio="1"')
        src = re.search(r'src="([^"]*)"', tag)
        if src and Path(src.group(1)).suffix.lower() in AUDIO_EXTENSIONS:
            tag = tag.replace('hasVideo="1"', 'hasVideo="0"')
        return tag

    return re.sub(r"<asset [^>]*>", sound_only, text), notes


def _reel(h: Hit) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "", Path(h.media_path).stem).upper()
    return (stem or "AX")[:8]
