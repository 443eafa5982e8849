// The command-array queue (`_wtq.push(['trackCustomBehavioralEvent', {...}])`, the form of
// HubSpot's `_hsq`), shared by the script-tag loader and the npm entry.

// Runs one queued command. Never throws: a bad command is a warning, not the page's exception.
// A call that threw from inside the tracker (a trap, or a page getter throwing through it) may
// have left its state stuck: `__trapped` lets it find out and say so from then on.
export function run(api, command) {
  try {
    if (typeof command === 'function') return command();
    const name = command && command[0];
    // Own keys only: `api` is a plain object, and `constructor` or `toString` are no commands.
    if (Object.prototype.hasOwnProperty.call(api, name)) return api[name].apply(null, Array.prototype.slice.call(command, 1));
    console.warn('[wasmtrack] unknown command', command);
  } catch (error) {
    console.warn('[wasmtrack]', error);
    try { api.__trapped(); } catch (e) {}
  }
}

// Runs every command in `queue`, in order, except that an `init` among them runs first:
// events pushed before it would otherwise be tracked by a tracker that does not exist yet.
// Commands that run pushes while this drains are appended and run in turn. Returns what the
// last command returned.
export function drain(api, queue) {
  let result;
  const first = queue.findIndex((c) => c && c[0] === 'init');
  if (first >= 0) result = run(api, queue.splice(first, 1)[0]);
  while (queue.length) result = run(api, queue.shift());
  return result;
}

// The API with `trackCustomBehavioralEvent` deferred: a call copies what it was given and
// returns; the tracker (limits, encoding, queueing, storage) takes the task's calls at the end
// of the task, in one microtask. A page's `track` costs a copy instead of one JS-to-wasm
// crossing per property, and a burst's storage writes and warnings happen once per task.
// Every other command first hands the waiting calls to the tracker, so nothing is reordered:
// `identify` after `track` still attributes that event as before, `flush` sends it.
export function deferred(api) {
  const out = {};
  let waiting = null;
  const handOver = () => {
    const calls = waiting;
    waiting = null;
    if (calls) for (let i = 0; i < calls.length; i++) run(api, ['trackCustomBehavioralEvent', calls[i]]);
  };
  for (const name in api) {
    out[name] = function () {
      handOver();
      return api[name].apply(null, arguments);
    };
  }
  out.trackCustomBehavioralEvent = function (event) {
    if (!waiting) {
      waiting = [];
      queueMicrotask(handOver);
    }
    waiting.push(copy(event));
  };
  return out;
}

// What a track call passed, as it is now: the page may change its objects once the call has
// returned (a loop reusing one `properties` object does). Values are copied as the tracker
// reads them (`crates/browser/src/convert.rs`): dates by their time, arrays four levels deep;
// anything else is kept as is, to be read or refused by the tracker. A getter that throws
// leaves an object the tracker refuses as it refuses the throw; if copying fails as a whole
// (a hostile proxy), the original goes, read at the end of the task.
export function copy(event) {
  try {
    if (!event || typeof event !== 'object') return event;
    const props = event.properties;
    return {
      name: event.name,
      properties: props && typeof props === 'object' && !Array.isArray(props) ? copyProps(props) : props,
      occurredAt: copyValue(event.occurredAt, 4),
    };
  } catch (e) {
    return event;
  }
}

function copyProps(props) {
  const out = {};
  const keys = Object.keys(props);
  for (let i = 0; i < keys.length; i++) {
    let value;
    try {
      value = copyValue(props[keys[i]], 0);
    } catch (e) {
      value = {};
    }
    out[keys[i]] = value;
  }
  return out;
}

function copyValue(value, depth) {
  if (value instanceof Date) return new Date(value.getTime());
  if (depth < 4 && Array.isArray(value)) return Array.prototype.slice.call(value, 0, 1024).map((v) => copyValue(v, depth + 1));
  return value;
}
