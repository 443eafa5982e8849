// Story: a front-end developer installs the npm package (the real `npm pack` output) into a
// fresh project, bundles their app with esbuild or with Vite, and the events arrive once, in
// order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCaptureServer } from './support/capture-server.mjs';
import { launch, watchErrors } from './support/browser.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
let browser;
let app;

before(async () => {
  browser = await launch();
  app = await mkdtemp(join(tmpdir(), 'wasmtrack-npm-'));
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: join(ROOT, 'pkg'), encoding: 'utf8' }).trim().split('\n').pop();
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'shop', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(app, packed)], { cwd: app, stdio: 'inherit' });
  await writeFile(join(app, 'app.js'), `
import { init, trackCustomBehavioralEvent, identify, flush } from 'wasmtrack';
window.warnings = [];
trackCustomBehavioralEvent({ name: 'before_init', properties: { order: 1 } });
init({ collector: window.COLLECTOR, site: 'site-1', onWarning: (w) => window.warnings.push(w.code) });
trackCustomBehavioralEvent({ name: 'bundled', properties: { order: 2, long: 'x'.repeat(300) } });
identify({ email: 'npm@example.com' });
window.flushed = flush().then(() => 'flushed');
`);
  execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), ['app.js', '--bundle', '--minify', '--format=esm', '--outfile=out/app.js'], { cwd: app, stdio: 'inherit' });
  await writeFile(join(app, 'out/index.html'), PAGE);
  // Vite builds from an index.html at the project root.
  await writeFile(join(app, 'index.html'), PAGE);
  execFileSync(join(ROOT, 'node_modules/.bin/vite'), ['build', '--outDir', 'vite-out', '--logLevel', 'warn'], { cwd: app, stdio: 'inherit' });
});

const PAGE = '<!doctype html><title>npm app</title><link rel="icon" href="data:,"><script>window.COLLECTOR = location.origin</script><script type="module" src="/app.js"></script><button id="buy">Buy</button>';
after(async () => browser?.close());

test('the package installs from its tarball with types and an exports map', async () => {
  const manifest = JSON.parse(await readFile(join(app, 'node_modules/wasmtrack/package.json'), 'utf8'));
  assert.equal(manifest.exports['.'].import, './index.js');
  const types = await readFile(join(app, 'node_modules/wasmtrack/index.d.ts'), 'utf8');
  for (const name of ['init', 'trackCustomBehavioralEvent', 'identify', 'setPath', 'trackPageView', 'flush', 'optOut', 'optIn']) {
    assert.match(types, new RegExp(`export function ${name}\\(`), `${name} is typed`);
  }
  assert.match(types, /export function trackCustomBehavioralEvent\(event: CustomBehavioralEvent\): void;/);
  assert.match(types, /export interface InitOptions/);
});

for (const [bundler, dir] of [['esbuild', 'out'], ['Vite', 'vite-out']]) {
  test(`the npm package bundled with ${bundler} sends every event once, in order`, async () => {
    const server = await startCaptureServer({ roots: { '/': join(app, dir) } });
    try {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      const requested = [];
      page.on('request', (r) => requested.push(new URL(r.url()).pathname));
      await page.goto(`${server.origin}/index.html`);
      await page.waitForFunction(() => window.flushed);
      assert.equal(await page.evaluate(() => window.flushed), 'flushed');
      const events = await server.waitFor((e) => e.length >= 4);
      // A site without rules: the auto-tracking chunk Vite split off is never loaded.
      assert.deepEqual(requested.filter((p) => p.includes('autotrack')), []);
      assert.deepEqual(events.map((e) => e.name), ['$pageview', 'before_init', 'bundled', '$identify']);
      assert.equal(new Set(events.map((e) => e.id)).size, 4);
      assert.equal(events[2].p.long.length, 256);
      assert.deepEqual(await page.evaluate(() => window.warnings), ['value_truncated']);
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await server.close();
    }
  });
}

// The auto-tracking module is `autotrack.js` in the package, imported by `index.js` only once
// the site's rule list has a rule: Vite makes it a chunk of its own, loaded then; esbuild
// (without --splitting) keeps it in the bundle. Either way the site's click rule fires.
for (const [bundler, dir] of [['esbuild', 'out'], ['Vite', 'vite-out']]) {
  test(`the npm package bundled with ${bundler} applies the site's click rules`, async () => {
    const rules = [{ id: 1, eventName: 'buy_clicked', label: 'Buy clicked', kind: 'click', selector: '#buy', properties: [] }];
    const server = await startCaptureServer({ roots: { '/': join(app, dir) }, rules });
    try {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      const requested = [];
      page.on('request', (r) => requested.push(new URL(r.url()).pathname));
      await page.goto(`${server.origin}/index.html`);
      await page.waitForFunction(() => window.flushed && localStorage.getItem('wasmtrack:v1:rules'));
      await page.click('#buy');
      const events = await server.waitFor((e) => e.some((x) => x.name === 'buy_clicked'), 6_000);
      assert.deepEqual(events.find((e) => e.name === 'buy_clicked').p, { element_text: 'Buy', selector: '#buy' });
      if (bundler === 'Vite') assert.ok(requested.some((p) => p.includes('autotrack')), requested.join(' '));
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await server.close();
    }
  });
}
