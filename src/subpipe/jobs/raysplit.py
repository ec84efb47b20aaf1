"""One long file across Ray actors: its batched decoding split into blocks of windows, one actor per block.

The driver runs the whole transcription of the file as a local run does (``transcribe_audio``: VAD over
windows, the language, the window plan, the guards, the retries of failed windows, the music events), with
``longform.BLOCK_RUNNER`` set to a runner that sends each block of windows (``batch_size x BLOCK_BATCHES``
30 s windows, cut in pauses the VAD found) to the least busy actor, with the block's samples, and hands the
segments back in block order. Each actor decodes with its own resident model exactly the batch the local run
decodes, so the words and times (hence the SRT) are the same as a local run of the file: the plan is made from
the audio alone, never from how many actors there are. The same rounds follow (a window that stopped early is
continued in the next round, also on the actors); the few windows decoded again sequentially (a loop, low
confidence) are decoded on the driver, with its model.

Only the batched engine splits (``engine.choose_engine``: from 3 minutes on a CPU). A sequential decode
conditions each window on the text before it and stays in one process.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ..asr.engine import one_blas_thread
from ..asr.guards import Segment

log = logging.getLogger("subpipe")

SPLIT_MODES = ("auto", "on", "off")
# auto: split a file from this length on, when fewer files need transcribing than there are actors (with as
# many files as actors, one file per actor keeps them all busy and the driver does nothing but write).
SPLIT_MIN_MS = 10 * 60 * 1000
IN_FLIGHT_PER_ACTOR = 2  # one decoding, one queued: no actor waits for the driver, little audio in flight


class RegionSource:
    """The samples of some regions of a file (on the file's sample clock), as ``read_samples`` serves them."""

    def __init__(self, regions: Sequence[dict], audio: np.ndarray) -> None:
        self._at: dict[tuple[int, int], tuple[int, int]] = {}
        pos = 0
        for r in regions:
            n = r["end"] - r["start"]
            self._at[(r["start"], r["end"])] = (pos, pos + n)
            pos += n
        if pos != len(audio):
            raise ValueError(f"{len(audio)} samples for regions of {pos}")
        self._audio = audio

    def read_samples(self, a: int, b: int) -> np.ndarray:
        lo, hi = self._at[(a, b)]
        return self._audio[lo:hi]


def block_audio(source: Any, group: list[list[dict]]) -> np.ndarray:
    """The samples of a block's regions, concatenated in order (what the actor gets)."""
    flat = [r for w in group for r in w]
    parts = [source.read_samples(r["start"], r["end"]) for r in flat]
    return np.concatenate(parts).astype(np.float32, copy=False) if parts else np.zeros(0, dtype=np.float32)


@one_blas_thread()
def decode_block(spec: Any, group: list[list[dict]], audio: np.ndarray) -> list[list[Segment]]:
    """On an actor: one block of windows with this process's model (loaded once, kept)."""
    from faster_whisper import BatchedInferencePipeline

    from ..asr.longform import _decode_block
    from ..asr.transcribe import load_model

    loaded = load_model(spec.options)
    src = RegionSource([r for w in group for r in w], audio)
    with loaded.lock:
        return _decode_block(BatchedInferencePipeline(loaded.whisper), src, group, spec.options, spec.lang,
                             spec.task, spec.duration_ms, spec.tag, spec.suppress, spec.batch_size)


class ActorRunner:
    """``longform.BLOCK_RUNNER`` over Ray actors that have a ``decode_block`` method."""

    def __init__(self, actors: Sequence[Any]) -> None:
        self.actors = list(actors)
        self.blocks = 0
        self.by_actor = [0] * len(self.actors)

    def __call__(self, source: Any, groups: list[list[list[dict]]], spec: Any) -> Iterator[list[list[Segment]]]:
        import ray

        load = [0] * len(self.actors)
        inflight: dict[Any, tuple[int, int]] = {}  # ref -> (block, actor)
        done: dict[int, list[list[Segment]]] = {}
        sent = nxt = 0
        try:
            while nxt < len(groups):
                while sent < len(groups) and min(load) < IN_FLIGHT_PER_ACTOR:
                    k = load.index(min(load))
                    ref = self.actors[k].decode_block.remote(spec, groups[sent], block_audio(source, groups[sent]))
                    inflight[ref] = (sent, k)
                    load[k] += 1
                    self.by_actor[k] += 1
                    sent += 1
                if nxt in done:
                    self.blocks += 1  # (counted here: the caller takes exactly len(groups) blocks)
                    yield done.pop(nxt)
                    nxt += 1
                    continue
                ready, _ = ray.wait(list(inflight), num_returns=1)
                for ref in ready:
                    b, k = inflight.pop(ref)
                    load[k] -= 1
                    done[b] = ray.get(ref)
        finally:
            for ref in inflight:  # the caller stopped early (an error): nothing keeps decoding for nobody
                with contextlib.suppress(Exception):
                    ray.cancel(ref)

    def summary(self) -> dict[str, Any]:
        return {"blocks": self.blocks, "actors": len(self.actors), "blocks_per_actor": list(self.by_actor)}


@contextlib.contextmanager
def running_on(runner: ActorRunner) -> Iterator[ActorRunner]:
    """Inside: every batched decode in this thread sends its blocks to ``runner``."""
    from ..asr.longform import BLOCK_RUNNER

    token = BLOCK_RUNNER.set(runner)
    try:
        yield runner
    finally:
        BLOCK_RUNNER.reset(token)


def should_split(mode: str, duration_ms: int, engine: str, files_to_transcribe: int, actors: int) -> bool:
    """Whether a file is split across the actors (``mode``: auto | on | off)."""
    if mode not in SPLIT_MODES:
        from ..errors import SubpipeError

        raise SubpipeError(f"unknown split mode {mode!r} (use {', '.join(SPLIT_MODES)})")
    if mode == "off" or engine != "batched":
        return False
    if mode == "on":
        return True
    return actors >= 2 and duration_ms >= SPLIT_MIN_MS and files_to_transcribe < actors


__all__ = ["SPLIT_MIN_MS", "SPLIT_MODES", "ActorRunner", "RegionSource", "decode_block", "running_on",
           "should_split"]
