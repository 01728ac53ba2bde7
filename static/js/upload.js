// Upload clips by drag and drop or the file picker, one request per file so
// each file has its own progress bar and its own error message.
import { mmss } from "./time.js";

const form = document.querySelector("[data-upload-form]");

function csrfToken() {
  return form.querySelector("input[name=csrfmiddlewaretoken]").value;
}

function row(file) {
  const item = document.createElement("li");
  item.className = "upload-item";
  const name = document.createElement("span");
  name.textContent = file.name;
  const status = document.createElement("span");
  status.className = "status";
  status.textContent = "waiting";
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Upload progress of ${file.name}`);
  item.append(name, status, bar);
  document.querySelector("[data-upload-list]").append(item);
  return { item, status, bar };
}

const AUDIO_EXTENSIONS = /\.(wav|wave|flac|ogg|oga|opus|mp3|aif|aiff)$/i;

function fail(view, reason) {
  view.item.classList.add("failed");
  view.status.className = "status error";
  view.status.textContent = reason;
  view.item.setAttribute("role", "alert");
}

function megabytes(bytes) {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

// The length as the browser reads it, or null where it cannot (the server decides then).
function duration(file) {
  return new Promise((resolve) => {
    const probe = document.createElement("audio");
    const url = URL.createObjectURL(file);
    const done = (value) => {
      clearTimeout(timer);
      URL.revokeObjectURL(url);
      probe.removeAttribute("src");
      resolve(value);
    };
    const timer = setTimeout(() => done(null), 5000);
    probe.preload = "metadata";
    probe.addEventListener("loadedmetadata", () => done(Number.isFinite(probe.duration) ? probe.duration : null));
    probe.addEventListener("error", () => done(null));
    probe.src = url;
  });
}

// Refuse in the page what the server would refuse anyway, before sending any byte.
async function refusal(file, quotaLeft) {
  const limits = form.dataset;
  if (!AUDIO_EXTENSIONS.test(file.name) && !file.type.startsWith("audio/")) {
    return "Not an audio file: upload WAV, FLAC, OGG, Opus or MP3.";
  }
  if (file.size === 0) return "The file is empty.";
  const maxBytes = Number(limits.maxMb) * 1048576;
  if (file.size > maxBytes) return `${megabytes(file.size)} is over the ${limits.maxMb} MB limit for one file.`;
  if (file.size > quotaLeft) return `${megabytes(file.size)} does not fit: ${megabytes(quotaLeft)} of your quota is left.`;
  const seconds = await duration(file);
  const maxSeconds = Number(limits.maxSeconds);
  if (seconds !== null && seconds > maxSeconds) {
    return `It lasts ${mmss(seconds)}, over the ${mmss(maxSeconds)} limit for one clip.`;
  }
  return null;
}

function send(file, view) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) {
        view.bar.value = Math.round((100 * event.loaded) / event.total);
        view.status.textContent = view.bar.value < 100 ? `${view.bar.value}%` : "analysing…";
      }
    };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { body = { error: `Server answered ${xhr.status}.` }; }
      if (xhr.status === 201 && body.ok) {
        view.bar.value = 100;
        view.status.className = "status ok";
        view.status.innerHTML = "";
        const link = document.createElement("a");
        link.href = body.url;
        link.textContent = "stored ✓ open";
        view.status.append(link);
        resolve(true);
      } else {
        fail(view, body.error || "Upload failed.");
        resolve(false);
      }
    };
    xhr.onerror = () => {
      fail(view, "Network error: the upload did not finish.");
      resolve(false);
    };
    const data = new FormData();
    data.append("files", file);
    xhr.send(data);
  });
}

async function uploadAll(files) {
  let stored = 0;
  let quotaLeft = Number(form.dataset.quotaLeft);
  for (const file of files) {
    const view = row(file);
    const reason = await refusal(file, quotaLeft);
    if (reason) {
      fail(view, reason);
      continue;
    }
    if (await send(file, view)) {
      stored += 1;
      quotaLeft -= file.size;
    }
  }
  if (stored) {
    // Refresh the list and the quota meter, keeping the per-file report visible.
    const page = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    const doc = new DOMParser().parseFromString(await page.text(), "text/html");
    const fresh = doc.querySelector("[data-upload-form]");
    if (fresh) form.dataset.quotaLeft = fresh.dataset.quotaLeft;
    for (const selector of ["#usage", ".meter", "[data-clip-list]", ".empty"]) {
      const fresh = doc.querySelector(selector);
      const current = document.querySelector(selector);
      if (fresh && current) current.replaceWith(fresh);
      else if (fresh && !current) document.querySelector(".toolbar").after(fresh);
      else if (!fresh && current) current.remove();
    }
  }
}

if (form) {
  const input = form.querySelector("input[type=file]");
  const zone = form.querySelector("[data-dropzone]");
  form.querySelector("[data-upload-submit]").hidden = true;
  input.addEventListener("change", () => {
    uploadAll([...input.files]);
    input.value = "";
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => { event.preventDefault(); zone.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, () => zone.classList.remove("over"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    uploadAll([...event.dataTransfer.files]);
  });
}
