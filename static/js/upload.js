// Upload clips by drag and drop or the file picker, one request per file so
// each file has its own progress bar and its own error message.
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

function send(file) {
  const view = row(file);
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
        view.status.className = "status error";
        view.status.textContent = body.error || "Upload failed.";
        view.item.setAttribute("role", "alert");
        resolve(false);
      }
    };
    xhr.onerror = () => {
      view.status.className = "status error";
      view.status.textContent = "Network error: the upload did not finish.";
      resolve(false);
    };
    const data = new FormData();
    data.append("files", file);
    xhr.send(data);
  });
}

async function uploadAll(files) {
  let stored = 0;
  for (const file of files) {
    if (await send(file)) stored += 1;
  }
  if (stored) {
    // Refresh the list and the quota meter, keeping the per-file report visible.
    const page = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    const doc = new DOMParser().parseFromString(await page.text(), "text/html");
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
