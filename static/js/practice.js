// Practice pages: the score follows the audio, slow practice keeps the pitch,
// a span of bars can loop, and a Web Audio metronome clicks (with a count-in).
// Without JavaScript the page still shows the score as an image and plays the audio.

const form = document.querySelector("[data-practice-form]");
form?.addEventListener("submit", () => {
  form.querySelector("[data-practice-busy]").hidden = false;
});

const root = document.querySelector("[data-practice]");
if (root) start(root);

async function start(root) {
  const audio = root.querySelector("[data-audio]");
  const status = root.querySelector("[data-practice-status]");
  let svgText;
  let data;
  try {
    [svgText, data] = await Promise.all([
      fetch(root.dataset.svg).then((r) => r.text()),
      fetch(root.dataset.timemap).then((r) => r.json()),
    ]);
  } catch {
    status.textContent = "The score cursor could not load; the audio still plays.";
    return;
  }
  // Inline the SVG so notes can be lit; its <style> elements are dropped (the site's
  // policy allows no inline styles) and site.css styles the score instead.
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  doc.querySelectorAll("style").forEach((s) => s.remove());
  const score = root.querySelector("[data-score]");
  score.replaceChildren(document.importNode(doc.documentElement, true));
  root.querySelector("[data-controls]").hidden = false;

  const beat = 60 / data.bpm;
  const bar = 4 * beat;
  const events = data.timemap
    .filter((e) => e.on && e.on.length)
    .map((e) => ({ t: e.tstamp / 1000, on: e.on }));
  const noteTime = new Map();
  events.forEach((e) => e.on.forEach((id) => noteTime.set(id, e.t)));

  let lit = [];
  let litIndex = -1;
  function light(time) {
    let lo = 0;
    let hi = events.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (events[mid].t <= time + 0.01) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found === litIndex) return;
    litIndex = found;
    lit.forEach((el) => el.classList.remove("playing"));
    lit = found < 0 ? [] : events[found].on.map((id) => score.querySelector(`[id="${id}"]`)).filter(Boolean);
    lit.forEach((el) => el.classList.add("playing"));
  }

  // Clicking a note plays from there.
  score.addEventListener("click", (event) => {
    const note = event.target.closest("g.note");
    if (note && noteTime.has(note.id)) {
      audio.currentTime = noteTime.get(note.id);
      light(audio.currentTime);
    }
  });

  const speed = root.querySelector("[data-speed]");
  speed.addEventListener("change", () => {
    audio.preservesPitch = true;
    audio.playbackRate = Number(speed.value);
  });

  const loop = root.querySelector("[data-loop]");
  const loopFrom = root.querySelector("[data-loop-from]");
  const loopTo = root.querySelector("[data-loop-to]");
  const span = () => {
    const a = Math.max(1, Math.min(Number(loopFrom.value) || 1, data.bars));
    const b = Math.max(a, Math.min(Number(loopTo.value) || data.bars, data.bars));
    return [(a - 1) * bar, b * bar];
  };

  let context = null;
  const clicker = () => (context ??= new AudioContext());
  function click(when, accent) {
    const ctx = clicker();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = accent ? 1760 : 1320;
    gain.gain.setValueAtTime(0.5, when);
    gain.gain.exponentialRampToValueAtTime(0.001, when + 0.05);
    osc.connect(gain).connect(ctx.destination);
    osc.start(when);
    osc.stop(when + 0.06);
  }

  const metronome = root.querySelector("[data-metronome]");
  let lastBeat = -1;
  function tick() {
    const time = audio.currentTime;
    if (loop.checked && !audio.paused) {
      const [a, b] = span();
      if (time >= b || time < a - 0.25) {
        audio.currentTime = a;
        lastBeat = -1;
      }
    }
    light(audio.currentTime);
    const n = Math.floor(audio.currentTime / beat + 0.02);
    if (metronome.checked && !audio.paused && n !== lastBeat) {
      click(clicker().currentTime, n % 4 === 0);
    }
    lastBeat = n;
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);

  root.querySelector("[data-count-in]").addEventListener("click", async () => {
    const ctx = clicker();
    await ctx.resume();
    audio.pause();
    if (loop.checked) audio.currentTime = span()[0];
    const gap = beat / audio.playbackRate;
    const t0 = ctx.currentTime + 0.1;
    for (let i = 0; i < 4; i++) click(t0 + i * gap, i === 0);
    status.textContent = "Count-in…";
    setTimeout(() => {
      status.textContent = "";
      audio.play();
    }, (0.1 + 4 * gap) * 1000);
  });
}
