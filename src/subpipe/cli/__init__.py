"""The Click shell over subpipe.api: parse, call the API, render (app: the group and main; one module per group)."""


def main() -> None:
    """The ``subpipe`` console script (``subpipe.cli:main``)."""
    from .app import main as _main

    _main()
