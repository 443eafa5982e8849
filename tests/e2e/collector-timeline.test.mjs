// Story: on the demo site served by the collector, a visitor says who they are and clicks
// "Start free trial"; the event, with its properties, is then in that contact's timeline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector } from './support/collector.mjs';

let browser;
let collector;

before(async () => {
  browser = await launch();
  collector = await startCollector();
  const created = await collector.api('POST', '/events/v3/event-definitions', {
    label: 'Trial started',
    name: 'trial_started',
    primaryObject: 'CONTACT',
    propertyDefinitions: [
      { name: 'plan', label: 'Plan', type: 'enumeration', options: [{ label: 'Pro', value: 'pro' }, { label: 'Enterprise', value: 'enterprise' }] },
      { name: 'seats', label: 'Seats', type: 'number' },
    ],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

test('a click on the demo page shows up in the contact timeline', async () => {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(`${collector.origin}/`);
  await page.waitForFunction(() => window._wtq.wasmtrack && window._wtq.length === 0);
  await page.fill('input[name=email]', 'ada@example.com');
  await page.click('#identify button');
  await page.click('#trial-pro');
  await page.screenshot({ path: new URL('../../target/e2e/demo.png', import.meta.url).pathname });
  await page.evaluate(() => new Promise((resolve) => window._wtq.push(['flush'], resolve)));

  let timeline;
  for (let i = 0; i < 50; i++) {
    const res = await collector.api('GET', '/events/v3/events?objectType=contact&objectProperty.email=ada%40example.com&eventType=trial_started');
    timeline = res.body;
    if (res.status === 200 && timeline.results.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(timeline.results.length, 1, JSON.stringify(timeline));
  const [event] = timeline.results;
  assert.equal(event.eventType, 'trial_started');
  assert.equal(event.properties.plan, 'pro');
  assert.equal(event.properties.seats, '10');
  assert.ok(event.objectId, 'the event belongs to a contact');

  // The page view before `identify` joins the same contact's timeline.
  const all = await collector.api('GET', `/events/v3/events?objectType=contact&objectId=${event.objectId}`);
  assert.ok(all.body.results.some((e) => e.eventType === '$pageview'), JSON.stringify(all.body));
  assert.deepEqual(errors, []);
  await page.close();
});
