"""CLI: ``subpipe speakers list|rename`` on a transcript JSON or the quote index (a .db file)."""

from __future__ import annotations

from pathlib import Path

import click


def _is_db(path: Path) -> bool:
    return path.suffix.lower() in (".db", ".sqlite", ".sqlite3")


@click.group("speakers")
def speakers() -> None:
    """Who speaks: list the speakers of a transcript or the quote index, or name one."""


@speakers.command("list")
@click.argument("target", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def list_cmd(target: Path) -> None:
    """List TARGET's speakers (a transcript JSON, or the quote index .db) with their speaking time."""
    if _is_db(target):
        from . import quotes
        from .speakers import index_speakers

        con = quotes.connect(target)
        try:
            rows = index_speakers(con)
        finally:
            con.close()
        for spk, n, ms in rows:
            click.echo(f"{spk}\t{n} utterances\t{ms / 1000:.1f} s")
        return
    from .pipeline import load_transcript

    t = load_transcript(target)
    for s in t.speakers:
        named = f"\tname {s.name} (similarity {s.similarity})" if s.name and s.similarity is not None else ""
        click.echo(f"{s.label}\t{s.speaking_ms / 1000:.1f} s{named}")


@speakers.command("rename")
@click.argument("target", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("old")
@click.argument("new")
@click.option("--media", default=None, help="With the index: only this media file (id, path or title).")
def rename_cmd(target: Path, old: str, new: str, media: str | None) -> None:
    """Rename speaker OLD (e.g. S2) to NEW in TARGET: a transcript JSON (rewritten in place; subtitles
    made from it afterwards carry the name) or the quote index .db (every quote, or one --media)."""
    if _is_db(target):
        from . import quotes
        from .errors import FormatError
        from .speakers import rename_in_index

        con = quotes.connect(target)
        try:
            n = rename_in_index(con, old, new, media_id=media)
        finally:
            con.close()
        if n == 0:
            raise FormatError(f"no quote in the index is spoken by {old!r}", path=target)
        click.echo(f"renamed {old} -> {new} in {n} quotes")
        return
    from .formats import transcript_json as tj
    from .fsio import atomic_write_text
    from .pipeline import load_transcript
    from .speakers import rename_transcript

    t = rename_transcript(load_transcript(target), old, new)
    atomic_write_text(target, tj.dumps(t))
    click.echo(f"renamed {old} -> {new} in {target}")
