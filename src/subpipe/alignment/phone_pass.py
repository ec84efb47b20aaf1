"""The refinement passes: pocketsphinx phone boundaries (English), pauses and voice edges."""

from __future__ import annotations

import numpy as np

from ..timecode import ms_to_samples, samples_to_ms
from .energy import unvoiced_runs, voiced_ms
from .matching import norm_tokens
from .windows import _Plan

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
    total_ms = samples_to_ms(len(samples))
    for chunk, a, b in _phone_chunks(words, times, plan, voiced, total_ms):
        res = aligner.align(samples[ms_to_samples(a):ms_to_samples(b)], [words[i].text for i in chunk])
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
