"""The house's layout (issue 24): stage packages, no import loops, nothing done to the process on import."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "subpipe"


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for p in sorted(SRC.rglob("*.py")):
        parts = list(p.relative_to(SRC.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (p, is_pkg)
    return out


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import the module runs: at module level and inside functions (a deferred import that closes a
    loop is still a loop); those under ``if TYPE_CHECKING:`` never run."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            elif isinstance(child, ast.If) and _type_checking(child):
                for sub in child.orelse:
                    visit(sub)
            else:
                visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    """subpipe module -> the subpipe modules it imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    mods = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_pkg) in mods.items():
        pkg = name if is_pkg else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.split(".")[0] == "subpipe")
                continue
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "subpipe":
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                deps.add(sub if sub in mods else target)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop as a path a -> b -> ... -> a, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(v: str) -> list[str] | None:
        state[v] = 1
        stack.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                return stack[stack.index(w):] + [w]
            if w not in state:
                found = dfs(w)
                if found:
                    return found
        stack.pop()
        state[v] = 2
        return None

    for v in sorted(graph):
        if v not in state:
            found = dfs(v)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_loop():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_loops():
    graph = import_graph()
    assert "subpipe.asr.transcribe" in graph and graph["subpipe.asr.longform"], "the graph was not read"
    cycle = find_cycle(graph)
    assert cycle is None, "import loop: " + " -> ".join(cycle or [])


def test_asr_engines_meet_through_the_interface():
    graph = import_graph()
    assert "subpipe.asr.transcribe" not in graph["subpipe.asr.longform"]
    assert "subpipe.asr.engine" in graph["subpipe.asr.longform"]
    assert "subpipe.asr.engine" in graph["subpipe.asr.transcribe"]


# the stages in data-flow order; a module imports only from its own stage, earlier ones, the formats at the edge
# and the core (the loose modules)
STAGES = ("formats", "audio", "asr", "alignment", "speakers", "subtitling", "quotes", "language", "jobs", "editor",
          "api", "cli")


def test_each_stage_imports_only_from_earlier_stages():
    def rank(module: str) -> int:
        parts = module.split(".")
        return STAGES.index(parts[1]) + 1 if len(parts) > 2 or (len(parts) == 2 and parts[1] in STAGES) else 0

    upward = [f"{a} -> {b}" for a, deps in import_graph().items() if a != "subpipe"
              for b in deps if rank(b) > rank(a)]
    assert upward == []


def test_no_file_over_650_lines():
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 650}
    assert long == {}


def test_stage_packages_and_a_small_core():
    loose = sorted(p.name for p in SRC.glob("*.py"))
    assert len(loose) <= 10, loose
    for pkg in ("audio", "asr", "alignment", "speakers", "subtitling", "formats", "quotes", "jobs", "cli"):
        init = SRC / pkg / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and doc.strip(), f"{pkg}/__init__.py says what it owns"


def _env() -> dict[str, str]:
    """This checkout's subpipe first, whatever the working directory."""
    import subpipe

    src = str(Path(subpipe.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}


_PROBE = r"""
import json, os, sys
import numpy, threadpoolctl  # numpy's BLAS loaded before, so its pool is compared
def state():
    return {"env": dict(os.environ), "pools": [(p["user_api"], p["internal_api"], p["num_threads"])
                                               for p in threadpoolctl.threadpool_info()]}
before = state()
import subpipe, subpipe.api, subpipe.cli.app, subpipe.asr.transcribe, subpipe.asr.longform, subpipe.audio.source
from subpipe.audio import source
after = state()
import ctypes, threading
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
t = threading.Thread(target=lambda: libc.free(libc.malloc(1000)))  # a thread's first allocation
t.start(); t.join()
libc.malloc_stats()  # to stderr: one "Arena N:" per arena
print(json.dumps({"same_env": before["env"] == after["env"], "before": before["pools"], "after": after["pools"],
                  "tuned": source.process_tuned(), "heap": source._HEAP_MODE,
                  "models": len(subpipe.asr.transcribe._MODELS)}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_stats")
def test_importing_subpipe_leaves_the_process_alone(tmp_path):
    """A fresh interpreter: importing the library (API, CLI, the decoders) changes no environment variable
    and no BLAS/OpenMP thread pool, loads no model and leaves glibc's arenas alone (a new thread gets its own
    arena, as without subpipe; ``tune_process`` is the call that limits them to one)."""
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=tmp_path, check=True,
                         env=_env())
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["same_env"]
    # pools that importing numpy/ctranslate2 loads may appear; none that was there changed its thread count
    before = {tuple(p[:2]): p[2] for p in got["before"]}
    for api, internal, n in got["after"]:
        if (api, internal) in before:
            assert n == before[(api, internal)], (api, internal, n)
    assert got["tuned"] is False and got["heap"] is None and got["models"] == 0
    assert out.stderr.count("Arena ") >= 2, out.stderr



def test_the_model_cache_is_bounded_and_can_be_emptied():
    from subpipe import unload_models
    from subpipe.asr import transcribe as tr

    unload_models()
    first = tr.load_model(tr.TranscribeOptions(model="tiny.en", cpu_threads=1))
    assert tr.load_model(tr.TranscribeOptions(model="tiny.en", cpu_threads=1)) is first  # cached
    for n in range(2, 2 + tr.MODEL_CACHE_SIZE):
        tr.load_model(tr.TranscribeOptions(model="tiny.en", cpu_threads=n))
    assert len(tr._MODELS) == tr.MODEL_CACHE_SIZE  # the least recently used went
    assert tr.load_model(tr.TranscribeOptions(model="tiny.en", cpu_threads=1)) is not first
    assert unload_models() == tr.MODEL_CACHE_SIZE and not tr._MODELS


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_stats")
def test_tune_process_is_the_call_that_tunes_it(tmp_path):
    code = _PROBE.split("before = state()")[0] + (
        "import subpipe\nsubpipe.tune_process()\nfrom subpipe.audio import source\n"
        "assert source.process_tuned()\n" + _PROBE.split("after = state()")[1].split("print(")[0])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True,
                         env=_env())
    assert out.stderr.count("Arena ") == 1, out.stderr  # every thread in the main arena


@pytest.mark.parametrize("name", ["transcribe", "align", "conform", "batch", "models", "run", "subtitles", "check",
                                  "quotes_search", "speakers_list"])
def test_every_command_is_reachable_from_the_package_root(name):
    import subpipe
    from subpipe import api

    assert getattr(subpipe, name) is getattr(api, name) and callable(getattr(subpipe, name))
