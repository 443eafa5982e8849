// Warnings to the console and the page's `onWarning` (warn.rs).
export function report(callback, loud, text, event, name) {
  const [code, message] = text.split('\t');
  if (loud) console.warn('[wasmtrack] ' + message, name === undefined ? '' : name);
  if (typeof callback === 'function') {
    try { callback({ code, message, event, name }); } catch (e) {}
  }
}
