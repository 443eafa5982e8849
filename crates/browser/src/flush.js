// `flush()` promises (flush.rs), resolved together when the collector has answered (or
// delivery waits).
let flushes = [];

export function flush_promise() {
  return new Promise((resolve) => flushes.push(resolve));
}

export function flushed() {
  const done = flushes;
  flushes = [];
  for (const resolve of done) resolve();
}
