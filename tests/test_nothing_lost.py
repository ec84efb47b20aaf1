"""Issue 10, "nothing lost, nothing silent": each bad input from the sweep, as a test that failed before.

None of these needs speech or ../shared: media are made with ffmpeg's lavfi sources, transcripts by hand.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from subpipe import fsio
from subpipe.asr.transcribe import TranscribeOptions, whisper_kwargs
from subpipe.audio import media as media_mod
from subpipe.cli.app import cli
from subpipe.errors import FormatError, OutputError, SubpipeError
from subpipe.formats import spotting, timecoded
from subpipe.jobs import batch
from subpipe.jobs.pipeline import RunOptions, finish, plan
from subpipe.model import Cue, CueTrack, Transcript, Word
from subpipe.quotes import index as quotes
from subpipe.quotes import sheets as quotesheet
from subpipe.timecode import FrameRate, frames_to_smpte, ms_to_frames, ms_to_smpte, parse_time
from subpipe.utterances import build_utterances

from conftest import run_ffmpeg


def transcript(text: str = "We need to talk about the money now.", start: int = 500) -> Transcript:
    words = tuple(Word(t, start + k * 400, start + k * 400 + 300) for k, t in enumerate(text.split()))
    return Transcript(words=words, language="en", duration_ms=5000, utterances=build_utterances(list(words), "en"),
                      provenance={"media": {"sha256": "0" * 64}})


@pytest.fixture(scope="module")
def tone(tmp_path_factory, ffmpeg) -> Path:
    p = tmp_path_factory.mktemp("tone") / "tone.wav"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-ar", "16000", str(p))
    return p


# ------------------------------------------------------------------ 1. determinism of the decoder
def test_no_random_sampling_by_default_and_it_is_recorded():
    opts = TranscribeOptions()
    assert opts.temperatures == (0.0,) and opts.deterministic
    assert whisper_kwargs(opts, language="en", task="transcribe")["temperature"] == [0.0]
    assert opts.provenance()["temperatures"] == [0.0]
    sampled = TranscribeOptions(temperatures=(0.0, 0.2, 0.4))
    assert not sampled.deterministic and whisper_kwargs(sampled, language=None, task="transcribe")["temperature"] \
        == [0.0, 0.2, 0.4]


# ------------------------------------------------------------------ 2-3. names from the wild
@pytest.mark.parametrize("stem", ["x" * 250, os.fsdecode(b"caf\xe9 \xff-take")])
def test_long_and_non_utf8_names_are_processed_and_reported(tmp_path, tone, stem):
    media = tmp_path / f"{stem}.wav"
    media.write_bytes(tone.read_bytes())
    out = tmp_path / "out"
    p = plan(media, out, RunOptions(formats=("srt",)))
    assert len(p.name.encode("utf-8")) <= fsio.MAX_NAME_BYTES
    res = finish(p, transcript(), out, db=out / "quotes.db", new_transcript=True)
    assert res.ok and all(o.is_file() for o in res.outputs)
    row = json.dumps(res.to_dict(), ensure_ascii=False).encode("utf-8")  # raised UnicodeEncodeError before
    assert b"take" in row or b"xxxx" in row
    con = quotes.connect(out / "quotes.db")
    assert quotes.count(con) == 1
    con.close()


def test_output_names_stay_unique_when_shortened():
    a, b = fsio.output_name("a" * 200 + "1"), fsio.output_name("a" * 200 + "2")
    assert a != b and len(a.encode()) <= fsio.MAX_NAME_BYTES
    assert fsio.output_name("plain name") == "plain name"


# ------------------------------------------------------------------ 4. truncated media
def test_truncated_faststart_mp4_is_noted(tmp_path, ffmpeg):
    full = tmp_path / "full.mp4"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "sine=frequency=440:duration=13", "-c:a", "aac",
               "-movflags", "+faststart", str(full))
    half = tmp_path / "half.mp4"
    data = full.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    info = media_mod.probe(half)
    assert info.duration_ms > 12_000  # the container still claims the whole length
    audio = media_mod.extract_audio(half, info=info)
    assert audio.duration_ms < 8000
    assert any(n.startswith("truncated or damaged media") for n in audio.notes), audio.notes
    whole = media_mod.extract_audio(full)
    assert not whole.notes


def test_decode_notes_rule():
    assert media_mod.decode_notes(10_000, 9_500) == []
    assert media_mod.decode_notes(10_000, 5_000)[0].startswith("truncated")
    assert "partial file" in media_mod.decode_notes(10_000, 10_000, b"[mov @ 0x1] partial file\n")[0]


# ------------------------------------------------------------------ 5. disk full, atomicity
def test_extract_leaves_nothing_when_ffmpeg_fails(tmp_path, tone, monkeypatch):
    def fail(src, dest, **kw):
        Path(dest).write_bytes(b"RIFF" + b"\0" * 200_000)  # ffmpeg got part-way
        raise OutputError("No space left on device", path=dest)

    monkeypatch.setattr(media_mod, "extract_wav", fail)
    out = tmp_path / "x.wav"
    res = CliRunner().invoke(cli, ["extract", str(tone), "-o", str(out)])
    assert res.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_run_report_that_cannot_be_written_is_an_error(tmp_path, monkeypatch):
    def full(path, text):
        raise OutputError("cannot write (No space left on device)", path=path)

    monkeypatch.setattr(batch, "atomic_write_text", full)
    rep = batch.run([], tmp_path, db=None, report_path=tmp_path / "run-report.json")
    assert isinstance(rep.report_error, OutputError)


def test_atomic_write_failure_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "a.srt"
    target.write_text("old")
    with pytest.raises(RuntimeError), fsio.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.srt"]


# ------------------------------------------------------------------ 6. stale temp files, by real ownership
def test_sweep_removes_dead_writers_and_keeps_live_ones(tmp_path):
    dead = tmp_path / ".take.1.srt.999999.a.part"  # PID 999999 is not running; "1" is not its PID
    dead.write_text("x")
    report = tmp_path / ".run-report.json.999998.k2j4h5g6.part"
    report.write_text("{")
    not_ours = tmp_path / ".notes.part"
    not_ours.write_text("keep")
    with fsio.atomic_path(tmp_path / "clip.2024.srt") as live:  # a name full of digits, being written now
        live.write_text("x")
        removed = fsio.sweep_stale_parts(tmp_path)
        assert live.exists()
        # another process sees the lock too
        code = ("import sys; from pathlib import Path; from subpipe.fsio import sweep_stale_parts; "
                "sweep_stale_parts(Path(sys.argv[1]))")
        subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
        assert live.exists()
    assert set(removed) == {dead, report}
    assert not_ours.exists()


def test_batch_sweeps_a_killed_runs_report_temp(tmp_path):
    left = tmp_path / ".run-report.json.999997.abcdefgh.part"
    left.write_text("{")
    batch.run([], tmp_path, db=None, report_path=tmp_path / "run-report.json")
    assert not left.exists() and (tmp_path / "run-report.json").is_file()


# ------------------------------------------------------------------ 7. a read-only quote index
@pytest.fixture
def index(tmp_path) -> Path:
    db = tmp_path / "idx" / "quotes.db"
    con = quotes.connect(db)
    quotes.add_transcript(con, transcript(), media_id="a" * 64, path="/m/a.mp4", title="=HYPERLINK(\"x\")",
                          fps="29.97df")
    con.execute("PRAGMA journal_mode = DELETE")
    con.close()
    return db


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_search_writes_nothing_and_works_read_only(index):
    before = _snapshot(index.parent)
    con = quotes.connect(index, readonly=True)
    assert [h.text for h in quotes.search(con, "money")] == ["We need to talk about the money now."]
    with pytest.raises(sqlite3.OperationalError):
        con.execute("DELETE FROM media")
    con.close()
    res = CliRunner().invoke(cli, ["quotes", "search", "money", "--db", str(index)])
    assert res.exit_code == 0, res.output
    assert _snapshot(index.parent) == before  # no -wal, no -shm, no migration


def test_search_page_writes_nothing_and_checks_the_host(index, tmp_path):
    from starlette.testclient import TestClient

    from subpipe.quotes.web import create_app

    before = _snapshot(index.parent)
    local = TestClient(create_app(index, tmp_path), base_url="http://localhost:8765")
    assert local.get("/", params={"q": "money"}).status_code == 200
    assert _snapshot(index.parent) == before
    rebound = TestClient(create_app(index, tmp_path), base_url="http://attacker.example:8765")
    assert rebound.get("/api/search", params={"q": "money"}).status_code == 400


def test_serve_on_a_busy_port_fails_before_claiming_to_serve(index, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        res = CliRunner().invoke(cli, ["serve", "--db", str(index), "--media-root", str(tmp_path),
                                       "--port", str(sock.getsockname()[1])])
    finally:
        sock.close()
    assert res.exit_code == 1 and "cannot listen" in res.output and "serving" not in res.output


def test_index_errors_name_the_index(tmp_path):
    bad = tmp_path / "quotes.db"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SubpipeError) as err:
        quotes.connect(bad)
    assert err.value.path == str(bad) and err.value.hint


# ------------------------------------------------------------------ 8. --encoding
def test_script_encoding_is_an_option_where_the_hint_names_it(tmp_path):
    from subpipe.alignment import read_script

    script = tmp_path / "script.txt"
    script.write_bytes("Café crème, s'il vous plaît.\n".encode("cp1252"))
    with pytest.raises(FormatError, match="not UTF-8") as err:
        read_script(script)
    assert "--encoding" in err.value.hint
    assert [w.text for w in read_script(script, encoding="cp1252").words][0] == "Café"
    for cmd in (["align"], ["conform"], ["run"], ["batch"]):
        res = CliRunner().invoke(cli, [*cmd, "--help"])
        assert "--encoding" in res.output, cmd
    srt = tmp_path / "old.srt"
    srt.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nCafé\n".encode("cp1252"))
    res = CliRunner().invoke(cli, ["conform", str(srt), str(tmp_path / "missing.mp4"), "-o",
                                   str(tmp_path / "new.srt"), "--encoding", "cp1252"])
    assert res.exit_code == 1 and "missing.mp4" in res.output and "UTF-8" not in res.output


# ------------------------------------------------------------------ 9. CSV formulas
def test_csv_cells_never_start_a_formula(index):
    con = quotes.connect(index, readonly=True)
    hits = quotes.search(con, "money")
    con.close()
    rows = list(csv.reader(io.StringIO(quotesheet.render(hits, "csv").decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(\"x\")"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    track = CueTrack((Cue(0, 1000, ("-Where?", "-Here.")), Cue(2000, 3000, ("+1 for that",))))
    text = spotting.dumps(track)
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells)
    assert [c.lines for c in spotting.loads(text).cues] == [("-Where?", "-Here."), ("+1 for that",)]


# ------------------------------------------------------------------ 10. frame rates and frames
@pytest.mark.parametrize(("text", "rate", "drop"), [
    ("23.976", "24000/1001", False), ("23.98", "24000/1001", False), ("24", "24", False), ("25", "25", False),
    ("29.97", "30000/1001", False), ("29.97ndf", "30000/1001", False), ("29.97 NDF", "30000/1001", False),
    ("29.97nondrop", "30000/1001", False), ("29.97-non-drop", "30000/1001", False),
    ("29.97df", "30000/1001", True), ("29.97drop", "30000/1001", True), ("29.97 DF", "30000/1001", True),
    ("30", "30", False), ("50", "50", False), ("59.94", "60000/1001", False), ("59.94df", "60000/1001", True),
    ("30000/1001", "30000/1001", False),
])
def test_one_frame_rate_grammar(text, rate, drop):
    from fractions import Fraction

    fr = FrameRate.parse(text)
    assert fr.rate == Fraction(rate) and fr.drop_frame is drop


@pytest.mark.parametrize("bad", ["", "abc", "0", "-25", "25df", "29.97dfx", "nondrop"])
def test_frame_rate_grammar_refuses(bad):
    with pytest.raises(FormatError):
        FrameRate.parse(bad)


def test_29_97_means_the_same_everywhere_and_one_rounding_rule():
    assert quotes.frame_rate("29.97") == FrameRate.parse("29.97") and not quotes.frame_rate("29.97").drop_frame
    with pytest.raises(FormatError):
        quotes.frame_rate("29.97dfx")  # no silent fallback to 24
    df = FrameRate.parse("29.97df")
    assert ms_to_frames(1033, df) == 31  # 30.96 frames: the nearest boundary
    label = frames_to_smpte(31, df)
    assert ms_to_smpte(1033, df) == label == "00:00:01;01"  # the quote sheet said 00:00:01;00 before
    assert timecoded.stamp(1033, df) == "[00:00:01.01]"
    hit = quotes.Hit("i", "m", "/p", "t", 1033, 2000, "x", "x", None, "en", 0.0, 1033, 2000, fps="29.97df")
    assert quotesheet.sheet_row(hit).tc_in == label
    for fps in ("23.976", "24", "25", "29.97", "29.97df", "59.94df"):  # frame starts map to their frame
        fr = FrameRate.parse(fps)
        assert all(ms_to_frames(round(f * 1000 / fr.rate), fr) == f for f in range(0, 5000, 7))


@pytest.mark.parametrize(("text", "ms"), [
    ("1.5", 1500), ("1.5s", 1500), ("500ms", 500), ("2m", 120_000), ("2min", 120_000), ("1h", 3_600_000),
    ("1:30", 90_000), ("01:02.5", 62_500), ("00:01:02,500", 62_500), ("00:01:02.500", 62_500), ("0.0005", 1),
])
def test_one_time_grammar(text, ms):
    assert parse_time(text) == ms


def test_time_grammar_signs_smpte_and_errors():
    from subpipe.cli.quotes import parse_time as cli_parse_time
    from subpipe.subtitling.qc import parse_offset, parse_shot_changes

    assert parse_time("-1.5", signed=True) == -1500 and parse_time("+250ms", signed=True) == 250
    assert parse_time("00:00:01:12", fps="24") == 1500
    with pytest.raises(FormatError, match="frame rate"):
        parse_time("00:00:01:12")
    for bad in ("soon", "1:75", "-1", "1..5"):
        with pytest.raises(FormatError):
            parse_time(bad)
    assert cli_parse_time("1:30") == parse_offset("1:30") == 90_000
    assert parse_shot_changes("1:30\n2m\n", FrameRate.parse("24")) == (90_000, 120_000)


# ------------------------------------------------------------------ 11. smaller things
def test_models_exits_1_when_a_model_fails_verification(monkeypatch):
    from subpipe.asr import models as mm

    monkeypatch.setattr(mm, "status", lambda verify=True: [mm.ModelStatus("base", True, True, False, "pypi", "bad")])
    res = CliRunner().invoke(cli, ["models"])
    assert res.exit_code == 1 and "FAILED" in res.output


def test_failed_file_leaves_no_empty_output_folder(tmp_path, tone, monkeypatch):
    def broken(p):
        raise media_mod.CorruptMediaError("decoding failed", path=p.media)

    monkeypatch.setattr(batch, "decode", broken)
    items = batch.collect([tone], RunOptions(index=False))
    rep = batch.run(items, tmp_path / "out", db=None)
    assert [r.ok for r in rep.results] == [False]
    assert not (tmp_path / "out" / "tone").exists()


def test_samples_give_the_same_features_whatever_the_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from subpipe.asr.engine import one_blas_thread

    def blas() -> list[int]:
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    host = blas()
    with one_blas_thread():
        assert all(n == 1 for n in blas())
        with one_blas_thread():  # nested: still one
            assert all(n == 1 for n in blas())
        assert all(n == 1 for n in blas())
    assert blas() == host  # the host's limits back when the outermost block ends
    assert np.float32(1).dtype == np.float32


# ------------------------------------------------------------------ 1, with Whisper: a line said twice
@pytest.mark.slow
def test_speech_said_twice_is_kept_and_the_same_every_run():
    """`ffmpeg -stream_loop 1` of a LibriSpeech line: some runs dropped all 60 words as a "compression" loop."""
    from subpipe.asr.transcribe import transcribe_audio

    from conftest import shared

    once = media_mod.extract_audio(shared("librispeech/1995-1837-0001.wav")).samples
    twice = np.concatenate([once, once])
    opts = TranscribeOptions(model="tiny.en")
    first = transcribe_audio(twice, opts)
    single = transcribe_audio(once, opts)
    assert not [d for d in first.dropped if d.reason in ("compression", "repetition")]
    assert len(first.words) >= 2 * len(single.words) - 2 and "no speech detected" not in first.notes
    assert first.provenance["decoding"] == {"temperatures": [0.0], "sampling": False, "reproducible": True,
                                            "blas_threads": 1}
    again = transcribe_audio(twice, opts)
    assert [(w.text, w.start_ms, w.end_ms) for w in again.words] == [(w.text, w.start_ms, w.end_ms)
                                                                      for w in first.words]
