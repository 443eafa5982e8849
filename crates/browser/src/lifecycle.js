// The tracker's listeners, for the page's life (lifecycle.rs). `pagehide`, never `unload`, so
// the page stays eligible for the back/forward cache. (Clicks and single-page-app navigation
// are followed by the auto-tracking module, `crates/autotrack`, on sites that have rules.)
import { wake } from './wake.js';
import { leaving } from './transport.js';

// `Wake` in protocol.rs.
const WAKE_LEFT = 4;
const WAKE_BACK = 5;
const WAKE_ONLINE = 6;
const WAKE_HIDDEN = 7;

export function listen() {
  // A batch still being compressed goes first, uncompressed: the page may not live to finish.
  addEventListener('pagehide', () => { leaving(); wake(WAKE_LEFT); });
  addEventListener('pageshow', (e) => { if (e.persisted) wake(WAKE_BACK); });
  addEventListener('online', () => wake(WAKE_ONLINE));
  document.addEventListener('visibilitychange', () => { if (document.hidden) wake(WAKE_HIDDEN); });
}
