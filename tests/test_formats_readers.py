"""Readers: damaged-but-valid files still read (BOM, CRLF, missing indices), broken files fail with the
line number, non-UTF-8 input asks for --encoding."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from subpipe.errors import FormatError, SubpipeError
from subpipe.formats import read_subtitles, scc, spotting, srt, ttml, vtt
from subpipe.model import Cue, CueTrack

from strategies import cue_tracks

SAMPLE = CueTrack.of([Cue(1000, 2500, ("Hello & <world>", "second line")), Cue(3000, 4000, ("Café ♪",)),
                      Cue(61_000, 62_000, ("42",))])


def _cues(track):
    return [(c.start_ms, c.end_ms, c.lines) for c in track.cues]


# ---------------------------------------------------------------- damage that must still read
DAMAGE = {
    "crlf": lambda s: s.replace("\n", "\r\n"),
    "cr": lambda s: s.replace("\n", "\r"),
    "bom": lambda s: "\ufeff" + s,
    "bom+crlf": lambda s: "\ufeff" + s.replace("\n", "\r\n"),
    "extra blank lines": lambda s: s.replace("\n\n", "\n\n\n\n"),
    "trailing spaces": lambda s: s.replace("\n", "  \n"),
    "no final newline": lambda s: s.rstrip("\n"),
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("mod", [srt, vtt], ids=["srt", "vtt"])
def test_damaged_output_still_reads(mod, damage):
    assert _cues(mod.loads(DAMAGE[damage](mod.dumps(SAMPLE)))) == _cues(SAMPLE)


@settings(max_examples=40, deadline=None)
@given(cue_tracks())
def test_srt_without_indices_reads(track):
    text = re.sub(r"(?m)^\d+\n(?=\d+:\d\d:\d\d,\d{3} -->)", "", srt.dumps(track))
    assert _cues(srt.loads(text)) == _cues(track)


@settings(max_examples=40, deadline=None)
@given(cue_tracks())
def test_vtt_without_identifiers_reads(track):
    text = re.sub(r"(?m)^\d+\n(?=\d+:\d\d:\d\d\.\d{3} -->)", "", vtt.dumps(track))
    assert _cues(vtt.loads(text)) == _cues(track)


def test_srt_cue_without_the_blank_line_before_the_next():
    text = "1\n00:00:01,000 --> 00:00:02,000\nHello\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n"
    assert _cues(srt.loads(text)) == [(1000, 2000, ("Hello",)), (3000, 4000, ("World",))]


def test_srt_dots_positions_and_text_with_arrows():
    text = "1\n00:00:01.000 --> 00:00:02.000 X1:10 X2:20\nA --> B\n"
    assert _cues(srt.loads(text)) == [(1000, 2000, ("A --> B",))]


def test_vtt_header_notes_styles_settings_and_tags():
    text = ("WEBVTT - a title\nKind: captions\nLanguage: en\n\nSTYLE\n::cue { color: red }\n\n"
            "NOTE a comment\nspanning lines\n\nintro\n00:01.000 --> 00:02.500 line:90% align:center\n"
            "<v Roger>Hi &amp; <i>bye</i> &lt;3</v>\n\n00:00:03.000 --> 00:00:04.000\nnext\n")
    assert _cues(vtt.loads(text)) == [(1000, 2500, ("Hi & bye <3",)), (3000, 4000, ("next",))]


def test_end_before_start_is_clamped_not_fatal(caplog):
    track = srt.loads("1\n00:00:05,000 --> 00:00:04,000\nx\n")
    assert _cues(track) == [(5000, 5000, ("x",))]
    assert track.metadata["reader_notes"][0][0] == 2


# ---------------------------------------------------------------- broken files fail with the line number
BROKEN_SRT = [
    ("hello there\nthis is not srt\n", 1, "cue number or a timing line"),
    ("1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 -> 00:00:04,000\nWorld\n", 6, "timing line"),
    ("1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 --> 00:0x:04,000\nWorld\n", 6, "timestamp"),
    ("1\n00:00:01,000 --> 00:00:02,000\nHello\n\nWorld\n", 5, "cue number or a timing line"),
    ("1\n\n00:00:01,000 --> 00:00:02,000\nHello\n", 2, "timing line after the cue number"),
    ("\n\n\n1\n00:00:0x --> 00:00:02\nHello\n", 5, "timestamp"),
]


@pytest.mark.parametrize(("text", "line", "why"), BROKEN_SRT)
def test_broken_srt_fails_with_its_line(text, line, why):
    with pytest.raises(FormatError, match=why) as exc:
        srt.loads(text, strict=True)
    assert exc.value.line == line
    assert f"(line {line})" in str(exc.value)
    assert str(exc.value).count(f"(line {line})") == 1
    with pytest.raises(FormatError) as crlf:  # the same line with Windows line ends and a BOM
        srt.loads("\ufeff" + text.replace("\n", "\r\n"), strict=True)
    assert crlf.value.line == line
    # as players do, the default reading skips the block and says where (or, when no cue is left,
    # fails with the first block's line)
    try:
        assert line in [k for k, _ in srt.loads(text).metadata["skipped"]]
    except FormatError as lenient:
        assert lenient.line == line


BROKEN_VTT = [
    ("1\n00:00:01.000 --> 00:00:02.000\nHello\n", 1, "WEBVTT"),
    ("WEBVTT\n\nid\nHello\n", 3, "timing line"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n\n00:00:03.000 --> soon\nx\n", 7, "timing line"),
]


@pytest.mark.parametrize(("text", "line", "why"), BROKEN_VTT)
def test_broken_vtt_fails_with_its_line(text, line, why):
    with pytest.raises(FormatError, match=why) as exc:
        vtt.loads(text, strict=True)
    assert exc.value.line == line
    if line > 1:  # the spec drops only the bad block; the default reading says which
        try:
            assert line in [k for k, _ in vtt.loads(text).metadata["skipped"]]
        except FormatError as lenient:
            assert lenient.line == line


def test_vtt_cue_right_after_the_header_reads():
    assert [c.lines for c in vtt.loads("WEBVTT\n00:00:01.000 --> 00:00:02.000\nHello\n").cues] == [("Hello",)]


def test_broken_ttml_scc_csv_fail_with_their_line():
    good = ttml.dumps(SAMPLE).splitlines()
    with pytest.raises(FormatError) as exc:
        ttml.loads("\n".join(good[:9] + ["<span>Tom & Jerry</span>"] + good[9:]))
    assert exc.value.line == 10 and str(exc.value).startswith("not XML: not well-formed")
    with pytest.raises(FormatError, match="Scenarist_SCC") as exc:
        scc.loads("WEBVTT\n")
    assert exc.value.line == 1
    with pytest.raises(FormatError) as exc:
        scc.loads("Scenarist_SCC V1.0\n\n00:00:01;00\t9420 9420\n\nnot a caption line\n", strict=True)
    assert exc.value.line == 5
    csv_text = spotting.dumps(SAMPLE, fps="25").replace("00:00:03:00", "00:00:03:99")
    with pytest.raises(FormatError, match="out of range") as exc:
        spotting.loads(csv_text, fps="25")
    assert exc.value.line == 4  # header, a two-line quoted cell (lines 2-3), then the broken row


# ---------------------------------------------------------------- files and encodings
def test_read_subtitles_by_extension_with_bom_and_utf16(tmp_path):
    for name, data in {
        "a.srt": srt.dumps(SAMPLE).encode("utf-8-sig"),
        "b.vtt": vtt.dumps(SAMPLE).replace("\n", "\r\n").encode("utf-16"),
        "c.ttml": ttml.dumps(SAMPLE).encode("utf-8"),
        "d.csv": spotting.dumps(SAMPLE, fps="24").encode("utf-8"),
    }.items():
        (tmp_path / name).write_bytes(data)
        back = read_subtitles(tmp_path / name)
        assert [c.lines for c in back.cues] == [c.lines for c in SAMPLE.cues], name


def test_non_utf8_asks_for_encoding_and_reads_with_it(tmp_path):
    p = tmp_path / "latin.srt"
    p.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nhello\n\n2\n00:00:03,000 --> 00:00:04,000\nCafé\n"
                  .encode("cp1252"))
    with pytest.raises(FormatError) as exc:
        read_subtitles(p)
    assert exc.value.line == 7
    assert "--encoding" in (exc.value.hint or "")
    assert str(p) in str(exc.value) and "not UTF-8" in str(exc.value)
    assert read_subtitles(p, encoding="cp1252").cues[1].lines == ("Café",)
    with pytest.raises(FormatError, match="unknown text encoding"):
        read_subtitles(p, encoding="klingon")


def test_read_subtitles_errors_name_the_file(tmp_path):
    p = tmp_path / "bad.vtt"
    p.write_text("WEBVTT\n\nid\nno timing\n\n00:00:01.000 --> 00:00:02.000\nok\n")
    assert read_subtitles(p).metadata["skipped"][0][0] == 3  # the spec drops the block; we say where
    p.write_text("WEBVTT\n\n00:00:0x.000 --> 00:00:01.000\ntext\n")
    with pytest.raises(FormatError) as nothing:  # and a file of nothing but such blocks fails
        read_subtitles(p)
    assert nothing.value.line == 3 and nothing.value.path == str(p)
    p.write_text("not webvtt\n")
    with pytest.raises(FormatError) as exc:
        read_subtitles(p)
    assert exc.value.path == str(p) and exc.value.line == 1
    with pytest.raises(SubpipeError, match="no such file"):
        read_subtitles(tmp_path / "missing.srt")
    with pytest.raises(FormatError, match="cannot tell the subtitle format"):
        read_subtitles(tmp_path / "x.doc")
    (tmp_path / "t.txt").write_text("words\n")
    with pytest.raises(FormatError, match="cannot be read back"):
        read_subtitles(tmp_path / "t.txt")
