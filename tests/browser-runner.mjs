// Runs the wasm-bindgen-test suite (`tests/browser.rs`) in headless Chromium driven by
// playwright-core, as the e2e tests are, instead of through ChromeDriver. Under ChromeDriver
// the test page hung in one run of two or three ("Timed out receiving message from renderer",
// five minutes each): wasm-bindgen-test-runner's HTTP server stalls on one of the page's
// module requests, so the page never loads. Here a page that has not loaded in 15 s is
// loaded again by a fresh browser, which has always worked within two tries.
//
// `node tests/browser-runner.mjs <test.wasm>`: wasm-bindgen-test-runner serves the test page
// (its interactive mode, `NO_HEADLESS`), the page runs the tests on load and writes the
// harness's report into `#output`; this prints that report and exits 0 when it says ok.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { launch } from './e2e/support/browser.mjs';

const DEADLINE_MS = 180_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function main() {
  const wasm = process.argv[2];
  if (!wasm) throw new Error('usage: node tests/browser-runner.mjs <test.wasm>');
  const address = `127.0.0.1:${await freePort()}`;
  const runner = spawn('wasm-bindgen-test-runner', [wasm], {
    env: { ...process.env, NO_HEADLESS: '1', WASM_BINDGEN_TEST_ADDRESS: address },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let browser;
  try {
    await new Promise((resolve, reject) => {
      let seen = '';
      runner.stdout.on('data', (chunk) => {
        seen += chunk;
        if (seen.includes('available at')) resolve();
      });
      runner.once('exit', (code) => reject(new Error(`wasm-bindgen-test-runner exited (${code}) before serving:\n${seen}`)));
    });
    // The runner's small HTTP server sometimes stalls on one of the page's many module
    // requests (the snippet files), so the page never loads; a fresh browser, with fresh
    // connections, loads it. Tests only start once everything has loaded.
    let output;
    for (let attempt = 1; ; attempt++) {
      browser = await launch();
      const page = await browser.newPage();
      try {
        await page.goto(`http://${address}`, { timeout: 15_000 });
        output = page.locator('#output');
        break;
      } catch (error) {
        await browser.close();
        browser = undefined;
        if (attempt === 8) throw error;
        console.error(`browser tests: the test page did not load (${error.message.split('\n')[0]}); loading it again`);
      }
    }
    await output.page().waitForFunction(() => (document.querySelector('#output')?.textContent || '').includes('test result: '), null, {
      timeout: DEADLINE_MS,
      polling: 200,
    });
    const report = await output.textContent();
    process.stdout.write(`${report}\n`);
    return /test result: ok\./.test(report) ? 0 : 1;
  } finally {
    if (browser) await browser.close();
    runner.kill();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`browser tests: ${error.message}`);
    process.exit(1);
  },
);
