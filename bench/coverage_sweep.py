"""What the coverage check's threshold costs and catches (issue 25).

Transcribes MEDIA with the threshold at its lowest (``coverage.MIN_GAP_MS`` = 200 ms) and records every stretch
decoded again: its speech, the audio decoded, the decode time and the words it added; then says, for each
threshold, how many stretches a run would decode again, at what cost, and how many words they bring.

    python bench/coverage_sweep.py MEDIA [--engine batched] [--model base]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("media")
    ap.add_argument("--engine", default="batched")
    ap.add_argument("--model", default="base")
    a = ap.parse_args()
    from subpipe.asr import coverage
    from subpipe.asr.transcribe import TranscribeOptions, transcribe_audio
    from subpipe.audio import media
    from subpipe.audio.source import ArraySource

    coverage.MIN_GAP_MS = 200
    rec: list[dict] = []
    fill = coverage.fill

    def recording_fill(segments, speech, lo, hi, decode, min_ms=None):
        mine: list[dict] = []

        def timed(a_ms, b_ms):
            t0 = time.perf_counter()
            out = decode(a_ms, b_ms)
            mine.append({"s": time.perf_counter() - t0, "found": [w.text for sg in out for w in sg.words]})
            return out

        out, big = fill(segments, speech, lo, hi, timed, min_ms=min_ms)
        for g, r in zip(big, mine, strict=True):
            def inside(segs, g=g):
                return sum(1 for sg in segs for w in sg.words if g.lo <= (w.start_ms + w.end_ms) // 2 < g.hi)

            r.update(start=g.start_ms, end=g.end_ms, speech_ms=g.speech_ms, audio_ms=g.hi - g.lo,
                     new=inside(out) - inside(segments))
        rec.extend(mine)
        return out, big

    coverage.fill = recording_fill
    x = media.extract_audio(Path(a.media)).samples
    t0 = time.perf_counter()
    t = transcribe_audio(ArraySource(x), TranscribeOptions(model=a.model, engine=a.engine))
    took = time.perf_counter() - t0
    print(f"{Path(a.media).name}, {a.engine}: {len(t.words)} words (threshold 200 ms) in {took:.1f} s")
    print("| threshold | stretches decoded again | their speech (s) | audio decoded (s) | decode time (s) "
          "| words added |")
    print("|---|---|---|---|---|---|")
    for thr in (200, 500, 1000, 2000, 4000):
        sel = [r for r in rec if r["speech_ms"] >= thr]
        print(f"| {thr} ms | {len(sel)} | {sum(r['speech_ms'] for r in sel) / 1000:.1f} | "
              f"{sum(r['audio_ms'] for r in sel) / 1000:.1f} | {sum(r['s'] for r in sel):.1f} | "
              f"{sum(r['new'] for r in sel)} |")
    print("\nstretches (start-end s, speech s, words added, what the decoder wrote):")
    for r in rec:
        print(f"  {r['start'] / 1000:.1f}-{r['end'] / 1000:.1f}  {r['speech_ms'] / 1000:.2f}  +{r['new']}  "
              f"{' '.join(r['found'])[:90]}")


if __name__ == "__main__":
    main()
