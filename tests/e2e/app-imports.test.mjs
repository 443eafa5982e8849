// Story: an analyst has a French spreadsheet of people who attended an event offline. From
// the event's page they open the import, choose French headers and the file, check the
// proposed mapping (email, date, first and last name found by their French headers), turn
// the amount column into a new number property, say the dates are Paris time, and start.
// The import runs to its end on a live page; the contacts are there with their names and the
// completions in their timelines; the refused rows download as a CSV. Every page passes the
// accessibility check and is photographed for the docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, watchErrors } from './support/browser.mjs';
import { startCollector, TOKEN } from './support/collector.mjs';
import { accessible, shoot } from './support/app-pages.mjs';

const FIXTURES = new URL('../fixtures/import/', import.meta.url).pathname;

let browser;
let collector;

before(async () => {
  browser = await launch();
  collector = await startCollector();
  const created = await collector.api('POST', '/events/v3/event-definitions', {
    label: 'Attended', name: 'attended', description: 'Came to an event in person.',
    propertyDefinitions: [
      { name: 'category', label: 'Catégorie', type: 'enumeration', options: [{ label: 'Web', value: 'web' }, { label: 'Boutique', value: 'boutique' }] },
    ],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
});
after(async () => {
  await browser?.close();
  await collector?.stop();
});

test('an analyst imports a French spreadsheet of offline attendance with its contacts', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);

  // From the event's "next step" panel (as the create-event wizard leaves it) to the import.
  await page.goto(`${collector.origin}/app/events/attended?created=import`);
  await page.getByLabel('Admin token or API key').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/app\/events\/attended\?created=import$/);
  await page.getByRole('link', { name: 'Import a spreadsheet into Attended' }).click();
  await page.waitForURL(/\/app\/imports\?event=attended$/);
  assert.equal(await page.getByLabel('Event').inputValue(), 'attended');
  await page.getByLabel('Language of the column headers').selectOption('fr');
  await page.getByLabel('File').setInputFiles(`${FIXTURES}fr_two_sheets.xlsx`);
  await accessible(page, 'imports');
  await shoot(page, 'imports');
  await page.getByRole('button', { name: 'Upload and map the columns' }).click();
  await page.waitForURL(/\/app\/imports\/[0-9a-f]+$/);

  // The mapping proposed from the French headers; the amount becomes a new number property.
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Map the columns');
  assert.equal(await page.getByLabel('Adresse e-mail').inputValue(), 'email');
  assert.equal(await page.getByLabel('Date', { exact: true }).inputValue(), 'occurred_at');
  assert.equal(await page.getByLabel('Prénom').inputValue(), 'contact:firstname');
  assert.equal(await page.getByLabel('Nom', { exact: true }).inputValue(), 'contact:lastname');
  assert.equal(await page.getByLabel('Catégorie').inputValue(), 'event:category');
  assert.equal(await page.getByLabel('Montant').inputValue(), 'skip');
  await page.getByLabel('Montant').selectOption('new:number:Montant');
  const zone = page.getByLabel('Time zone of dates written without one');
  await zone.fill('Europe/Paris');
  await accessible(page, 'import mapping');
  await shoot(page, 'import-mapping');

  // A mapping without the email column is refused on the page, before anything is read.
  await page.getByLabel('Adresse e-mail').selectOption('skip');
  await page.getByRole('button', { name: 'Start the import' }).click();
  await page.waitForURL(/\/start$/);
  assert.match(await page.getByRole('alert').textContent(), /email/);
  assert.equal(await page.getByLabel('Montant').inputValue(), 'new:number:Montant', 'the choices are kept');
  await page.getByLabel('Adresse e-mail').selectOption('email');
  await page.getByRole('button', { name: 'Start the import' }).click();

  // The import's page follows it to its end.
  await page.waitForURL(/\/app\/imports\/[0-9a-f]+$/);
  await page.getByText('done', { exact: true }).waitFor();
  assert.equal(await page.locator('progress').getAttribute('value'), '100');
  const stored = Number((await page.locator('[data-field="stored"]').textContent()).replace(/,/g, ''));
  assert.ok(stored >= 2, `rows stored: ${stored}`);
  await accessible(page, 'import done');
  await shoot(page, 'import-done');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: /Download the refused rows/ }).click(),
  ]);
  const csv = await readFile(await download.path(), 'utf8');
  assert.match(csv.split('\n')[0], /^Adresse e-mail,Date,Prénom,Nom,Montant,Catégorie,Line,Column,Reason/);

  // Anne is a contact with her name, and her attendance is in her timeline (Paris time).
  await page.goto(`${collector.origin}/app/contacts?q=anne%40`);
  await page.getByRole('link', { name: 'anne@example.fr' }).click();
  assert.match(await page.locator('dl.facts').textContent(), /firstname\s*Anne/);
  const timeline = page.getByRole('table', { name: /Events of anne@example\.fr/ });
  assert.match(await timeline.textContent(), /Attended/);
  assert.match(await timeline.textContent(), /2024-03-31T00:30/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a long import shows its progress live until it ends', async () => {
  // 150,000 rows: long enough that the page is seen while the import runs.
  const { writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const lines = ['Email,Occurred at,Catégorie'];
  for (let i = 0; i < 150_000; i++) lines.push(`p${i % 3000}@example.com,2024-02-${String(1 + (i % 28)).padStart(2, '0')},web`);
  const file = `${tmpdir()}/wasmtrack-long-${process.pid}.csv`;
  await writeFile(file, lines.join('\n') + '\n');

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${collector.origin}/app/imports`);
  await page.getByLabel('Admin token or API key').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/app\/imports$/);
  await page.getByLabel('File').setInputFiles(file);
  await page.getByRole('button', { name: 'Upload and map the columns' }).click();
  await page.waitForURL(/\/app\/imports\/[0-9a-f]+$/);
  assert.equal(await page.getByLabel('Occurred at').inputValue(), 'occurred_at');
  await page.getByRole('button', { name: 'Start the import' }).click();
  await page.waitForURL(/\/app\/imports\/[0-9a-f]+$/);
  const url = page.url();

  // The counts move while the page stays where it is.
  const rows = page.locator('[data-field="rowsRead"]');
  const read = async () => Number((await rows.textContent()).replace(/,/g, '')) || 0;
  const first = await read();
  let later = first;
  for (let i = 0; i < 100 && later <= first; i++) {
    await page.waitForTimeout(100);
    later = await read();
  }
  assert.ok(later > first, `rows read moved from ${first} to ${later} without a reload`);
  await page.getByText('done', { exact: true }).waitFor({ timeout: 120_000 });
  assert.equal(page.url(), url);
  assert.equal(await page.locator('[data-field="stored"]').textContent(), '150,000');
  assert.equal(await page.locator('progress').getAttribute('value'), '100');
  await accessible(page, 'import running');
  assert.deepEqual(errors, []);
  await context.close();
});
