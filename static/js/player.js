// Draw each player's waveform from its peaks, show playback progress on it,
// and seek when the waveform is clicked or arrow keys are pressed on it.
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
  const canvas = figure.querySelector("[data-waveform]");
  const audio = figure.querySelector("audio");
  const source = document.getElementById(audio.dataset.peaks);
  const peaks = source ? JSON.parse(source.textContent) : [];
  const fraction = () => (audio.duration ? audio.currentTime / audio.duration : 0);
  const redraw = () => draw(canvas, peaks, fraction());
  canvas.tabIndex = 0;
  canvas.addEventListener("click", (event) => {
    if (!audio.duration) return;
    const rect = canvas.getBoundingClientRect();
    audio.currentTime = ((event.clientX - rect.left) / rect.width) * audio.duration;
  });
  canvas.addEventListener("keydown", (event) => {
    if (!audio.duration) return;
    if (event.key === "ArrowRight") audio.currentTime = Math.min(audio.duration, audio.currentTime + 5);
    else if (event.key === "ArrowLeft") audio.currentTime = Math.max(0, audio.currentTime - 5);
    else if (event.key === " ") audio.paused ? audio.play() : audio.pause();
    else return;
    event.preventDefault();
  });
  for (const type of ["timeupdate", "seeked", "loadedmetadata"]) audio.addEventListener(type, redraw);
  window.addEventListener("resize", redraw);
  redraw();
}

document.querySelectorAll("[data-player]").forEach(setupPlayer);
