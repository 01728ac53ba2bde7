// A page's own waveform for one track or clip: drawn from the stored peaks,
// showing the bar's progress while that item plays there, and a click on it
// plays the item in the bar from that point. The bar is the only audio element.
import { itemFrom, playNow } from "./bar.js";
import { pageSignal } from "./page.js";

function draw(canvas, peaks, fraction) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth * ratio;
  const height = canvas.clientHeight * ratio;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const bar = width / Math.max(peaks.length, 1);
  peaks.forEach((peak, i) => {
    const h = Math.max(1, peak * height * 0.95);
    ctx.fillStyle = i / peaks.length < fraction ? "#f2a65a" : "#5b4f86";
    ctx.fillRect(i * bar, (height - h) / 2, Math.max(1, bar - ratio * 0.5), h);
  });
}

export function setupPlayer(figure) {
  if (figure.dataset.ready) return;
  figure.dataset.ready = "1";
  const signal = pageSignal();
  const canvas = figure.querySelector("[data-waveform]");
  const button = figure.querySelector("[data-play]");
  const source = document.getElementById(figure.dataset.peaks);
  const peaks = source ? JSON.parse(source.textContent) : [];
  const audio = document.querySelector("[data-playerbar] audio");
  const src = new URL(button.dataset.src, window.location.href).href;
  const mine = () => audio && audio.src === src;
  const fraction = () => (mine() && audio.duration ? audio.currentTime / audio.duration : 0);
  const redraw = () => draw(canvas, peaks, fraction());
  canvas.addEventListener("click", (event) => {
    const rect = canvas.getBoundingClientRect();
    const at = ((event.clientX - rect.left) / rect.width) * (Number(button.dataset.duration) || 0);
    playNow(itemFrom(button), [], Math.max(at, 0.001));
  });
  for (const type of ["timeupdate", "seeked", "loadedmetadata", "emptied"]) {
    audio?.addEventListener(type, redraw, { signal });
  }
  window.addEventListener("resize", redraw, { signal });
  redraw();
}

function setupAll() {
  document.querySelectorAll("[data-player]").forEach(setupPlayer);
}

document.addEventListener("players:added", setupAll, { signal: pageSignal() });
setupAll();
