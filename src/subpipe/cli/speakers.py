"""CLI: ``subpipe speakers list|rename`` on a transcript JSON or the quote index (a .db file)."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("speakers")
def speakers() -> None:
    """Who speaks: list the speakers of a transcript or the quote index, or name one."""


@speakers.command("list")
@click.argument("target", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def list_cmd(target: Path) -> None:
    """List TARGET's speakers (a transcript JSON, or the quote index .db) with their speaking time."""
    from .. import api

    for row in api.speakers_list(target):
        if row.utterances is not None:
            click.echo(f"{row.label}\t{row.utterances} utterances\t{row.speaking_ms / 1000:.1f} s")
        else:
            named = (f"\tname {row.name} (similarity {row.similarity})"
                     if row.name and row.similarity is not None else "")
            click.echo(f"{row.label}\t{row.speaking_ms / 1000:.1f} s{named}")


@speakers.command("rename")
@click.argument("target", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("old")
@click.argument("new")
@click.option("--media", default=None, help="With the index: only this media file (id, path or title).")
def rename_cmd(target: Path, old: str, new: str, media: str | None) -> None:
    """Rename speaker OLD (e.g. S2) to NEW in TARGET: a transcript JSON (rewritten in place; subtitles
    made from it afterwards carry the name) or the quote index .db (every quote, or one --media)."""
    from .. import api

    n = api.speakers_rename(target, old, new, media=media)
    if target.suffix.lower() in (".db", ".sqlite", ".sqlite3"):
        click.echo(f"renamed {old} -> {new} in {n} quotes")
    else:
        click.echo(f"renamed {old} -> {new} in {target}")
