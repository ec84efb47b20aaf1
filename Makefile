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

.PHONY: help setup ffmpeg browser bench-quotes run test test-slow test-all bench docs docs-check lint clean distclean

help:
	@echo "make run        process $(MEDIA)/ into $(OUT)/ (sets everything up first)"
	@echo "make test       run the test suite (sets everything up first)"
	@echo "make test-slow  the slow suites too"
	@echo "make bench      measure WER and speed against raw faster-whisper; writes BENCHMARKS.md"
	@echo "make bench-quotes  quote index: search latency on 1,000,000 utterances, build rate, size"
	@echo "make docs       regenerate docs/cli.md from --help"
	@echo "make lint       ruff"
	@echo "make clean      remove outputs"

$(STAMP): pyproject.toml scripts/bootstrap.sh
	scripts/bootstrap.sh $(VENV) $(PYTHON)
	touch $@

ffmpeg:
	@scripts/ensure-ffmpeg.sh

browser:
	@scripts/ensure-browser.sh

setup: $(STAMP) ffmpeg

run: setup
	$(BIN)/subpipe run $(MEDIA) -o $(OUT)

test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: setup
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

test-all: setup
	$(PY) -m pytest -m "slow or not slow" $(PYTEST_ARGS)

bench: setup
	$(PY) bench/bench.py --out BENCHMARKS.md

bench-quotes: setup
	$(PY) bench/bench_quotes.py --rows 1000000 --out bench/quotes.md

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
