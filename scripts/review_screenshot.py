"""docs/review.png: the review page on JFK (tiny.en) in headless system chromium, a marked word picked (Alt+N).

PYTHONPATH=src python scripts/review_screenshot.py [docs/review.png]
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(out: Path) -> None:
    import uvicorn
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    import subpipe
    from subpipe.editor.session import Session
    from subpipe.editor.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        media = base / "jfk.flac"
        shutil.copy(ROOT.parent / "shared" / "data" / "jfk" / "jfk.flac", media)
        subpipe.transcribe(media, options=subpipe.TranscribeOptions(model="tiny.en"), output=base / "jfk.json")
        subpipe.subtitles(base / "jfk.json", outputs=[base / "jfk.srt"])
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        srv = uvicorn.Server(uvicorn.Config(create_app(Session(base / "jfk.json", model="tiny.en")),
                                            log_level="warning", ws="none", lifespan="off"))
        threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True).start()
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or "chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--mute-audio", "--window-size=1280,860",
                    "--hide-scrollbars"):
            opts.add_argument(arg)
        drv = webdriver.Chrome(options=opts, service=Service(executable_path=shutil.which("chromedriver")))
        try:
            wait = WebDriverWait(drv, 60)
            for _ in range(100):
                try:
                    drv.get(f"http://127.0.0.1:{sock.getsockname()[1]}/")
                    break
                except Exception:  # noqa: BLE001 - the server is starting
                    continue
            wait.until(lambda d: d.find_elements(By.ID, "cue-1-text"))
            ActionChains(drv).key_down(Keys.ALT).send_keys("n").key_up(Keys.ALT).perform()
            wait.until(lambda d: d.find_element(By.ID, "status").text)
            wait.until(lambda d: d.execute_script(  # the waveform of cue 2 drawn
                "const c = document.getElementById('wave'); const px = c.getContext('2d')"
                ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
                "for (let i = 0; i < px.length; i += 4) if (px[i + 3] && px[i] < 100) n++; return n > 500;"))
            drv.save_screenshot(str(out))
        finally:
            drv.quit()
            srv.should_exit = True


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "review.png")
