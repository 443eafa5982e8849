// Requests to the collector (transport.rs).
import { wake } from './wake.js';

// The send whose body is being compressed, if any: `leaving` sends it at once, uncompressed.
let pending;

// GET (no body) or POST `body` as text/plain, a CORS "simple" request with no preflight. Wakes
// `why` once with status (0: no answer), `Retry-After` and the body; `why` < 0: no answer wanted.
// A POST body is gzipped first where the browser has CompressionStream (the collector knows gzip
// by its first bytes: no header, which would cost a preflight), except with `why` < 0, the
// pagehide path, which cannot wait for it, and under 1,000 characters (a quiet page's few
// events: a few hundred bytes saved would cost their request the compression's detour).
// `keepalive` (the request outlives the page) is refused by browsers over 64 KiB: the caller
// allows it for a small body, and a compressed body (a Blob) gets it when it is small enough.
export function send(url, body, keepalive, why) {
  const done = (status, retry, text) => { if (why >= 0) wake(why, status, retry, text); };
  const go = (b) => {
    try {
      fetch(url, b === undefined ? { cache: 'no-cache' } : { method: 'POST', body: b, keepalive: keepalive || b.size < 65536 }).then(
        (r) => r.text().then((t) => t, () => '').then((t) => done(r.status, r.headers.get('retry-after'), t)),
        () => done(0, null, ''),
      );
    } catch (e) {
      done(0, null, '');
    }
  };
  if (body === undefined || why < 0 || body.length < 1e3 || !self.CompressionStream) return go(body);
  // Sends once: compressed when the compression is done, or as it is if `leaving` or a
  // failure comes first.
  const own = (pending = (b) => {
    if (pending == own) {
      pending = 0;
      go(b || body);
    }
  });
  try {
    new Response(new Response(body).body.pipeThrough(new CompressionStream('gzip'))).blob().then(
      (z) => own(new Blob([z], { type: 'text/plain' })),
      () => own(),
    );
  } catch (e) {
    own();
  }
}

// pagehide (lifecycle.js): a batch still being compressed leaves now, as it is.
export function leaving() {
  if (pending) pending();
}

export function beacon(url, body) {
  try { return navigator.sendBeacon(url, body); } catch (e) { return false; }
}
