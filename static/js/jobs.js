// Update the rows of the My jobs table as their jobs progress.
import { liveSocket } from "./live.js";

const table = document.querySelector("[data-job-list]");
const labels = { queued: "Queued", running: "Running", done: "Done", failed: "Failed", cancelled: "Cancelled" };

if (table && "WebSocket" in window) {
  liveSocket("/ws/jobs/", (state) => {
    const row = table.querySelector(`[data-job-row="${state.id}"]`);
    if (!row) return;
    const badge = row.querySelector("[data-status]");
    badge.textContent = labels[state.status] || state.status;
    badge.className = `status-badge status-${state.status}`;
    const bar = row.querySelector("[data-progress]");
    bar.value = Math.max(bar.value, Math.round(100 * state.progress));
    row.querySelector("[data-stage]").textContent = state.stage;
  });
}
