"""``subpipe review``: the review page for one transcript (the twin of :func:`subpipe.api.review`)."""

from __future__ import annotations

from pathlib import Path

import click


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
    from .local_server import run_local

    run_local(lambda hosts: api.review(transcript, media=media, db=db, profile=profile, fps=fps, model=model,
                                       threshold=threshold, allowed_hosts=hosts),
              host=host, port=port, allow_hosts=allow_hosts, page="review page",
              banner=f"reviewing {transcript} on {{url}}  (Ctrl-C stops)")
