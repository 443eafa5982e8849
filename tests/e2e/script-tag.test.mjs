// Story: a site owner pastes the stub snippet and the async script tag. Calls pushed before the
// script has loaded are replayed in order once it is ready, later pushes run at once, and every
// event reaches the collector exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaptureServer } from './support/capture-server.mjs';
import { launch, watchErrors } from './support/browser.mjs';

const DIST = new URL('../../dist/', import.meta.url).pathname;
let browser;
let pages;

before(async () => {
  browser = await launch();
  pages = await mkdtemp(join(tmpdir(), 'wasmtrack-e2e-'));
});
after(async () => browser?.close());

function stubPage(queue, origin) {
  return `<!doctype html><html><head><title>Stub snippet</title>
<script>
  window.${queue} = window.${queue} || [];
  ${queue}.push(['identify', { email: 'ada@example.com' }]);
  ${queue}.push(['trackCustomBehavioralEvent', { name: 'signup_started', properties: { plan: 'pro', seats: 3 } }]);
  ${queue}.push(['trackCustomBehavioralEvent', { name: 'video_played', properties: { title: 'Intro', tags: ['a', 'b'], at: new Date(1700000000000) } }]);
</script>
<script async src="/dist/wasmtrack.js" data-collector="${origin}" data-site="site-1"${queue === '_wtq' ? '' : ` data-queue="${queue}"`}></script>
</head><body><h1>Shop</h1></body></html>`;
}

for (const queue of ['_wtq', '_hsq']) {
  test(`calls pushed to ${queue} before the script loads arrive once, in order`, async () => {
    const server = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages }, delays: { '/dist/wasmtrack.js': 400 } });
    try {
      await writeFile(join(pages, `${queue}.html`), stubPage(queue, server.origin));
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${server.origin}/${queue}.html`, { waitUntil: 'domcontentloaded' });
      // The script is still held back by the server: the calls wait in the stub's array.
      assert.equal(await page.evaluate((q) => window[q].length, queue), 3);
      await page.waitForLoadState('load');
      await page.waitForFunction((q) => window[q].length === 0 && window[q].wasmtrack, queue);
      // After loading, a push runs at once.
      await page.evaluate((q) => {
        window[q].push(['trackCustomBehavioralEvent', { name: 'after_load', properties: { n: 1 } }]);
        window[q].push(['flush']);
      }, queue);
      const events = await server.waitFor((e) => e.some((x) => x.name === 'after_load'));
      assert.deepEqual(events.map((e) => e.name), ['$pageview', '$identify', 'signup_started', 'video_played', 'after_load']);
      assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'every event id once');
      const byName = Object.fromEntries(events.map((e) => [e.name, e]));
      assert.deepEqual(byName.signup_started.p, { plan: 'pro', seats: '3' });
      assert.deepEqual(byName.video_played.p, { title: 'Intro', tags: 'a;b', at: '1700000000000' });
      assert.deepEqual(byName.after_load.p, { n: '1' });
      assert.equal(byName.signup_started.email, 'ada@example.com');
      assert.equal(byName.$pageview.d.title, 'Stub snippet');
      assert.equal(byName.$pageview.d.path, `/${queue}.html`);
      assert.ok(events.every((e) => e.vid === events[0].vid && e.sid === events[0].sid));
      assert.ok(server.batches.every((b) => b.contentType.startsWith('text/plain')), 'simple CORS requests');
      assert.ok(server.batches.every((b) => b.batch.site === 'site-1'));
      // Nothing more arrives later (no duplicate from the timer or page hide).
      await page.close({ runBeforeUnload: true });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(server.events().length, events.length);
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  });
}

// Track calls are copied when made and handed to the tracker at the end of the task
// (js/commands.js): a page that reuses one properties object in a loop, changes a date or an
// array afterwards, or calls `identify` between events gets exactly what it passed, in order.
test('track calls keep what the page passed at the call, in order with the other commands', async () => {
  const server = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages } });
  try {
    await writeFile(join(pages, 'copies.html'), stubPage('_wtq', server.origin));
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.origin}/copies.html`);
    await page.waitForFunction(() => window._wtq.wasmtrack && window._wtq.length === 0);
    await page.evaluate(() => {
      const props = { step: 0, when: new Date(1700000000000), tags: ['x'] };
      for (let i = 1; i <= 3; i++) {
        props.step = i;
        _wtq.push(['trackCustomBehavioralEvent', { name: 'looped', properties: props }]);
      }
      props.when.setTime(1800000000000);
      props.tags.push('changed');
      _wtq.push(['identify', { email: 'grace@example.com' }]);
      _wtq.push(['trackCustomBehavioralEvent', { name: 'after_identify', properties: { get boom() { throw new Error('no'); }, fine: 1 } }]);
      _wtq.push(['flush']);
    });
    const events = await server.waitFor((e) => e.some((x) => x.name === 'after_identify'));
    const later = events.slice(events.findIndex((e) => e.name === 'looped'));
    assert.deepEqual(later.map((e) => e.name), ['looped', 'looped', 'looped', '$identify', 'after_identify']);
    assert.deepEqual(later.slice(0, 3).map((e) => e.p), [1, 2, 3].map((step) => ({ step: String(step), when: '1700000000000', tags: 'x' })));
    assert.notEqual(later[0].email, 'grace@example.com', 'the events before identify were tracked before it');
    assert.deepEqual(later[4].p, { fine: '1' }, 'a throwing getter drops that property only');
    assert.equal(later[4].email, 'grace@example.com');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.close();
  }
});

test('events still queued when the page is left go out by beacon', async () => {
  const server = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages } });
  try {
    await writeFile(join(pages, 'leave.html'), stubPage('_wtq', server.origin));
    const page = await browser.newPage();
    await page.goto(`${server.origin}/leave.html`);
    await page.waitForFunction(() => window._wtq.wasmtrack && window._wtq.length === 0);
    await page.evaluate(() => _wtq.push(['trackCustomBehavioralEvent', { name: 'last_words' }]));
    await page.goto('about:blank');
    const events = await server.waitFor((e) => e.some((x) => x.name === 'last_words'));
    // A beacon has no answer, so its events stay stored and may be sent again (at-least-once);
    // they keep their one id, which the collector stores once (SPEC §4).
    const sent = events.filter((e) => e.name === 'last_words');
    assert.equal(new Set(sent.map((e) => e.id)).size, 1);
    await page.close();
  } finally {
    await server.close();
  }
});

// Many static hosts send `.wasm` as `application/octet-stream`, which streaming compilation
// refuses: the tracker must still start, from the downloaded bytes.
test('a server that does not say application/wasm still gets a working tracker', async () => {
  const server = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages }, types: { '.wasm': 'application/octet-stream' } });
  try {
    await writeFile(join(pages, 'mime.html'), stubPage('_wtq', server.origin));
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.origin}/mime.html`);
    await page.waitForFunction(() => window._wtq.wasmtrack && window._wtq.length === 0);
    await page.evaluate(() => _wtq.push(['flush']));
    const events = await server.waitFor((e) => e.some((x) => x.name === 'video_played'));
    assert.deepEqual(events.map((e) => e.name), ['$pageview', '$identify', 'signup_started', 'video_played']);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.close();
  }
});

// A missing wasm file is the site's deployment problem: one console warning naming it, no
// exception in the page, and the page's own calls still do not throw.
test('a wasm file that cannot be fetched is a warning, not a page error', async () => {
  const server = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages } });
  try {
    await writeFile(join(pages, 'missing.html'), stubPage('_wtq', server.origin).replace('data-site=', 'data-wasm="/nowhere.wasm" data-site='));
    const page = await browser.newPage();
    const thrown = [];
    page.on('pageerror', (e) => thrown.push(String(e)));
    const warned = new Promise((resolve) => page.on('console', (m) => m.type() === 'warning' && m.text().includes('could not load') && resolve(m.text())));
    await page.goto(`${server.origin}/missing.html`);
    assert.match(await warned, /404 .*nowhere\.wasm/);
    await page.evaluate(() => _wtq.push(['trackCustomBehavioralEvent', { name: 'still_fine' }]));
    assert.deepEqual(thrown, []);
    assert.equal(server.events().length, 0);
    await page.close();
  } finally {
    await server.close();
  }
});

// A page script that throws through the tracker (here a page's `Date.now` that throws, while
// the tracker is queueing an event) leaves its state mid-change. The page never sees an
// exception, and from then on every call says `tracker_unavailable` rather than pretending
// `init` never ran.
test('a tracker a page script broke says tracker_unavailable, not not_initialized', async () => {
  const server = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages } });
  try {
    await writeFile(join(pages, 'trap.html'), stubPage('_wtq', server.origin));
    const page = await browser.newPage();
    const thrown = [];
    page.on('pageerror', (e) => thrown.push(String(e)));
    const warnings = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await page.goto(`${server.origin}/trap.html`);
    await page.waitForFunction(() => window._wtq.wasmtrack && window._wtq.length === 0);
    await page.evaluate(() => _wtq.push(['flush']));
    await server.waitFor((e) => e.some((x) => x.name === 'video_played'));
    await page.evaluate(async () => {
      const now = Date.now;
      Date.now = () => { throw new Error('hostile page'); };
      _wtq.push(['trackCustomBehavioralEvent', { name: 'while_broken' }]);
      // The tracker takes a task's track calls at its end (js/commands.js), in a microtask
      // queued by the first call: this one runs after it, while `Date.now` still throws.
      await Promise.resolve();
      Date.now = now;
      _wtq.push(['trackCustomBehavioralEvent', { name: 'after_broken' }]);
      await Promise.resolve();
    });
    const unavailableNow = () => warnings.filter((w) => w.includes('tracker stopped after an internal error'));
    for (let i = 0; i < 40 && unavailableNow().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const unavailable = unavailableNow();
    assert.equal(unavailable.length, 2, `once when it broke, once for the next call: ${warnings.join(' | ')}`);
    assert.ok(!warnings.some((w) => w.includes('call made before init')), warnings.join(' | '));
    assert.deepEqual(thrown, []);
    await page.close();
  } finally {
    await server.close();
  }
});
