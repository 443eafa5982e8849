// The tracker's callbacks from the browser: timers, the page's lifecycle and click events,
// single-page-app navigation, request answers, Web Locks and microtasks. Each calls the one
// `wake` function the tracker installs, with a number saying why (`Wake` in
// src/browser/wake.rs, which lists them), instead of a wasm-bindgen closure per callback:
// one closure for the page's life rather than eight closure types, their shims and their
// bookkeeping on both sides of every page load. Nothing here throws into the page.

let wake = () => {};
let flushes = [];
// What the current wake-up carries beyond its numbers: [Retry-After, body, click target].
let carried = [];

// `table.get(index)` is the tracker's `wake(why, status)`, called with plain numbers; the rest
// waits in `carried` until the tracker asks for it. A trap in the tracker (a bug) must not
// surface as an error of the page's own handlers.
export function set_waker(table, index) {
  const f = table.get(index);
  wake = function (why, status, retry, body, target) {
    carried = [retry, body, target];
    try { f(why, status || 0); } catch (e) {}
    carried = [];
  };
}

// 2: the events the collector refused, from its answer `{"rejected":[{"id","name","reason"}]}`,
// read here so that the body need not travel into the wasm and back out to be parsed.
export function woken_text(which) {
  if (which < 2) return carried[which];
  try {
    return JSON.parse(carried[1]).rejected.map((r) => r.name + '\u0001' + r.reason).join('\n');
  } catch (e) {
    return '';
  }
}

export function woken_target() {
  return carried[2];
}

export function timer(why, ms) {
  return setTimeout(() => wake(why), ms);
}

// At the end of the current task: many `track` calls in one task share one storage write.
export function soon(why) {
  queueMicrotask(() => wake(why));
}

// While holding the Web Lock `name` (exclusive across the site's tabs); without the API, in a
// microtask: the collector's de-duplication by event id keeps that safe, only not as frugal.
export function locked(name, why) {
  const work = () => wake(why);
  try {
    if (navigator.locks && navigator.locks.request) {
      navigator.locks.request(name, () => { work(); });
      return;
    }
  } catch (e) {}
  queueMicrotask(work);
}

// GET (no body) or POST `body` as text/plain, a CORS "simple" request with no preflight. Wakes
// `why` once with status (0: no answer), `Retry-After` and the body; `why` < 0: no answer wanted.
export function send(url, body, keepalive, why) {
  const done = (status, retry, text) => { if (why >= 0) wake(why, status, retry, text); };
  const init = body === undefined ? { cache: 'no-cache' } : { method: 'POST', body, keepalive };
  try {
    fetch(url, init).then(
      (r) => r.text().then((t) => t, () => '').then((t) => done(r.status, r.headers.get('retry-after'), t)),
      () => done(0, null, ''),
    );
  } catch (e) {
    done(0, null, '');
  }
}

export function beacon(url, body) {
  try { return navigator.sendBeacon(url, body); } catch (e) { return false; }
}

// The tracker's listeners, for the page's life. `pagehide`, never `unload`, so the page stays
// eligible for the back/forward cache. Clicks in the capture phase: a page handler that stops
// propagation cannot hide them. `pushState` and `replaceState` are wrapped to hear of every URL
// change a framework makes: the wrappers return (or throw) exactly what the originals do, and
// stay, because one removed later would break a library that wrapped ours in turn.
export function listen(left, back, online, hidden, click, navigated) {
  addEventListener('pagehide', () => wake(left));
  addEventListener('pageshow', (e) => { if (e.persisted) wake(back); });
  addEventListener('online', () => wake(online));
  document.addEventListener('visibilitychange', () => { if (document.hidden) wake(hidden); });
  document.addEventListener('click', (e) => wake(click, 0, null, null, e.target), true);
  const tell = () => wake(navigated);
  for (const name of ['pushState', 'replaceState']) {
    const original = history[name];
    if (typeof original !== 'function') continue;
    history[name] = function () {
      const result = original.apply(this, arguments);
      tell();
      return result;
    };
  }
  addEventListener('popstate', tell);
}

// `flush()` promises, resolved together when the collector has answered (or delivery waits).
export function flush_promise() {
  return new Promise((resolve) => flushes.push(resolve));
}

export function flushed() {
  const done = flushes;
  flushes = [];
  for (const resolve of done) resolve();
}
