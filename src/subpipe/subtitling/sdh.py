"""SDH (subtitles for the deaf and hard of hearing): sound cues and speaker dashes, pure rules over a track.

``add_sound_cues`` puts one cue (``[MUSIC]`` by default, or ``♪``, or any label) over each stretch of music
the transcript's ``events`` hold (found at transcription time by sound.py), in the free time between the
dialogue cues: on frame boundaries, at least the profile's minimum gap from dialogue (a gap the chaining
rule would close is closed), never overlapping it, at least the minimum duration (a stretch squeezed
shorter gets no cue) and at most the maximum: a long stretch gets one cue at its start, as Netflix's
"[music playing]"-style descriptions do, rather than a label repeated every few seconds.

``dash_speakers`` follows Netflix's SDH rule for two speakers in one event (a hyphen without a space
before each speaker's line). It needs speakers: it acts only on cues whose words come from utterances
with a known ``speaker`` (diarize.py labels them; ``--speakers off`` leaves them unknown).

``speaker_ids`` puts a named speaker's ID before the cue where that speaker appears or takes over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..model import Cue, CueTrack, SoundEvent, Transcript
from ..timecode import frames_to_ms, ms_to_frames
from .linebreak import break_lines, text_length
from .profiles import Profile

LABELS = {"music": "[MUSIC]"}  # the default label of each event kind
NOTE_LABEL = "♪"


def _frame_floor(ms: int, profile: Profile) -> int:
    return int(ms * profile.rate // 1000)


def _frame_ceil(ms: int, profile: Profile) -> int:
    return -int(-ms * profile.rate // 1000)


def sound_cues(events: Sequence[SoundEvent], dialogue: Sequence[Cue], profile: Profile, *,
               media_end_ms: int | None = None, label: str | None = None) -> list[Cue]:
    """The sound cues for ``events`` that fit between the ``dialogue`` cues (sorted, non-overlapping)."""
    fr = profile.fps
    gap, chain = profile.min_gap_frames, profile.chain_gap_frames
    min_f, max_f = profile.min_duration_frames, profile.max_duration_frames
    spans = sorted((ms_to_frames(c.start_ms, fr), ms_to_frames(c.end_ms, fr)) for c in dialogue)
    end_limit = _frame_floor(media_end_ms, profile) if media_end_ms else None
    out: list[Cue] = []
    last_end: int | None = None  # the previous sound cue's end frame
    for ev in sorted(events, key=lambda e: (e.start_ms, e.end_ms)):
        text = label or LABELS.get(ev.kind, f"[{ev.kind.upper()}]")
        ev_a, ev_b = _frame_ceil(ev.start_ms, profile), _frame_floor(ev.end_ms, profile)
        # the free stretches between dialogue cues that this event overlaps
        prev_end = None
        frees: list[tuple[int | None, int | None]] = []
        for s, e in spans + [(None, None)]:
            lo = None if prev_end is None else prev_end + gap
            hi = None if s is None else s - gap
            if (hi is None or hi > ev_a) and (lo is None or lo < ev_b):
                frees.append((lo, hi))
            if e is not None:
                prev_end = e if prev_end is None else max(prev_end, e)
        for lo, hi in frees:
            if last_end is not None:
                lo = last_end + gap if lo is None else max(lo, last_end + gap)
            a = ev_a if lo is None else max(ev_a, lo)
            b = ev_b if hi is None else min(ev_b, hi)
            if end_limit is not None:
                b = min(b, end_limit)
                hi = end_limit if hi is None else min(hi, end_limit)
            if lo is not None and lo < a <= lo - gap + chain:  # a short gap after dialogue: chain it
                a = lo
            if hi is not None and hi > b >= hi + gap - chain:  # a short gap before dialogue: chain it
                b = hi
            if b - a > max_f:  # one cue at the start of a long stretch
                b = a + max_f
                if hi is not None and hi > b >= hi + gap - chain:  # not left a chainable gap: end earlier
                    b = hi + gap - chain - 1
            if b - a < min_f:
                continue
            out.append(Cue(frames_to_ms(a, fr), frames_to_ms(b, fr), (text,)))
            last_end = b
            break  # one cue per event
    return out


def add_sound_cues(track: CueTrack, events: Sequence[SoundEvent], profile: Profile, *,
                   media_end_ms: int | None = None, label: str | None = None) -> CueTrack:
    """The track with a sound cue over each event that fits; the dialogue cues are left as they are."""
    extra = sound_cues(events, track.cues, profile, media_end_ms=media_end_ms, label=label)
    meta = dict(track.metadata)
    meta["sdh"] = {"sound_cues": len(extra), "events": len(events)}
    return CueTrack.of(list(track.cues) + extra, language=track.language, metadata=meta)


def dash_speakers(track: CueTrack, transcript: Transcript, profile: Profile) -> CueTrack:
    """Join two adjacent one-line cues of different known speakers into one two-line cue, "-" before each.

    Only when the joined cue keeps the profile's limits (lines, characters with the dash, maximum duration,
    reading speed) and the two cues are chained (the gap between them is at most the chaining gap).
    """
    if profile.max_lines < 2:
        return track
    speaker_of: dict[tuple[str, int, int], str] = {}
    for u in transcript.utterances:
        if u.speaker:
            for w in u.words:
                speaker_of[(w.text, w.start_ms, w.end_ms)] = u.speaker

    def speaker(c: Cue) -> str | None:
        found = {speaker_of.get((w.text, w.start_ms, w.end_ms)) for w in c.words}
        return found.pop() if len(found) == 1 else None

    chain_ms = frames_to_ms(profile.chain_gap_frames, profile.fps)
    cues = list(track.cues)
    out: list[Cue] = []
    i = 0
    joined = 0
    while i < len(cues):
        a = cues[i]
        if i + 1 < len(cues):
            b = cues[i + 1]
            sa, sb = speaker(a), speaker(b)
            lines = ("-" + a.text.replace("\n", " "), "-" + b.text.replace("\n", " "))
            chars = sum(text_length(x, profile.count_spaces) for x in lines)
            dur = b.end_ms - a.start_ms
            if (sa and sb and sa != sb and len(a.lines) == 1 and len(b.lines) == 1
                    and b.start_ms - a.end_ms <= chain_ms
                    and all(text_length(x, profile.count_spaces) <= profile.max_chars_per_line for x in lines)
                    and dur <= profile.max_duration_ms and chars * 1000 <= profile.max_cps * dur):
                out.append(Cue(a.start_ms, b.end_ms, lines, a.words + b.words))
                joined += 1
                i += 2
                continue
        out.append(a)
        i += 1
    if not joined:
        return track
    meta = dict(track.metadata)
    meta["sdh_dashes"] = joined
    return replace(track, cues=tuple(out), metadata=meta)


def _cue_speaker(c: Cue) -> str | None:
    found = {w.speaker for w in c.words}
    return found.pop() if len(found) == 1 else None


def _with_id(tag: str, lines: Sequence[str], profile: Profile) -> tuple[str, ...]:
    """The cue's lines with ``tag`` before the first word: the ID counts toward the line, so a line it pushes
    over the limit is broken again (tag and words, the best break within the profile's lines); as before
    (the tag before the first line) when they cannot fit or the script has no spaces between words."""
    plain = (f"{tag} {lines[0]}", *lines[1:])
    if not profile.count_spaces or all(text_length(x, True) <= profile.max_chars_per_line for x in plain):
        return plain
    tokens = [tag] + " ".join(lines).split()
    again = break_lines(tokens, profile.max_chars_per_line, profile.max_lines)
    if again is None or any(text_length(x, True) > profile.max_chars_per_line for x in again):
        return plain
    return tuple(again)


def speaker_ids(track: CueTrack, transcript: Transcript, profile: Profile) -> CueTrack:
    """A speaker ID before a cue whose named speaker appears or changes: ``[AI WEIWEI]`` at the start of its
    first line, or in DCMP's style ``(AI WEIWEI)`` on a line of its own (when the cue has a line to spare;
    else at the start of the first line). Only speakers with a name (an enrolled voice, or renamed with
    ``subpipe speakers rename``) get one: "S1" tells a viewer nothing. Dash cues (two speakers, one a line)
    are left as they are. The ID counts toward the line: a line it pushes over the limit is re-broken
    (``_with_id``); IDs that still leave a line over the limit are counted in the metadata."""
    names = {s.label for s in transcript.speakers if s.name}
    if not names:
        return track
    dcmp = profile.name.startswith("dcmp")
    out: list[Cue] = []
    prev: str | None = None
    added = over = 0
    for c in track.cues:
        spk = _cue_speaker(c) if c.words else None
        if spk is None:  # a sound cue, or a dash cue of two speakers: the next named cue says who again
            if c.words:
                prev = None
            out.append(c)
            continue
        if spk != prev and spk in names:
            tag = f"({spk.upper()})" if dcmp else f"[{spk.upper()}]"
            if dcmp and len(c.lines) < profile.max_lines:
                lines = (tag, *c.lines)
            else:
                lines = _with_id(tag, c.lines, profile)
            over += any(text_length(x, profile.count_spaces) > profile.max_chars_per_line for x in lines)
            c = replace(c, lines=lines)
            added += 1
        prev = spk
        out.append(c)
    if not added:
        return track
    meta = dict(track.metadata)
    meta["sdh_speaker_ids"] = {"added": added, "over_line_limit": over}
    return replace(track, cues=tuple(out), metadata=meta)


__all__ = ["LABELS", "NOTE_LABEL", "add_sound_cues", "dash_speakers", "sound_cues", "speaker_ids"]
