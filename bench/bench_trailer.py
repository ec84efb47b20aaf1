#!/usr/bin/env python
"""Trailer audio: subpipe's guarded transcription against raw faster-whisper on music, effects and silence.

Builds the mixes of scripts/make_trailer_mixes.py (real speech from ../shared/data under synthesised
music beds at +10/+5/0 dB, musical intros and outros, silence, English+Mandarin), then on the same
files, with the same loaded model, in the same run:

- raw: ``WhisperModel.transcribe(samples)`` with faster-whisper's default options (no VAD, no word
  timestamps, one language per file);
- ours: ``transcribe_audio`` with subpipe's defaults (tuned VAD, hallucination guards);
- for the mixed-language file also raw ``multilingual=True`` and ours with ``languages="utterance"``;
- for the pre-filter, ours on the same mixes decoded through each ``media.PREFILTERS`` chain.

Reports WER per speech-to-music ratio, invented words per minute over music-only and silence-only
audio, first-word retention after musical intros, per-utterance language accuracy and WER/CER per
language, and the VAD padding sweep that set subpipe's VAD defaults.

Usage: python bench/bench_trailer.py [--out bench/results/trailer.md] [--clips 4] [--model base] [--no-prefilter]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import re
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

import make_trailer_mixes as mk  # noqa: E402

from subpipe.asr.transcribe import TranscribeOptions, load_model, transcribe_audio  # noqa: E402
from subpipe.audio import media  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("SUBPIPE_SHARED_DATA", ROOT.parent / "shared" / "data"))
NEAR_SPEECH_MS = 500  # a word this close to real speech is not counted as invented


# ------------------------------------------------------------------ hypotheses
@dataclass(frozen=True)
class HypWord:
    text: str
    start_ms: int
    end_ms: int
    language: str | None = None


def run_raw(model, samples: np.ndarray, **kw) -> tuple[list[HypWord], str, float]:
    """faster-whisper with its default options; segment times spread over the segment's words."""
    t0 = time.perf_counter()
    segs, info = model.transcribe(samples, **kw)
    out = []
    for s in segs:
        toks = _tokens(s.text)
        if not toks:
            continue
        a, b = int(s.start * 1000), int(s.end * 1000)
        step = (b - a) / len(toks)
        for k, tok in enumerate(toks):
            out.append(HypWord(tok, int(a + k * step), int(a + (k + 1) * step)))
    return out, info.language, time.perf_counter() - t0


def run_ours(samples: np.ndarray, options: TranscribeOptions):
    t0 = time.perf_counter()
    t = transcribe_audio(samples, options)
    words = [HypWord(w.text, w.start_ms, w.end_ms, w.language) for w in t.words]
    return words, t, time.perf_counter() - t0


def _tokens(text: str) -> list[str]:
    """Words of a line; Chinese characters count one each."""
    out = []
    for tok in text.split():
        if _has_cjk(tok):
            out += [c for c in tok if not unicodedata.category(c).startswith(("P", "S", "Z"))]
        else:
            out.append(tok)
    return out


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text)


# ------------------------------------------------------------------ scoring
_EN = None
_T2S = None


def norm_en(text: str) -> str:
    global _EN
    if _EN is None:
        from whisper_normalizer.english import EnglishTextNormalizer

        _EN = EnglishTextNormalizer()
    return " ".join(_EN(text).split())


def norm_zh(text: str) -> str:
    global _T2S
    if _T2S is None:
        import opencc

        _T2S = opencc.OpenCC("t2s")
    text = _T2S.convert(text)
    return "".join(c for c in text if c.isalnum() and _has_cjk(c) or c.isdigit())


def wer_counts(ref: str, hyp: str) -> tuple[int, int]:
    """(errors, reference words) after normalising both sides."""
    import jiwer

    r, h = norm_en(ref), norm_en(hyp)
    if not r.split():
        return len(h.split()), 0
    o = jiwer.process_words(r, h if h else "")
    return o.substitutions + o.deletions + o.insertions, len(r.split())


def cer_counts(ref: str, hyp: str) -> tuple[int, int]:
    import jiwer

    r, h = norm_zh(ref), norm_zh(hyp)
    if not r:
        return len(h), 0
    o = jiwer.process_characters(r, h if h else "")
    return o.substitutions + o.deletions + o.insertions, len(r)


def first_word_kept(ref: str, hyp: str) -> bool:
    """True when the alignment matches the reference's first word exactly (not deleted or substituted)."""
    import jiwer

    r, h = norm_en(ref), norm_en(hyp)
    if not h:
        return False
    o = jiwer.process_words(r, h)
    for chunk in o.alignments[0]:
        if chunk.ref_start_idx <= 0 < chunk.ref_end_idx:
            return chunk.type == "equal"
    return False


def invented(words: list[HypWord], mix: mk.Mix) -> int:
    """Words whose middle lies away from every stretch of real speech."""
    spans = [(r.speech_on_ms - NEAR_SPEECH_MS, r.speech_off_ms + NEAR_SPEECH_MS) for r in mix.speech()]
    n = 0
    for w in words:
        mid = (w.start_ms + w.end_ms) / 2
        if not any(a <= mid <= b for a, b in spans):
            n += 1
    return n


def nonspeech_minutes(mix: mk.Mix) -> float:
    spans = [(r.speech_on_ms - NEAR_SPEECH_MS, r.speech_off_ms + NEAR_SPEECH_MS) for r in mix.speech()]
    covered = sum(min(b, mix.duration_ms) - max(a, 0) for a, b in spans)
    return max(0, mix.duration_ms - covered) / 60000


def words_in(words: list[HypWord], region: mk.Region) -> list[HypWord]:
    return [w for w in words if region.start_ms <= (w.start_ms + w.end_ms) / 2 < region.end_ms]


def join(words: list[HypWord]) -> str:
    return " ".join(w.text for w in words)


def language_of_words(words: list[HypWord], fallback: str | None) -> str | None:
    tagged = [w.language for w in words if w.language]
    if tagged:
        return max(set(tagged), key=tagged.count)
    if not words:
        return None
    text = join(words)
    return "zh" if _has_cjk(text) else ("en" if re.search(r"[A-Za-z]", text) else fallback)


# ------------------------------------------------------------------ VAD sweep
def vad_sweep(mixes: list[mk.Mix]) -> list[str]:
    """How Silero's padding and threshold trade first-word cover against music marked as speech."""
    import faster_whisper.vad as V

    probs = {}
    for m in mixes:
        a = media.extract_audio(Path(m.path)).samples
        probs[m.name] = (a, V.get_vad_model()(np.pad(a, (0, 512 - a.shape[0] % 512))))

    class Cached:  # hand get_speech_timestamps the probabilities computed once per file
        cur = None

        def __call__(self, _):
            return Cached.cur

    real = V.get_vad_model
    V.get_vad_model = lambda: Cached()
    rows = ["| threshold | pad ms | onsets covered (>= 100 ms early) | worst onset margin ms | speech missed s "
            "| music/silence marked speech s |", "|---|---|---|---|---|---|"]
    try:
        for thr, pad in itertools.product((0.5, 0.35), (200, 400, 600, 800, 1000)):
            ok = n = 0
            margins = []
            miss = fa = 0.0
            for m in mixes:
                a, p = probs[m.name]
                Cached.cur = p
                regs = V.get_speech_timestamps(a, V.VadOptions(threshold=thr, speech_pad_ms=pad,
                                                               min_silence_duration_ms=1000))
                cov = np.zeros(len(a) // 16 + 1, bool)
                for r in regs:
                    cov[r["start"] // 16:r["end"] // 16] = True
                truth = np.zeros_like(cov)
                near = np.zeros_like(cov)
                for r in m.speech():
                    truth[r.speech_on_ms:r.speech_off_ms] = True
                    near[max(0, r.speech_on_ms - 1000):r.speech_off_ms + 1000] = True
                    n += 1
                    starts = [x["start"] // 16 for x in regs
                              if x["start"] // 16 <= r.speech_on_ms + 300 and x["end"] // 16 > r.speech_on_ms]
                    if starts:
                        margins.append(r.speech_on_ms - starts[0])
                        ok += starts[0] <= r.speech_on_ms - 100
                fa += (cov & ~near).sum() / 1000
                miss += (truth & ~cov).sum() / 1000
            rows.append(f"| {thr} | {pad} | {ok}/{n} | {min(margins) if margins else '-'} | {miss:.1f} | {fa:.1f} |")
    finally:
        V.get_vad_model = real
    return rows


# ------------------------------------------------------------------ the bench
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=None, help="write the Markdown report here (default: stdout)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--clips", type=int, default=4, help="English clips mixed at each ratio (1-6)")
    ap.add_argument("--model", default="base")
    ap.add_argument("--mixes", type=Path, default=None, help="build the mixes here (default: a temp folder)")
    ap.add_argument("--no-prefilter", action="store_true", help="skip the pre-filter comparison")
    ap.add_argument("--no-bed", action="store_true", help="skip the real film bed with dialogue separation")
    a = ap.parse_args(argv)
    if not a.data.is_dir():
        print(f"no data at {a.data}", file=sys.stderr)
        return 1
    tmp = tempfile.TemporaryDirectory(prefix="trailer-bench-")
    out_dir = a.mixes or Path(tmp.name)
    t_start = time.perf_counter()
    clips = mk.ENGLISH[: max(1, min(a.clips, len(mk.ENGLISH)))]
    trailer = mk.trailer_mixes(out_dir, a.data, clips=clips)
    clean = mk.clean_mixes(out_dir, a.data, clips=clips)
    music = mk.music_only(out_dir, 60.0)
    silence = mk.silence_only(out_dir, 60.0)
    intro = mk.intro_mix(out_dir, a.data)
    mixed = mk.mixed_language(out_dir, a.data)
    mixed_bed = mk.mixed_language(out_dir, a.data, gap=0.6, bed="chords", ratio_db=10.0)
    build_s = time.perf_counter() - t_start

    opts = TranscribeOptions(model=a.model)
    loaded = load_model(opts)
    whisper = loaded.whisper
    audio = {m.name: media.extract_audio(Path(m.path)).samples
             for m in trailer + clean + [music, silence, intro, mixed, mixed_bed]}
    run_ours(audio[intro.name][:16000], opts)  # warm-up (VAD model, caches)

    lines: list[str] = []
    say = lines.append
    say("# Trailer audio benchmark")
    say("")
    say(f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; model `{a.model}` "
        f"({loaded.device}, {loaded.compute_type}); {len(clips)} English clips x 3 ratios; "
        f"mixes built in {build_s:.0f} s. Generated by `bench/bench_trailer.py`; the machine's CPU is shared, so "
        f"timings are noisy.")
    say("")
    say("raw = faster-whisper `WhisperModel.transcribe(audio)` with its default options (no VAD, no word "
        "timestamps, one language per file); ours = `subpipe.asr.transcribe.transcribe_audio` with subpipe's "
        "defaults (VAD padded 800 ms, Whisper thresholds, `hallucination_silence_threshold=2`, guards). "
        "Same model object, same audio, same run.")
    say("")

    # ---- WER per ratio
    results: dict[tuple[str, str], tuple[list[HypWord], float]] = {}
    ours_t: dict[str, object] = {}
    for m in clean + trailer:
        results[("raw", m.name)] = _pick2(run_raw(whisper, audio[m.name]))
        w, t, secs = run_ours(audio[m.name], opts)
        results[("ours", m.name)] = (w, secs)
        ours_t[m.name] = t
    if not a.no_prefilter:
        for pf in [p for p in media.PREFILTERS if p != "none"]:
            for m in [x for x in trailer if x.ratio_db in (0.0, 5.0)]:
                samples = media.extract_audio(Path(m.path), prefilter=pf).samples
                w, _, secs = run_ours(samples, opts)
                results[(f"ours+{pf}", m.name)] = (w, secs)

    def pooled(system: str, mixes: list[mk.Mix]) -> tuple[float, float]:
        err = n = 0
        secs = 0.0
        for m in mixes:
            words, s = results[(system, m.name)]
            ref = " ".join(r.text for r in m.speech())
            e, k = wer_counts(ref, join(words))
            err, n, secs = err + e, n + k, secs + s
        return err / max(n, 1), secs

    say("## WER by speech-to-music ratio")
    say("")
    say("Pooled over the clips (errors / reference words), Whisper's English normaliser on both sides. Each "
        "trailer mix is a 5-15 s musical intro, the clip over the bed, a 5-15 s outro; raw's insertions over "
        "the intro and outro count.")
    say("")
    systems = ["raw", "ours"] + ([f"ours+{p}" for p in media.PREFILTERS if p != "none"] if not a.no_prefilter else [])
    say("| audio | " + " | ".join(systems) + " |")
    say("|---|" + "---|" * len(systems))
    raw_c, raw_cs = pooled("raw", clean)
    our_c, our_cs = pooled("ours", clean)
    say(f"| clean | {raw_c:.1%} | {our_c:.1%} |" + " |" * (len(systems) - 2))
    for ratio in (10.0, 5.0, 0.0):
        ms = [m for m in trailer if m.ratio_db == ratio]
        cells = []
        for s in systems:
            if all((s, m.name) in results for m in ms):
                cells.append(f"{pooled(s, ms)[0]:.1%}")
            else:
                cells.append("-")
        say(f"| {ratio:+.0f} dB | " + " | ".join(cells) + " |")
    say("")
    say("Per mix (ours / raw), hypothesis text of ours:")
    say("")
    for m in trailer:
        e_o, n_o = wer_counts(" ".join(r.text for r in m.speech()), join(results[("ours", m.name)][0]))
        e_r, _ = wer_counts(" ".join(r.text for r in m.speech()), join(results[("raw", m.name)][0]))
        hyp = join(results[("ours", m.name)][0])[:160]
        say(f"- `{m.name}`: {e_o / max(n_o, 1):.1%} / {e_r / max(n_o, 1):.1%} -- {hyp}")
    say("")

    # ---- invented words
    say("## Invented words over music and silence")
    say("")
    say(f"Words whose middle lies more than {NEAR_SPEECH_MS} ms from any real speech, per minute of such audio.")
    say("")
    say("| audio | minutes | raw words | raw / min | ours words | ours / min | ours dropped by guards |")
    say("|---|---|---|---|---|---|---|")
    inv_rows = []
    for label, ms in (("music only (60 s score)", [music]), ("silence only (30 s digital zero + 30 s room tone)",
                                                             [silence]),
                      ("intros + outros of the trailer mixes", trailer)):
        mins = sum(nonspeech_minutes(m) for m in ms)
        rn = on = dropped = 0
        for m in ms:
            if ("raw", m.name) not in results:
                results[("raw", m.name)] = _pick2(run_raw(whisper, audio[m.name]))
                w, t, secs = run_ours(audio[m.name], opts)
                results[("ours", m.name)] = (w, secs)
                ours_t[m.name] = t
            rn += invented(results[("raw", m.name)][0], m)
            on += invented(results[("ours", m.name)][0], m)
            dropped += len(ours_t[m.name].dropped)
        inv_rows.append((label, mins, rn, on))
        say(f"| {label} | {mins:.2f} | {rn} | {rn / mins:.1f} | {on} | {on / mins:.1f} | {dropped} |")
    say("")
    for m in (music, silence):
        say(f"- raw on `{m.name}`: {join(results[('raw', m.name)][0])[:200]!r}")
        say(f"- ours on `{m.name}`: {join(results[('ours', m.name)][0])[:200]!r}; notes: {list(ours_t[m.name].notes)}")
    say("")
    say("What each layer does on the music-only and silence-only files (words kept / words the guards dropped):")
    say("")
    say("| configuration | music only | silence only |")
    say("|---|---|---|")
    layers = (
        ("subpipe defaults (VAD + Whisper's silence skip + guards)", {}),
        ("guards off (VAD + silence skip)", dict(guards=False)),
        ("VAD off (silence skip + guards)", dict(vad=False)),
        ("VAD and silence skip off (guards alone)", dict(vad=False, hallucination_silence_threshold=None)),
        ("VAD, silence skip and guards off", dict(vad=False, hallucination_silence_threshold=None, guards=False)),
    )
    for label, kw in layers:
        cells = []
        for m in (music, silence):
            _, t, _ = run_ours(audio[m.name], TranscribeOptions(model=a.model, **kw))
            cells.append(f"{len(t.words)} / {len(t.dropped)}")
        say(f"| {label} | " + " | ".join(cells) + " |")
    say("")
    drops = [(m.name, d) for m in trailer + clean for d in ours_t[m.name].dropped]
    say(f"Guards' drops on the speech mixes: {len(drops)} word(s)"
        + (": " + "; ".join(f"`{n}` {d.text!r} at {d.start_ms} ms ({d.reason})" for n, d in drops[:12]) if drops
           else "."))
    say("")

    # ---- first word
    say("## First word after a musical intro")
    say("")
    kept_raw = kept_ours = 0
    fw_mixes = trailer + [intro]
    if ("ours", intro.name) not in results:
        results[("raw", intro.name)] = _pick2(run_raw(whisper, audio[intro.name]))
        w, t, secs = run_ours(audio[intro.name], opts)
        results[("ours", intro.name)] = (w, secs)
        ours_t[intro.name] = t
    lost = []
    for m in fw_mixes:
        ref = m.speech()[0].text
        kr = first_word_kept(ref, join(results[("raw", m.name)][0]))
        ko = first_word_kept(ref, join(results[("ours", m.name)][0]))
        kept_raw += kr
        kept_ours += ko
        if not ko:
            lost.append(f"`{m.name}` (ref {ref.split()[0]!r}, ours {join(results[('ours', m.name)][0])[:40]!r})")
    pad400 = TranscribeOptions(model=a.model, vad_speech_pad_ms=400)
    kept_400 = sum(first_word_kept(m.speech()[0].text, join(run_ours(audio[m.name], pad400)[0])) for m in fw_mixes)
    say(f"Files whose first reference word is transcribed exactly (alignment says 'equal'), over {len(fw_mixes)} "
        f"files with 5-15 s intros: **ours {kept_ours}/{len(fw_mixes)}**, raw {kept_raw}/{len(fw_mixes)}, "
        f"ours with the earlier 400 ms VAD padding {kept_400}/{len(fw_mixes)}.")
    if lost:
        say("")
        say("Ours lost: " + "; ".join(lost))
    say("")

    # ---- mixed languages
    say("## Mixed English / Mandarin")
    say("")
    say("Three English and three Mandarin utterances alternating. Language per reference utterance: ours from "
        "the words' recorded language; raw from the script of the words under it (CJK or Latin). English "
        "scored by WER, Mandarin by CER after Traditional->Simplified (OpenCC t2s).")
    say("")
    say("| file | system | language accuracy | EN WER | ZH CER | seconds |")
    say("|---|---|---|---|---|---|")
    for m in (mixed, mixed_bed):
        runs = {
            "raw (default)": _pick2(run_raw(whisper, audio[m.name])),
            "raw multilingual=True": _pick2(run_raw(whisper, audio[m.name], multilingual=True)),
        }
        for label, o in (("ours (file)", opts), ("ours (utterance)", TranscribeOptions(model=a.model,
                                                                                       languages="utterance")),
                         ("ours (utterance, en+zh)", TranscribeOptions(model=a.model, languages="utterance",
                                                                       candidate_languages=("en", "zh")))):
            w, t, secs = run_ours(audio[m.name], o)
            runs[label] = (w, secs)
        for label, (words, secs) in runs.items():
            right = 0
            e_en = n_en = e_zh = n_zh = 0
            for r in m.speech():
                ws = words_in(words, r)
                lang = language_of_words(ws, None)
                right += lang == r.language
                if r.language == "zh":
                    e, k = cer_counts(r.text, "".join(w.text for w in ws))
                    e_zh, n_zh = e_zh + e, n_zh + k
                else:
                    e, k = wer_counts(r.text, join(ws))
                    e_en, n_en = e_en + e, n_en + k
            say(f"| `{m.name}` | {label} | {right}/{len(m.speech())} | {e_en / max(n_en, 1):.1%} | "
                f"{e_zh / max(n_zh, 1):.1%} | {secs:.1f} |")
    say("")

    # ---- VAD sweep
    say("## VAD padding sweep (what set `vad_speech_pad_ms=800`)")
    say("")
    say("Silero VAD regions against the true speech of each mix (the clean clip's frames within 35 dB of its "
        "peak), over the trailer, clean, intro and mixed files; `min_silence_duration_ms=1000`.")
    say("")
    lines += vad_sweep(trailer + clean + [intro, mixed, music, silence])
    say("")
    if not a.no_bed:  # the real film bed and dialogue separation (bench_bed.py)
        import bench_bed

        lines += bench_bed.report(a.model, a.data, heading="##")
        say("")
    say(f"Total bench time {time.perf_counter() - t_start:.0f} s.")
    text = "\n".join(lines) + "\n"
    if a.out:
        a.out.write_text(text, encoding="utf-8")
        print(f"wrote {a.out}")
    else:
        print(text)
    tmp.cleanup()
    return 0


def _pick2(res):
    words, _lang, secs = res
    return words, secs


if __name__ == "__main__":
    raise SystemExit(main())
