"""Shot changes from real ffmpeg, and the rules engine on real speech (../shared/data)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from subpipe.audio import media
from subpipe.cli.app import cli
from subpipe.formats import transcript_json
from subpipe.subtitling.cues import make_cues
from subpipe.subtitling.profiles import get_profile
from subpipe.subtitling.qc import check_track

from conftest import run_ffmpeg


@pytest.fixture(scope="session")
def cut_video(tmp_path_factory, ffmpeg):
    """2 s red, 3 s blue, 2 s test pattern at 24 fps, with a tone: cuts at 2 s and 5 s."""
    out = tmp_path_factory.mktemp("shots") / "cuts.mp4"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "color=c=red:s=160x120:r=24:d=2",
               "-f", "lavfi", "-i", "color=c=blue:s=160x120:r=24:d=3",
               "-f", "lavfi", "-i", "testsrc=s=160x120:r=24:d=2",
               "-f", "lavfi", "-i", "sine=f=440:d=7",
               "-filter_complex", "[0][1][2]concat=n=3:v=1:a=0[v]", "-map", "[v]", "-map", "3:a",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out))
    return out


def test_scene_changes_finds_cuts_and_caches(cut_video, tmp_path, monkeypatch):
    cache = tmp_path / "scenes.json"
    cuts = media.scene_changes(cut_video, cache=cache)
    assert [round(c / 1000, 1) for c in cuts] == [2.0, 5.0]
    data = json.loads(cache.read_text())
    assert data["sha256"] and "0.3000" in data["thresholds"]

    def no_ffmpeg(*a, **k):
        raise AssertionError("ffmpeg ran again instead of using the cache")

    monkeypatch.setattr(media, "_run", no_ffmpeg)
    assert media.scene_changes(cut_video, cache=cache) == cuts


def test_scene_changes_audio_only(tmp_path, ffmpeg):
    wav = tmp_path / "tone.wav"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "sine=f=440:d=1", str(wav))
    assert media.scene_changes(wav, cache=tmp_path / "c.json") == ()


def test_check_with_media(cut_video, tmp_path, monkeypatch):
    monkeypatch.setenv("SUBPIPE_CACHE", str(tmp_path / "cache"))
    srt = tmp_path / "a.srt"
    # in-time 5 frames before the cut at 2 s; the last cue runs past the media's 7 s end
    srt.write_text("1\n00:00:01,792 --> 00:00:03,500\nHello there.\n\n"
                   "2\n00:00:06,000 --> 00:00:07,500\nGoodbye now.\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", str(srt), "--media", str(cut_video), "--json"])
    data = json.loads(res.output)
    assert res.exit_code == 1
    assert data["fps"] == "24"
    found = {(v["rule"], v["cue"]) for v in data["violations"]}
    assert found == {("shot_change_in", 1), ("past_media_end", 2)}


def test_jfk_cues_pass_netflix(jfk_transcript):
    prof = get_profile("netflix-en", "24")
    track = make_cues(jfk_transcript, prof)
    assert [w for c in track.cues for w in c.words] == list(jfk_transcript.words)
    report = check_track(track, prof, media_duration_ms=jfk_transcript.duration_ms)
    assert report.ok, report.to_dict()
    assert report.compliance == 1.0
    text = " ".join(" ".join(c.lines) for c in track.cues)
    assert "ask not what your country can do for you" in text.lower()
    assert all(len(x) <= 42 for c in track.cues for x in c.lines)


def test_subtitles_cli_profiles_and_shot_changes(jfk_transcript, tmp_path):
    tj = tmp_path / "jfk.transcript.json"
    tj.write_text(transcript_json.dumps(jfk_transcript), encoding="utf-8")
    cuts = tmp_path / "cuts.txt"
    cuts.write_text("3.0\n8.0\n")
    for prof in ("netflix-en", "netflix-en-children", "bbc", "dcmp", "web"):
        out = tmp_path / f"{prof}.srt"
        res = CliRunner().invoke(cli, ["subtitles", str(tj), "--profile", prof, "--fps", "25",
                                       "--shot-changes", str(cuts), "-o", str(out)])
        assert res.exit_code == 0, res.output
        chk = CliRunner().invoke(cli, ["check", str(out), "--profile", prof, "--fps", "25",
                                       "--shot-changes", str(cuts), "--json"])
        data = json.loads(chk.output)
        assert data["compliance"] == 1.0, data
