"""Batch runs: many media files, one report, resumable, on one machine or a Ray cluster.

The driver plans every file (probe, hash, find checkpoints), hands the files that still need
transcription to an executor, and finishes each result itself (atomic writes, one SQLite transaction per
file), so outputs and the quote index are only ever written from one place.

Executors:
- ``local`` with one worker: this process; the next file's audio is decoded while the current one is
  transcribed.
- ``local`` with ``-j N``: N worker processes, each loading the model once.
- ``ray``: one Ray actor per worker with the model resident (``num_gpus=1`` each on CUDA); the driver
  decodes audio and ships samples through Ray's object store, so workers need no shared file system.
  A long file can also be split across the actors (``split``; raysplit.py): the driver plans its windows and
  the actors decode blocks of them, so one 60-minute file keeps every actor busy; same words as a local run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._version import __version__
from ..asr.engine import BATCHED_MIN_MS
from ..asr.transcribe import Progress
from ..audio import media as media_mod
from ..errors import SubpipeError, TranscriptionError
from ..formats import transcript_json as tj
from ..fsio import atomic_write_text, ensure_writable_dir, sweep_stale_parts
from .manifest import MANIFEST_EXTENSIONS, Item, collect, read_manifest  # noqa: F401 (batch's names since 0.1)
from .pipeline import (
    FileResult,
    HashCache,
    Plan,
    TranscribeJob,
    decode,
    finish,
    plan,
    transcribe_job,
)

log = logging.getLogger("subpipe")

# ------------------------------------------------------------------ events and report
@dataclass
class Totals:
    files: int = 0
    files_done: int = 0
    audio_ms: int = 0
    audio_done_ms: int = 0
    started: float = field(default_factory=time.perf_counter)

    def eta_s(self) -> float | None:
        elapsed = time.perf_counter() - self.started
        if not self.audio_done_ms or self.audio_done_ms >= self.audio_ms:
            return None
        return elapsed * (self.audio_ms - self.audio_done_ms) / self.audio_done_ms


Listener = Callable[[str, FileResult | None, Totals], None]  # ("planned" | "done", result, totals)


@dataclass
class BatchReport:
    results: list[FileResult]
    totals: Totals
    executor: str
    workers: int
    wall_s: float
    first_output_s: float | None
    peak_rss_mb: float
    interrupted: bool = False
    report_error: SubpipeError | None = None  # the final run report could not be written
    threads: int = 0  # CPU threads per worker (0: CTranslate2's default)
    plan: dict[str, Any] = field(default_factory=dict)  # how workers were chosen; which files were split

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if not r.ok]

    def to_dict(self) -> dict[str, Any]:
        audio_s = sum(r.duration_ms for r in self.results if r.ok) / 1000
        return {
            "subpipe": __version__,
            "executor": self.executor,
            "workers": self.workers,
            "threads": self.threads,
            "plan": self.plan,
            "interrupted": self.interrupted,
            "files": len(self.results),
            "ok": sum(r.ok for r in self.results),
            "failed": len(self.failed),
            "wall_s": round(self.wall_s, 3),
            "audio_s": round(audio_s, 3),
            "audio_s_per_wall_s": round(audio_s / self.wall_s, 2) if self.wall_s else None,
            "first_output_s": round(self.first_output_s, 3) if self.first_output_s is not None else None,
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "results": [r.to_dict() for r in self.results],
        }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def auto_workers(device: str, cores: int | None = None) -> tuple[int, int]:
    """(workers, threads per worker) for a machine. On a CPU, CTranslate2 scales poorly across threads for
    short clips while workers scale almost linearly: on 2 cores, 2 workers x 1 thread ran 1.8x faster than
    1 x 2 (bench/results/batch.md). Larger machines get 2-thread workers (not measured here). One GPU: 1."""
    if device == "cuda":
        return 1, 0
    if cores is None:
        from ..audio.source import usable_cores

        cores = usable_cores()
    if cores <= 4:
        return max(1, cores), 1
    return cores // 2, 2


# Long files with -j auto (issue 12; bench/bench_batch_long.py, bench/results/batch.md "Long files"). A worker
# on a long file decodes on DECODER_REPLICAS (2) CTranslate2 replicas, one thread each, so one worker per pair of
# cores keeps them busy. Measured on 2 cores, 2 x 12-minute files, quiet machine (2026-12-02): 1 worker x 2
# threads 113.1 s, 1.67 cores busy, 866 MiB summed; 2 workers x 1 thread 103.3 s, 1.83 cores, 1,615 MiB. Two
# workers buy 9 % for 1.9x the memory; the rule is both cores busy without doubling memory, so -j auto
# plans one worker per pair of cores on long files (-j 2 --threads 1 remains for whoever has the memory), and
# fewer when they do not fit in memory at LONG_WORKER_MB each (bounded, not growing with the length).
LONG_FILE_MS = BATCHED_MIN_MS["cpu"]  # from here on a file is decoded in batches
LONG_SHARE = 0.5  # the long files' share of the audio from which the long-file plan applies
LONG_WORKER_MB = 1000  # peak RSS of a 2-thread worker on long files: 679-886 MiB measured (long.md), plus a margin
MEMORY_SHARE = 0.8  # of the memory available when the batch starts


def available_mb() -> float | None:
    """MemAvailable from /proc/meminfo (Linux), in MiB; None elsewhere."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def plan_workers(durations_ms: Sequence[int], workers: int, threads: int, device: str,
                 cores: int | None = None, memory_mb: float | None = None) -> tuple[int, int, str]:
    """``-j auto`` once the files are known: (workers, threads per worker, why).

    Short files, or a GPU: ``auto_workers``'s choice stands. Long files (``LONG_FILE_MS`` or more making up
    ``LONG_SHARE`` of the audio) on a CPU: as many of those workers as fit in ``MEMORY_SHARE`` of the
    available memory at ``LONG_WORKER_MB`` each, the cores shared out among them.
    """
    if cores is None:
        from ..audio.source import usable_cores

        cores = usable_cores()
    total = sum(durations_ms)
    long_ms = sum(d for d in durations_ms if d >= LONG_FILE_MS)
    same = f"{workers} worker(s) x {threads or 'default'} thread(s) (auto_workers: {device}, {cores} core(s))"
    if device != "cpu" or not total or long_ms < LONG_SHARE * total:
        return workers, threads, same
    if memory_mb is None:
        memory_mb = available_mb()
    what = f"long files ({long_ms / 60000:.1f} of {total / 60000:.1f} min of audio in files of 3+ min)"
    if memory_mb is None:
        return workers, threads, f"{same}; {what}; available memory unknown"
    from ..asr.engine import DECODER_REPLICAS

    pairs = max(1, cores // DECODER_REPLICAS["cpu"])  # one worker per pair of cores (its decoder replicas)
    fit = max(1, int(memory_mb * MEMORY_SHARE // LONG_WORKER_MB))
    if workers > pairs and pairs <= fit:
        each = max(1, cores // pairs)
        return pairs, each, (f"{pairs} worker(s) x {each} thread(s): {what}; one worker per "
                             f"{DECODER_REPLICAS['cpu']} cores (its decoder replicas), {memory_mb:.0f} MiB "
                             f"available fits {fit} worker(s)")
    if workers <= fit:
        return workers, threads, (f"{same}; {what}: {memory_mb:.0f} MiB available fits {fit} worker(s) of "
                                  f"~{LONG_WORKER_MB} MiB")
    return fit, max(1, cores // fit), (f"{fit} worker(s) x {max(1, cores // fit)} thread(s): {what}; "
                                       f"{memory_mb:.0f} MiB available fits {fit} worker(s) of ~{LONG_WORKER_MB} "
                                       f"MiB, not {workers}")


def _device_of(job: TranscribeJob) -> str:
    from ..asr.transcribe import resolve_device

    t = job.options.transcribe
    return resolve_device(t.device, t.compute_type)[0]


# ------------------------------------------------------------------ executors
Work = tuple[Plan, TranscribeJob]
Outcome = tuple[str, dict[str, Any] | None, float, SubpipeError | None, float]  # key, data, secs, err, rss


def _serial(work: Sequence[Work], progress: Progress | None = None) -> Iterator[Outcome]:
    """In this process; the next file's audio is decoded while the current one is transcribed."""
    if not work:
        return

    with ThreadPoolExecutor(1, thread_name_prefix="subpipe-decode") as pool:
        nxt: Future = pool.submit(decode, work[0][0])
        for k, w in enumerate(work):
            fut = nxt
            if k + 1 < len(work):
                nxt = pool.submit(decode, work[k + 1][0])
            try:
                audio = fut.result()
                data, secs = transcribe_job(w[1], progress=progress, audio=audio)
                yield w[1].key, data, secs, None, _peak_rss_mb()
            except Exception as exc:
                yield w[1].key, None, 0.0, _as_error(exc, w[1].media), _peak_rss_mb()


def _process_worker_init(threads: int) -> None:
    from ..audio.source import tune_process

    tune_process()  # before the worker starts a thread (it imports the decoder only later)
    if threads > 0:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the driver dies (kill -9 included), so no orphan keeps a core busy."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: orphans finish their file and exit on the closed pipe
        pass


def _as_error(exc: BaseException, media: str) -> SubpipeError:
    """Any failure of one file, as the SubpipeError its report row shows (never a traceback for the batch)."""
    if isinstance(exc, SubpipeError):
        return exc
    return TranscriptionError(f"failed: {type(exc).__name__}: {exc}", path=media)


def _process_worker(job: TranscribeJob) -> Outcome:
    try:
        data, secs = transcribe_job(job)
        return job.key, data, secs, None, _peak_rss_mb()
    except Exception as exc:
        return job.key, None, 0.0, _as_error(exc, job.media), _peak_rss_mb()


def _processes(work: Sequence[Work], workers: int, threads: int) -> Iterator[Outcome]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = mp.get_context("spawn")  # no forked CTranslate2 state
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_process_worker_init, initargs=(threads,))
    try:
        futures = {pool.submit(_process_worker, w[1]): w[1] for w in work}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:  # the worker died (out of memory, killed): that file fails, the rest go on
                job = futures[fut]
                yield job.key, None, 0.0, _as_error(exc, job.media), 0.0
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C / SIGTERM: stop now, finished files are kept
        raise
    pool.shutdown(wait=True)


def _ray(work: Sequence[Work], workers: int, threads: int, address: str | None, split: str = "off",
         split_info: dict[str, Any] | None = None) -> Iterator[Outcome]:
    """One file per actor task; the files ``raysplit.should_split`` picks are split across all the actors
    instead (``split_info`` gets, per split file, how many blocks went to which actor)."""
    if not work:
        return
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise SubpipeError("the Ray executor needs Ray", hint="pip install 'subpipe[ray]'") from None
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
        if address:
            kwargs["address"] = address
        else:
            kwargs["num_cpus"] = max(workers * max(threads, 1), os.cpu_count() or 1)
        ray.init(**kwargs)
    gpu = any(w[1].options.transcribe.device == "cuda" for w in work)

    @ray.remote
    class Transcriber:
        """A resident model: loaded once per actor, reused for every file it gets."""

        def __init__(self) -> None:
            from ..audio.source import tune_process

            tune_process()  # the heap modes; the arena limit comes from MALLOC_ARENA_MAX below

        def fail(self, key: str, exc: SubpipeError):
            return key, None, 0.0, exc, _peak_rss_mb()

        def run(self, job: TranscribeJob, audio: media_mod.Audio):
            try:
                data, secs = transcribe_job(job, audio=audio)
                return job.key, data, secs, None, _peak_rss_mb()
            except Exception as exc:
                return job.key, None, 0.0, _as_error(exc, job.media), _peak_rss_mb()

        def decode_block(self, spec, group, audio):  # one block of a split file's windows (raysplit.py)
            from .raysplit import decode_block

            return decode_block(spec, group, audio)

    # one malloc arena in the actors (audio.source.one_arena): Ray's own threads start before ours, so only the
    # environment at the worker's start can set it
    actor_opts: dict[str, Any] = {"num_cpus": max(threads, 1),
                                  "runtime_env": {"env_vars": {"MALLOC_ARENA_MAX": "1"}}}
    from ..asr.engine import choose_engine
    from .raysplit import should_split

    def engine_of(w: Work) -> str:
        return choose_engine(w[1].options.transcribe.engine, w[0].info.duration_ms, _device_of(w[1]))

    to_split = {w[1].key for w in work
                if should_split(split, w[0].info.duration_ms, engine_of(w), len(work), workers)}
    n_actors = max(1, min(workers, len(work) if not to_split else workers))
    if gpu:
        actor_opts["num_gpus"] = 1
        gpus = int(ray.cluster_resources().get("GPU", 0))
        if gpus < 1:
            raise SubpipeError("--device cuda with Ray, but the cluster has no GPU", hint="use --device cpu or auto")
        n_actors = min(n_actors, gpus)  # an actor that can never be scheduled would wait for ever
    actors = [Transcriber.options(**actor_opts).remote() for _ in range(n_actors)]  # type: ignore[attr-defined]
    pool = ActorPool(actors)

    def submit(actor, w: Work):
        p, job = w
        try:  # decoded here, so workers need no access to the media files
            audio = decode(p, in_memory=True)  # shipped to the actor: samples, not a temp file's path
        except SubpipeError as exc:
            return actor.fail.remote(job.key, exc)
        return actor.run.remote(job, audio)

    # map_unordered keeps every actor busy; results come back to the driver, which writes them.
    whole = [w for w in work if w[1].key not in to_split]
    if whole:
        yield from pool.map_unordered(submit, whole)
    for p, job in (w for w in work if w[1].key in to_split):
        yield _split_file(p, job, actors, split_info)


def _split_file(p: Plan, job: TranscribeJob, actors: list, split_info: dict[str, Any] | None) -> Outcome:
    """One file transcribed here with its blocks of windows decoded on the actors (raysplit.py)."""
    from .raysplit import ActorRunner, running_on

    runner = ActorRunner(actors)
    try:
        audio = decode(p)  # a long input is streamed from a PCM temp file, read by window
        with running_on(runner):
            data, secs = transcribe_job(job, audio=audio)
    except Exception as exc:
        return job.key, None, 0.0, _as_error(exc, job.media), _peak_rss_mb()
    if split_info is not None:
        split_info[job.key] = runner.summary()
    log.info("%s: %d block(s) of windows decoded on %d actor(s)", job.media, runner.blocks, len(actors))
    return job.key, data, secs, None, _peak_rss_mb()


# ------------------------------------------------------------------ the batch
def run(
    items: Sequence[Item],
    out_root: Path,
    *,
    db: Path | None,
    executor: str = "local",
    workers: int = 1,
    threads: int = 0,
    ray_address: str | None = None,
    report_path: Path | None = None,
    listener: Listener | None = None,
    progress: Progress | None = None,
    split: str = "auto",
    auto_jobs: bool = False,
) -> BatchReport:
    """Process every item; a bad file is reported and never stops the others. Safe to kill and rerun.

    ``split`` (Ray only; raysplit.py): auto | on | off, whether a long file is split across the actors.
    ``auto_jobs``: ``workers``/``threads`` came from ``auto_workers``; once the files are planned,
    ``plan_workers`` may change them for long files (the choice is recorded in the report's ``plan``).
    One run at a time per output folder (``outdirs.run_lock``: a second is refused); a file whose output
    folder holds another file's outputs gets the next free name (``outdirs.assign``, with a note).
    """
    from . import outdirs

    ensure_writable_dir(out_root)
    with outdirs.run_lock(out_root):
        return _run(outdirs.assign(items, out_root), out_root, db=db, executor=executor, workers=workers,
                    threads=threads, ray_address=ray_address, report_path=report_path, listener=listener,
                    progress=progress, split=split, auto_jobs=auto_jobs)


def _run(items: Sequence[Item], out_root: Path, *, db: Path | None, executor: str, workers: int, threads: int,
         ray_address: str | None, report_path: Path | None, listener: Listener | None, progress: Progress | None,
         split: str, auto_jobs: bool) -> BatchReport:
    t0 = time.perf_counter()
    for folder in (out_root, out_root / ".subpipe"):  # a killed run's temp report, index or hash cache
        for gone in sweep_stale_parts(folder):
            log.info("removed a killed run's temp file %s", gone)
    hashes = HashCache(out_root / ".subpipe" / "media-sha256.json")
    totals = Totals(files=len(items))
    results: dict[int, FileResult] = {}
    plans: dict[int, Plan] = {}
    first_output: list[float] = []
    peak = [_peak_rss_mb()]
    run_plan: dict[str, Any] = {}
    split_info: dict[str, Any] = {}

    def record(idx: int, res: FileResult) -> None:
        res.notes = list(items[idx].notes) + res.notes  # what collecting decided (a duplicate, a folder name)
        results[idx] = res
        if not res.ok:  # a failed file leaves no empty output folder behind
            folder = plans[idx].folder if idx in plans else None
            if folder is not None:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty
        totals.files_done += 1
        totals.audio_done_ms += res.duration_ms if res.ok else 0
        if res.ok and not first_output:
            first_output.append(time.perf_counter() - t0)
        if listener:
            listener("done", res, totals)
        if report_path:
            _write_report(report_path, _report())

    def _report(interrupted: bool = False) -> BatchReport:
        ordered = [results[k] for k in sorted(results)]
        if split_info:
            run_plan["split"] = {k: dict(v) for k, v in sorted(split_info.items())}
        return BatchReport(ordered, totals, executor, workers, time.perf_counter() - t0,
                           first_output[0] if first_output else None, max(peak), interrupted,
                           threads=threads, plan=dict(run_plan))

    work: list[tuple[int, Work]] = []
    try:
        for idx, item in enumerate(items):
            opts = item.options
            if threads and opts.transcribe.cpu_threads != threads:
                opts = replace(opts, transcribe=replace(opts.transcribe, cpu_threads=threads))
            try:
                p = plan(item.media, out_root, opts, name=item.name or None, hashes=hashes)
            except SubpipeError as exc:
                record(idx, FileResult(media=item.media, ok=False, name=item.name, error=exc))
                continue
            plans[idx] = p
            totals.audio_ms += p.info.duration_ms
            if p.transcript is not None:
                continue
            work.append((idx, (p, TranscribeJob(str(p.media), p.media_sha, opts, key=p.name))))
        if listener:
            listener("planned", None, totals)
        # files whose transcript is already there: finish them first (fast), then transcribe the rest
        for idx, p in plans.items():
            if p.transcript is not None:
                record(idx, _finish(p, p.transcript, out_root, db, False, 0.0))
        if work:  # assemble and verify the model once here, not in every worker at the same time
            from ..asr.models import resolve

            for m_name in sorted({w[1].options.transcribe.model for _, w in work}):
                try:
                    resolve(m_name)
                except SubpipeError:
                    pass  # each file reports it
        index_of = {w[1].key: idx for idx, w in work}
        if auto_jobs and work and executor == "local":
            workers, threads, why = plan_workers([w[0].info.duration_ms for _, w in work], workers, threads,
                                                 _device_of(work[0][1][1]))
            run_plan["workers"] = why
            if threads:
                work = [(i, (p, replace(j, options=replace(j.options, transcribe=replace(
                    j.options.transcribe, cpu_threads=threads))))) for i, (p, j) in work]
        if executor == "ray":
            outcomes = _ray([w for _, w in work], workers, threads, ray_address, split, split_info)
        elif workers > 1 and len(work) > 1:
            outcomes = _processes([w for _, w in work], workers, threads)
        else:
            outcomes = _serial([w for _, w in work], progress)
        for key, data, secs, err, rss in outcomes:
            peak.append(rss)
            idx = index_of[key]
            p = plans[idx]
            if err is not None or data is None:
                record(idx, FileResult(media=p.media, ok=False, name=p.name, duration_ms=0, error=err))
                continue
            record(idx, _finish(plans[idx], tj.from_dict(data), out_root, db, True, secs))
    except KeyboardInterrupt:
        rep = _report(interrupted=True)
        if report_path:
            _write_report(report_path, rep)
        raise
    rep = _report()
    if report_path:
        rep.report_error = _write_report(report_path, rep)
    return rep


def _finish(p: Plan, transcript, out_root: Path, db: Path | None, new: bool, secs: float) -> FileResult:
    t = time.perf_counter()
    try:
        res = finish(p, transcript, out_root, db=db, new_transcript=new, transcribe_s=secs)
        from .outdirs import claim

        claim(p.folder, p.name, p.media, p.media_sha)  # this folder is p.media's (outdirs.assign)
    except Exception as exc:  # e.g. a locked quote index: this file fails, the batch goes on
        return FileResult(media=p.media, ok=False, name=p.name, error=_as_error(exc, str(p.media)))
    res.elapsed_s = secs + (time.perf_counter() - t)
    return res


def _write_report(path: Path, rep: BatchReport) -> SubpipeError | None:
    """Write the report; a failure (disk full) is returned, so the batch can say the report is missing."""
    try:
        atomic_write_text(path, json.dumps(rep.to_dict(), indent=1, ensure_ascii=False) + "\n")
    except SubpipeError as exc:
        log.warning("cannot write the run report: %s", exc)
        return exc
    return None
