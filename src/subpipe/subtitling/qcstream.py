"""``check --json`` for files of any size: the report written as it is made, repeated violations capped.

``qc.check_track`` holds every violation; on a 55 MB SRT that was 2.4 GB of memory and 435 MB of JSON,
most of it the same rule on cue after cue. Here the violations come one by one from
``qc.iter_violations`` and go straight to the stream; after ``max_per_rule`` of one rule the rest of that
rule are only counted (``"omitted": {"rule": count}``). What is kept in memory is a counter per rule and the
set of failed cue numbers, so memory does not grow with the report. The JSON object has the keys of
``Report.to_dict`` (``summary`` counts every violation, capped or not) plus ``omitted`` and ``max_per_rule``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import IO, Any

from ..model import CueTrack
from .profiles import Profile
from .qc import RULES, check_notes, iter_violations, profile_for_track

DEFAULT_MAX_PER_RULE = 100


def write_report_json(stream: IO[str], track: CueTrack, profile: Profile, *, head: dict[str, Any] | None = None,
                      media_duration_ms: int | None = None, shot_changes_ms: Sequence[int] | None = None,
                      max_per_rule: int = DEFAULT_MAX_PER_RULE) -> bool:
    """Write the check report of ``track`` to ``stream`` as one JSON object on one line (``head``'s keys
    first, e.g. the file name); ``max_per_rule`` 0 keeps every violation. Returns whether the track passes."""
    prof = profile_for_track(track, profile)
    counts: Counter[str] = Counter()
    failed: set[int] = set()
    file_error = False

    def dumps(x: Any) -> str:
        return json.dumps(x, ensure_ascii=False)

    stream.write("{")
    for k, v in (head or {}).items():
        stream.write(f"{dumps(k)}: {dumps(v)}, ")
    stream.write(f'"profile": {dumps(prof.name)}, "fps": {dumps(str(prof.fps))}, "cues": {len(track.cues)}, '
                 f'"max_per_rule": {max_per_rule}, "violations": [')
    first = True
    for v in iter_violations(track, prof, media_duration_ms, shot_changes_ms):
        counts[v.rule] += 1
        if RULES[v.rule][0] == "error":
            if v.cue > 0:
                failed.add(v.cue)
            else:
                file_error = True
        if max_per_rule and counts[v.rule] > max_per_rule:
            continue
        stream.write(("" if first else ", ") + dumps(v.to_dict(prof.fps)))
        first = False
    n = len(track.cues)
    passed = n - len(failed)
    if file_error:
        compliance = 0.0 if not n else min(passed / n, 1 - 1 / (n + 1))
    else:
        compliance = passed / n if n else 1.0
    ok = not failed and not file_error
    omitted = {r: c - max_per_rule for r, c in sorted(counts.items()) if max_per_rule and c > max_per_rule}
    notes = check_notes(track, prof, counts["frame_boundary"])
    if omitted:
        notes.append(f"{sum(omitted.values())} violation(s) past {max_per_rule} of one rule are counted, not "
                     "listed (--max-per-rule 0 lists them all)")
    stream.write(f'], "omitted": {dumps(omitted)}, "passed": {passed}, "failed": {len(failed)}, '
                 f'"compliance": {round(compliance, 4)}, "ok": {dumps(ok)}, '
                 f'"summary": {dumps(dict(sorted(counts.items())))}, "notes": {dumps(notes)}}}\n')
    return ok
