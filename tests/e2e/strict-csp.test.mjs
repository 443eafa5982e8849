// Story: a site whose Content-Security-Policy does not allow 'wasm-unsafe-eval' installs the
// script tag. The browser refuses to compile the tracker's wasm, so the loader imports the same
// tracker as JavaScript (dist/wasmtrack.asm.js), and every event still reaches the real
// collector, in order, however strict the policy's style: a host allowlist, a nonce with
// 'strict-dynamic', or a nonce alone. Pages that allow WebAssembly never download that file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaptureServer } from './support/capture-server.mjs';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector } from './support/collector.mjs';

const DIST = new URL('../../dist/', import.meta.url).pathname;
const NONCE = 'c3RyaWN0LWNzcC10ZXN0';
// Enough events, queued at once, for the tracker's memory to grow (it starts with ~60 KB of
// heap): the JS build's memory must grow as the wasm's does, and the glue follow it.
const EVENTS = 2_000;

let browser;
let collector; // the real collector, which stores the events
let site; // serves the pages (with their policies) and dist/
let pages;
let headers; // each page's response headers (its policy), served by `site`

// Each story's page and its policy; `name` is also the event the story tracks.
const POLICIES = {
  allowlist: "script-src 'self'",
  strict_dynamic: `script-src 'nonce-${NONCE}' 'strict-dynamic'`,
  nonce_only: `script-src 'nonce-${NONCE}'`,
  wasm_allowed: "script-src 'self' 'wasm-unsafe-eval'",
};

before(async () => {
  browser = await launch();
  pages = await mkdtemp(join(tmpdir(), 'wasmtrack-csp-'));
  // Filled in below: a policy names the collector, which must know the pages' origin first.
  headers = {};
  site = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages }, headers });
  collector = await startCollector({ siteOrigins: [site.origin] });
  for (const [name, scripts] of Object.entries(POLICIES)) {
    // connect-src: the wasm's fetch from the pages' own origin, and the events' to the collector.
    headers[`/${name}.html`] = { 'content-security-policy': `default-src 'none'; img-src data:; ${scripts}; connect-src 'self' ${collector.origin}` };
    const created = await collector.api('POST', '/events/v3/event-definitions', {
      label: name,
      name,
      propertyDefinitions: [
        { name: 'n', label: 'N', type: 'number' },
        { name: 'note', label: 'Note', type: 'string' },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
});
after(async () => {
  await browser?.close();
  await site?.close();
  await collector?.stop();
});

// A page of the site: the stub, a script of the site's own that starts the tracker and keeps
// its warnings, and the script tag: external files (an allowlist refuses inline scripts), each
// carrying the nonce (which a nonce policy requires, and an allowlist ignores).
async function sitePage(name, attrs = '') {
  await writeFile(join(pages, `${name}-setup.js`), `window.warnings = [];
_wtq.push(['init', { collector: '${collector.origin}', site: 'demo', autoPageView: false, maxQueueEvents: 5000, onWarning: (w) => warnings.push(w.code) }]);`);
  await writeFile(join(pages, `${name}.html`), `<!doctype html><html><head><title>${name}</title><link rel="icon" href="data:,">
<script nonce="${NONCE}" src="/dist/stub.js"></script>
<script nonce="${NONCE}" src="/${name}-setup.js"></script>
<script async nonce="${NONCE}" src="/dist/wasmtrack.js" ${attrs}></script>
</head><body><h1>${name}</h1></body></html>`);
  return `${site.origin}/${name}.html`;
}

// Opens `url` and records what it downloads, what it throws, and how often the tracker's memory
// grew in the JS build (each growth detaches the old buffer by `structuredClone`, see
// xtask/src/wasm2js.rs).
async function open(url) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.addInitScript(() => {
    window.detached = 0;
    const clone = structuredClone;
    window.structuredClone = (value, options) => {
      if (options && options.transfer) window.detached++;
      return clone(value, options);
    };
  });
  await page.goto(url);
  await page.waitForFunction(() => window._wtq.wasmtrack && window._wtq.length === 0);
  return { page, errors, requested };
}

const noteOf = (n) => `event ${n} of a page with a strict policy`;

// `EVENTS` events named `name`, numbered, one of them with a note over the value limit.
function track(page, name) {
  const notes = Array.from({ length: EVENTS }, (_, n) => (n === 7 ? 'x'.repeat(300) : noteOf(n)));
  return page.evaluate(([name, notes]) => {
    notes.forEach((note, n) => window._wtq.push(['trackCustomBehavioralEvent', { name, properties: { n, note } }]));
    window._wtq.push(['flush']);
  }, [name, notes]);
}

// Every stored event named `name`, oldest first, page by page.
async function stored(name) {
  const events = [];
  let after = '';
  for (;;) {
    const res = await collector.api('GET', `/events/v3/events?eventType=${name}&sort=occurredAt&limit=1000${after}`);
    events.push(...res.body.results);
    if (!res.body.paging) return events;
    after = `&after=${encodeURIComponent(res.body.paging.next.after)}`;
  }
}

async function waitForStored(name, count, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const events = await stored(name);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Every event once, its note intact (the tracker read it from its memory after growing it),
// and occurring no earlier than the one tracked before it, give or take the clock correction
// the collector makes for each batch (by the batch's `sent` time; a few ms).
function assertAllInOrder(events) {
  const tracked = [...events].sort((a, b) => a.properties.n - b.properties.n);
  assert.deepEqual(tracked.map((e) => Number(e.properties.n)), Array.from({ length: EVENTS }, (_, i) => i), 'every event once');
  assert.deepEqual(tracked.map((e) => e.properties.note).filter((note, n) => n !== 7 && note !== noteOf(n)), []);
  const times = tracked.map((e) => new Date(e.occurredAt).getTime());
  assert.deepEqual(times.filter((t, i) => i > 0 && t < times[i - 1] - 500), [], 'in the order they were tracked');
  return tracked;
}

const STRICT = {
  allowlist: 'a host allowlist',
  strict_dynamic: "a nonce with 'strict-dynamic'",
  nonce_only: 'a nonce alone',
};
for (const [name, style] of Object.entries(STRICT)) {
  test(`a page whose CSP is ${style} without 'wasm-unsafe-eval' tracks ${EVENTS} events with the JS build, in order`, async () => {
    const { page, errors, requested } = await open(await sitePage(name));
    await track(page, name);
    const events = assertAllInOrder(await waitForStored(name, EVENTS));
    assert.equal(events[7].properties.note.length, 256, 'the long note truncated to the limit');
    assert.ok(events.every((e) => e.defaultProperties.url === page.url()));
    assert.deepEqual(await page.evaluate(() => window.warnings), ['value_truncated'], 'onWarning works in the JS build');
    assert.ok(requested.includes('/dist/wasmtrack.asm.js'), requested.join(' '));
    assert.ok((await page.evaluate(() => window.detached)) > 0, 'its memory grew');
    assert.deepEqual(errors, []);
    await page.close();
  });
}

test("a page that allows 'wasm-unsafe-eval' tracks with the wasm and never downloads the JS build", async () => {
  const name = 'wasm_allowed';
  const { page, errors, requested } = await open(await sitePage(name));
  await track(page, name);
  assertAllInOrder(await waitForStored(name, EVENTS));
  assert.deepEqual(await page.evaluate(() => window.warnings), ['value_truncated']);
  assert.ok(requested.includes('/dist/wasmtrack.wasm'), requested.join(' '));
  assert.ok(!requested.includes('/dist/wasmtrack.asm.js'), requested.join(' '));
  assert.deepEqual(errors, []);
  await page.close();
});

// Only the refusal leads to the JS build: a wasm file that cannot be fetched stays the one
// warning it was, without a 77 KB download.
test('a wasm file that cannot be fetched is a warning and does not download the JS build', async () => {
  const name = 'missing_wasm';
  const url = await sitePage(name, 'data-wasm="/nowhere.wasm"');
  const page = await browser.newPage();
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  const warned = new Promise((resolve) => page.on('console', (m) => m.type() === 'warning' && m.text().includes('could not load') && resolve(m.text())));
  await page.goto(url);
  assert.match(await warned, /404 .*nowhere\.wasm/);
  assert.ok(!requested.includes('/dist/wasmtrack.asm.js'), requested.join(' '));
  await page.close();
});

// Auto-tracking is a module of its own (crates/autotrack), which the tracker's loader imports
// once the site has rules: under the same policy it must come as JavaScript too
// (dist/autotrack.asm.js), and a click rule must still fire. Last: the rule is the site's.
test("a page whose CSP refuses WebAssembly still applies the site's click rules, with the JS build of the auto-tracking module", async () => {
  const rule = await collector.api('POST', '/v1/sites/demo/rules', { label: 'Strict heading clicked', kind: 'click', selector: 'h1', properties: [] });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const name = 'rules_strict';
  headers[`/${name}.html`] = headers['/nonce_only.html'];
  const { page, errors, requested } = await open(await sitePage(name));
  await page.waitForFunction(() => localStorage.getItem('wasmtrack:v1:rules')?.includes('h1'));
  await page.click('h1');
  await page.evaluate(() => window._wtq.push(['flush']));
  const events = await waitForStored(rule.body.eventName, 1, 15_000);
  assert.equal(events.length, 1, 'the click rule fired once');
  assert.equal(events[0].properties.element_text, name);
  for (const file of ['/dist/wasmtrack.asm.js', '/dist/autotrack.js', '/dist/autotrack.asm.js']) assert.ok(requested.includes(file), `${file}: ${requested.join(' ')}`);
  assert.ok(!requested.includes('/dist/autotrack.wasm'), requested.join(' '));
  assert.deepEqual(errors, []);
  await page.close();
});
