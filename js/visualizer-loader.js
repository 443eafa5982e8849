// The event visualizer's loader, added to the page by the tracker only when a page is opened
// with a visualizer token (`?wt_visualize=…` or `openVisualizer()`): it loads
// `visualizer.wasm` from beside itself and starts the overlay with its data attributes.
import { __wbg_get_imports, __wbg_finalize_init, start } from '../target/wasm-bindgen-visualizer/visualizer.js';
import { instantiate } from './instantiate.js';

(function () {
  const script = document.currentScript;
  if (!script) return;
  const data = script.dataset;
  instantiate(new URL('visualizer.wasm', script.src), __wbg_get_imports(), __wbg_finalize_init).then(
    () => start({ token: data.token, collector: data.collector, site: data.site }),
    (error) => console.warn('[wasmtrack] the visualizer could not load', error),
  );
})();
