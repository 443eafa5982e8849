// Story: an analyst signs in, opens the site `demo`, adds an origin with the keyboard (a typo
// first, said next to the field), copies the script-tag snippet (the button says it copied,
// and the clipboard holds this collector's address and the site's id), opens the visualizer's
// link; then opens data quality, where an event the site sent before anyone defined it is
// held, defines it with one click, and finds it in the events list with its completion. Both
// pages pass the accessibility check and are photographed for the docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector, TOKEN } from './support/collector.mjs';
import { accessible, shoot } from './support/app-pages.mjs';


let browser;
let collector;

before(async () => {
  browser = await launch();
  collector = await startCollector();
  const rule = await collector.api('POST', '/v1/sites/demo/rules', {
    label: 'Pricing CTA clicked', kind: 'click', selector: '#buy-pro',
    properties: [{ name: 'plan', source: 'attr:data-plan' }],
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const defined = await collector.api('POST', '/events/v3/event-definitions', {
    label: 'Trial started', name: 'trial_started',
    propertyDefinitions: [{ name: 'seats', label: 'Seats', type: 'number' }],
  });
  assert.equal(defined.status, 201, JSON.stringify(defined.body));
  // A page of the site tracks an event nobody has defined yet (the collector holds it), and
  // a defined one with a property its definition lacks and a number that is none (dropped).
  const now = Date.now();
  const beacon = await fetch(`${collector.origin}/v1/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: collector.origin },
    body: JSON.stringify({
      site: 'demo', sent: now,
      events: [{ id: randomUUID(), name: 'newsletter_signup', ts: now, vid: 'v-1', sid: 's-1', email: 'ada@example.com',
        p: { source: 'footer' }, d: { url: `${collector.origin}/`, path: '/' } },
      { id: randomUUID(), name: 'trial_started', ts: now, vid: 'v-1', sid: 's-1',
        p: { seats: 'many', coupon: 'SPRING' }, d: { url: `${collector.origin}/pricing`, path: '/pricing' } }],
    }),
  });
  const answer = await beacon.json();
  assert.equal(answer.held?.length, 1, JSON.stringify(answer));
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

test('an analyst adds an origin, copies the snippet and defines a held event from data quality', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: collector.origin });
  const page = await context.newPage();
  const errors = watchErrors(page);

  await page.goto(`${collector.origin}/app/sites`);
  await page.getByLabel('Admin token or API key').fill(TOKEN);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/app\/sites$/);
  assert.match(await page.getByRole('row', { name: /demo/ }).textContent(), /demo.*127\.0\.0\.1.*1/s);
  await accessible(page, 'sites list');
  await page.getByRole('link', { name: 'demo', exact: true }).click();
  await page.waitForURL(/\/app\/sites\/demo$/);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Site demo');

  // An origin, by keyboard only: a typo is said next to the field, then the right one.
  await page.getByLabel('Add an origin').focus();
  await page.keyboard.type('www.example.com/shop');
  await page.keyboard.press('Enter');
  await page.locator('#origin-error').waitFor();
  const field = page.getByLabel('Add an origin');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#origin-error').textContent(), /This is not an origin/);
  assert.equal(await field.inputValue(), 'www.example.com/shop', 'what was typed stays');
  await field.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('https://www.example.com');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/app\/sites\/demo\?done=origin-added$/);
  assert.match(await page.getByRole('status').first().textContent(), /The origin was added/);
  assert.ok(await page.getByRole('listitem').filter({ hasText: 'https://www.example.com' }).count() > 0);
  const site = await collector.api('GET', '/v1/sites/demo');
  assert.deepEqual(site.body.origins, [collector.origin, 'https://www.example.com']);

  // The script tag, copied: the button says so, the clipboard has this collector and the site.
  const copyTag = page.getByRole('button', { name: 'Copy the script tag' });
  await copyTag.click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.ok(copied.startsWith('<script>\nwindow._wtq = window._wtq || [];'), copied);
  assert.ok(copied.includes(`<script async src="${collector.origin}/dist/wasmtrack.js"`), copied);
  assert.ok(copied.includes(`data-collector="${collector.origin}" data-site="demo"`), copied);
  assert.match(await page.locator('#snippet-npm').textContent(), new RegExp(`init\\(\\{ collector: '${collector.origin}', site: 'demo' \\}\\);`));
  assert.match(await page.getByRole('row', { name: /Pricing CTA clicked/ }).textContent(), /A click on #buy-pro/);
  await accessible(page, 'site page');
  await shoot(page, 'sites');

  // The visualizer's link: to the site's first origin, with a fresh token.
  await page.getByRole('button', { name: 'Open the visualizer on this site' }).click();
  const link = page.getByRole('link', { name: /Open http:\/\/127\.0\.0\.1:\d+ with the visualizer/ });
  const href = await link.getAttribute('href');
  assert.match(href, new RegExp(`^${collector.origin}/\\?wt_visualize=vt_[0-9a-f]{64}$`));
  assert.equal(await link.getAttribute('rel'), 'noopener');
  await accessible(page, 'visualizer link');

  // Data quality: the held event, defined with one click.
  await page.getByRole('link', { name: 'Data quality' }).click();
  await page.waitForURL(/\/app\/quality$/);
  const held = page.getByRole('row', { name: /newsletter_signup/ }).first();
  assert.match(await held.textContent(), /newsletter_signup\s*1/);
  const coupon = page.getByRole('row', { name: /trial_started.*coupon/ });
  assert.match(await coupon.textContent(), /Property not defined/);
  await coupon.getByRole('button', { name: 'Add this property (coupon of trial_started)' }).waitFor();
  assert.match(await page.getByRole('row', { name: /trial_started.*seats/ }).textContent(), /Not a number.*many/s);
  await accessible(page, 'data quality');
  await shoot(page, 'quality');
  await page.getByRole('button', { name: 'Define this event (newsletter_signup)' }).click();
  await page.waitForURL(/\/app\/quality\?done=defined&event=newsletter_signup&stored=1$/);
  assert.match(await page.getByRole('status').first().textContent(), /Defined newsletter_signup and stored its 1 held event\./);
  await page.getByText('No event is waiting for its definition.').waitFor();
  // Its property was dropped on the way in: one click would add it for what comes next.
  const dropped = page.getByRole('row', { name: /newsletter_signup.*source/ });
  assert.match(await dropped.textContent(), /Property not defined/);
  await dropped.getByRole('button', { name: /Add this property/ }).waitFor();
  await accessible(page, 'data quality after defining');
  const stored = await collector.events('newsletter_signup');
  assert.equal(stored.length, 1, 'the held event is a stored event now');

  // The events list has it, with its completion.
  await page.getByRole('link', { name: 'Events' }).click();
  await page.waitForURL(/\/app\/events$/);
  assert.match(await page.getByRole('row', { name: /Newsletter signup/ }).textContent(), /newsletter_signup.*CONTACT.*1/s);

  // The one error the browser logged is the refused origin's 400, on purpose above.
  assert.deepEqual(errors, ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  await context.close();
});
