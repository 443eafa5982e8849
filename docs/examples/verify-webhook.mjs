// Verifying a wasmtrack webhook in Node.js (no dependency). The collector signs each request
// with the workflow's secret: `Wasmtrack-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">`. Check the raw bytes of the body, before any JSON parsing, and refuse
// timestamps older than five minutes (replays). During a secret rotation a header may carry
// several v1 entries: one matching is enough.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyWasmtrackSignature(secret, rawBody, header, toleranceSeconds = 300) {
  const parts = String(header || '').split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v);
  if (!Number.isInteger(t) || signatures.length === 0) return false;
  if (Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  return signatures.some((s) => {
    const given = Buffer.from(s, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

// A receiver: verify, then act once per `Idempotency-Key` (retries carry the same key).
//
//   import { createServer } from 'node:http';
//   const seen = new Set();
//   createServer((req, res) => {
//     const chunks = [];
//     req.on('data', (c) => chunks.push(c)).on('end', () => {
//       const raw = Buffer.concat(chunks);
//       if (!verifyWasmtrackSignature(SECRET, raw, req.headers['wasmtrack-signature'])) {
//         res.writeHead(400).end();
//         return;
//       }
//       const key = req.headers['idempotency-key'];
//       if (!seen.has(key)) {
//         seen.add(key);
//         handle(JSON.parse(raw)); // your code
//       }
//       res.writeHead(204).end();
//     });
//   }).listen(8081);
