"""The GPU path (`--device cuda`, float16). CI has no GPU: these skip cleanly without one."""

import jiwer
import pytest

from subpipe.asr.transcribe import TranscribeOptions, load_model, resolve_device, transcribe_audio
from subpipe.audio import media

from conftest import shared

pytestmark = pytest.mark.gpu


def test_auto_picks_cuda_float16():
    assert resolve_device("auto", "auto") == ("cuda", "float16")


@pytest.mark.parametrize("compute_type", ["float16", "int8_float16"])
def test_jfk_on_the_gpu_matches_the_cpu(compute_type, jfk_transcript):
    audio = media.extract_audio(shared("jfk/jfk.flac"))
    opts = TranscribeOptions(model="base", device="cuda", compute_type=compute_type)
    assert load_model(opts).device == "cuda"
    t = transcribe_audio(audio.samples, opts)
    assert t.provenance["device"] == "cuda" and t.provenance["compute_type"] == compute_type
    cpu_words = [w.text.lower().strip(",.") for w in jfk_transcript.words]
    gpu_words = [w.text.lower().strip(",.") for w in t.words]
    # float16 on the GPU and int8 on the CPU may differ in a word, not in substance
    assert jiwer.wer(" ".join(cpu_words), " ".join(gpu_words)) <= 0.1
