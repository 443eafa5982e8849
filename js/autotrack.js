// The auto-tracking module's loader (`crates/autotrack`), imported by the tracker's loaders
// only for a site whose rule list has a rule (`src/tracker/autotrack.rs`). `start` instantiates
// its wasm (beside this file, or `source`: its bytes in the npm package; its wasm2js build when
// `asm`, on a page whose CSP refuses WebAssembly), follows clicks and URL changes, tracks what
// fires through `track` (the tracker's `trackCustomBehavioralEvent`) and resolves to the
// function that takes every rule list. `early`: the targets of clicks made while it loaded,
// replayed after the first list (the page was viewed before it was clicked).
import { __wbg_get_imports, __wbg_finalize_init, rules, clicked, navigated } from '../target/wasm-bindgen-autotrack/autotrack.js';
import { instantiate } from './instantiate.js';

export default function start(asm, track, early, source) {
  const imports = __wbg_get_imports();
  const started = asm
    ? import(new URL('autotrack.asm.js', import.meta.url)).then((m) => __wbg_finalize_init({ exports: m.default(imports) }))
    : instantiate(source || new URL('autotrack.wasm', import.meta.url), imports, __wbg_finalize_init);
  return started.then(() => {
    // Events as `core::autotrack::push_fired` writes them, tracked as the page's own are.
    const fire = (fired) => {
      for (const event of fired.split('\u0002')) {
        if (!event) continue;
        const [name, ...fields] = event.split('\u0001');
        const properties = {};
        for (let i = 0; i < fields.length; i += 2) properties[fields[i]] = fields[i + 1];
        track({ name, properties });
      }
    };
    // A trap in the module (a bug) must not surface in the page's handlers: that click or URL
    // change then fires nothing.
    const run = (call) => {
      try {
        call();
      } catch (e) {}
    };
    // Clicks in the capture phase: a page handler that stops propagation cannot hide them.
    document.addEventListener('click', (e) => run(() => clicked(e.target, fire)), true);
    // `pushState` and `replaceState` are wrapped to hear of every URL change a framework
    // makes: the wrappers return (or throw) exactly what the originals do, and stay, because
    // one removed later would break a library that wrapped ours in turn.
    const moved = () => run(() => navigated(fire));
    for (const name of ['pushState', 'replaceState']) {
      const original = history[name];
      if (typeof original !== 'function') continue;
      history[name] = function () {
        const result = original.apply(this, arguments);
        moved();
        return result;
      };
    }
    addEventListener('popstate', moved);
    return (text) => {
      run(() => rules(text, fire));
      for (const target of early.splice(0)) run(() => clicked(target, fire));
    };
  });
}
