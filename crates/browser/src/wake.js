// How the browser calls the tracker back (wake.rs): every callback of the shell (timers, page
// events, request answers, locks, microtasks) calls the one `wake` function the tracker
// installs, with a code saying why (`Wake` in protocol.rs, which names them all), instead of
// a wasm-bindgen closure per callback: one function for the page's life rather than eight
// closure types, their shims and their bookkeeping on both sides of every page load. Nothing
// here throws into the page.

// What `woken_text` hands over (`Carried` in protocol.rs).
const CARRIED_RETRY_AFTER = 0;
const CARRIED_BODY = 1;
const CARRIED_REFUSED = 2;
// A call into the tracker threw: it may be stuck mid-change (`Wake::Trapped`).
const WAKE_TRAPPED = 12;

export let wake = () => {};
// What the current wake-up carries beyond its numbers: [Retry-After, body].
let carried = [];

// `table.get(index)` is the tracker's `wake(why, status)`, called with plain numbers; the rest
// waits in `carried` until the tracker asks for it. A trap in the tracker (a bug) or a page
// script throwing through it must not surface as an error of the page's own handlers; the
// tracker hears of it, to say so rather than fail silently ever after.
export function set_waker(table, index) {
  const f = table.get(index);
  wake = function (why, status, retry, body) {
    carried = [retry, body];
    try {
      f(why, status || 0);
    } catch (e) {
      try { f(WAKE_TRAPPED, 0); } catch (e2) {}
    }
    carried = [];
  };
}

// The refused events are read from the collector's answer `{"rejected":[{"id","name","reason"}]}`
// here, so that the body need not travel into the wasm and back out to be parsed.
export function woken_text(which) {
  if (which === CARRIED_RETRY_AFTER) return carried[0];
  if (which === CARRIED_BODY) return carried[1];
  try {
    return JSON.parse(carried[1]).rejected.map((r) => r.name + '\u0001' + r.reason).join('\n');
  } catch (e) {
    return '';
  }
}
