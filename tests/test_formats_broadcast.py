"""Issue 29: EBU-STL, iTT and ASS/SSA written by subpipe and read by independent readers: ttconv's own STL
and IMSC readers (not our mapping of their model), ffmpeg's ASS decoder. Every cue, the same words, each
time within a frame; on the real subtitle files of ../shared/data/subtitles_wild (SRT, WebVTT, TTML from
other projects' test suites)."""

from __future__ import annotations

import io
import re
import subprocess
import xml.etree.ElementTree as et
from fractions import Fraction
from pathlib import Path

import pytest
import srt as srt_lib
import ttconv.model as tmodel
from ttconv.imsc.reader import to_model as imsc_to_model
from ttconv.stl.reader import to_model as stl_to_model

from subpipe.errors import FormatError
from subpipe.formats import ass, itt, read_subtitles, ssa, stl, write_subtitles
from subpipe.formats.markup import styled_lines
from subpipe.model import Cue, CueTrack, Placement, Span


def _sources(wild: Path) -> list[tuple[str, CueTrack]]:
    out = []
    for p in sorted(wild.rglob("*")):
        if p.suffix.lower() not in (".srt", ".vtt", ".ttml", ".dfxp") or not p.is_file():
            continue
        try:
            t = read_subtitles(p)
        except FormatError:
            continue  # non-UTF-8 and invalid files: the wild-corpus test covers them
        if t.cues:
            out.append((p.name, t))
    return out


@pytest.fixture(scope="module")
def sources(wild_corpus):
    found = _sources(wild_corpus)
    assert len(found) >= 30
    return found


def _shown(cues) -> list[tuple[int, int, list[str]]]:
    """What a viewer should see: each cue's non-blank rows, its words."""
    out = []
    for c in cues:
        rows = ["".join(s.text for s in r) for r in styled_lines(c)]
        words = " ".join(rows).split()
        if words:
            out.append((c.start_ms, c.end_ms, words))
    return out


def _ttconv_paragraphs(doc) -> list[tuple[Fraction, Fraction, list[str]]]:
    """Each ttconv ``p``: its begin, end and words (text runs, ``br`` as a gap)."""
    def text(el) -> str:
        if isinstance(el, tmodel.Text):
            return el.get_text()
        if isinstance(el, tmodel.Br):
            return " "
        return "".join(text(c) for c in el)

    def ps(el, begin):
        for c in el:
            b = begin + (c.get_begin() or 0)
            if isinstance(c, tmodel.P):
                yield b, begin + c.get_end(), text(c).split()
            elif isinstance(c, tmodel.Div):
                yield from ps(c, b)

    return list(ps(doc.get_body(), Fraction(0)))


def _assert_same(name: str, want, got, frame_ms: float) -> None:
    assert len(got) == len(want), f"{name}: {len(got)} cues read, {len(want)} written"
    for (a, b, words), (ga, gb, gwords) in zip(want, got, strict=True):
        assert gwords == words, name
        assert abs(ga - a) <= frame_ms and abs(gb - b) <= frame_ms, (name, a, b, ga, gb)


def test_ttconv_reads_our_stl_every_cue_same_words_within_a_frame(sources):
    checked = 0
    for name, track in sources:
        data, notes = stl.write(track, fps="25")
        if any("cannot hold" in n or "after the 11th" in n for n in notes):
            continue  # characters outside every STL table (CJK) or over 11 rows at once: replaced/dropped, noted
        doc = stl_to_model(io.BytesIO(data))
        got = [(float(a) * 1000, float(b) * 1000, w) for a, b, w in _ttconv_paragraphs(doc)]
        _assert_same(name, _shown(stl.subtitles(track, stl.FrameRate.parse("25"))), got, 40)
        checked += 1
    assert checked >= 30


def test_ttconv_reads_our_itt_every_cue_same_words_within_a_frame(sources):
    for name, track in sources:
        text, _ = itt.write(track, fps="23.976")
        root = et.fromstring(text.encode("utf-8"))
        assert root.get("{http://www.w3.org/ns/ttml#parameter}timeBase") == "smpte"
        doc = imsc_to_model(et.ElementTree(root))
        got = [(float(a) * 1000, float(b) * 1000, w) for a, b, w in _ttconv_paragraphs(doc)]
        frame = 1000 / 23.976  # a cue shorter than a frame is written one frame long (with a note)
        _assert_same(name, [(a, max(b, a + frame), w) for a, b, w in _shown(track.cues)], got, frame)
        assert re.search(r'begin="\d\d:\d\d:\d\d:\d\d"', text)


def test_ffmpeg_reads_our_ass_every_cue_same_words_within_a_frame(sources, ffmpeg, tmp_path):
    tag = re.compile(r"</?(?:i|b|u|s|font)\b[^>]*>|\{\\[^}]*\}")  # what ffmpeg's SRT encoder writes
    for k, (name, track) in enumerate(sources):
        text, _ = ass.write(track)
        path = tmp_path / f"{k}.ass"
        path.write_text(text, encoding="utf-8")
        res = subprocess.run([ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "srt",
                              "-"], capture_output=True, check=True)
        subs = list(srt_lib.parse(res.stdout.decode("utf-8")))
        got = [(s.start.total_seconds() * 1000, s.end.total_seconds() * 1000,
                # braces and backslashes as the writer's note says it writes them
                tag.sub("", s.content).replace("\u2060", "").replace("｛", "{").replace("｝", "}").split())
               for s in subs]
        want = _shown(track.cues)
        assert len(got) == len(want), name
        # ffmpeg orders events that start together by its own rule: match each cue by its words and times
        free: dict[tuple[str, ...], list[tuple[float, float]]] = {}
        for a, b, w in got:
            free.setdefault(tuple(w), []).append((a, b))
        for a, b, w in want:
            a, b = min(a, ass.MAX_MS), min(b, ass.MAX_MS)  # ASS ends at 9:59:59.99 (noted)
            times = free.get(tuple(w), [])
            hit = next((t for t in times if abs(t[0] - a) <= 10 and abs(t[1] - b) <= 10), None)
            assert hit is not None, (name, a, b, w)
            times.remove(hit)


def test_ass_keeps_styling_placement_and_speaker():
    runs = ((Span("Hello ", italic=True, voice="Ann"), Span("there", bold=True, color="yellow", voice="Ann")),
            (Span("second", underline=True, voice="Ann"),))
    cue = Cue(1000, 2500, ("Hello there", "second"), spans=runs, placement=Placement("top", "left"))
    track = CueTrack.of([cue, Cue(3000, 4000, ("{braces} \\N",))])
    text, notes = ass.write(track)
    assert "{\\an7}{\\i1}Hello {\\i0\\b1\\c&H00FFFF&}there\\N{\\b0\\u1\\c}second" in text
    assert ",Ann," in text
    back = ass.loads(text)
    assert back.cues[0].spans == runs and back.cues[0].placement == Placement("top", "left")
    assert back.cues[1].lines[0].replace("\u2060", "") == "｛braces｝ \\N"
    assert any("braces" in n for n in notes)
    # SSA v4: the same cues, legacy alignment codes
    stext, _ = ssa.write(track)
    assert "[V4 Styles]" in stext and "{\\a5}" in stext
    assert ssa.loads(stext).cues[0].placement == Placement("top", "left")


def test_ass_reader_notes_what_the_model_cannot_hold(wild_corpus):
    fonts = read_subtitles(wild_corpus / "tkarabela__pysubs2" / "subtitle_with_attached_fonts_aegisub.ass")
    assert [c.lines for c in fonts.cues] == [("Test subtitle.",)]
    notes = " ".join(m for _, m in fonts.metadata["reader_notes"])
    assert "EBGaramond08-Regular_0.ttf" in notes
    # the attached fonts travel to an ASS output and nowhere else
    text, _ = write_subtitles(fonts, "ass")
    assert "[Fonts]" in text and "EBGaramond08-Italic_0.ttf" in text
    _, snotes = write_subtitles(fonts, "ssa")
    assert any("attached" in n for n in snotes)
    src = ("[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, "
           "SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
           "Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\nStyle: Sign,Arial,20,"
           "&H0000FFFF,&H000000FF,&H00000000,&H00000000,0,-1,0,0,100,100,0,0,1,2,2,8,10,10,10,1\n\n[Events]\n"
           "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
           "Dialogue: 0,0:00:01.00,0:00:02.00,Sign,,0,0,0,,{\\fad(200,200)\\pos(10,10)}Sign {\\i0\\c&HFFFFFF&}text\n"
           "Comment: 0,0:00:01.00,0:00:02.00,Sign,,0,0,0,,not shown\n"
           "Dialogue: 0,0:00:03.00,0:00:04.00,Sign,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100{\\p0}\n")
    t = ass.loads(src)
    assert [c.lines for c in t.cues] == [("Sign text",)]
    assert t.cues[0].spans[0] == (Span("Sign ", italic=True, color="yellow"), Span("text"))
    assert t.cues[0].placement == Placement("top", "center")
    notes = " ".join(m for _, m in t.metadata["reader_notes"])
    for what in ("fad", "pos", "Comment", "drawings"):
        assert what in notes


def test_stl_header_and_blocks(sources):
    name, track = next((n, t) for n, t in sources if n == "netflix_chicas_del_cable.vtt")
    data, notes = stl.write(CueTrack(track.cues, "es", {}), fps="25")
    assert data[:16] == b"850STL25.01100" + b"0A"  # code page, frame rate, teletext, ISO 6937, Spanish
    assert (len(data) - 1024) % 128 == 0
    assert int(data[238:243]) == (len(data) - 1024) // 128  # TNB: every TTI block
    back = stl.loadb(data)
    assert back.language == "es"
    # italics travel as TF codes 80h/81h; placement as vertical position
    assert sum(1 for c in back.cues for r in c.spans for s in r if s.italic) > 100
    assert any(c.placement is not None and c.placement.vertical == "top" for c in back.cues)
    assert "ñ" in "".join(c.text for c in back.cues) or "á" in "".join(c.text for c in back.cues)
    # 29.97: ttconv reads STL30.01 as drop-frame timecode, which is what is written
    d30, _ = stl.write(track, fps="29.97")
    assert d30[3:11] == b"STL30.01"
    b30 = stl.loadb(d30)
    assert all(abs(a.start_ms - b.start_ms) <= 34 for a, b in zip(stl.subtitles(track, stl.FrameRate.parse("29.97")),
                                                                    b30.cues, strict=True))


def test_stl_extension_blocks_overlaps_and_characters():
    long = "x" * 60
    track = CueTrack.of([Cue(1000, 2000, (long, long, long)), Cue(1500, 3000, ("Zoë & Łukasz",)),
                         Cue(5000, 6000, ("Привет мир",))])
    data, notes = stl.write(track)
    ebns = [data[1024 + i * 128 + 3] for i in range((len(data) - 1024) // 128)]
    assert 0 in ebns and ebns.count(0xFF) == 4  # the long cue spans extension blocks; 4 screen states
    assert any("overlapping" in n for n in notes) and any("36 visible columns" in n for n in notes)
    assert data[12:14] == b"01"  # Cyrillic: the one table that holds every character
    assert any("cannot hold" in n for n in notes)  # ë and Ł are not in ISO 8859-5
    latin, _ = stl.write(CueTrack.of([Cue(0, 1000, ("Zoë Łukasz çà ß",))]))
    assert latin[12:14] == b"00" and stl.loadb(latin).cues[0].lines == ("Zoë Łukasz çà ß",)


def test_itt_header_regions_and_styles():
    runs = ((Span("Hi ", italic=True), Span("you", color="yellow")),)
    track = CueTrack.of([Cue(1000, 2000, ("Hi you",), spans=runs, placement=Placement("top", "right")),
                         Cue(3000, 3010, ("short",), placement=Placement("middle"))], language="fr")
    text, notes = itt.write(track, fps="29.97df")
    assert 'ttp:frameRate="30"' in text and 'ttp:frameRateMultiplier="1000 1001"' in text
    assert 'ttp:dropMode="dropNTSC"' in text and 'xml:lang="fr"' in text
    assert 'region="top"' in text and 'tts:textAlign="right"' in text
    assert '<span tts:fontStyle="italic">Hi </span>' in text
    assert any("middle" in n for n in notes) and any("one frame" in n for n in notes)
    back = read_subtitles_text(text)
    assert back.cues[0].spans == runs and back.cues[0].placement == Placement("top", "right")


def read_subtitles_text(text: str) -> CueTrack:
    return itt.loads(text)


def test_run_writes_the_formats_asked_for(tmp_path, ffmpeg):
    from click.testing import CliRunner

    from subpipe.cli.app import cli

    from conftest import run_ffmpeg

    silence = tmp_path / "quiet.wav"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "2", str(silence))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", str(silence), "-o", str(out), "-m", "tiny.en", "--no-index",
                                   "--format", "stl,itt", "--format", ".ass"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (out / "quiet").iterdir() if not p.name.endswith(".json")) == \
        ["quiet.ass", "quiet.itt", "quiet.stl"]
    assert (out / "quiet" / "quiet.stl").read_bytes()[3:11] == b"STL24.01"  # the profile's frame rate
    assert len(read_subtitles(out / "quiet" / "quiet.stl")) == 0
    bad = CliRunner().invoke(cli, ["run", str(silence), "-o", str(out), "--format", "docx"])
    assert bad.exit_code == 2 and "--format" in bad.output


def test_damaged_ass_and_stl_read_with_notes_or_fail_clearly(wild_corpus):
    src = (wild_corpus / "tkarabela__pysubs2" / "ttml_example.ass").read_text(encoding="utf-8-sig")
    damaged = src.replace("Dialogue: 0,", "Dialogue: x,", 1)
    t = ass.loads(damaged)  # pysubs2 warns and takes the default layer: a note, not a warning
    assert len(t.cues) == 11 and any("layer" in m for _, m in t.metadata["reader_notes"])
    with pytest.raises(FormatError):
        ass.loads("just some words\n")
    data = (wild_corpus / "sandflow__ttconv_stl" / "vp20_2_newlines.stl").read_bytes()
    with pytest.raises(FormatError):
        stl.loadb(data[:500])  # no whole GSI block
    cut = stl.loadb(data[:-50])  # a partial TTI block at the end
    assert any("partial TTI block" in m for _, m in cut.metadata["reader_notes"])


def test_stl_retimed_to_another_rate_says_the_new_rate(wild_corpus, tmp_path):
    from subpipe import api

    src = wild_corpus / "sandflow__ttconv_stl" / "vp20_2_newlines.stl"
    out = tmp_path / "sped.stl"
    api.retime(src, out, from_fps="25", to_fps="23.976")
    assert out.read_bytes()[3:11] == b"STL23.01"
    a, b = read_subtitles(src).cues[0], read_subtitles(out).cues[0]
    assert abs(b.end_ms - round(a.end_ms * 25 / (24000 / 1001))) <= 42 and b.lines == a.lines
