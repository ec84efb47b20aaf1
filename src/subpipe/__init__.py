"""subpipe: media -> Whisper -> delivery-ready subtitles, transcripts and a quote index.

The public Python API (one function per CLI command) is :mod:`subpipe.api`; its names are also
available here (``subpipe.transcribe``, ``subpipe.quotes_search``, ...), imported on first use.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("subpipe")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

# the API's names that are not also submodules: subpipe.align, .batch, .conform, .models and .transcribe
# stay modules, so those five functions are reached as subpipe.api.transcribe etc.
_API = frozenset({
    "AlignOptions", "BatchOptions", "CheckResult", "ClipResult", "IndexedTranscript", "RetimeResult",
    "SearchFilters", "TranscribeOptions", "audio_streams", "check", "clip", "convert", "extract", "fix", "quotes_add",
    "quotes_export", "quotes_media", "quotes_search", "quotes_show", "read_glossary", "retime", "run", "serve",
    "subtitles", "SpeakerRow", "speakers_list", "speakers_rename", "clean",
})

__all__ = ["__version__", "api", *sorted(_API)]


# the strong-language twins (subpipe/language): name -> its module
_LANGUAGE = {"language_report": "report", "CleanOptions": "clean", "MaskOptions": "mask"}

__all__ += sorted(_LANGUAGE)


def __getattr__(name: str):
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
