// Draw a waveform from the peaks the server stored (0..1, 600 points), the part
// already played in the accent colour. Used by the player bar and by the big
// waveform on track and clip pages; a canvas needs no inline style, which the
// site's Content-Security-Policy forbids.
export function drawPeaks(canvas, peaks, fraction) {
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

// The fraction of the canvas's width where a pointer event happened, 0..1.
export function fractionAt(canvas, event) {
  const rect = canvas.getBoundingClientRect();
  return Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
}
