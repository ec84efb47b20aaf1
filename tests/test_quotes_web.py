"""`subpipe serve`: the quote search page over HTTP, and in a real headless browser (system chromium)."""

from __future__ import annotations

import pytest
import webvtt
from click.testing import CliRunner

from subpipe.cli.app import cli
from subpipe.fsio import sha256_file
from subpipe.quotes import index as q

from conftest import chromium, needs, run_ffmpeg, served

needs("starlette", "the 'web' extra is not installed")
from starlette.testclient import TestClient  # noqa: E402

from subpipe.quotes.web import create_app  # noqa: E402

PHRASE = "ask not what your country"


def _jfk_line():
    from subpipe.model import Transcript, Word
    from subpipe.utterances import build_utterances

    text = ("And so, my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.")
    words = [Word(t, k * 450, k * 450 + 380) for k, t in enumerate(text.split())]
    return Transcript(words=tuple(words), language="en", duration_ms=11_000,
                      utterances=build_utterances(words, "en"))


@pytest.fixture(scope="module")
def site(tmp_path_factory, ffmpeg):
    """A media root holding a small WebM (colour + a tone) and an index that points at it: no speech needed,
    the transcript is JFK's line with made-up word times."""
    base = tmp_path_factory.mktemp("web")
    root = base / "media"
    root.mkdir()
    video = root / "jfk talk.webm"
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "color=c=navy:s=160x90:r=25",
               "-f", "lavfi", "-i", "sine=frequency=220:duration=11",
               "-shortest", "-c:v", "libvpx", "-b:v", "200k", "-g", "25", "-c:a", "libopus", str(video))
    (root / "notes.txt").write_text("not media")
    (root / "passwd.mp4").symlink_to("/etc/passwd")
    db = base / "quotes.db"
    con = q.connect(db)
    q.add_transcript(con, _jfk_line(), media_id=sha256_file(video), path=str(video), title="JFK", fps="25")
    hit = q.search(con, PHRASE)[0]
    con.close()
    return db, root, hit


@pytest.fixture(scope="module")
def client(site):
    db, root, _ = site
    return TestClient(create_app(db, root), base_url="http://localhost")


def test_search_page_lists_the_hit(client, site):
    _, _, hit = site
    res = client.get("/", params={"q": PHRASE})
    assert res.status_code == 200
    html = res.text
    assert f'data-in="{hit.in_ms / 1000:.3f}"' in html
    assert "<mark>ask not what your country</mark>" in html
    assert 'data-src="/media/jfk%20talk.webm"' in html
    assert 'href="/export?q=ask%20not%20what%20your%20country&amp;mode=auto&amp;format=csv"' in html
    data = client.get("/api/search", params={"q": PHRASE}).json()
    assert data[0]["id"] == hit.id and data[0]["in_ms"] == hit.in_ms and data[0]["src"] == "/media/jfk%20talk.webm"


def test_media_answers_range_requests(client, site):
    _, root, _ = site
    size = (root / "jfk talk.webm").stat().st_size
    res = client.get("/media/jfk%20talk.webm", headers={"Range": "bytes=100-199"})
    assert res.status_code == 206
    assert res.headers["content-range"] == f"bytes 100-199/{size}"
    assert res.content == (root / "jfk talk.webm").read_bytes()[100:200]
    assert client.get("/media/jfk%20talk.webm").headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize("path", [
    "/media/../../etc/passwd", "/media/%2e%2e/%2e%2e/etc/passwd", "/media/..%2f..%2f..%2fetc%2fpasswd",
    "/media//etc/passwd", "/media/%2fetc%2fpasswd", "/media/passwd.mp4", "/media/notes.txt", "/media/",
    "/media/nothing.mp4",
])
def test_nothing_outside_the_media_root_is_served(client, path):
    res = client.get(path)
    assert res.status_code == 404
    assert "root:" not in res.text


def test_subtitle_track_and_quote_sheet(client, site, tmp_path):
    _, _, hit = site
    res = client.get(f"/subtitles/{hit.media_id}.vtt")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/vtt")
    (tmp_path / "t.vtt").write_text(res.text)
    captions = webvtt.read(str(tmp_path / "t.vtt"))
    assert "ask not what your country" in " ".join(c.text for c in captions).replace("\n", " ")
    assert client.get("/subtitles/nope.vtt").status_code == 404
    res = client.get("/export", params={"q": PHRASE, "format": "csv"})
    assert res.status_code == 200 and "attachment" in res.headers["content-disposition"]
    assert hit.text in res.content.decode("utf-8-sig")
    res = client.get("/export", params={"id": hit.id, "format": "docx"})
    assert res.status_code == 200 and res.content[:2] == b"PK"


@pytest.mark.parametrize("query", ['"', "NEAR(", "x" * 10_000, "'; DROP TABLE media; --"])
def test_hostile_queries_on_the_page(client, query):
    for raw in ("", "1"):
        res = client.get("/", params={"q": query, "raw": raw})
        assert res.status_code in (200, 400)
        assert "Traceback" not in res.text
    assert client.get("/api/search", params={"q": "(((", "raw": "1"}).status_code == 400


def test_serve_command_refuses_a_missing_index(tmp_path):
    res = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "none.db"), "--media-root", str(tmp_path)])
    assert res.exit_code == 1 and "no quote index" in res.output


# ---------------------------------------------------------------- the page in a real browser
@pytest.fixture(scope="module")
def server(site):
    db, root, _ = site
    with served(create_app(db, root)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as drv:
        yield drv


def test_type_a_query_click_the_hit_and_the_player_seeks_to_the_in_point(server, browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    _, _, hit = site
    browser.get(server + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys(PHRASE + Keys.ENTER)
    wait = WebDriverWait(browser, 20)
    first = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "li.hit"))[0]
    assert "ask not what your country" in first.find_element(By.CSS_SELECTOR, "mark").text
    assert "JFK" in first.text
    browser.execute_script(
        "const v = document.getElementById('player');"
        "v.addEventListener('seeked', () => { window.seekedTo = v.currentTime; }, {once: true});")
    first.find_element(By.CSS_SELECTOR, ".snippet").click()
    seeked = wait.until(lambda d: d.execute_script("return window.seekedTo"))
    assert abs(seeked - hit.in_ms / 1000) <= 0.1
    # it plays on from there, with the WebVTT track showing
    wait.until(lambda d: d.execute_script("const v = document.getElementById('player');"
                                          "return !v.paused && v.currentTime > arguments[0];", hit.in_ms / 1000))
    now = browser.execute_script("return document.getElementById('player').currentTime")
    assert hit.in_ms / 1000 <= now < hit.in_ms / 1000 + 5
    assert browser.execute_script("return document.getElementById('player').textTracks[0].mode") == "showing"
    cues = wait.until(lambda d: d.execute_script(
        "const t = document.getElementById('player').textTracks[0]; return t.cues && t.cues.length"))
    assert cues >= 1
    # the copy button copies "quote — title, in–out"
    button = first.find_element(By.CSS_SELECTOR, "button.copy")
    button.click()
    wait.until(lambda d: button.text == "Copied")
    copied = button.get_attribute("data-copied")
    assert copied.startswith("\u201cAnd so") and "\u201d \u2014 JFK, 00:00:00:00\u2013" in copied
    # and the browser itself cannot climb out of the media root
    browser.get(server + "/media/..%2f..%2f..%2f..%2fetc%2fpasswd")
    assert "root:" not in browser.page_source
