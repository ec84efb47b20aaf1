"""CLI for press quotes: ``quotes add|search|show|export|media``, ``clip`` and ``serve``.

A thin shell: each command parses, calls the library (quotes.py, quotesheet.py, media.py, web/),
and renders. Errors are SubpipeErrors, mapped to one-line messages by the group in cli.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..quotes.index import DEFAULT_DB

_db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB,
                          show_default=True, help="The quote index.")


def parse_time(text: str | None) -> int | None:
    """'1s', '500ms', '1.5', '2m', '01:02.5', '00:01:02.500' -> ms (``timecode.parse_time``)."""
    from ..errors import FormatError
    from ..timecode import parse_time as _parse_time

    if text is None:
        return None
    try:
        return _parse_time(text)
    except FormatError as exc:
        raise click.BadParameter(f"{exc.message} ({exc.hint})") from None


def _time_cb(ctx, param, value):
    return parse_time(value)


def _open(db: Path):
    from ..api import open_index

    return open_index(db)


def _filters(filters: dict):
    """The search filter options as the API's SearchFilters."""
    from ..api import SearchFilters

    return SearchFilters(**filters)


def search_filters(f):
    opts = [
        click.option("--media", default=None, help="Only this media (title, path or id)."),
        click.option("--speaker", default=None, help="Only this speaker."),
        click.option("--language", default=None, help="Only this language (e.g. en, zh)."),
        click.option("--since", "since_ms", default=None, callback=_time_cb,
                     help="Only utterances that end after this time in their media (e.g. 1:30)."),
        click.option("--until", "until_ms", default=None, callback=_time_cb,
                     help="Only utterances that start before this time in their media."),
        click.option("--mode", type=click.Choice(["auto", "words", "substring"]), default="auto", show_default=True,
                     help="words: verbatim words in order (word* for a prefix); substring: characters anywhere, "
                          "inside words too; auto: words, then substring if nothing matched."),
        click.option("--raw", is_flag=True, help="Pass the query to FTS5 as it is (AND, OR, NOT, NEAR, prefix*)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


# ---------------------------------------------------------------- quotes
@click.group()
def quotes():
    """The quote index: search every line ever said, export quote sheets."""


@quotes.command("add")
@click.argument("transcripts", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_db_option
@click.option("--media", "media_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The media file the transcript belongs to (default: found by name under --media-root).")
@click.option("--media-root", type=click.Path(file_okay=False, path_type=Path), default=Path("media"),
              show_default=True, help="Where to look for the media files by name.")
@click.option("--title", default=None, help="Media title shown in results and quote sheets (default: file name).")
@click.option("--fps", default=None, help="Frame rate for timecode (default: the video's, else 24).")
@click.pass_obj
def quotes_add(obj, transcripts, db, media_path, media_root, title, fps):
    """Index TRANSCRIPT.json files (re-indexing a media file replaces its rows)."""
    from .. import api

    if (media_path or title) and len(transcripts) > 1:
        raise click.UsageError("--media and --title apply to one transcript at a time")
    for tpath in transcripts:  # one at a time, so each is reported as it is indexed
        for res in api.quotes_add(tpath, db=db, media=media_path, media_root=media_root, title=title, fps=fps):
            if not (obj or {}).get("quiet"):
                click.echo(f"{res.transcript}: {res.utterances} utterances indexed ({res.media_path})")


@quotes.command("search")
@click.argument("query")
@_db_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@search_filters
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@click.option("--clean", is_flag=True, help="Leave out quotes with strong language.")
def quotes_search(query, db, limit, as_json, clean, **filters):
    """Find QUERY's words, verbatim and in order, with in and out timecodes (best first)."""
    from .. import api
    from ..timecode import ms_to_smpte

    hits = api.quotes_search(query, db=db, limit=limit, filters=_filters(filters), clean=clean)
    for h in hits:
        if as_json:
            click.echo(json.dumps(h.to_dict(), ensure_ascii=False))
        else:
            fr = h.frame_rate
            click.echo(f"{h.id}  {h.title}  {ms_to_smpte(h.in_ms, fr)}-{ms_to_smpte(h.out_ms, fr)}  {h.snippet}")
    if not hits and not as_json:
        click.echo("no matches", err=True)


@quotes.command("show")
@click.argument("quote_id")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def quotes_show(quote_id, db, as_json):
    """Show one quote: media, in and out timecode, speaker, and every word with its time."""
    from .. import api
    from ..timecode import format_vtt, ms_to_smpte

    h = api.quotes_show(quote_id, db=db)
    if as_json:
        d = h.to_dict()
        d["words"] = [{"text": w.text, "start_ms": w.start_ms, "end_ms": w.end_ms} for w in h.words]
        click.echo(json.dumps(d, ensure_ascii=False, indent=1))
        return
    fr = h.frame_rate
    click.echo(f"id:       {h.id}")
    click.echo(f"media:    {h.title} ({h.media_path})")
    click.echo(f"in/out:   {ms_to_smpte(h.start_ms, fr)} - {ms_to_smpte(h.end_ms, fr)} @ {fr} "
               f"({h.duration_ms / 1000:.2f} s; frames {h.start_frame}-{h.end_frame})")
    click.echo(f"speaker:  {h.speaker or '-'}   language: {h.language or '-'}")
    click.echo(f"quote:    {h.text}")
    for w in h.words:
        click.echo(f"  {format_vtt(w.start_ms)} {format_vtt(w.end_ms)}  {w.text}")


@quotes.command("export")
@click.argument("query", required=False)
@click.option("--ids", multiple=True, help="Quote ids to export (repeatable, or comma-separated).")
@click.option("--format", "fmt", type=click.Choice(["csv", "md", "json", "docx", "edl", "fcpxml", "otio"]),
              default=None, help="Sheet format, or a timeline of selects for an editor: edl (CMX 3600), fcpxml, "
                                 "otio (default: from the -o extension).")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (a timeline with no -o goes to stdout).")
@click.option("--title", "heading", default=None, help="Heading of the sheet, or the timeline's name.")
@_db_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--handles", default="0s", show_default=True, callback=_time_cb,
              help="Timeline: extra media before and after each quote (e.g. 1s).")
@click.option("--fps", default=None, help="Timeline: its frame rate (default: the media's).")
@search_filters
@click.pass_obj
def quotes_export(obj, query, ids, fmt, out, heading, db, limit, handles, fps, **filters):
    """Write a quote sheet (csv, md, json, docx) for QUERY's hits or for --ids: media title, quote
    verbatim, in and out as SMPTE timecode at the media's frame rate, duration, speaker. Or put them on an
    editor's timeline (edl, fcpxml, otio): one clip per quote, source in/out = the quote's plus --handles,
    record from 01:00:00:00, a marker with the speaker and the words."""
    from .. import api
    from ..quotes import timeline as quote_timeline

    if bool(query) == bool(ids):
        raise click.UsageError("give a QUERY or --ids, not both")
    if quote_timeline.format_for(out, fmt):
        res = api.quotes_timeline(query, output=out, ids=ids, format=fmt, fps=fps, handles_ms=handles or 0,
                                    title=heading, db=db, limit=limit, filters=_filters(filters))
        for note in res.notes:
            click.echo(f"note: {note}", err=True)
        if out is None:
            click.echo(res.text, nl=False)
        elif not (obj or {}).get("quiet"):
            click.echo(f"wrote {out}: {len(res.selects)} clips ({res.fmt}, {res.fps} fps)")
        return
    if out is None:
        raise click.UsageError("a quote sheet needs -o FILE")
    hits = api.quotes_export(query, output=out, ids=ids, format=fmt, title=heading, db=db, limit=limit,
                             filters=_filters(filters))
    if not (obj or {}).get("quiet"):
        click.echo(f"wrote {out}: {len(hits)} quotes")


@quotes.command("media")
@_db_option
def quotes_media(db):
    """List the media in the index."""
    from .. import api

    for m in api.quotes_media(db=db):
        click.echo(f"{m.id[:12]}  {m.title}  {m.duration_ms / 1000:.1f} s  {m.fps or '-'} fps  "
                   f"{m.utterances} utterances  {m.path}")


# ---------------------------------------------------------------- clip
@click.command()
@click.argument("quote_id")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Clip to write: .mp4 .mov .mkv .webm, or .m4a .wav .mp3 .flac with --audio-only.")
@_db_option
@click.option("--handles", default="0s", show_default=True, callback=_time_cb,
              help="Extra time before and after the quote (e.g. 1s, 500ms).")
@click.option("--burn-in", is_flag=True, help="Burn the subtitles into the picture.")
@click.option("--soft-subs", is_flag=True, help="Mux the subtitles as a track (mov_text / WebVTT / SRT).")
@click.option("--audio-only", is_flag=True, help="Only the sound.")
@click.option("--media-root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the media live, if their indexed paths are relative to another folder.")
@click.option("--profile", default="netflix-en", show_default=True, help="Delivery profile for the subtitles.")
@click.pass_obj
def clip(obj, quote_id, out, db, handles, burn_in, soft_subs, audio_only, media_root, profile):
    """Cut the media around quote QUOTE_ID, frame-accurately, with its subtitles burnt in or muxed."""
    from .. import api

    if burn_in and soft_subs:
        raise click.UsageError("--burn-in and --soft-subs exclude each other")
    if audio_only and (burn_in or soft_subs):
        raise click.UsageError("an --audio-only clip has no subtitles")
    res = api.clip(quote_id, out, db=db, handles_ms=handles, burn_in=burn_in, soft_subs=soft_subs,
                   audio_only=audio_only, media_root=media_root, profile=profile)
    if not (obj or {}).get("quiet"):
        who = f" ({res.quote.speaker})" if res.quote.speaker else ""
        click.echo(f"wrote {out}: {res.quote.title}{who} {res.start_ms / 1000:.3f}-{res.end_ms / 1000:.3f} s")


# ---------------------------------------------------------------- serve
@click.command()
@_db_option
@click.option("--media-root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("media"),
              show_default=True, help="Only files under this folder are served.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the index to your network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--allow-host", "allow_hosts", multiple=True,
              help="Another Host header name to answer (the page refuses others: DNS rebinding). Repeatable.")
def serve(db, media_root, host, port, allow_hosts):
    """A local web page to search the quote index, play quotes and download quote sheets."""
    from .. import api
    from .local_server import run_local

    run_local(lambda hosts: api.serve(db, media_root=media_root, allowed_hosts=hosts), host=host, port=port,
              allow_hosts=allow_hosts, page="web page",
              banner=f"serving {db} (media from {media_root}) on {{url}}  (Ctrl-C stops)")
