"""The rounds of the batched engine's decode, planned from the audio and the remainders alone (no model here).

Round 0 is the windows of the file in blocks of a batch. Whisper often stops early in a window; the speech after
its last word (a remainder) is decoded in the next round, the remainders packed into as few 30 s windows as hold
them (``pack_rests``, ``RestPacker``). ``Rounds`` plans those windows as the remainders come, so the replicas
decode a continuation block while the round before it still runs, and hands the decoded blocks back in their
planned order: whichever replica finishes first, the same blocks, so the same words. ``longform._batched``
drives it on this process's replicas or, one round at a time, through a ``BLOCK_RUNNER`` (Ray).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..timecode import SAMPLE_RATE
from .engine import DECODER_REPLICAS

CHUNK_S = 30  # Whisper's window
Segments = list[Any]  # one window's decoded segments (guards.Segment)

CONTINUE_ROUNDS = 2


class RestPacker:
    """``pack_rests`` one remainder at a time: ``add`` returns the windows it seals, ``flush`` the last one (the
    same windows, in the same order, as ``pack_rests`` over all of them)."""

    def __init__(self, max_samples: int = CHUNK_S * SAMPLE_RATE) -> None:
        self.max_samples = max_samples
        self.cur: list[dict] = []
        self.dur = 0

    def add(self, rest: list[dict]) -> list[list[dict]]:
        n = sum(r["end"] - r["start"] for r in rest)
        if self.cur and self.dur + n <= self.max_samples:
            self.cur = self.cur + rest
            self.dur += n
            return []
        sealed = [self.cur] if self.cur else []
        self.cur, self.dur = list(rest), n
        return sealed

    def flush(self) -> list[list[dict]]:
        sealed = [self.cur] if self.cur else []
        self.cur, self.dur = [], 0
        return sealed


def pack_rests(rests: list[list[dict]], max_samples: int = CHUNK_S * SAMPLE_RATE) -> list[list[dict]]:
    """The speech left after early stops, packed into as few windows as hold it (in order; a remainder never
    split): each window costs a whole 30 s encoder pass, however little it holds."""
    packer = RestPacker(max_samples)
    return [w for rest in rests for w in packer.add(rest)] + packer.flush()


def continuation_block(bs: int, device: str) -> int:
    """Windows per block in the continuation rounds. They are few (a handful of windows of remainders), so
    blocks of a whole batch left a replica idle (short12, bench/results/long.md: 6 s of one idle core of 35);
    ``bs`` shared out over the device's replicas keeps them all busy. A constant of the device, not of this
    machine's cores: the same blocks, so the same words, on any machine and executor."""
    return max(1, bs // DECODER_REPLICAS.get(device, 1))


Block = list[list[dict]]


class Rounds:
    """The blocks to decode, planned in order from the audio and the remainders alone. Round 0 is the windows
    in blocks of a batch; the remainders after early stops in round ``r`` (``done``, called for its blocks in
    order) are packed into the windows of round ``r + 1`` (``RestPacker``) as they come, so a continuation
    block can be decoded while round ``r`` still runs; its last window is sealed when round ``r`` is over.
    Whichever replica decodes a block and whenever, the blocks are the same: so are the words."""

    def __init__(self, first: list[Block], cont_block: int, rounds: int = CONTINUE_ROUNDS) -> None:
        self.rounds = rounds
        self.cont_block = cont_block
        self.ready: list[tuple[int, int, Block]] = [(0, i, g) for i, g in enumerate(first)]
        self.planned = [len(first)] + [0] * rounds
        self.handled = [0] * (rounds + 1)
        self.closed = [True] + [False] * rounds
        self.packers = [RestPacker() for _ in range(rounds + 1)]
        self.partial: list[Block] = [[] for _ in range(rounds + 1)]
        self._close(0)

    def pop(self) -> tuple[int, int, Block]:
        """The next block to decode: the earliest round first."""
        k = min(range(len(self.ready)), key=lambda j: self.ready[j][:2])
        return self.ready.pop(k)

    def _plan(self, r: int, windows: list[list[dict]], last: bool = False) -> None:
        for w in windows:
            self.partial[r].append(w)
            if len(self.partial[r]) == self.cont_block:
                self._emit(r)
        if last:
            self._emit(r)

    def _emit(self, r: int) -> None:
        if self.partial[r]:
            self.ready.append((r, self.planned[r], self.partial[r]))
            self.planned[r] += 1
            self.partial[r] = []

    def _close(self, r: int) -> None:
        while r < self.rounds and self.closed[r] and self.handled[r] == self.planned[r] and not self.closed[r + 1]:
            self._plan(r + 1, self.packers[r + 1].flush(), last=True)
            self.closed[r + 1] = True
            r += 1

    def take(self, results: dict[tuple[int, int], tuple[Block, list[Segments]]],
             handle: Callable[[int, int, Block, list[Segments]], list[list[dict]]]) -> None:
        """Hands ``handle`` every decoded block of ``results`` that is next in its round (in order), and plans
        the next round from the remainders it returns."""
        for r in range(self.rounds + 1):
            while (r, self.handled[r]) in results:
                group, decoded = results.pop((r, self.handled[r]))
                rests = handle(r, self.handled[r], group, decoded)
                self.handled[r] += 1
                if r < self.rounds:
                    for rest in rests:
                        self._plan(r + 1, self.packers[r + 1].add(rest))
                self._close(r)


def by_round(rounds: Rounds, run: Callable[[list[Block]], Iterator[list[Segments]]],
              handle: Callable[[int, int, Block, list[Segments]], list[list[dict]]]) -> None:
    """Every ready block to ``run`` at once (a ``BLOCK_RUNNER``: one round at a time), in order."""
    while rounds.ready:
        todo = sorted(rounds.ready, key=lambda t: t[:2])
        rounds.ready.clear()
        results = {(r, i): (g, d) for (r, i, g), d in zip(todo, run([g for _, _, g in todo]), strict=True)}
        rounds.take(results, handle)
