// Story: a marketer opens the live site with a visualizer token, points at the "Choose" button
// of the Pro plan, saves it as an event, and defines a page-view event by URL; from then on every
// visitor's tracker records them. Without a valid token nothing is shown or saved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector } from './support/collector.mjs';

const SHOTS = new URL('../../target/e2e/', import.meta.url).pathname;
const DOCS = new URL('../../docs/', import.meta.url).pathname;

let browser;
let collector;

before(async () => {
  browser = await launch();
  collector = await startCollector();
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

async function token() {
  const issued = await collector.api('POST', '/v1/visualizer/tokens', { site: 'demo' });
  assert.equal(issued.status, 201, JSON.stringify(issued.body));
  return issued.body.token;
}

async function flush(page) {
  await page.evaluate(() => new Promise((resolve) => window._wtq.push(['flush'], resolve)));
}

test('a click event defined in the visualizer is tracked for every visitor', async () => {
  const marketer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchErrors(marketer);
  await marketer.goto(`${collector.origin}/pricing.html?wt_visualize=${await token()}`);
  await marketer.waitForSelector('[data-action=pick]');
  await marketer.evaluate(() => {
    window.siteHandlerRan = false;
    document.querySelector('button[data-plan=pro]').addEventListener('click', () => (window.siteHandlerRan = true));
  });
  await marketer.click('[data-action=pick]');
  await marketer.hover('button[data-plan=pro]');
  await marketer.waitForFunction(() => document.querySelector('#wasmtrack-visualizer').shadowRoot.querySelector('.tip').textContent.length > 0);
  const tip = await marketer.evaluate(() => document.querySelector('#wasmtrack-visualizer').shadowRoot.querySelector('.tip').textContent);
  assert.equal(tip, '[data-plan="pro"]');
  await marketer.click('button[data-plan=pro]');
  assert.equal(await marketer.evaluate(() => window.siteHandlerRan), false, "the site's own handler did not run");
  await marketer.waitForSelector('[data-action=save]');
  assert.equal(await marketer.inputValue('input[name=selector]'), '[data-plan="pro"]');
  assert.equal(await marketer.textContent('[data-role=match-count]'), '1 element on this page matches.');
  await marketer.fill('input[name=label]', 'Chose Pro plan');
  assert.equal(await marketer.inputValue('input[name=name]'), 'chose_pro_plan');
  await marketer.check('input[name="attr:data-plan"]');
  assert.equal(await marketer.evaluate(() => getComputedStyle(document.querySelector('#wasmtrack-visualizer').shadowRoot.querySelector('.outline')).display), 'block', 'the chosen element stays outlined');
  await marketer.screenshot({ path: `${SHOTS}visualizer.png` });
  if (process.env.WASMTRACK_UPDATE_DOCS) await copyFile(`${SHOTS}visualizer.png`, `${DOCS}visualizer.png`);
  await marketer.click('[data-action=save]');
  await marketer.waitForFunction(() => document.querySelector('#wasmtrack-visualizer').shadowRoot.querySelector('.status').textContent.startsWith('Saved'));
  assert.deepEqual(errors, []);
  await marketer.close();

  const visitor = await browser.newPage();
  await visitor.goto(`${collector.origin}/pricing.html`);
  await visitor.waitForFunction(() => (localStorage.getItem('wasmtrack:v1:rules') || '').includes('chose_pro_plan'));
  assert.equal(await visitor.$('#wasmtrack-visualizer'), null, 'a visitor sees no overlay');
  await visitor.click('button[data-plan=pro]');
  await flush(visitor);
  const [stored] = await collector.waitForEvents('chose_pro_plan', 1);
  assert.ok(stored, 'the click is stored');
  assert.deepEqual(stored.properties, { element_text: 'Choose', selector: '[data-plan="pro"]', plan: 'pro' });
  await visitor.close();
});

test('a page-view event defined in the visualizer fires on load and on pushState navigation', async () => {
  const marketer = await browser.newPage();
  await marketer.goto(`${collector.origin}/pricing.html?wt_visualize=${await token()}`);
  await marketer.click('[data-action=pageview]');
  await marketer.selectOption('select[name=match]', 'startsWith');
  await marketer.fill('input[name=value]', '/pricing');
  assert.equal(await marketer.textContent('[data-role=page-matches]'), 'This page matches.');
  await marketer.fill('input[name=label]', 'Viewed pricing');
  await marketer.click('[data-action=save]');
  await marketer.waitForFunction(() => document.querySelector('#wasmtrack-visualizer').shadowRoot.querySelector('.status').textContent.startsWith('Saved'));
  await marketer.close();

  const visitor = await browser.newPage();
  await visitor.goto(`${collector.origin}/pricing.html`);
  await visitor.waitForFunction(() => (localStorage.getItem('wasmtrack:v1:rules') || '').includes('viewed_pricing'));
  await flush(visitor);
  await collector.waitForEvents('viewed_pricing', 1);
  await visitor.goto(`${collector.origin}/`);
  await visitor.waitForFunction(() => window._wtq.wasmtrack);
  await visitor.evaluate(() => history.pushState({}, '', '/pricing.html?from=spa'));
  await flush(visitor);
  const views = await collector.waitForEvents('viewed_pricing', 2);
  assert.equal(views.length, 2);
  assert.ok(views.some((v) => v.defaultProperties.url.endsWith('/pricing.html?from=spa')));
  await visitor.close();
});

test('the visualizer token leaves the address bar before anything records the page', async () => {
  const marketer = await browser.newPage();
  const errors = watchErrors(marketer);
  const secret = await token();
  await marketer.goto(`${collector.origin}/pricing.html?plan=pro&wt_visualize=${secret}#compare`);
  await marketer.waitForSelector('[data-action=pick]');
  assert.equal(await marketer.evaluate(() => location.href), `${collector.origin}/pricing.html?plan=pro#compare`);
  await flush(marketer);
  const views = await collector.waitForEvents('$pageview', 1);
  const view = views.find((v) => v.defaultProperties.url.includes('plan=pro'));
  assert.ok(view, 'the page view is stored');
  assert.equal(view.defaultProperties.url, `${collector.origin}/pricing.html?plan=pro#compare`);
  assert.ok(!JSON.stringify(views).includes(secret), 'no stored event holds the token');
  const storage = await marketer.evaluate(() => JSON.stringify({ ...localStorage }));
  assert.ok(!storage.includes(secret), 'nothing kept in localStorage holds the token');
  assert.deepEqual(errors, []);
  await marketer.close();
});

test('without a valid token the visualizer shows nothing and saves nothing', async () => {
  const page = await browser.newPage();
  const before = (await collector.api('GET', '/v1/sites/demo/rules')).body.rules.length;
  await page.goto(`${collector.origin}/pricing.html?wt_visualize=vt_not_a_token`);
  await page.waitForFunction(() => window._wtq.wasmtrack);
  await page.waitForTimeout(1_000);
  assert.equal(await page.$('#wasmtrack-visualizer'), null);
  assert.equal((await collector.api('GET', '/v1/sites/demo/rules')).body.rules.length, before);
  await page.close();
});

// A marketer's walk on a site whose CSS is aggressive: `div, * { border … !important }` used to
// reach the overlay's host element and draw an empty bordered box at the end of the page. And
// after "All similar elements" the tip by the chosen element must say the selector that will
// be saved (the wider one in the field), not the single-element one.
test('the overlay draws nothing of its own on the page, and its tip says the selector that will be saved', async () => {
  const marketer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchErrors(marketer);
  await marketer.goto(`${collector.origin}/pricing.html?wt_visualize=${await token()}`);
  await marketer.waitForSelector('[data-action=pick]');
  await marketer.addStyleTag({ content: 'div, * { border: 7px solid red !important; padding: 13px !important; }' });
  const host = await marketer.evaluate(() => {
    const h = document.querySelector('#wasmtrack-visualizer');
    const r = h.getBoundingClientRect();
    const s = getComputedStyle(h);
    return { tag: h.tagName.toLowerCase(), display: s.display, border: s.borderTopWidth, width: r.width, height: r.height };
  });
  assert.deepEqual(host, { tag: 'wasmtrack-visualizer', display: 'contents', border: '0px', width: 0, height: 0 });

  await marketer.click('[data-action=pick]');
  await marketer.hover('button[data-plan=pro]');
  await marketer.click('button[data-plan=pro]');
  await marketer.waitForSelector('[data-action=save]');
  const tip = () => marketer.evaluate(() => document.querySelector('#wasmtrack-visualizer').shadowRoot.querySelector('.tip').textContent);
  assert.equal(await tip(), '[data-plan="pro"]');
  await marketer.check('input[name=similar]');
  const widened = await marketer.inputValue('input[name=selector]');
  assert.notEqual(widened, '[data-plan="pro"]');
  assert.equal(await tip(), widened, 'the tip says the selector in the field');
  assert.equal(await marketer.textContent('[data-role=match-count]'), '3 elements on this page match.');
  // Typing a selector shows its matches once typing pauses.
  await marketer.fill('input[name=selector]', 'button[data-plan=free]');
  await marketer.waitForFunction(() => document.querySelector('#wasmtrack-visualizer').shadowRoot
    .querySelector('[data-role=match-count]').textContent === '1 element on this page matches.');
  assert.equal(await tip(), 'button[data-plan=free]');
  assert.deepEqual(errors, []);
  await marketer.close();
});
