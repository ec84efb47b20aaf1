"""The ffmpeg adapter on media made by real ffmpeg."""

import numpy as np
import pytest

from subpipe.audio import media
from subpipe.errors import CorruptMediaError, MediaError, MediaNotFoundError, NoAudioStreamError

from conftest import run_ffmpeg


@pytest.fixture(scope="module")
def clips(tmp_path_factory, ffmpeg):
    d = tmp_path_factory.mktemp("clips")
    video = d / "tone.mp4"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "color=c=blue:s=160x90:r=24:d=2", "-f", "lavfi", "-i",
               "sine=frequency=440:sample_rate=48000:duration=2", "-shortest", "-c:v", "libx264",
               "-pix_fmt", "yuv420p", "-c:a", "aac", str(video))
    silent_video = d / "silent.mp4"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "color=c=red:s=160x90:r=25:d=1", "-c:v", "libx264",
               "-pix_fmt", "yuv420p", str(silent_video))
    # 5.1: centre carries 440 Hz ("dialogue"), front left 1000 Hz ("effects"), the rest silent
    surround = d / "surround.wav"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=1",
               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1",
               "-f", "lavfi", "-i", "anullsrc=channel_layout=mono:sample_rate=48000",
               "-filter_complex",
               "[2]asplit=4[s1][s2][s3][s4];[0][s1][1][s2][s3][s4]join=inputs=6:channel_layout=5.1:"
               "map=0.0-FL|1.0-FR|2.0-FC|3.0-LFE|4.0-BL|5.0-BR[a]",
               "-map", "[a]", "-t", "1", str(surround))
    two_streams = d / "two.mkv"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-f", "lavfi", "-i",
               "sine=frequency=880:duration=1", "-map", "0", "-map", "1", "-c:a", "flac", str(two_streams))
    return {"video": video, "silent_video": silent_video, "surround": surround, "two": two_streams}


def peak_hz(samples: np.ndarray, rate: int = 16000) -> float:
    spec = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spec))])


def band_energy(samples, lo, hi, rate=16000):
    spec = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spec[(freqs >= lo) & (freqs <= hi)].sum())


@pytest.mark.parametrize("use_ffprobe", [True, False], ids=["ffprobe", "pyav"])
def test_probe(clips, monkeypatch, use_ffprobe):
    if not use_ffprobe:
        monkeypatch.setenv("FFPROBE_PATH", "none")
    media.ffprobe_exe.cache_clear()
    try:
        info = media.probe(clips["video"])
        assert info.has_video and info.video_fps == 24
        assert len(info.audio_streams) == 1 and info.audio_streams[0].codec == "aac"
        assert 1900 <= info.duration_ms <= 2200
        s51 = media.probe(clips["surround"]).audio_streams[0]
        assert s51.channels == 6 and s51.has_centre
        assert len(media.probe(clips["two"]).audio_streams) == 2
        assert media.probe(clips["silent_video"]).audio_streams == ()
    finally:
        media.ffprobe_exe.cache_clear()


def test_extract_is_16k_mono_float(clips):
    audio = media.extract_audio(clips["video"])
    assert audio.sample_rate == 16000 and audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert abs(len(audio.samples) - 32000) < 1600
    assert abs(peak_hz(audio.samples) - 440) < 5


def test_choose_audio_stream(clips):
    assert abs(peak_hz(media.extract_audio(clips["two"]).samples) - 440) < 5
    assert abs(peak_hz(media.extract_audio(clips["two"], stream=1).samples) - 880) < 5
    with pytest.raises(MediaError, match="audio stream 2 does not exist"):
        media.extract_audio(clips["two"], stream=2)


def test_centre_channel_takes_the_dialogue(clips):
    mix = media.extract_audio(clips["surround"]).samples
    centre = media.extract_audio(clips["surround"], dialogue="centre")
    # the downmix carries both tones; the centre channel only the "dialogue" tone
    assert band_energy(mix, 950, 1050) > 0.1 * band_energy(mix, 400, 480)
    assert band_energy(centre.samples, 950, 1050) < 1e-4 * band_energy(centre.samples, 400, 480)
    assert any("centre channel" in n for n in centre.notes)
    stereo_note = media.extract_audio(clips["video"], dialogue="centre").notes
    assert any("no centre channel" in n for n in stereo_note)


def test_bad_inputs(tmp_path, clips):
    with pytest.raises(MediaNotFoundError):
        media.probe(tmp_path / "missing.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(CorruptMediaError, match="0 bytes"):
        media.probe(empty)
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    with pytest.raises(CorruptMediaError) as err:
        media.probe(text)
    assert str(text) in str(err.value)
    with pytest.raises(NoAudioStreamError):
        media.extract_audio(clips["silent_video"])


def test_path_that_looks_like_an_option(tmp_path, clips, monkeypatch):
    odd = tmp_path / "-i weird name.mp4"
    odd.write_bytes(clips["video"].read_bytes())
    monkeypatch.chdir(tmp_path)
    from pathlib import Path

    audio = media.extract_audio(Path("-i weird name.mp4"))
    assert len(audio.samples) > 16000
