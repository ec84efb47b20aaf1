"""SCC's first caption and the programme start timecode (issue 27, item 3).

Speech that starts within a caption's load time of 0 s cannot be on time in SCC written from 00:00:00;00:
the caption's bytes need a frame per byte pair before its End Of Caption. Broadcast masters start the
programme at 01:00:00;00 (with pre-roll before it), so ``--start-tc`` writes media time 0 there and the first
caption loads in the pre-roll. Real speech: TIMIT's LDC93S1 with its human word boundaries (speech at 0.19 s).
Read back with independent readers: ttconv's SCC reader and pycaption's."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.formats import scc
from subpipe.model import Transcript, Word
from subpipe.subtitling.cues import make_cues
from subpipe.subtitling.profiles import get_profile

from conftest import SHARED_DATA

FRAME_S = 1001 / 30000
TC_1H_S = 107892 * 1001 / 30000  # 01:00:00;00 drop-frame: 107,892 frames of 1001/30000 s


@pytest.fixture(scope="module")
def timit():
    p = SHARED_DATA / "human_word_alignments" / "LDC93S1.words.json"
    if not p.exists():
        pytest.skip("shared human_word_alignments missing")
    ws = json.loads(p.read_text(encoding="utf-8"))
    words = tuple(Word(w["word"], round(w["start"] * 1000), round(w["end"] * 1000), 1.0, i > 0)
                  for i, w in enumerate(ws))
    track = make_cues(Transcript(words, "en", 3000), get_profile("netflix-en", "29.97df"))
    return words, track


def ttconv_captions(text: str) -> list[tuple[float, float, str]]:
    """(begin s, end s, words) of each caption as ttconv's SCC reader reads the file."""
    import ttconv.model as tm
    import ttconv.scc.reader as reader

    doc = reader.to_model(text)
    out = []

    def texts(el) -> list[str]:
        if isinstance(el, tm.Text):
            return [el.get_text()]
        if isinstance(el, tm.Br):
            return [" "]
        return [t for c in el for t in texts(c)]

    def walk(el, offset: Fraction) -> None:
        begin = offset + (el.get_begin() or 0)
        if isinstance(el, tm.P):
            end = begin + el.get_end() - (el.get_begin() or 0) if el.get_end() is not None else None
            out.append((float(begin), float(end) if end is not None else None, " ".join("".join(texts(el)).split())))
            return
        for c in el:
            walk(c, begin)

    walk(doc.get_body(), Fraction(0))
    return out


def test_first_caption_is_late_from_zero_and_says_why(timit):
    words, track = timit
    text, notes = scc.write(track)
    caps = ttconv_captions(text)
    speech = words[0].start_ms / 1000
    assert caps[0][0] - speech > 0.5  # the load delays it: ~1 s late on this clip
    first = [n for n in notes if n.startswith("cue 1 is shown")]
    assert first and "--start-tc 01:00:00;00" in first[0]


@pytest.mark.parametrize("tc", ["01:00:00;00", "00:59:58;00"])
def test_start_tc_loads_the_first_caption_in_the_pre_roll(timit, tc):
    words, track = timit
    text, notes = scc.write(track, start_tc=tc)
    first_line = text.split("\n\n")[1]
    assert first_line < tc  # the first bytes are sent before the programme start
    caps = ttconv_captions(text)
    base = Fraction(scc.start_frame(tc, scc.scc_frame_rate(track, None)) * 1001, 30000)
    assert caps[0][2] == " ".join(w.text for w in words)  # every word, in one caption
    assert abs(caps[0][0] - float(base) - track.cues[0].start_ms / 1000) <= FRAME_S  # on time, to the frame
    assert abs(caps[0][0] - float(base) - words[0].start_ms / 1000) <= 2 * FRAME_S
    assert not [n for n in notes if "late" in n]
    assert any("pre-roll" in n for n in notes)
    # read back by pycaption too, and by subpipe with the same start timecode
    from pycaption import SCCReader

    pc = SCCReader().read(text).get_captions("en-US")
    assert abs(pc[0].start / 1e6 - float(base) - track.cues[0].start_ms / 1000) <= 2 * FRAME_S
    back = scc.loads(text, start_tc=tc)
    assert abs(back.cues[0].start_ms - track.cues[0].start_ms) <= 34


def test_cli_start_tc_on_subtitles_and_convert(timit, tmp_path):
    words, track = timit
    tj = tmp_path / "t.transcript.json"
    from subpipe.formats import transcript_json

    tj.write_text(transcript_json.dumps(Transcript(words, "en", 3000)), encoding="utf-8")
    out = tmp_path / "a.scc"
    res = CliRunner().invoke(cli, ["subtitles", str(tj), "-o", str(out), "--fps", "29.97df",
                                   "--start-tc", "01:00:00;00"])
    assert res.exit_code == 0, res.output
    assert ttconv_captions(out.read_text())[0][0] > TC_1H_S
    srt = tmp_path / "a.srt"
    srt.write_text("1\n00:00:00,200 --> 00:00:02,900\nshe had your dark suit\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["convert", str(srt), "-o", str(tmp_path / "b.scc"), "--start-tc", "01:00:00;00"])
    assert res.exit_code == 0, res.output
    assert abs(ttconv_captions((tmp_path / "b.scc").read_text())[0][0] - TC_1H_S - 0.2) <= FRAME_S
    res = CliRunner().invoke(cli, ["convert", str(srt), "-o", str(tmp_path / "b.vtt"), "--start-tc", "01:00:00;00"])
    assert res.exit_code != 0 and "SCC" in res.output


def test_run_takes_start_tc_only_with_scc(tmp_path):
    from conftest import ROOT

    res = CliRunner().invoke(cli, ["run", str(ROOT / "media" / "sample_trailer.mp4"), "-o", str(tmp_path),
                                   "--start-tc", "01:00:00;00"])
    assert res.exit_code == 2 and "--format scc" in res.output
    assert not list(tmp_path.iterdir())
