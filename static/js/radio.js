// Radio: play similar tracks one after another and fetch more before the queue runs dry.
// A track left in its first seconds is reported as skipped, so it is not offered again.
// With the site-wide player present (window.musicweb.player with enqueue(), sending
// "player:queue-low" and "player:skip" events on document), the tracks go to its queue;
// without it, this page's own <audio> plays them.
const LOW_WATER = 3;

const section = document.querySelector("[data-radio]");

function csrf() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    body: JSON.stringify(body || {}),
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
    credentials: "same-origin",
  });
  return response.ok ? response.json() : null;
}

function setup(root) {
  const api = root.dataset.api;
  const skipUrl = root.dataset.skipUrl;
  const skipSeconds = Number(root.dataset.skipSeconds || 30);
  const audio = root.querySelector("[data-radio-audio]");
  const list = root.querySelector("[data-radio-queue]");
  const now = root.querySelector("[data-radio-now]");
  const seen = new Set([...list.children].map((li) => li.dataset.uid));
  if (root.dataset.seedTrack) seen.add(root.dataset.seedTrack);
  const external = window.musicweb && window.musicweb.player;
  let current = -1;
  let fetching = null;

  const items = () => [...list.children];

  function addItem(pick) {
    const track = pick.track;
    if (seen.has(track.uid)) return null;
    seen.add(track.uid);
    const li = document.createElement("li");
    li.dataset.uid = track.uid;
    li.dataset.audio = track.urls.audio;
    li.dataset.playUrl = `/tracks/${track.uid}/play/`;
    const link = document.createElement("a");
    link.href = track.urls.page;
    link.textContent = track.title;
    const note = document.createElement("span");
    note.className = "muted";
    note.textContent = ` by ${track.author.name} · ${pick.reason.text}`;
    li.append(link, " ", note);
    list.append(li);
    return track;
  }

  async function more() {
    if (fetching) return fetching;
    const params = new URLSearchParams({ exclude: [...seen].join(","), limit: "10" });
    if (root.dataset.seedTrack) params.set("track", root.dataset.seedTrack);
    else params.set("style", root.dataset.seedStyle);
    fetching = fetch(`${api}?${params}`, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : { results: [] }))
      .then((data) => data.results.map(addItem).filter(Boolean))
      .finally(() => { fetching = null; });
    return fetching;
  }

  async function skip(uid, seconds) {
    if (skipUrl && uid && seconds < skipSeconds) await postJSON(skipUrl, { track: uid, seconds });
  }

  if (external) {
    // The site-wide player plays; the radio keeps its queue topped up.
    external.enqueue(items().map((li) => ({ uid: li.dataset.uid, audio: li.dataset.audio, title: li.querySelector("a").textContent })));
    document.addEventListener("player:queue-low", async () => {
      const added = await more();
      external.enqueue(added.map((t) => ({ uid: t.uid, audio: t.urls.audio, title: t.title })));
    });
    document.addEventListener("player:skip", (event) => skip(event.detail.uid, event.detail.seconds));
    return;
  }

  // Mark the track at index as playing (the page's first track is already loaded).
  function mark(index) {
    const all = items();
    const li = all[index];
    all.forEach((item) => item.removeAttribute("aria-current"));
    li.setAttribute("aria-current", "true");
    current = index;
    root.dataset.current = li.dataset.uid;
    now.textContent = `Now playing: ${li.querySelector("a").textContent}`;
    postJSON(li.dataset.playUrl);
    if (all.length - index <= LOW_WATER) more();
    return li;
  }

  async function play(index) {
    if (items().length - index <= LOW_WATER) await more();
    if (!items()[index]) {
      now.textContent = "Nothing more to play.";
      return;
    }
    audio.src = mark(index).dataset.audio;
    audio.play().catch(() => {});
  }

  audio.addEventListener("play", () => { if (current < 0 && items().length) mark(0); });
  audio.addEventListener("ended", () => play(current + 1));
  root.querySelector("[data-radio-next]").addEventListener("click", async () => {
    const li = items()[current];
    if (li) await skip(li.dataset.uid, audio.currentTime || 0);
    play(current + 1);
  });
}

if (section) setup(section);
