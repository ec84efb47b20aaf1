"""subpipe: media -> Whisper -> delivery-ready subtitles, transcripts and a quote index."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("subpipe")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
