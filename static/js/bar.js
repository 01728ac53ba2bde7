// The site's one player: a bar at the foot of every page that page changes
// never replace (see page.js). Play buttons anywhere feed it; it keeps a queue,
// draws the waveform from the peaks the server stored (click or drag to seek),
// counts gallery plays, answers space and the arrow keys, and remembers where it
// was across full page loads (a form post) in sessionStorage.
import { mmss } from "./time.js";
import { drawPeaks, fractionAt } from "./waveform.js";

const STORE = "musicweb.player";
const SEEK_SECONDS = 5;
const bar = document.querySelector("[data-playerbar]");
const audio = bar.querySelector("audio");
const $ = (selector) => bar.querySelector(selector);
let queue = [];
let index = -1;
let peaks = [];
const counted = new Set();

// Read a play button's data-* attributes into a queue item.
export function itemFrom(button) {
  const data = button.dataset;
  return {
    src: data.src,
    title: data.title,
    href: data.href || "",
    peaks: data.peaks || "",
    count: data.count || "",
    duration: Number(data.duration) || 0,
  };
}

async function peaksOf(item) {
  if (!item.peaks) return [];
  try {
    const response = await fetch(item.peaks, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return await response.json();
  } catch {
    return []; // the bar still plays; it draws no waveform
  }
}

function duration() {
  return audio.duration || current()?.duration || 0;
}

function drawWave() {
  drawPeaks($("[data-wave]"), peaks, duration() ? audio.currentTime / duration() : 0);
}

function current() {
  return queue[index] || null;
}

function save() {
  const state = { queue, index, time: audio.currentTime || 0, playing: !audio.paused };
  try {
    sessionStorage.setItem(STORE, JSON.stringify(state));
  } catch {
    // Private modes may refuse storage; the bar still works for this page.
  }
}

function renderQueue() {
  const list = $("[data-queue]");
  list.replaceChildren(
    ...queue.map((item, i) => {
      const row = document.createElement("li");
      if (i === index) row.setAttribute("aria-current", "true");
      const jump = document.createElement("button");
      jump.type = "button";
      jump.className = "link";
      jump.textContent = item.title;
      jump.addEventListener("click", () => playAt(i));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link muted";
      remove.textContent = "✕";
      remove.setAttribute("aria-label", `Remove ${item.title} from the queue`);
      remove.addEventListener("click", () => removeAt(i));
      row.append(jump, remove);
      return row;
    }),
  );
  $("[data-queue-count]").textContent = String(queue.length);
  $("[data-prev]").disabled = index <= 0;
  $("[data-next]").disabled = index >= queue.length - 1;
}

function renderTime() {
  $("[data-time]").textContent = mmss(audio.currentTime);
  $("[data-duration]").textContent = mmss(duration());
  const wave = $("[data-wave]");
  wave.setAttribute("aria-valuenow", String(Math.round(audio.currentTime)));
  wave.setAttribute("aria-valuemax", String(Math.round(duration())));
  wave.setAttribute("aria-valuetext", `${mmss(audio.currentTime)} of ${mmss(duration())}`);
  drawWave();
}

function renderPlaying() {
  const playing = !audio.paused;
  const toggle = $("[data-toggle]");
  toggle.textContent = playing ? "❚❚" : "▶";
  toggle.setAttribute("aria-label", playing ? "Pause" : "Play");
  bar.classList.toggle("playing", playing);
  const item = current();
  // Play buttons on the page show which one is sounding.
  for (const button of document.querySelectorAll("[data-play]")) {
    const on = Boolean(item) && playing && button.dataset.src === item.src;
    button.classList.toggle("on", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }
}

// Load the queue's item at i into the audio element and the waveform.
async function load(i, { autoplay = true, at = 0 } = {}) {
  index = i;
  const item = current();
  if (!item) return;
  bar.hidden = false;
  document.body.classList.add("has-playerbar");
  const link = $("[data-title]");
  link.textContent = item.title;
  link.href = item.href || "#";
  audio.setAttribute("aria-label", `Now playing: ${item.title}`);
  renderQueue();
  peaks = [];
  audio.src = item.src;
  renderTime();
  const loaded = await peaksOf(item);
  if (current() !== item) return; // another item was chosen while the peaks loaded
  peaks = loaded;
  if (at) audio.currentTime = at;
  renderTime();
  if (autoplay) await audio.play().catch(() => {});
  renderPlaying();
  save();
}

function playAt(i, options) {
  if (i < 0 || i >= queue.length) return;
  load(i, options);
}

function removeAt(i) {
  const wasCurrent = i === index;
  queue.splice(i, 1);
  if (i < index) index -= 1;
  if (wasCurrent) {
    if (queue.length) playAt(Math.min(i, queue.length - 1), { autoplay: !audio.paused });
    else {
      audio.pause();
      audio.removeAttribute("src");
      index = -1;
      bar.hidden = true;
      document.body.classList.remove("has-playerbar");
    }
  }
  renderQueue();
  save();
}

// Play an item now; the rest of the page's playable items queue up after it.
export function playNow(item, pageItems = [], at = 0) {
  const here = queue[index];
  if (here && here.src === item.src) {
    if (at) audio.currentTime = at;
    audio.paused ? audio.play().catch(() => {}) : at || audio.pause();
    return;
  }
  const after = pageItems.slice(pageItems.findIndex((other) => other.src === item.src) + 1);
  queue = [item, ...after.filter((other) => other.src !== item.src)];
  load(0, { at });
}

export function enqueue(item) {
  if (queue.some((other) => other.src === item.src)) return;
  queue.push(item);
  if (index < 0) load(queue.length - 1, { autoplay: false });
  renderQueue();
  save();
}

function toggle() {
  if (!current()) return;
  audio.paused ? audio.play().catch(() => {}) : audio.pause();
}

function seekBy(seconds) {
  if (!current() || !audio.duration) return;
  audio.currentTime = Math.min(audio.duration, Math.max(0, audio.currentTime + seconds));
}

// Count a gallery play once per item per visit; the server counts at most hourly.
async function countPlay() {
  const item = current();
  if (!item?.count || counted.has(item.src)) return;
  counted.add(item.src);
  try {
    const response = await fetch(item.count, { method: "POST", credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    document.dispatchEvent(new CustomEvent("player:counted", { detail: { url: item.count, plays: data.play_count } }));
  } catch {
    counted.delete(item.src);
  }
}

function typing(target) {
  return target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]");
}

function onKey(event) {
  if (!current() || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
  if (event.key === " ") {
    // Space on a focused button or link belongs to that control, except the bar's own.
    if (event.target.closest("button, a, summary") && !bar.contains(event.target)) return;
    toggle();
  } else if (event.key === "ArrowRight") {
    event.shiftKey ? playAt(index + 1) : seekBy(SEEK_SECONDS);
  } else if (event.key === "ArrowLeft") {
    event.shiftKey ? playAt(index - 1) : seekBy(-SEEK_SECONDS);
  } else return;
  event.preventDefault();
}

// Any [data-play] button on any page plays its item; [data-enqueue] adds it to the queue.
function onClick(event) {
  const add = event.target.closest("[data-enqueue]");
  if (add) {
    enqueue(itemFrom(add.parentElement.querySelector("[data-play]")));
    return;
  }
  const button = event.target.closest("[data-play]");
  if (!button) return;
  event.preventDefault();
  const seen = new Set();
  const pageItems = [...document.querySelectorAll("#page [data-play]")]
    .map(itemFrom)
    .filter((item) => !seen.has(item.src) && seen.add(item.src));
  playNow(itemFrom(button), pageItems, Number(button.dataset.at) || 0);
}

function restore() {
  let state = null;
  try {
    state = JSON.parse(sessionStorage.getItem(STORE) || "null");
  } catch {
    state = null;
  }
  if (!state || !Array.isArray(state.queue) || !state.queue[state.index]) return;
  queue = state.queue;
  load(state.index, { autoplay: state.playing, at: state.time });
}

// Click or drag on the waveform to move the play position there.
function setupSeeking() {
  const wave = $("[data-wave]");
  const seek = (event) => {
    if (duration()) audio.currentTime = fractionAt(wave, event) * duration();
    drawWave();
  };
  wave.addEventListener("pointerdown", (event) => {
    wave.setPointerCapture(event.pointerId);
    seek(event);
  });
  wave.addEventListener("pointermove", (event) => {
    if (wave.hasPointerCapture(event.pointerId)) seek(event);
  });
  window.addEventListener("resize", drawWave);
}

function setup() {
  setupSeeking();
  $("[data-toggle]").addEventListener("click", toggle);
  $("[data-prev]").addEventListener("click", () => playAt(index - 1));
  $("[data-next]").addEventListener("click", () => playAt(index + 1));
  $("[data-queue-toggle]").addEventListener("click", (event) => {
    const list = $("[data-queue]");
    list.hidden = !list.hidden;
    event.currentTarget.setAttribute("aria-expanded", String(!list.hidden));
  });
  audio.addEventListener("play", () => {
    renderPlaying();
    countPlay();
    save();
  });
  audio.addEventListener("pause", () => {
    renderPlaying();
    save();
  });
  audio.addEventListener("ended", () => {
    if (index < queue.length - 1) playAt(index + 1);
  });
  audio.addEventListener("timeupdate", renderTime);
  audio.addEventListener("loadedmetadata", renderTime);
  window.addEventListener("pagehide", save);
  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onKey);
  document.addEventListener("page:entered", renderPlaying);
  restore();
}

if (bar) setup();
