"""Round trips for every format, and independent readers (srt, webvtt-py, ttconv) on what we write."""

from __future__ import annotations

import html
import string
from fractions import Fraction

import srt as srt_lib
import ttconv.vtt.reader as ttconv_vtt
import webvtt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ttconv.filters.doc.imsc11text import IMSC11TextFilter

from subpipe.formats import SUBTITLE_FORMATS, scc, spotting, srt, timecoded, ttml, txt, vtt
from subpipe.formats._common import nearest_frame
from subpipe.model import Cue, CueTrack
from subpipe.timecode import FrameRate, frames_to_ms, smpte_to_frames

from strategies import cue_lines, cue_tracks, scc_char

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cues(track: CueTrack) -> list[tuple[int, int, tuple[str, ...]]]:
    return [(c.start_ms, c.end_ms, c.lines) for c in track.cues]


# ---------------------------------------------------------------- SRT
@FAST
@given(cue_tracks())
def test_srt_dumps_loads_identity(track):
    assert _cues(srt.loads(srt.dumps(track))) == _cues(track)


@FAST
@given(cue_tracks())
def test_srt_read_by_the_srt_library(track):
    subs = list(srt_lib.parse(srt.dumps(track)))
    assert [(round(s.start.total_seconds() * 1000), round(s.end.total_seconds() * 1000), s.content)
            for s in subs] == [(c.start_ms, c.end_ms, c.text) for c in track.cues]
    assert [s.index for s in subs] == list(range(1, len(track) + 1))


# ---------------------------------------------------------------- WebVTT
@FAST
@given(cue_tracks())
def test_vtt_dumps_loads_identity(track):
    assert _cues(vtt.loads(vtt.dumps(track))) == _cues(track)


def _ms(ts) -> int:
    return ((ts.hours * 60 + ts.minutes) * 60 + ts.seconds) * 1000 + ts.milliseconds


@FAST
@given(cue_tracks())
def test_vtt_read_by_webvtt_py(track):
    captions = webvtt.from_string(vtt.dumps(track)).captions
    assert [(_ms(c.start_time), _ms(c.end_time), tuple(html.unescape(x) for x in c.lines)) for c in captions] \
        == _cues(track)


@FAST
@given(cue_tracks(cue_lines(st.sampled_from("ab&<>-"), max_lines=2)))
def test_vtt_escapes_markup_and_never_writes_an_arrow_in_text(track):
    text = vtt.dumps(track)
    for block in text.split("\n\n")[1:]:
        body = block.split("\n")[2:]
        assert not any("-->" in x or "<" in x or ">" in x for x in body)
        assert all("&" not in x.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "") for x in body)
    assert _cues(vtt.loads(text)) == _cues(track)


def test_vtt_escaping_by_example():
    track = CueTrack.of([Cue(0, 1000, ("Tom & Jerry <3", "a --> b"))])
    body = vtt.dumps(track).split("\n")
    assert "Tom &amp; Jerry &lt;3" in body and "a --&gt; b" in body
    assert vtt.loads(vtt.dumps(track)).cues[0].lines == ("Tom & Jerry <3", "a --> b")


@settings(max_examples=25, deadline=None)
@given(cue_tracks(max_cues=5))
def test_vtt_read_by_ttconv(track):
    """ttconv's WebVTT reader (another independent reader) finds every cue at its time."""
    import io

    doc = ttconv_vtt.to_model(io.StringIO(vtt.dumps(track)))
    back = ttml.from_model(doc)
    assert [(c.start_ms, c.end_ms) for c in back.cues] == [(c.start_ms, c.end_ms) for c in track.cues]


# ---------------------------------------------------------------- TTML / IMSC 1.1
@settings(max_examples=40, deadline=None)
@given(cue_tracks(max_cues=6, min_duration_ms=1, language=st.sampled_from(["en", "fr", None])))
def test_ttml_read_back_by_ttconv(track):
    text = ttml.dumps(track)
    assert 'ttp:contentProfiles="http://www.w3.org/ns/ttml/profile/imsc1.1/text"' in text
    IMSC11TextFilter().process(ttml.to_model(track))  # raises ValueError on any profile violation
    back = ttml.loads(text)
    assert _cues(back) == _cues(track)
    assert back.language == track.language


@settings(max_examples=25, deadline=None)
@given(cue_tracks(max_cues=5, min_duration_ms=100), st.sampled_from(["23.976", "24", "25", "29.97df", "50"]))
def test_ttml_frames_time_format_is_on_the_frame_grid(track, fps):
    fr = FrameRate.parse(fps)
    back = ttml.loads(ttml.dumps(track, fps=fps, time_format="frames"))
    for got, want in zip(back.cues, track.cues, strict=True):
        for g, w in ((got.start_ms, want.start_ms), (got.end_ms, want.end_ms)):
            assert abs(g - frames_to_ms(nearest_frame(w, fr), fr)) <= 1
        assert got.lines == want.lines


def test_ttml_lines_carry_no_stray_whitespace():
    text = ttml.dumps(CueTrack.of([Cue(0, 1000, ("one", "two"))]))
    assert "<span>one</span><br /><span>two</span>" in text


# ---------------------------------------------------------------- SCC
scc_tracks = cue_tracks(cue_lines(scc_char, max_lines=2, max_chars=32), max_cues=6, min_duration_ms=40,
                        max_duration_ms=6000, max_gap_ms=3000)
DF = FrameRate.parse("29.97df")
ascii_char = st.sampled_from(string.ascii_letters + string.digits + "!\"#$%&'()+,-./:;<=>?@[]")


def _frames(track: CueTrack, fr: FrameRate) -> list[tuple[int, int]]:
    return [(nearest_frame(c.start_ms, fr), nearest_frame(c.end_ms, fr)) for c in track.cues]


@settings(max_examples=60, deadline=None)
@given(scc_tracks)
def test_scc_read_back_by_ttconv_loses_no_cue_and_keeps_every_planned_frame(track):
    captions = scc.plan(track, DF)
    back = scc.loads(scc.dumps(track))
    assert [c.lines for c in back.cues] == [c.rows for c in captions]
    assert _frames(back, DF) == [(c.begin, c.end) for c in captions]
    for c, (b, _e) in zip(captions, _frames(track, DF), strict=True):
        assert c.begin >= b  # never earlier than asked
        assert c.end > c.begin


@settings(max_examples=60, deadline=None)
@given(cue_tracks(cue_lines(ascii_char, max_lines=2, max_chars=32), max_cues=6, min_duration_ms=2000,
                  max_duration_ms=6000, min_gap_ms=70, max_gap_ms=3000, language=st.just("en")),
       st.sampled_from(["29.97df", "29.97", "30"]))
def test_scc_to_the_frame_when_the_cues_leave_time_to_load(track, fps):
    """Cues of 2 s or more (each loads in under 2 s) and gaps of 2+ frames: every in- and out-frame
    survives exactly, except the first cue when it starts before its load could finish, and the cues that its
    delay pushes on (the next caption loads only after the first one's EOC): those are later, never earlier,
    and the writer's plan says so (the note "start later than asked")."""
    fr = FrameRate.parse(fps)
    back = scc.loads(scc.dumps(track, fps=fps), fps=fps)
    assert [c.lines for c in back.cues] == [c.lines for c in track.cues]
    want = _frames(track, fr)
    got = _frames(back, fr)
    assert len(got) == len(want)
    plan = scc.plan(track, fr)
    pushed = bool(want) and want[0][0] < scc.load_frames(track.cues[0].lines)
    for k, ((gb, ge), (wb, we), c) in enumerate(zip(got, want, plan, strict=True)):
        if k:  # a delay carries on only from the first cue, and only where the plan reports it late
            pushed = pushed and c.begin > c.asked_begin
        if pushed:
            assert gb >= wb
        else:
            assert (gb, ge) == (wb, we)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(scc_char, min_size=0, max_size=32), min_size=1, max_size=4))
def test_scc_load_frames_matches_ttconv(rows):
    """Our count of the frames a caption takes to load is ttconv's: write one caption late enough,
    and the first byte pair's timecode is its in-frame minus the load plus the 2 frames of EOC."""
    rows = [r.strip() or "x" for r in rows]
    begin = 300
    track = CueTrack.of([Cue(frames_to_ms(begin, DF), frames_to_ms(begin + 60, DF), tuple(rows))])
    first = scc.dumps(track).split("\n")[2].split("\t")[0]
    assert smpte_to_frames(first, DF) == begin - scc.load_frames(scc.plan(track, DF)[0].rows) + 2


# ---------------------------------------------------------------- CSV spotting list, text, timecoded
@FAST
@given(cue_tracks(min_duration_ms=0), st.sampled_from(["23.976", "24", "25", "29.97df", "29.97", "59.94df"]))
def test_spotting_list_round_trip_to_the_frame(track, fps):
    fr = FrameRate.parse(fps)
    text = spotting.dumps(track, fps=fps)
    back = spotting.loads(text, fps=fps)
    assert [c.lines for c in back.cues] == [c.lines for c in track.cues]
    assert _frames(back, fr) == _frames(track, fr)
    rows = text.count("\n") - sum(len(c.lines) - 1 for c in track.cues)
    assert rows == len(track) + 1


def test_spotting_list_drop_frame_and_duration():
    track = CueTrack.of([Cue(59_000, 60_060, ("one", "two")), Cue(599_000, 600_000, ("three",))],
                        metadata={"profile": {"fps": "29.97df"}})
    text = spotting.dumps(track)
    assert text.splitlines()[0] == "event,in,out,duration,text"
    assert '1,00:00:58;28,00:01:00;02,00:00:01;02,"one\ntwo"' in text  # ;00 and ;01 skipped at 1 min
    assert "2,00:09:59;00,00:10:00;00,00:00:01;00,three" in text  # not skipped at 10 min
    assert spotting.loads(text).cues[0].lines == ("one", "two")  # ; -> 29.97 DF when not told


@FAST
@given(cue_tracks())
def test_plain_text_keeps_every_word_in_order(track):
    out = txt.dumps(track)
    assert out.split() == [w for c in track.cues for line in c.lines for w in line.split()]


@FAST
@given(cue_tracks(max_cues=10), st.sampled_from(["24", "25", "29.97df"]))
def test_timecoded_transcript_keeps_words_and_stamps_in_order(track, fps):
    out = timecoded.dumps(track, fps=fps)
    fr = FrameRate.parse(fps)
    paras = [p for p in out.split("\n\n") if p.strip()]
    sep = ";" if fr.drop_frame else ":"
    stamps = [smpte_to_frames(p[1:9] + sep + p[10:12], fr) for p in paras]
    assert stamps == sorted(stamps)
    words = [w for p in paras for w in p[14:].split()]
    assert words == [w for c in track.cues for line in c.lines for w in line.split()]


def test_timecoded_transcript_joins_cues_into_sentences():
    track = CueTrack.of([Cue(1000, 2000, ("And so, my fellow",)), Cue(2000, 3000, ("Americans.",)),
                         Cue(3100, 4000, ("Ask not",)), Cue(7000, 8000, ("what", "you can do."))],
                        metadata={"profile": {"fps": "25"}})
    assert timecoded.dumps(track) == ("[00:00:01.00] And so, my fellow Americans.\n\n"
                                      "[00:00:03.03] Ask not\n\n"
                                      "[00:00:07.00] what you can do.\n")


def test_every_registered_format_writes_an_empty_track():
    for name, mod in SUBTITLE_FORMATS.items():
        out = mod.dumps(CueTrack(()))
        binary = getattr(mod, "BINARY", False)  # EBU-STL
        assert isinstance(out, bytes if binary else str), name
        if hasattr(mod, "loads") or binary:
            assert len(mod.loadb(out) if binary else mod.loads(out)) == 0, name


def test_frame_rates_come_from_the_profile():
    track = CueTrack.of([Cue(1001, 2002, ("x",))], metadata={"profile": {"fps": "23.976"}})
    assert spotting.dumps(track).splitlines()[1] == "1,00:00:01:00,00:00:02:00,00:00:01:00,x"
    assert Fraction(24000, 1001) == FrameRate.parse("23.976").rate
