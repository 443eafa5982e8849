// What delivery costs on the wire (issue 18): the benchmark's burst of 1,000 events of 10
// properties reaches the real collector in a few gzipped requests, each a CORS simple request,
// and every event is stored once. Bytes are counted as the benchmark counts them (URL + body),
// at a proxy in front of the collector that forwards the compressed bodies as they came.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaptureServer } from './support/capture-server.mjs';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector } from './support/collector.mjs';
import { startFaultProxy } from './support/fault-proxy.mjs';

const DIST = new URL('../../dist/', import.meta.url).pathname;
const STUB = await readFile(new URL('../../js/stub.js', import.meta.url), 'utf8');
const EVENT = JSON.parse(await readFile(new URL('../../bench/event.json', import.meta.url), 'utf8'));
const DEFINITION = {
  label: 'Trial started',
  name: EVENT.name,
  propertyDefinitions: Object.entries(EVENT.properties).map(([name, v]) => ({ name, label: name, type: typeof v === 'number' ? 'number' : 'string' })),
};

let browser;
let site;
let pages;

before(async () => {
  browser = await launch();
  pages = await mkdtemp(join(tmpdir(), 'wasmtrack-wire-'));
  site = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages } });
});
after(async () => {
  await browser?.close();
  await site?.close();
});

test('a burst of 1,000 ten-property events reaches the collector gzipped, in at most 20 simple requests of at most 80 bytes an event', async () => {
  const collector = await startCollector({ siteOrigins: [site.origin] });
  const proxy = await startFaultProxy({ target: collector.origin });
  try {
    const created = await collector.api('POST', '/events/v3/event-definitions', DEFINITION);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await writeFile(join(pages, 'burst.html'), `<!doctype html><html><head><title>burst</title><link rel="icon" href="data:,">
<script>${STUB}</script>
<script async src="/dist/wasmtrack.js" data-collector="${proxy.origin}" data-site="demo" data-auto-page-view="false"></script>
</head><body></body></html>`);
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${site.origin}/burst.html`);
    await page.waitForFunction(() => window._wtq.wasmtrack && window._wtq.length === 0);
    // As the benchmark tracks them: 10 tasks of 100 calls, then a flush.
    await page.evaluate(async (event) => {
      const props = { ...event.properties };
      for (let i = 0; i < 1000; i++) {
        props.seats = i;
        window._wtq.push(['trackCustomBehavioralEvent', { name: event.name, properties: props }]);
        if (i % 100 === 99) await new Promise((r) => setTimeout(r, 0));
      }
      window._wtq.push(['flush']);
    }, EVENT);
    const stored = await collector.waitForEvents(EVENT.name, 1000);
    assert.equal(stored.length, 1000);
    assert.deepEqual(stored.map((e) => Number(e.properties.seats)).sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
    assert.equal(stored[0].properties.label, EVENT.properties.label);

    const sent = proxy.requests;
    const ids = sent.flatMap((r) => r.ids);
    assert.equal(new Set(ids).size, 1000, 'each event sent once');
    assert.equal(ids.length, 1000);
    assert.ok(sent.length <= 20, `${sent.length} requests`);
    assert.ok(sent.every((r) => r.gzip && r.status === 200), JSON.stringify(sent.map((r) => [r.gzip, r.status])));
    assert.ok(sent.every((r) => r.contentType.startsWith('text/plain')), 'a simple request');
    assert.equal(proxy.preflights, 0, 'no preflight');
    const perEvent = sent.reduce((n, r) => n + r.bytes, 0) / 1000;
    assert.ok(perEvent <= 80, `${perEvent} bytes an event`);
    assert.deepEqual(errors, []);
    console.log(`wire: ${sent.length} requests, ${perEvent.toFixed(1)} bytes an event, batches of ${sent.map((r) => r.ids.length).join(', ')}`);
    await page.close();
  } finally {
    await proxy.close();
    await collector.stop();
  }
});
