"""``subpipe review``: the review page for one transcript (the twin of :func:`subpipe.api.review`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import SubpipeError


@click.command()
@click.argument("transcript", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--media", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The media the transcript is of (default: the one its provenance names, or its stem, beside it).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The quote index to update on save (default: none).")
@click.option("--profile", default="netflix-en", show_default=True, help="Delivery profile of the cues.")
@click.option("--fps", default=None, help="Frame rate for the frame steps and the profile (default: the profile's).")
@click.option("--model", default=None,
              help="Whisper model that re-times typed words (default: the transcript's own, else base).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Mark words whose Whisper probability is under this "
                   "(default 0.8; measured in docs/notes/issue-28.md).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the page to your network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--allow-host", "allow_hosts", multiple=True,
              help="Another Host header name to answer (the page refuses others: DNS rebinding). Repeatable.")
def review(transcript, media, db, profile, fps, model, threshold, host, port, allow_hosts):
    """A local page to review and correct a transcript: player, waveform, cue list, marked low-probability
    words, profile violations; on save the words are re-timed, the subtitle files beside it regenerated and the
    quote index updated."""
    from .. import api

    try:
        import uvicorn
    except ImportError as exc:
        raise SubpipeError(f"the review page needs the 'web' extra ({exc.name} is missing)",
                           hint="pip install 'subpipe[web]'") from None
    import socket

    from ..quotes.web import LOCAL_HOSTS

    hosts = [*LOCAL_HOSTS, *allow_hosts]
    if host not in ("0.0.0.0", "::", ""):
        hosts.append(host)
    app = api.review(transcript, media=media, db=db, profile=profile, fps=fps, model=model, threshold=threshold,
                     allowed_hosts=hosts)
    try:  # bound here, so a busy port is one clear error before anything claims to be serving
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
    port = sock.getsockname()[1]
    click.echo(f"reviewing {transcript} on http://{host}:{port}/  (Ctrl-C stops)")
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
