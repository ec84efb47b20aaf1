"""Markup as structure: styled spans and placement survive every writer and reader that can carry them
(Hypothesis round trips from the cue model), and what a format cannot carry is a note, not text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subpipe.errors import FormatError
from subpipe.formats import decode, read_subtitles, scc, srt, ttml, vtt, write_subtitles
from subpipe.formats.markup import styled_lines
from subpipe.model import Cue, CueTrack, Span

from strategies import NAMED_COLORS, srt_char, styled_tracks


def _view(track: CueTrack, *, voice: bool = True, colors=None, placement: bool = True):
    """What a viewer sees: times, text per line, styled runs, and where (vertical, align)."""
    out = []
    for c in track.cues:
        runs = []
        for line in styled_lines(c):
            merged: list[tuple] = []
            for s in line:
                col = s.color if colors is None or s.color in colors else None
                key = (s.italic, s.bold, s.underline, col, s.voice if voice else None)
                if merged and merged[-1][1] == key:
                    merged[-1] = (merged[-1][0] + s.text, key)
                else:
                    merged.append((s.text, key))
            runs.append(tuple(merged))
        where = (c.placement.vertical, c.placement.align) if (placement and c.placement) else ("bottom", "center")
        out.append((c.start_ms, c.end_ms, c.lines, tuple(runs), where))
    return out


@settings(max_examples=60, deadline=None)
@given(styled_tracks(chars=srt_char))
def test_srt_round_trip_keeps_styles_colours_and_placement(track):
    text, notes = srt.write(track)
    back = srt.loads(text)
    assert _view(back) == _view(track, voice=False)
    if any(s.voice for c in track.cues for r in styled_lines(c) for s in r):
        assert any("voice" in n for n in notes)


@settings(max_examples=60, deadline=None)
@given(styled_tracks())
def test_vtt_round_trip_keeps_styles_voices_and_placement(track):
    text, notes = vtt.write(track)
    back = vtt.loads(text)
    assert not back.metadata["skipped"]
    assert _view(back, colors=NAMED_COLORS) == _view(track, colors=NAMED_COLORS)


@settings(max_examples=40, deadline=None)
@given(styled_tracks(colors=NAMED_COLORS + ("#123456",)))
def test_ttml_round_trip_keeps_styles_colours_and_placement(track):
    text, notes = ttml.write(track)
    back = ttml.loads(text)
    assert _view(back, voice=False) == _view(track, voice=False)


@settings(max_examples=20, deadline=None)
@given(styled_tracks(chars=st.sampled_from("ABCDEFGHIJ abcdefghij0123456789ÄÖÜäöüß¡Éé"), max_cues=3,
                     voices=False))
def test_scc_keeps_text_and_extended_characters_and_notes_the_styling_it_drops(track):
    spaced = CueTrack.of([c.with_times(i * 5000 + 1000, i * 5000 + 3000) for i, c in enumerate(track.cues)])
    text, notes = scc.write(spaced)
    back = scc.loads(text)
    assert [c.lines for c in back.cues] == [tuple(x[:32] for x in c.lines) for c in spaced.cues] or all(
        " ".join(b.lines).split() == " ".join(c.lines).split() for b, c in zip(back.cues, spaced.cues, strict=True))
    styled = any(not s.plain for c in spaced.cues for r in styled_lines(c) for s in r)
    placed = any(c.placement is not None for c in spaced.cues)
    if styled or placed:
        assert notes, "SCC dropped styling or placement without a note"


def test_markup_is_never_shown_as_text():
    track = srt.loads("1\n00:00:01,000 --> 00:00:03,000\n<i>Hello</i> {\\an8}there\n")
    cue = track.cues[0]
    assert cue.lines == ("Hello there",)
    assert cue.placement is not None and cue.placement.vertical == "top"
    for fmt in ("vtt", "ttml", "srt"):
        text, _ = write_subtitles(track, fmt)
        assert "&lt;i&gt;" not in text and "an8)" not in text and "(/an8)" not in text
    text, notes = write_subtitles(track, "scc")
    assert [c.lines for c in scc.loads(text).cues] == [("Hello there",)]
    assert any("italics" in n for n in notes) and any("placement" in n for n in notes)


def test_escaped_angle_brackets_are_text_not_markup():
    track = vtt.loads("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n&lt;LAUGHING&gt;\n")
    assert track.cues[0].lines == ("<LAUGHING>",)
    from subpipe.subtitling.profiles import get_profile
    from subpipe.subtitling.qc import check_track

    report = check_track(track, get_profile("netflix-en"))
    assert "empty" not in report.summary()
    assert "&lt;LAUGHING&gt;" in vtt.dumps(track)


def test_vtt_blank_line_in_style_block_and_bad_block_drop_only_that_block():
    text = ("WEBVTT\n\nSTYLE\n::cue { color: red }\n\n.x { color: blue }\n\n"
            "00:00:01.000 --> 00:00:02.000\none\n\n00:00:0x.000 --> 00:00:03.000\nbad\n\n"
            "00:00:04.000 --> 00:00:05.000\nthree\n")
    track = vtt.loads(text)
    assert [c.lines for c in track.cues] == [("one",), ("three",)]
    assert [line for line, _ in track.metadata["skipped"]] == [11]
    assert track.metadata["reader_notes"][0][0] == 6


def test_every_bom_and_an_encoding_hint_that_fits(tmp_path):
    body = "1\n00:00:01,000 --> 00:00:02,000\nПривет, мир\n"
    for enc in ("utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        bom = {"utf-8-sig": b"", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
               "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}[enc]
        p = tmp_path / f"{enc}.srt"
        p.write_bytes(bom + body.encode(enc))
        assert read_subtitles(p).cues[0].lines == ("Привет, мир",), enc
    cyr = ("1\n00:00:01,000 --> 00:00:02,000\nПривет, как дела? Это обычный русский текст субтитров.\n" * 3)
    with pytest.raises(FormatError) as exc:
        decode(cyr.encode("cp1251"))
    assert "cp1252" not in (exc.value.hint or "") and "--encoding" in (exc.value.hint or "")
    assert str(exc.value).count("(line") == 1


def test_scc_hour_field_over_99_and_space_after_timecode():
    track = CueTrack.of([Cue(105 * 3600 * 1000, 105 * 3600 * 1000 + 2000, ("LATE",))])
    text = scc.dumps(track)
    assert "\n105:" in text
    back = scc.loads(text)
    assert back.cues[0].lines == ("LATE",) and abs(back.cues[0].start_ms - track.cues[0].start_ms) < 100
    spaced = scc.loads(text.replace("\t", " "))
    assert [c.lines for c in spaced.cues] == [("LATE",)]


def test_scc_caption_never_erased_ends_at_the_next_or_a_default_with_a_note():
    # RCL ENM PAC "HI" EOC at 1 s; nothing erases it
    text = "Scenarist_SCC V1.0\n\n00:00:01;00\t9420 9420 94ae 94ae 9470 9470 c8c9 942f 942f\n"
    track = scc.loads(text)
    assert len(track.cues) == 1 and track.cues[0].duration_ms == ttml.DEFAULT_LAST_MS
    assert any("no end" in msg for _, msg in track.metadata["reader_notes"])


def test_ttml_timing_on_spans_and_seq():
    doc = ('<tt xmlns="http://www.w3.org/ns/ttml"><body><div timeContainer="seq">'
           '<p dur="1s">one</p><p dur="2s">two</p></div><div><p>'
           '<span begin="5s" end="6s">a</span> <span begin="5.5s" end="7s">b</span></p></div></body></tt>')
    cues = [(c.start_ms, c.end_ms, c.lines) for c in ttml.loads(doc).cues]
    assert (0, 1000, ("one",)) in cues and (1000, 3000, ("two",)) in cues
    assert (5000, 5500, ("a",)) in cues and (5500, 6000, ("a b",)) in cues and (6000, 7000, ("b",)) in cues


def test_retime_offset_zero_keeps_a_cue_at_zero_and_keeps_styling():
    from subpipe.subtitling.qc import shift

    track = srt.loads("1\n00:00:00,000 --> 00:00:00,000\nzero\n\n2\n00:00:01,000 --> 00:00:02,000\n<i>x</i>\n")
    moved, dropped = shift(track, 0)
    assert dropped == 0 and len(moved.cues) == 2
    assert moved.cues[1].spans == (( Span("x", italic=True),),)


def test_fix_keeps_styles_on_the_words_and_never_splits_inside_a_tag(tmp_path):
    from subpipe.subtitling.profiles import get_profile
    from subpipe.subtitling.rules import fix_file

    src = tmp_path / "in.srt"
    src.write_text("1\n00:00:01,000 --> 00:00:12,000\n<i>one two three four five six seven eight</i> nine "
                   "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty\n",
                   encoding="utf-8")
    out = tmp_path / "out.srt"
    res = fix_file(src, out, get_profile("netflix-en"))
    assert len(res.after.errors) <= len(res.before.errors)
    back = read_subtitles(out)
    words = " ".join(" ".join(c.lines) for c in back.cues).split()
    assert words == ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                     "sixteen seventeen eighteen nineteen twenty").split()
    italic = [s.text for c in back.cues for r in styled_lines(c) for s in r if s.italic]
    assert " ".join(italic).split() == "one two three four five six seven eight".split()
    assert all(t.count("<i>") == t.count("</i>") for t in out.read_text().split("\n\n"))


def test_check_fails_on_what_it_could_not_read_and_convert_keeps_markup(tmp_path):
    from click.testing import CliRunner

    from subpipe.cli.app import cli

    bad = tmp_path / "notes.srt"
    bad.write_text("these are my notes\nnot subtitles\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", str(bad)])
    assert res.exit_code == 1 and "line 1" in res.output and "no cue could be read" in res.output
    src = tmp_path / "in.srt"
    src.write_text("1\n00:00:01,000 --> 00:00:03,000\n{\\an8}<i>Hello</i> <b>there</b>\n", encoding="utf-8")
    out = tmp_path / "out.vtt"
    res = CliRunner().invoke(cli, ["convert", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "<i>Hello</i> <b>there</b>" in text and "line:0" in text
    res = CliRunner().invoke(cli, ["check", "--help"])
    assert ".scc" in res.output and ".ttml" in res.output


@settings(max_examples=15, deadline=None)
@given(styled_tracks(chars=st.sampled_from("abcdefghij ABC0123"), max_cues=3, voices=False))
def test_every_writer_keeps_the_text_and_notes_the_markup_it_drops(track):
    from subpipe.formats import SUBTITLE_FORMATS, module

    spaced = CueTrack.of([c.with_times(i * 5000 + 1000, i * 5000 + 3000) for i, c in enumerate(track.cues)])
    styled = any(c.spans or c.placement is not None for c in spaced.cues)
    for name in SUBTITLE_FORMATS:
        text, notes = write_subtitles(spaced, name, fps="25" if name == "spotting" else None)
        mod = module(name)
        if getattr(mod, "BINARY", False):
            back = mod.loadb(text)
        if hasattr(mod, "loads"):
            back = mod.loads(text, fps="25") if name == "spotting" else mod.loads(text)
        if hasattr(mod, "loads") or getattr(mod, "BINARY", False):
            assert " ".join(" ".join(c.lines) for c in back.cues).split() == \
                " ".join(" ".join(c.lines) for c in spaced.cues).split(), name
        else:
            for c in spaced.cues:
                assert all(w in text for w in " ".join(c.lines).split()), name
        if styled and name not in ("srt", "vtt", "ttml", "ass", "ssa", "itt", "stl"):  # these keep what the
            # strategy makes (iTT and STL note middle placement and bold: see test_formats_broadcast.py)
            assert notes, f"{name} dropped styling without a note"
