// `setTimeout` that wakes the tracker with `why` (timer.rs).
import { wake } from './wake.js';

export function timer(why, ms) {
  return setTimeout(() => wake(why), ms);
}
