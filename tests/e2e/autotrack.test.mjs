// Story: a marketer has defined a click event and page-view events in the visualizer; every
// visitor's tracker now records them — clicks through one delegated listener (even when the
// page stops the click's propagation), page views on load and on single-page-app navigation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaptureServer } from './support/capture-server.mjs';
import { launch, watchErrors } from './support/browser.mjs';

const DIST = new URL('../../dist/', import.meta.url).pathname;
const STUB = await readFile(new URL('../../js/stub.js', import.meta.url), 'utf8');
const RULES = [
  { id: 1, eventName: 'pro_cta_clicked', label: 'Pro CTA clicked', kind: 'click', selector: '#buy-pro', properties: [{ name: 'plan', source: 'attr:data-plan' }] },
  { id: 2, eventName: 'viewed_pricing', label: 'Viewed pricing', kind: 'pageview', match: 'startsWith', value: '/app/pricing', properties: [] },
  { id: 3, eventName: 'viewed_checkout', label: 'Viewed checkout', kind: 'pageview', match: 'pattern', value: '/app/*/checkout', properties: [] },
];

let browser;
let server;
let pages;

before(async () => {
  browser = await launch();
  pages = await mkdtemp(join(tmpdir(), 'wasmtrack-autotrack-'));
  server = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages }, rules: RULES });
  await writeFile(join(pages, 'app.html'), `<!doctype html><html><head><title>App</title><link rel="icon" href="data:,">
<script>${STUB}</script>
<script async src="/dist/wasmtrack.js" data-collector="${server.origin}" data-site="demo" data-auto-page-view="false"></script>
</head><body>
<button id="buy-pro" data-plan="pro"><svg width="10" height="10"><path d="M0 0h10v10z"/></svg> Buy <b>Pro</b> now</button>
<button id="other">Other</button>
<script>document.getElementById('buy-pro').addEventListener('click', (e) => e.stopPropagation());</script>
</body></html>`);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('a click rule and page-view rules fire on load, on click and on pushState navigation', async () => {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${server.origin}/app.html`);
  await page.waitForFunction(() => window._wtq.wasmtrack);
  // The rules arrive from the collector; then the SPA moves to its pricing page.
  await page.waitForFunction(() => localStorage.getItem('wasmtrack:v1:rules'));
  await page.evaluate(() => history.pushState({}, '', '/app/pricing?plan=pro'));
  await page.click('#buy-pro svg');
  await page.click('#other');
  await page.evaluate(() => history.replaceState({}, '', '/app/eu/checkout'));
  await page.evaluate(() => history.pushState({}, '', '/app/about'));
  await page.evaluate(() => new Promise((resolve) => window._wtq.push(['flush'], resolve)));
  const events = await server.waitFor((e) => e.filter((x) => x.name !== '$pageview').length >= 3);
  const names = events.map((e) => e.name);
  assert.deepEqual(names, ['viewed_pricing', 'pro_cta_clicked', 'viewed_checkout']);
  const click = events[1];
  assert.deepEqual(click.p, { element_text: 'Buy Pro now', selector: '#buy-pro', plan: 'pro' });
  assert.equal(click.d.path, '/app/pricing');
  assert.equal(events[0].d.url, `${server.origin}/app/pricing?plan=pro`);
  assert.equal(events[2].d.path, '/app/eu/checkout');
  assert.deepEqual(errors, []);
  await page.close();
});

// Auto-tracking is a module of its own (crates/autotrack), loaded only for a site whose rule
// list has a rule: other sites never download it, and a click made while it loads (here the
// server holds its wasm back) is tracked once it is ready, after the page view it followed.
test('only a site with rules downloads the auto-tracking module, and clicks made while it loads count', async () => {
  const bare = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages }, rules: [] });
  const slow = await startCaptureServer({ roots: { '/dist/': DIST, '/': pages }, rules: RULES, delays: { '/dist/autotrack.wasm': 1_000 } });
  try {
    for (const [site, hasRules] of [[bare, false], [slow, true]]) {
      await writeFile(join(pages, 'plain.html'), (await readFile(join(pages, 'app.html'), 'utf8')).replaceAll(server.origin, site.origin));
      const context = await browser.newContext();
      const page = await context.newPage();
      const errors = watchErrors(page);
      const fetched = [];
      page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
      await page.goto(`${site.origin}/plain.html`);
      await page.waitForFunction(() => localStorage.getItem('wasmtrack:v1:rules'));
      await page.evaluate(() => history.pushState({}, '', '/app/pricing'));
      await page.click('#buy-pro');
      if (hasRules) {
        assert.ok(!(await page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/autotrack.wasm') && e.responseEnd > 0))), 'the click came before the module was ready');
        const events = await site.waitFor((e) => e.some((x) => x.name === 'pro_cta_clicked'), 5_000);
        assert.deepEqual(events.filter((e) => e.name !== '$pageview').map((e) => e.name), ['viewed_pricing', 'pro_cta_clicked']);
        assert.deepEqual(events.find((e) => e.name === 'pro_cta_clicked').p, { element_text: 'Buy Pro now', selector: '#buy-pro', plan: 'pro' });
        assert.ok(fetched.includes('/dist/autotrack.js') && fetched.includes('/dist/autotrack.wasm'), fetched.join(' '));
      } else {
        await page.evaluate(() => new Promise((resolve) => window._wtq.push(['trackCustomBehavioralEvent', 'own_event'], ['flush'], resolve)));
        await site.waitFor((e) => e.some((x) => x.name === 'own_event'));
        await page.waitForTimeout(300);
        assert.deepEqual(fetched.filter((f) => f.includes('autotrack')), [], 'no rules, no module');
        assert.deepEqual(site.events().map((e) => e.name), ['own_event']);
      }
      assert.deepEqual(errors, []);
      await context.close();
    }
  } finally {
    await bare.close();
    await slow.close();
  }
});

test('rules kept from an earlier page fire before the collector has answered', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.origin}/app.html`);
  await page.waitForFunction(() => localStorage.getItem('wasmtrack:v1:rules'));
  // The collector is now slow to answer the rules; the stored copy is used meanwhile.
  await page.route('**/v1/sites/demo/rules', async (route) => {
    await new Promise((r) => setTimeout(r, 3_000));
    await route.continue();
  });
  const before = server.events().length;
  await page.goto(`${server.origin}/app.html`);
  await page.waitForFunction(() => window._wtq.wasmtrack);
  await page.evaluate(() => history.pushState({}, '', '/app/pricing'));
  await page.evaluate(() => new Promise((resolve) => window._wtq.push(['flush'], resolve)));
  const events = await server.waitFor((e) => e.slice(before).some((x) => x.name === 'viewed_pricing'), 2_500);
  assert.equal(events.slice(before).filter((x) => x.name === 'viewed_pricing').length, 1);
  await context.close();
});

test('a rule the collector no longer lists stops firing', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.origin}/app.html`);
  await page.waitForFunction(() => (localStorage.getItem('wasmtrack:v1:rules') || '').includes('buy-pro'));
  RULES.length = 0; // the marketer deleted the rules
  await page.reload();
  await page.waitForFunction(() => !(localStorage.getItem('wasmtrack:v1:rules') || 'buy-pro').includes('buy-pro'));
  const before = server.events().length;
  await page.click('#buy-pro');
  await page.evaluate(() => new Promise((resolve) => window._wtq.push(['flush'], resolve)));
  await page.waitForTimeout(300);
  assert.deepEqual(server.events().slice(before).map((e) => e.name).filter((n) => n !== '$pageview'), []);
  await context.close();
});
