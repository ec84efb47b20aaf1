"""The library twins of `subpipe language` and `subpipe clean` (re-exported by subpipe.api), with the
commands' options as keyword parameters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..model import Transcript
from .clean import CleanOptions, CleanResult
from .report import LanguageReport, language_report


def language(transcripts: Sequence[Transcript | Path | str] | Path | str, *, output: Path | str | None = None,
             fps: str | None = None, severity: str = "mild", lexicon: Path | str | None = None) -> LanguageReport:
    """Every instance of strong language in transcripts (Transcripts or their JSON files, one per file or
    reel): in and out times (timecode at ``fps``), the word as said, severity, speaker and utterance, with
    counts per term, speaker and file (:class:`~subpipe.language.report.LanguageReport`); written to
    ``output`` when given (.csv, .json, .md or .docx). ``lexicon``: a TOML tier file over the built-in tiers."""
    return language_report(transcripts, output=output, fps=fps, severity=severity, lexicon=lexicon)


def clean(media: Path | str, *, transcript: Transcript | Path | str, output: Path | str, mode: str = "dip",
          severity: str = "strong", handles_ms: int = 40, report: Path | str | None = None,
          lexicon: Path | str | None = None, options: CleanOptions | None = None) -> CleanResult:
    """A clean version of ``media`` written to ``output``: each word of ``transcript`` at ``severity`` or
    above dipped (``mode="dip"``: to silence, with 10 ms fades) or covered with a 1 kHz tone (``"bleep"``), its
    span widened by ``handles_ms``; video and subtitle streams copied. Returns the changes
    (:class:`~subpipe.language.clean.CleanResult`), also written as JSON to ``report`` when given.
    ``options`` (a CleanOptions) overrides the other settings."""
    from ..fsio import atomic_write_text
    from .clean import clean as render_clean

    opts = options or CleanOptions(mode=mode, severity=severity, handles_ms=handles_ms,
                                   lexicon=Path(lexicon) if lexicon else None)
    res = render_clean(media, transcript, output, opts)
    if report is not None:
        atomic_write_text(Path(report), json.dumps(res.as_dict(), ensure_ascii=False, indent=2) + "\n")
    return res
