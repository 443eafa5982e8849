// The script-tag install: `<script async src=".../wasmtrack.js" data-collector data-site>`.
// It loads `wasmtrack.wasm` from beside itself, starts the tracker from the data attributes,
// replays what the page pushed to the stub queue (`window._wtq`, or the name in `data-queue`)
// and from then on runs each push at once. Calls an earlier page's stub kept because that page
// was left before the script loaded (see stub.js) run first, as that page's. A page whose CSP
// refuses WebAssembly gets the same tracker as JavaScript instead (see below).
import { __wbg_get_imports, __wbg_finalize_init, init, trackCustomBehavioralEvent, identify, setPath, trackPageView, flush, optOut, optIn, openVisualizer, __replayPage, __trapped } from '../target/wasm-bindgen/wasmtrack.js';
import { deferred, drain, run } from './commands.js';
import { autotracking, instantiate } from './instantiate.js';

// Named, not `* as`: a namespace object would keep every export of the glue in the bundle.
// These are also the only commands a queue may call (`commands.js`); track calls are taken
// at the end of the task (`deferred`). `init` gets the function the tracker hands the site's
// rule lists to (`src/tracker/autotrack.rs`).
const api = deferred({ init: (options) => init(Object.assign({}, options, { __autotrack: rulesTo })), trackCustomBehavioralEvent, identify, setPath, trackPageView, flush, optOut, optIn, openVisualizer, __replayPage, __trapped });

// The auto-tracking module (`js/autotrack.js`, beside this file). `asm`: the tracker runs as
// JavaScript (see below), so the module must too.
let script;
let asm;
const rulesTo = autotracking((early) => import(new URL('autotrack.js', script.src)).then((m) => m.default(asm, api.trackCustomBehavioralEvent, early)));

const STUB_KEY = 'wasmtrack:v1:stub';

// The calls earlier pages' stubs saved, each page's wrapped in `__replayPage` so its events keep
// that page's URL, and stamped with the time that page was left.
function savedCalls() {
  const calls = [];
  try {
    const text = localStorage.getItem(STUB_KEY);
    if (!text) return calls;
    localStorage.removeItem(STUB_KEY);
    for (const page of JSON.parse(text)) {
      calls.push(['__replayPage', { url: page.u, referrer: page.r, title: page.ti }]);
      for (const call of page.c) {
        if (!call || call[0] === 'init') continue;
        const event = call[1];
        if (call[0] === 'trackCustomBehavioralEvent' && event && typeof event === 'object' && event.occurredAt === undefined) {
          calls.push([call[0], Object.assign({}, event, { occurredAt: page.t })]);
        } else {
          calls.push(call);
        }
      }
      calls.push(['__replayPage', null]);
    }
  } catch (e) {
    // Storage unavailable or the saved text damaged: nothing to replay.
  }
  return calls;
}

(function () {
  script = document.currentScript;
  if (!script) return;
  const data = script.dataset;
  const name = data.queue || '_wtq';
  const queue = (window[name] = window[name] || []);
  // The script included twice: the second one does nothing. (`wasmtrack` itself is set only
  // once the tracker runs the queue: until then the stub keeps the queue for the next page if
  // this one is left, which it must not do once the tracker has the calls.)
  if (queue.wasmtrack || queue.loading) return;
  queue.loading = 1;
  const imports = __wbg_get_imports();
  const wasm = new URL(data.wasm || 'wasmtrack.wasm', script.src);
  const started = instantiate(wasm, imports, __wbg_finalize_init)
    // A page whose Content-Security-Policy refuses to compile WebAssembly (no 'wasm-unsafe-eval')
    // still tracks: it imports `wasmtrack.asm.js`, binaryen's wasm2js translation of the very
    // wasm (xtask/src/wasm2js.rs), an ES module whose default export does what instantiating
    // the wasm does. Only that refusal leads there, in each engine's words: Chromium "Compiling
    // or instantiating WebAssembly module violates … because 'unsafe-eval' is not an allowed
    // source of script", Firefox "call to WebAssembly.instantiate() blocked by CSP", Safari
    // "Refused to create a WebAssembly object because 'unsafe-eval' or 'wasm-unsafe-eval' is
    // not…". A missing file or a network error stays a warning, without a 77 KB download.
    // `import()` rather than an inserted <script nonce>, which would cost every page ~30 B gzip
    // more, as a strict CSP allows it as it allowed the loader: a host allowlist checks its URL
    // as a <script src>'s, the browser gives the module the nonce of the script that imports
    // it, and 'strict-dynamic' allows what a trusted script loads. Like the wasm's `fetch`, it
    // needs CORS headers when the files are served from another origin.
    .catch((error) => {
      if (!/CSP|-eval/.test(error)) throw error;
      asm = 1;
      return import(new URL('wasmtrack.asm.js', script.src)).then((module) => __wbg_finalize_init({ exports: module.default(imports) }));
    });
  started.then(
    () => {
      const start = data.collector
        ? [['init', {
            collector: data.collector,
            site: data.site,
            debug: data.debug !== undefined && data.debug !== 'false',
            autoPageView: data.autoPageView !== 'false',
            requireConsent: data.requireConsent !== undefined && data.requireConsent !== 'false',
            respectDoNotTrack: data.respectDoNotTrack !== undefined && data.respectDoNotTrack !== 'false',
            visualizerUrl: new URL('visualizer.js', script.src).href,
          }]]
        : [];
      queue.unshift(...start, ...savedCalls());
      drain(api, queue);
      queue.push = function () {
        for (let i = 0; i < arguments.length; i++) run(api, arguments[i]);
        return 0;
      };
      queue.wasmtrack = true;
    },
    (error) => console.warn('[wasmtrack] could not load', error),
  );
})();
