"""Segmentation recipes (regroup.py): the default recipe is the dynamic programme, unchanged; the composed
steps keep every word in order, respect hard breaks and the profile, and are recorded with the track."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from subpipe.errors import SubpipeError
from subpipe.model import Transcript, Word
from subpipe.subtitling import regroup
from subpipe.subtitling.cues import RECIPE, make_cues
from subpipe.subtitling.profiles import get_profile
from subpipe.subtitling.segment import segment_bounds, word_arrays
from subpipe.utterances import build_utterances

from strategies import word_streams

PROF = get_profile("netflix-en")


def _transcript(text: str, pause_after: dict[int, int] | None = None) -> Transcript:
    words, t = [], 0
    for k, w in enumerate(text.split()):
        words.append(Word(w, t, t + 280))
        t += 300 + (pause_after or {}).get(k, 0)
    ws = tuple(words)
    return Transcript(ws, "en", t + 500, build_utterances(ws, "en"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word_streams(max_words=80))
def test_default_recipe_is_the_dynamic_programme(t):
    a = word_arrays(t.words, PROF.count_spaces)
    assert PROF.recipe == "dp"
    want = segment_bounds(None, PROF, arrays=a, hard_breaks=[3], media_end_ms=t.duration_ms)
    got = regroup.apply("dp", a, PROF, hard_breaks=[3], media_end_ms=t.duration_ms)
    assert got.tolist() == want.tolist()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word_streams(max_words=80))
def test_stable_recipe_keeps_every_word_and_the_hard_breaks(t):
    a = word_arrays(t.words, PROF.count_spaces)
    n = len(t.words)
    hard = [k for k in (2, n // 2) if 0 < k < n]
    b = regroup.apply("stable", a, PROF, hard_breaks=hard, media_end_ms=t.duration_ms)
    assert b[0] == 0 and b[-1] == n and np.all(np.diff(b) > 0) if n else b.tolist() == [0]
    assert set(hard) <= set(b.tolist())
    chars, lines, ms = regroup._limits(regroup.Context(a, PROF, np.zeros(n + 1, bool)), None, None, None)
    ctx = regroup.Context(a, PROF, np.zeros(n + 1, bool))
    for i, j in zip(b[:-1], b[1:], strict=True):
        assert regroup._fits(ctx, int(i), int(j), chars, lines, ms)  # clamp_to_profile held


def test_stable_recipe_splits_at_sentences_and_pauses_and_merges_flashes():
    t = _transcript("We left at dawn. Nobody saw us go. Then the rain came down hard on the empty road "
                    "and we kept walking north. Yes. It was cold", pause_after={20: 900})
    a = word_arrays(t.words, True)
    b = regroup.apply("stable", a, PROF, media_end_ms=t.duration_ms).tolist()
    texts = [" ".join(w.text for w in t.words[i:j]) for i, j in zip(b[:-1], b[1:], strict=True)]
    assert texts[0] == "We left at dawn." and texts[1] == "Nobody saw us go."
    assert texts[2].endswith("we kept")  # the 900 ms pause breaks (the dp keeps it: 900 < its 1500 ms)
    assert texts[3] == "walking north. Yes."  # "Yes." alone (280 ms) would flash: merged into its neighbour
    assert " ".join(texts) == " ".join(w.text for w in t.words)


def test_the_recipe_is_recorded_and_a_profile_names_it():
    t = _transcript("One two three. Four five six seven. Eight nine ten.")
    default = make_cues(t, PROF)
    assert default.metadata["recipe"] == RECIPE and default.metadata["segmentation"] == "dp"
    assert default.metadata["profile"]["recipe"] == "dp"
    stable = make_cues(t, replace(PROF, recipe="stable"))
    assert stable.metadata["segmentation"].startswith("split_by_speaker+split_by_punctuation+split_by_gap(min_ms=700)")
    whole = stable.metadata["recipe"]
    assert whole.startswith("segment(split_by_speaker+") and "+linebreak(" in whole
    assert [c.lines for c in stable.cues][:1] == [("One two three.",)]


def test_steps_compose_with_the_dp():
    t = _transcript("alpha beta gamma delta epsilon zeta eta theta iota kappa")
    a = word_arrays(t.words, True)
    steps = (regroup.step("split_by_length", max_chars=10, max_lines=1), regroup.step("dp"))
    b = regroup.apply(steps, a, PROF).tolist()
    forced = regroup.apply((regroup.step("split_by_length", max_chars=10, max_lines=1),), a, PROF).tolist()
    assert set(forced) <= set(b)  # the dp keeps what the steps before it decided
    with pytest.raises(SubpipeError, match="unknown segmentation step"):
        regroup.step("split_by_moon")
    with pytest.raises(SubpipeError, match="unknown segmentation recipe"):
        regroup.recipe("nope")
