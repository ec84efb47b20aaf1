"""Strong language (issue 30): the lexicon, the report, masked subtitles and the clean version, on copies of real
transcripts (JFK with tiny.en, an AISHELL-1 Mandarin clip with base) with strong words planted at known word
slots; the audio is measured with numpy on decoded PCM."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.formats import transcript_json as tj
from subpipe.jobs.pipeline import load_transcript
from subpipe.language.lexicon import find, load_lexicon
from subpipe.model import Transcript, Utterance, Word

from conftest import run_ffmpeg, shared, transcribe_cached

ROOT = Path(__file__).resolve().parent
TOL_MS = 40
# JFK: word slot -> the word planted there (strong ones, and one medium one the strong-only steps leave)
EN_PLANTS = {3: "fucking", 9: "bullshit", 15: "motherfucker,", 20: "cunt"}
EN_STRONG = {3, 15, 20}
# Mandarin (Whisper writes it in Traditional characters: 廣州): 他媽的 folds to 他妈的, 傻逼 is Simplified
ZH_PLANTS = {3: "他媽的", 8: "傻逼"}


def plant(t: Transcript, slots: dict[int, str]) -> Transcript:
    """A copy of ``t`` with the words at ``slots`` replaced (their times kept), utterances alike."""
    new = {t.words[k]: replace(t.words[k], text=text) for k, text in slots.items()}
    utts = tuple(Utterance(tuple(new.get(w, w) for w in u.words), language=u.language, speaker=u.speaker)
                 for u in t.utterances)
    return replace(t, words=tuple(new.get(w, w) for w in t.words), utterances=utts)


@pytest.fixture(scope="module")
def jfk_tiny() -> Transcript:
    from subpipe.asr.transcribe import TranscribeOptions
    from subpipe.audio import media

    audio = media.extract_audio(shared("jfk/jfk.flac"))
    t = transcribe_cached(audio.samples, TranscribeOptions(model="tiny.en", language="en"))
    assert len(t.words) > max(EN_PLANTS)
    return t


@pytest.fixture(scope="module")
def files(tmp_path_factory, jfk_tiny, mandarin_transcript) -> dict[str, Path]:
    assert len(mandarin_transcript.words) > max(ZH_PLANTS)
    d = tmp_path_factory.mktemp("language")
    out = {}
    for name, t in (("jfk", jfk_tiny), ("jfk_planted", plant(jfk_tiny, EN_PLANTS)),
                    ("zh", mandarin_transcript), ("zh_planted", plant(mandarin_transcript, ZH_PLANTS))):
        out[name] = d / f"{name}.transcript.json"
        out[name].write_text(tj.dumps(t), encoding="utf-8")
    return out


def _invoke(*args: str):
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output + res.stderr
    return res


def test_the_report_lists_exactly_the_planted_instances_at_their_times(files, tmp_path):
    out = tmp_path / "report.json"
    _invoke("language", *(str(files[k]) for k in ("jfk", "jfk_planted", "zh", "zh_planted")), "-o", str(out),
            "--fps", "25")
    rep = json.loads(out.read_text(encoding="utf-8"))
    got = {(i["file"], i["text"]): i for i in rep["instances"]}
    want = {}
    for name, plants, src in (("jfk_planted", EN_PLANTS, "jfk"), ("zh_planted", ZH_PLANTS, "zh")):
        t = load_transcript(files[src])
        for k, text in plants.items():
            want[(name, text)] = t.words[k]
    assert set(got) == set(want), f"instances {sorted(got)} != planted {sorted(want)}"
    for key, w in want.items():
        i = got[key]
        assert abs(i["start_ms"] - w.start_ms) <= TOL_MS and abs(i["end_ms"] - w.end_ms) <= TOL_MS
        assert {"text", "start_ms", "end_ms", "severity", "speaker", "language"} <= set(i)
        assert i["in"].count(":") == 3 and i["utterance"]
    assert {got[("zh_planted", "他媽的")]["term"], got[("zh_planted", "傻逼")]["severity"]} == {"他妈的", "strong"}
    assert got[("jfk_planted", "bullshit")]["severity"] == "medium"
    assert all(i["language"] == ("zh" if f == "zh_planted" else "en") for (f, _), i in got.items())
    per_file = {r["name"]: r["total"] for r in rep["summary"]["files"]}
    assert per_file == {"jfk": 0, "jfk_planted": 4, "zh": 0, "zh_planted": 2}
    terms = {r["name"]: r["total"] for r in rep["summary"]["terms"]}
    assert terms["他妈的"] == 1 and terms["fuck"] == 2 and sum(terms.values()) == 6  # fucking, motherfucker


def test_report_counts_per_speaker_and_keeps_each_utterance(jfk_tiny):
    from subpipe.language.report import build

    t = plant(jfk_tiny, EN_PLANTS)
    words = t.words
    two = replace(t, utterances=(Utterance(words[:10], language="en", speaker="S1"),
                                 Utterance(words[10:], language="en", speaker="S2")))
    rep = build([("jfk", two)], load_lexicon(), fps="23.976", severity="strong")
    assert [(i.text, i.speaker) for i in rep.instances] == [("fucking", "S1"), ("motherfucker,", "S2"),
                                                            ("cunt", "S2")]
    assert {r["name"]: r["strong"] for r in rep.by_speaker()} == {"S1": 1, "S2": 2}
    assert rep.instances[0].utterance.endswith(words[9].text) and "cunt" in rep.instances[2].utterance
    assert str(rep.fps) == "23.976" and not rep.notes


def test_report_writers(files, tmp_path):
    import csv

    import docx

    for ext in ("csv", "md", "docx"):
        _invoke("language", str(files["jfk_planted"]), "-o", str(tmp_path / f"r.{ext}"))
    rows = list(csv.DictReader((tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()))
    assert [r["text"] for r in rows] == [EN_PLANTS[k] for k in sorted(EN_PLANTS)]
    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## Per term" in md and "## Per speaker" in md and "| jfk_planted | 4 | 3 | 1 | 0 |" in md
    tables = docx.Document(str(tmp_path / "r.docx")).tables
    assert len(tables) == 4 and len(tables[0].rows) == 1 + len(EN_PLANTS)
    res = CliRunner().invoke(cli, ["language", str(files["jfk"]), "-o", str(tmp_path / "r.txt")])
    assert res.exit_code == 2 and "cannot write a language report as .txt" in res.output


def test_masked_subtitles_show_none_of_the_strong_words_and_the_transcript_keeps_them(files, tmp_path):
    import srt

    before = files["jfk_planted"].read_bytes()
    for name, plants, strong in (("jfk_planted", EN_PLANTS, EN_STRONG), ("zh_planted", ZH_PLANTS, set(ZH_PLANTS))):
        out = tmp_path / f"{name}.srt"
        res = _invoke("subtitles", str(files[name]), "-o", str(out), "--mask-profanity")
        text = " ".join(c.content for c in srt.parse(out.read_text(encoding="utf-8")))
        for k, word in plants.items():
            core = word.strip(",")
            assert (core in text) == (k not in strong), (name, word, text)
        assert f"{len(strong)} instances of strong language" in res.stderr
        t = load_transcript(files[name])
        assert all(t.words[k].text == w for k, w in plants.items())
    assert files["jfk_planted"].read_bytes() == before
    out = tmp_path / "medium.srt"
    res = _invoke("subtitles", str(files["jfk_planted"]), "-o", str(out), "--mask-profanity", "--severity", "medium",
                  "--mask-style", "[bleep]")
    text = out.read_text(encoding="utf-8")
    assert "bullshit" not in text and text.count("[bleep]") == 4 and "4 instances" in res.stderr
    unchanged = tmp_path / "plain.srt"
    _invoke("subtitles", str(files["jfk"]), "-o", str(unchanged), "--mask-profanity")
    assert "*" not in unchanged.read_text(encoding="utf-8")


def _pcm(path: Path) -> tuple[np.ndarray, int]:
    from subpipe.audio import media

    info = media.probe(path)
    rate = info.audio_streams[0].sample_rate
    return media._interleaved(path, None, info, rate, "test decode").astype(np.float64), rate


def _db(x: np.ndarray, ref: np.ndarray) -> float:
    return float(10 * np.log10((np.mean(x ** 2) + 1e-20) / (np.mean(ref ** 2) + 1e-20)))


def _outside(n: int, rate: int, spans: list[tuple[int, int]], margin_ms: int) -> np.ndarray:
    keep = np.ones(n, bool)
    for a, b in spans:
        keep[max(0, (a - margin_ms) * rate // 1000):(b + margin_ms) * rate // 1000] = False
    return keep


def _untouched_windows(src: np.ndarray, out: np.ndarray, rate: int, keep: np.ndarray) -> list[float]:
    """Level difference (dB) in each 50 ms window wholly outside the spans with sound in it."""
    win = rate // 20
    diffs = []
    for s in range(0, min(len(src), len(out)) - win, win):
        if keep[s:s + win].all() and np.sqrt(np.mean(src[s:s + win] ** 2)) > 1e-3:
            diffs.append(_db(out[s:s + win], src[s:s + win]))
    return diffs


def test_clean_dips_the_planted_spans_30_db_and_leaves_the_rest(files, tmp_path):
    media = shared("jfk/jfk.flac")
    out = tmp_path / "clean.flac"
    report = tmp_path / "changes.json"
    res = _invoke("clean", str(media), "--transcript", str(files["jfk_planted"]), "-o", str(out),
                  "--handles", "40ms", "--report", str(report))
    assert "3 span(s) dipped" in res.output
    changes = json.loads(report.read_text(encoding="utf-8"))["changes"]
    assert sorted(w for c in changes for w in c["words"]) == sorted(EN_PLANTS[k] for k in EN_STRONG)
    src, rate = _pcm(media)
    got, rate2 = _pcm(out)
    assert rate2 == rate and got.shape == src.shape
    t = load_transcript(files["jfk_planted"])
    spans = [(t.words[k].start_ms, t.words[k].end_ms) for k in sorted(EN_STRONG)]
    for a, b in spans:
        i, j = a * rate // 1000, b * rate // 1000
        assert _db(got[i:j], src[i:j]) <= -30, (a, b)
    keep = _outside(len(src), rate, spans, 40 + 10 + 2)  # handles, fade, one filter frame
    diffs = _untouched_windows(src, got, rate, keep)
    assert len(diffs) > 50 and max(abs(d) for d in diffs) <= 0.5
    assert np.array_equal(src[keep], got[keep])  # lossless in, lossless out: the samples themselves


def test_clean_bleep_covers_the_spans_with_a_1khz_tone(files, tmp_path):
    media = shared("jfk/jfk.flac")
    out = tmp_path / "bleep.wav"
    _invoke("clean", str(media), "--transcript", str(files["jfk_planted"]), "-o", str(out), "--mode", "bleep")
    src, rate = _pcm(media)
    got, _ = _pcm(out)
    t = load_transcript(files["jfk_planted"])
    spans = [(t.words[k].start_ms, t.words[k].end_ms) for k in sorted(EN_STRONG)]
    for a, b in spans:
        seg = got[a * rate // 1000:b * rate // 1000, 0]
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
        freqs = np.fft.rfftfreq(len(seg), 1 / rate)
        assert spec[np.abs(freqs - 1000) <= 30].sum() / spec.sum() > 0.95
    keep = _outside(len(src), rate, spans, 40 + 10 + 2)
    diffs = _untouched_windows(src, got, rate, keep)
    assert len(diffs) > 50 and max(abs(d) for d in diffs) <= 0.5


def test_clean_copies_the_video_stream(files, tmp_path, ffmpeg):
    import subprocess

    src = tmp_path / "v.mp4"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "testsrc=size=96x64:rate=25:duration=11", "-i",
               str(shared("jfk/jfk.flac")), "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest",
               str(src))
    out = tmp_path / "clean.mp4"
    _invoke("clean", str(src), "--transcript", str(files["jfk_planted"]), "-o", str(out))

    def video_md5(p: Path) -> str:
        r = subprocess.run([ffmpeg, "-v", "error", "-i", str(p), "-map", "0:v", "-c", "copy", "-f", "md5", "-"],
                           capture_output=True, check=True)
        return r.stdout.decode()

    assert video_md5(src) == video_md5(out)
    a, rate = _pcm(out)
    t = load_transcript(files["jfk_planted"])
    w = t.words[3]
    seg = a[w.start_ms * rate // 1000:w.end_ms * rate // 1000]
    assert np.sqrt(np.mean(seg ** 2)) < 10 ** (-50 / 20)  # AAC in and out: the dip is still far below speech


def _wordlist() -> list[tuple[str, str]]:
    rows = []
    for line in (ROOT / "data" / "language_wordlist.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, expected = line.split("\t")
            rows.append((word, expected))
    return rows


def test_lexicon_precision_and_recall_on_ordinary_words_that_hold_strong_ones():
    lex = load_lexicon()
    tp = fp = fn = 0
    wrong_tier = []
    for word, expected in _wordlist():
        found = find(lex, [Word(x, 0, 0) for x in word.split()], "en")
        if expected == "-":
            fp += bool(found)
        elif not found:
            fn += 1
        else:
            tp += 1
            if found[0].term.severity != expected:
                wrong_tier.append(word)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert tp >= 80 and precision >= 0.95 and recall == 1.0, (precision, recall)
    assert not wrong_tier
    for word in ("Scunthorpe", "assess", "class", "cocktail", "Dickens", "therapist", "Matsushita", "spices"):
        assert not find(lex, [Word(word, 0, 0)], "en"), word


def test_user_lexicon_adds_removes_and_retiers(tmp_path, files):
    user = tmp_path / "mine.toml"
    user.write_text('[en]\nstrong = ["frak", "crap"]\nremove = ["damn"]\nordinary = ["bullshit"]\n'
                    '[zh]\nordinary = ["傻逼"]\n', encoding="utf-8")
    lex = load_lexicon(user)
    words = [Word(w, k * 100, k * 100 + 90) for k, w in enumerate("frakking crap damn bullshit fucking".split())]
    got = {m.said: m.term.severity for m in find(lex, words, "en")}
    assert got == {"frakking": "strong", "crap": "strong", "fucking": "strong"}
    assert not find(lex, [Word("傻逼", 0, 1)], "zh")
    out = tmp_path / "r.json"
    _invoke("language", str(files["zh_planted"]), "--lexicon", str(user), "-o", str(out))
    assert [i["text"] for i in json.loads(out.read_text(encoding="utf-8"))["instances"]] == ["他媽的"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[fr]\nstrong = []\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["language", str(files["jfk"]), "--lexicon", str(bad)])
    assert res.exit_code == 1 and "unknown lexicon table [fr]" in res.output


def test_chinese_matches_folded_characters_but_not_inside_ordinary_words():
    lex = load_lexicon()

    def said(*texts):
        return [m.said for m in find(lex, [Word(x, k, k + 1) for k, x in enumerate(texts)], "zh")]

    assert said("你", "他", "媽", "的") == ["他媽的"]  # a term across words, Traditional folded
    assert said("你妈妈在家吗") == [] and said("生日你快乐") == [] and said("牛奶和乳制品") == []
    assert said("雞巴") == ["雞巴"]


def test_quotes_search_clean_leaves_out_quotes_with_strong_language(files, tmp_path):
    from subpipe import api

    db = tmp_path / "q.db"
    api.quotes_add([files["jfk_planted"], files["zh"]], db=db)
    assert len(api.quotes_search("country", db=db)) == 1
    assert api.quotes_search("country", db=db, clean=True) == []
    res = _invoke("quotes", "search", "country", "--db", str(db), "--clean")
    assert "no matches" in res.stderr


def test_run_writes_the_language_report_and_masks_the_subtitles(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("And so, my fellow Americans, ask not what your fucking country can do for you; ask what "
                      "you can do for your country, motherfucker.", encoding="utf-8")
    out = tmp_path / "out"
    res = _invoke("run", str(shared("jfk/jfk.flac")), "--script", str(script), "-m", "tiny.en", "--speakers", "off",
                  "--separate", "off", "--no-index", "-o", str(out), "--language-report", "--mask-profanity")
    assert "2 instances of strong language" in res.output
    rep = json.loads((out / "jfk" / "jfk.language.json").read_text(encoding="utf-8"))
    assert [i["text"] for i in rep["instances"]] == ["fucking", "motherfucker."]
    assert (out / "jfk" / "jfk.language.csv").is_file()
    subs = (out / "jfk" / "jfk.srt").read_text(encoding="utf-8")
    assert "fucking" not in subs and "f******" in subs
    assert "fucking" in load_transcript(out / "jfk" / "jfk.transcript.json").text


def test_mask_styles_keep_punctuation_and_fold_multi_word_terms():
    from subpipe.language.mask import MaskOptions, mask_transcript

    ws = (Word("他妈的傻逼东西", 0, 1000, space_before=False), Word("son", 1000, 1100), Word("of", 1100, 1200),
          Word("a", 1200, 1300), Word("bitch!", 1300, 1400))
    t = Transcript(words=ws, language=None, duration_ms=2000,
                   utterances=(Utterance(ws[:1], language="zh"), Utterance(ws[1:], language="en")))
    stars, _, note = mask_transcript(t, MaskOptions(severity="medium"))
    assert [w.text for w in stars.words] == ["他**傻*东西", "s**", "o*", "a", "b****!"] and note.startswith("3 ")
    bleep, found, _ = mask_transcript(t, MaskOptions(style="[bleep]", severity="medium"))
    assert [w.text for w in bleep.words] == ["[bleep][bleep]东西", "[bleep]!"]
    assert bleep.words[1].end_ms == 1400 and [len(u.words) for u in bleep.utterances] == [1, 1]
    assert [i.text for i in found] == ["他妈的", "傻逼", "son of a bitch!"]
    strong, _, _ = mask_transcript(t)  # strong only: "son of a bitch" is medium
    assert [w.text for w in strong.words][1:] == ["son", "of", "a", "bitch!"]
