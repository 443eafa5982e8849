// Requests to the collector (transport.rs).
import { wake } from './wake.js';

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
