// A training job's page: live state through the job socket, and the loss curve.
import { liveSocket } from "./live.js";

const root = document.querySelector("[data-job]");
const canvas = root.querySelector("[data-loss-curve]");
let losses = JSON.parse(document.getElementById("losses").textContent);

function drawCurve() {
  const ratio = window.devicePixelRatio || 1;
  const width = (canvas.width = canvas.clientWidth * ratio);
  const height = (canvas.height = canvas.clientHeight * ratio);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  if (losses.length < 2) return;
  const steps = losses.map((p) => p[0]);
  const values = losses.map((p) => p[1]);
  const [x0, x1] = [Math.min(...steps), Math.max(...steps)];
  const [y0, y1] = [Math.min(...values), Math.max(...values)];
  ctx.strokeStyle = "#f2a65a";
  ctx.lineWidth = 2 * ratio;
  ctx.beginPath();
  losses.forEach(([step, loss], i) => {
    const x = ((step - x0) / Math.max(x1 - x0, 1)) * (width - 20 * ratio) + 10 * ratio;
    const y = height - 10 * ratio - ((loss - y0) / Math.max(y1 - y0, 1e-9)) * (height - 20 * ratio);
    i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#a79fc2";
  ctx.font = `${12 * ratio}px system-ui`;
  ctx.fillText(`loss ${values[values.length - 1].toFixed(4)} at step ${steps[steps.length - 1]}`, 10 * ratio, 16 * ratio);
}

function render(state) {
  const percent = Math.round(100 * state.progress);
  root.querySelector("[data-status]").textContent = state.status;
  root.querySelector("[data-status]").className = `status-badge status-${state.status}`;
  root.querySelector("[data-stage]").textContent = state.stage;
  root.querySelector("[data-progress] span").style.width = `${percent}%`;
  root.querySelector("[data-progress]").setAttribute("aria-valuenow", percent);
  root.querySelector("[data-percent]").textContent = `${percent}%`;
  root.querySelector("[data-eta]").textContent = state.eta != null && state.status === "running" ? ` · about ${Math.round(state.eta)} s left` : "";
  root.querySelector("[data-error]").textContent = state.error || "";
  root.querySelector("[data-error]").hidden = !state.error;
  if (state.losses) {
    losses = state.losses;
    drawCurve();
  }
  if (["done", "failed", "cancelled"].includes(state.status)) {
    root.querySelector("[data-cancel-form]").hidden = true;
    setTimeout(() => window.location.reload(), 500);
  }
}

drawCurve();
window.addEventListener("resize", drawCurve);
if (!/status-(done|failed|cancelled)/.test(root.querySelector("[data-status]").className)) {
  liveSocket(root.dataset.socket, render, (up) => {
    root.querySelector("[data-live]").hidden = !up;
  });
}
root.querySelector("[data-cancel-form]").addEventListener("submit", async (event) => {
  event.preventDefault();
  await fetch(event.currentTarget.action, { method: "POST", body: new FormData(event.currentTarget) });
});
