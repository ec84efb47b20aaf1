"""`subpipe clip`: frame-accurate cuts with real ffmpeg, subtitles burnt in or muxed, audio only."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from subpipe.audio import media as m
from subpipe.cli.app import cli
from subpipe.errors import MediaError
from subpipe.fsio import sha256_file
from subpipe.quotes import index as q

from conftest import missing, run_ffmpeg, shared

W, H = 320, 180


def _probe(path) -> dict:
    exe = m.ffprobe_exe()
    if exe is None:
        missing("no ffprobe")
    out = subprocess.run([exe, "-v", "error", "-show_streams", "-show_format", "-count_frames", "-of", "json",
                          str(path)], check=True, capture_output=True).stdout
    return json.loads(out)


def _frame(ffmpeg: str, path, *, index: int = 0) -> np.ndarray:
    """Frame number ``index`` of a video, decoded to grey pixels."""
    out = subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-vf", f"select=eq(n\\,{index})",
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=np.uint8).astype(np.int16)


@pytest.fixture(scope="module")
def video_db(tmp_path_factory, ffmpeg, jfk_transcript):
    """A small video made of a moving test pattern and the JFK audio, indexed at 25 fps."""
    d = tmp_path_factory.mktemp("clip")
    video = d / "jfk.mp4"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r=25", "-i", str(shared("jfk/jfk.flac")),
               "-shortest", "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p",
               "-c:a", "aac", str(video))
    db = d / "quotes.db"
    con = q.connect(db)
    q.add_transcript(con, jfk_transcript, media_id=sha256_file(video), path=str(video), title="JFK", fps="25")
    hit = q.search(con, "ask not what your country")[0]
    con.close()
    return video, db, hit


def test_cut_is_frame_accurate_off_a_keyframe(video_db, ffmpeg, tmp_path):
    video, _, _ = video_db
    out = tmp_path / "cut.mp4"
    start, end = m.cut_clip(video, out, 1230, 2000)  # 1.23 s lies inside frame 30 (1.20-1.24 s); keyframes at 0, 2 s
    assert (start, end) == (1200, 2000)
    info = _probe(out)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert int(v["nb_read_frames"]) == 20
    first = _frame(ffmpeg, out)
    diffs = {n: np.abs(first - _frame(ffmpeg, video, index=n)).mean() for n in (29, 30, 31)}
    assert diffs[30] * 4 < min(diffs[29], diffs[31]), diffs


def test_clip_with_handles_and_soft_subtitles(video_db, ffmpeg, tmp_path):
    video, db, hit = video_db
    out = tmp_path / "quote.mp4"
    res = CliRunner().invoke(cli, ["clip", hit.id, "-o", str(out), "--db", str(db), "--handles", "500ms",
                                   "--soft-subs"])
    assert res.exit_code == 0, res.output
    info = _probe(out)
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert set(kinds) == {"video", "audio", "subtitle"}
    assert kinds["subtitle"]["codec_name"] == "mov_text"
    expected = min(hit.end_ms + 500, m.probe(video).duration_ms) - max(0, hit.start_ms - 500)
    assert abs(float(info["format"]["duration"]) * 1000 - expected) <= 80
    srt = subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", str(out), "-map", "0:s:0", "-f", "srt", "pipe:"],
                         check=True, capture_output=True, text=True).stdout
    assert "ask not what your country" in srt.lower().replace("\n", " ")


def test_burnt_in_subtitles_change_the_picture(video_db, ffmpeg, tmp_path):
    video, db, hit = video_db
    runner = CliRunner()
    plain, burnt = tmp_path / "plain.mp4", tmp_path / "burnt.mp4"
    for out, extra in ((plain, []), (burnt, ["--burn-in"])):
        res = runner.invoke(cli, ["clip", hit.id[:10], "-o", str(out), "--db", str(db), *extra])
        assert res.exit_code == 0, res.output
    n = 4 * 25  # 4 s in: a subtitle is on screen
    a, b = _frame(ffmpeg, plain, index=n), _frame(ffmpeg, burnt, index=n)
    changed = (np.abs(a - b) > 40).reshape(H, W)
    assert changed[H * 2 // 3:].mean() > 0.005  # text in the lower third
    assert changed[: H // 3].mean() < 0.001  # and nothing at the top
    assert {s["codec_type"] for s in _probe(burnt)["streams"]} == {"video", "audio"}


def test_audio_only_clip(video_db, tmp_path):
    _, db, hit = video_db
    out = tmp_path / "quote.m4a"
    res = CliRunner().invoke(cli, ["clip", hit.id, "-o", str(out), "--db", str(db), "--audio-only"])
    assert res.exit_code == 0, res.output
    info = _probe(out)
    assert [s["codec_type"] for s in info["streams"]] == ["audio"]
    assert abs(float(info["format"]["duration"]) * 1000 - (hit.end_ms - hit.start_ms)) <= 80


def test_clip_refuses_what_it_cannot_do(video_db, tmp_path):
    video, db, hit = video_db
    runner = CliRunner()
    res = runner.invoke(cli, ["clip", hit.id, "-o", str(tmp_path / "a.mp4"), "--db", str(db), "--burn-in",
                              "--soft-subs"])
    assert res.exit_code == 2
    res = runner.invoke(cli, ["clip", hit.id, "-o", str(tmp_path / "a.txt"), "--db", str(db)])
    assert res.exit_code == 1 and "cannot write a video clip" in res.output
    assert not (tmp_path / "a.txt").exists()
    with pytest.raises(MediaError, match="nothing to cut"):
        m.cut_clip(video, tmp_path / "b.mp4", 50_000, 60_000)
