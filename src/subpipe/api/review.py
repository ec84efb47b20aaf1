"""The twins of ``subpipe review``: :func:`review` (the review page as an ASGI app) and :func:`apply_edits`
(the page's edits, from code)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SubpipeError
from ..model import Transcript

if TYPE_CHECKING:
    from ..editor.edits import EditResult
    from ..editor.session import SaveResult


def apply_edits(transcript: Transcript | Path | str, edits: Sequence[dict[str, Any]], *,
                media: Path | str | None = None, db: Path | str | None = None, profile: str = "netflix-en",
                fps: str | None = None, model: str | None = None,
                sha256: str | None = None) -> EditResult | SaveResult:
    """Apply review edits (see :mod:`subpipe.editor.edits`: text, in, out, speaker, split, merge, restore).

    ``transcript`` a Transcript: returns an EditResult (nothing written); with ``media`` the typed words are
    re-timed against its audio. ``transcript`` a JSON file: the page's save (a SaveResult): re-timed against
    ``media`` (default: the media beside it), written atomically with the edit log, the subtitle files beside it
    regenerated, the quote index ``db`` updated; ``sha256`` (the file's hash when it was read) makes a save of a
    file changed since then a StaleSaveError.
    """
    from ..editor import edits as ed
    from ..editor.session import Session
    from ..subtitling.profiles import get_profile

    if isinstance(transcript, Transcript):
        samples = None
        opts = None
        if media is not None:
            from ..alignment import AlignOptions
            from ..asr.transcribe import TranscribeOptions
            from ..audio.media import extract_audio

            samples = extract_audio(Path(media)).samples
            name = model or ((transcript.provenance.get("model") or {}).get("name")) or "base"
            opts = AlignOptions(transcribe=TranscribeOptions(model=name, language=transcript.language))
        return ed.apply(transcript, edits, get_profile(profile, fps), samples=samples, align_options=opts)
    session = Session(transcript, media=media, db=db, profile=profile, fps=fps, model=model)
    return session.save(edits, session.sha256 if sha256 is None else sha256)


def review(transcript: Path | str, *, media: Path | str | None = None, db: Path | str | None = None,
           profile: str = "netflix-en", fps: str | None = None, model: str | None = None,
           threshold: float | None = None, allowed_hosts: Sequence[str] | None = None) -> Callable[..., Any]:
    """The review page for one transcript as an ASGI app (run it with uvicorn, as ``subpipe review`` does).
    Requests whose Host header is not one of ``allowed_hosts`` (default: this machine's names) are refused.
    ``threshold``: words under this Whisper probability are marked (default ``editor.session.LOW_PROBABILITY``)."""
    try:
        from ..editor.web import create_app
    except ImportError as exc:
        raise SubpipeError(f"the review page needs the 'web' extra ({exc.name} is missing)",
                           hint="pip install 'subpipe[web]'") from None
    from ..editor.session import LOW_PROBABILITY, Session
    from ..quotes.web import LOCAL_HOSTS

    session = Session(transcript, media=media, db=db, profile=profile, fps=fps, model=model,
                      threshold=LOW_PROBABILITY if threshold is None else threshold)
    return create_app(session, allowed_hosts=LOCAL_HOSTS if allowed_hosts is None else tuple(allowed_hosts))
