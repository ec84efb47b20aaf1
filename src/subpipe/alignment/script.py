"""Scripts: text, SRT/VTT or transcript JSON -> the words to time."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import FormatError
from ..model import CueTrack, Transcript
from ..text import CHARWISE, has_charwise
from .types import Script, ScriptWord


# ---------------------------------------------------------------- scripts
def parse_script(text: str, kind: str = "text") -> Script:
    """A script from plain text, SRT, WebVTT or transcript JSON text (``kind`` says which)."""
    text = text.lstrip("\ufeff")
    if kind == "text":
        words = []
        for g, para in enumerate(re.split(r"\n\s*\n", text)):
            words += _split_words(para, g)
        return Script(tuple(words), "text")
    if kind in ("srt", "vtt"):
        from ..formats import SUBTITLE_FORMATS

        track: CueTrack = SUBTITLE_FORMATS[kind].loads(text)
        words = []
        for g, cue in enumerate(track.cues):
            words += _split_words(" ".join(cue.lines), g)
        return Script(tuple(words), kind, track.cues)
    if kind == "transcript":
        from ..formats import transcript_json

        t = transcript_json.loads(text)
        groups = _word_groups(t)
        return Script(tuple(ScriptWord(w.text, w.space_before, groups[i]) for i, w in enumerate(t.words)),
                      "transcript")
    raise FormatError(f"unknown script kind {kind!r} (text, srt, vtt or transcript)")


def script_kind(path: Path, text: str) -> str:
    name = path.name.lower()
    if name.endswith(".srt"):
        return "srt"
    if name.endswith((".vtt", ".webvtt")) or text.lstrip("\ufeff").startswith("WEBVTT"):
        return "vtt"
    if name.endswith(".json"):
        return "transcript"
    return "text"


def read_script(path: Path, kind: str | None = None, encoding: str | None = None) -> Script:
    """``encoding``: the script's text encoding (default: a BOM, else strict UTF-8; see formats.decode)."""
    from ..formats import decode

    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FormatError("no such script", path=path) from None
    except OSError as exc:
        raise FormatError(f"cannot read script ({exc.strerror})", path=path) from exc
    text = decode(data, encoding, path=path)
    try:
        script = parse_script(text, kind or script_kind(path, text))
    except FormatError as exc:
        exc.path = str(path)
        raise
    if not script.words:
        raise FormatError("the script has no words", path=path)
    return script


def _split_words(text: str, group: int) -> list[ScriptWord]:
    out = []
    for token in text.split():
        if has_charwise(token):  # scripts without spaces: one word per character, punctuation attached
            first = True
            for ch in re.findall(f"[{CHARWISE}]" + r"\W*|\w+\W*|\W+", token):
                if out and not first and not has_charwise(ch) and not re.search(r"\w", ch):
                    prev = out.pop()
                    out.append(ScriptWord(prev.text + ch, prev.space_before, group))
                else:
                    out.append(ScriptWord(ch, first, group))
                first = False
        else:
            out.append(ScriptWord(token, True, group))
    return out


def _word_groups(t: Transcript) -> list[int]:
    groups = [0] * len(t.words)
    k = 0
    for g, u in enumerate(t.utterances):
        for _ in u.words:
            if k < len(groups):
                groups[k] = g
            k += 1
    return groups
