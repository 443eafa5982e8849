// Story: an analyst opens the collector's app, signs in with the admin token, finds the event
// a visitor just completed in the events list, opens it, reads its completions per day and
// filters them by a property, downloads the range as CSV, and signs out. Every page passes
// the accessibility check and is photographed for the docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector, TOKEN } from './support/collector.mjs';
import { accessible, shoot } from './support/app-pages.mjs';


let browser;
let collector;

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
  for (const [plan, email] of [['pro', 'ada@example.com'], ['pro', 'grace@example.com'], ['free', 'alan@example.com']]) {
    const sent = await collector.api('POST', '/events/v3/send', { eventName: 'trial_started', email, properties: { plan, seats: 3 } });
    assert.ok(sent.status < 300, JSON.stringify(sent.body));
  }
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

test('an analyst signs in, reads an event report, filters it, downloads it and signs out', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);

  // A report's address before signing in: sign in first, then back to that very page.
  await page.goto(`${collector.origin}/app/events/trial_started?range=7d`);
  assert.match(page.url(), /\/app\/sign-in\?next=/);
  await accessible(page, 'sign-in');
  await shoot(page, 'sign-in');
  await page.getByLabel('Admin token or API key').fill('not-the-token');
  await page.keyboard.press('Enter');
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /neither the admin token nor an API key/);
  await page.getByLabel('Admin token or API key').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/app\/events\/trial_started\?range=7d$/);
  const cookies = await context.cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0].httpOnly, true);
  assert.equal(cookies[0].sameSite, 'Strict');
  assert.ok(!cookies[0].value.includes(TOKEN));
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0, 'nothing kept in web storage');

  // The events list: the event, its 30-day count, search.
  await page.getByRole('link', { name: 'Events' }).click();
  await page.waitForURL(/\/app\/events$/);
  const row = page.getByRole('row', { name: /Trial started/ });
  assert.match(await row.textContent(), /trial_started.*CONTACT.*3/s);
  await accessible(page, 'events list');
  await shoot(page, 'events');
  await page.getByLabel('Search events').fill('nothing like it');
  await page.keyboard.press('Enter');
  await page.getByText('No event matches').waitFor();
  await page.getByLabel('Search events').fill('trial');
  await page.keyboard.press('Enter');
  await page.getByRole('link', { name: 'Trial started' }).click();

  // The event's page: definition, the chart with a bar per day, a tooltip, the filter.
  await page.waitForURL(/\/app\/events\/trial_started$/);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Trial started');
  assert.match(await page.locator('.totals').textContent(), /3 completions/);
  assert.equal(await page.locator('figure.chart .bar').count(), 30, 'a bar per day of the 30, empty days too');
  await page.locator('figure.chart .bar').last().focus();
  await page.locator('figure.chart .tip').waitFor();
  assert.match(await page.locator('figure.chart .tip').textContent(), /: 3$/);
  await accessible(page, 'event page');
  await shoot(page, 'event');
  await page.getByLabel('Range').selectOption('7d');
  await page.getByLabel('Where property').selectOption('plan');
  await page.getByLabel('is', { exact: true }).fill('pro');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/prop=plan&value=pro/);
  assert.match(await page.locator('.totals').textContent(), /2 completions/);
  assert.equal(await page.locator('figure.chart .bar').count(), 7);

  // The CSV of the range.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download the range as CSV' }).click(),
  ]);
  const csv = await (await import('node:fs/promises')).readFile(await download.path(), 'utf8');
  const lines = csv.trim().split('\n');
  assert.equal(lines[0], 'id,occurred_at,contact,plan,seats');
  assert.equal(lines.length, 3, 'the two pro completions');

  // Broken down by plan: a series per value, named in the legend.
  await page.getByLabel('Where property').selectOption('');
  await page.getByLabel('is', { exact: true }).fill('');
  await page.getByLabel('Break down by').selectOption('plan');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/split=plan/);
  assert.deepEqual(await page.locator('.legend li').allTextContents(), ['pro (2)', 'free (1)']);
  assert.match(await page.locator('.totals').textContent(), /3 contact\(s\)/);
  await accessible(page, 'event page broken down');
  await shoot(page, 'event-breakdown');

  // Signing out ends the session: the old cookie opens nothing.
  const cookie = (await context.cookies())[0];
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/app\/sign-in/);
  const replay = await fetch(`${collector.origin}/app/events`, { headers: { cookie: `${cookie.name}=${cookie.value}` }, redirect: 'manual' });
  assert.equal(replay.status, 303);
  // The one error the browser logged is the refused token's 401, on purpose above.
  assert.deepEqual(errors, ['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  await context.close();
});

async function signIn(page) {
  await page.goto(`${collector.origin}/app/sign-in`);
  await page.getByLabel('Admin token or API key').fill(TOKEN);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/app\/events$/);
}

test('an analyst creates an event in the wizard, checks its name live, copies its code and edits a property', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: collector.origin });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signIn(page);
  await page.getByRole('link', { name: 'Create event' }).click();
  await page.waitForURL(/\/app\/events\/new$/);
  await page.getByLabel('JavaScript code').check();
  await page.getByLabel('Event label').fill('Plan upgraded');
  // The name follows the label, by the collector's own rule.
  await page.waitForFunction(() => document.getElementById('name').value === 'plan_upgraded');
  // A name the API refuses says why, as it is typed.
  await page.getByLabel('Internal name', { exact: true }).fill('Plan Upgraded!');
  await page.waitForFunction(() => document.getElementById('name-check').textContent.includes('is invalid'));
  await page.getByLabel('Internal name', { exact: true }).fill('plan_upgraded');
  await page.waitForFunction(() => document.getElementById('name-check').textContent === '');
  await page.getByLabel('Description').fill('A customer moved to a bigger plan.');
  await page.getByLabel('Property 1 label').fill('Plan');
  await page.locator('#p0-type').selectOption('enumeration');
  await page.locator('#p0-options').fill('Free = free\nPro = pro');
  await accessible(page, 'create event');
  await shoot(page, 'create-event');
  await page.getByRole('button', { name: 'Create event' }).click();

  await page.waitForURL(/\/app\/events\/plan_upgraded\?created=js$/);
  const code = await page.locator('#snippet').textContent();
  assert.equal(code.trim(), "_wtq.push(['trackCustomBehavioralEvent', { name: 'plan_upgraded', properties: { plan: 'free' } }]);");
  await page.getByRole('button', { name: 'Copy the code' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code);
  await accessible(page, 'created event');
  await shoot(page, 'created');

  // Edit the property's options, then add and delete another one.
  await page.getByRole('link', { name: 'Edit Plan' }).click();
  await page.getByLabel('Options, a line each: Label = value').fill('Free = free\nPro = pro\nTeam = team');
  await page.getByRole('button', { name: 'Save the property' }).click();
  await page.waitForURL(/\/app\/events\/plan_upgraded#props$/);
  assert.match(await page.getByRole('row', { name: /plan/ }).textContent(), /Team \(team\)/);
  await page.getByText('Add a property').click();
  await page.locator('#new-label').fill('Coupon');
  await page.getByRole('button', { name: 'Add the property' }).click();
  await page.getByRole('button', { name: 'Delete Coupon' }).click();
  await page.waitForURL(/#props$/);
  assert.equal(await page.getByRole('row', { name: /coupon/ }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

// The first load of a page (its HTML, CSS and JS as they travel, compressed) stays light: at
// most 150 KB, even for the heaviest report, a 90-day chart by the hour.
test('every page of the app loads in at most 150 KB, compressed', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  for (const path of ['/app/events', '/app/events/trial_started?range=90d&by=hour', '/app/events/trial_started?range=365d&by=day', '/app/events/new']) {
    const fresh = await context.newPage();
    const loads = [];
    fresh.on('response', (r) => loads.push(r));
    const document = await fresh.goto(`${collector.origin}${path}`);
    await fresh.waitForLoadState('load');
    assert.equal(document.headers()['content-encoding'], 'gzip', `${path} is sent compressed`);
    let bytes = 0;
    for (const r of loads) bytes += (await r.request().sizes()).responseBodySize;
    assert.ok(bytes > 1_000 && bytes <= 150_000, `${path}: ${bytes} bytes`);
    console.log(`first load of ${path}: ${bytes} bytes`);
    await fresh.close();
  }
  await context.close();
});
