// Clicking a result plays its media from the quote's in-point with the WebVTT track showing.
(function () {
  "use strict";
  const video = document.getElementById("player");
  const status = document.getElementById("status");

  function say(text) { status.textContent = text; }

  function play(hit) {
    const src = hit.dataset.src;
    if (!src) { say("This media file is not under the media root."); return; }
    const at = parseFloat(hit.dataset.in);
    document.querySelectorAll(".hit.active").forEach((el) => el.classList.remove("active"));
    hit.classList.add("active");
    const go = () => {
      video.currentTime = at;
      const p = video.play();
      if (p) { p.catch(() => say("Press play to start.")); }
    };
    if (video.dataset.src !== src) {
      video.dataset.src = src;
      video.querySelectorAll("track").forEach((t) => t.remove());
      const track = document.createElement("track");
      track.kind = "subtitles";
      track.label = "Subtitles";
      track.srclang = hit.dataset.lang || "und";
      track.src = hit.dataset.vtt;
      track.default = true;
      video.appendChild(track);
      video.addEventListener("loadedmetadata", () => {
        for (const t of video.textTracks) { t.mode = "showing"; }
        go();
      }, { once: true });
      video.src = src;
      video.load();
    } else {
      go();
    }
  }

  function copy(text, button) {
    const done = () => { button.textContent = "Copied"; button.dataset.copied = text; say("Copied: " + text); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, () => fallback(text) && done());
    } else if (fallback(text)) {
      done();
    }
  }

  function fallback(text) {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok || true;  // the text is selected for the user even when the browser refuses
  }

  document.querySelectorAll(".hit").forEach((hit) => {
    hit.addEventListener("click", (ev) => {
      const button = ev.target.closest("button.copy");
      if (button) { copy(hit.dataset.copy, button); return; }
      play(hit);
    });
    hit.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { play(hit); } });
  });
})();
