"""Notes on audio choices the user did not make: which stream of several, and a surround mix downmixed.

A film with a second audio stream (another language, a commentary) or a 5.1 mix whose dialogue sits in the
centre channel transcribes very differently depending on the choice; the default is kept, and a note says
what exists and which option picks it (``--audio-stream N``, ``--dialogue centre``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class _Stream(Protocol):
    index: int
    codec: str | None
    channels: int
    layout: str | None
    language: str | None

    @property
    def has_centre(self) -> bool: ...


def describe(s: _Stream) -> str:
    lang = s.language if s.language and s.language != "und" else None
    what = " ".join(x for x in (lang, s.codec, s.layout or f"{s.channels} ch") if x)
    return f"{s.index} ({what})"


def choice_notes(streams: Sequence[_Stream], stream: int | None, dialogue: str) -> list[str]:
    """Notes for the streams and channels a file has, when the choice was left to the default."""
    notes = []
    n = 0 if stream is None else stream
    if stream is None and len(streams) > 1:
        others = [s.index for s in streams if s.index != n]
        notes.append(f"the file has {len(streams)} audio streams: {', '.join(describe(s) for s in streams)}; "
                     f"stream {n} was transcribed (another: --audio-stream {others[0]})")
    chosen = streams[n] if 0 <= n < len(streams) else None
    if chosen is not None and dialogue == "mix" and chosen.has_centre:
        notes.append(f"audio stream {n} is a {chosen.layout or str(chosen.channels) + '-channel'} mix, downmixed "
                     f"to mono; films carry the dialogue in the centre channel: --dialogue centre transcribes "
                     f"that channel alone (less music and effects)")
    return notes
