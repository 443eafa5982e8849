// Story: an analyst builds a workflow in the app, mostly from the keyboard: a name, the trigger
// "signup where plan is pro", a webhook to their server. They type a value the plan property
// does not offer, see the problem next to the field, fix it, save, and switch the workflow
// on. A visitor signs up on the pro plan (through the HTTP API); the contact enrolls, the
// receiver refuses the first delivery (404), the enrollment's history says so with the
// receiver's answer, and Replay sends it again, now delivered. Every page passes the
// accessibility check and is photographed for the docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector, TOKEN } from './support/collector.mjs';
import { accessible, shoot } from './support/app-pages.mjs';

let browser;
let collector;
let receiver;
const received = [];

before(async () => {
  // The analyst's server: no such hook at first, then it exists.
  receiver = createServer((req, res) => {
    req.resume().on('end', () => {
      received.push(req.url);
      if (received.length === 1) res.writeHead(404, { 'content-type': 'text/plain' }).end('no such hook yet');
      else res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  browser = await launch();
  collector = await startCollector({ flags: ['--allow-private-webhooks'] });
  const created = await collector.api('POST', '/events/v3/event-definitions', {
    label: 'Signed up', name: 'signup', description: 'A visitor created an account.',
    propertyDefinitions: [
      { name: 'plan', label: 'Plan', type: 'enumeration', options: [{ label: 'Free', value: 'free' }, { label: 'Pro', value: 'pro' }] },
    ],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});
after(async () => {
  await browser?.close();
  await collector?.stop();
  await new Promise((r) => receiver?.close(r));
});

const focused = (locator) => locator.evaluate((el) => el === document.activeElement);

test('an analyst builds a workflow, switches it on, and replays a refused webhook', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const hook = `http://127.0.0.1:${receiver.address().port}/hooks/welcome`;

  await page.goto(`${collector.origin}/app/workflows`);
  await page.getByLabel('Admin token or API key').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/app\/workflows$/);
  assert.equal(await page.getByRole('link', { name: 'Workflows' }).getAttribute('aria-current'), 'page');
  await page.getByRole('link', { name: 'Create workflow' }).click();
  await page.waitForURL(/\/app\/workflows\/new$/);

  // The name and the trigger's event, by keyboard.
  await page.getByLabel('Workflow name').focus();
  await page.keyboard.type('Welcome pro sign-ups');
  const trigger = page.getByRole('group', { name: 'Trigger 1', exact: true });
  await trigger.getByLabel('The contact completes').selectOption('signup');
  // "Add a filter" with the keyboard: the form comes back with the new row focused.
  await trigger.getByRole('button', { name: 'Add a filter to trigger 1' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/app\/workflows\/new$/);
  const property = page.locator('#t0-f0-property');
  await property.waitFor();
  assert.ok(await focused(property), 'the new filter\'s property is focused');
  assert.equal(await page.getByLabel('Workflow name').inputValue(), 'Welcome pro sign-ups', 'the name is kept');
  await page.keyboard.type('plan');
  await page.keyboard.press('Tab');
  assert.ok(await focused(page.locator('#t0-f0-operator')));
  await page.keyboard.press('Tab');
  await page.keyboard.type('platinum');
  await page.getByLabel('URL to POST the enrollment to (https)').fill(hook);
  // A second step added and removed again (Space on its button): nothing else changes.
  await page.getByRole('button', { name: 'Add a delay', exact: true }).click();
  await page.locator('#a1-amount').waitFor();
  assert.ok(await focused(page.locator('#a1-amount')), 'the new delay is focused');
  await page.getByRole('button', { name: 'Remove step 2' }).focus();
  await page.keyboard.press('Space');
  await page.waitForURL(/\/app\/workflows\/new$/);
  await page.getByRole('button', { name: 'Remove step 2' }).waitFor({ state: 'detached' });
  assert.equal(await page.locator('#t0-f0-value').inputValue(), 'platinum');

  // Enter in a text field saves: the value is not an option of "plan", said next to it.
  await page.locator('#t0-f0-value').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/app\/workflows\/new$/);
  const summary = page.getByRole('alert');
  assert.match(await summary.textContent(), /1 problem/);
  assert.match(await summary.textContent(), /Trigger 1, filter 1, value: "platinum" is not an option of "plan"/);
  const value = page.locator('#t0-f0-value');
  assert.equal(await value.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#t0-f0-value-error').textContent(), /not an option/);
  assert.equal(await page.getByLabel('URL to POST the enrollment to (https)').inputValue(), hook, 'nothing typed is lost');
  await accessible(page, 'workflow editor with a problem');
  await summary.getByRole('link').click();
  assert.ok(await focused(value), 'the summary leads to the field');
  await value.fill('pro');
  await accessible(page, 'workflow editor');
  await shoot(page, 'workflow-edit');
  await page.getByRole('button', { name: 'Save' }).first().click();
  await page.waitForURL(/\/app\/workflows\/\d+\?done=created$/);
  assert.match(await page.getByRole('status').textContent(), /created/);

  // Switched on from its page.
  await page.getByRole('button', { name: 'Switch on Welcome pro sign-ups' }).click();
  await page.waitForURL(/\/app\/workflows\/\d+\?done=on$/);
  const workflowUrl = page.url().replace(/\?.*$/, '');
  assert.match(await page.locator('dl.facts').textContent(), /On/);
  await page.getByText('Signing secret').click();
  assert.match(await page.locator('#secret').textContent(), /^[0-9a-f]{64}$/);
  await accessible(page, 'workflow');

  // A pro sign-up enrolls Ada; the receiver refuses the first delivery.
  const sent = await collector.api('POST', '/events/v3/send', {
    eventName: 'signup', email: 'ada@example.com', properties: { plan: 'pro' },
  });
  assert.equal(sent.status, 204, JSON.stringify(sent.body));
  for (let i = 0; ; i++) {
    await page.goto(workflowUrl);
    if ((await page.getByRole('cell', { name: 'Failed' }).count()) > 0) break;
    assert.ok(i < 100, 'the enrollment never failed');
    await page.waitForTimeout(200);
  }
  assert.deepEqual(received, ['/hooks/welcome']);
  const row = page.getByRole('row', { name: /ada@example\.com/ });
  assert.match(await row.textContent(), /1 of 1 — Send a webhook/);
  await page.goto(`${collector.origin}/app/workflows`);
  assert.match(await page.getByRole('row', { name: /Welcome pro sign-ups/ }).textContent(), /On.*signup where plan is equal to “pro”/s);
  await accessible(page, 'workflows');
  await shoot(page, 'workflows');

  // The history: the refusal with the receiver's answer; Replay delivers it.
  await page.goto(workflowUrl);
  await page.getByRole('link', { name: /History of enrollment/ }).click();
  await page.waitForURL(/\/enrollments\/\d+$/);
  const history = page.getByRole('table', { name: /History of the enrollment/ });
  assert.match(await history.textContent(), /Failed\s*404\s*\d+ ms.*no such hook yet/s);
  await accessible(page, 'enrollment history, failed');
  await page.getByRole('button', { name: 'Replay the failed step' }).click();
  await page.waitForURL(/\?done=replayed$/);
  for (let i = 0; ; i++) {
    await page.reload();
    if (/Webhook delivered/.test(await history.textContent())) break;
    assert.ok(i < 100, 'the replay was never delivered');
    await page.waitForTimeout(200);
  }
  assert.match(await history.textContent(), /Replayed.*Webhook delivered\s*204.*Completed/s);
  assert.match(await page.locator('dl.facts').textContent(), /Completed/);
  assert.equal(received.length, 2);
  await accessible(page, 'enrollment history');
  await shoot(page, 'workflow-history');
  // The one error the browser logged is the refused save's 400, on purpose above.
  assert.deepEqual(errors, ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  await context.close();
});
