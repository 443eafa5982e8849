// Starts the real collector binary on a free loopback port with a fresh data directory,
// serving the demo site and the built tracker, and stops it after the test.
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;
export const TOKEN = 'e2e-admin-token-0123456789abcdef0123';

export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// `port` and `dataDir` let a test stop the collector and start it again where it was;
// `siteOrigins` are the origins allowed to send beacons for the site `demo` (default: its own);
// `flags` are more command-line flags (e.g. `--allow-private-webhooks`).
export async function startCollector({ dataDir, port: fixedPort, siteOrigins, flags = [] } = {}) {
  const port = fixedPort || (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const data = dataDir || (await mkdtemp(join(tmpdir(), 'wasmtrack-collector-')));
  const origins = (siteOrigins || [origin]).join(',');
  const bin = process.env.WASMTRACK_COLLECTOR || join(ROOT, 'target/debug/wasmtrack-collector');
  const child = spawn(bin, ['--listen', `127.0.0.1:${port}`, '--data-dir', data, '--www', join(ROOT, 'www'), '--www', `/dist=${join(ROOT, 'dist')}`, '--site', `demo=${origins}`, ...flags], {
    env: { ...process.env, WASMTRACK_ADMIN_TOKEN: TOKEN },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${origin}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 100) throw new Error('collector did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = async (method, path, body) => {
    const res = await fetch(origin + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    origin,
    port,
    data,
    api,
    // The stored events named `name`, oldest first.
    async events(name) {
      const res = await api('GET', `/events/v3/events?eventType=${name}&sort=occurredAt&limit=1000`);
      return res.body.results;
    },
    // Waits until `count` events named `name` are stored (no more, no fewer), then returns them.
    async waitForEvents(name, count, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const stored = await this.events(name);
        if (stored.length >= count || Date.now() > deadline) return stored;
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
