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
