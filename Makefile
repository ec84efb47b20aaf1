# subpipe: `make run` processes media/ into outputs/, `make test` runs the tests.
# Both set everything up themselves (virtual environment, packages, model weights, ffmpeg).
SHELL := /bin/bash
.DELETE_ON_ERROR:

VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.subpipe-installed
MEDIA ?= media
OUT ?= outputs
PYTEST_ARGS ?=
# extra bench/bench.py flags, e.g. BENCH_ARGS=--quick or BENCH_ARGS='--models base'
BENCH_ARGS ?=

.PHONY: help setup ffmpeg run test test-slow test-all bench docs docs-check lint clean distclean

help:
	@echo "make run        process $(MEDIA)/ into $(OUT)/ (sets everything up first)"
	@echo "make test       run the test suite (sets everything up first)"
	@echo "make test-slow  the slow suites too"
	@echo "make bench      measure WER and speed against raw faster-whisper; writes BENCHMARKS.md"
	@echo "                (BENCH_ARGS=--quick: jfk + librispeech only)"
	@echo "make docs       regenerate docs/cli.md from --help"
	@echo "make lint       ruff"
	@echo "make clean      remove outputs"

$(STAMP): pyproject.toml scripts/bootstrap.sh
	scripts/bootstrap.sh $(VENV) $(PYTHON)
	touch $@

ffmpeg:
	@scripts/ensure-ffmpeg.sh

setup: $(STAMP) ffmpeg

run: setup
	$(BIN)/subpipe run $(MEDIA) -o $(OUT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: setup
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

test-all: setup
	$(PY) -m pytest -m "slow or not slow" $(PYTEST_ARGS)

bench: setup
	$(PY) bench/bench.py --out BENCHMARKS.md $(BENCH_ARGS)

docs: setup
	$(PY) scripts/gen_cli_docs.py > docs/cli.md

docs-check: setup
	$(PY) scripts/gen_cli_docs.py | diff -u docs/cli.md -

lint: setup
	$(BIN)/ruff check src tests bench scripts

clean:
	find $(OUT) -mindepth 1 ! -name README.md -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
