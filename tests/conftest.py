"""Shared fixtures: the real speech in ../shared/data, media made with real ffmpeg, one model load."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Property tests draw the same examples on every run (derandomized): a run cannot fail by chance. To explore new
# examples, HYPOTHESIS_PROFILE=explore (random, and a failure it finds is kept in .hypothesis/ to replay).
settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


def missing(reason: str):
    """Something a test needs is not here: a skip on a workstation, a FAILURE in CI (CI=true), so a CI run
    can never pass by skipping what it was meant to test."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: missing test requirements fail the run)", pytrace=False)
    pytest.skip(reason)


def needs(module: str, reason: str | None = None):
    """``pytest.importorskip`` that fails in CI."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        missing(reason or f"{module} is not installed")


def shared(rel: str) -> Path:
    """A file in ../shared/data; when it is absent, skip (fail in CI) with a reason."""
    p = SHARED_DATA / rel
    if not p.exists():
        missing(f"real-speech data not found: {p} (../shared/data is absent)")
    return p


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        missing(f"real-speech data not found: {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    from subpipe.audio.media import ffmpeg_exe

    return ffmpeg_exe()


def run_ffmpeg(ffmpeg: str, *args: str) -> None:
    """Make test media with the real ffmpeg (lavfi sources)."""
    subprocess.run([ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


# Transcripts the tests share, cached on disk across sessions and xdist workers, keyed by the model's SHA-256, the
# audio's bytes, every transcription option and the source code of subpipe itself: the same key can only ever hold
# the same transcript (the engine is deterministic, tests/test_nothing_lost.py), and any change to the code makes new
# keys. SUBPIPE_TEST_CACHE moves the folder; deleting it is always safe.
TRANSCRIPT_CACHE = Path(os.environ.get("SUBPIPE_TEST_CACHE", ROOT / ".cache" / "test-transcripts"))


def _source_digest() -> str:
    import hashlib

    import subpipe

    h = hashlib.sha256()
    src = Path(subpipe.__file__).parent
    for p in sorted(src.rglob("*.py")):
        h.update(str(p.relative_to(src)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


_SOURCE: str | None = None


def transcribe_cached(samples, options):
    """``transcribe_audio(samples, options)``, computed once per key; concurrent workers wait on a file lock."""
    import fcntl
    import hashlib
    import json

    from subpipe.asr.models import resolve
    from subpipe.asr.transcribe import transcribe_audio
    from subpipe.formats import transcript_json as tj
    from subpipe.fsio import atomic_write_text

    global _SOURCE
    if _SOURCE is None:
        _SOURCE = _source_digest()
    h = hashlib.sha256(_SOURCE.encode())
    h.update(resolve(options.model).sha256.encode())
    h.update(json.dumps(options.provenance(), sort_keys=True, default=str).encode())
    h.update(samples.astype("<f4").tobytes())
    TRANSCRIPT_CACHE.mkdir(parents=True, exist_ok=True)
    path = TRANSCRIPT_CACHE / f"{h.hexdigest()}.json"
    with open(TRANSCRIPT_CACHE / f"{h.hexdigest()}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this worker dies
        if path.exists():
            return tj.loads(path.read_text(encoding="utf-8"))
        t = transcribe_audio(samples, options)
        atomic_write_text(path, tj.dumps(t))
        return tj.loads(tj.dumps(t))  # what a cache hit gives, so a first run and a rerun see the same object


@pytest.fixture(scope="session")
def jfk_transcript(tmp_path_factory):
    """The JFK clip transcribed with `base` (the default model), once (transcribe_cached)."""
    from subpipe.asr.transcribe import TranscribeOptions
    from subpipe.audio import media

    src = shared("jfk/jfk.flac")
    audio = media.extract_audio(src)
    return transcribe_cached(audio.samples, TranscribeOptions(model="base"))


# The rule tests: no Whisper model, no media decoding, no browser. Every other module's tests are marked `model`,
# so `make test-fast` (-m "not model and not slow") is the edit loop; `make test` runs everything.
RULE_MODULES = frozenset({
    "test_align_rules.py", "test_bench.py", "test_docs.py", "test_extras.py", "test_formats_golden.py",
    "test_formats_markup.py", "test_formats_pysrt.py", "test_formats_readers.py", "test_formats_roundtrip.py",
    "test_formats_scc.py", "test_frame_rule.py", "test_pipeline_units.py", "test_quotes_rank.py", "test_regroup.py",
    "test_rules_check.py", "test_rules_properties.py", "test_rules_units.py", "test_timecode.py",
    "test_trailer_guards.py", "test_wild_corpus.py", "test_fix_scale.py", "test_format_limits.py",
    "test_scc_start_tc.py", "test_timing_edges.py",
})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name not in RULE_MODULES:
            item.add_marker(pytest.mark.model)
    try:
        import ctranslate2

        has_gpu = ctranslate2.get_cuda_device_count() > 0
    except Exception:
        has_gpu = False
    if not has_gpu:
        skip = pytest.mark.skip(reason="no CUDA device on this machine")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def mandarin_transcript():
    """One AISHELL-1 utterance (BAC009) transcribed once per session with `base`, language zh."""
    from subpipe.asr.transcribe import TranscribeOptions
    from subpipe.audio import media

    src = shared("mandarin/BAC009S0724W0121.wav")
    audio = media.extract_audio(src)
    return transcribe_cached(audio.samples, TranscribeOptions(model="base", language="zh"))


@pytest.fixture(scope="session")
def wild_corpus() -> Path:
    """../shared/data/subtitles_wild (issue 13): skipped with a reason when absent, but a failure in CI
    (CI=true), where the data must be there."""
    p = SHARED_DATA / "subtitles_wild"
    if not p.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"subtitles_wild corpus not found: {p} (CI=true needs ../shared/data)")
        pytest.skip(f"subtitles_wild corpus not found: {p} (../shared/data is absent)")
    return p


def write_wav(path: Path, samples) -> Path:
    """16 kHz mono 16-bit WAV from float samples in [-1, 1] (clipped)."""
    import wave

    import numpy as np

    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@contextlib.contextmanager
def served(app):
    """An ASGI app served by uvicorn on a free 127.0.0.1 port in a thread: yields its URL once uvicorn has
    started (an Event, no polling), stops it after."""
    import socket
    import threading

    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="off")
    ready = threading.Event()

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            ready.set()  # the socket is being served

    srv = Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        if not ready.wait(60):
            pytest.fail("the web server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def chromium(window_size: str = "1200,800"):
    """Debian's headless chromium through selenium (nothing downloaded); absent or unable to start: a skip on a
    workstation, a failure in CI."""
    import shutil

    browser = os.environ.get("SUBPIPE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("SUBPIPE_CHROMEDRIVER") or shutil.which("chromedriver")
    if not (browser and driver):
        missing("no system chromium + chromedriver (scripts/ensure-browser.sh installs them)")
    needs("selenium", "selenium is not installed (the test extra)")
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must never fetch a browser or a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required", f"--window-size={window_size}"):
        opts.add_argument(arg)
    try:
        drv = webdriver.Chrome(options=opts, service=Service(executable_path=driver))
    except Exception as exc:  # in CI (CI=true) a browser that cannot start fails the run
        missing(f"chromium would not start: {str(exc).splitlines()[0]}")
    try:
        yield drv
    finally:
        drv.quit()
