"""`fix` and `check --json` at scale (issue 27, item 5): the work grows linearly with the cues, overlaps are
closed or explained, and the streamed JSON caps repeated violations with a count. No wall-clock here: the
times are in bench/bench_fix.py (bench/results/fix.md)."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.formats import read_subtitles
from subpipe.model import Cue, CueTrack
from subpipe.subtitling import qc
from subpipe.subtitling.profiles import get_profile
from subpipe.subtitling.qcstream import write_report_json

from conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[1]
PROF = get_profile("netflix-en", "24")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_fix", ROOT / "bench" / "bench_fix.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """Real film subtitles (pycaption's example.srt) tiled to 1,000 and 4,000 cues, every 37th overlapping."""
    if not (SHARED_DATA / _bench().SOURCE).exists():
        pytest.skip("shared subtitles_wild data missing")
    d = tmp_path_factory.mktemp("big")
    out = {}
    for n in (1000, 4000):
        p = d / f"in{n}.srt"
        p.write_text(_bench().make_srt(n, SHARED_DATA), encoding="utf-8")
        out[n] = p
    return out


def test_fix_checks_a_bounded_number_of_cues_per_cue(big, monkeypatch):
    """fix re-checks the track block by block: the cues checked per input cue do not grow with the input
    (a whole-track check per block, or a scan of every later cue per block, would)."""
    seen = {"cues": 0}
    real = qc._check

    def counting(track, prof, *a, **k):
        seen["cues"] += len(track.cues)
        return real(track, prof, *a, **k)

    monkeypatch.setattr(qc, "_check", counting)
    per_cue = {}
    for n, path in big.items():
        seen["cues"] = 0
        qc.fix_track(read_subtitles(path), PROF)
        per_cue[n] = seen["cues"] / n
    assert per_cue[4000] < 10
    assert per_cue[4000] < per_cue[1000] * 1.2


def test_fix_leaves_no_overlap_on_an_overlapping_input(big):
    track = read_subtitles(big[4000])
    before = qc.check_track(track, PROF).summary().get("overlap", 0)
    assert before >= 100
    res = qc.fix_track(track, PROF)
    assert res.after.summary().get("overlap", 0) == 0
    assert len(res.after.errors) < len(res.before.errors)
    words = lambda t: " ".join(" ".join(c.lines) for c in t.cues).split()  # noqa: E731
    assert words(res.track) == words(qc.merge_concurrent(track, PROF)[0])


def test_overlaps_are_closed_merged_or_explained():
    from subpipe.subtitling.overlaps import close_overlaps

    two = ("Two lines here,", "and a second.")
    cues = [Cue(0, 2000, ("One.",)), Cue(1500, 4000, ("Two.",)),  # the first can end sooner
            Cue(4200, 5100, ("Three.",)), Cue(5000, 7000, ("Four.",)),  # the second can start later
            Cue(8000, 8500, ("Five.",)), Cue(8125, 8600, ("Six.",)),  # no room for two cues: lines fit in one
            Cue(10000, 10500, two), Cue(10125, 10600, two)]  # no room, and four lines do not fit
    out, notes = close_overlaps(cues, PROF)
    rep = qc.check_track(CueTrack(tuple(out)), PROF)
    assert [c.lines for c in out] == [c.lines for c in cues[:4]] + [("Five.", "Six."), two, two]
    assert notes[0] == "cues 5 and 6 overlapped with no room for both at the minimum duration: merged into one cue"
    assert [v.cue for v in rep.violations if v.rule == "overlap"] == [7]
    assert len(notes) == 2 and notes[1].startswith("cue 7 still overlaps cue 6 by 375 ms")
    assert "neither can give way" in notes[1] and "together they last 600 ms" in notes[1]
    assert not [v for v in rep.violations if v.cue <= 4 and v.rule in ("overlap", "min_gap", "min_duration")]


def test_check_json_streams_and_caps_each_rule(big):
    track = read_subtitles(big[4000])
    full = qc.check_track(track, PROF)
    buf = io.StringIO()
    ok = write_report_json(buf, track, PROF, head={"file": "x"}, max_per_rule=5)
    data = json.loads(buf.getvalue())
    assert ok is False and data["ok"] is False
    assert data["summary"] == full.summary()
    listed: dict[str, int] = {}
    for v in data["violations"]:
        listed[v["rule"]] = listed.get(v["rule"], 0) + 1
    assert max(listed.values()) <= 5
    for rule, n in full.summary().items():
        assert listed.get(rule, 0) + data["omitted"].get(rule, 0) == n
    assert data["passed"] == full.passed and data["failed"] == len(full.failed_cues)
    assert data["compliance"] == round(full.compliance, 4)
    assert any("counted, not listed" in n for n in data["notes"])
    # uncapped: the same violations as the held report, in order
    buf = io.StringIO()
    write_report_json(buf, track, PROF, max_per_rule=0)
    assert json.loads(buf.getvalue())["violations"] == [v.to_dict(PROF.fps) for v in full.violations]


def test_cli_check_json_max_per_rule(big):
    res = CliRunner().invoke(cli, ["check", str(big[1000]), "--json", "--fps", "24", "--max-per-rule", "3"])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["max_per_rule"] == 3 and data["omitted"]
    assert len(data["violations"]) <= 3 * len(data["summary"])
