// Story: a visitor browses the shop anonymously, says who they are and starts a trial; an
// analyst then signs in to the collector's app, searches the contacts by email, opens that
// contact, narrows its timeline to the trials, opens a row with the keyboard and reads what
// the visitor chose and on which page. Both pages pass the accessibility check and are
// photographed for the docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector, TOKEN } from './support/collector.mjs';
import { accessible, shoot } from './support/app-pages.mjs';


let browser;
let collector;

// A beacon as the tracker sends it, from the demo site's own origin.
async function beacon(events, context) {
  const res = await fetch(`${collector.origin}/v1/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: collector.origin },
    body: JSON.stringify({ site: 'demo', sent: Date.now(), ctx: [context], events }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.stored, events.length, JSON.stringify(body));
}

before(async () => {
  browser = await launch();
  collector = await startCollector();
  const created = await collector.api('POST', '/events/v3/event-definitions', {
    label: 'Trial started', name: 'trial_started', description: 'A visitor started a free trial.',
    propertyDefinitions: [
      { name: 'plan', label: 'Plan', type: 'enumeration', options: [{ label: 'Free', value: 'free' }, { label: 'Pro', value: 'pro' }] },
      { name: 'seats', label: 'Seats', type: 'number' },
    ],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  // Ada looks around before saying who she is: her earlier page views join her timeline.
  const t = Date.now() - 120_000;
  const page = { vid: 'visitor-ada', sid: 's1', d: { url: `${collector.origin}/pricing?utm_source=newsletter`, path: '/pricing', title: 'Pricing', referrer: 'https://news.example/issue-12', utm_source: 'newsletter' } };
  await beacon([
    { id: crypto.randomUUID(), name: '$pageview', ts: t, p: {}, c: 0 },
    { id: crypto.randomUUID(), name: '$pageview', ts: t + 10_000, p: {}, c: 0 },
  ], page);
  await beacon([
    { id: crypto.randomUUID(), name: '$identify', ts: t + 20_000, p: {}, c: 0 },
    { id: crypto.randomUUID(), name: 'trial_started', ts: t + 30_000, p: { plan: 'pro', seats: '5' }, c: 0 },
  ], { ...page, email: 'ada@example.com' });
  for (const [plan, email] of [['free', 'grace@example.com'], ['free', 'alan@example.com']]) {
    const sent = await collector.api('POST', '/events/v3/send', { eventName: 'trial_started', email, properties: { plan, seats: 1 } });
    assert.ok(sent.status < 300, JSON.stringify(sent.body));
  }
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

test('an analyst finds a contact by email and reads its timeline', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);

  // The contacts list, after signing in.
  await page.goto(`${collector.origin}/app/contacts`);
  assert.match(page.url(), /\/app\/sign-in\?next=%2Fapp%2Fcontacts$/);
  await page.getByLabel('Admin token or API key').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/app\/contacts$/);
  assert.equal(await page.getByRole('link', { name: 'Contacts' }).getAttribute('aria-current'), 'page');
  const rows = page.getByRole('table').getByRole('row');
  assert.equal(await rows.count(), 4, 'a header row and three contacts');
  // Most recently active first: the two sent by the back end just now, then Ada.
  assert.match(await rows.nth(3).textContent(), /ada@example\.com.*none.*4/s);
  await accessible(page, 'contacts list');
  await shoot(page, 'contacts');

  // Search by a part of the email, then open the contact.
  await page.getByLabel('Search contacts by email').fill('ADA@');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/app\/contacts\?q=ADA%40$/);
  assert.equal(await rows.count(), 2, 'the header and Ada');
  await page.getByRole('link', { name: 'ada@example.com' }).click();
  await page.waitForURL(/\/app\/contacts\/\d+$/);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'ada@example.com');
  assert.match(await page.locator('dl.facts').textContent(), /visitor-ada/);
  const timeline = page.getByRole('table', { name: /Events of ada@example\.com/ });
  assert.equal(await timeline.getByRole('row').count(), 5, 'two page views, identify and the trial, anonymous ones included');

  // Only the trials.
  await page.getByLabel('Event type').selectOption('trial_started');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/\?event=trial_started$/);
  assert.equal(await timeline.getByRole('row').count(), 2, 'the header and the trial');
  assert.match(await page.locator('.totals').textContent(), /^1 “Trial started” event, newest first$/);

  // Open the row by keyboard and read what the visitor chose, and where.
  const summary = timeline.locator('summary').first();
  await summary.focus();
  await page.keyboard.press('Enter');
  const details = timeline.locator('details').first();
  assert.equal(await details.getAttribute('open'), '');
  const plan = details.locator('dt', { hasText: /^Plan$/ }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await plan.textContent(), 'pro');
  const url = details.getByRole('link', { name: `${collector.origin}/pricing?utm_source=newsletter` });
  assert.equal(await url.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await details.locator('dt', { hasText: 'Page title' }).locator('xpath=following-sibling::dd[1]').textContent(), 'Pricing');
  await accessible(page, 'contact page');
  await shoot(page, 'contact');

  // The same key closes it again.
  await page.keyboard.press('Enter');
  assert.equal(await details.getAttribute('open'), null);
  assert.deepEqual(errors, []);
  await context.close();
});
