// The gallery's small enhancements over plain forms: count a play when a player
// starts (once per listener per hour, on the server), play one track at a time,
// and rate without reloading the page.
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

function setupPlays() {
  const players = [...document.querySelectorAll("audio")];
  for (const audio of players) {
    const holder = audio.dataset.playUrl ? audio : audio.closest("[data-play-url]");
    if (!holder) continue;
    let sent = false;
    audio.addEventListener("play", () => {
      for (const other of players) if (other !== audio && !other.paused) other.pause();
      if (sent) return;
      sent = true;
      post(holder.dataset.playUrl)
        .then((data) => {
          const count = document.querySelector("[data-play-count]");
          if (count && holder === audio.closest("[data-play-url]")) count.textContent = data.play_count;
        })
        .catch(() => { sent = false; });
    });
  }
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
      document.querySelector("[data-rating-average]").textContent =
        state.average === null ? "No ratings yet" : `${state.average.toFixed(2)} of 5`;
      document.querySelector("[data-rating-count]").textContent = state.count;
      document.querySelector("[data-rating-plural]").textContent = state.count === 1 ? "" : "s";
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

setupPlays();
setupRating();
