"""Reading speed (issue 27, item 2): a cue too fast to read is held into the gap after it where the rules
allow (up to the minimum gap before the next cue, at most 1 s past the speech); the rest is speech faster
than the limit, named in a note with its rate; ``check`` tells the two kinds apart."""

from __future__ import annotations

import pytest

from subpipe.model import Cue, CueTrack, Transcript, Word
from subpipe.subtitling.profiles import get_profile
from subpipe.subtitling.qc import check_track, fix_track
from subpipe.timecode import frames_to_ms

from conftest import shared

P = get_profile("netflix-en", "24")
LINE = "Thirty characters on this one."  # 30 characters: 1.5 s at 20 characters/s


def f(frames: int) -> int:
    return frames_to_ms(frames, P.fps)


def rules(track, **kw):
    return {(v.rule, v.cue) for v in check_track(track, P, **kw).violations}


def test_check_tells_a_cue_that_could_be_held_from_fast_speech():
    track = CueTrack((
        Cue(f(0), f(24), (LINE,)),  # 30 cps, 2 s free after it: hold to 1.5 s
        Cue(f(96), f(120), (LINE,)),  # 30 cps, the next cue 4 frames after it: speech faster than the limit
        Cue(f(124), f(172), (LINE,)),  # 2 s: fine
        Cue(f(240), f(264), (LINE + " " + LINE,)),  # 61 characters in 1 s: 3.05 s needed, 1 s past is the most
    ))
    rep = check_track(track, P)
    got = {(v.rule, v.cue): v for v in rep.violations if v.rule.startswith("reading")}
    assert set(got) == {("reading_speed_hold", 1), ("reading_speed", 2), ("reading_speed", 4)}
    assert "could be held longer, to 00:00:01,500" in got[("reading_speed_hold", 1)].message
    assert "speech faster than the limit" in got[("reading_speed", 2)].message
    assert "even held to 00:00:12,000" in got[("reading_speed", 4)].message  # 11 s + 1 s past the out-time
    res = fix_track(track, P)
    after = {(v.rule) for v in res.after.violations}
    assert "reading_speed_hold" not in after
    assert any("characters/s" in n for n in res.notes)


def test_the_media_end_and_the_next_cue_bound_the_hold():
    # 1.5 s is frame 36: the next cue at frame 38 leaves room (36 = 38 - 2), at frame 37 it does not
    assert ("reading_speed_hold", 1) in rules(CueTrack((Cue(f(0), f(24), (LINE,)), Cue(f(38), f(86), (LINE,)))))
    assert ("reading_speed", 1) in rules(CueTrack((Cue(f(0), f(24), (LINE,)), Cue(f(37), f(85), (LINE,)))))
    lone = CueTrack((Cue(f(0), f(24), (LINE,)),))
    assert ("reading_speed_hold", 1) in rules(lone)
    assert ("reading_speed", 1) in rules(lone, media_duration_ms=f(30))


@pytest.fixture(scope="module")
def libri_tiny():
    from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio
    from subpipe.audio import media

    audio = media.extract_audio(shared("librispeech/2412-153948-0000.flac"))
    return transcribe_audio(audio.samples, TranscribeOptions(model="tiny.en"))


def test_real_speech_made_faster_is_held_or_named(libri_tiny):
    """A LibriSpeech reading's words (tiny.en) at 1.8x speed: some cues cannot be read at 20 characters/s.
    After make_subtitles
    none could still be held longer, and every cue over the limit is named in a note with its rate."""
    from subpipe.jobs.pipeline import make_subtitles

    k = 1.8
    fast = Transcript(tuple(Word(w.text, round(w.start_ms / k), round(w.end_ms / k), w.probability, w.space_before)
                            for w in libri_tiny.words), libri_tiny.language, round(libri_tiny.duration_ms / k))
    track = make_subtitles(fast, P)
    rep = check_track(track, P, media_duration_ms=fast.duration_ms)
    over = sorted(v.cue for v in rep.violations if v.rule == "reading_speed")
    assert over, "1.8x speech should be faster than 20 characters/s somewhere"
    assert not [v for v in rep.violations if v.rule == "reading_speed_hold"]
    note = next(n for n in track.metadata["notes"] if "because the speech is faster" in n)
    for n in over:
        assert f"cue {n} " in note
    # at its own speed, a track from elsewhere that ends each cue when its speech ends: check says "could be
    # held longer" for a cue too fast that way, and fix holds it
    track = make_subtitles(libri_tiny, P)
    bare = CueTrack(tuple(c.with_times(c.start_ms, f(-(-(c.words[-1].end_ms * 24) // 1000)))
                          for c in track.cues))
    held = [v.cue for v in check_track(bare, P).violations if v.rule == "reading_speed_hold"]
    assert held
    res = fix_track(bare, P, media_duration_ms=libri_tiny.duration_ms)
    assert not [v for v in res.after.violations if v.rule.startswith("reading_speed")]
