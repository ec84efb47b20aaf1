"""Quote search: ranking by FTS5's bm25() that does not depend on indexing order, and Chinese folding
(Traditional <-> Simplified) at index and query time, with the migration that re-folds an old index."""

from __future__ import annotations

import random
import sqlite3

import pytest

from subpipe import text as tx
from subpipe.model import Transcript, Utterance, Word
from subpipe.quotes import index as q


def _utt(text: str, t0: int, cjk: bool = False) -> Utterance:
    toks = list(text) if cjk else text.split()
    return Utterance(tuple(Word(w, t0 + k * 300, t0 + k * 300 + 250, 1.0, not cjk or k == 0)
                           for k, w in enumerate(toks)), "zh" if cjk else "en", None)


def _media(lines: list[str], cjk: bool = False) -> Transcript:
    utts = [_utt(line, k * 10_000, cjk) for k, line in enumerate(lines)]
    words = tuple(w for u in utts for w in u.words)
    return Transcript(words, "zh" if cjk else "en", len(lines) * 10_000, tuple(utts))


def _corpus(n_media: int = 24, per: int = 50) -> list[tuple[str, Transcript]]:
    """1,200 lines, each with "the": more matches than a ranking that looks at the newest 1,000 sees."""
    rng = random.Random(11)
    vocab = "the cat sat on a mat and then it ran far away from home".split()
    out = []
    for m in range(n_media):
        # many identical lines across media: ties that only media and time can break
        lines = ["the " + " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 5))) for _ in range(per)]
        lines[0] = "the cat"
        out.append((f"{m:02d}" * 32, _media(lines)))
    return out


def _index(path, corpus, order) -> sqlite3.Connection:
    con = q.connect(path)
    for i in order:
        mid, t = corpus[i]
        q.add_transcript(con, t, media_id=mid, path=f"{mid[:4]}.wav")
    return con


@pytest.mark.parametrize("query,mode", [("the", "auto"), ("the cat", "auto"), ("ca*", "auto"), ("at", "substring"),
                                        ("the OR cat", "raw")])
def test_same_ranking_whatever_the_indexing_order(tmp_path, query, mode):
    corpus = _corpus()
    orders = [list(range(len(corpus))), list(reversed(range(len(corpus))))]
    shuffled = list(range(len(corpus)))
    random.Random(5).shuffle(shuffled)
    orders.append(shuffled)
    rankings = []
    for k, order in enumerate(orders):
        con = _index(tmp_path / f"{k}.db", corpus, order)
        kw = {"raw": True} if mode == "raw" else {"mode": mode}
        hits = q.search(con, query, limit=300, **kw)
        rankings.append([(h.id, h.rank) for h in hits])
        con.close()
    assert len(rankings[0]) > 24  # more hits than media: ties between media
    assert rankings[0] == rankings[1] == rankings[2]
    ranks = [r for _, r in rankings[0]]
    assert ranks == sorted(ranks)


def test_ties_are_broken_by_media_then_time(tmp_path):
    corpus = _corpus(n_media=5, per=3)
    con = _index(tmp_path / "q.db", corpus, [4, 2, 0, 3, 1])
    hits = [h for h in q.search(con, "the cat", limit=50) if h.text == "the cat"]
    assert len(hits) >= 5
    keys = [(h.media_id, h.start_ms) for h in hits]
    assert keys == sorted(keys)
    con.close()


def test_bm25_prefers_the_denser_match(tmp_path):
    con = q.connect(tmp_path / "q.db")
    q.add_transcript(con, _media(["cat", "a long line about many things and a cat somewhere in it"]),
                     media_id="b" * 64, path="b.wav")
    hits = q.search(con, "cat")
    assert [h.text for h in hits] == ["cat", "a long line about many things and a cat somewhere in it"]
    assert hits[0].rank < hits[1].rank
    con.close()


@pytest.mark.parametrize("indexed,query", [("我们明天去广州", "廣州"), ("我們明天去廣州", "广州"),
                                           ("我們明天去廣州", "廣州"), ("我们明天去广州", "广州")])
@pytest.mark.parametrize("mode", ["auto", "words", "substring"])
def test_traditional_and_simplified_find_each_other(tmp_path, indexed, query, mode):
    con = q.connect(tmp_path / "q.db")
    q.add_transcript(con, _media([indexed, "别的话"], cjk=True), media_id="c" * 64, path="c.wav")
    hits = q.search(con, query, mode=mode)
    assert [h.text for h in hits] == [indexed]
    h = hits[0]
    assert h.snippet == indexed[:5] + "[" + indexed[5:] + "]"  # the in-point is on the matched characters
    assert (h.in_ms, h.out_ms) == (5 * 300, 6 * 300 + 250)
    con.close()


def test_fold_chinese_is_character_by_character():
    assert tx.fold_chinese("廣州") == "广州"
    assert tx.fold_chinese("广州 Guangzhou") == "广州 Guangzhou"
    whole = tx.fold_chinese("乾隆皇帝說")
    assert whole == "".join(tx.fold_chinese(c) for c in "乾隆皇帝說")  # same per character as whole
    assert tx.fold_for_search("Éclair 後來") == "eclair 后来"


def test_script_classes():
    assert [tx.script_of(c) for c in "中かカｶ한ㄅa"] == ["han", "kana", "kana", "kana", "hangul", "bopomofo", "other"]
    assert tx.is_unspaced("々") and not tx.is_unspaced("한")
    assert tx.guess_cjk_language("我们去广州") == "zh"
    assert tx.guess_cjk_language("東京へ行きます") == "ja"
    assert tx.guess_cjk_language("서울에 갑니다") == "ko"
    assert tx.guess_cjk_language("hello 中") is None
    assert tx.normalise_for_matching("Thank_you,  WORLD!") == "thank you world"


def test_v2_index_is_migrated_and_refolded(tmp_path):
    """A v2 index (Traditional text indexed as written) upgrades in place: 广州 then finds 廣州."""
    db = tmp_path / "q.db"
    raw = sqlite3.connect(db)
    q.migrate(raw, target=2)
    t = _media(["我們明天去廣州"], cjk=True)
    u = t.utterances[0]
    raw.execute("INSERT INTO media(id, path, title, sha256, duration_ms) VALUES (?,?,?,?,?)",
                ("d" * 64, "d.wav", "d", "d" * 64, t.duration_ms))
    raw.execute("INSERT INTO utterances(id, media_id, seq, start_ms, end_ms, language, text, fts_text, words_json) "
                "VALUES (?,?,?,?,?,?,?,?,?)", (q.utterance_id("d" * 64, 0), "d" * 64, 0, u.start_ms, u.end_ms, "zh",
                                               u.text, q.spaced_cjk(u.text), q.words_json(u.words)))
    raw.commit()
    assert raw.execute("SELECT count(*) FROM utterances_fts WHERE utterances_fts MATCH '\"广 州\"'").fetchone()[0] == 0
    raw.close()
    con = q.connect(db)
    assert q.schema_version(con) == 3
    assert [h.text for h in q.search(con, "广州")] == ["我們明天去廣州"]
    assert [h.text for h in q.search(con, "广州明", mode="substring")] == []
    assert [h.text for h in q.search(con, "天去广州", mode="substring")] == ["我們明天去廣州"]
    q.integrity_check(con)
    con.close()


def test_changed_folding_rule_refolds_the_rows(tmp_path, monkeypatch):
    db = tmp_path / "q.db"
    con = q.connect(db)
    q.add_transcript(con, _media(["我們明天去廣州"], cjk=True), media_id="e" * 64, path="e.wav")
    con.execute("UPDATE utterances SET fts_text = NULL, tri_text = NULL")  # as if folded by another rule
    con.execute("UPDATE meta SET value = 'old' WHERE key = 'fold'")
    con.commit()
    assert q.search(con, "广州") == []
    con.close()
    con = q.connect(db)
    assert [h.text for h in q.search(con, "广州")] == ["我們明天去廣州"]
    assert con.execute("SELECT value FROM meta WHERE key = 'fold'").fetchone()[0] == tx.fold_signature()
    q.integrity_check(con)
    con.close()
