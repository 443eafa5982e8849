// Where the script tag's time to ready goes: loads the benchmark's page shape (the script tag
// inserted by an inline script, no auto page view, one event then `flush` once the tracker
// runs) in fresh headless Chromium contexts and prints, per load, in ms from the insertion:
// the script's and the wasm's requests (start→end), the wasm's instantiation, when the tracker
// ran the queue, the rules and first batch requests, and the time spent in localStorage,
// fetch() and Web Locks calls. Not part of the tests or `cargo xtask bench`: a diagnostic.
// Usage: node bench/browser/ready-timeline.mjs [loads]   (after `cargo xtask build`)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

const ROOT = new URL('../../', import.meta.url).pathname;
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const cors = { 'access-control-allow-origin': '*' };
  if (url.pathname.startsWith('/v1/')) {
    req.resume();
    req.on('end', () => res.writeHead(url.pathname === '/v1/collect' ? 200 : 404, { ...cors, 'content-type': 'application/json' }).end('{}'));
    return;
  }
  if (url.pathname === '/') {
    return res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><body><script>
window._wtq = [];
var s = document.createElement('script'); s.async = true; s.src = '/dist/wasmtrack.js';
s.setAttribute('data-collector', location.origin); s.setAttribute('data-site', 'bench'); s.setAttribute('data-auto-page-view', 'false');
s.onload = function () { _wtq.push(function () { window.__ran = performance.now(); _wtq.push(['trackCustomBehavioralEvent', { name: 'x', properties: { a: 1 } }], ['flush']); }); };
window.__t0 = performance.now(); document.head.appendChild(s);
</script>`);
  }
  readFile(ROOT + url.pathname).then(
    (body) => res.writeHead(200, { 'content-type': url.pathname.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', ...cors }).end(body),
    () => res.writeHead(404).end(),
  );
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const readies = [];
for (let i = 0; i < Number(process.argv[2] || 5); i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__spent = {};
    const time = (obj, name, label) => {
      const f = obj[name];
      obj[name] = function () {
        const t = performance.now();
        try { return f.apply(this, arguments); } finally { window.__spent[label] = (window.__spent[label] || 0) + performance.now() - t; }
      };
    };
    for (const m of ['getItem', 'setItem', 'removeItem']) time(Storage.prototype, m, 'localStorage');
    if (window.LockManager) time(LockManager.prototype, 'request', 'locks');
    time(window, 'fetch', 'fetch()');
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = function () {
      window.__inst0 = performance.now();
      return streaming.apply(this, arguments).then((r) => { window.__inst1 = performance.now(); return r; });
    };
  });
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/v1/collect') && e.responseEnd > 0), null, { timeout: 20_000 });
  const t = await page.evaluate(() => {
    const at = (ms) => (ms - __t0).toFixed(1);
    const entry = (part) => performance.getEntriesByType('resource').find((e) => e.name.includes(part));
    const span = (part) => { const e = entry(part); return e ? `${at(e.startTime)}→${at(e.responseEnd)}` : '–'; };
    return {
      script: span('wasmtrack.js'), wasm: span('wasmtrack.wasm'), instantiate: `${at(__inst0)}→${at(__inst1)}`, ran: at(__ran),
      rules: span('/rules'), batch: span('/v1/collect'), ready: Number(at(entry('/v1/collect').responseEnd)),
      spent: Object.fromEntries(Object.entries(__spent).map(([k, v]) => [k, Number(v.toFixed(1))])),
    };
  });
  console.log(JSON.stringify(t));
  readies.push(t.ready);
  await context.close();
}
readies.sort((a, b) => a - b);
console.log(`ready: median ${readies[readies.length >> 1]} ms, fastest ${readies[0]} ms`);
await browser.close();
server.close();
