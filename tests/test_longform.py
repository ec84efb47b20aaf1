"""Long inputs (issue 12): the streamed decode, Silero over windows, the batched engine, bounded memory."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subpipe.asr.engine import choose_engine
from subpipe.asr.longform import (
    _pieces,
    digital_silence,
    pack_contiguous,
    pack_contiguous_cut,
    pack_windows,
)
from subpipe.asr.rounds import pack_rests
from subpipe.audio import media
from subpipe.audio.source import ArraySource, FileSource, speech_timestamps, vad_probs

from conftest import run_ffmpeg, shared


@pytest.fixture(scope="module")
def tone_file(tmp_path_factory, ffmpeg):
    """Seven seconds of stereo 44.1 kHz tones and noise in AAC: resampling, downmix and a lossy decoder."""
    p = tmp_path_factory.mktemp("lf") / "tones.m4a"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "sine=f=440:r=44100:d=7", "-f", "lavfi",
               "-i", "anoisesrc=r=44100:a=0.05:d=7:seed=3", "-filter_complex", "[0][1]amerge=inputs=2",
               "-c:a", "aac", str(p))
    return p


def test_streamed_decode_equals_in_memory_decode(tone_file, tmp_path):
    whole = media.extract_audio(tone_file).samples
    audio = media.open_audio(tone_file, stream_min_ms=0, temp_dir=tmp_path)
    assert isinstance(audio, media.StreamedAudio)
    src = audio.source
    assert src.n_samples == len(whole) > 6 * 16000
    np.testing.assert_array_equal(src.materialize(), whole)  # sample for sample
    np.testing.assert_array_equal(src.read(1000, 2500), whole[16000:40000])
    assert len(src.read(6900, 99_000)) == len(whole) - 6900 * 16
    got = [(a, len(x)) for a, x in src.windows(48000, 16000)]
    assert got[0] == (0, 48000) and got[1][0] == 32000 and got[-1][0] + got[-1][1] == len(whole)
    np.testing.assert_array_equal(np.concatenate([x[:32000] for _, x in src.windows(48000, 16000)])[:len(whole)],
                                  whole)
    path = src.path
    assert path.parent == tmp_path and path.is_file()
    audio.close()
    assert not path.exists()  # the temp file goes with the source
    short = media.open_audio(tone_file, temp_dir=tmp_path)  # short inputs stay in memory
    assert isinstance(short, media.Audio)
    assert list(tmp_path.iterdir()) == []


def test_failed_decode_leaves_no_temp_file(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + b"\0" * 100)
    folder = tmp_path / "tmp"
    with pytest.raises(media.MediaError):
        media.open_audio(bad, stream_min_ms=0, temp_dir=folder)
    assert not folder.exists() or list(folder.iterdir()) == []


def _long_speech() -> np.ndarray:
    """About 330 s of real speech (more than one 320 s VAD window), from ../shared/data."""
    parts = []
    for rel in ("mfa_spontaneous/acoustic_corpus.wav", "jfk/jfk.flac", "librispeech/2412-153948-0000.flac"):
        parts.append(media.extract_audio(shared(rel)).samples)
        parts.append(np.zeros(8000, dtype=np.float32))
    x = np.concatenate(parts)
    return np.tile(x, int(np.ceil(330 * 16000 / len(x))))[: 330 * 16000 + 123]


def test_windowed_vad_equals_whole_file_vad():
    from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

    x = _long_speech()
    probs = vad_probs(ArraySource(x))
    whole = get_vad_model()(np.pad(x, (0, 512 - len(x) % 512))).reshape(-1)
    np.testing.assert_array_equal(probs, whole)  # bit-identical, across the 320 s window boundary
    opts = VadOptions(min_silence_duration_ms=160, max_speech_duration_s=30, speech_pad_ms=800)
    mine = speech_timestamps(probs, len(x), opts)
    assert mine == get_speech_timestamps(x, opts)  # (each call runs Silero again: one is enough)
    assert len(mine) > 5


def test_packing_keeps_every_region_and_the_30_s_limit():
    regions = [{"start": a * 16000, "end": (a + d) * 16000} for a, d in
               [(0, 4), (5, 10), (16, 12), (29, 3), (40, 29), (70, 1)]]
    for windows in (pack_windows(regions), pack_contiguous([dict(r) for r in regions])):
        assert windows[0][0]["start"] == 0 and windows[-1][-1]["end"] == 71 * 16000
        for w in windows:
            assert sum(r["end"] - r["start"] for r in w) <= 30 * 16000
            assert w[-1]["end"] - w[0]["start"] <= 30 * 16000 or len(w) > 1
    contiguous = pack_contiguous([dict(r) for r in regions])
    spans = [(w[0]["start"] // 16000, w[0]["end"] // 16000) for w in contiguous]
    assert spans == [(0, 28), (29, 32), (40, 69), (70, 71)]


def test_digital_silence_is_left_out_of_the_windows_and_nothing_else():
    """Runs of digital silence longer than 1 s inside a window are cut to 1 s (half each side); every sample
    that is not silence stays in a window, in order, at most 30 s of audio a window."""
    s = 16000
    rng = np.random.default_rng(0)
    x = np.zeros(100 * s, np.float32)
    speech = [(1, 9), (14, 22), (27, 33), (45, 55), (57, 70)]
    for a, b in speech:
        x[int(a * s):int(b * s)] = rng.normal(0, 0.05, int(b * s) - int(a * s))
    x[35 * s:40 * s] = 10 ** (-60 / 20)  # room tone at -60 dBFS: not digital silence, kept
    cut = digital_silence(ArraySource(x))
    assert all(not np.any(x[a:b]) for a, b in cut)  # only digital silence is cut
    # each run of silence keeps 0.5 s at either end (to the 32 ms frame): 9-14, 22-27, 33-35, 40-45, 55-57, 70-100 s
    assert len(cut) == 6
    assert not any(a < 40 * s and b > 35 * s for a, b in cut)  # room tone at -60 dBFS is not digital silence
    assert sum(b - a for a, b in cut) > (4 + 4 + 1 + 4 + 1 + 29) * s * 0.95
    regions = [{"start": int(a * s) - 8000, "end": int(b * s) + 8000} for a, b in speech]
    windows = pack_contiguous_cut([dict(r) for r in regions], cut)
    flat = [r for w in windows for r in w]
    assert all(p["end"] <= q["start"] for p, q in zip(flat, flat[1:], strict=False))
    assert all(sum(r["end"] - r["start"] for r in w) <= 30 * s for w in windows)
    for w in windows:  # inside a window's span every sample of sound is decoded (the room tone too)
        kept = np.zeros(len(x), bool)
        for r in w:
            kept[r["start"]:r["end"]] = True
        lo, hi = w[0]["start"], w[-1]["end"]
        assert kept[lo:hi][x[lo:hi] != 0].all()
    assert len(windows) < len(pack_contiguous([dict(r) for r in regions]))  # and fewer encoder passes
    assert pack_contiguous_cut([dict(r) for r in regions], []) == pack_contiguous([dict(r) for r in regions])


def test_remainders_after_early_stops_share_windows():
    """Each window costs a whole encoder pass: the speech left after early stops is packed, in order, a
    remainder never split, at most 30 s of audio a window; a packed window decoded again sequentially is
    decoded piece by piece (never the minutes between two remainders)."""
    s = 16000
    rests = [[{"start": a * s, "end": b * s}] for a, b in [(10, 14), (40, 52), (70, 75), (100, 129), (150, 152)]]
    rests.insert(2, [{"start": 60 * s, "end": 62 * s}, {"start": 63 * s, "end": 64 * s}])
    packed = pack_rests([list(r) for r in rests])
    assert [r for w in packed for r in w] == [r for rest in rests for r in rest]
    assert all(sum(r["end"] - r["start"] for r in w) <= 30 * s for w in packed)
    assert len(packed) == 3  # 4 + 12 + 3 + 5 s; 29 s; 2 s
    assert _pieces(packed[0]) == [(10 * s, 14 * s), (40 * s, 52 * s), (60 * s, 62 * s), (63 * s, 64 * s),
                                  (70 * s, 75 * s)]
    assert _pieces([{"start": 0, "end": 5}, {"start": 5, "end": 9}]) == [(0, 9)]


def _rounds_run(first, rests_of, order_seed, cont_block, runner=False):
    """Drives ``Rounds`` as ``_streamed`` does (``replicas`` blocks in flight, finished in an order the seed
    picks) or as ``by_round`` does; returns what was handled, in order, and every planned block."""
    import random

    from subpipe.asr.rounds import Rounds, by_round

    rounds = Rounds(first, cont_block)
    handled, planned = [], []

    def handle(r, i, group, decoded):
        handled.append((r, i, [tuple((x["start"], x["end"]) for x in w) for w in group]))
        return [rest for w in group for rest in rests_of(r, w)]

    if runner:
        def run(groups):
            planned.extend(groups)
            return iter([[[] for _ in g] for g in groups])

        by_round(rounds, run, handle)
        return handled, planned
    rng = random.Random(order_seed)
    flight, results = [], {}
    while rounds.ready or flight:
        while rounds.ready and len(flight) < 2:
            r, i, g = rounds.pop()
            planned.append(g)
            flight.append((r, i, g))
        r, i, g = flight.pop(rng.randrange(len(flight)))  # whichever replica finishes first
        results[(r, i)] = (g, [[] for _ in g])
        rounds.take(results, handle)
    return handled, planned


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 29), min_size=0, max_size=40), st.integers(0, 10**6), st.integers(1, 3))
def test_continuation_rounds_plan_the_same_blocks_whatever_finishes_first(sizes, seed, cont_block):
    """The continuation windows are packed while the round before them still runs, on replicas that finish
    in any order: the blocks planned, and the order their remainders are handled in, do not depend on it, and
    they are ``pack_rests`` over each round's remainders in order (the words depend on the blocks only)."""
    from subpipe.asr.rounds import CONTINUE_ROUNDS

    s = 16000
    first, pos = [], 0
    for n in sizes:
        first.append([[{"start": pos * s, "end": (pos + n) * s}]])
        pos += 31

    def rests_of(r, w):  # a remainder of the last half of every other window, for every round
        a, b = w[0]["start"], w[-1]["end"]
        return [[{"start": (a + b) // 2, "end": b}]] if (a // s) % 2 == 0 and b - a >= 2 * s else []

    ref_handled, ref_planned = _rounds_run(first, rests_of, 0, cont_block, runner=True)
    got_handled, got_planned = _rounds_run(first, rests_of, seed, cont_block)
    key = lambda blocks: sorted(str(b) for b in blocks)  # noqa: E731
    assert key(got_planned) == key(ref_planned)
    for r in range(CONTINUE_ROUNDS + 1):
        assert [h for h in got_handled if h[0] == r] == [h for h in ref_handled if h[0] == r]
    def greedy(rests):  # as few windows of at most 30 s as hold the remainders, in order, none split
        out = []
        for rest in rests:
            n = sum(x["end"] - x["start"] for x in rest)
            if out and sum(x["end"] - x["start"] for x in out[-1]) + n <= 30 * s:
                out[-1] = out[-1] + rest
            else:
                out.append(list(rest))
        return out

    # round by round, the windows are the round before's remainders packed, cont_block a block
    prev = [w for b in first for w in b]
    for r in range(1, CONTINUE_ROUNDS + 1):
        want = greedy([rest for w in prev for rest in rests_of(r - 1, w)])
        assert want == pack_rests([rest for w in prev for rest in rests_of(r - 1, w)])
        got = [[{"start": a, "end": b} for a, b in w] for h in ref_handled if h[0] == r for w in h[2]]
        assert got == want
        assert all(len(h[2]) <= cont_block for h in ref_handled if h[0] == r)
        prev = want


def test_windows_decoded_again_run_on_every_replica_with_the_same_words():
    """Windows the batched pass fails on (here every one: a log-probability floor no window meets) are decoded
    again sequentially after the round, on the decoder replicas at once: the same words as on one replica."""
    from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio
    from subpipe.audio import media

    x = media.extract_audio(shared("regressions/batched_gap_100s.flac")).samples
    opts = TranscribeOptions(model="tiny.en", engine="batched", log_prob_threshold=0.0, no_speech_threshold=None)
    one = transcribe_audio(x, replace(opts, cpu_threads=1))
    two = transcribe_audio(x, replace(opts, cpu_threads=2))
    d = one.provenance["decoder"]
    assert d["windows"] >= 3 and d["retried"] == d["windows"]
    assert len(one.words) > 100 and one.words == two.words


def test_engine_choice():
    assert choose_engine("auto", 60_000, "cpu") == "sequential"
    assert choose_engine("auto", 600_000, "cpu") == "batched"
    assert choose_engine("auto", 60_000, "cuda") == "batched"
    assert choose_engine("sequential", 10**8, "cuda") == "sequential"
    with pytest.raises(Exception, match="unknown engine"):
        choose_engine("fast", 1, "cpu")


def test_batched_gives_the_sequential_words_on_a_short_file(jfk_transcript):
    """JFK (11 s): the batched engine writes the same words as the sequential one (punctuation may differ:
    the batched decoder has no earlier text to condition on)."""
    from subpipe.asr.guards import normalise
    from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio

    x = media.extract_audio(shared("jfk/jfk.flac")).samples
    t = transcribe_audio(x, TranscribeOptions(model="base", engine="batched"))
    assert t.provenance["decoder"]["engine"] == "batched"
    assert jfk_transcript.provenance["decoder"]["engine"] == "sequential"
    words = [normalise(w.text) for w in t.words]
    assert words == [normalise(w.text) for w in jfk_transcript.words]
    assert all(a.start_ms <= b.start_ms for a, b in zip(t.words, t.words[1:], strict=False))
    # the same source through a PCM temp file gives the same bytes
    src = ArraySource(x)
    t2 = transcribe_audio(src, TranscribeOptions(model="base", engine="batched"))
    assert t2.words == t.words and t2.events == t.events


def test_decoder_replicas_share_out_the_threads(monkeypatch):
    from subpipe.asr.engine import decoder_replicas
    from subpipe.audio import source as audiosource

    monkeypatch.setattr(audiosource, "usable_cores", lambda: 2)
    assert decoder_replicas(0, "cpu") == (2, 1)  # automatic: one replica per core, one thread each
    assert decoder_replicas(1, "cpu") == (1, 1)  # a -j worker with one thread: one replica
    assert decoder_replicas(4, "cpu") == (2, 2)
    assert decoder_replicas(2, "cuda") == (1, 2)  # one GPU: one replica, threads as given
    monkeypatch.setattr(audiosource, "usable_cores", lambda: 1)
    assert decoder_replicas(0, "cpu") == (1, 0)  # one core: one replica, CTranslate2's own thread default


def test_job_cores_is_the_threads_asked_for_within_the_usable_cores(monkeypatch):
    """One rule for how many cores a job keeps busy (decoder replicas, phone-aligner processes)."""
    from subpipe.audio import source as audiosource

    monkeypatch.setattr(audiosource, "usable_cores", lambda: 2)
    assert audiosource.job_cores(0) == 2  # automatic: every usable core
    assert audiosource.job_cores(1) == 1  # a -j worker's share
    assert audiosource.job_cores(4) == 2  # more threads than cores: the cores


def test_blocks_on_two_replicas_give_the_words_of_one():
    """Two CTranslate2 replicas decoding blocks at once write the same words and times as one replica
    decoding them in turn (the blocks, not the replicas, decide the output)."""
    from subpipe.asr.transcribe import TranscribeOptions, model_for, transcribe_audio

    x = np.concatenate([media.extract_audio(shared(f)).samples for f in
                        ("jfk/jfk.flac", "librispeech/2412-153948-0000.flac", "librispeech/61-70968-0000.flac",
                         "librispeech/2412-153948-0001.flac", "librispeech/1995-1837-0001.wav")])
    one = TranscribeOptions(model="base", engine="batched", batch_size=1, cpu_threads=1)
    two = TranscribeOptions(model="base", engine="batched", batch_size=1, cpu_threads=2)
    assert model_for(one, 60_000)[0].whisper.model.num_workers == 1
    assert model_for(two, 60_000)[0].whisper.model.num_workers == 2
    t1, t2 = transcribe_audio(x, one), transcribe_audio(x, two)
    assert t1.provenance["decoder"]["windows"] >= 2  # at least two blocks went to the replicas
    assert len(t1.words) > 20
    assert t2.words == t1.words
    assert t2.provenance["decoder"] == t1.provenance["decoder"]


_PEAK = textwrap.dedent("""
    import sys
    import numpy as np
    import subpipe
    from subpipe.audio.source import FileSource, vad_probs
    from subpipe.audio.events import detect_music_source
    subpipe.tune_process()  # as the CLI, its -j workers and Ray actors run (importing subpipe tunes nothing)
    minutes, path = int(sys.argv[1]), sys.argv[2]
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:  # a raw PCM file as media.open_audio writes it (noise: no model needed)
        for _ in range(minutes):
            (rng.standard_normal(16000 * 60) * 0.02).astype("<f4").tofile(f)
    src = FileSource(path, owned=True)
    vad_probs(src)
    detect_music_source(src)
    src.close()
    print([int(x.split()[1]) // 1024 for x in open("/proc/self/status") if x.startswith("VmHWM:")][0])
""")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_peak_memory_does_not_grow_with_length(tmp_path):
    """Silero and the music features over 6 and 18 minutes read from a PCM file: the peak stays put
    (holding the samples would add 46 MB for the 12 minutes more, several times over in a whole-file VAD;
    measured here: 276 and 295 MiB, and 295 MiB at 36 minutes)."""
    peaks = {}
    for minutes in (6, 18):
        out = subprocess.run([sys.executable, "-c", _PEAK, str(minutes), str(tmp_path / f"{minutes}.f32")],
                             capture_output=True, text=True, check=True)
        peaks[minutes] = int(out.stdout.strip().splitlines()[-1])
    assert peaks[18] - peaks[6] < 40, peaks
    assert list(tmp_path.iterdir()) == []


def test_file_source_pickles_by_path(tmp_path):
    import pickle

    p = tmp_path / "x.f32"
    np.arange(10, dtype="<f4").tofile(p)
    src = FileSource(p, owned=True)
    copy = pickle.loads(pickle.dumps(src))
    np.testing.assert_array_equal(copy.read_samples(2, 5), [2, 3, 4])
    copy.close()
    assert p.exists()  # only the owner deletes
    src.close()
    assert not p.exists()


def test_a_pcm_file_cut_short_under_a_source_is_an_error_not_fewer_samples(tmp_path):
    from subpipe.errors import MediaError

    p = tmp_path / "x.f32"
    np.arange(10, dtype="<f4").tofile(p)
    src = FileSource(p)
    np.testing.assert_array_equal(src.read_samples(8, 10), [8, 9])
    with open(p, "r+b") as f:
        f.truncate(6 * 4)  # the disk filled, someone cleaned the temp folder...
    with pytest.raises(MediaError, match="cut short"):
        src.read_samples(4, 10)
    np.testing.assert_array_equal(src.read_samples(20, 30), [])  # past the end it knew: nothing asked of the file
    src.close()


def test_stale_pcm_of_a_dead_run_is_swept(tone_file, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    stale = tmp_path / f".subpipe-pcm.{dead}.abc.f32"
    stale.write_bytes(b"\0" * 8)
    audio = media.open_audio(tone_file, stream_min_ms=0, temp_dir=tmp_path)
    assert not stale.exists()
    audio.close()


def test_batch_size_by_device_unless_given():
    from subpipe.asr.longform import batch_size
    from subpipe.asr.transcribe import TranscribeOptions

    assert batch_size(TranscribeOptions(), "cpu") == 2
    assert batch_size(TranscribeOptions(), "cuda") == 8
    assert batch_size(TranscribeOptions(batch_size=6), "cpu") == 6
    assert TranscribeOptions().batched_beam_size == 1 and TranscribeOptions().beam_size == 5


def test_speaker_features_of_a_pcm_source_equal_the_array_ones(tmp_path):
    """Speaker labelling reads a long input block by block (diarize.log_mel over a FileSource): the same
    features bit for bit as over the whole array, without loading the soundtrack."""
    from subpipe.speakers.diarize import log_mel

    x = np.random.default_rng(3).normal(0, 0.1, 16000 * 50 + 77).astype(np.float32)
    p = tmp_path / "x.f32"
    x.astype("<f4").tofile(p)
    with FileSource(p) as src:
        np.testing.assert_array_equal(log_mel(src), log_mel(x))
    np.testing.assert_array_equal(log_mel(ArraySource(x[:300])), log_mel(x[:300]))


def test_decoder_buffers_are_reused_not_mapped_again():
    """tune_process (one_arena) + decoding(): a thread that allocates and frees a buffer larger than a thread
    arena's heap (as CTranslate2's replicas do with the encoder attention, 72 MiB a window) gets it back from
    the heap instead of a fresh mmap that is zero-filled page by page (page faults, kernel time)."""
    script = textwrap.dedent("""
        import ctypes, resource, threading
        from subpipe.audio.source import decoding, tune_process

        tune_process()  # one arena before any thread starts; the heap modes on

        libc = ctypes.CDLL("libc.so.6")
        libc.malloc.restype = ctypes.c_void_p
        libc.free.argtypes = [ctypes.c_void_p]
        libc.prctl(41, 1, 0, 0, 0)  # PR_SET_THP_DISABLE: 4 KiB pages whatever the machine's THP setting

        def churn(out):  # plain malloc, as CTranslate2 allocates (numpy asks for huge pages itself)
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for _ in range(12):
                p = libc.malloc(80 << 20)  # 80 MiB, every page touched
                ctypes.memset(p, 1, 80 << 20)
                libc.free(p)
            out.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)

        def in_thread():
            out = []
            t = threading.Thread(target=churn, args=(out,))
            t.start(); t.join()
            return out[0]

        plain = in_thread()
        with decoding():
            reused = in_thread()
        after = in_thread()  # the heap as it was: fresh mappings again
        print(plain, reused, after)
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    plain, reused, after = map(int, res.stdout.split())
    pages = 12 * (80 << 20) // 4096
    assert plain > pages // 2  # every buffer mapped and faulted in again
    assert reused < pages // 6  # the first one only
    assert after > pages // 2


def test_a_source_computes_each_feature_once_and_a_failed_prefetch_raises_where_used():
    """``memoised`` runs a function once per source, whether a prefetch started it or not; an array is not
    memoised; a prefetch that failed raises where its value is asked for."""
    from subpipe.audio.source import memoised

    calls = []

    def feature(source):
        calls.append(source)
        return len(calls)

    src = ArraySource(np.zeros(16_000, dtype=np.float32))
    src.prefetch(feature)
    assert memoised(src, feature) == 1 and memoised(src, feature) == 1 and len(calls) == 1
    samples = np.zeros(160, dtype=np.float32)
    assert memoised(samples, feature) == 2 and memoised(samples, feature) == 3  # arrays: computed each time

    def broken(source):
        raise ValueError("no features")

    src.prefetch(broken)
    with pytest.raises(ValueError, match="no features"):
        memoised(src, broken)


_HELD = textwrap.dedent("""
    import threading
    import numpy as np
    import subpipe
    subpipe.tune_process()  # the heap modes act only in a tuned process (the CLI's)
    from subpipe.audio import source as s

    src = s.ArraySource(np.zeros(16000 * 4, dtype=np.float32))
    started, first = threading.Event(), threading.Event()

    def feature(x):
        started.set()
        x.read_samples(0, 16000)
        first.set()
        return sum(len(x.read_samples(a, a + 16000)) for a in range(16000, x.n_samples, 16000))

    s.decoder_heap()  # Whisper decodes
    src.prefetch(feature)
    assert started.wait(60)
    held = not first.wait(1.0)  # it waits at its read while the decoder holds the heap
    s.bound_heap()  # decoding done: it goes on
    print(held, src.memo(feature))

    def other(x):
        started2.set()
        return len(x.read_samples(0, 16000))

    started2 = threading.Event()
    s.decoder_heap()
    src.prefetch(other)
    assert started2.wait(60)
    print(src.memo(other))  # asked for while the decoder holds the heap: let go, no deadlock
    s.bound_heap()
""")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux")
def test_a_prefetch_waits_while_whisper_decodes_and_goes_on_when_asked_for():
    """On a loaded machine the lowest-priority prefetch threads ran on through the decoding and their blocks in
    the decoder's heap took a 30-minute input's peak from 809 to 1,100 MiB: they wait at their next read while
    the decoder holds the heap, and go on when it is done or when their value is asked for."""
    out = subprocess.run([sys.executable, "-c", _HELD], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", str(16000 * 3), "16000"]
