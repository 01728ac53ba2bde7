// Show only the controls the chosen mode uses, and offer only the model
// versions that serve it.
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

form.addEventListener("change", (event) => {
  if (event.target.name === "mode") update();
});
form.querySelector("[data-new-seed]").addEventListener("click", () => {
  // The field's max is the recipe's MAX_SEED, rendered by the form.
  const seed = form.querySelector("input[name=seed]");
  seed.value = Math.floor(Math.random() * (Number(seed.max) + 1));
});
update();
