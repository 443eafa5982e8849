// Wakes `why` while holding the Web Lock `name`, exclusive across the site's tabs (locks.rs);
// without the API, in a microtask: the collector's de-duplication by event id keeps that safe,
// only not as frugal.
import { wake } from './wake.js';

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
