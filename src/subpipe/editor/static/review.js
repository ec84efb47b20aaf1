// subpipe review: the page keeps a list of edits; the server applies them (POST /api/preview) and answers the
// cues as they would be, with the profile's violations; Save sends the same list with the hash of the file as
// it was loaded (a stale page is refused). Undo/redo move edits between two stacks.
"use strict";
const player = document.getElementById("player");
const cuesEl = document.getElementById("cues");
const statusEl = document.getElementById("status");
const alertEl = document.getElementById("alert");
const pendingEl = document.getElementById("pending");
const wave = document.getElementById("wave");
let base = null;     // the state the server loaded (sha256, cues, fps, threshold)
let view = null;     // the cues after the edits
let edits = [];
let redone = [];
let current = 1;     // the cue being worked on
let seq = 0;
let queue = Promise.resolve();
const peaksCache = new Map();

function fmt(ms) {
  ms = Math.max(0, Math.round(ms));
  const h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, s = Math.floor(ms / 1000) % 60;
  const pad = (v, n) => String(v).padStart(n, "0");
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(ms % 1000, 3)}`;
}
function parseTime(text) {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(parseFloat(t) * 1000);
  const m = /^(?:(\d+):)?(\d+):(\d+(?:[.,]\d+)?)$/.exec(t);
  if (!m) return null;
  return Math.round(((+(m[1] || 0)) * 3600 + (+m[2]) * 60 + parseFloat(m[3].replace(",", "."))) * 1000);
}
function say(msg) { alertEl.textContent = ""; statusEl.textContent = msg; }
function warn(msg) { statusEl.textContent = ""; alertEl.textContent = msg; }
function cue(n) { return view && view.cues[n - 1]; }
function setCurrent(n) {
  const changed = n !== current;
  current = n;
  if (changed && view) { markPlaying(); drawWave(); }
}
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

async function post(url, body) {
  const res = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                body: JSON.stringify(body)});
  let data = null;
  try { data = await res.json(); } catch (e) { data = {error: res.statusText}; }
  return {ok: res.ok, status: res.status, data};
}

async function load() {
  const res = await fetch("/api/state");
  base = await res.json();
  view = base; edits = []; redone = [];
  document.getElementById("threshold").textContent = base.threshold;
  const dl = document.getElementById("speakers");
  dl.replaceChildren(...base.speakers.map((s) => el("option", {value: s})));
  render();
}

function refresh(focus) {
  const mine = ++seq;
  const list = edits.slice();
  queue = queue.then(async () => {
    const r = await post("/api/preview", {sha256: base.sha256, edits: list});
    if (mine !== seq) return;
    if (!r.ok) {  // an edit the server refused: take it back, say why
      edits.pop();
      warn(r.data.error || "edit refused");
      return;
    }
    view = r.data;
    if (r.data.notes && r.data.notes.length) say(r.data.notes.join("; "));
    render(focus);
  });
  return queue;
}

function push(edit, focus) {
  edits.push(edit);
  redone = [];
  return refresh(focus);
}

// ---------------------------------------------------------------- rendering
function render(focus) {
  const active = document.activeElement;
  const keep = focus || (active && active.id && cuesEl.contains(active) ? {id: active.id} : null);
  if (keep && keep.id && keep.start === undefined && active && active.id === keep.id && "selectionStart" in active) {
    keep.start = active.selectionStart; keep.end = active.selectionEnd;
  }
  const items = view.cues.map(renderCue);
  cuesEl.replaceChildren(...items);
  current = Math.min(Math.max(current, 1), view.cues.length || 1);
  pendingEl.textContent = edits.length ? `${edits.length} unsaved edit${edits.length > 1 ? "s" : ""}` : "";
  document.getElementById("undo").disabled = !edits.length;
  document.getElementById("redo").disabled = !redone.length;
  markPlaying();
  if (keep && keep.id) {
    const f = document.getElementById(keep.id);
    if (f) {
      f.focus();
      if (keep.start !== undefined && "setSelectionRange" in f) f.setSelectionRange(keep.start, keep.end);
    }
  }
  drawWave();
}

function renderCue(c) {
  const n = c.n;
  const li = el("li", {class: "cue", id: `cue-${n}`, "data-n": n, "aria-labelledby": `cue-${n}-h`});
  const head = el("div", {class: "cue-head"});
  const seek = el("button", {type: "button", class: "seek", id: `cue-${n}-h`, "aria-label": `Cue ${n}: play from its in`},
                  `Cue ${n}`);
  seek.addEventListener("click", () => { setCurrent(n); seekTo(c.in_ms, true); });
  head.append(seek);
  for (const [key, label] of [["in", "In"], ["out", "Out"]]) {
    const lab = el("label", {}, `${label} `);
    const inp = el("input", {id: `cue-${n}-${key}`, class: "time", "aria-label": `Cue ${n} ${key}`,
                             autocomplete: "off", spellcheck: "false"});
    inp.value = fmt(key === "in" ? c.in_ms : c.out_ms);
    inp.dataset.n = n; inp.dataset.field = key;
    lab.append(inp);
    head.append(lab);
  }
  const lab = el("label", {}, "Speaker ");
  const spk = el("input", {id: `cue-${n}-speaker`, class: "speaker", list: "speakers", "aria-label": `Cue ${n} speaker`,
                           autocomplete: "off"});
  spk.value = c.speaker; spk.dataset.n = n; spk.dataset.field = "speaker";
  lab.append(spk);
  head.append(lab);
  li.append(head);
  const text = el("input", {id: `cue-${n}-text`, class: "text", "aria-label": `Cue ${n} text`, autocomplete: "off"});
  text.value = c.text; text.dataset.n = n; text.dataset.field = "text";
  li.append(text);
  const words = el("div", {class: "words", "aria-hidden": "true"});
  c.words.forEach((w, k) => {
    const b = el("button", {type: "button", class: "word" + (w.low ? " low" : ""), tabindex: "-1",
                            title: `${fmt(w.start_ms)}, probability ${w.p}`}, w.text);
    b.dataset.k = k;
    b.addEventListener("click", () => { setCurrent(n); seekTo(w.start_ms, false); });
    words.append(b);
  });
  li.append(words);
  const low = c.words.filter((w) => w.low).length;
  if (low) li.append(el("p", {class: "sr-only"}, `${low} marked word${low > 1 ? "s" : ""}: ` +
                                               c.words.filter((w) => w.low).map((w) => w.text).join(", ")));
  if (c.violations.length) {
    const ul = el("ul", {class: "violations", "aria-label": `Cue ${n} profile violations`});
    for (const v of c.violations) ul.append(el("li", {}, `${v.severity}: ${v.message}`));
    li.append(ul);
  }
  const ops = el("div", {class: "ops"});
  const split = el("button", {type: "button", "aria-keyshortcuts": "Alt+S"}, `Split cue ${n}`);
  split.addEventListener("click", () => { setCurrent(n); splitCue(n); });
  const merge = el("button", {type: "button", "aria-keyshortcuts": "Alt+M"}, `Merge cue ${n} with the next`);
  merge.addEventListener("click", () => { setCurrent(n); mergeCue(n); });
  if (n === view.cues.length) merge.disabled = true;
  ops.append(split, merge);
  li.append(ops);
  li.addEventListener("focusin", () => setCurrent(n));
  return li;
}

// ---------------------------------------------------------------- committing a field
function commit(inp) {
  if (!inp || !inp.dataset || !inp.dataset.field || !view) return false;
  const n = +inp.dataset.n, c = cue(n), f = inp.dataset.field;
  if (!c) return false;
  const focus = {id: inp.id};
  if (f === "text") {
    const t = inp.value.trim().split(/\s+/).filter(Boolean).join(" ");
    if (t === c.text) return false;
    if (!t) { warn(`Cue ${n} needs words: merge it with its neighbour instead (Escape brings the text back)`); return false; }
    push({op: "text", cue: n, text: t}, focus);
  } else if (f === "in" || f === "out") {
    const ms = parseTime(inp.value);
    if (ms === null) { warn(`Cue ${n} ${f}: write a time as hh:mm:ss.mmm or seconds`); return false; }
    if (ms === (f === "in" ? c.in_ms : c.out_ms)) return false;
    push({op: f, cue: n, ms}, focus);
  } else if (f === "speaker") {
    if (inp.value.trim() === c.speaker) return false;
    push({op: "speaker", cue: n, speaker: inp.value.trim()}, focus);
  }
  return true;
}
cuesEl.addEventListener("change", (e) => commit(e.target));
cuesEl.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && e.target.dataset && e.target.dataset.field) { e.preventDefault(); commit(e.target); }
  if (e.key === "Escape" && e.target.dataset && e.target.dataset.field) {  // back to what it was
    const c = cue(+e.target.dataset.n), f = e.target.dataset.field;
    e.target.value = f === "text" ? c.text : f === "speaker" ? c.speaker : fmt(f === "in" ? c.in_ms : c.out_ms);
  }
});

// ---------------------------------------------------------------- actions
function seekTo(ms, play) {
  if (!player) return;
  player.currentTime = ms / 1000;
  if (play) player.play().catch(() => {});
}
function playhead() { return player ? Math.round(player.currentTime * 1000) : 0; }
function frameStep(ms, d) {
  const fps = base.fps || 25;
  return Math.max(0, Math.round((Math.round(ms * fps / 1000) + d) * 1000 / fps));
}
function setTime(field, ms) {
  commit(document.activeElement);
  push({op: field, cue: current, ms}, {id: `cue-${current}-${field}`});
}
function splitCue(n) {
  const c = cue(n);
  const inp = document.getElementById(`cue-${n}-text`);
  let k = null;
  if (document.activeElement === inp) {
    k = inp.value.slice(0, inp.selectionStart).trim().split(/\s+/).filter(Boolean).length;
    commit(inp);
  } else if (player) {
    const t = playhead();
    k = c.words.findIndex((w) => w.start_ms >= t);
  }
  if (!(k >= 1 && k < c.words.length)) { warn(`Cue ${n}: put the text cursor (or the playhead) inside the cue to split it`); return; }
  push({op: "split", cue: n, word: k}, {id: `cue-${n + 1}-text`});
  current = n + 1;
}
function mergeCue(n) {
  if (n >= view.cues.length) { warn(`Cue ${n} is the last cue`); return; }
  commit(document.activeElement);
  push({op: "merge", cue: n}, {id: `cue-${n}-text`});
}
function go(d) {
  commit(document.activeElement);
  setCurrent(Math.min(Math.max(current + d, 1), view.cues.length));
  const c = cue(current);
  document.getElementById(`cue-${current}-text`).focus();
  seekTo(c.in_ms, false);
}
function nextLow() {
  // the next marked word after the text cursor (or from the current cue on)
  const inp = document.activeElement;
  let from = {n: current, k: -1};
  if (inp && inp.dataset && inp.dataset.field === "text") {
    from = {n: +inp.dataset.n, k: inp.value.slice(0, inp.selectionEnd).trim().split(/\s+/).filter(Boolean).length - 1};
    commit(inp);
  }
  const total = view.cues.length;
  for (let step = 0; step <= total; step++) {
    const n = ((from.n - 1 + step) % total) + 1;
    const c = cue(n);
    const k = c.words.findIndex((w, i) => w.low && (step > 0 || i > from.k));
    if (k < 0) continue;
    setCurrent(n);
    const field = document.getElementById(`cue-${n}-text`);
    field.focus();
    const before = c.words.slice(0, k).map((w) => w.text).join(" ");
    const start = k ? before.length + 1 : 0;
    field.setSelectionRange(start, start + c.words[k].text.length);
    seekTo(c.words[k].start_ms, false);
    say(`Cue ${n}: "${c.words[k].text}" (probability ${c.words[k].p})`);
    return;
  }
  say("No marked words");
}
function undo() { if (!edits.length) return; redone.push(edits.pop()); refresh(); }
function redo() { if (!redone.length) return; edits.push(redone.pop()); refresh(); }

async function save() {
  commit(document.activeElement);
  await queue;
  say("Saving…");
  const r = await post("/api/save", {sha256: base.sha256, edits});
  if (!r.ok) {
    warn((r.data.error || "not saved") + (r.data.hint ? ` (${r.data.hint})` : ""));
    return;
  }
  const focusId = document.activeElement && document.activeElement.id;
  base = r.data; view = r.data; edits = []; redone = []; peaksCache.clear();
  render(focusId ? {id: focusId} : null);
  let msg = r.data.message;
  if (r.data.notes && r.data.notes.length) msg += ". Notes: " + r.data.notes.join("; ");
  say(msg);
}
document.getElementById("save").addEventListener("click", save);
document.getElementById("undo").addEventListener("click", undo);
document.getElementById("redo").addEventListener("click", redo);

document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && !e.altKey && e.code === "KeyS") { e.preventDefault(); save(); return; }
  if (!e.altKey || e.ctrlKey || e.metaKey || !view) return;
  const c = cue(current);
  const acts = {
    KeyK: () => { if (player) { if (player.paused) player.play().catch(() => {}); else player.pause(); } },
    ArrowUp: () => go(-1), ArrowDown: () => go(1), KeyN: nextLow,
    KeyI: () => setTime("in", playhead()), KeyO: () => setTime("out", playhead()),
    Digit1: () => setTime("in", frameStep(c.in_ms, -1)), Digit2: () => setTime("in", frameStep(c.in_ms, 1)),
    Digit3: () => setTime("out", frameStep(c.out_ms, -1)), Digit4: () => setTime("out", frameStep(c.out_ms, 1)),
    KeyS: () => splitCue(current), KeyM: () => mergeCue(current),
    KeyE: () => document.getElementById(`cue-${current}-speaker`).focus(),
    KeyZ: undo, KeyY: redo,
  };
  const act = acts[e.code];
  if (act) { e.preventDefault(); act(); }
});

// ---------------------------------------------------------------- playback follows, waveform
function markPlaying() {
  for (const li of cuesEl.children) {
    const on = +li.dataset.n === current;
    li.classList.toggle("playing", on);
    if (on) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
  }
}
if (player) {
  player.addEventListener("timeupdate", () => {
    if (!view) return;
    const t = playhead();
    const editing = cuesEl.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
    const c = view.cues.find((x) => x.in_ms <= t && t < x.out_ms);
    if (c && c.n !== current && !editing) {
      setCurrent(c.n);
      document.getElementById(`cue-${c.n}`).scrollIntoView({block: "nearest"});
    }
    const li = document.getElementById(`cue-${current}`);
    if (li) {
      li.querySelectorAll(".word").forEach((b, k) => {
        const w = cue(current).words[k];
        b.classList.toggle("now", w.start_ms <= t && t < w.end_ms);
      });
    }
    drawWave();
  });
}

async function drawWave() {
  const c = cue(current);
  if (!c || !wave || !player) return;
  const start = Math.max(0, c.in_ms - 1000), end = c.out_ms + 1000;
  const key = `${start}-${end}`;
  let peaks = peaksCache.get(key);
  if (!peaks) {
    peaksCache.set(key, []);
    const r = await fetch(`/api/peaks?start=${start}&end=${end}&bins=${wave.width}`);
    peaksCache.set(key, (await r.json()).peaks);
    return drawWave();  // the cue now current (it may have changed while the peaks came)
  }
  if (!peaks.length) return;
  const g = wave.getContext("2d"), W = wave.width, H = wave.height;
  const x = (ms) => (ms - start) / (end - start) * W;
  g.clearRect(0, 0, W, H);
  g.fillStyle = "#dce6fa";
  g.fillRect(x(c.in_ms), 0, x(c.out_ms) - x(c.in_ms), H);
  const top = Math.max(...peaks, 0.01);
  g.fillStyle = "#3b4a63";
  peaks.forEach((p, i) => { const h = Math.max(1, p / top * (H - 4)); g.fillRect(i * W / peaks.length, (H - h) / 2, Math.max(1, W / peaks.length), h); });
  g.fillStyle = "#b45309";
  for (const w of c.words) if (w.low) g.fillRect(x(w.start_ms), H - 5, Math.max(2, x(w.end_ms) - x(w.start_ms)), 5);
  g.fillStyle = "#174ea6";
  g.fillRect(x(c.in_ms) - 1, 0, 2, H);
  g.fillRect(x(c.out_ms) - 1, 0, 2, H);
  g.fillStyle = "#c00";
  g.fillRect(x(playhead()) - 1, 0, 2, H);
  wave.setAttribute("aria-label", `Waveform of cue ${c.n}, ${fmt(c.in_ms)} to ${fmt(c.out_ms)}`);
}

load();
