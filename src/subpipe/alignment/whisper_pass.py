"""The CTranslate2 pass: each window's exact tokens aligned to its audio by Whisper's cross-attention."""

from __future__ import annotations

import numpy as np

from ..model import NO_SPACE_LANGUAGES
from ..timecode import ms_to_samples
from .matching import norm_tokens
from .types import AlignOptions
from .windows import _Plan, _Window, _windows


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
        a = ms_to_samples(win.start_ms)
        b = max(ms_to_samples(win.end_ms), a + ms_to_samples(20))
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
