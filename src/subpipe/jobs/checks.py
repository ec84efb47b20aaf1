"""Options checked before any file is transcribed: what would be thrown away, or silently ignored, later.

Voice samples are read once here (a missing, silent or too short sample is an error naming the speaker and
the file), and options that do nothing together are usage errors rather than silence.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import UsageError
from .pipeline import RunOptions


def check_run_options(opts: RunOptions, where: str = "") -> None:
    """Raise for options that contradict each other or a voice sample that cannot name anyone."""
    at = f" ({where})" if where else ""
    if opts.speaker_samples and opts.speakers == "off":
        raise UsageError(f"--speaker-sample names the speakers that diarization finds: it does nothing with "
                         f"--speakers off{at}", hint="drop --speakers off, or the samples")
    if opts.dialogue_stem and opts.separate == "on":
        raise UsageError(f"--separate on isolates the dialogue of the media's own soundtrack; with --dialogue-stem "
                         f"the stem is transcribed as it is{at}", hint="leave out --separate, or the stem")
    if opts.speaker_samples:
        from ..speakers.samples import check_samples

        check_samples(opts.speaker_samples)


def check_items(items: Sequence) -> None:
    """``check_run_options`` for every batch item (each distinct option set once)."""
    seen: list[RunOptions] = []
    for it in items:
        if it.options in seen:
            continue
        seen.append(it.options)
        check_run_options(it.options, it.origin if it.origin and " row " in it.origin else "")
