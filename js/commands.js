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
