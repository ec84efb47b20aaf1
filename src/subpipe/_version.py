"""The installed version (``subpipe.__version__``), in a module of its own so the stages record it in
provenance without importing the package root (whose lazy API names would make an import loop)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("subpipe")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
