"""Delivery QC: check any CueTrack against a profile, fix what can be fixed, retime. Pure functions.

``check_track`` lists every violation (rule, cue number, times, value, limit); ``fix_track`` re-breaks
and re-times a track without changing its words, through the same rules engine that makes subtitles
from transcripts, and says what it could not fix; ``shift``/``change_fps`` retime a track.

Rules are data (``RULES``) with a human description; every rule is an error (it fails delivery) except
those marked as warnings. Comparisons in ms allow 1 ms for rounding to ms; frame rules round to the
nearest frame at the profile's rate, so files written at ms precision by other tools are judged fairly.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..errors import FormatError, UsageError
from ..model import Cue, CueTrack, Span, Transcript, Word
from ..text import guess_cjk_language, tokens_for_layout
from ..timecode import FrameRate, format_srt, frames_to_ms, ms_to_frames, ms_to_smpte, parse_time
from .profiles import Profile
from .reading import hold_limit, readable_end

ERROR, WARNING = "error", "warning"

RULES: dict[str, tuple[str, str]] = {
    "empty": (ERROR, "a cue with no text"),
    "lines": (ERROR, "more lines than the profile allows"),
    "chars_per_line": (ERROR, "a line longer than the profile allows"),
    "charset": (ERROR, "characters the profile's caption system cannot show (CEA-608)"),
    "min_duration": (ERROR, "shown for less than the minimum duration"),
    "max_duration": (ERROR, "shown for longer than the maximum duration"),
    "reading_speed": (ERROR, "more characters per second than the profile allows, even held as long as the "
                             "rules allow: speech faster than the limit"),
    "reading_speed_hold": (ERROR, "more characters per second than the profile allows; the gap after it leaves "
                                  "room to hold it longer (fix does)"),
    "overlap": (ERROR, "starts before the previous cue ends"),
    "min_gap": (ERROR, "fewer frames after the previous cue than the minimum gap"),
    "chaining": (ERROR, "a short gap after the previous cue that should be closed to the minimum gap"),
    "frame_boundary": (ERROR, "a time that is not on a frame boundary at the profile's frame rate"),
    "past_media_end": (ERROR, "ends after the media does"),
    "shot_change_in": (ERROR, "in-time just before a shot change (move it onto the cut or 12 frames before)"),
    "shot_change_out": (ERROR, "out-time near a shot change but not 2 frames before it"),
    "crosses_shot_change": (WARNING, "a cue shown across a shot change"),
    "unread": (ERROR, "a block the reader could not read and skipped: its text is not checked"),
    "no_cues": (ERROR, "the file has text but no cue could be read from it"),
}




def _cea608_repertoire() -> frozenset[str]:
    """CEA-608's characters (CTA-608-E basic, special and extended sets), from ttconv's tables."""
    from ttconv.scc.codes.extended_characters import SccExtendedCharacter
    from ttconv.scc.codes.special_characters import SccSpecialCharacter
    from ttconv.scc.codes.standard_characters import TO_SCC_BYTES

    chars = set(TO_SCC_BYTES) | {m.value[2] for m in SccSpecialCharacter} | {m.value[2] for m in SccExtendedCharacter}
    return frozenset(chars | {" "})


_CEA608 = _cea608_repertoire()


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    cue: int  # 1-based cue number
    start_ms: int
    end_ms: int
    value: float | int | str
    limit: float | int | str
    message: str

    @property
    def severity(self) -> str:
        return RULES[self.rule][0]

    def to_dict(self, fps: FrameRate | None = None) -> dict[str, Any]:
        d = {"rule": self.rule, "severity": self.severity, "cue": self.cue, "start_ms": self.start_ms,
             "end_ms": self.end_ms, "start": format_srt(max(self.start_ms, 0)),
             "end": format_srt(max(self.end_ms, 0)), "value": self.value, "limit": self.limit,
             "message": self.message}
        if fps is not None:
            d["timecode"] = ms_to_smpte(max(self.start_ms, 0), fps)
        return d


@dataclass(frozen=True)
class Report:
    profile: str
    fps: FrameRate
    cues: int
    violations: tuple[Violation, ...]
    notes: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == ERROR)

    @property
    def failed_cues(self) -> frozenset[int]:
        return frozenset(v.cue for v in self.errors if v.cue > 0)  # cue 0: the file (what was not read)

    @property
    def passed(self) -> int:
        return self.cues - len(self.failed_cues)

    @property
    def compliance(self) -> float:
        if any(v.cue == 0 for v in self.errors):
            return 0.0 if not self.cues else min(self.passed / self.cues, 1 - 1 / (self.cues + 1))
        return self.passed / self.cues if self.cues else 1.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, int]:
        return dict(sorted(Counter(v.rule for v in self.violations).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile, "fps": str(self.fps), "cues": self.cues, "passed": self.passed,
            "failed": len(self.failed_cues), "compliance": round(self.compliance, 4), "ok": self.ok,
            "summary": self.summary(), "notes": list(self.notes),
            "violations": [v.to_dict(self.fps) for v in self.violations],
        }


# ---------------------------------------------------------------- helpers
def visible(line: str) -> str:
    """A line as people see it. Readers keep markup as structure (``Cue.spans``), never in the text,
    so a line is what is shown: ``<LAUGHING>`` read from ``&lt;LAUGHING&gt;`` is text."""
    return line


# The script rules are text.py's (one classifier for the package); the names stay here.
guess_language = guess_cjk_language


def line_length(line: str, count_spaces: bool = True) -> int:
    v = visible(line)
    return len(v) if count_spaces else len(v.replace(" ", "").replace("\u3000", ""))


def cue_chars(cue: Cue, count_spaces: bool = True) -> int:
    return sum(line_length(x, count_spaces) for x in cue.lines)


def _on_frame(ms: int, fr: FrameRate) -> bool:
    return abs(frames_to_ms(ms_to_frames(ms, fr), fr) - ms) <= 1


def profile_for_track(track: CueTrack, profile: Profile) -> Profile:
    lang = track.language or guess_language(" ".join(" ".join(c.lines) for c in track.cues[:200]))
    return profile.for_language(lang)


# ---------------------------------------------------------------- check
def check_track(
    track: CueTrack,
    profile: Profile,
    *,
    media_duration_ms: int | None = None,
    shot_changes_ms: Sequence[int] | None = None,
) -> Report:
    """Every violation of the profile's rules in the track, cue by cue (cues numbered from 1)."""
    return _check(track, profile_for_track(track, profile), media_duration_ms, shot_changes_ms)


def _check(track: CueTrack, prof: Profile, media_duration_ms: int | None = None,
           shot_changes_ms: Sequence[int] | None = None) -> Report:
    """``check_track`` with the profile already resolved for the track's language (``fix_track`` checks
    many small blocks of one track: the language is the track's, guessed once)."""
    out = list(iter_violations(track, prof, media_duration_ms, shot_changes_ms))
    frame_bad = sum(1 for v in out if v.rule == "frame_boundary")
    return Report(prof.name, prof.fps, len(track.cues), tuple(out), tuple(check_notes(track, prof, frame_bad)))


def check_notes(track: CueTrack, prof: Profile, frame_bad: int) -> list[str]:
    """The report's notes, given how many ``frame_boundary`` violations the track had."""
    notes = []
    if track.cues and frame_bad > len(track.cues) // 2:
        notes.append(f"most times are off the {prof.fps} fps frame grid: is --fps right?")
    if prof.language and not prof.count_spaces:
        notes.append(f"characters counted without spaces ({prof.language})")
    return notes


def iter_violations(track: CueTrack, prof: Profile, media_duration_ms: int | None = None,
                    shot_changes_ms: Sequence[int] | None = None) -> Iterator[Violation]:
    """The violations one by one, in report order (what the reader skipped first, then cue by cue), for
    ``prof`` resolved for the track's language (``profile_for_track``): a report of any size can be
    streamed (``qcstream``) without holding it."""
    yield from _reader_violations(track)
    fr = prof.fps
    fr_label = str(fr)
    min_gap, chain_gap = prof.min_gap_frames, prof.chain_gap_frames  # properties: computed once
    out: list[Violation] = []
    cs = prof.count_spaces
    cuts = sorted({ms_to_frames(c, fr) for c in (shot_changes_ms or ())}) if prof.shot_changes else []

    def add(rule: str, n: int, cue: Cue, value, limit, message: str) -> None:
        out.append(Violation(rule, n, cue.start_ms, cue.end_ms, value, limit, message))

    prev: Cue | None = None
    cues = track.cues
    for n, cue in enumerate(cues, start=1):
        lines = [x for x in cue.lines if visible(x).strip()]
        dur = cue.duration_ms
        if not lines:
            add("empty", n, cue, 0, 1, "no text")
        if len(lines) > prof.max_lines:
            add("lines", n, cue, len(lines), prof.max_lines, f"{len(lines)} lines > {prof.max_lines}")
        longest = max((line_length(x, cs) for x in lines), default=0)
        if longest > prof.max_chars_per_line:
            add("chars_per_line", n, cue, longest, prof.max_chars_per_line,
                f"a line of {longest} characters > {prof.max_chars_per_line}")
        if prof.charset == "cea608":
            bad = sorted({c for x in lines for c in visible(x) if c not in _CEA608})
            if bad:
                add("charset", n, cue, "".join(bad), "CEA-608", f"not in CEA-608: {''.join(bad)!r}")
        if dur < prof.min_duration_ms - 1:
            add("min_duration", n, cue, dur, prof.min_duration_ms, f"{dur} ms < {prof.min_duration_ms} ms")
        if dur > prof.max_duration_ms + 1:
            add("max_duration", n, cue, dur, prof.max_duration_ms, f"{dur} ms > {prof.max_duration_ms} ms")
        chars = sum(line_length(x, cs) for x in lines)
        if chars and (dur <= 0 or chars * 1000 > prof.max_cps * dur):
            cps = round(chars * 1000 / dur, 2) if dur > 0 else float("inf")
            want = readable_end(cue, chars, prof)
            most = hold_limit(cue, cues[n] if n < len(cues) else None, prof, media_duration_ms)
            if want <= most and dur > 0:
                add("reading_speed_hold", n, cue, cps, prof.max_cps,
                    f"{cps} characters/s > {prof.max_cps:g}: could be held longer, to {format_srt(want)}")
            else:
                held = round(chars * 1000 / (most - cue.start_ms), 2) if most > cue.start_ms else cps
                how = (f"{held} even held to {format_srt(most)}" if most > cue.end_ms else
                       "no room to hold it after its out-time")
                add("reading_speed", n, cue, cps, prof.max_cps,
                    f"{cps} characters/s > {prof.max_cps:g}, {how}: speech faster than the limit")
        if not (_on_frame(cue.start_ms, fr) and _on_frame(cue.end_ms, fr)):
            which = cue.start_ms if not _on_frame(cue.start_ms, fr) else cue.end_ms
            add("frame_boundary", n, cue, which, fr_label,
                f"{format_srt(max(which, 0))} is not on a frame at {fr_label} fps")
        if media_duration_ms is not None and cue.end_ms > media_duration_ms + 1:
            add("past_media_end", n, cue, cue.end_ms, media_duration_ms,
                f"ends at {format_srt(cue.end_ms)}, media ends at {format_srt(media_duration_ms)}")
        if prev is not None:
            gap_ms = cue.start_ms - prev.end_ms
            gap = ms_to_frames(gap_ms, fr)
            if gap_ms < 0:
                add("overlap", n, cue, -gap_ms, 0, f"overlaps cue {n - 1} by {-gap_ms} ms")
            elif gap < min_gap:
                add("min_gap", n, cue, gap, min_gap, f"{gap} frames after cue {n - 1} < {min_gap}")
            elif min_gap < gap <= chain_gap:
                add("chaining", n, cue, gap, min_gap,
                    f"a gap of {gap} frames (<= {chain_gap}) should close to {min_gap}")
        if cuts:
            _check_shots(cue, n, prof, cuts, add)
        prev = cue
        if out:
            yield from out
            out.clear()


def _reader_violations(track: CueTrack) -> list[Violation]:
    """What the reader skipped, and a file with text that gave no cue: errors on the file (cue 0)."""
    from ..formats._common import reader_skipped

    meta = track.metadata if isinstance(track.metadata, dict) else {}
    out = []
    for line, why in reader_skipped(track):
        out.append(Violation("unread", 0, 0, 0, line or 0, 0, f"line {line}: {why}" if line else why))
    src = meta.get("source") or {}
    if not track.cues and src.get("has_text"):
        out.append(Violation("no_cues", 0, 0, 0, 0, 1, "the file has text but no cue could be read from it"
                             + (f" ({len(out)} block(s) skipped)" if out else "")))
    return out


def _check_shots(cue: Cue, n: int, prof: Profile, cuts: Sequence[int], add) -> None:
    st, en = ms_to_frames(cue.start_ms, prof.fps), ms_to_frames(cue.end_ms, prof.fps)
    zone = prof.shot_zone_frames
    k = bisect.bisect_left(cuts, st)
    if k < len(cuts) and 1 <= cuts[k] - st < prof.shot_in_lead_frames:
        d = cuts[k] - st
        add("shot_change_in", n, cue, d, f"0 or {prof.shot_in_lead_frames}",
            f"in-time {d} frames before a shot change")
    k = bisect.bisect_right(cuts, en - zone)
    if k < len(cuts) and cuts[k] - zone < en < cuts[k] + zone and en != cuts[k] - prof.shot_out_frames:
        d = en - cuts[k]
        add("shot_change_out", n, cue, d, -prof.shot_out_frames,
            f"out-time {abs(d)} frames {'after' if d >= 0 else 'before'} a shot change "
            f"(should be {prof.shot_out_frames} before it)")
    inside = [c for c in cuts[bisect.bisect_right(cuts, st + zone):bisect.bisect_left(cuts, en - zone)]]
    if inside:
        add("crosses_shot_change", n, cue, len(inside), 0, f"shown across {len(inside)} shot change(s)")


# ---------------------------------------------------------------- fix
_tokens = tokens_for_layout


def track_words(track: CueTrack, unspaced: bool = False) -> tuple[list[Word], list[int], list[int]]:
    """Words with times spread over each cue (by length), the first word of each cue, and the cues whose
    lines are a dialogue (each line starts with a dash)."""
    words: list[Word] = []
    firsts: list[int] = []
    dialogue: list[int] = []
    for n, cue in enumerate(track.cues):
        toks = [t for line in cue.lines for t in _tokens(line, unspaced)]
        if len(cue.lines) > 1 and all(x.lstrip().startswith(("-", "–", "—")) for x in cue.lines):
            dialogue.append(n)
        firsts.append(len(words))
        if not toks:
            continue
        weights = [len(t) + 1 for t, _ in toks]
        total = sum(weights)
        span = max(cue.end_ms - cue.start_ms, 0)
        acc = 0
        for (text, sp), w in zip(toks, weights, strict=True):
            a = cue.start_ms + span * acc // total
            acc += w
            b = cue.start_ms + span * acc // total
            words.append(Word(text, a, max(a, b), 1.0, sp if words else False))
    return words, firsts, dialogue


@dataclass(frozen=True)
class FixResult:
    track: CueTrack
    before: Report
    after: Report
    notes: tuple[str, ...] = field(default=())


def _char_styles(runs: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    for r in runs:
        out += [Span(c, r.italic, r.bold, r.underline, r.color, r.voice) for c in r.text]
    return out


def _word_runs(cue: Cue, unspaced: bool) -> list[list[Span]]:
    """Each word of a cue (as ``_tokens`` splits it) as its styled runs."""
    from ..formats.markup import normalise, styled_lines

    out: list[list[Span]] = []
    if not cue.spans:  # plain text: each word is one plain run (what the styled walk below gives it)
        return [[Span(tok)] for line in cue.lines for tok, _ in _tokens(line, unspaced)]
    for line, runs in zip(cue.lines, styled_lines(cue), strict=True):
        chars = _char_styles(runs)
        pos = 0
        for tok, _ in _tokens(line, unspaced):
            k = line.find(tok, pos)
            k = pos if k < 0 else k
            out.append(normalise([chars[k:k + len(tok)]])[0] or [Span(tok)])
            pos = k + len(tok)
    return out


def _styled_cue(cue: Cue, word_runs: dict[int, list[Span]], placement) -> Cue:
    """A rebuilt cue with its words' styles: spaces take the style of the words on both sides."""
    from ..formats.markup import make_cue

    words = list(cue.words)
    if not any(id(w) in word_runs for w in words):  # all plain: the walk below without the runs
        texts: list[str] = []
        k = 0
        for line in cue.lines:
            consumed = ""
            while k < len(words) and len(consumed) < len(line.strip()):
                consumed += (" " if consumed and words[k].space_before else "") + words[k].text
                k += 1
            texts.append(consumed.strip())
        plain = tuple(x for x in texts if x)
        if plain != tuple(x.strip() for x in cue.lines if x.strip()):
            return cue
        return Cue(cue.start_ms, cue.end_ms, plain, cue.words, (),
                   None if placement is None or placement.default else placement)
    lines: list[list[Span]] = []
    k = 0
    for line in cue.lines:
        runs: list[Span] = []
        prev: Span | None = None
        consumed = ""
        while k < len(words) and len(consumed) < len(line.strip()):
            w = words[k]
            wr = word_runs.get(id(w), [Span(w.text)])
            if runs and w.space_before:
                nxt = wr[0]
                style = prev if prev is not None and prev.same_style(nxt) else Span(" ")
                runs.append(Span(" ", style.italic, style.bold, style.underline, style.color, style.voice))
                consumed += " "
            runs += wr
            prev = wr[-1]
            consumed += w.text
            k += 1
        lines.append(runs)
    made = make_cue(cue.start_ms, cue.end_ms, lines, placement)
    if made.lines != tuple(x.strip() for x in cue.lines if x.strip()):  # could not map: keep the plain text
        return cue
    return Cue(cue.start_ms, cue.end_ms, made.lines, cue.words, made.spans, made.placement)


def merge_concurrent(track: CueTrack, prof: Profile) -> tuple[CueTrack, list[str]]:
    """Cues that start together (within a frame) are shown together: one cue with all their lines,
    when the lines fit the profile. Returns the track and notes naming the merged cues."""
    frame = float(1000 / prof.rate)
    out: list[Cue] = []
    notes: list[str] = []
    first_n: list[int] = []
    for n, cue in enumerate(track.cues, start=1):
        prev = out[-1] if out else None
        if (prev is not None and abs(cue.start_ms - prev.start_ms) <= frame and cue.lines and prev.lines
                and len(prev.lines) + len(cue.lines) <= prof.max_lines):
            from ..formats.markup import make_cue, styled_lines

            merged = make_cue(min(prev.start_ms, cue.start_ms), max(prev.end_ms, cue.end_ms),
                              styled_lines(prev) + styled_lines(cue), prev.placement)
            out[-1] = merged
            notes.append(f"cues {first_n[-1]} and {n} are shown together: merged into one cue")
            continue
        out.append(cue)
        first_n.append(n)
    return CueTrack(tuple(out), track.language, dict(track.metadata)), notes


def _first_word_indices(cues: Sequence[Cue], words: Sequence[Word]) -> list[int]:
    """For each cue the rules engine made from ``words``: the index of its first word (-1: no words). The
    engine keeps the words in order, so a running count finds them (no id->index map of every word: memory
    at 100k cues); a map is the fallback should a cue not start where the count says."""
    out: list[int] = []
    k = 0
    for c in cues:
        if not c.words:
            out.append(-1)
            continue
        if k >= len(words) or words[k] is not c.words[0]:
            index = {id(w): i for i, w in enumerate(words)}
            return [index[id(x.words[0])] if x.words else -1 for x in cues]
        out.append(k)
        k += len(c.words)
    return out


def _errors(cues: Sequence[Cue], prof: Profile, lo: int, **kw) -> tuple[int, int]:
    """Errors on cues[lo:] when checked after cues[:lo] (the context for gap rules), and how many of
    them are cues under the minimum duration (``prof``: resolved for the track's language)."""
    rep = _check(CueTrack(tuple(cues)), prof, **kw)
    errs = [v for v in rep.errors if v.cue > lo]
    return len(errs), sum(1 for v in errs if v.rule == "min_duration")


def fix_track(
    track: CueTrack,
    profile: Profile,
    *,
    media_duration_ms: int | None = None,
    shot_changes_ms: Sequence[int] | None = None,
    recheck: bool = True,
) -> FixResult:
    """Re-break and re-time a track without changing its words (whitespace aside), never making it worse.

    Cues that start together are merged into one (when their lines fit). Each cue's words are spread
    over its times and fed to the rules engine with the original cue boundaries as preferred breaks.
    The result is then taken block by block (a block: cues of the input and of the rebuild that cover
    the same words): a rebuilt block replaces the input's only when the input block fails and the
    rebuilt one has fewer errors in context; so passing cues stay untouched, and a block that the
    rules engine would make worse (split into cues under the minimum duration, say) stays as it was.
    Styling and placement follow the words. What still fails is in ``after`` (with ``recheck=False``
    ``after`` is ``before``: for a caller that checks what it writes, as ``rules.fix_file`` does).
    """
    from .cues import make_cues

    kw = {"media_duration_ms": media_duration_ms, "shot_changes_ms": shot_changes_ms}
    before = check_track(track, profile, **kw)
    prof = profile_for_track(track, profile)
    unspaced = not prof.count_spaces
    notes: list[str] = []
    work, merged_notes = merge_concurrent(track, prof)
    notes += merged_notes
    empties = [n for n, c in enumerate(work.cues, start=1) if not any(x.strip() for x in c.lines)]
    if empties:
        notes.append(f"{len(empties)} cue(s) with no text removed (cue " + ", ".join(map(str, empties[:8]))
                     + (", ..." if len(empties) > 8 else "") + ")")
        work = CueTrack(tuple(c for c in work.cues if any(x.strip() for x in c.lines)), work.language,
                        dict(work.metadata))
    words, firsts, dialogue = track_words(work, unspaced)
    if not words:
        fixed = CueTrack((), track.language, {**track.metadata, "fixed": True})
        return FixResult(fixed, before, check_track(fixed, profile, **kw), tuple(notes))
    word_runs: dict[int, list[Span]] = {}  # styled words only: a plain word is one plain run of its text
    for n, cue in enumerate(work.cues):
        if not cue.spans:
            continue
        lo = firsts[n]
        for k, wr in enumerate(_word_runs(cue, unspaced)):
            if lo + k < len(words):
                word_runs[id(words[lo + k])] = wr
    transcript = Transcript(tuple(words), prof.language or track.language, media_duration_ms or 0)
    made = make_cues(transcript, profile, shot_changes_ms=shot_changes_ms, preferred_breaks=firsts[1:])
    first = _first_word_indices(made.cues, words)  # per rebuilt cue: the index of its first word (or -1)
    rebuilt = []
    for c, i0 in zip(made.cues, first, strict=True):
        n0 = bisect.bisect_right(firsts, i0) - 1 if c.words else None  # the input cue
        placement = work.cues[n0].placement if n0 is not None else None
        rebuilt.append(_styled_cue(c, word_runs, placement))
    # dialogue cues that came through whole keep their dash lines
    bounds = firsts + [len(words)]
    first_word = {first[k]: k for k, c in reversed(list(enumerate(rebuilt))) if c.words}
    for n in dialogue:
        i, j = bounds[n], bounds[n + 1]
        k = first_word.get(i, -1)
        if k >= 0 and len(rebuilt[k].words) == j - i:
            c = rebuilt[k]
            rebuilt[k] = Cue(c.start_ms, c.end_ms, tuple(x.strip() for x in work.cues[n].lines), c.words,
                             work.cues[n].spans, work.cues[n].placement)
    # blocks: where the input and the rebuild both start a cue at the same word
    old_starts = {bounds[n]: n for n in range(len(work.cues))}
    new_starts = {}
    for k, c in enumerate(rebuilt):
        if c.words:
            new_starts.setdefault(first[k], k)
    cuts = sorted(set(old_starts) & set(new_starts)) + [len(words)]
    chosen: list[Cue] = []
    replaced = 0
    for b, (w0, w1) in enumerate(zip(cuts, cuts[1:], strict=False)):
        # both lists are in word order: walk from the block's first cue to the first one past it (linear;
        # a filter over every later cue made fix quadratic: 21 s for 10k cues)
        olds = []
        n = old_starts[w0]
        while n < len(work.cues) and bounds[n] < w1:
            olds.append(work.cues[n])
            n += 1
        news = []
        for k in range(new_starts[w0], len(rebuilt)):
            c = rebuilt[k]
            if not c.words:
                continue
            if first[k] >= w1:
                break
            news.append(c)
        nxt_cue = work.cues[old_starts[cuts[b + 1]]] if b + 2 < len(cuts) else None
        ctx = chosen[-1:]
        tail = [nxt_cue] if nxt_cue is not None else []
        e_old, short_old = _errors(ctx + olds + tail, prof, len(ctx), **kw)
        if e_old == 0:
            chosen += olds
            continue
        e_new, short_new = _errors(ctx + news + tail, prof, len(ctx), **kw)
        if e_new < e_old and short_new <= short_old:
            chosen += news
            replaced += len(olds)
        else:
            chosen += olds
    from .overlaps import close_overlaps
    from .reading import hold_and_note

    chosen, overlap_notes = close_overlaps(chosen, prof)  # what the blocks left: closed, or a note on why not
    notes += overlap_notes
    chosen, reading_notes = hold_and_note(chosen, prof, lambda c: cue_chars(c, prof.count_spaces),
                                          media_duration_ms)
    notes += reading_notes
    fixed = CueTrack(tuple(chosen), track.language, {**track.metadata, **made.metadata, "fixed": True})
    after = check_track(fixed, profile, **kw) if recheck else before
    kept = len(work.cues) - replaced
    notes.append(f"{kept} of {len(work.cues)} cue(s) kept as they were; {replaced} re-made")
    if len(fixed.cues) != len(track.cues):
        notes.append(f"{len(track.cues)} cues became {len(fixed.cues)}")
    return FixResult(fixed, before, after, tuple(notes))


# ---------------------------------------------------------------- retime
def parse_offset(text: str) -> int:
    """'+1.5', '-2s', '250ms', '-00:00:01,500' -> ms (``timecode.parse_time``, signed)."""
    try:
        return parse_time(text, signed=True)
    except FormatError as exc:
        raise FormatError(f"not a time offset: {text!r}", hint=exc.hint) from None


def shift(track: CueTrack, offset_ms: int) -> tuple[CueTrack, int]:
    """Move every cue by ``offset_ms``; cues that would end at or before 0 are dropped (their count is
    returned), a start before 0 becomes 0."""
    cues = []
    dropped = 0
    for c in track.cues:
        a, b = c.start_ms + offset_ms, c.end_ms + offset_ms
        if b < 0 or (b == 0 and c.end_ms > 0):  # moved to end before 0 (a 0 -> 0 cue stays at 0)
            dropped += 1
            continue
        cues.append(c.with_times(max(a, 0), b))
    return CueTrack(tuple(cues), track.language, dict(track.metadata)), dropped


def change_fps(track: CueTrack, from_fps: str | FrameRate, to_fps: str | FrameRate) -> CueTrack:
    """Retime for a speed change, e.g. 23.976 -> 25 (PAL speed-up): every time scales by from/to."""
    a, b = FrameRate.parse(from_fps).rate, FrameRate.parse(to_fps).rate
    ratio = a / b
    if not Fraction(1, 2) <= ratio <= 2:  # a speed change between video rates: 23.976 -> 25 is 4 %
        raise UsageError(f"from_fps {from_fps} -> to_fps {to_fps} would scale every time by {float(ratio):.4g}: "
                         "a frame-rate retime is a speed change (23.976 -> 25 scales by 0.959); refused beyond 2x")

    def scale(ms: int) -> int:
        return int(round(Fraction(ms) * ratio))

    cues = tuple(c.with_times(scale(c.start_ms), scale(c.end_ms)) for c in track.cues)
    meta = dict(track.metadata)
    if meta.get("fps"):  # a file that says its frame rate (EBU-STL) is written back at the new one
        meta["fps"] = str(FrameRate.parse(to_fps))
    return CueTrack(cues, track.language, meta)


# ---------------------------------------------------------------- shot-change lists
def parse_shot_changes(text: str, fps: FrameRate | None = None) -> tuple[int, ...]:
    """Cut times from text: a JSON list (ms), or one time per line: seconds, HH:MM:SS.mmm, or SMPTE
    HH:MM:SS:FF (needs ``fps``). Blank lines and lines starting with '#' are skipped."""
    import json

    t = text.strip()
    if t.startswith(("[", "{")):
        try:
            data = json.loads(t)
        except json.JSONDecodeError as exc:
            raise FormatError(f"shot changes: not JSON: {exc.msg}", line=exc.lineno) from None
        if isinstance(data, dict):
            data = data.get("shot_changes_ms", data.get("cuts_ms", []))
        try:
            return tuple(sorted(int(x) for x in data))
        except (TypeError, ValueError):
            raise FormatError("shot changes: expected a list of times in ms") from None
    out = []
    for n, line in enumerate(t.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            out.append(parse_time(s, fps=fps))
        except FormatError as exc:
            raise FormatError(f"shot changes: {exc.message}", line=n, hint=exc.hint) from None
    return tuple(sorted(out))
