// Show only the controls the chosen mode uses, and offer only the model
// versions that serve it.
import { mmss } from "./time.js";

const form = document.querySelector("[data-generate-form]");
const versions = JSON.parse(document.getElementById("mode-versions").textContent);
const field = (name) => form.querySelector(`[data-field="${name}"]`);
const modelSelect = form.querySelector("select[name=model_version]");
const allOptions = [...modelSelect.options].map((option) => option.cloneNode(true));

function update() {
  const chosen = form.querySelector("input[name=mode]:checked");
  if (!chosen) return;
  const clips = Number(chosen.dataset.clips);
  field("clip").hidden = clips < 1;
  field("clip2").hidden = clips < 2;
  field("strength").hidden = !chosen.dataset.strength;
  if (chosen.dataset.strength) {
    field("strength").querySelector(".helptext").textContent = chosen.dataset.strength;
  }
  field("steps").hidden = chosen.dataset.arch !== "unet";
  const allowed = new Set((versions[chosen.value] || []).map((v) => String(v.id)));
  const current = modelSelect.value;
  modelSelect.replaceChildren(...allOptions.filter((o) => o.value === "" || allowed.has(o.value)).map((o) => o.cloneNode(true)));
  modelSelect.value = allowed.has(current) ? current : "";
}

// Say the chosen mode's length limit before submitting, and refuse a length it cannot
// make in the page, with the reason under the field, before any job is queued.
const seconds = form.querySelector("input[name=seconds]");
const secondsHelp = field("seconds").querySelector(".helptext");
const secondsError = document.createElement("p");
secondsError.className = "errorlist";
secondsError.setAttribute("role", "alert");
secondsError.hidden = true;
seconds.after(secondsError);

function lengthLimit() {
  const chosen = form.querySelector("input[name=mode]:checked");
  return chosen ? { label: chosen.parentElement.querySelector("strong").textContent, max: Number(chosen.dataset.maxSeconds) } : null;
}

function showLimit() {
  const limit = lengthLimit();
  if (!limit) return;
  seconds.max = String(limit.max);
  if (secondsHelp) secondsHelp.textContent = `Length of the result: from 0:01 up to ${mmss(limit.max)} (${limit.max} s) for ${limit.label}.`;
}

function lengthProblem() {
  const limit = lengthLimit();
  const value = Number(seconds.value);
  if (!limit || seconds.value === "") return "";
  if (!Number.isFinite(value) || value < 1) return "A result lasts at least 1 second.";
  if (value > limit.max) return `${limit.label} makes at most ${mmss(limit.max)} (${limit.max} s): choose a shorter length.`;
  return "";
}

function checkLength() {
  const problem = lengthProblem();
  secondsError.textContent = problem;
  secondsError.hidden = !problem;
  seconds.setAttribute("aria-invalid", problem ? "true" : "false");
  return !problem;
}

form.addEventListener("change", (event) => {
  if (event.target.name === "mode") {
    update();
    showLimit();
    if (seconds.value) checkLength();
  }
});
seconds.addEventListener("input", checkLength);
form.addEventListener("submit", (event) => {
  if (checkLength()) return;
  event.preventDefault();
  seconds.focus();
});
form.querySelector("[data-new-seed]").addEventListener("click", () => {
  // The field's max is the recipe's MAX_SEED, rendered by the form.
  const seed = form.querySelector("input[name=seed]");
  seed.value = Math.floor(Math.random() * (Number(seed.max) + 1));
});
update();
showLimit();
