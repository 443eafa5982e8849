// A /v1/collect body as the collector reads it: gzip when it starts with gzip's magic bytes
// (the tracker compresses `fetch` batches where the browser has CompressionStream), else the
// JSON text itself (beacons on pagehide, browsers without CompressionStream).
import { gunzipSync } from 'node:zlib';

export function beaconText(bytes) {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  return { text: (gzip ? gunzipSync(bytes) : bytes).toString('utf8'), gzip };
}
