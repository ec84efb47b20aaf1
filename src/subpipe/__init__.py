"""subpipe: media -> Whisper -> delivery-ready subtitles, transcripts and a quote index.

The public Python API (one function per CLI command) is :mod:`subpipe.api`; every one of its names is
also available here (``subpipe.transcribe``, ``subpipe.align``, ``subpipe.quotes_search``, ...), imported
on first use. The stage packages below the API, in data-flow order: ``audio``, ``asr``, ``alignment``,
``speakers``, ``subtitling``, ``formats``; then ``quotes``, ``jobs`` and ``cli``.

Importing subpipe changes nothing in the host process. ``subpipe.tune_process()`` is the one call that tunes it
for speed (glibc's malloc arenas and heap thresholds; the CLI, its ``-j`` workers and Ray actors make it), and
``subpipe.unload_models()`` empties the Whisper model cache (at most ``asr.transcribe.MODEL_CACHE_SIZE`` models).
"""

from ._version import __version__

# every name of subpipe.api (no stage package shares a name with an API function)
_API = frozenset({
    "AlignOptions", "BatchOptions", "CheckResult", "ClipResult", "IndexedTranscript", "RetimeResult",
    "SearchFilters", "TranscribeOptions", "align", "audio_streams", "batch", "check", "check_json", "clip",
    "conform", "convert", "extract", "fix", "models", "quotes_add", "quotes_export", "quotes_media", "quotes_search",
    "quotes_show",
    "read_glossary", "retime", "run", "serve", "subtitles", "SpeakerRow", "speakers_list", "speakers_rename",
    "transcribe", "quotes_timeline", "clean", "apply_edits", "review",
})

__all__ = ["__version__", "api", "tune_process", "unload_models", *sorted(_API)]


# process-wide calls a host may make: tune_process (the CLI and its workers make it), unload_models
_PROCESS = {"tune_process": ".audio.source", "unload_models": ".asr.transcribe"}


# the strong-language twins (subpipe/language): name -> its module
_LANGUAGE = {"language_report": "report", "CleanOptions": "clean", "MaskOptions": "mask"}

__all__ += sorted(_LANGUAGE)


def __getattr__(name: str):
    if name in _PROCESS:
        import importlib

        return getattr(importlib.import_module(_PROCESS[name], __name__), name)
    if name in _LANGUAGE:
        import importlib

        return getattr(importlib.import_module(f".language.{_LANGUAGE[name]}", __name__), name)
    if name in _API:
        from . import api

        return getattr(api, name)
    if name == "api":
        import importlib

        return importlib.import_module(".api", __name__)
    raise AttributeError(f"module 'subpipe' has no attribute {name!r}")
