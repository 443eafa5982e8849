// At the end of the current task (microtask.rs): many `track` calls in one task share one
// storage write.
import { wake } from './wake.js';

export function soon(why) {
  queueMicrotask(() => wake(why));
}
