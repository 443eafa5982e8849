// The tracker's listeners, for the page's life (lifecycle.rs). `pagehide`, never `unload`, so
// the page stays eligible for the back/forward cache. Clicks in the capture phase: a page
// handler that stops propagation cannot hide them. `pushState` and `replaceState` are wrapped
// to hear of every URL change a framework makes: the wrappers return (or throw) exactly what
// the originals do, and stay, because one removed later would break a library that wrapped
// ours in turn.
import { wake } from './wake.js';
import { leaving } from './transport.js';

// `Wake` in protocol.rs.
const WAKE_LEFT = 4;
const WAKE_BACK = 5;
const WAKE_ONLINE = 6;
const WAKE_HIDDEN = 7;
const WAKE_CLICK = 8;
const WAKE_NAVIGATED = 9;

export function listen() {
  // A batch still being compressed goes first, uncompressed: the page may not live to finish.
  addEventListener('pagehide', () => { leaving(); wake(WAKE_LEFT); });
  addEventListener('pageshow', (e) => { if (e.persisted) wake(WAKE_BACK); });
  addEventListener('online', () => wake(WAKE_ONLINE));
  document.addEventListener('visibilitychange', () => { if (document.hidden) wake(WAKE_HIDDEN); });
  document.addEventListener('click', (e) => wake(WAKE_CLICK, 0, null, null, e.target), true);
  const tell = () => wake(WAKE_NAVIGATED);
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
