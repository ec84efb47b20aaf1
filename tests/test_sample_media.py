"""The shipped sample in media/ (what `make run` processes).

Cheap checks by default, a transcription when slow. The timeline these tests hold the clip to is the one
media/README.md documents (and media/make_sample.sh makes).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from subpipe.audio import media

from conftest import IN_CI, needs, transcribe_cached

ROOT = Path(__file__).resolve().parents[1]
MEDIA_DIR = ROOT / "media"
SAMPLE = MEDIA_DIR / "sample_trailer.mp4"
REFERENCE = MEDIA_DIR / "sample_trailer.txt"
SCRIPT = MEDIA_DIR / "make_sample.sh"

# (start s, end s) windows of the documented timeline
MUSIC_ONLY_INTRO = (0.5, 3.5)
NARRATION = [(4.0, 11.0), (11.5, 14.7), (15.5, 19.0), (21.5, 25.0), (26.0, 29.2)]
SILENCE = (19.7, 21.3)


def _rms_db(samples: np.ndarray, start_s: float, end_s: float) -> float:
    seg = samples[int(start_s * media.SAMPLE_RATE) : int(end_s * media.SAMPLE_RATE)]
    rms = float(np.sqrt(np.mean(np.square(seg, dtype=np.float64)))) if seg.size else 0.0
    return 20 * np.log10(rms) if rms > 0 else -np.inf


@pytest.fixture(scope="module")
def info() -> media.MediaInfo:
    return media.probe(SAMPLE)


@pytest.fixture(scope="module")
def samples(info) -> np.ndarray:
    return media.extract_audio(SAMPLE, info=info).samples


def test_media_dir_holds_only_the_samples_that_should_succeed():
    found = sorted(p.name for p in MEDIA_DIR.rglob("*") if p.suffix.lower() in media.MEDIA_EXTENSIONS)
    assert found == ["sample_trailer.mp4"]
    assert SAMPLE.stat().st_size < 2 * 1024 * 1024


def test_sample_probes_with_video_and_one_audio_stream(info):
    assert info.has_video
    assert info.video_fps == Fraction(24)
    assert len(info.audio_streams) == 1
    a = info.audio_streams[0]
    assert a.codec == "aac"
    assert a.channels == 2
    assert 28_000 <= info.duration_ms <= 36_000


@pytest.mark.skipif(shutil.which("ffprobe") is None and not IN_CI, reason="no ffprobe on PATH")
def test_sample_is_h264_at_most_720p():
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height,pix_fmt", "-of", "default=nw=1", str(SAMPLE)],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    ).stdout
    fields = dict(line.split("=", 1) for line in out.split())
    assert fields["codec_name"] == "h264"
    assert fields["pix_fmt"] == "yuv420p"
    assert int(fields["width"]) <= 1280 and int(fields["height"]) <= 720


def test_timeline_music_intro_narration_and_a_silence(samples):
    intro = _rms_db(samples, *MUSIC_ONLY_INTRO)
    assert -35 < intro < -10, "the intro should carry the music bed"
    for window in NARRATION:
        assert _rms_db(samples, *window) > -25, f"no narration at {window}"  # the bed alone is -28 to -32
    assert _rms_db(samples, *SILENCE) < -60, "the gap before 'This winter' should be silent"


def test_reference_transcript_matches_the_script():
    lines = REFERENCE.read_text(encoding="utf-8").splitlines()
    assert 3 <= len(lines) <= 5
    assert all(line.strip() == line and line for line in lines)
    text = " ".join(lines)
    assert re.search(r"\b\d{2,4}\b", text), "the narration should hold a number"
    script = SCRIPT.read_text(encoding="utf-8")
    for line in lines:  # the script is the one source of the narration
        assert f'"{line}"' in script


def test_make_sample_script_is_valid_bash():
    assert SCRIPT.stat().st_mode & 0o111, "make_sample.sh should be executable"
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True, stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_base_model_transcribes_the_narration(samples):
    """Whisper `base` on the espeak-ng narration: WER under 10 % against the reference (0 % when measured)."""
    jiwer = needs("jiwer")
    from subpipe.asr.transcribe import TranscribeOptions

    t = transcribe_cached(samples, TranscribeOptions(model="base"))
    hyp = " ".join(w.text for w in t.words)

    def norm(s: str) -> str:
        return " ".join(re.sub(r"[^a-z0-9' ]", " ", s.lower()).split())

    assert jiwer.wer(norm(REFERENCE.read_text(encoding="utf-8")), norm(hyp)) < 0.10
    # the music-only intro is not transcribed as words
    assert t.words[0].start_ms >= 3000
