// The npm entry: `import { init, trackCustomBehavioralEvent } from 'wasmtrack'`.
// The wasm is inlined (base64) so that every bundler (esbuild, Vite, webpack, Rollup) resolves
// it without a plugin or an asset rule. Calls made before the wasm is ready, or before
// `init`, are held in order and run once both have happened, `init` first.
import load, * as api from '../target/wasm-bindgen/wasmtrack.js';
import wasmBase64 from '../target/wasm-bindgen/wasm-inline.js';
import { drain, run } from './commands.js';

const held = [];
let loading = null;
let ready = false;
let initRequested = false;

function decode(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function start() {
  if (!loading) {
    loading = load({ module_or_path: decode(wasmBase64) }).then(
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
  call(['trackCustomBehavioralEvent', event]);
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
