// Keep a job's page live: status, stage, progress, ETA and queue position over
// a WebSocket; when the job is done, bring in the player without a reload.
import { liveSocket } from "./live.js";

const root = document.querySelector("[data-job]");
const $ = (selector) => root.querySelector(selector);
const labels = { queued: "Queued", running: "Running", done: "Done", failed: "Failed", cancelled: "Cancelled" };
let shown = 0;
let socket = null;

function render(state) {
  const percent = Math.round(100 * Math.max(shown, state.progress));
  shown = Math.max(shown, state.progress);
  const badge = $("[data-status]");
  badge.textContent = labels[state.status] || state.status;
  badge.className = `status-badge status-${state.status}`;
  $("[data-stage]").textContent = state.stage ? state.stage[0].toUpperCase() + state.stage.slice(1) : "";
  const bar = $("[data-progress]");
  bar.setAttribute("aria-valuenow", percent);
  bar.querySelector("span").style.width = `${percent}%`;
  $("[data-percent]").textContent = `${percent}%`;
  $("[data-queue]").textContent = state.queue_position ? ` · number ${state.queue_position} in the queue` : "";
  $("[data-eta]").textContent = state.eta != null && state.status === "running" ? ` · about ${Math.round(state.eta)} s left` : "";
  const error = $("[data-error]");
  error.textContent = state.error || "";
  error.hidden = !state.error;
  const finished = ["done", "failed", "cancelled"].includes(state.status);
  $("[data-cancel-form]").hidden = finished;
  if (finished) {
    socket?.close();
    $("[data-live]").hidden = true;
    refreshFinished();
  }
}

async function refreshFinished() {
  // The final state decides which actions and results show: take them from the page itself.
  const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const selector of ["[data-result]", "[data-actions]"]) {
    const fresh = doc.querySelector(selector);
    if (fresh) $(selector).replaceWith(fresh);
  }
  document.dispatchEvent(new CustomEvent("players:added"));
}

if (root) {
  const status = $("[data-status]").className;
  const finished = /status-(done|failed|cancelled)/.test(status);
  if (!finished && "WebSocket" in window) {
    socket = liveSocket(root.dataset.socket, render, (up) => {
      $("[data-live]").hidden = !up;
    });
  }
  $("[data-cancel-form]").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    form.querySelector("button").disabled = true;
    await fetch(form.action, { method: "POST", body: new FormData(form) });
  });
}
