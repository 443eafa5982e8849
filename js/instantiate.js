// Starts a wasm-bindgen module from its glue's own two halves, `__wbg_get_imports` and
// `__wbg_finalize_init` (exported by `cargo xtask build`), instead of the glue's default
// loader, whose fallbacks for every way of passing a module and their long messages a page
// would download for nothing. `source` is a URL or the module's bytes.
export function instantiate(source, imports, finish) {
  const started = source instanceof Uint8Array
    ? WebAssembly.instantiate(source, imports)
    : fetch(source).then((response) => {
        if (!response.ok) throw new Error(response.status + ' ' + response.url);
        // Compiles while it downloads; a server that does not say `application/wasm` (or a
        // browser without streaming) gets the bytes compiled when they are all there.
        return WebAssembly.instantiateStreaming(response.clone(), imports).catch(() =>
          response.arrayBuffer().then((bytes) => WebAssembly.instantiate(bytes, imports)),
        );
      });
  return started.then((result) => finish(result.instance, result.module));
}

// The bytes of a base64 text (the npm package inlines its wasm modules as base64, which every
// bundler resolves without a plugin or an asset rule).
export function decode(base64) {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// The function the tracker hands the site's rule lists to (`src/tracker/autotrack.rs`): the
// first list with a rule (a line after its header) starts the auto-tracking module through
// `start(early)` (a promise of the module's function that takes a list), and every list then
// goes to it. `early` holds the targets of clicks made while the module loads, which it
// replays once it has applied the first list: without them, a visitor's click between the
// rules being known and the module being ready (a few round trips on a first visit) would go
// untracked.
export function autotracking(start) {
  let module;
  return (text) => {
    if (!module && text.indexOf('\n') < 0) return;
    if (!module) {
      const early = [];
      const keep = (e) => early.push(e.target);
      const stop = () => removeEventListener('click', keep, true);
      addEventListener('click', keep, true);
      module = start(early);
      module.then(stop, stop);
    }
    module.then(
      (apply) => apply(text),
      (error) => console.warn('[wasmtrack] auto-tracking could not load', error),
    );
  };
}
