// The npm entry: `import { init, trackCustomBehavioralEvent } from 'wasmtrack'`.
// The wasm is inlined (base64) so that every bundler (esbuild, Vite, webpack, Rollup) resolves
// it without a plugin or an asset rule. Calls made before the wasm is ready, or before
// `init`, are held in order and run once both have happened, `init` first.
import {
  __wbg_get_imports, __wbg_finalize_init,
  init as wasmInit, trackCustomBehavioralEvent as wasmTrack, identify as wasmIdentify, setPath as wasmSetPath,
  trackPageView as wasmTrackPageView, flush as wasmFlush, optOut as wasmOptOut, optIn as wasmOptIn,
  openVisualizer as wasmOpenVisualizer, __trapped,
} from '../target/wasm-bindgen/wasmtrack.js';
import wasmBase64 from '../target/wasm-bindgen/wasm-inline.js';
import { copy, deferred, drain } from './commands.js';
import { autotracking, decode, instantiate } from './instantiate.js';

// The only commands a queue may call (`commands.js`); track calls are taken at the end of the
// task (`deferred`).
const api = deferred({
  // With the function the tracker hands the site's rule lists to (`src/tracker/autotrack.rs`).
  init: (options) => wasmInit(Object.assign({}, options, { __autotrack: rulesTo })), trackCustomBehavioralEvent: wasmTrack, identify: wasmIdentify, setPath: wasmSetPath,
  trackPageView: wasmTrackPageView, flush: wasmFlush, optOut: wasmOptOut, optIn: wasmOptIn, openVisualizer: wasmOpenVisualizer,
  __trapped,
});

// The auto-tracking module (`js/autotrack-npm.js`, its wasm inlined): a chunk of its own, so
// that an application's bundler splits it off and a site without rules never loads it.
const rulesTo = autotracking((early) => import('./autotrack.js').then((m) => m.default(api.trackCustomBehavioralEvent, early)));

const held = [];
let loading = null;
let ready = false;
let initRequested = false;

function start() {
  if (!loading) {
    loading = instantiate(decode(wasmBase64), __wbg_get_imports(), __wbg_finalize_init).then(
      () => {
        ready = true;
        if (initRequested) drain(api, held);
      },
      (error) => console.warn('[wasmtrack] could not load', error),
    );
  }
  return loading;
}

// Returns what the command returned (a promise for `init` and `flush`) when it could run now.
function call(command) {
  held.push(command);
  if (command[0] === 'init') initRequested = true;
  if (!ready) return start();
  if (initRequested) return drain(api, held);
}

/** @type {import('./index').init} */
export function init(options) {
  return Promise.resolve(call(['init', options])).then(() => undefined);
}
export function trackCustomBehavioralEvent(event) {
  // Copied now: a call held until the wasm is ready keeps what the page passed at the time.
  call(['trackCustomBehavioralEvent', copy(event)]);
}
export function identify(who) {
  call(['identify', who]);
}
export function setPath(path) {
  call(['setPath', path]);
}
export function trackPageView() {
  call(['trackPageView']);
}
export function flush() {
  return Promise.resolve(call(['flush'])).then(() => undefined);
}
export function optOut() {
  call(['optOut']);
}
export function optIn() {
  call(['optIn']);
}
export function openVisualizer(options) {
  call(['openVisualizer', options]);
}
