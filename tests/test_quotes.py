"""The quote index on real transcripts: search, in-points, re-indexing, Chinese, hostile queries, sheets."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subpipe.cli.app import cli
from subpipe.errors import QueryError, QuoteIndexError
from subpipe.fsio import sha256_file
from subpipe.model import Transcript, Word
from subpipe.quotes import index as q
from subpipe.quotes import sheets as quotesheet
from subpipe.timecode import ms_to_smpte
from subpipe.utterances import build_utterances

from conftest import shared

PHRASE = "ask not what your country can do for you"
HOSTILE = ['"', "*", "NEAR(", "'; DROP TABLE utterances; --", "x" * 10_000, "ask\x00not\x07\x1b[2J", "\x00",
           'ask" OR "', "NEAR(ask not, 2", "^", "ask AND", "(((", "text:ask", "-", "\u202eask", "\ud800"]


def _words(text: str, step: int = 400) -> tuple[Word, ...]:
    return tuple(Word(w, k * step, k * step + step - 50) for k, w in enumerate(text.split()))


def _transcript(text: str, language: str = "en") -> Transcript:
    ws = _words(text)
    return Transcript(ws, language, ws[-1].end_ms + 500, build_utterances(ws, language))


@pytest.fixture(scope="module")
def index(tmp_path_factory, jfk_transcript, mandarin_transcript):
    """JFK (at 29.97 fps, drop-frame) and a Mandarin utterance in one index."""
    db = tmp_path_factory.mktemp("quotes") / "quotes.db"
    con = q.connect(db)
    jfk = shared("jfk/jfk.flac")
    zh = shared("mandarin/BAC009S0724W0121.wav")
    q.add_transcript(con, jfk_transcript, media_id=sha256_file(jfk), path=str(jfk), title="JFK inaugural",
                     fps="29.97df")
    q.add_transcript(con, mandarin_transcript, media_id=sha256_file(zh), path=str(zh), fps="25")
    con.close()
    return db


@pytest.fixture()
def con(index):
    c = q.connect(index)
    yield c
    c.close()


def _phrase_start(transcript: Transcript, phrase: str) -> int:
    """Where the phrase starts in the audio, from the transcript's word times."""
    want = q.tokens(phrase)
    flat = [(t, w) for w in transcript.words for t in q.tokens(w.text)]
    for k in range(len(flat) - len(want) + 1):
        if [t for t, _ in flat[k:k + len(want)]] == want:
            return flat[k][1].start_ms
    raise AssertionError(f"{phrase!r} is not in the transcript")


def test_jfk_phrase_first_with_the_phrase_in_point(con, jfk_transcript):
    hits = q.search(con, PHRASE)
    assert hits, "the JFK phrase was not found"
    top = hits[0]
    assert PHRASE in top.text.lower().replace(",", "")
    assert top.title == "JFK inaugural"
    start = _phrase_start(jfk_transcript, PHRASE)
    assert abs(top.in_ms - start) <= 300
    # the utterance starts earlier ("And so my fellow Americans"): the hit cues to the phrase, not to it
    assert top.start_ms < start - 1000 <= top.in_ms
    assert top.start_ms <= top.in_ms < top.out_ms <= top.end_ms
    assert "[ask not what your country can do for you" in top.snippet
    # frames at the media's rate are stored with the row
    assert top.start_frame == q.ms_to_frames(top.start_ms, q.frame_rate("29.97df"))


def test_ranking_puts_the_better_match_first(tmp_path):
    con = q.connect(tmp_path / "q.db")
    q.add_transcript(con, _transcript("We talked about freedom for a while and then about the weather at length."),
                     media_id="a" * 64, path="a.wav")
    q.add_transcript(con, _transcript("Freedom of expression. Freedom."), media_id="b" * 64, path="b.wav")
    hits = q.search(con, "freedom")
    assert [h.media_id[0] for h in hits] == ["b", "b", "a"]  # BM25: short, dense utterances rank higher
    assert hits[0].rank <= hits[1].rank <= hits[2].rank


def test_reindexing_leaves_the_rows_unchanged(index, jfk_transcript):
    con = q.connect(index)
    before = q.count(con)
    ids = [r[0] for r in con.execute("SELECT id FROM utterances ORDER BY id")]
    jfk = shared("jfk/jfk.flac")
    for _ in range(2):
        q.add_transcript(con, jfk_transcript, media_id=sha256_file(jfk), path=str(jfk), title="JFK inaugural",
                         fps="29.97df")
    assert q.count(con) == before
    assert [r[0] for r in con.execute("SELECT id FROM utterances ORDER BY id")] == ids
    assert con.execute("SELECT count(*) FROM media").fetchone()[0] == 2
    q.integrity_check(con)
    assert len(q.search(con, PHRASE)) == 1
    con.close()


def test_chinese_found_by_a_two_character_substring(con, mandarin_transcript):
    reference = shared("mandarin/BAC009S0724W0121.txt").read_text(encoding="utf-8").strip()
    text = mandarin_transcript.text
    pairs = [reference[k:k + 2] for k in range(len(reference) - 1) if reference[k:k + 2] in text]
    assert pairs, f"the transcript {text!r} shares no two characters with the reference {reference!r}"
    for pair in pairs:
        hits = q.search(con, pair, mode="words")
        assert hits and pair in hits[0].text, pair
        assert hits[0].language == "zh"
        at = text.index(pair)
        # the in-point is the first character's word
        chars = [(ch, w) for w in mandarin_transcript.words for ch in w.text]
        assert hits[0].in_ms == chars[at][1].start_ms
    # three characters or more: the trigram index finds them too
    assert q.search(con, text[1:4], mode="substring")[0].text == text


def test_partial_words_prefixes_and_diacritics(tmp_path, con):
    assert q.search(con, "ountr")[0].title == "JFK inaugural"  # auto: no word "ountr", so substring
    assert q.search(con, "ountr", mode="words") == []
    assert q.search(con, "ountr", mode="substring")[0].snippet.count("[") == 1
    hit = q.search(con, "fellow amer*")[0]
    assert "[my fellow Americans" not in hit.snippet and "[fellow Americans,]" in hit.snippet
    other = q.connect(tmp_path / "q.db")
    q.add_transcript(other, _transcript("The café served crème brûlée. Naïve coöperation."), media_id="c" * 64,
                     path="c.wav")
    assert q.search(other, "creme brulee")[0].in_ms == 1200
    assert q.search(other, "CAFÉ")[0].in_ms == 400
    other.close()


def test_filters_by_media_speaker_language_and_time(tmp_path):
    con = q.connect(tmp_path / "q.db")
    t = _transcript("Freedom is here. Later we spoke of freedom again.")
    q.add_transcript(con, t, media_id="a" * 64, path="one.wav", title="One")
    q.add_transcript(con, _transcript("Freiheit und freedom.", "de"), media_id="b" * 64, path="two.wav")
    assert len(q.search(con, "freedom")) == 3
    assert {h.title for h in q.search(con, "freedom", media="One")} == {"One"}
    assert {h.title for h in q.search(con, "freedom", media="b" * 64)} == {"two"}
    assert [h.language for h in q.search(con, "freedom", language="de")] == ["de"]
    assert [h.in_ms for h in q.search(con, "freedom", media="One", since_ms=2000)] == [2800]
    assert [h.in_ms for h in q.search(con, "freedom", media="One", until_ms=1000)] == [0]
    assert q.search(con, "freedom", speaker="nobody") == []
    con.close()


@pytest.fixture(scope="module")
def plain_index(tmp_path_factory):
    """An index made from hand-timed words (no speech, no ../shared): for the tests about queries."""
    from subpipe.model import Word
    from subpipe.utterances import build_utterances

    words = [Word(t, 300 + k * 400, 600 + k * 400) for k, t in enumerate(
        "And so, my fellow Americans, ask not what your country can do for you. 我们 一起 去 北京。".split())]
    db = tmp_path_factory.mktemp("plain") / "quotes.db"
    c = q.connect(db)
    q.add_transcript(c, Transcript(tuple(words), "en", 9000, build_utterances(words, "en")), media_id="c" * 64,
                     path="/media/jfk.flac", title="JFK", fps="29.97df")
    c.close()
    return db


@pytest.fixture()
def plain_con(plain_index):
    c = q.connect(plain_index)
    yield c
    c.close()


@pytest.mark.parametrize("query", HOSTILE, ids=lambda s: repr(s[:12]))
@pytest.mark.parametrize("raw", [False, True])
def test_hostile_queries_give_a_clean_message_or_nothing(plain_con, query, raw):
    con = plain_con
    try:
        hits = q.search(con, query, raw=raw)
    except QueryError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert isinstance(hits, list)
    assert q.count(con) > 0  # nothing was dropped


@pytest.mark.parametrize("query", HOSTILE[:6], ids=lambda s: repr(s[:12]))
def test_hostile_queries_on_the_command_line(plain_index, query):
    con = q.connect(plain_index, readonly=True)
    try:
        q.search(con, query)
        expected = 0
    except QueryError:
        expected = 1  # the library refuses it: the command says so in one line
    finally:
        con.close()
    res = CliRunner().invoke(cli, ["quotes", "search", query, "--db", str(plain_index)])
    assert res.exit_code == expected, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output
    if expected == 1:
        assert res.output.startswith("error: ")


def test_malformed_raw_query_is_a_clean_error(plain_con):
    con = plain_con
    with pytest.raises(QueryError, match="syntax error"):
        q.search(con, "ask NEAR(not", raw=True)
    res = CliRunner().invoke(cli, ["quotes", "search", "ask NEAR(not", "--raw", "--db", str(con.execute(
        "PRAGMA database_list").fetchone()[2])])
    assert res.exit_code == 1 and "error: cannot search" in res.output and "hint:" in res.output
    assert [h.title for h in q.search(con, "ask NEAR(country, 5)", raw=True)] == ["JFK"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_escaped_queries_never_reach_fts5_as_syntax(plain_con, text):
    con = plain_con
    for mode in q.MODES:
        assert isinstance(q.search(con, text, mode=mode), list)


def test_migration_from_schema_v1(tmp_path, jfk_transcript, mandarin_transcript):
    db = tmp_path / "old.db"
    raw = sqlite3.connect(db)
    q.migrate(raw, target=1)
    for media_id, t, fps in (("a" * 64, jfk_transcript, "29.97df"), ("b" * 64, mandarin_transcript, None)):
        raw.execute("INSERT INTO media(id, path, title, duration_ms, fps, language) VALUES (?,?,?,?,?,?)",
                    (media_id, f"{media_id[0]}.wav", media_id[0], t.duration_ms, fps, t.language))
        for seq, u in enumerate(t.utterances):
            raw.execute("INSERT INTO utterances(id, media_id, seq, start_ms, end_ms, speaker, language, text, "
                        "words_json) VALUES (?,?,?,?,?,?,?,?,?)",
                        (q.utterance_id(media_id, seq), media_id, seq, u.start_ms, u.end_ms, None, t.language,
                         u.text, json.dumps([[w.text, w.start_ms, w.end_ms] for w in u.words])))
    raw.commit()
    n = raw.execute("SELECT count(*) FROM utterances").fetchone()[0]
    raw.close()
    con = q.connect(db)
    assert q.schema_version(con) == q.SCHEMA_VERSION == 3
    assert q.count(con) == n
    hit = q.search(con, PHRASE)[0]
    assert hit.in_ms == _phrase_start(jfk_transcript, PHRASE)
    assert hit.end_frame == q.ms_to_frames(hit.end_ms, q.frame_rate("29.97df"))
    assert q.search(con, mandarin_transcript.text[4:6])  # Chinese: re-indexed one character a token
    assert con.execute("SELECT sha256 FROM media WHERE id = ?", ("a" * 64,)).fetchone()[0] == "a" * 64
    q.integrity_check(con)
    con.close()


def test_a_newer_schema_is_refused(tmp_path):
    db = tmp_path / "new.db"
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(QuoteIndexError, match="newer"):
        q.connect(db)


def test_a_new_file_at_the_same_path_replaces_the_old_one(tmp_path):
    con = q.connect(tmp_path / "q.db")
    q.add_transcript(con, _transcript("First cut of the trailer."), media_id="a" * 64, path="trailer.mp4")
    q.add_transcript(con, _transcript("Final cut of the trailer."), media_id="b" * 64, path="trailer.mp4")
    assert q.search(con, "first cut") == []
    assert [m.id for m in q.media_list(con)] == ["b" * 64]
    con.close()


def test_get_show_and_ids(con, index):
    hit = q.search(con, PHRASE)[0]
    full = q.get(con, hit.id)
    assert (full.in_ms, full.out_ms) == (full.start_ms, full.end_ms) == (hit.start_ms, hit.end_ms)
    assert q.get(con, hit.id[:8]).id == hit.id
    with pytest.raises(QuoteIndexError):
        q.get(con, "ffffffffffffffff")
    with pytest.raises(QuoteIndexError):
        q.get(con, "../etc")
    res = CliRunner().invoke(cli, ["quotes", "show", hit.id, "--db", str(index)])
    assert res.exit_code == 0 and "00:00:00;00" in res.output and "country." in res.output


def test_quote_sheets_in_four_formats(index, con, tmp_path, jfk_transcript):
    hit = q.search(con, PHRASE)[0]
    runner = CliRunner()
    outs = {}
    for fmt in quotesheet.FORMATS:
        out = tmp_path / f"sheet.{fmt}"
        res = runner.invoke(cli, ["quotes", "export", PHRASE, "--db", str(index), "-o", str(out)])
        assert res.exit_code == 0, res.output
        outs[fmt] = out
    fr = q.frame_rate("29.97df")
    assert fr.drop_frame
    tc_in, tc_out = ms_to_smpte(hit.start_ms, fr), ms_to_smpte(hit.end_ms, fr)
    assert ";" in tc_out  # drop-frame labels at 29.97
    rows = list(csv.DictReader(io.StringIO(outs["csv"].read_text(encoding="utf-8-sig"))))
    assert rows[0]["Media"] == "JFK inaugural" and rows[0]["Quote"] == hit.text
    assert (rows[0]["In"], rows[0]["Out"]) == (tc_in, tc_out)
    assert rows[0]["Phrase at"] == ms_to_smpte(_phrase_start(jfk_transcript, PHRASE), fr)
    data = json.loads(outs["json"].read_text())
    assert data[0]["quote"] == hit.text and data[0]["tc_in"] == tc_in and data[0]["fps"] == "29.97df"
    md = outs["md"].read_text()
    assert f"| JFK inaugural | {hit.text} | {tc_in} | {tc_out} |" in md
    import docx

    table = docx.Document(str(outs["docx"])).tables[0]
    assert [c.text for c in table.rows[0].cells][:4] == ["Media", "Quote", "In", "Out"]
    assert [c.text for c in table.rows[1].cells][:4] == ["JFK inaugural", hit.text, tc_in, tc_out]
    # by id, with the format named
    res = runner.invoke(cli, ["quotes", "export", "--ids", hit.id, "--format", "md", "--db", str(index),
                              "-o", str(tmp_path / "ids.txt")])
    assert res.exit_code == 0 and hit.text in (tmp_path / "ids.txt").read_text()
    res = runner.invoke(cli, ["quotes", "export", PHRASE, "--db", str(index), "-o", str(tmp_path / "x.pdf")])
    assert res.exit_code == 1 and "unknown quote sheet format" in res.output


def test_quotes_add_indexes_transcript_files(tmp_path, jfk_transcript):
    from subpipe.formats import transcript_json as tj

    tpath = tmp_path / "jfk.transcript.json"
    tpath.write_text(tj.dumps(jfk_transcript), encoding="utf-8")
    db = tmp_path / "q.db"
    res = CliRunner().invoke(cli, ["quotes", "add", str(tpath), "--db", str(db), "--title", "JFK", "--fps", "25"])
    assert res.exit_code == 0, res.output
    res2 = CliRunner().invoke(cli, ["quotes", "add", str(tpath), "--db", str(db), "--title", "JFK", "--fps", "25"])
    assert res2.exit_code == 0
    res = CliRunner().invoke(cli, ["quotes", "search", "ask not", "--db", str(db), "--json"])
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert len(lines) == 1 and lines[0]["title"] == "JFK" and lines[0]["fps"] == "25"
    res = CliRunner().invoke(cli, ["quotes", "search", "ask not", "--db", str(tmp_path / "none.db")])
    assert res.exit_code == 1 and "no quote index" in res.output
