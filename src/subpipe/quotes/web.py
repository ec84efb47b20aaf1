"""``subpipe serve``: a local web page over the quote index (Starlette + Jinja2, run by uvicorn).

Search box; results with snippet, media and timecodes; clicking a result plays its media from the
quote's in-point with the WebVTT subtitles on; a copy button; quote sheet downloads.
Only media files under ``media_root`` are served (resolved paths are checked, so ``..`` and symlinks out
of it are refused); Starlette's FileResponse answers HTTP range requests, so the player can seek.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote as urlquote

from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..audio.media import MEDIA_EXTENSIONS
from ..errors import SubpipeError
from ..formats import vtt
from ..timecode import ms_to_smpte
from . import index as q
from . import sheets as quotesheet
from . import timeline as quote_timeline

log = logging.getLogger("subpipe")
HERE = Path(__file__).parent
MAX_LIMIT = 200


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def create_app(db: Path | str, media_root: Path | str, *, allowed_hosts: Sequence[str] = LOCAL_HOSTS) -> Starlette:
    """The app. Requests whose Host header is not one of ``allowed_hosts`` are refused (400): a page elsewhere
    cannot reach the index through DNS rebinding. The index is opened read-only: searching never writes."""
    db = Path(db)
    root = Path(media_root).resolve()
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    @contextmanager
    def index(readonly: bool = True) -> Iterator:
        con = q.connect(db, readonly=readonly)
        try:
            yield con
        finally:
            con.close()

    def media_url(path: str) -> str | None:
        """The /media/ URL of an indexed media path, or None when the file is not under the media root."""
        p = Path(path)
        cands = [p] if p.is_absolute() else [Path.cwd() / p, root / p, root / p.name]
        for c in cands:
            try:
                full = c.resolve()
            except OSError:
                continue
            if full.is_relative_to(root) and full.is_file():
                return "/media/" + urlquote(full.relative_to(root).as_posix())
        return None

    def params(request: Request) -> dict:
        qp = request.query_params
        try:
            limit = max(1, min(int(qp.get("limit") or 20), MAX_LIMIT))
        except ValueError:
            limit = 20
        mode = qp.get("mode") or "auto"
        return {
            "limit": limit,
            "media": qp.get("media") or None,
            "speaker": qp.get("speaker") or None,
            "language": qp.get("language") or None,
            "mode": mode if mode in q.MODES else "auto",
            "raw": qp.get("raw") in ("1", "on", "true"),
        }

    def view(h: q.Hit) -> dict:
        fr = h.frame_rate
        tc_in, tc_out = ms_to_smpte(h.start_ms, fr), ms_to_smpte(h.end_ms, fr)
        return {
            "id": h.id, "title": h.title, "text": h.text, "parts": h.parts, "speaker": h.speaker,
            "media_id": h.media_id,
            "language": h.language or "", "in_s": f"{h.in_ms / 1000:.3f}", "out_s": f"{h.out_ms / 1000:.3f}",
            "tc_in": tc_in, "tc_out": tc_out, "tc_phrase": ms_to_smpte(h.in_ms, fr), "fps": str(fr),
            "src": media_url(h.media_path), "vtt": f"/subtitles/{h.media_id}.vtt",
            "copy_text": f"\u201c{h.text}\u201d \u2014 {h.title}, {tc_in}\u2013{tc_out}",
        }

    def home(request: Request) -> Response:
        query = request.query_params.get("q", "")
        p = params(request)
        hits, error = [], None
        if query.strip():
            try:
                with index() as con:
                    hits = q.search(con, query, **p)
            except SubpipeError as exc:
                error = str(exc)
        with index() as con:
            media = q.media_list(con)
            from ..speakers.naming import index_speakers

            speakers = [s for s, _, _ in index_speakers(con)]
        export = {"q": query, **{k: v for k, v in p.items() if v and k in ("media", "speaker", "language", "mode")}}
        if p["raw"]:
            export["raw"] = "1"
        return templates.TemplateResponse(request, "index.html", {
            "query": query, "hits": [view(h) for h in hits], "error": error, "p": p, "media": media,
            "speakers": speakers,
            "export_qs": "&".join(f"{k}={urlquote(str(v))}" for k, v in export.items()),
            "formats": quotesheet.FORMATS, "timeline_formats": tuple(quote_timeline.FORMATS),
        }, status_code=400 if error else 200)

    def api_search(request: Request) -> Response:
        query = request.query_params.get("q", "")
        try:
            with index() as con:
                hits = q.search(con, query, **params(request))
        except SubpipeError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse([{**h.to_dict(), "src": media_url(h.media_path)} for h in hits])

    def export(request: Request) -> Response:
        fmt = request.query_params.get("format", "csv")
        if fmt not in quotesheet.FORMATS and fmt not in quote_timeline.FORMATS:
            return PlainTextResponse("unknown format", status_code=400)
        query = request.query_params.get("q", "")
        ids = [i for i in request.query_params.getlist("id") if i]
        p = params(request)
        p["limit"] = max(p["limit"], 50)
        try:
            with index() as con:
                hits = q.get_many(con, ids) if ids else q.search(con, query, **p)
        except SubpipeError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        if fmt in quote_timeline.FORMATS:  # "export selects": the hits on an editor's timeline, 1 s handles
            with index() as con:
                durations = {m.id: m.duration_ms for m in q.media_list(con) if m.duration_ms}
            fr, selects, _ = quote_timeline.plan(hits, handles_ms=1000, durations_ms=durations)
            text, _ = quote_timeline.render(selects, fr, fmt, title=f"Selects: {query}" if query else "Selects")
            return Response(text.encode("utf-8"), media_type="application/octet-stream", headers={
                "Content-Disposition": f'attachment; filename="selects{quote_timeline.FORMATS[fmt]}"'})
        body = quotesheet.render(hits, fmt, heading=f"Quotes: {query}" if query else None)
        types = {"csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8",
                 "json": "application/json",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
        return Response(body, media_type=types[fmt],
                        headers={"Content-Disposition": f'attachment; filename="quotes.{fmt}"'})

    def subtitles(request: Request) -> Response:
        media_id = request.path_params["media_id"]
        try:
            with index() as con:
                track = q.media_subtitles(con, media_id)
        except SubpipeError:
            return PlainTextResponse("no such media", status_code=404)
        return Response(vtt.dumps(track), media_type="text/vtt; charset=utf-8")

    async def name_speaker(request: Request) -> Response:
        """POST media, old, new (a form): name a speaker once, for every quote of that media file."""
        from urllib.parse import parse_qs

        from starlette.responses import RedirectResponse

        from ..speakers.naming import rename_in_index

        if cross_origin(request, hosts):
            # a form posted by a page elsewhere (cross-site request forgery): naming writes to the index
            return PlainTextResponse("cross-origin request refused", status_code=403)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        media_id, old, new = form.get("media", ""), form.get("old", ""), form.get("new", "").strip()
        if not (media_id and old and new):
            return PlainTextResponse("media, old and new are needed", status_code=400)
        try:
            with index(readonly=False) as con:
                n = rename_in_index(con, old, new, media_id=media_id)
        except SubpipeError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        if not n:
            return PlainTextResponse(f"no quote of that media is spoken by {old}", status_code=404)
        return RedirectResponse(same_origin_path(form.get("back")), status_code=303)

    def media_file(request: Request) -> Response:
        rel = request.path_params["path"]
        try:
            full = (root / rel).resolve()
        except (OSError, ValueError):
            full = None
        if (full is None or not full.is_relative_to(root) or not full.is_file()
                or full.suffix.lower() not in MEDIA_EXTENSIONS):
            log.warning("refused a media request for %r", rel)
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(full)

    routes = [
        Route("/", home),
        Route("/api/search", api_search),
        Route("/export", export),
        Route("/subtitles/{media_id}.vtt", subtitles),
        Route("/speakers/name", name_speaker, methods=["POST"]),
        Route("/media/{path:path}", media_file),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    hosts = host_names(allowed_hosts)
    return guarded(Starlette(routes=routes), hosts)


# ---------------------------------------------------------------- the protections every local page has
def host_names(allowed_hosts: Sequence[str]) -> set[str]:
    return {h.strip("[]").lower() for h in allowed_hosts}


def cross_origin(request: Request, hosts: set[str]) -> bool:
    """Whether a request comes from a page on another host (its Origin header names one not allowed)."""
    from urllib.parse import urlsplit

    origin = request.headers.get("origin")
    return origin is not None and (urlsplit(origin).hostname or "").lower() not in hosts | {"*"}


def guarded(app: Starlette, hosts: set[str]) -> Starlette:
    """``app`` refusing (400) every request whose Host header is not one of ``hosts``: a page elsewhere cannot
    reach it through DNS rebinding."""

    async def host_check(request: Request, call_next):
        host = request.headers.get("host", "")
        name = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0] if host.count(":") == 1 \
            else host
        if "*" not in hosts and name.lower() not in hosts:
            log.warning("refused a request for host %r (not one of %s)", host, ", ".join(sorted(hosts)))
            return PlainTextResponse("invalid host header", status_code=400)
        return await call_next(request)

    app.add_middleware(BaseHTTPMiddleware, dispatch=host_check)
    return app


def same_origin_path(back: str | None) -> str:
    """Where a form may send the browser back to: a path on this site ("/?q=see"), else "/". Never another
    origin: "//host/x" and a slash then a backslash are scheme-relative to browsers (an open redirect), and
    browsers drop tabs and newlines from URLs ("/<tab>/host" is "//host"): control characters are refused."""
    from urllib.parse import urlsplit

    if not back or any(ord(c) < 0x20 or c == "\x7f" for c in back):
        return "/"
    parts = urlsplit(back)
    if not back.startswith("/") or back[1:2] in ("/", "\\") or parts.scheme or parts.netloc:
        return "/"
    return back
