"""The latest time each format can hold, and the refusal of a track that goes past it.

A timecode format counts a day: SMPTE 12M timecode runs from 00:00:00:00 to 23:59:59:FF (the last frame
label of the rate; 23:59:59;29 drop-frame at 29.97), and SCC, EBU-STL (TCP/TCI/TCO fields, hours 00-23),
iTT (``ttp:timeBase="smpte"``), spotting lists and timecoded transcripts write it. SubRip, WebVTT and TTML
clock times take hours of any width (SubRip's readers: pysrt, cdown/srt and ffmpeg read any number of hour digits): no
limit. ASS/SSA clamp
to 9:59:59.99 with a note (``ass.MAX_MS``). Written past its limit, a file would carry timecode such as
``27777805555:34:59;00``, which no reader accepts: ``write_subtitles`` refuses the track instead
(``FormatError``, one line naming the cue, its time and the limit).
"""

from __future__ import annotations

from ..errors import FormatError
from ..model import CueTrack
from ..timecode import FrameRate, format_srt, frames_to_ms, smpte_to_frames


def smpte_day_end(fr: FrameRate) -> tuple[int, str]:
    """The start of the last frame SMPTE timecode can label at ``fr`` (23:59:59:FF) in ms, and its label."""
    label = f"23:59:59{';' if fr.drop_frame else ':'}{fr.nominal - 1:02d}"
    return frames_to_ms(smpte_to_frames(label, fr), fr), label


def time_limit(fmt: str, track: CueTrack, fps: str | None) -> tuple[int, str] | None:
    """(latest ms, how the format writes it) for format ``fmt`` at the rate its writer would use; None
    when the format has no limit (or clamps with a note itself)."""
    from . import _common, scc, spotting, stl, timecoded

    if fmt == "scc":
        return smpte_day_end(scc.scc_frame_rate(track, fps))
    if fmt == "stl":
        return smpte_day_end(stl._rate(track, fps)[0])
    if fmt == "itt":
        fr = _common.frame_rate_for(track, fps, "23.976")
        if fr.rate.denominator not in (1, 1001):
            fr = FrameRate.parse("25")  # what itt.write falls back to
        return smpte_day_end(fr)
    if fmt in (spotting.NAME, timecoded.NAME):
        mod = spotting if fmt == spotting.NAME else timecoded
        return smpte_day_end(_common.frame_rate_for(track, fps, mod.DEFAULT_FPS))
    return None


def refuse_past_limit(fmt: str, track: CueTrack, fps: str | None, start_tc: str | None = None) -> None:
    """Raise ``FormatError`` when a cue of ``track`` ends after the latest time ``fmt`` can hold (after
    ``start_tc``, the programme start timecode SCC writes media time 0 at)."""
    limit = time_limit(fmt, track, fps)
    if limit is None or not track.cues:
        return
    max_ms, label = limit
    if start_tc and fmt == "scc":
        from . import scc

        fr = scc.scc_frame_rate(track, fps)
        max_ms -= frames_to_ms(scc.start_frame(start_tc, fr), fr)
    n, cue = max(enumerate(track.cues, start=1), key=lambda x: x[1].end_ms)
    if cue.end_ms > max_ms:
        name = {"csv": "a spotting list", "timecoded": "a timecoded transcript"}.get(fmt, fmt.upper())
        raise FormatError(f"cue {n} ends at {format_srt(cue.end_ms)}, later than {name} can hold ({label}): "
                          "nothing written (retime to earlier times, or write .vtt or .ttml)")
