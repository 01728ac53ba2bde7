// A WebSocket that reconnects with exponential back-off and asks for the
// current state after each reconnect, since a channel layer may drop messages.
// It closes itself when the visitor moves to another page.
import { pageSignal } from "./page.js";

export function liveSocket(path, onMessage, onStatus = () => {}) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  let delay = 500;
  let socket = null;
  let closed = false;

  function open() {
    socket = new WebSocket(`${scheme}://${window.location.host}${path}`);
    socket.onopen = () => {
      delay = 500;
      onStatus(true);
    };
    socket.onmessage = (event) => onMessage(JSON.parse(event.data));
    socket.onclose = (event) => {
      onStatus(false);
      if (closed || event.code === 4403) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  open();
  const close = () => {
    closed = true;
    socket.close();
  };
  pageSignal().addEventListener("abort", close, { once: true });
  return { close };
}
