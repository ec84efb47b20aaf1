"""The API twins of the quote index commands (``subpipe quotes ...``, ``clip``, ``serve``, ``speakers ...``);
``subpipe.api`` re-exports every name."""

from __future__ import annotations

import glob
import hashlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FormatError, QuoteIndexError, SubpipeError, UsageError
from ..model import Transcript
from ..quotes.index import DEFAULT_DB

if TYPE_CHECKING:
    from ..quotes.index import Hit, MediaRow
    from ..quotes.timeline import TimelineExport


# ---------------------------------------------------------------- quotes
@dataclass(frozen=True)
class SearchFilters:
    """The filters of ``quotes search`` and ``quotes export`` (times in ms)."""

    media: str | None = None
    speaker: str | None = None
    language: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    mode: str = "auto"  # auto | words | substring
    raw: bool = False

    def kwargs(self) -> dict[str, Any]:
        return {"media": self.media, "speaker": self.speaker, "language": self.language,
                "since_ms": self.since_ms, "until_ms": self.until_ms, "mode": self.mode, "raw": self.raw}


def open_index(db: Path | str, *, readonly: bool = True):
    """An existing quote index (QuoteIndexError when there is none at ``db``), opened read-only unless
    ``readonly=False``: reading never writes, so an index on read-only storage can be searched."""
    from ..quotes import index as q

    db = Path(db)
    if not db.exists():
        raise QuoteIndexError("no quote index here", path=db,
                              hint="run `subpipe run` or `subpipe quotes add` first, or give --db")
    return q.connect(db, readonly=readonly)


@dataclass(frozen=True)
class IndexedTranscript:
    transcript: Path
    media_path: str
    media_id: str
    utterances: int


def quotes_add(transcripts: Sequence[Path | str] | Path | str, *, db: Path | str = DEFAULT_DB,
               media: Path | str | None = None, media_root: Path | str = Path("media"), title: str | None = None,
               fps: str | None = None) -> list[IndexedTranscript]:
    """Index transcript JSON files (re-indexing a media file replaces its rows). Each transcript's media is
    ``media`` or found by name under ``media_root``; its SHA-256 is the media id and must match the one
    the transcript recorded."""
    from ..jobs.pipeline import load_transcript
    from ..quotes import index as q

    paths = [Path(transcripts)] if isinstance(transcripts, str | Path) else [Path(p) for p in transcripts]
    if (media or title) and len(paths) > 1:
        raise UsageError("media and title apply to one transcript at a time")
    con = q.connect(Path(db))
    out = []
    try:
        for tpath in paths:
            t = load_transcript(tpath)
            media_id, path, media_fps = media_for(tpath, t, Path(media) if media else None, Path(media_root))
            n = q.add_transcript(con, t, media_id=media_id, path=path, title=title, fps=fps or media_fps)
            out.append(IndexedTranscript(tpath, path, media_id, n))
    finally:
        con.close()
    return out


def media_for(tpath: Path, t: Transcript, media_path: Path | None, media_root: Path) -> tuple[str, str, str | None]:
    """(media id, media path, fps) for a transcript: its media's SHA-256 as the id."""
    from ..audio import media as m
    from ..fsio import sha256_file

    prov = (t.provenance or {}).get("media") or {}
    found = media_path
    if found is None and prov.get("name"):
        cand = sorted(media_root.rglob(glob.escape(prov["name"]))) if media_root.is_dir() else []
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


def quotes_search(query: str, *, db: Path | str = DEFAULT_DB, limit: int = 20,
                  filters: SearchFilters | None = None, clean: bool = False) -> list[Hit]:
    """Utterances that hold ``query``'s words, verbatim and in order, best first (FTS5 bm25), each with
    in and out times of the matched words. ``clean``: leave out quotes with strong language."""
    from ..quotes import index as q

    kwargs = (filters or SearchFilters()).kwargs()
    con = open_index(db)
    try:
        if not clean:
            return q.search(con, query, limit=limit, **kwargs)
        from ..language.lexicon import load_lexicon, text_has

        lex = load_lexicon()
        fetch = limit * 2
        while True:  # ask for more until `limit` clean hits are found or the index has no more
            hits = q.search(con, query, limit=fetch, **kwargs)
            kept = [h for h in hits if not text_has(lex, h.text, h.language)]
            if len(kept) >= limit or len(hits) < fetch:
                return kept[:limit]
            fetch *= 4
    finally:
        con.close()


def quotes_show(quote_id: str, *, db: Path | str = DEFAULT_DB) -> Hit:
    """One quote by id (or a unique prefix of 6+ characters), with every word and its time (``.words``)."""
    from ..quotes import index as q

    con = open_index(db)
    try:
        return q.get(con, quote_id)
    finally:
        con.close()


def quotes_export(query: str | None = None, *, output: Path | str, ids: Sequence[str] = (),
                  format: str | None = None, title: str | None = None, db: Path | str = DEFAULT_DB,
                  limit: int = 50, filters: SearchFilters | None = None, handles_ms: int = 0,
                  fps: str | None = None) -> list[Hit]:
    """Write a quote sheet (csv, md, json, docx; default from ``output``'s extension) for ``query``'s hits
    or for the quotes ``ids``; returns the hits written. ``format`` edl, fcpxml or otio (or such an
    extension) puts them on an editor's timeline instead (``quotes.timeline.export``: source in/out = the
    quote's plus ``handles_ms``, at ``fps`` or the media's rate, record from 01:00:00:00)."""
    from ..quotes import index as q
    from ..quotes import sheets as quotesheet
    from ..quotes import timeline as quote_timeline

    if bool(query) == bool(ids):
        raise UsageError("give a query or ids, not both")
    if quote_timeline.format_for(output, format):
        res = quotes_timeline(query, output=output, ids=ids, format=format, fps=fps, handles_ms=handles_ms,
                                    title=title, db=db, limit=limit, filters=filters)
        return [s.hit for s in res.selects]
    out = Path(output)
    fmt = quotesheet.format_for(out, format)
    con = open_index(db)
    try:
        if ids:
            hits = q.get_many(con, [i for chunk in ids for i in chunk.split(",") if i.strip()])
        else:
            assert query is not None
            hits = q.search(con, query, limit=limit, **(filters or SearchFilters()).kwargs())
    finally:
        con.close()
    quotesheet.write(hits, out, fmt, heading=title or (f"Quotes: {query}" if query else None))
    return hits


def quotes_media(*, db: Path | str = DEFAULT_DB) -> list[MediaRow]:
    """The media in the quote index."""
    from ..quotes import index as q

    con = open_index(db)
    try:
        return q.media_list(con)
    finally:
        con.close()


# ---------------------------------------------------------------- clip
@dataclass(frozen=True)
class ClipResult:
    output: Path
    quote: Hit
    media: Path
    start_ms: int  # the clip's bounds in the media, on frame boundaries
    end_ms: int


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


def clip(quote_id: str, output: Path | str, *, db: Path | str = DEFAULT_DB, handles_ms: int = 0,
         burn_in: bool = False, soft_subs: bool = False, audio_only: bool = False,
         media_root: Path | str | None = None, profile: str = "netflix-en") -> ClipResult:
    """Cut the media around a quote, frame-accurately, with its subtitles burnt in or muxed as a track."""
    from ..audio import media as m
    from ..formats import srt
    from ..fsio import atomic_path
    from ..quotes import index as q

    if burn_in and soft_subs:
        raise UsageError("burn_in and soft_subs exclude each other")
    if audio_only and (burn_in or soft_subs):
        raise UsageError("an audio-only clip has no subtitles")
    out = Path(output)
    con = open_index(db)
    try:
        h = q.get(con, quote_id)
        src = resolve_media(h.media_path, Path(media_root) if media_root else None)
        track = q.media_subtitles(con, h.media_id, profile) if (burn_in or soft_subs) else None
    finally:
        con.close()
    info = m.probe(src)
    start, end = m.clip_bounds(h.start_ms - handles_ms, h.end_ms + handles_ms,
                               fps=None if audio_only else info.video_fps, duration_ms=info.duration_ms or None)
    with tempfile.TemporaryDirectory(prefix="subpipe-clip-") as tmpdir, atomic_path(out) as tmp:
        subs = None
        if track is not None:
            subs = Path(tmpdir) / "clip.srt"
            subs.write_text(srt.dumps(q.window(track, start, end)), encoding="utf-8")
        start, end = m.cut_clip(src, tmp, start, end, subtitles=subs, burn_in=burn_in, audio_only=audio_only,
                                language=h.language, info=info, ext=out.suffix)
    return ClipResult(out, h, src, start, end)


# ---------------------------------------------------------------- serve
def serve(db: Path | str = DEFAULT_DB, *, media_root: Path | str = Path("media"),
          allowed_hosts: Sequence[str] | None = None) -> Callable[..., Any]:
    """The quote search web page as an ASGI app (run it with uvicorn, as ``subpipe serve`` does). Requests whose
    Host header is not one of ``allowed_hosts`` (default: this machine's names) are refused."""
    try:
        from ..quotes.web import create_app
    except ImportError as exc:
        raise SubpipeError(f"the web page needs the 'web' extra ({exc.name} is missing)",
                           hint="pip install 'subpipe[web]'") from None
    from ..quotes.web import LOCAL_HOSTS

    open_index(db).close()
    return create_app(Path(db), Path(media_root),
                      allowed_hosts=LOCAL_HOSTS if allowed_hosts is None else tuple(allowed_hosts))


# ---------------------------------------------------------------- speakers
@dataclass(frozen=True)
class SpeakerRow:
    """One speaker of a transcript or of the quote index."""

    label: str
    speaking_ms: int
    utterances: int | None = None  # in the index: how many quotes
    name: str | None = None  # a transcript's enrolled-voice name, when one matched
    similarity: float | None = None


def _is_db(path: Path) -> bool:
    return path.suffix.lower() in (".db", ".sqlite", ".sqlite3")


def speakers_list(target: Path | str) -> list[SpeakerRow]:
    """The speakers of ``target``: a transcript JSON, or the quote index (a .db file), with speaking time."""
    from ..jobs.pipeline import load_transcript
    from ..speakers.naming import index_speakers

    target = Path(target)
    if _is_db(target):
        con = open_index(target)
        try:
            return [SpeakerRow(spk, ms, utterances=n) for spk, n, ms in index_speakers(con)]
        finally:
            con.close()
    t = load_transcript(target)
    return [SpeakerRow(sp.label, sp.speaking_ms, name=sp.name, similarity=sp.similarity) for sp in t.speakers]


def speakers_rename(target: Path | str, old: str, new: str, *, media: str | None = None) -> int:
    """Rename speaker ``old`` (e.g. "S2") to ``new`` in ``target``: a transcript JSON (rewritten atomically;
    subtitles made from it afterwards carry the name; returns its words renamed) or the quote index .db (every
    quote, or one ``media``; returns the quotes renamed). Nothing to rename is a FormatError."""
    from ..formats import transcript_json as tj
    from ..fsio import atomic_write_text
    from ..jobs.pipeline import load_transcript
    from ..speakers.naming import rename_in_index, rename_transcript

    target = Path(target)
    if _is_db(target):
        con = open_index(target, readonly=False)
        try:
            if media and con.execute("SELECT 1 FROM media WHERE id = ? OR path = ? OR title = ?",
                                     (media, media, media)).fetchone() is None:
                raise FormatError(f"no media {media!r} in the quote index", path=target,
                                  hint="give a media id, path or title that `subpipe quotes media` lists")
            n = rename_in_index(con, old, new, media_id=media)
        finally:
            con.close()
        if n == 0:
            raise FormatError(f"no quote {'of ' + repr(media) + ' ' if media else ''}in the index is spoken by "
                              f"{old!r}", path=target)
        return n
    t = load_transcript(target)
    renamed = rename_transcript(t, old, new)
    atomic_write_text(target, tj.dumps(renamed))
    return sum(1 for w in t.words if w.speaker == old)


def quotes_timeline(query: str | None = None, *, output: Path | str | None = None, ids: Sequence[str] = (),
           format: str | None = None, fps: str | None = None, handles_ms: int = 0, title: str | None = None,
           db: Path | str, limit: int = 50, filters=None) -> TimelineExport:
    """Search the quote index (or take the quotes ``ids``) and write the hits as a timeline: ``format``
    edl, fcpxml or otio (default: from ``output``'s extension). The file is written atomically."""
    from ..fsio import atomic_write_text
    from ..quotes import index as q
    from ..quotes.timeline import TimelineExport, format_for, log, plan, render

    if bool(query) == bool(ids):
        raise UsageError("give a query or ids, not both")
    fmt = format_for(output, format)
    if fmt is None:
        raise UsageError("a timeline export needs --format edl, fcpxml or otio (or an .edl/.fcpxml/.otio file)")
    con = open_index(db)
    try:
        if ids:
            hits = q.get_many(con, [i for chunk in ids for i in chunk.split(",") if i.strip()])
        else:
            hits = q.search(con, query or "", limit=limit, **(filters or SearchFilters()).kwargs())
        durations = {m.id: m.duration_ms for m in q.media_list(con) if m.duration_ms}
    finally:
        con.close()
    if not hits:
        raise FormatError("no quotes to put on a timeline", hint="the search found nothing")
    fr, selects, notes = plan(hits, fps=fps, handles_ms=handles_ms, durations_ms=durations)
    text, fnotes = render(selects, fr, fmt, title=title or (f"Selects: {query}" if query else "Selects"))
    if output is not None:
        atomic_write_text(Path(output), text)
    for n in notes + fnotes:
        log.info("timeline: %s", n)
    return TimelineExport(Path(output) if output else None, fmt, tuple(selects), fr, text, tuple(notes + fnotes))
