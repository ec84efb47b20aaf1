"""What a speaker may be called: one rule for enrolled voices, renames and the web form.

A name ends up in subtitle cues (SDH IDs: ``[NAME]``), in WebVTT/ASS markup, in the quote index and in
``speakers list``'s tab-separated lines, so it is one line of text without control characters, without
the brackets and markup characters those formats give a meaning, and short enough to stand on a
subtitle line. An enrolled voice may not be called like an automatic label (``S3``): two different
people would both be ``S3`` and the quote index would merge them.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import UsageError

MAX_NAME_CHARS = 32  # "[NAME] " leaves 10 characters of a 42-character line (a reflowed cue takes the rest)
FORBIDDEN = "[](){}<>"  # SDH IDs ([NAME], (NAME)), WebVTT tags <v NAME>, ASS overrides {\...}
AUTO_LABEL = re.compile(r"^S\d+$", re.IGNORECASE)


def check_name(name: str, *, what: str = "a speaker's name") -> str:
    """``name`` stripped, or UsageError saying what is wrong with it."""
    clean = (name or "").strip()
    if not clean:
        raise UsageError(f"{what} cannot be empty")
    bad = sorted({c for c in clean if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise UsageError(f"{what} {clean!r} holds control characters ({shown})",
                         hint="a name is one line of text")
    marks = sorted({c for c in clean if c in FORBIDDEN})
    if marks:
        raise UsageError(f"{what} {clean!r} holds {' '.join(marks)}",
                         hint="subtitles put names in brackets themselves ([NAME]); give the name alone")
    if len(clean) > MAX_NAME_CHARS:
        raise UsageError(f"{what} {clean!r} is {len(clean)} characters; {MAX_NAME_CHARS} at most",
                         hint="a speaker ID has to fit on a subtitle line with words beside it")
    return clean


def check_sample_name(name: str) -> str:
    """An enrolled voice's name: ``check_name``, and never an automatic label (S1, S2, ...)."""
    clean = check_name(name, what="a voice sample's name")
    if AUTO_LABEL.match(clean):
        raise UsageError(f"a voice sample cannot be called {clean!r}: S1, S2, ... are the labels of speakers "
                         "nobody named, so two different people would both be " + clean,
                         hint="give the person's name (--speaker-sample 'Jane Doe=jane.wav')")
    return clean


__all__ = ["AUTO_LABEL", "MAX_NAME_CHARS", "check_name", "check_sample_name"]
