"""The local web server behind ``subpipe serve`` and ``subpipe review``: allowed hosts, a socket bound up front
(a busy port is one clear error before anything claims to be serving), uvicorn on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

from ..errors import SubpipeError


def run_local(make_app: Callable[[list[str]], Any], *, host: str, port: int, allow_hosts: Sequence[str],
              page: str, banner: str) -> None:
    """Build the app with the Host names it answers (``make_app(hosts)``), bind ``host:port`` and serve until
    Ctrl-C; ``banner`` is printed with the URL (``{url}``)."""
    try:
        import uvicorn
    except ImportError as exc:
        raise SubpipeError(f"the {page} needs the 'web' extra ({exc.name} is missing)",
                           hint="pip install 'subpipe[web]'") from None
    import socket

    from ..quotes.web import LOCAL_HOSTS

    hosts = [*LOCAL_HOSTS, *allow_hosts]
    if host not in ("0.0.0.0", "::", ""):
        hosts.append(host)
    app = make_app(hosts)
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(info[4])
        except OSError:
            sock.close()
            raise
    except OSError as exc:
        raise SubpipeError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                           hint="another program uses the port: give another --port (0 picks a free one)") from None
    click.echo(banner.format(url=f"http://{host}:{sock.getsockname()[1]}/"))
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
