// A page's own waveform for one track or clip: drawn from the stored peaks,
// showing the bar's progress while that item plays there, and a click on it
// plays the item in the bar from that point. The bar is the only audio element.
import { itemFrom, playNow } from "./bar.js";
import { pageSignal } from "./page.js";
import { drawPeaks, fractionAt } from "./waveform.js";

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
  const redraw = () => drawPeaks(canvas, peaks, fraction());
  canvas.addEventListener("click", (event) => {
    const at = fractionAt(canvas, event) * (Number(button.dataset.duration) || 0);
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
