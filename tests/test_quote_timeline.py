"""Issue 29: quote selects on an editor's timeline. `quotes export --format edl|fcpxml|otio` on an index of real
human-timed speech (the AMI meeting's corpus segments with their speakers, TIMIT's LDC93S1 words), read back
by OpenTimelineIO's own readers: one clip per hit at the hit's in/out (plus handles) within a frame, record
times contiguous from 01:00:00:00, the media and the quote on each clip."""

from __future__ import annotations

import json

import opentimelineio as otio
import pytest
from click.testing import CliRunner

from subpipe.api import SearchFilters
from subpipe.api import quotes_timeline as export
from subpipe.cli.app import cli
from subpipe.model import Transcript, Utterance, Word, seconds_to_ms
from subpipe.quotes import index as q
from subpipe.timecode import FrameRate, ms_to_frames

from conftest import shared

QUERY = "everybody OR abbie OR powerpoint OR year"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    db = tmp_path_factory.mktemp("timeline") / "quotes.db"
    con = q.connect(db)
    utts, words = [], []
    for seg in json.loads(shared("ami_meeting/ES2011a_corpus_segments_35-50s.json").read_text(encoding="utf-8")):
        toks = seg["text"].lower().split()
        a, b = seconds_to_ms(seg["start"]), seconds_to_ms(seg["start"] + seg["duration"])
        step = (b - a) // len(toks)
        ws = tuple(Word(t, a + i * step, b if i == len(toks) - 1 else a + (i + 1) * step, speaker=seg["speaker"])
                   for i, t in enumerate(toks))
        utts.append(Utterance(ws, "en", seg["speaker"]))
        words += ws
    q.add_transcript(con, Transcript(tuple(words), "en", 60_000, tuple(utts)), media_id="a" * 64,
                     path="/media/ES2011a.Headset-0.wav", title="ES2011a meeting", fps="25", duration_ms=60_000)
    timit = json.loads(shared("human_word_alignments/LDC93S1.words.json").read_text(encoding="utf-8"))
    tw = tuple(Word(w["word"], seconds_to_ms(w["start"]), seconds_to_ms(w["end"])) for w in timit)
    q.add_transcript(con, Transcript(tw, "en", 3_000, (Utterance(tw, "en"),)), media_id="b" * 64,
                     path="/media/LDC93S1.wav", title="LDC93S1", fps="25", duration_ms=2_950)
    hits = q.search(con, QUERY, raw=True, limit=50)
    con.close()
    assert len(hits) == 4 and len({h.media_id for h in hits}) == 2
    return db, hits


def _clips(path, fmt):
    tl = otio.adapters.read_from_file(str(path), rate=25) if fmt == "edl" else otio.adapters.read_from_file(str(path))
    if isinstance(tl, otio.schema.SerializableCollection):  # FCPXML: a library of one project
        tl = next(iter(tl.find_children(descended_from_type=otio.schema.Timeline))) if hasattr(
            tl, "find_children") else tl[0]
    return tl, list(tl.video_tracks()[0].find_clips())


@pytest.mark.parametrize("fmt", ["edl", "fcpxml", "otio"])
def test_each_format_reads_back_one_clip_per_hit_at_its_in_and_out(index, tmp_path, fmt):
    db, hits = index
    out = tmp_path / f"selects.{fmt}"
    res = export(QUERY, output=out, format=fmt, handles_ms=1000, db=db, filters=SearchFilters(raw=True))
    fr = FrameRate.parse("25")
    tl, clips = _clips(out, fmt)
    assert len(clips) == len(hits)
    record = 3600 * 25  # 01:00:00:00
    if fmt == "edl":  # the CMX reader gives the record start as the track's negative source start
        start = -tl.video_tracks()[0].source_range.start_time.to_frames()
    elif fmt == "fcpxml":  # the adapter reads no start time: the sequence's tcStart says it
        assert 'tcStart="3600s"' in out.read_text(encoding="utf-8")
        start = 3600 * 25
    else:
        start = tl.global_start_time.to_frames()
    for h, c in zip(hits, clips, strict=True):
        src_in = ms_to_frames(max(0, h.start_ms - 1000), fr)
        src_out = ms_to_frames(min(h.end_ms + 1000, 60_000 if h.media_id[0] == "a" else 2_950), fr)
        rng = c.source_range
        assert abs(rng.start_time.to_frames() - src_in) <= 1, fmt
        assert abs(rng.end_time_exclusive().to_frames() - src_out) <= 1, fmt
        assert abs(start + c.range_in_parent().start_time.to_frames() - record) <= 1, fmt  # contiguous
        record += rng.duration.to_frames()
        if fmt != "edl":
            assert c.media_reference.target_url.endswith(h.media_path.rsplit("/", 1)[1])
        if fmt == "otio":
            m = c.markers[0]
            assert m.name.startswith(f"{h.speaker}: " if h.speaker else h.text[:10])
            assert abs(m.marked_range.start_time.to_frames() - ms_to_frames(h.start_ms, fr)) <= 1
    if fmt == "edl":
        text = out.read_text(encoding="utf-8")
        assert "FCM: NON-DROP FRAME" in text and text.count("* FROM CLIP NAME:") == len(hits)
        assert "ES2011AH" in text and "LDC93S1" in text  # reels from the media file names
        assert "FEE041: WELCOME EVERYBODY" in text  # the quote and its speaker as a locator (the adapter
        # writes locators in capitals)
        assert text.count("AA/V  C") == len(hits)  # picture and sound
    # the LDC93S1 clip's tail handle stops at the end of its media, and says so
    assert any("cut short" in n for n in res.notes)


def test_cli_export_to_stdout_and_file(index, tmp_path):
    db, hits = index
    res = CliRunner().invoke(cli, ["quotes", "export", "abbie", "--format", "edl", "--db", str(db),
                                   "--handles", "500ms", "--fps", "25"])
    assert res.exit_code == 0, res.output
    assert "001  ES2011AH" in res.output and "01:00:00:00" in res.output
    out = tmp_path / "s.otio"
    res = CliRunner().invoke(cli, ["quotes", "export", "--ids", ",".join(h.id for h in hits), "-o", str(out),
                                   "--db", str(db)])
    assert res.exit_code == 0, res.output
    back = otio.adapters.read_from_file(str(out))
    assert [len(t) for t in back.tracks] == [len(hits), len(hits)]  # picture and sound
    res = CliRunner().invoke(cli, ["quotes", "export", "abbie", "--db", str(db)])
    assert res.exit_code == 2 and "-o" in res.output


def test_drop_frame_edl_starts_at_one_hour_and_keeps_the_frames(index, tmp_path):
    db, hits = index
    out = tmp_path / "df.edl"
    res = export(QUERY, output=out, fps="29.97df", db=db, filters=SearchFilters(raw=True))
    text = out.read_text(encoding="utf-8")
    assert "FCM: DROP FRAME" in text and " 01:00:00;00 " in text
    tl = otio.adapters.read_from_file(str(out), rate=30000 / 1001)
    assert [c.source_range.start_time.to_frames() for c in tl.video_tracks()[0].find_clips()] == \
        [s.src_in for s in res.selects]


def test_the_web_page_exports_selects(index, tmp_path):
    from conftest import needs

    needs("starlette", "the 'web' extra is not installed")
    from starlette.testclient import TestClient

    from subpipe.quotes.web import create_app

    db, hits = index
    client = TestClient(create_app(db, tmp_path), base_url="http://localhost")
    page = client.get("/", params={"q": "abbie"}).text
    assert "export selects" in page and "format=fcpxml" in page
    res = client.get("/export", params={"q": QUERY, "raw": "1", "format": "otio"})
    assert res.status_code == 200 and 'filename="selects.otio"' in res.headers["content-disposition"]
    tl = otio.adapters.read_from_string(res.text, "otio_json")
    clips = list(tl.video_tracks()[0].find_clips())
    assert len(clips) == len(hits)
    fr = FrameRate.parse("25")
    assert all(abs(c.source_range.start_time.to_frames() - ms_to_frames(max(0, h.start_ms - 1000), fr)) <= 1
               for h, c in zip(hits, clips, strict=True))  # 1 s handles
