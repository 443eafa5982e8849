// The browser half of `cargo xtask bench`: every tracker installed with its script tag on a
// page served from 127.0.0.1, in headless Chromium, with its network answered by this process.
// For each tracker it measures, in order:
// * time to ready: script insertion → the first event's request answered (resource timing),
//   one fresh browser context per run, and which files the page fetched before that event;
// * the cost of 10,000 track calls with 10 properties (in 100 tasks of 100 calls, as a page
//   would make them, so a long task can only come from the tracker's own work): the time
//   inside the calls, and the time to the next task (work deferred to microtasks included),
//   and the long
//   tasks (PerformanceObserver `longtask`) from the first call to 2 s after the last;
// * wire cost: request bytes (URL + body) at the endpoint for 1,000 events.
// Usage: node bench/browser/run.mjs <repo root> <out.json> [runs]
// (BENCH_ONLY=wasmtrack,posthog measures only those trackers; BENCH_CALLS the track calls.)
import { createServer } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { TRACKERS, PEERS } from './trackers.mjs';

const [root, outPath, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 5);
const CALLS = Number(process.env.BENCH_CALLS || 10_000);
const CHUNK = 100;
const WIRE_EVENTS = 1_000;
const EVENT = JSON.parse(await readFile(join(root, 'bench/event.json'), 'utf8'));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const STATIC = {
  '/dist/': join(root, 'dist'),
  '/peers/': join(root, PEERS),
  '/min/': join(root, 'target/bench/peers/min'),
  '/analytics-next/bundles/': join(root, PEERS, '@segment/analytics-next/dist/umd'),
};

// What the server saw since the last `reset`: files served and event requests, in order.
let current = null;
let log = [];
const reset = (name) => {
  current = name;
  log = [];
};

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => answer(req, res, Buffer.concat(chunks)).catch((e) => {
    console.error('bench server:', e);
    res.writeHead(500).end();
  }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const ORIGIN = `http://127.0.0.1:${server.address().port}`;

async function answer(req, res, body) {
  const url = new URL(req.url, ORIGIN);
  const path = url.pathname;
  const cors = { 'access-control-allow-origin': req.headers.origin || '*', 'access-control-allow-credentials': 'true', 'access-control-allow-headers': req.headers['access-control-request-headers'] || '*', vary: 'Origin' };
  if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
  if (path.startsWith('/page/')) return res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(await page(path.slice(6)));
  for (const [prefix, dir] of Object.entries(STATIC)) {
    if (!path.startsWith(prefix)) continue;
    const rel = normalize(decodeURIComponent(path.slice(prefix.length))).replace(/^(\.\.[/\\])+/, '');
    try {
      const file = join(dir, rel);
      const bytes = await readFile(file);
      log.push({ kind: 'file', path, file, at: Date.now() });
      return res.writeHead(200, { ...cors, 'content-type': TYPES[extname(rel)] || 'application/octet-stream', 'cache-control': 'no-store' }).end(bytes);
    } catch {
      return res.writeHead(404, cors).end();
    }
  }
  const tracker = TRACKERS[current];
  if (tracker && tracker.events.test(path)) {
    if (process.env.BENCH_DUMP) console.error('bench server:', req.method, req.url, JSON.stringify(req.headers), body.slice(0, 300).toString('latin1'));
    log.push({ kind: 'event', path, bytes: req.url.length + body.length, events: countEvents(current, url, body, req.headers), at: Date.now() });
    return res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(reply(current, body));
  }
  if (path.startsWith('/v1/projects/') && path.endsWith('/settings')) {
    return res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(TRACKERS.segment.settings(ORIGIN)));
  }
  if (path.startsWith('/sourceConfig')) {
    return res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(TRACKERS.rudderstack.sourceConfig));
  }
  log.push({ kind: 'other', path, method: req.method, at: Date.now() });
  return res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{}');
}

// A body as its text: gzip (magic bytes 1f 8b) decompressed, as wasmtrack's collector and
// PostHog's read it.
const text = (body) => (body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString();

function reply(name, body) {
  if (name === 'wasmtrack') {
    try {
      return JSON.stringify({ stored: JSON.parse(text(body)).events.length, duplicates: 0, rejected: [] });
    } catch {
      return '{"stored":0,"duplicates":0,"rejected":[]}';
    }
  }
  if (name === 'posthog') return '{"status":1}';
  if (name === 'mixpanel') return '1';
  if (name === 'rudderstack') return 'OK';
  return '{}';
}

// How many events one request carried, where the format can be read (else null).
function countEvents(name, url, body, headers) {
  try {
    switch (name) {
      case 'wasmtrack':
        return JSON.parse(text(body)).events.length;
      case 'segment':
        return 1;
      case 'rudderstack':
        return url.pathname.includes('batch') ? JSON.parse(text(body)).batch.length : 1;
      case 'snowplow':
        return url.pathname.startsWith('/i') ? 1 : JSON.parse(text(body)).data.length;
      case 'posthog': {
        let t = text(body);
        if (t.startsWith('data=')) t = Buffer.from(decodeURIComponent(t.slice(5)), 'base64').toString();
        const parsed = JSON.parse(t);
        return Array.isArray(parsed) ? parsed.length : Array.isArray(parsed.batch) ? parsed.batch.length : 1;
      }
      case 'mixpanel': {
        const data = new URLSearchParams(text(body)).get('data') ?? url.searchParams.get('data');
        let parsed;
        try {
          parsed = JSON.parse(data);
        } catch {
          parsed = JSON.parse(Buffer.from(data, 'base64').toString());
        }
        return Array.isArray(parsed) ? parsed.length : 1;
      }
    }
  } catch {
    // unreadable: counted as unknown
  }
  return null;
}

async function page(name) {
  const t = TRACKERS[name];
  const fill = (js) => js.replaceAll('ORIGIN', ORIGIN);
  let load;
  if (t.snippet) {
    load = `window.__t0 = performance.now();\n${await readFile(join(root, t.snippet), 'utf8')}\n${fill(t.start)}`;
  } else {
    const attrs = Object.entries(t.attributes || {}).map(([k, v]) => `s.setAttribute(${JSON.stringify(k)}, ${JSON.stringify(fill(v))});`).join('\n');
    load = `var s = document.createElement('script'); s.async = true; s.src = ${JSON.stringify(t.files[0])};
${attrs}
s.onload = function () {\n${fill(t.start)}\n};
window.__t0 = performance.now();
document.head.appendChild(s);`;
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>bench ${name}</title></head><body><p>bench</p><script>
window.__started = function () { window.__startedAt = performance.now(); };
${fill(t.setup || '')}
${load}
</script></body></html>`;
}

// ---- in the page ----

// Waits for the tracker, sends the first event now, and resolves when its request was answered.
async function readyInPage({ props, events }) {
  const deadline = performance.now() + 20_000;
  while (!window.__startedAt) {
    if (performance.now() > deadline) throw new Error('the tracker never started');
    await new Promise((r) => setTimeout(r, 5));
  }
  window.__track(props, true);
  const re = new RegExp(events);
  for (;;) {
    const sent = performance.getEntriesByType('resource').filter((e) => re.test(new URL(e.name).pathname + new URL(e.name).search) && e.responseEnd > 0);
    if (sent.length) return { readyMs: sent[0].responseEnd - window.__t0, startedMs: window.__startedAt - window.__t0 };
    if (performance.now() > deadline) throw new Error('the first event was never answered');
    await new Promise((r) => setTimeout(r, 5));
  }
}

// `calls` track calls in tasks of `chunk`; returns the time inside the calls and long tasks.
async function trackInPage({ props, calls, chunk, settleMs }) {
  const longTasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });
  let inside = 0;
  let whole = 0;
  let maxChunk = 0;
  const yieldTask = () => new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => r();
    ch.port2.postMessage(0);
  });
  for (let done = 0; done < calls; done += chunk) {
    const t0 = performance.now();
    for (let i = done; i < done + chunk && i < calls; i++) {
      props.seats = i;
      window.__track(props, false);
    }
    const dt = performance.now() - t0;
    inside += dt;
    if (dt > maxChunk) maxChunk = dt;
    await yieldTask();
    // Up to the next task: what a tracker leaves for the end of the task (microtasks) counts
    // here too, as does anything else that ran before the next task (its timers, answers).
    whole += performance.now() - t0;
  }
  await new Promise((r) => setTimeout(r, settleMs));
  observer.disconnect();
  return { insideMs: inside, wholeMs: whole, maxChunkMs: maxChunk, longTasks };
}

// ---- the run ----

// A fresh browser per tracker, so one tracker crashing its renderer cannot touch the next.
let browser;
const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// How long 10,000 calls may take before a tracker is measured on 1,000: 3 ms a call, several
// times the slowest peer that finishes. Those that miss it stop answering or take several
// ms a call (60 s, the earlier limit, changed no outcome and cost the suite 2 minutes).
const TRACK_TIMEOUT_MS = 30_000;
const within = (promise, ms, what) => Promise.race([promise, new Promise((_, fail) => setTimeout(() => fail(new Error(`${what}: no answer in ${ms / 1000} s`)), ms))]);

async function load(name) {
  reset(name);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${ORIGIN}/page/${name}`);
  const ready = await page.evaluate(readyInPage, { props: EVENT.properties, events: TRACKERS[name].events.source });
  return { context, page, errors, ready };
}

const quiet = async (predicate, ms) => {
  const deadline = Date.now() + ms;
  let last = log.length;
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 200));
    if (log.length !== last) {
      last = log.length;
      lastChange = Date.now();
    }
  }
  return predicate();
};

const results = { origin: ORIGIN, runs: RUNS, calls: CALLS, chunk: CHUNK, wireEvents: WIRE_EVENTS, trackers: {} };
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : Object.keys(TRACKERS);
for (const name of only) {
  const r = { config: TRACKERS[name].config, calls: CALLS, ready: [], track: [], errors: [], downloaded: [], other: [] };
  results.trackers[name] = r;
  browser = await launch();
  results.chromium = browser.version();
  try {
    for (let run = 0; run < RUNS; run++) {
      const { context, page, errors, ready } = await load(name);
      r.ready.push(ready.readyMs);
      if (run === 0) {
        const firstEvent = log.findIndex((e) => e.kind === 'event');
        r.downloaded = [...new Set(log.slice(0, firstEvent < 0 ? log.length : firstEvent).filter((e) => e.kind === 'file').map((e) => e.file))];
      }
      let t;
      try {
        t = await within(page.evaluate(trackInPage, { props: { ...EVENT.properties }, calls: r.calls, chunk: CHUNK, settleMs: 2000 }), TRACK_TIMEOUT_MS, `${r.calls} calls`);
      } catch (e) {
        // A tracker that cannot take 10,000 calls is measured on 1,000 (the report says so).
        if (r.calls === WIRE_EVENTS) throw e;
        r.failedCalls = `${r.calls} calls: ${String(e.message || e).split('\n')[0]}`;
        console.error(`bench browser: ${name}: ${r.failedCalls}; measuring ${WIRE_EVENTS} calls instead`);
        r.calls = WIRE_EVENTS;
        await browser.close().catch(() => {});
        browser = await launch();
        run--;
        continue;
      }
      r.track.push({ perCallUs: (t.insideMs * 1000) / r.calls, taskUs: (t.wholeMs * 1000) / r.calls, maxChunkMs: t.maxChunkMs, longTasks: t.longTasks });
      r.other.push(...log.filter((e) => e.kind === 'other').map((e) => `${e.method} ${e.path}`));
      r.errors.push(...errors);
      await context.close();
      console.error(`bench browser: ${name} run ${run + 1}/${RUNS}: ready ${ready.readyMs.toFixed(1)} ms, ${r.track.at(-1).perCallUs.toFixed(2)} µs/call (${r.track.at(-1).taskUs.toFixed(2)} to the next task), ${t.longTasks.length} long tasks`);
    }

    // Wire: 1,000 events (after the first one, which is not counted), all delivered.
    const { context, page, errors } = await load(name);
    await quiet(() => false, 500);
    const before = log.length;
    await page.evaluate(trackInPage, { props: { ...EVENT.properties }, calls: WIRE_EVENTS, chunk: CHUNK, settleMs: 0 });
    if (name === 'wasmtrack') await page.evaluate(() => window._wtq.push(['flush']));
    const wire = () => log.slice(before).filter((e) => e.kind === 'event');
    const counted = () => wire().reduce((n, e) => n + (e.events ?? 0), 0);
    await quiet(() => counted() >= WIRE_EVENTS, 30_000);
    // Trackers whose format cannot be counted: wait until they stop sending.
    if (wire().some((e) => e.events === null)) {
      let n = -1;
      while (n !== wire().length) {
        n = wire().length;
        await new Promise((res) => setTimeout(res, 6000));
      }
    }
    const reqs = wire();
    r.wire = {
      requests: reqs.length,
      bytes: reqs.reduce((n, e) => n + e.bytes, 0),
      eventsSeen: reqs.some((e) => e.events === null) ? null : counted(),
    };
    r.errors.push(...errors);
    await context.close();
    console.error(`bench browser: ${name} wire: ${JSON.stringify(r.wire)}`);
  } catch (e) {
    r.failed = String(e && e.stack || e);
    r.other.push(...log.filter((e) => e.kind !== 'file').map((e) => `${e.method || e.kind} ${e.path}`));
    console.error(`bench browser: ${name} failed: ${r.failed}`);
  }
  r.other = [...new Set(r.other)];
  r.errors = [...new Set(r.errors)].slice(0, 10);
  await browser.close().catch(() => {});
}

server.close();
await writeFile(outPath, JSON.stringify(results, null, 2));
