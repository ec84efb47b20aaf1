"""``subpipe review``: the review page over one :class:`~subpipe.editor.session.Session` (Starlette + Jinja2,
run by uvicorn), with the quote page's protections: a Host header not allowed is refused (DNS rebinding), a
write from a page elsewhere (its Origin) is refused, and writes take JSON only (a cross-site form cannot send it).

Routes: ``/`` the page; ``/api/state`` the cues; ``POST /api/preview`` the cues after a list of edits (nothing
written); ``POST /api/save`` the edits saved (409 when the file changed since the page loaded it);
``/api/peaks`` a waveform stretch; ``/media`` the one media file (range requests answered).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..errors import SubpipeError
from ..quotes.web import LOCAL_HOSTS, cross_origin, guarded, host_names
from .session import Session, StaleSaveError

log = logging.getLogger("subpipe")
HERE = Path(__file__).parent

# every action on the keyboard: (keys, what it does); the page lists them, review.js binds them
SHORTCUTS = (
    ("Alt+K", "play / pause"),
    ("Alt+ArrowUp", "previous cue"),
    ("Alt+ArrowDown", "next cue"),
    ("Alt+N", "next marked (low-probability) word: its cue's text, the word selected"),
    ("Alt+I", "set the cue's in to the playhead"),
    ("Alt+O", "set the cue's out to the playhead"),
    ("Alt+1", "in one frame earlier"),
    ("Alt+2", "in one frame later"),
    ("Alt+3", "out one frame earlier"),
    ("Alt+4", "out one frame later"),
    ("Alt+S", "split the cue at the text cursor (or at the word playing)"),
    ("Alt+M", "merge the cue with the next one"),
    ("Alt+E", "speaker of the cue"),
    ("Alt+Z", "undo"),
    ("Alt+Y", "redo"),
    ("Ctrl+S", "save"),
    ("Enter", "in a cue's field: apply the change"),
)


def create_app(session: Session, *, allowed_hosts: Sequence[str] = LOCAL_HOSTS) -> Starlette:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    hosts = host_names(allowed_hosts)

    def page(request: Request) -> Response:
        return templates.TemplateResponse(request, "review.html", {
            "title": session.path.name, "shortcuts": SHORTCUTS, "has_media": session.media is not None,
            "video": bool(session.media is not None and session.info.has_video),
            "profile": session.profile.name})

    def state(request: Request) -> Response:
        return JSONResponse(session.state())

    async def body(request: Request) -> tuple[dict[str, Any] | None, Response | None]:
        if cross_origin(request, hosts):
            return None, PlainTextResponse("cross-origin request refused", status_code=403)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return None, PlainTextResponse("edits are sent as JSON", status_code=415)
        try:
            data = await request.json()
        except ValueError:
            return None, JSONResponse({"error": "not JSON"}, status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("edits", []), list):
            return None, JSONResponse({"error": "send {sha256, edits: [...]}"}, status_code=400)
        return data, None

    def failed(exc: SubpipeError) -> Response:
        status = 409 if isinstance(exc, StaleSaveError) else 400
        return JSONResponse({"error": str(exc), "hint": getattr(exc, "hint", None), "stale": status == 409},
                            status_code=status)

    async def preview(request: Request) -> Response:
        data, err = await body(request)
        if err is not None or data is None:
            return err or PlainTextResponse("bad request", status_code=400)
        try:
            return JSONResponse(await run_in_threadpool(session.preview, data.get("edits") or [], data.get("sha256")))
        except SubpipeError as exc:
            return failed(exc)

    async def save(request: Request) -> Response:
        data, err = await body(request)
        if err is not None or data is None:
            return err or PlainTextResponse("bad request", status_code=400)
        try:
            res = await run_in_threadpool(session.save, data.get("edits") or [], data.get("sha256"))
        except SubpipeError as exc:
            return failed(exc)
        return JSONResponse({**session.state(), "message": res.message(), "regenerated": list(res.regenerated),
                             "indexed": res.indexed, "retimed_cues": list(res.retimed_cues),
                             "notes": list(res.notes)})

    def peaks(request: Request) -> Response:
        qp = request.query_params
        try:
            start, end, bins = int(qp.get("start", 0)), int(qp.get("end", 0)), int(qp.get("bins", 400))
        except ValueError:
            return JSONResponse({"error": "start, end and bins are integers"}, status_code=400)
        return JSONResponse({"start": start, "end": end, "peaks": session.peaks(start, end, bins)})

    def media(request: Request) -> Response:
        if session.media is None:
            return PlainTextResponse("no media", status_code=404)
        return FileResponse(session.media)

    routes = [
        Route("/", page),
        Route("/api/state", state),
        Route("/api/preview", preview, methods=["POST"]),
        Route("/api/save", save, methods=["POST"]),
        Route("/api/peaks", peaks),
        Route("/media", media),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    return guarded(Starlette(routes=routes), hosts)
