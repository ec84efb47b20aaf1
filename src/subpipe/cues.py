"""Words -> a CueTrack under a profile: segmentation, line breaking and timing composed."""

from __future__ import annotations

from collections.abc import Sequence

from .linebreak import break_lines, text_length
from .model import Cue, CueTrack, Transcript, Word, join_words
from .profiles import Profile
from .segment import segment
from .timing import Span, time_cues

RECIPE = "segment(dp: sentence>clause>pause, lines fit)+linebreak(penalties, bottom-heavy)+timing(frames)"


def lines_for(words: Sequence[Word], profile: Profile) -> tuple[str, ...]:
    lines = break_lines(
        [w.text for w in words],
        profile.max_chars_per_line,
        profile.max_lines,
        spaces=[w.space_before for w in words],
        count_spaces=profile.count_spaces,
    )
    if lines is None:  # a group the segmenter kept whole because it is one word
        return (join_words(words),)
    return lines


def make_cues(transcript: Transcript, profile: Profile) -> CueTrack:
    words = transcript.words
    groups = segment(words, profile)
    spans, lines = [], []
    for i, j in groups:
        ws = words[i:j]
        ls = lines_for(ws, profile)
        lines.append((ls, ws))
        spans.append(Span(ws[0].start_ms, ws[-1].end_ms, sum(text_length(x, profile.count_spaces) for x in ls)))
    times = time_cues(spans, profile, transcript.duration_ms or None)
    cues = tuple(Cue(a, b, ls, ws) for (a, b), (ls, ws) in zip(times, lines, strict=True))
    return CueTrack(
        cues,
        language=transcript.language,
        metadata={"profile": profile.describe(), "recipe": RECIPE},
    )
