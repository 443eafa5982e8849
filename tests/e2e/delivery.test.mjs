// Delivery that loses nothing (SPEC §4), told as stories in headless Chromium against the real
// collector: pages left at once, a collector that is down, offline browsers, a collector that
// pushes back, several tabs, pages left before the script loaded, broken storage, consent.
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
const TICK = { label: 'Tick', name: 'tick', propertyDefinitions: [{ name: 'n', label: 'N', type: 'number' }] };

let browser;
let site; // serves the pages and dist/
let pages;

before(async () => {
  browser = await launch();
  pages = await mkdtemp(join(tmpdir(), 'wasmtrack-delivery-'));
  site = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages }, delays: { '/dist/wasmtrack.js?slow': 10_000 } });
  await writeFile(join(pages, 'blank.html'), '<!doctype html><link rel="icon" href="data:,"><title>elsewhere</title>');
});
after(async () => {
  await browser?.close();
  await site?.close();
});

// A page of the site with the stub snippet and the script tag sending to `collector`.
async function sitePage(name, collector, { attrs = '', script = '/dist/wasmtrack.js' } = {}) {
  await writeFile(join(pages, `${name}.html`), `<!doctype html><html><head><title>${name}</title><link rel="icon" href="data:,">
<script>${STUB}</script>
<script async src="${script}" data-collector="${collector}" data-site="demo" data-auto-page-view="false" ${attrs}></script>
</head><body><h1>${name}</h1></body></html>`);
  return `${site.origin}/${name}.html`;
}

async function collectorWithTick(options = {}) {
  const collector = await startCollector({ siteOrigins: [site.origin], ...options });
  const created = await collector.api('POST', '/events/v3/event-definitions', TICK);
  assert.ok([201, 409].includes(created.status), JSON.stringify(created.body));
  return collector;
}

async function ready(page) {
  await page.waitForFunction(() => window._wtq.wasmtrack && window._wtq.length === 0);
}

function track(page, from, to) {
  return page.evaluate(([a, b]) => {
    for (let i = a; i < b; i++) window._wtq.push(['trackCustomBehavioralEvent', { name: 'tick', properties: { n: i } }]);
  }, [from, to]);
}

function numbers(events) {
  return events.map((e) => Number(e.properties.n)).sort((a, b) => a - b);
}

function range(from, to) {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

test('200 events tracked on a page that is left at once are all stored, once each', async () => {
  const collector = await collectorWithTick();
  try {
    const page = await browser.newPage();
    await page.goto(await sitePage('leave-at-once', collector.origin));
    await ready(page);
    await page.evaluate(() => {
      for (let i = 0; i < 200; i++) window._wtq.push(['trackCustomBehavioralEvent', { name: 'tick', properties: { n: i } }]);
      location.href = '/blank.html';
    }).catch(() => {}); // the page navigates away under the evaluation
    await page.waitForURL('**/blank.html');
    const stored = await collector.waitForEvents('tick', 200);
    assert.deepEqual(numbers(stored), range(0, 200));
    await page.close();
  } finally {
    await collector.stop();
  }
});

test('events tracked while the collector is down arrive after two reloads, once each, without another action', async () => {
  const collector = await collectorWithTick();
  const { port, data } = collector;
  await collector.stop();
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(await sitePage('collector-down', `http://127.0.0.1:${port}`));
  await ready(page);
  await track(page, 0, 50);
  await page.waitForTimeout(300);
  await page.reload();
  await ready(page);
  await page.reload();
  await ready(page);
  const back = await collectorWithTick({ port, dataDir: data });
  try {
    const stored = await back.waitForEvents('tick', 50);
    assert.deepEqual(numbers(stored), range(0, 50));
    // The connection errors are the browser's own console lines; nothing was thrown.
    assert.deepEqual(errors.filter((e) => !e.includes('ERR_CONNECTION_REFUSED')), []);
    await page.close();
  } finally {
    await back.stop();
  }
});

test('events tracked offline are sent when the browser is back online', async () => {
  const collector = await collectorWithTick();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(await sitePage('offline', collector.origin));
    await ready(page);
    await context.setOffline(true);
    await track(page, 0, 30);
    await page.evaluate(() => window._wtq.push(['flush']));
    await page.waitForTimeout(2_500);
    assert.equal((await collector.events('tick')).length, 0);
    await context.setOffline(false);
    const stored = await collector.waitForEvents('tick', 30);
    assert.deepEqual(numbers(stored), range(0, 30));
  } finally {
    await context.close();
    await collector.stop();
  }
});

test('a collector answering 503 three times, then 429 with Retry-After, gets every event once, on the backoff schedule', async () => {
  const collector = await collectorWithTick();
  const proxy = await startFaultProxy({ target: collector.origin, faults: [503, 503, 503, { status: 429, retryAfter: 1 }] });
  try {
    const page = await browser.newPage();
    await page.goto(await sitePage('pushback', proxy.origin));
    await ready(page);
    await track(page, 0, 5);
    await page.evaluate(() => window._wtq.push(['flush']));
    const stored = await collector.waitForEvents('tick', 5);
    assert.deepEqual(numbers(stored), range(0, 5));
    assert.deepEqual(proxy.requests.map((r) => r.status), [503, 503, 503, 429, 200]);
    assert.ok(proxy.requests.every((r) => r.ids.length === 5 && r.ids.join() === proxy.requests[0].ids.join()), 'the same batch each time');
    // Equal-jitter backoff (core::retry): after failure k the wait is in [2^(k-1)/2, 2^(k-1)] s;
    // after the 429 it is exactly Retry-After. Timers may run a little late, never early.
    const gaps = proxy.requests.slice(1).map((r, i) => r.at - proxy.requests[i].at);
    const windows = [[500, 1000], [1000, 2000], [2000, 4000], [1000, 1000]];
    gaps.forEach((gap, i) => {
      const [low, high] = windows[i];
      assert.ok(gap >= low - 50 && gap <= high + 500, `retry ${i + 1} came after ${gap} ms, expected ${low}–${high} ms`);
    });
    await page.close();
  } finally {
    await proxy.close();
    await collector.stop();
  }
});

test('four tabs tracking 100 events each at once store 400 and send none twice', async () => {
  const collector = await collectorWithTick();
  const proxy = await startFaultProxy({ target: collector.origin });
  const context = await browser.newContext();
  try {
    const url = await sitePage('tabs', proxy.origin);
    const tabs = await Promise.all([0, 1, 2, 3].map(() => context.newPage()));
    await Promise.all(tabs.map((t) => t.goto(url)));
    await Promise.all(tabs.map(ready));
    await Promise.all(tabs.map((t, i) => track(t, i * 100, i * 100 + 100)));
    const stored = await collector.waitForEvents('tick', 400);
    assert.deepEqual(numbers(stored), range(0, 400));
    await new Promise((r) => setTimeout(r, 500));
    const sent = proxy.requests.flatMap((r) => r.ids);
    assert.equal(sent.length, 400, 'no event was sent twice');
    assert.equal(new Set(sent).size, 400);
  } finally {
    await context.close();
    await proxy.close();
    await collector.stop();
  }
});

test('calls pushed on a page left before the script loaded are sent from the next page', async () => {
  const collector = await collectorWithTick();
  try {
    const page = await browser.newPage();
    const first = await sitePage('left-early', collector.origin, { script: '/dist/wasmtrack.js?slow' });
    await page.goto(first, { waitUntil: 'domcontentloaded' });
    await track(page, 0, 3);
    assert.equal(await page.evaluate(() => window._wtq.length), 3, 'the script has not loaded');
    await page.goto(await sitePage('next-page', collector.origin));
    const stored = await collector.waitForEvents('tick', 3);
    assert.deepEqual(numbers(stored), [0, 1, 2]);
    assert.ok(stored.every((e) => e.defaultProperties.url === first), 'they keep the page they happened on');
    assert.equal(await page.evaluate(() => localStorage.getItem('wasmtrack:v1:stub')), null);
    await page.close();
  } finally {
    await collector.stop();
  }
});

for (const [story, setup] of [
  ['disabled', (context) => context.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('The operation is insecure.', 'SecurityError'); } });
  })],
  ['full', null],
]) {
  test(`with localStorage ${story}, tracking works from memory and nothing is thrown`, async () => {
    const collector = await collectorWithTick();
    const context = await browser.newContext();
    try {
      if (setup) await setup(context);
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(await sitePage(`storage-${story}`, collector.origin));
      await ready(page);
      if (story === 'full') {
        const filled = await page.evaluate(() => {
          let i = 0;
          try {
            for (;;) localStorage.setItem(`fill${i++}`, 'x'.repeat(100_000));
          } catch (e) {
            return e.name;
          }
        });
        assert.equal(filled, 'QuotaExceededError');
      }
      await track(page, 0, 10);
      await page.evaluate(() => window._wtq.push(['flush']));
      const stored = await collector.waitForEvents('tick', 10);
      assert.deepEqual(numbers(stored), range(0, 10));
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await collector.stop();
    }
  });
}

test('after optOut nothing is sent or written, across reloads', async () => {
  const collector = await collectorWithTick();
  const proxy = await startFaultProxy({ target: collector.origin });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(await sitePage('opt-out', proxy.origin));
    await ready(page);
    await page.evaluate(() => window._wtq.push(['optOut']));
    await track(page, 0, 5);
    await page.reload();
    await ready(page);
    await track(page, 5, 10);
    await page.evaluate(() => window._wtq.push(['flush']));
    await page.waitForTimeout(2_500);
    assert.equal(proxy.requests.length, 0, 'nothing sent');
    const keys = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('wasmtrack')));
    assert.deepEqual(keys, ['wasmtrack:v1:consent'], 'only the refusal itself is kept');
    assert.equal(await page.evaluate(() => localStorage.getItem('wasmtrack:v1:consent')), 'out');
    assert.deepEqual(await context.cookies(), []);
  } finally {
    await context.close();
    await proxy.close();
    await collector.stop();
  }
});

test('with requireConsent nothing is written or sent before optIn, and everything after', async () => {
  const collector = await collectorWithTick();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(await sitePage('consent', collector.origin, { attrs: 'data-require-consent' }));
    await ready(page);
    await track(page, 0, 5);
    await page.evaluate(() => window._wtq.push(['flush']));
    await page.waitForTimeout(2_500);
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), [], 'nothing written');
    assert.deepEqual(await context.cookies(), []);
    assert.equal((await collector.events('tick')).length, 0, 'nothing sent');
    await page.evaluate(() => window._wtq.push(['optIn']));
    const stored = await collector.waitForEvents('tick', 5);
    assert.deepEqual(numbers(stored), range(0, 5));
    assert.equal(await page.evaluate(() => localStorage.getItem('wasmtrack:v1:consent')), 'in');
  } finally {
    await context.close();
    await collector.stop();
  }
});

// The collector keeps the good events of a batch and names the ones it refused (here an event
// of COMPANY records, which a browser cannot name); each refused one reaches the page's
// `onWarning` once, with its name and the collector's reason, and is not sent again. An event
// nobody has defined yet is not refused: the collector holds it for replay.
test('an event the collector refuses is reported to onWarning with its reason, and not retried', async () => {
  const collector = await collectorWithTick();
  try {
    const company = await collector.api('POST', '/events/v3/event-definitions', { label: 'Account upgraded', name: 'account_upgraded', primaryObject: 'COMPANY' });
    assert.equal(company.status, 201, JSON.stringify(company.body));
    await writeFile(join(pages, 'refused.html'), `<!doctype html><html><head><title>refused</title><link rel="icon" href="data:,">
<script>${STUB}</script>
<script>
  window.refused = [];
  _wtq.push(['init', { collector: '${collector.origin}', site: 'demo', autoPageView: false, onWarning: (w) => window.refused.push(w) }]);
</script>
<script async src="/dist/wasmtrack.js"></script>
</head><body></body></html>`);
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${site.origin}/refused.html`);
    await ready(page);
    await page.evaluate(() => {
      _wtq.push(['trackCustomBehavioralEvent', { name: 'tick', properties: { n: 1 } }]);
      _wtq.push(['trackCustomBehavioralEvent', { name: 'account_upgraded', properties: { n: 2 } }]);
      _wtq.push(['trackCustomBehavioralEvent', { name: 'never_defined', properties: { n: 3 } }]);
      _wtq.push(['flush']);
    });
    await collector.waitForEvents('tick', 1);
    await page.waitForFunction(() => window.refused.some((w) => w.code === 'event_rejected'));
    const warnings = await page.evaluate(() => window.refused);
    const rejected = warnings.filter((w) => w.code === 'event_rejected');
    assert.equal(rejected.length, 1, JSON.stringify(warnings));
    assert.equal(rejected[0].event, 'account_upgraded');
    assert.match(rejected[0].name, /account_upgraded.*COMPANY records/);
    assert.equal(rejected[0].message, 'collector refused an event; it will not be retried');
    // Not retried: a second flush sends nothing more, and no other warning came.
    await page.evaluate(() => _wtq.push(['flush']));
    await page.waitForTimeout(500);
    assert.equal((await page.evaluate(() => window.refused)).length, 1);
    const held = await collector.api('GET', '/v1/held');
    assert.deepEqual(held.body.results.map((h) => [h.name, h.count]), [['never_defined', 1]]);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await collector.stop();
  }
});
