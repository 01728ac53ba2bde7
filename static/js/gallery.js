import { liveSocket } from "./live.js";
import { pageSignal } from "./page.js";

// The gallery's small enhancements over plain forms: show play counts as the
// player bar counts them (once per listener per hour, on the server), and rate
// without reloading the page.
const csrfInput = document.querySelector("input[name=csrfmiddlewaretoken]");
const csrf = () => (csrfInput ? csrfInput.value : "");

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { Accept: "application/json", "X-CSRFToken": csrf() },
    credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `The server said ${response.status}.`);
  return data;
}

// Show fresh counts: from this page's own requests and, live, from everyone else's.
function showStats(stats) {
  const set = (selector, text) => {
    const node = document.querySelector(selector);
    if (node) node.textContent = text;
  };
  if ("average" in stats) {
    set("[data-rating-average]", stats.average === null ? "No ratings yet" : `${stats.average.toFixed(2)} of 5`);
    set("[data-rating-count]", stats.count);
    set("[data-rating-plural]", stats.count === 1 ? "" : "s");
  }
  if ("plays" in stats) {
    set("[data-play-count]", stats.plays);
    set("[data-play-plural]", stats.plays === 1 ? "" : "s");
  }
}

function setupLiveStats() {
  const holder = document.querySelector("[data-track-socket]");
  if (holder && "WebSocket" in window) liveSocket(holder.dataset.trackSocket, showStats);
}

// The player bar counts a play when a track starts; show the new count here.
function setupPlays() {
  document.addEventListener(
    "player:counted",
    (event) => {
      const holder = document.querySelector("[data-play-url]");
      if (holder && holder.dataset.playUrl === event.detail.url) showStats({ plays: event.detail.plays });
    },
    { signal: pageSignal() },
  );
}

function setupRating() {
  const form = document.querySelector("[data-rating-form]");
  if (!form) return;
  const error = document.querySelector("[data-rating-error]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(form);
    const button = event.submitter;
    if (button && button.name) body.set(button.name, button.value);
    try {
      const state = await post(form.action, body);
      error.hidden = true;
      showStats(state);
      document.querySelector("[data-rating-mine]").textContent = state.mine ? `: ${state.mine} of 5` : "";
      form.querySelectorAll("button.star").forEach((star) => {
        star.classList.toggle("on", state.mine !== null && Number(star.value) <= state.mine);
      });
      form.querySelector("[data-rating-remove]").hidden = state.mine === null;
    } catch (exc) {
      error.textContent = exc.message;
      error.hidden = false;
    }
  });
}

// Copy a share link or embed code: the clipboard where the browser allows it, else the
// field is selected for the visitor to copy.
function setupCopy() {
  const note = document.querySelector("[data-copied]");
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(field.value);
        note.textContent = `${button.textContent.replace("Copy ", "")} copied.`.replace(/^./, (c) => c.toUpperCase());
      } catch {
        field.select();
        note.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
      }
    });
  }
}

// Filters apply as they change (the page swaps in place and the address keeps them);
// typing waits for a pause. The Apply button stays for pages without JavaScript.
function setupFilters() {
  const form = document.querySelector("form[data-filters]");
  if (!form) return;
  let timer = null;
  form.addEventListener("change", (event) => {
    if (event.target.matches("select")) form.requestSubmit();
  });
  form.addEventListener("input", (event) => {
    if (!event.target.matches("input")) return;
    clearTimeout(timer);
    timer = setTimeout(() => form.requestSubmit(), 400);
  });
  pageSignal().addEventListener("abort", () => clearTimeout(timer));
}

setupPlays();
setupCopy();
setupFilters();
setupRating();
setupLiveStats();
