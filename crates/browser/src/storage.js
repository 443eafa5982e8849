// `localStorage`, every error caught (storage.rs). One function for every operation, and the
// prefix added here: one import and one string argument per call rather than five imports.
// `null`: storage is missing, disabled or refused.

// `StorageOp` in protocol.rs.
const STORAGE_GET = 0;
const STORAGE_SET = 1;
const STORAGE_REMOVE = 2;
const STORAGE_KEYS = 3;
const STORAGE_PROBE = 4;

const PREFIX = 'wasmtrack:v1:';
export function storage(op, key, value) {
  try {
    const s = window.localStorage;
    const k = PREFIX + key;
    switch (op) {
      case STORAGE_GET: return s.getItem(k);
      case STORAGE_SET: s.setItem(k, value); break;
      case STORAGE_REMOVE: s.removeItem(k); break;
      case STORAGE_KEYS: return Object.keys(s).filter((x) => x.startsWith(k)).map((x) => x.slice(PREFIX.length)).join('\n');
      case STORAGE_PROBE: s.length;
    }
    return '';
  } catch (e) {
    return null;
  }
}
