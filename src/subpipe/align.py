"""A known script -> Transcript: the script's own words, each timed against the audio.

How (stable-ts's ``align`` and faster-whisper's word timestamps are the models):

1. Anchor pass: a fast transcription (greedy, word timestamps) says roughly what is said when.
2. Text alignment: script words and heard words are matched (difflib blocks, then an edit-distance
   alignment inside each gap). Unmatched runs become *mismatches*: script passages that have no
   room in the audio are "not heard"; heard passages the script lacks are "unscripted". They are
   reported, never hidden; unscripted speech is kept out of the alignment windows.
3. Windows: the script is cut into slices of at most 30 s of audio, at pauses between anchored words.
4. Whisper alignment: each slice's exact tokens are aligned to its audio with the model's
   cross-attention (CTranslate2 ``Whisper.align``, dynamic time warping over the alignment heads),
   which gives every word (numbers, symbols, names included) a start and an end on a 20 ms grid.
5. Refinement (English): word boundaries are moved to a phone-level forced alignment
   (pocketsphinx) where it agrees with Whisper's; elsewhere Whisper's times stand.

Every script word comes out, in order, with non-decreasing times inside the media. Words of a
passage that is not heard get a zero-length time where the passage would be and probability 0.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .errors import AlignmentError, FormatError, SubpipeError
from .model import NO_SPACE_LANGUAGES, CueTrack, Transcript, Word
from .transcribe import Progress, TranscribeOptions, load_model, transcribe_audio
from .utterances import build_utterances

log = logging.getLogger("subpipe")

SAMPLE_RATE = 16_000
WINDOW_MS = 30_000  # Whisper's receptive field
MAX_WINDOW_MS = 29_000  # leave room for the padding frame
WINDOW_PAD_MS = 800  # audio kept around a slice's first and last word
MAX_TOKENS = 400  # of the decoder's 448 positions, less the start sequence
FAST_ANCHOR = "tiny.en"
FILLERS = frozenset("uh um er erm ah eh hm hmm mm mhm uhm huh".split())
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


# ---------------------------------------------------------------- options and results
@dataclass(frozen=True)
class AlignOptions:
    transcribe: TranscribeOptions = field(default_factory=TranscribeOptions)
    # The anchor pass only has to find the words: greedy, and with tiny.en when the speech is English
    # ("auto"; the aligning model still does the timing). A model name forces one.
    anchor_model: str = "auto"
    anchor_beam_size: int = 1
    # auto: phones for English when pocketsphinx is installed, else energy | phones | energy | none
    refine: str = "auto"
    min_mismatch_words: int = 3  # shorter unmatched runs are misrecognitions, not mismatches
    batch_size: int = 4  # windows encoded and aligned together

    def provenance(self) -> dict[str, Any]:
        return {"transcribe": self.transcribe.provenance(), "anchor_model": self.anchor_model,
                "anchor_beam_size": self.anchor_beam_size,
                "refine": self.refine, "min_mismatch_words": self.min_mismatch_words}


@dataclass(frozen=True, slots=True)
class ScriptWord:
    text: str
    space_before: bool = True
    group: int = 0  # the cue or paragraph it came from


@dataclass(frozen=True)
class Script:
    words: tuple[ScriptWord, ...]
    kind: str = "text"  # text | srt | vtt | transcript
    cues: tuple[Any, ...] = ()  # the subtitle cues, for srt/vtt scripts (group = cue index)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A difference between the script and the audio.

    not_heard: script words [first, last) have no room in the audio; start_ms == end_ms marks where.
    unscripted: speech between start_ms and end_ms that the script lacks; heard is what Whisper heard,
    and it falls before script word ``first``.
    """

    kind: str
    start_ms: int
    end_ms: int
    first: int
    last: int
    text: str

    def describe(self) -> str:
        from .timecode import format_srt

        at = f"{format_srt(self.start_ms)}"
        if self.kind == "not_heard":
            return f"not heard (script words {self.first + 1}-{self.last}, near {at}): {self.text}"
        return (f"unscripted speech {at}-{format_srt(self.end_ms)} (before script word {self.first + 1}): "
                f"{self.text}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_ms": self.start_ms, "end_ms": self.end_ms,
                "script_words": [self.first, self.last], "text": self.text}


@dataclass(frozen=True)
class Alignment:
    transcript: Transcript
    mismatches: tuple[Mismatch, ...]
    stats: dict[str, Any]

    @property
    def not_heard(self) -> tuple[Mismatch, ...]:
        return tuple(m for m in self.mismatches if m.kind == "not_heard")

    @property
    def unscripted(self) -> tuple[Mismatch, ...]:
        return tuple(m for m in self.mismatches if m.kind == "unscripted")


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
        from .formats import SUBTITLE_FORMATS

        track: CueTrack = SUBTITLE_FORMATS[kind].loads(text)
        words = []
        for g, cue in enumerate(track.cues):
            words += _split_words(" ".join(cue.lines), g)
        return Script(tuple(words), kind, track.cues)
    if kind == "transcript":
        from .formats import transcript_json

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
    from .formats import decode

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
        if _CJK.search(token):  # scripts without spaces: one word per character, punctuation attached
            first = True
            for ch in re.findall(_CJK.pattern + r"\W*|\w+\W*|\W+", token):
                if out and not first and not _CJK.search(ch) and not re.search(r"\w", ch):
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


# ---------------------------------------------------------------- text normalisation and matching
def norm_tokens(word: str) -> list[str]:
    """Comparable pieces of a written word: lowercase letters and digits, no punctuation."""
    w = unicodedata.normalize("NFKC", word).lower()
    w = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", w)  # 5,000 -> 5000
    w = w.replace("’", "'").replace("'", "")
    w = w.replace("%", " percent ").replace("&", " and ")
    toks = []
    for piece in re.split(r"[^\w]+|_", w):
        if not piece:
            continue
        if _CJK.search(piece):
            toks += [c for c in piece if c.strip()]
        else:
            toks.append(piece)
    return toks


def _flatten(texts: Sequence[str]) -> tuple[list[str], list[int]]:
    toks, owner = [], []
    for i, t in enumerate(texts):
        for tok in norm_tokens(t):
            toks.append(tok)
            owner.append(i)
    return toks, owner


def match_tokens(a: Sequence[str], b: Sequence[str]) -> list[int | None]:
    """For each token of a, the index of its partner in b (or None): a monotonic alignment.

    Exact matching blocks anchor it (difflib); inside each gap an edit-distance alignment pairs
    tokens that are spelled alike.
    """
    pair: list[int | None] = [None] * len(a)
    sm = difflib.SequenceMatcher(None, list(a), list(b), autojunk=False)
    ai = bi = 0
    for blk in sm.get_matching_blocks():
        _gap_pairs(a, b, ai, blk.a, bi, blk.b, pair)
        for k in range(blk.size):
            pair[blk.a + k] = blk.b + k
        ai, bi = blk.a + blk.size, blk.b + blk.size
    return pair


def _similar(x: str, y: str) -> float:
    if x == y:
        return 1.0
    return difflib.SequenceMatcher(None, x, y).ratio()


def _gap_pairs(a, b, a0, a1, b0, b1, pair) -> None:
    n, m = a1 - a0, b1 - b0
    if n == 0 or m == 0:
        return
    if n * m > 250_000:  # a huge unmatched stretch: nothing to pair reliably
        return
    inf = float("inf")
    cost = np.full((n + 1, m + 1), inf)
    back = np.zeros((n + 1, m + 1), np.int8)
    cost[0, :] = np.arange(m + 1)
    cost[:, 0] = np.arange(n + 1)
    back[0, 1:] = 2
    back[1:, 0] = 1
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = cost[i - 1, j - 1] + 1.6 * (1.0 - _similar(a[a0 + i - 1], b[b0 + j - 1]))
            dele = cost[i - 1, j] + 1.0
            ins = cost[i, j - 1] + 1.0
            if sub <= dele and sub <= ins:
                cost[i, j], back[i, j] = sub, 0
            elif dele <= ins:
                cost[i, j], back[i, j] = dele, 1
            else:
                cost[i, j], back[i, j] = ins, 2
    i, j = n, m
    while i > 0 and j > 0:
        step = back[i, j]
        if step == 0:
            if _similar(a[a0 + i - 1], b[b0 + j - 1]) >= 0.5:
                pair[a0 + i - 1] = b0 + j - 1
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1


# ---------------------------------------------------------------- energy (voice activity)
def voiced_frames(samples: np.ndarray, frame_ms: int = 10) -> np.ndarray:
    """A boolean per 10 ms frame: louder than the noise floor by a margin (a plain energy detector).

    The floor and the speech level are read from frames that are not digital silence, so a channel
    that is silent half of the time still has its own noise floor.
    """
    hop = SAMPLE_RATE * frame_ms // 1000
    n = len(samples) // hop
    if n == 0:
        return np.zeros(0, bool)
    x = samples[: n * hop].astype(np.float32).reshape(n, hop)
    db = 10 * np.log10(np.mean(x * x, axis=1) + 1e-10)
    live = db[db > -85]
    if live.size < 10:
        return np.zeros(n, bool)
    peak = float(np.percentile(live, 97))
    floor = min(float(np.percentile(live, 10)), peak - 20.0)  # a file that is all voice still has a floor
    thr = floor + max(6.0, 0.3 * (peak - floor))
    voiced = db > thr
    _drop_short_runs(voiced, True, 5)  # clicks and noise bursts under 50 ms are not speech
    _drop_short_runs(voiced, False, 3)  # nor are gaps under 30 ms pauses (stop closures)
    return voiced


def _drop_short_runs(mask: np.ndarray, value: bool, min_frames: int) -> None:
    n = len(mask)
    k = 0
    while k < n:
        if mask[k] != value:
            k += 1
            continue
        j = k
        while j < n and mask[j] == value:
            j += 1
        if j - k < min_frames and k > 0 and j < n:
            mask[k:j] = not value
        k = j


def unvoiced_runs(voiced: np.ndarray, min_ms: int) -> list[tuple[int, int]]:
    """(start_ms, end_ms) of stretches without voice at least min_ms long."""
    out = []
    n = len(voiced)
    k = 0
    while k < n:
        if voiced[k]:
            k += 1
            continue
        j = k
        while j < n and not voiced[j]:
            j += 1
        if (j - k) * 10 >= min_ms:
            out.append((k * 10, j * 10))
        k = j
    return out


def voiced_ms(voiced: np.ndarray, start_ms: int, end_ms: int) -> int:
    a, b = max(0, start_ms // 10), max(0, end_ms // 10)
    return int(voiced[a:b].sum()) * 10


# ---------------------------------------------------------------- the alignment
@dataclass
class _Plan:
    """Which script words go to the aligner, their rough times, and what is reported."""

    n: int
    approx: list[tuple[int, int]]
    excluded: set[int]
    mismatches: list[Mismatch]
    unscripted_spans: list[tuple[int, int]]


def align(
    samples: np.ndarray,
    script: Script | str,
    options: AlignOptions | None = None,
    *,
    progress: Progress | None = None,
    media_sha256: str | None = None,
    media_name: str | None = None,
    anchor: Transcript | None = None,
) -> Alignment:
    """Time the script's words against 16 kHz mono samples. ``anchor``: a transcript of the same
    audio to use instead of the anchor pass (e.g. one made already)."""
    options = options or AlignOptions()
    if isinstance(script, str):
        script = parse_script(script)
    duration_ms = int(len(samples) * 1000 / SAMPLE_RATE + 0.5)
    words = script.words
    if not words:
        raise AlignmentError("the script has no words")
    loaded = load_model(options.transcribe)
    voiced = voiced_frames(samples)
    anchor_model = None
    if anchor is None:
        anchor_model, lang = _anchor_model(samples, words, options, loaded)
        anchor = _anchor_pass(samples, options, anchor_model, lang, progress)
    plan = _plan(words, anchor, duration_ms, voiced, options)
    if anchor_model not in (None, options.transcribe.model) and any(m.kind == "not_heard" for m in plan.mismatches):
        # the fast model may simply have missed those words: confirm with the aligning model
        log.info("confirming %d not-heard passages with %s", len(plan.mismatches), options.transcribe.model)
        anchor = _anchor_pass(samples, options, options.transcribe.model, anchor.language, progress)
        plan = _plan(words, anchor, duration_ms, voiced, options)
    language = options.transcribe.language or anchor.language or "en"
    times, probs = _whisper_times(samples, words, plan, loaded, language, options)
    refined = 0
    done: set[int] = set()
    if _use_phones(options.refine, language):
        times, refined, done = _refine_with_phones(samples, words, times, plan, voiced)
    if options.refine != "none":
        times = _snap_to_pauses(times, words, plan, voiced, done)
        times = _trim_to_voice(times, words, plan, voiced, done)
    times = _place_untimed(times, words, plan.excluded)
    times = _monotonic(times, duration_ms)
    out_words = []
    for i, w in enumerate(words):
        s, e = times[i]
        p = 0.0 if i in plan.excluded else probs[i]
        out_words.append(Word(w.text, s, e, round(float(p), 4), space_before=w.space_before))
    for m in plan.mismatches:  # a not-heard passage sits where the script puts it
        if m.kind == "not_heard":
            at = out_words[m.first].start_ms
            plan.mismatches[plan.mismatches.index(m)] = replace(m, start_ms=at, end_ms=at)
    mismatches = tuple(sorted(plan.mismatches, key=lambda m: (m.first, m.kind)))
    aligned = sum(1 for i in range(len(words)) if i not in plan.excluded)
    stats = {"script_words": len(words), "timed_words": len(words), "aligned_words": aligned,
             "not_heard_words": len(plan.excluded),
             "anchored_words": sum(1 for a in plan.approx if a[0] >= 0),
             "refined_words": refined, "windows": plan_windows_count(plan),
             "anchor_words": len(anchor.words)}
    notes = [m.describe() for m in mismatches]
    provenance = {
        "tool": "subpipe",
        "version": __version__,
        "method": "align",
        "model": {"name": loaded.resolved.name, "sha256": loaded.resolved.sha256,
                  "source": loaded.resolved.source, "verified": loaded.resolved.verified},
        "anchor_model": ((anchor.provenance or {}).get("model") or {}).get("name"),
        "device": loaded.device,
        "compute_type": loaded.compute_type,
        "options": options.provenance(),
        "script": {"kind": script.kind, "words": len(words),
                   "sha256": hashlib.sha256("\n".join(w.text for w in words).encode("utf-8")).hexdigest()},
        "alignment": {"mismatches": [m.to_dict() for m in mismatches], "stats": stats},
        "engine": (anchor.provenance or {}).get("engine", {}),
    }
    if media_sha256:
        provenance["media"] = {"sha256": media_sha256, "name": media_name}
    utter_words = out_words
    transcript = Transcript(
        words=tuple(out_words),
        language=language,
        duration_ms=duration_ms,
        utterances=build_utterances(utter_words, language),
        notes=tuple(notes),
        provenance=provenance,
    )
    if progress:
        progress(duration_ms, duration_ms)
    return Alignment(transcript, mismatches, stats)


def align_script(samples: np.ndarray, script_text: Script | str, options: AlignOptions | None = None,
                 **kw: Any) -> Transcript:
    """The script's words, exactly as written, each with start/end ms (mismatches in notes/provenance)."""
    return align(samples, script_text, options, **kw).transcript


def _anchor_pass(samples, options: AlignOptions, model: str, language: str | None,
                 progress: Progress | None) -> Transcript:
    opts = replace(options.transcribe, model=model, language=language, beam_size=options.anchor_beam_size,
                   condition_on_previous_text=False)
    return transcribe_audio(samples, opts, progress=progress)


_ENGLISH = frozenset("the a an and of to in is it i you that he she we they was for on are with as be at "
                     "this have not but what so my your all can do".split())


def script_language(words: Sequence[ScriptWord]) -> str | None:
    """'en' when the script is plainly English (Latin letters, common English words); else None."""
    toks = [t for w in words[:600] for t in norm_tokens(w.text)]
    if len(toks) < 2 or any(not t.isascii() for t in toks):
        return None
    common = sum(t in _ENGLISH for t in toks)
    return "en" if common >= max(1, 0.15 * len(toks)) else None


def _anchor_model(samples: np.ndarray, words: Sequence[ScriptWord], options: AlignOptions,
                  loaded) -> tuple[str, str | None]:
    """Which model makes the anchor pass, and in which language."""
    main, lang = options.transcribe.model, options.transcribe.language
    if options.anchor_model != "auto":
        return options.anchor_model, lang
    if main == FAST_ANCHOR or options.transcribe.task != "transcribe":
        return main, lang
    english_only = main.endswith(".en")
    if lang is None and not english_only:
        lang = script_language(words)
    if lang is None and not english_only and len(samples):
        with loaded.lock:
            lang, _, _ = loaded.whisper.detect_language(samples)
    if lang == "en" or english_only:
        from .models import resolve

        try:
            resolve(FAST_ANCHOR, verify=False)  # installed? (it is verified when it loads)
        except SubpipeError:
            return main, lang
        return FAST_ANCHOR, "en"
    return main, lang


def _use_phones(refine: str, language: str | None) -> bool:
    if refine == "none":
        return False
    if refine not in ("auto", "phones", "energy"):
        raise SubpipeError(f"unknown refinement {refine!r} (auto, phones, energy or none)")
    if refine == "energy":
        return False
    if language not in (None, "en"):
        return False
    from . import phones

    if not phones.available():
        if refine == "phones":
            raise SubpipeError("phone refinement needs the pocketsphinx package",
                               hint="pip install pocketsphinx")
        return False
    return True


# ---------------------------------------------------------------- planning: anchors, mismatches
def _plan(words: Sequence[ScriptWord], anchor: Transcript, duration_ms: int, voiced: np.ndarray,
          options: AlignOptions) -> _Plan:
    n = len(words)
    s_toks, s_owner = _flatten([w.text for w in words])
    h_words = anchor.words
    h_toks, h_owner = _flatten([w.text for w in h_words])
    pair = match_tokens(s_toks, h_toks)
    # script word -> hyp words it matched
    partners: list[list[int]] = [[] for _ in range(n)]
    for k, p in enumerate(pair):
        if p is not None:
            partners[s_owner[k]].append(h_owner[p])
    h_used = [False] * len(h_words)
    for ps in partners:
        for j in ps:
            h_used[j] = True
    approx: list[tuple[int, int]] = [(-1, -1)] * n
    for i, ps in enumerate(partners):
        if ps:
            approx[i] = (min(h_words[j].start_ms for j in ps), max(h_words[j].end_ms for j in ps))
    has_tokens = [bool(norm_tokens(w.text)) for w in words]
    ms_per_char = _speaking_rate(h_words)
    mismatches: list[Mismatch] = []
    excluded: set[int] = set()

    # unscripted speech: heard words that no script word matched, more of them than the script
    # words left unmatched in the same gap (those are misrecognitions, not extra speech)
    unscripted_spans = []
    anchors = [(-1, -1)] + sorted({(i, j) for i, ps in enumerate(partners) for j in ps}) + [(n, len(h_words))]
    for (i0, j0), (i1, j1) in zip(anchors, anchors[1:], strict=False):
        if j1 - j0 <= 1:
            continue
        run = [h_words[j] for j in range(j0 + 1, j1) if not h_used[j]]
        if not run:
            continue
        heard = sum(1 for w in run if not _is_filler(w.text))
        scripted = sum(1 for i in range(max(i0 + 1, 0), i1) if not partners[i] and has_tokens[i]
                       and not _is_filler(words[i].text))
        span_ms = run[-1].end_ms - run[0].start_ms
        if heard - scripted >= options.min_mismatch_words and span_ms >= 600:
            before = min(i1, n)
            mismatches.append(Mismatch("unscripted", run[0].start_ms, run[-1].end_ms, before, before,
                                       " ".join(w.text for w in run)))
            unscripted_spans.append((run[0].start_ms, run[-1].end_ms))

    # script passages not heard: unmatched runs with no room (no voiced audio) for them
    i = 0
    while i < n:
        if approx[i][0] >= 0 or not has_tokens[i]:
            i += 1
            continue
        k = i
        while k < n and (approx[k][0] < 0 or not has_tokens[k]):
            k += 1
        run = [x for x in range(i, k) if has_tokens[x]]
        content = [x for x in run if not _is_filler(words[x].text)]
        if len(content) >= options.min_mismatch_words:
            left = max((approx[x][1] for x in range(i) if approx[x][0] >= 0), default=0)
            right = min((approx[x][0] for x in range(k, n) if approx[x][0] >= 0), default=duration_ms)
            room = voiced_ms(voiced, left, right)
            for a, b in unscripted_spans:  # speech the script lacks does not make room
                room -= voiced_ms(voiced, max(a, left), min(b, right)) if b > left and a < right else 0
            chars = sum(len("".join(norm_tokens(words[x].text))) for x in run)
            need = chars * ms_per_char
            if room < 0.35 * need:
                excluded.update(range(i, k))
                mismatches.append(Mismatch("not_heard", left, left, i, k,
                                           " ".join(words[x].text for x in range(i, k))))
        i = k

    _interpolate(approx, words, excluded, duration_ms, voiced)
    return _Plan(n, approx, excluded, mismatches, unscripted_spans)


def _is_filler(text: str) -> bool:
    toks = norm_tokens(text)
    return not toks or all(t in FILLERS for t in toks)


def _speaking_rate(h_words: Sequence[Word]) -> float:
    """ms of speech per normalised character in the anchor transcript (70 when unknown)."""
    chars = sum(len("".join(norm_tokens(w.text))) for w in h_words)
    dur = sum(w.end_ms - w.start_ms for w in h_words)
    if chars < 20 or dur <= 0:
        return 70.0
    return min(max(dur / chars, 40.0), 120.0)


def _interpolate(approx: list[tuple[int, int]], words: Sequence[ScriptWord], excluded: set[int],
                 duration_ms: int, voiced: np.ndarray) -> None:
    """Rough times for script words the anchor pass did not match: spread by characters."""
    n = len(approx)
    anchored = [i for i in range(n) if approx[i][0] >= 0]
    if not anchored:
        v = np.flatnonzero(voiced)
        lo, hi = (int(v[0]) * 10, int(v[-1]) * 10 + 10) if v.size else (0, duration_ms)
        _spread(approx, words, range(n), lo, hi)
        return
    i = 0
    while i < n:
        if approx[i][0] >= 0:
            i += 1
            continue
        k = i
        while k < n and approx[k][0] < 0:
            k += 1
        need = 80 * _chars(words, range(i, k))
        lo = approx[i - 1][1] if i > 0 else _reach(voiced, approx[k][0], need, -1, duration_ms)
        hi = approx[k][0] if k < n else _reach(voiced, approx[i - 1][1], need, +1, duration_ms)
        run = [x for x in range(i, k) if x not in excluded]
        for x in range(i, k):
            if x in excluded:
                approx[x] = (lo, lo)
        if run:
            _spread(approx, words, run, lo, max(lo, hi))
        i = k


def _reach(voiced: np.ndarray, t_ms: int, need_ms: int, direction: int, duration_ms: int) -> int:
    """From t_ms, walk back (-1) or on (+1) until need_ms of voiced audio lie between; the media's edge
    or 3 s without voice stops the walk."""
    k = min(max(t_ms // 10, 0), len(voiced))
    got = quiet = 0
    while 0 < k < len(voiced) if direction < 0 else 0 <= k < len(voiced):
        frame = k - 1 if direction < 0 else k
        if voiced[frame]:
            got += 10
            quiet = 0
        else:
            quiet += 10
            if quiet >= 3000:
                k -= direction * (quiet // 10)
                break
        k += direction
        if got >= need_ms:
            break
    return min(max(k * 10, 0), duration_ms)


def _chars(words, idx) -> int:
    return sum(max(1, len(words[x].text)) for x in idx)


def _spread(approx, words, idx, lo: int, hi: int) -> None:
    idx = list(idx)
    total = _chars(words, idx) or 1
    t = float(lo)
    for x in idx:
        d = (hi - lo) * max(1, len(words[x].text)) / total
        approx[x] = (int(t), int(t + d))
        t += d


# ---------------------------------------------------------------- windows
@dataclass(frozen=True, slots=True)
class _Window:
    start_ms: int
    end_ms: int
    words: tuple[int, ...]  # script word indices aligned in this window


def plan_windows_count(plan: _Plan) -> int:
    return len(_windows(plan, None))


def _windows(plan: _Plan, tok_counts: Sequence[int] | None) -> list[_Window]:
    """Cut the aligned words into slices of at most 30 s of audio, at the widest pauses."""
    units = [i for i in range(plan.n) if i not in plan.excluded]
    ap = plan.approx
    out: list[_Window] = []
    if not units:
        return out
    u = 0
    prev_bound = 0
    while u < len(units):
        first = units[u]
        ws = max(prev_bound, ap[first][0] - WINDOW_PAD_MS, 0)
        # how far can this window reach?
        v = u
        toks = 0
        while v < len(units):
            w = units[v]
            toks += tok_counts[w] if tok_counts else 0
            if v > u and (ap[w][1] + 100 - ws > MAX_WINDOW_MS or toks > MAX_TOKENS):
                break
            if v > u and _forced_cut(plan, units[v - 1], w):
                break
            v += 1
        last = v - 1  # units[u..last] fit
        if v < len(units) and not _forced_cut(plan, units[last], units[last + 1]) and last > u:
            # choose the widest pause in the second half of the reach
            half = ws + (ap[units[last]][1] - ws) // 2
            best, best_gap = last, -10**9
            for c in range(u, last + 1):
                a, b = units[c], units[c + 1]
                if ap[a][1] < half and c != last:
                    continue
                gap = ap[b][0] - ap[a][1]
                if gap > best_gap:
                    best, best_gap = c, gap
            last = best
        a = units[last]
        nxt = units[last + 1] if last + 1 < len(units) else None
        if nxt is None:
            we = min(ap[a][1] + WINDOW_PAD_MS, ws + MAX_WINDOW_MS)
            nb = we
        else:
            mid = (ap[a][1] + ap[nxt][0]) // 2
            we = min(max(mid, ap[a][1]), ap[a][1] + WINDOW_PAD_MS)
            nb = max(min(mid, ap[nxt][0]), ap[nxt][0] - WINDOW_PAD_MS)
            for s, e in plan.unscripted_spans:
                if s < ap[nxt][0] + 1 and e > ap[a][1] - 1:
                    we = min(we, max(s, ap[a][1]))
                    nb = max(nb, min(e, ap[nxt][0]))
            we = min(we, ws + MAX_WINDOW_MS)
            nb = max(nb, we)
        we = max(we, ws + 20)
        out.append(_Window(ws, we, tuple(units[u:last + 1])))
        prev_bound = nb
        u = last + 1
    return out


def _forced_cut(plan: _Plan, a: int, b: int) -> bool:
    lo, hi = plan.approx[a][1], plan.approx[b][0]
    if hi - lo >= 3 * WINDOW_PAD_MS:
        return True
    return any(s < hi + 1 and e > lo - 1 for s, e in plan.unscripted_spans)


# ---------------------------------------------------------------- Whisper alignment
def _whisper_times(samples, words, plan: _Plan, loaded, language: str, options: AlignOptions):
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer

    wm = loaded.whisper
    multilingual = wm.model.is_multilingual
    tok = Tokenizer(wm.hf_tokenizer, multilingual, task="transcribe",
                    language=language if multilingual else "en")
    no_space = language in NO_SPACE_LANGUAGES
    tokens: list[list[int]] = []
    for w in words:
        text = w.text if (no_space and not w.space_before) else " " + w.text
        tokens.append(tok.encode(text) if norm_tokens(w.text) or w.text.strip() else [])
    windows = _windows(plan, [len(t) for t in tokens])
    times: list[tuple[int, int]] = list(plan.approx)
    probs = [0.0] * len(words)
    jobs = []
    for win in windows:
        idx = [i for i in win.words if tokens[i] and norm_tokens(words[i].text)]
        if not idx:
            continue
        a = win.start_ms * 16
        b = max(win.end_ms * 16, a + 320)
        chunk = samples[a:b]
        feats = wm.feature_extractor(chunk)
        content = max(1, min(feats.shape[-1] - 1, 3000))
        jobs.append((win, idx, pad_or_trim(feats), content))
    bs = max(1, options.batch_size)
    with loaded.lock:
        for k in range(0, len(jobs), bs):
            batch = jobs[k:k + bs]
            enc = wm.encode(np.stack([j[2] for j in batch]))
            texts = [[t for i in j[1] for t in tokens[i]] for j in batch]
            results = wm.model.align(enc, tok.sot_sequence, texts, [j[3] for j in batch],
                                     median_filter_width=7)
            for (win, idx, _, content), res in zip(batch, results, strict=True):
                _word_times(win, idx, tokens, res, content, times, probs)
    return times, probs


def _word_times(win: _Window, idx: list[int], tokens, res, content: int, times, probs) -> None:
    text_idx = np.array([p[0] for p in res.alignments])
    time_idx = np.array([p[1] for p in res.alignments])
    if text_idx.size == 0:
        return
    jumps = np.pad(np.diff(text_idx), (1, 0), constant_values=1).astype(bool)
    jump_ms = time_idx[jumps] * 20  # 50 tokens per second
    n_tok = sum(len(tokens[i]) for i in idx)
    if len(jump_ms) < n_tok + 1:
        jump_ms = np.pad(jump_ms, (0, n_tok + 1 - len(jump_ms)), mode="edge")
    token_probs = np.asarray(res.text_token_probs, dtype=float)
    limit = content * 10
    b = 0
    for i in idx:
        e = b + len(tokens[i])
        s_ms = int(min(jump_ms[b], limit))
        e_ms = int(min(jump_ms[e], limit))
        times[i] = (win.start_ms + s_ms, win.start_ms + max(s_ms, e_ms))
        probs[i] = float(np.mean(token_probs[b:e])) if e > b and token_probs.size >= e else 0.0
        b = e


# ---------------------------------------------------------------- refinement
PHONE_GATE_MS = 200  # a phone-level boundary further than this outside Whisper's word is not trusted
PAUSE_MS = 250  # an unvoiced stretch this long separates phone-alignment chunks
EDGE_MS = 120  # an unvoiced stretch this long at a word's edge is not part of the word


def _refine_with_phones(samples, words, times, plan: _Plan, voiced: np.ndarray):
    """Move boundaries to the phone aligner's where it agrees with Whisper; count words moved."""
    from . import phones

    aligner = phones.PhoneAligner.shared()
    out = list(times)
    moved = 0
    done: set[int] = set()
    total_ms = len(samples) // 16
    for chunk, a, b in _phone_chunks(words, times, plan, voiced, total_ms):
        res = aligner.align(samples[a * 16:b * 16], [words[i].text for i in chunk])
        if res is None:
            continue
        diffs = [abs(a + r[0] - times[i][0]) for i, r in zip(chunk, res, strict=True) if r is not None]
        if not diffs or float(np.median(diffs)) > 150:
            continue  # the two aligners disagree about this stretch: keep Whisper's
        for i, r in zip(chunk, res, strict=True):
            if r is None:
                continue
            s, e = a + r[0], a + r[1]
            ws, we = times[i]
            # Whisper gives a pause to one of the words beside it, so a phone boundary well inside
            # Whisper's span is plausible; one far outside it is not.
            ok_s = ws - PHONE_GATE_MS <= s <= max(ws + PHONE_GATE_MS, we + PHONE_GATE_MS // 2)
            ok_e = min(we - PHONE_GATE_MS, ws - PHONE_GATE_MS // 2) <= e <= we + PHONE_GATE_MS
            if ok_s or ok_e:
                out[i] = (s if ok_s else ws, e if ok_e else we)
                moved += 1
                done.add(i)
    return out, moved, done


def _phone_chunks(words, times, plan: _Plan, voiced: np.ndarray, total_ms: int,
                  max_ms: int = 15_000) -> list[tuple[list[int], int, int]]:
    """Runs of aligned words between pauses, with the audio [a, b) ms each one owns.

    A chunk ends where Whisper's boundary between two words lies in (or next to) an unvoiced
    stretch; the audio is cut in the middle of that stretch.
    """
    pauses = unvoiced_runs(voiced, PAUSE_MS)
    idx = [i for i in range(len(words)) if i not in plan.excluded and norm_tokens(words[i].text)]
    out: list[tuple[list[int], int, int]] = []
    cur: list[int] = []
    start = max(0, times[idx[0]][0] - 400) if idx else 0
    for n, i in enumerate(idx):
        cur.append(i)
        nxt = idx[n + 1] if n + 1 < len(idx) else None
        if nxt is None:
            out.append((cur, start, min(total_ms, times[i][1] + 400)))
            break
        lo, hi = times[i][1], times[nxt][0]  # Whisper's boundary (usually lo == hi)
        cut = None
        # a pause between the middles of the two words (Whisper may have given it to either)
        left = max(start + 50, (times[i][0] + times[i][1]) // 2)
        right = (times[nxt][0] + times[nxt][1]) // 2
        best = 0
        for ps, pe in pauses:
            a_, b_ = max(ps, left), min(pe, right)
            if b_ - a_ > best:
                best, cut = b_ - a_, (a_ + b_) // 2
        if cut is None and (_crosses_unscripted(plan, i, nxt, times) or hi - lo >= 2 * PAUSE_MS):
            cut = (lo + hi) // 2
        if cut is None and times[i][1] - start > max_ms:
            cut = hi
        if cut is not None:
            out.append((cur, start, max(cut, start + 10)))
            cur = []
            start = cut
            if _crosses_unscripted(plan, i, nxt, times):
                start = max(cut, times[nxt][0] - 400)
    return out


def _snap_to_pauses(times, words, plan: _Plan, voiced: np.ndarray, skip: set[int]):
    """A pause inside a word is a boundary Whisper misplaced: move it to the pause's edges.

    Whisper's cross-attention tends to start words early, so the voiced stretch before the pause is
    given to the previous word unless it is clearly the larger part of this one.
    """
    out = list(times)
    pauses = unvoiced_runs(voiced, 2 * PAUSE_MS)
    order = [i for i in range(len(words)) if i not in plan.excluded and norm_tokens(words[i].text)]
    for n, i in enumerate(order):
        if i in skip:
            continue
        s, e = out[i]
        inside = [(a, b) for a, b in pauses if a > s + 20 and b < e - 20]
        if not inside:
            continue
        a, b = max(inside, key=lambda p: p[1] - p[0])
        head, tail = voiced_ms(voiced, s, a), voiced_ms(voiced, b, e)
        prev = order[n - 1] if n > 0 else None
        nxt = order[n + 1] if n + 1 < len(order) else None
        if head <= 2 * tail or nxt is None:
            out[i] = (b, e)
            if prev is not None and prev not in skip and abs(out[prev][1] - s) <= 40:
                out[prev] = (out[prev][0], max(out[prev][0], a))
        else:
            out[i] = (s, a)
            if nxt not in skip and abs(out[nxt][0] - e) <= 40:
                out[nxt] = (b, max(b, out[nxt][1]))
    return out


def _trim_to_voice(times, words, plan: _Plan, voiced: np.ndarray, phoned: set[int]):
    """Take unvoiced stretches off word edges: EDGE_MS or longer, or for words the phone aligner
    timed (weak fricatives fall under the energy threshold) 2.5 times that."""
    out = list(times)
    for i, (s, e) in enumerate(times):
        edge = int(EDGE_MS * 2.5) if i in phoned else EDGE_MS
        if i in plan.excluded or e - s < 2 * edge:
            continue
        a, b = s // 10, e // 10
        seg = voiced[a:b]
        if seg.size == 0 or not seg.any():
            continue
        on = np.flatnonzero(seg)
        first, last = int(on[0]), int(on[-1])
        ns = s + first * 10 if first * 10 >= edge else s
        ne = s + (last + 1) * 10 if (seg.size - last - 1) * 10 >= edge else e
        out[i] = (min(ns, ne - 60), ne) if ne - s >= 60 else (s, e)
    return out


def _crosses_unscripted(plan: _Plan, a: int, b: int, times) -> bool:
    lo, hi = times[a][1], times[b][0]
    return any(s < hi and e > lo for s, e in plan.unscripted_spans)


def _place_untimed(times, words, excluded: set[int]) -> list[tuple[int, int]]:
    """Words with nothing to align (not heard, or bare punctuation) sit at the previous word's end."""
    out = list(times)
    for i, w in enumerate(words):
        if i in excluded or not norm_tokens(w.text):
            if i > 0:
                t = out[i - 1][1]
            else:
                t = next((out[k][0] for k in range(len(words))
                          if k not in excluded and norm_tokens(words[k].text)), out[i][0])
            out[i] = (t, t)
    return out


def _monotonic(times: Sequence[tuple[int, int]], duration_ms: int) -> list[tuple[int, int]]:
    """Clamp into the media, make starts non-decreasing and each word end after it starts."""
    out = []
    prev_start = 0
    for s, e in times:
        s = min(max(s, prev_start, 0), duration_ms)
        e = min(max(e, s), duration_ms)
        out.append((s, e))
        prev_start = s
    # an end past the next word's start is pulled back to it (words do not overlap)
    for k in range(len(out) - 1):
        s, e = out[k]
        ns = out[k + 1][0]
        if e > ns:
            out[k] = (s, max(s, ns))
    return out


def refine_transcript(samples: np.ndarray, transcript: Transcript, options: AlignOptions | None = None) -> Transcript:
    """Re-time a transcript's own words by aligning them to the audio (Whisper cross-attention, then phone
    and energy refinement), keeping every word's text, language and probability.

    Transcription word times start cues early or late (median utterance in-time error 842 ms against human
    segments, bench/results/align.md); aligned times are within a couple of frames. Used by
    ``subpipe run --refine-times``.
    """
    if not transcript.words:
        return transcript
    groups = _word_groups(transcript)
    script = Script(tuple(ScriptWord(w.text, w.space_before, groups[i]) for i, w in enumerate(transcript.words)),
                    "transcript")
    res = align(samples, script, options, anchor=transcript)
    if len(res.transcript.words) != len(transcript.words):  # pragma: no cover - align keeps every word
        return transcript
    new_words = tuple(replace(old, start_ms=new.start_ms, end_ms=new.end_ms)
                      for old, new in zip(transcript.words, res.transcript.words, strict=True))
    utterances, k = [], 0
    for u in transcript.utterances:  # utterances partition the words, in order
        n = len(u.words)
        if transcript.words[k:k + n] != u.words:  # pragma: no cover - not a partition: rebuild sentences
            from .utterances import build_utterances

            utterances, k = list(build_utterances(new_words, transcript.language)), -1
            break
        utterances.append(replace(u, words=new_words[k:k + n]))
        k += n
    prov = dict(transcript.provenance)
    prov["refined"] = {"method": "align", "refine": (options or AlignOptions()).refine,
                       "stats": res.stats}
    return replace(transcript, words=new_words, utterances=tuple(utterances), provenance=prov)
