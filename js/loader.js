// The script-tag install: `<script async src=".../wasmtrack.js" data-collector data-site>`.
// It loads `wasmtrack.wasm` from beside itself, starts the tracker from the data attributes,
// replays what the page pushed to the stub queue (`window._wtq`, or the name in `data-queue`)
// and from then on runs each push at once.
import load, * as api from '../target/wasm-bindgen/wasmtrack.js';
import { drain, run } from './commands.js';

(function () {
  const script = document.currentScript;
  if (!script) return;
  const data = script.dataset;
  const name = data.queue || '_wtq';
  const queue = (window[name] = window[name] || []);
  if (queue.wasmtrack) return; // the script was included twice
  queue.wasmtrack = true;
  const wasm = new URL(data.wasm || 'wasmtrack.wasm', script.src);
  load({ module_or_path: wasm }).then(
    () => {
      if (data.collector) {
        queue.unshift(['init', {
          collector: data.collector,
          site: data.site,
          debug: data.debug !== undefined && data.debug !== 'false',
          autoPageView: data.autoPageView !== 'false',
        }]);
      }
      drain(api, queue);
      queue.push = function () {
        for (let i = 0; i < arguments.length; i++) run(api, arguments[i]);
        return 0;
      };
    },
    (error) => console.warn('[wasmtrack] could not load', error),
  );
})();
