// The npm package's auto-tracking module (`autotrack.js` in the package, beside `index.js`,
// which imports it only for a site whose rule list has a rule): `js/autotrack.js` with its
// wasm inlined, as the tracker's is.
import start from './autotrack.js';
import wasmBase64 from '../target/wasm-bindgen-autotrack/wasm-inline.js';
import { decode } from './instantiate.js';

export default function (track, early) {
  return start(false, track, early, decode(wasmBase64));
}
