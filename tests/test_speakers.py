"""Speaker labels: clustering and labelling rules on synthetic embeddings, cues that respect speakers,
the quote index's speaker filter, the transcript JSON, and one short real-voice mix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subpipe.formats import transcript_json as tj
from subpipe.model import SpeakerInfo, Transcript, Utterance, Word
from subpipe.speakers import diarize as dz
from subpipe.subtitling.cues import make_cues
from subpipe.subtitling.profiles import get_profile

from conftest import shared


def _directions(k: int, dim: int = 32) -> np.ndarray:
    """k orthonormal directions (deterministic)."""
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(dim, dim)))
    return q[:k]


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=1, max_size=6), seed=st.integers(0, 10_000))
def test_agglomerate_recovers_separated_clusters(sizes, seed):
    rng = np.random.default_rng(seed)
    dirs = _directions(len(sizes))
    truth = np.array([c for c, n in enumerate(sizes) for _ in range(n)])
    rng.shuffle(truth)
    emb = dirs[truth] + rng.normal(scale=0.05, size=(len(truth), dirs.shape[1]))
    labels = dz.agglomerate(emb, threshold=0.4)
    assert len(set(labels.tolist())) == len(sizes)
    # the same partition as the truth, numbered by first appearance
    assert labels.tolist() == dz.relabel_in_order(truth).tolist()
    assert dz.agglomerate(emb, threshold=0.4).tolist() == labels.tolist()  # deterministic


def test_agglomerate_given_count_and_threshold_stop():
    dirs = _directions(3)
    emb = np.repeat(dirs, 3, axis=0)
    assert dz.agglomerate(emb, n_clusters=2).max() == 1
    assert dz.agglomerate(emb, threshold=0.4).max() == 2
    assert dz.agglomerate(emb, threshold=1.5).max() == 0  # orthogonal directions are 1.0 apart
    assert dz.agglomerate(np.zeros((0, 4))).tolist() == []


def test_change_points_at_a_speaker_change():
    dirs = _directions(2)
    emb = np.concatenate([np.repeat(dirs[:1], 5, axis=0), np.repeat(dirs[1:], 4, axis=0)])
    assert dz.change_points(emb) == [5]
    assert dz.change_points(np.repeat(dirs[:1], 6, axis=0)) == []


def test_name_clusters_best_pairs_each_name_once():
    dirs = _directions(3)
    voices = [("ANA", dirs[1]), ("BO", dirs[1] * 0.9 + dirs[0] * 0.1)]
    named = dz.name_clusters(dirs, voices)
    assert named[1][0] == "ANA" and named[1][1] == pytest.approx(1.0)
    assert 0 not in named and 2 not in named  # BO's best cluster is taken; none other is close enough
    assert dz.name_clusters(dirs, []) == {}


def _w(text, a, b, speaker=None):
    return Word(text, a, b, speaker=speaker)


def test_words_take_the_speaker_covering_most_of_them():
    words = [_w("a", 0, 400), _w("b", 900, 1300), _w("c", 1500, 1600), _w("d", 5000, 5100)]
    spans = [(0, 1000, 0), (1000, 2000, 1), (3000, 4000, -1)]
    assert dz.words_speakers(words, spans) == [0, 1, 1, -1]
    assert dz.words_speakers(words, []) == [-1, -1, -1, -1]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(["S1", "S2", None]), min_size=1, max_size=30), st.integers(1, 5))
def test_split_utterances_conserves_words_and_never_mixes_speakers(speakers, per):
    words = tuple(_w(f"w{i}", i * 100, i * 100 + 50, s) for i, s in enumerate(speakers))
    utts = tuple(Utterance(words[i:i + per]) for i in range(0, len(words), per))
    out = dz.split_utterances(utts, words)
    assert tuple(w for u in out for w in u.words) == words
    for u in out:
        assert {w.speaker for w in u.words} == {u.speaker}


def _two_speaker_transcript() -> Transcript:
    a = [_w(t, 100 + i * 300, 350 + i * 300, "S1") for i, t in enumerate("So what did you see".split())]
    b = [_w(t, 1700 + i * 300, 1950 + i * 300, "ANA") for i, t in enumerate("Nothing at all really.".split())]
    a[-1] = Word("see?", a[-1].start_ms, a[-1].end_ms, speaker="S1")
    words = tuple(a + b)
    utts = (Utterance(words[:5], speaker="S1"), Utterance(words[5:], speaker="ANA"))
    return Transcript(words, "en", 4000, utts,
                      speakers=(SpeakerInfo("S1", 1450), SpeakerInfo("ANA", 1150, "ANA", 0.91)))


def test_a_cue_never_holds_two_speakers():
    t = _two_speaker_transcript()
    # the two speakers' words would fit one cue; the speaker change still starts a new one
    track = make_cues(t, get_profile("netflix-en"))
    for c in track.cues:
        assert len({w.speaker for w in c.words}) == 1
    assert len(track.cues) == 2


def test_transcript_json_keeps_speakers():
    t = _two_speaker_transcript()
    back = tj.loads(tj.dumps(t))
    assert back.speakers == t.speakers
    assert [w.speaker for w in back.words] == [w.speaker for w in t.words]
    assert [u.speaker for u in back.utterances] == ["S1", "ANA"]
    assert '"speakers"' not in tj.dumps(Transcript(t.words, "en", 4000))  # absent when diarization did not run


def test_quote_index_filters_by_speaker(tmp_path):
    from subpipe.quotes import index as quotes

    con = quotes.connect(tmp_path / "q.db")
    quotes.add_transcript(con, _two_speaker_transcript(), media_id="m1", path="/x/m1.wav")
    assert [h.speaker for h in quotes.search(con, "nothing")] == ["ANA"]
    assert quotes.search(con, "nothing", speaker="S1") == []
    assert [h.text for h in quotes.search(con, "see", speaker="S1")] == ["So what did you see?"]


def test_bad_options_are_usage_errors():
    assert dz.parse_mode("AUTO") == "auto" and dz.parse_mode("3") == "3" and dz.parse_mode("off") == "off"
    for bad in ("0", "two", "-1"):
        with pytest.raises(dz.DiarizationError):
            dz.parse_mode(bad)
    assert dz.parse_sample("Ai Weiwei=a.wav") == ("Ai Weiwei", "a.wav")
    with pytest.raises(dz.DiarizationError):
        dz.parse_sample("nofile")


def test_embedder_is_verified(monkeypatch):
    from subpipe.errors import ModelIntegrityError
    from subpipe.speakers import embedder

    assert dz.embedder_path().is_file()
    monkeypatch.setattr(embedder, "EMBEDDER_SHA256", "0" * 64)
    with pytest.raises(ModelIntegrityError):
        dz.embedder_path()


def test_features_match_librosa_mel_filterbank_shape():
    fb = dz.mel_basis()
    assert fb.shape == (40, 257)
    assert (fb >= 0).all() and (fb.sum(axis=1) > 0).all()
    assert dz.log_mel(np.zeros(16000, dtype=np.float32)).shape == (97, 40)


# ------------------------------------------------------------------ real voices
def _voice(rel: str, seconds: float) -> np.ndarray:
    from subpipe.audio import media

    s = media.extract_audio(shared(rel)).samples[: int(seconds * 16000)]
    return (s / (np.sqrt(np.mean(s ** 2)) + 1e-9) * 0.05).astype(np.float32)


def test_three_real_voices_are_told_apart():
    """A 3-voice mix (about 25 s) from ../shared: three speakers, and each turn's time to its own label."""
    parts = [("jfk", _voice("jfk/jfk.flac", 4.0)), ("ls", _voice("librispeech/2412-153948-0000.flac", 5.0)),
             ("zh", _voice("mandarin/BAC009S0764W0121.wav", 4.0)), ("jfk", _voice("jfk/jfk.flac", 11.0)[4 * 16000:]),
             ("ls", _voice("librispeech/2412-153948-0000.flac", 10.0)[5 * 16000:])]
    gap = np.zeros(8000, dtype=np.float32)
    audio, turns, pos = [], [], 0
    for who, s in parts:
        audio += [gap, s]
        pos += len(gap)
        turns.append((pos // 16, (pos + len(s)) // 16, who))
        pos += len(s)
    d = dz.diarize(np.concatenate(audio), dz.DiarizeOptions())
    assert len(d.labels) == 3
    total = 0
    label_of: dict[str, set] = {}
    for a, b, who in turns:
        for s, e, lab in d.spans:
            ov = min(b, e) - max(a, s)
            if ov > 0:
                label_of.setdefault(who, set()).add(lab)
                total += ov
    # each voice keeps one label, and no two voices share one
    assert all(len(v) == 1 for v in label_of.values()), label_of
    assert len({next(iter(v)) for v in label_of.values()}) == 3
    assert total > 15_000  # most of the speech is labelled


# ------------------------------------------------------------------ SDH speaker IDs and renaming
def test_sdh_ids_for_named_speakers_when_they_appear_or_change():
    from subpipe.subtitling.sdh import speaker_ids

    t = _two_speaker_transcript()
    prof = get_profile("netflix-en")
    track = speaker_ids(make_cues(t, prof), t, prof)
    assert track.cues[0].lines[0].startswith("So what")  # S1 has no name: no ID
    assert track.cues[1].lines[0] == "[ANA] Nothing at all really."
    dcmp = get_profile("dcmp")
    track = speaker_ids(make_cues(t, dcmp), t, dcmp)
    assert track.cues[1].lines == ("(ANA)", "Nothing at all really.")  # DCMP: parentheses on their own line
    unnamed = Transcript(t.words, "en", 4000, t.utterances, speakers=(SpeakerInfo("S1"), SpeakerInfo("ANA")))
    assert speaker_ids(make_cues(unnamed, prof), unnamed, prof).cues[1].lines == ("Nothing at all really.",)


def test_rename_in_transcript_and_index(tmp_path):
    from subpipe.errors import FormatError
    from subpipe.quotes import index as quotes
    from subpipe.speakers.naming import index_speakers, rename_in_index, rename_transcript

    t = _two_speaker_transcript()
    r = rename_transcript(t, "S1", "Reporter")
    assert [s.label for s in r.speakers] == ["Reporter", "ANA"] and r.speakers[0].name == "Reporter"
    assert {w.speaker for w in r.words} == {"Reporter", "ANA"}
    assert [u.speaker for u in r.utterances] == ["Reporter", "ANA"]
    with pytest.raises(FormatError):
        rename_transcript(t, "S9", "X")
    con = quotes.connect(tmp_path / "q.db")
    quotes.add_transcript(con, t, media_id="m1", path="/x/m1.wav")
    assert rename_in_index(con, "S1", "Reporter") == 1
    assert [h.speaker for h in quotes.search(con, "see", speaker="Reporter")] == ["Reporter"]
    assert [s for s, _, _ in index_speakers(con)] == ["Reporter", "ANA"]


def test_cli_rename_transcript(tmp_path):
    from click.testing import CliRunner

    from subpipe.cli.app import cli

    p = tmp_path / "a.transcript.json"
    p.write_text(tj.dumps(_two_speaker_transcript()), encoding="utf-8")
    res = CliRunner().invoke(cli, ["speakers", "rename", str(p), "S1", "Reporter"])
    assert res.exit_code == 0, res.output
    assert [u.speaker for u in tj.loads(p.read_text()).utterances] == ["Reporter", "ANA"]
    res = CliRunner().invoke(cli, ["speakers", "rename", str(p), "S7", "Nobody"])
    assert res.exit_code == 1


def test_web_page_filters_and_names_a_speaker_once(tmp_path):
    pytest.importorskip("starlette", reason="the 'web' extra is not installed")
    from starlette.testclient import TestClient

    from subpipe.quotes import index as quotes
    from subpipe.quotes.web import create_app
    from subpipe.speakers.naming import apply_names

    db = tmp_path / "q.db"
    t = _two_speaker_transcript()
    con = quotes.connect(db)
    quotes.add_transcript(con, t, media_id="m1", path=str(tmp_path / "m1.wav"))
    con.close()
    client = TestClient(create_app(db, tmp_path), base_url="http://127.0.0.1")
    # a form posted by a page elsewhere is refused (naming writes to the index), and changes nothing
    r = client.post("/speakers/name", data={"media": "m1", "old": "S1", "new": "Evil"},
                    headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert r.status_code == 403
    page = client.get("/", params={"q": "nothing"}).text
    assert '<option value="ANA"' in page and 'name="new"' in page
    assert "Nothing at all" not in client.get("/", params={"q": "nothing", "speaker": "S1"}).text
    r = client.post("/speakers/name", data={"media": "m1", "old": "S1", "new": "Reporter", "back": "/?q=see"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?q=see"
    assert client.post("/speakers/name", data={"media": "m1", "old": "S9", "new": "X"}).status_code == 404
    con = quotes.connect(db)
    assert [h.speaker for h in quotes.search(con, "see")] == ["Reporter"]
    # indexing the file again (a re-run) writes S1 back; the name given once is put back over it
    quotes.add_transcript(con, t, media_id="m1", path=str(tmp_path / "m1.wav"))
    assert apply_names(con, "m1") == 1
    assert [h.speaker for h in quotes.search(con, "see")] == ["Reporter"]


def test_spotting_list_names_who_speaks_and_reads_back():
    from subpipe.formats import spotting

    t = _two_speaker_transcript()
    track = make_cues(t, get_profile("netflix-en"))
    text = spotting.dumps(track)
    assert text.splitlines()[0] == "event,in,out,duration,text,speaker"
    assert text.splitlines()[1].endswith(",S1") and text.splitlines()[2].endswith(",ANA")
    assert [c.lines for c in spotting.loads(text).cues] == [c.lines for c in track.cues]
    plain = make_cues(Transcript(tuple(w.__class__(w.text, w.start_ms, w.end_ms) for w in t.words), "en", 4000),
                      get_profile("netflix-en"))
    assert spotting.dumps(plain).splitlines()[0] == "event,in,out,duration,text"  # unchanged without speakers


# ------------------------------------------------------------------ one person per channel
def test_stereo_interview_is_split_by_channel_and_overlap_kept():
    from subpipe.audio import media

    src = shared("stereo_two_speakers/stereo_diarization.wav")
    chans = media.extract_channels(src)
    ev = dz.separate_channels(chans)
    assert ev is not None and abs(ev["correlation"]) < 0.1
    assert dz.separate_channels([chans[0], chans[0]]) is None  # dual mono: one signal twice
    assert dz.separate_channels([chans[0]]) is None
    calls = []

    def fake_transcribe(samples):  # what Whisper hears on each channel (the real texts, rough times)
        calls.append(len(samples))
        if np.allclose(samples, chans[0]):
            text, span = "He began a confused complaint against the wizard.", (0, 4500)
        else:
            text, span = "The horizon seems extremely distant.", (0, 2300)
        ws = text.split()
        step = (span[1] - span[0]) // len(ws)
        words = tuple(Word(x, span[0] + i * step, span[0] + (i + 1) * step - 20) for i, x in enumerate(ws))
        return Transcript(words, "en", 5000, (Utterance(words),))

    downmix = Transcript((Word("garbled", 0, 500),), "en", 5000, (Utterance((Word("garbled", 0, 500),)),))
    out = dz.label_speakers(src, media.extract_audio(src).samples, downmix, dz.DiarizeOptions(),
                            transcribe=fake_transcribe)
    assert len(calls) == 2
    assert [(u.speaker, u.text) for u in out.utterances] == [
        ("S1", "He began a confused complaint against the wizard."), ("S2", "The horizon seems extremely distant.")]
    assert [s.label for s in out.speakers] == ["S1", "S2"]
    assert any("overlap" in n for n in out.notes) and any("per channel" in n for n in out.notes)
    assert out.provenance["diarization"]["channels"] == ev
    # the two voices overlap in time: a two-speaker cue (a dash before each line), never overlapping cues
    from subpipe.subtitling.cues import cues_by_speaker

    track = cues_by_speaker(out, get_profile("netflix-en"))
    assert all(b.start_ms >= a.end_ms for a, b in zip(track.cues, track.cues[1:], strict=False))
    dash = [c for c in track.cues if len({w.speaker for w in c.words}) == 2]
    assert dash and all(line.startswith("-") for c in dash for line in c.lines)
    assert all(len({w.speaker for w in c.words}) == 1 for c in track.cues if c not in dash)


def test_one_voice_is_one_speaker_and_labels_are_deterministic(jfk_transcript):
    from subpipe.audio import media

    samples = media.extract_audio(shared("jfk/jfk.flac")).samples
    a = dz.diarize_transcript(samples, jfk_transcript, dz.DiarizeOptions())
    b = dz.diarize_transcript(samples, jfk_transcript, dz.DiarizeOptions())
    assert tj.dumps(a) == tj.dumps(b)
    assert [s.label for s in a.speakers] == ["S1"] and a.speakers[0].speaking_ms > 5000
    assert {w.speaker for w in a.words} == {"S1"} and {u.speaker for u in a.utterances} == {"S1"}
    assert [w.text for w in a.words] == [w.text for w in jfk_transcript.words]
    assert dz.provenance_matches(a.provenance["diarization"], dz.DiarizeOptions())
    assert not dz.provenance_matches(a.provenance["diarization"], dz.DiarizeOptions(mode="2"))
    assert dz.diarize_transcript(samples, jfk_transcript, dz.DiarizeOptions(mode="off")) is jfk_transcript


def test_run_labels_speakers_after_transcription_and_reuses_the_checkpoint(tmp_path, monkeypatch):
    """`subpipe run`'s one hook: speakers in the checkpoint; a rerun with the same --speakers reuses it,
    another value transcribes again. (Whisper is replaced by a stub: the hook is under test, not Whisper.)"""
    from subpipe.jobs import pipeline

    src = shared("stereo_two_speakers/stereo_diarization.wav")
    calls = []

    def stub(samples, options, **kw):
        calls.append(len(samples))
        words = (Word("Hello", 300, 700), Word("there.", 800, 1300))
        prov = {"options": options.provenance(), "media": {"sha256": kw.get("media_sha256")}}
        return Transcript(words, "en", 5000, (Utterance(words),), provenance=prov)

    monkeypatch.setattr(pipeline, "transcribe_audio", stub)
    monkeypatch.setattr(pipeline, "load_model", lambda o: None)
    opts = pipeline.RunOptions(index=False)
    r = pipeline.process_media(src, tmp_path, opts)
    t = pipeline.load_transcript(r.outputs[0])
    assert len(calls) == 3  # the downmix, then each channel (one person per channel)
    assert [s.label for s in t.speakers] == ["S1", "S2"] and all(w.speaker for w in t.words)
    assert pipeline.process_media(src, tmp_path, opts).reused_transcript
    assert not pipeline.process_media(src, tmp_path, pipeline.RunOptions(index=False, speakers="off")).reused_transcript
    assert len(calls) == 4  # --speakers off: the downmix only
