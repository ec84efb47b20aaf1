"""CLI for press quotes: ``quotes add|search|show|export|media``, ``clip`` and ``serve``.

A thin shell: each command parses, calls the library (quotes.py, quotesheet.py, media.py, web/),
and renders. Errors are SubpipeErrors, mapped to one-line messages by the group in cli.py.
"""

from __future__ import annotations

import glob
import json
import re
import tempfile
from pathlib import Path

import click

from .errors import SubpipeError

DEFAULT_DB = Path("outputs") / "quotes.db"

_db_option = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB,
                          show_default=True, help="The quote index.")


def parse_time(text: str | None) -> int | None:
    """'1s', '500ms', '1.5', '2m', '01:02.5', '00:01:02.500' -> ms."""
    if text is None:
        return None
    t = text.strip().lower()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?", t)
    if m:
        value, unit = float(m.group(1)), m.group(2) or "s"
        return round(value * {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000}[unit])
    m = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)", t)
    if m:
        h, mi, s = int(m.group(1) or 0), int(m.group(2)), float(m.group(3).replace(",", "."))
        return round(((h * 60 + mi) * 60 + s) * 1000)
    raise click.BadParameter(f"not a time: {text!r} (use e.g. 1s, 500ms, 1:30, 00:01:30.5)")


def _time_cb(ctx, param, value):
    return parse_time(value)


def _open(db: Path):
    from . import quotes as q

    if not db.exists():
        raise SubpipeError("no quote index here", path=db, hint="run `subpipe run` or `subpipe quotes add` first, "
                                                                 "or give --db")
    return q.connect(db)


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
    from . import quotes as q
    from .pipeline import load_transcript

    if (media_path or title) and len(transcripts) > 1:
        raise click.UsageError("--media and --title apply to one transcript at a time")
    con = q.connect(db)
    try:
        for tpath in transcripts:
            t = load_transcript(tpath)
            media_id, path, media_fps = _media_for(tpath, t, media_path, media_root)
            n = q.add_transcript(con, t, media_id=media_id, path=path, title=title, fps=fps or media_fps)
            if not (obj or {}).get("quiet"):
                click.echo(f"{tpath}: {n} utterances indexed ({path})")
    finally:
        con.close()


def _media_for(tpath: Path, t, media_path: Path | None, media_root: Path) -> tuple[str, str, str | None]:
    """(media id, media path, fps) for a transcript: its media's SHA-256 as the id."""
    import hashlib

    from . import media as m
    from .fsio import sha256_file

    prov = (t.provenance or {}).get("media") or {}
    found = media_path
    if found is None and prov.get("name"):
        cand = [p for p in sorted(media_root.rglob(glob.escape(prov["name"])))] if media_root.is_dir() else []
        found = cand[0] if cand else None
    fps = None
    if found is not None:
        if not found.exists():
            raise SubpipeError("no such media file", path=found)
        sha = sha256_file(found)
        if prov.get("sha256") and prov["sha256"] != sha:
            raise SubpipeError("the media file does not match the transcript (SHA-256 differs)", path=found,
                               hint="give the media file the transcript was made from with --media")
        try:
            fps = m.fps_label(m.probe(found).video_fps)
        except SubpipeError:
            fps = None
        return sha, str(found), fps
    media_id = prov.get("sha256") or hashlib.sha256(tpath.read_bytes()).hexdigest()
    return media_id, prov.get("name") or tpath.name.removesuffix(".transcript.json"), fps


@quotes.command("search")
@click.argument("query")
@_db_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@search_filters
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def quotes_search(query, db, limit, as_json, **filters):
    """Find QUERY's words, verbatim and in order, with in and out timecodes (best first)."""
    from . import quotes as q
    from .timecode import ms_to_smpte

    con = _open(db)
    try:
        hits = q.search(con, query, limit=limit, **filters)
    finally:
        con.close()
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
    from . import quotes as q
    from .timecode import format_vtt, ms_to_smpte

    con = _open(db)
    try:
        h = q.get(con, quote_id)
    finally:
        con.close()
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
@click.option("--format", "fmt", type=click.Choice(["csv", "md", "json", "docx"]), default=None,
              help="Sheet format (default: from the -o extension).")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--title", "heading", default=None, help="Heading of the sheet.")
@_db_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@search_filters
@click.pass_obj
def quotes_export(obj, query, ids, fmt, out, heading, db, limit, **filters):
    """Write a quote sheet (csv, md, json, docx) for QUERY's hits or for --ids: media title, quote
    verbatim, in and out as SMPTE timecode at the media's frame rate, duration, speaker."""
    from . import quotes as q
    from . import quotesheet

    if bool(query) == bool(ids):
        raise click.UsageError("give a QUERY or --ids, not both")
    fmt = quotesheet.format_for(out, fmt)
    con = _open(db)
    try:
        if ids:
            hits = q.get_many(con, [i for chunk in ids for i in chunk.split(",") if i.strip()])
        else:
            hits = q.search(con, query, limit=limit, **filters)
    finally:
        con.close()
    quotesheet.write(hits, out, fmt, heading=heading or (f"Quotes: {query}" if query else None))
    if not (obj or {}).get("quiet"):
        click.echo(f"wrote {out}: {len(hits)} quotes")


@quotes.command("media")
@_db_option
def quotes_media(db):
    """List the media in the index."""
    from . import quotes as q

    con = _open(db)
    try:
        for m in q.media_list(con):
            click.echo(f"{m.id[:12]}  {m.title}  {m.duration_ms / 1000:.1f} s  {m.fps or '-'} fps  "
                       f"{m.utterances} utterances  {m.path}")
    finally:
        con.close()


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
    from . import media as m
    from . import quotes as q
    from .formats import srt
    from .fsio import atomic_path

    if burn_in and soft_subs:
        raise click.UsageError("--burn-in and --soft-subs exclude each other")
    if audio_only and (burn_in or soft_subs):
        raise click.UsageError("an --audio-only clip has no subtitles")
    con = _open(db)
    try:
        h = q.get(con, quote_id)
        src = resolve_media(h.media_path, media_root)
        track = q.media_subtitles(con, h.media_id, profile) if (burn_in or soft_subs) else None
    finally:
        con.close()
    info = m.probe(src)
    start, end = m.clip_bounds(h.start_ms - handles, h.end_ms + handles, fps=None if audio_only else info.video_fps,
                               duration_ms=info.duration_ms or None)
    with tempfile.TemporaryDirectory(prefix="subpipe-clip-") as tmpdir, atomic_path(out) as tmp:
        subs = None
        if track is not None:
            subs = Path(tmpdir) / "clip.srt"
            subs.write_text(srt.dumps(q.window(track, start, end)), encoding="utf-8")
        start, end = m.cut_clip(src, tmp, start, end, subtitles=subs, burn_in=burn_in, audio_only=audio_only,
                                language=h.language, info=info, ext=out.suffix)
    if not (obj or {}).get("quiet"):
        who = f" ({h.speaker})" if h.speaker else ""
        click.echo(f"wrote {out}: {h.title}{who} {start / 1000:.3f}-{end / 1000:.3f} s")


def resolve_media(path: str, media_root: Path | None) -> Path:
    """An indexed media path as a file here: as stored, else under ``media_root`` (by relative path or name)."""
    p = Path(path)
    cands = [p]
    if media_root is not None:
        cands += [media_root / p, media_root / p.name]
    for c in cands:
        if c.is_file():
            return c
    raise SubpipeError("the media file of this quote is not here", path=path,
                       hint="give --media-root with the folder that holds it")


# ---------------------------------------------------------------- serve
@click.command()
@_db_option
@click.option("--media-root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("media"),
              show_default=True, help="Only files under this folder are served.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the index to your network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
def serve(db, media_root, host, port):
    """A local web page to search the quote index, play quotes and download quote sheets."""
    try:
        import uvicorn

        from .web import create_app
    except ImportError as exc:
        raise SubpipeError(f"the web page needs the 'web' extra ({exc.name} is missing)",
                           hint="pip install 'subpipe[web]'") from None
    _open(db).close()
    app = create_app(db, media_root)
    click.echo(f"serving {db} (media from {media_root}) on http://{host}:{port}/  (Ctrl-C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning", ws="none", lifespan="off")
