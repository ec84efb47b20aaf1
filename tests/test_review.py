"""Review and correct (issue 28), the library: ``subpipe.apply_edits`` on JFK (tiny.en), every output following."""

from __future__ import annotations

import json
import shutil

import pytest

import subpipe
from subpipe.editor import edits as ed
from subpipe.editor.session import Session, StaleSaveError
from subpipe.errors import UsageError
from subpipe.formats import srt
from subpipe.quotes import index as q
from subpipe.subtitling.profiles import get_profile

from conftest import shared


@pytest.fixture(scope="module")
def jfk_dir(tmp_path_factory):
    """A folder as a job leaves it: jfk.flac, its transcript (tiny.en), SRT + WebVTT beside it, a quote index."""
    base = tmp_path_factory.mktemp("review")
    media = base / "jfk.flac"
    shutil.copy(shared("jfk/jfk.flac"), media)
    t = subpipe.transcribe(media, options=subpipe.TranscribeOptions(model="tiny.en"), output=base / "jfk.json")
    subpipe.subtitles(base / "jfk.json", outputs=[base / "jfk.srt", base / "jfk.vtt"])
    subpipe.quotes_add([base / "jfk.json"], db=base / "quotes.db", media=media)
    return base, t


def _words(path):
    return json.loads(path.read_text())["words"]


def test_martians_through_apply_edits(jfk_dir):
    base, t = jfk_dir
    tj = base / "jfk.json"
    session = Session(tj, db=base / "quotes.db", model="tiny.en")
    first = session.state()["cues"][0]
    assert "Americans" in first["text"]
    old = next(w for w in _words(tj) if w["text"].startswith("Americans"))
    res = subpipe.apply_edits(tj, [{"op": "text", "cue": 1, "text": first["text"].replace("Americans", "Martians")}],
                              db=base / "quotes.db", model="tiny.en", sha256=session.sha256)
    assert res.retimed_cues == (1,)
    # the new word, timed by the aligner where the old one was spoken
    new = next(w for w in _words(tj) if w["text"].startswith("Martians"))
    assert abs(new["start_ms"] - old["start_ms"]) <= 300 and abs(new["end_ms"] - old["end_ms"]) <= 300
    assert new["probability"] == 1.0  # a person typed it
    assert not any(w["text"].startswith("Americans") for w in _words(tj))
    # the edit log keeps the old word (before, after, when)
    entry = json.loads(tj.read_text())["provenance"]["review"]["edits"][-1]
    assert entry["op"] == "text" and entry["cue"] == 1 and entry["at"]
    assert "Americans" in entry["before"]["text"] and "Martians" in entry["after"]["text"]
    assert any(w["text"].startswith("Americans") for w in entry["before"]["words"])
    # the SRT and the WebVTT beside it regenerated
    assert set(res.regenerated) == {"jfk.srt", "jfk.vtt"}
    cues = srt.loads((base / "jfk.srt").read_text()).cues
    assert "Martians" in cues[0].text and "Americans" not in (base / "jfk.srt").read_text()
    assert "Martians" in (base / "jfk.vtt").read_text()
    # the quote index finds the new word and no longer the old one
    con = q.connect(base / "quotes.db", readonly=True)
    try:
        assert q.search(con, "Martians")
        assert not q.search(con, "fellow Americans")
    finally:
        con.close()
    # a save from the page as it was before (the old hash) is refused, nothing written
    before = tj.read_bytes()
    with pytest.raises(StaleSaveError, match="changed on disk"):
        session.save([{"op": "text", "cue": 1, "text": "stale words"}], session.sha256)
    assert tj.read_bytes() == before


def test_revert_gives_the_old_word_back(jfk_dir):
    base, _ = jfk_dir
    t = subpipe.formats.transcript_json.load(base / "jfk.json")
    log = t.provenance["review"]["edits"]
    undo = ed.revert_edit(t, len(log) - 1)
    back = subpipe.apply_edits(t, undo).transcript
    assert "Americans" in back.text and "Martians" not in back.text
    assert back.provenance["review"]["edits"][-1]["op"] == "restore"


def test_split_merge_times_speaker_on_a_transcript(jfk_dir):
    _, t = jfk_dir
    prof = get_profile("netflix-en")
    n0 = len(ed.breaks_of(t, prof))
    first = ed.ranges(ed.breaks_of(t, prof), len(t.words))[0]
    res = subpipe.apply_edits(t, [{"op": "split", "cue": 1, "word": 2},
                                  {"op": "speaker", "cue": 1, "speaker": "JFK"},
                                  {"op": "in", "cue": 2, "ms": t.words[2].start_ms - 40},
                                  {"op": "out", "cue": 1, "ms": 10**7}])
    out = res.transcript
    breaks = out.provenance["review"]["breaks"]
    assert len(breaks) == n0 + 1 and breaks[1] == first[0] + 2
    assert [w.speaker for w in out.words[:2]] == ["JFK", "JFK"] and out.utterances[0].speaker == "JFK"
    assert out.words[2].start_ms == max(t.words[2].start_ms - 40, t.words[1].end_ms)
    assert out.words[1].end_ms <= out.words[2].start_ms and res.notes  # clamped, and said so
    merged = subpipe.apply_edits(out, [{"op": "merge", "cue": 1}]).transcript
    assert merged.provenance["review"]["breaks"] == ed.breaks_of(t, prof)
    undo = ed.revert_edit(merged, -1)
    assert undo == [{"op": "split", "cue": 1, "word": 2}]
    for bad in ({"op": "merge", "cue": n0 + 1}, {"op": "split", "cue": 1, "word": 0}, {"op": "text", "cue": 1,
                "text": "  "}, {"op": "fly", "cue": 1}, {"op": "text", "cue": 99, "text": "x"}):
        with pytest.raises(UsageError):
            subpipe.apply_edits(out, [bad])
