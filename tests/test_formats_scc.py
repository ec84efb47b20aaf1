"""SCC (CEA-608) specifics: 32-character rows, the character set, load timing, frame rates, pop-on only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subpipe.errors import FormatError
from subpipe.formats import scc
from subpipe.formats._common import nearest_frame
from subpipe.model import Cue, CueTrack
from subpipe.timecode import FrameRate

from strategies import cue_lines, cue_tracks, scc_char

DF = FrameRate.parse("29.97df")


def test_long_lines_are_rewrapped_to_32_and_reported(caplog):
    long = "A line that is far too long for CEA-608 captions to show"
    track = CueTrack.of([Cue(5000, 9000, (long,))])
    back = scc.loads(scc.dumps(track))
    assert back.cues[0].lines == ("A line that is far too long for", "CEA-608 captions to show")
    assert all(len(x) <= 32 for x in back.cues[0].lines)
    assert "rewrapped" in caplog.text and "cue 1" in caplog.text
    with pytest.raises(FormatError, match="over 32 characters"):
        scc.dumps(track, strict=True)


def test_a_word_longer_than_a_row_is_cut():
    rows, rewrapped = scc.caption_lines(["x" * 40])
    assert rows == ["x" * 32, "x" * 8] and rewrapped


def test_typographic_characters_get_stand_ins_and_accents_the_set_has_stay():
    text, missing = scc.to_cea608("“Ça” — naïve… l’été ♪")
    # CEA-608's extended set (ttconv's table) has “ ” Ç ï; the em dash, ellipsis and ’ get stand-ins
    assert (text, missing) == ('“Ça” -- naïve... l\'été ♪', "")
    back = scc.loads(scc.dumps(CueTrack((Cue(1000, 3000, (text,)),))))
    assert back.cues[0].lines == (text,)
    assert scc.to_cea608("♪♪")[0] == "♪ ♪"


def test_text_cea608_cannot_show_is_refused_with_the_cue():
    track = CueTrack.of([Cue(0, 1000, ("fine",)), Cue(2000, 3000, ("你好", "🙂"))])
    with pytest.raises(FormatError, match=r"cue 2 \(00:00:02;00\).*'你' '好'") as exc:
        scc.dumps(track)
    assert "TTML" in (exc.value.hint or "")


def test_cues_that_start_before_they_can_load_are_delayed_and_reported(caplog):
    track = CueTrack.of([Cue(0, 3000, ("At the very start",)), Cue(3100, 3300, ("flash",)),
                         Cue(3400, 6000, ("x" * 32, "y" * 32))])
    captions = scc.plan(track, DF)
    assert captions[0].begin == scc.load_frames(captions[0].rows) - 2 > 0
    assert captions[2].begin == captions[1].begin + scc.load_frames(captions[2].rows) + 2
    assert captions[2].begin > nearest_frame(3400, DF)
    back = scc.loads(scc.dumps(track))
    assert "start later than asked" in caplog.text and "cue 1 00:00:00;00 -> " in caplog.text
    assert [c.lines for c in back.cues] == [c.lines for c in track.cues]
    with pytest.raises(FormatError, match="start later than asked"):
        scc.dumps(track, strict=True)


def test_overlapping_cues_are_cut_and_simultaneous_ones_shown_together(caplog):
    track = CueTrack.of([Cue(2000, 6000, ("one",)), Cue(4000, 7000, ("two",)), Cue(4000, 5000, ("too",))])
    captions = scc.plan(track, DF)
    assert [c.rows for c in captions] == [("one",), ("too", "two")]
    assert captions[0].end == captions[1].begin - 2 and captions[0].cut and not captions[1].cut
    back = scc.loads(scc.dumps(track))
    assert [c.lines for c in back.cues] == [("one",), ("too", "two")]
    assert "1 cue(s) overlap the next one" in caplog.text and "(cue 1)" in caplog.text


def test_text_that_looks_like_roll_up_stays_pop_on():
    track = CueTrack.of([Cue(2000, 4000, ("we are here",)), Cue(4100, 6000, ("we are here", "and there")),
                         Cue(6100, 8000, ("and there", "again"))])
    out = scc.dumps(track)
    words = out.split()
    assert not {"9425", "9426", "94a7"} & set(words)  # RU2, RU3, RU4
    assert words.count("942f") == 2 * 3  # an EOC (sent twice) per caption
    assert [c.lines for c in scc.loads(out).cues] == [c.lines for c in track.cues]


@pytest.mark.parametrize(("profile_fps", "label"), [("29.97df", ";"), ("29.97", ":"), ("30", ":"), ("24", ";"),
                                                    (None, ";")])
def test_frame_rate_from_the_profile_else_29_97_drop_frame(profile_fps, label):
    meta = {"profile": {"fps": profile_fps}} if profile_fps else {}
    out = scc.dumps(CueTrack.of([Cue(2000, 4000, ("hi",))], metadata=meta))
    assert out.startswith("Scenarist_SCC V1.0\n\n")
    assert out.splitlines()[2][8] == label


def test_frame_rates_scc_cannot_carry_are_refused():
    with pytest.raises(FormatError, match="29.97"):
        scc.dumps(CueTrack(()), fps="25")


def test_the_first_caption_byte_pairs_by_example():
    out = scc.dumps(CueTrack.of([Cue(2002, 4004, ("HI",))]))
    # 2002 ms = frame 60 at 29.97. 11 frames to load: RCL RCL ENM ENM, PAC PAC (row 15, indent 12),
    # 3 centring spaces, "HI" and a pad byte, EOC EOC; so it starts at 60 - 11 + 2 = 51 and EOC is on 60.
    # EDM EDM on frame 120 = 00:00:04;00 (4004 ms).
    assert out == ("Scenarist_SCC V1.0\n\n"
                   "00:00:01;21\t9420 9420 94ae 94ae 94d6 94d6 2020 20c8 4980 942f 942f\n\n"
                   "00:00:04;00\t942c 942c\n")


@settings(max_examples=40, deadline=None)
@given(cue_tracks(cue_lines(scc_char, max_lines=2, max_chars=32), max_cues=9, min_duration_ms=40,
                  max_duration_ms=3000, max_gap_ms=2000), st.integers(1, 4))
def test_writing_in_groups_gives_the_text_of_one_call(track, group):
    with pytest.MonkeyPatch.context() as m:
        m.setattr(scc, "GROUP", 10_000)
        whole = scc.dumps(track)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(scc, "GROUP", group)
        assert scc.dumps(track) == whole


@pytest.mark.slow
def test_a_long_track_is_written_in_linear_time(monkeypatch):
    # ttconv's writer is quadratic in the document (one call over the whole track took 12-20 s): the track
    # must go to it in bounded groups. Counted, not timed (a wall-clock limit fails on a loaded machine).
    cues = [Cue(i * 3000 + 500, i * 3000 + 2800, ("And so, my fellow Americans,", "ask not what your country"))
            for i in range(1500)]
    sizes = []
    real = scc.scc_writer.from_model

    def counting(doc, config):
        sizes.append(sum(len(list(div)) for div in doc.get_body()))
        return real(doc, config)

    monkeypatch.setattr(scc.scc_writer, "from_model", counting)
    out = scc.dumps(CueTrack.of(cues))
    assert out.count("942f 942f") == 1500
    assert len(sizes) == -(-1500 // scc.GROUP) and max(sizes) <= scc.GROUP + 2
