// Random ids (random.rs).
export function random_uuid() {
  try { return crypto.randomUUID(); } catch (e) {}
  const b = new Uint8Array(16);
  try {
    crypto.getRandomValues(b);
  } catch (e) {
    // Every browser that runs wasm has getRandomValues; a last resort that keeps ids unique.
    for (let i = 0; i < 16; i++) b[i] = Math.random() * 256;
  }
  b[6] = (b[6] & 15) | 64; // version 4
  b[8] = (b[8] & 63) | 128; // variant 1
  const h = [...b].map((x) => (x + 256).toString(16).slice(1)).join('');
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}
