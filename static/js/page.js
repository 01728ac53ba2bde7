// Page-to-page navigation that never tears down the player bar: htmx swaps
// #page (header, main, footer) for links, and the bar beside it keeps playing.
// Page modules run again on each visit, and what they opened is closed on leaving.

let leaving = new AbortController();
let visit = 0;
const seen = new Set();

// An AbortSignal that fires when the visitor leaves the current page: pass it to
// addEventListener (or check it) so a page's listeners and sockets end with it.
export function pageSignal() {
  return leaving.signal;
}

function leave() {
  leaving.abort();
  leaving = new AbortController();
}

// A module already imported would not run again when htmx inserts its script
// tag anew; import it under a fresh fragment, which makes a new module
// instance without fetching it again.
function rerunModules(root) {
  visit += 1;
  for (const script of root.querySelectorAll("script[type=module][src]")) {
    if (seen.has(script.src)) import(`${script.src}#visit-${visit}`);
    else seen.add(script.src);
  }
}

// Called for each element htmx settles; run the new page's modules once.
function entered(force = false) {
  const page = document.getElementById("page");
  if (!page || (page.dataset.entered && !force)) return;
  page.dataset.entered = "1";
  rerunModules(page);
  document.dispatchEvent(new CustomEvent("page:entered"));
}

// Only links to this site's pages, and filter forms ([data-filters], GET), are swapped in
// place: other forms, downloads, media, the admin and the API load as whole documents.
const WHOLE = /^\/(admin|api|media|static)\//;

function swappable(elt) {
  if (elt.tagName === "FORM") return elt.method === "get" && elt.hasAttribute("data-filters");
  if (elt.hasAttribute("download")) return false;
  const url = new URL(elt.href, window.location.href);
  if (url.origin !== window.location.origin || url.searchParams.has("download")) return false;
  return !WHOLE.test(url.pathname) && !/\.[a-z0-9]+$/i.test(url.pathname);
}

for (const script of document.querySelectorAll("script[type=module][src]")) seen.add(script.src);
document.addEventListener("htmx:beforeProcessNode", (event) => {
  const elt = event.target;
  if ((elt.tagName === "A" || elt.tagName === "FORM") && !swappable(elt)) elt.setAttribute("hx-boost", "false");
});
// A filter form's empty fields stay out of the address: ?sort=top, not ?q=&sort=top&mode=.
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.verb !== "get") return;
  const params = event.detail.parameters;
  const keys = params instanceof FormData ? [...params.keys()] : Object.keys(params);
  for (const key of keys) {
    const value = params instanceof FormData ? params.get(key) : params[key];
    if (value === "" || value === null) params instanceof FormData ? params.delete(key) : delete params[key];
  }
});
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.target?.id !== "page") return;
  if (!/id="page"/.test(event.detail.serverResponse)) {
    // Not one of our pages (a bare error page): show it whole rather than nothing.
    event.preventDefault();
    window.location.assign(event.detail.pathInfo.finalRequestPath || event.detail.pathInfo.requestPath);
    return;
  }
  leave();
});
document.addEventListener("htmx:historyCacheMissLoad", leave);
document.getElementById("page")?.setAttribute("data-entered", "1");
document.addEventListener("htmx:afterSettle", () => entered());
document.addEventListener("htmx:historyRestore", () => entered(true));
