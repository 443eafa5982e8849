// A stand-in collector for tracker tests: serves static files and records every batch posted
// to /v1/collect, answering as a collector would (CORS for the page's origin, 200 + JSON).
// `delays` holds back chosen files, so a test can push calls before the script has loaded;
// `types` overrides the content type of chosen extensions (a server that misnames wasm);
// `headers` adds response headers to chosen paths (a page's Content-Security-Policy).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { beaconText } from './beacon-body.mjs';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

// A rule list in the collector's JSON shape, as the text trackers ask for with `?format=text`
// (`core::autotrack` in the crate documents the format; the collector's API tests check the
// real encoder against it).
const KINDS = { exact: 'e', startsWith: 's', contains: 'i', pattern: 'p' };
const field = (text) => text.replace(/[\\\t\r\n]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\r': '\\r', '\n': '\\n' })[c]);
function rulesText(rules) {
  const lines = rules.map((r) => {
    const [kind, value] = r.kind === 'click' ? ['c', r.selector] : [KINDS[r.match], r.value];
    const props = (r.properties || []).flatMap((p) => [p.name, p.source]);
    return [String(r.id), kind, ...[r.eventName, value, ...props].map(field)].join('\t');
  });
  return ['wr2', ...lines].join('\n');
}

// `rules` (the collector's JSON shape) is the auto-tracking rule list it answers
// `GET /v1/sites/{site}/rules` with.
export async function startCaptureServer({ roots, delays = {}, rules = [], types = {}, headers = {} }) {
  const batches = [];
  const waiters = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/v1/collect') return collect(req, res);
    if (/^\/v1\/sites\/[^/]+\/rules$/.test(url.pathname)) {
      const headers = { 'access-control-allow-origin': req.headers.origin || '*' };
      if (url.searchParams.get('format') === 'text') {
        return res.writeHead(200, { ...headers, 'content-type': 'text/plain' }).end(rulesText(rules));
      }
      return res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify({ version: 0, rules }));
    }
    if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
    for (const [prefix, dir] of Object.entries(roots)) {
      if (!url.pathname.startsWith(prefix)) continue;
      const rel = normalize(url.pathname.slice(prefix.length) || 'index.html').replace(/^(\.\.[/\\])+/, '');
      try {
        const body = await readFile(join(dir, rel));
        const delay = delays[req.url] ?? delays[url.pathname];
        if (delay) await new Promise((r) => setTimeout(r, delay));
        res.writeHead(200, { 'content-type': { ...TYPES, ...types }[extname(rel)] || 'application/octet-stream', 'cache-control': 'no-store', ...headers[url.pathname] });
        return res.end(body);
      } catch {
        // try the next root
      }
    }
    res.writeHead(404).end('not found');
  });

  function collect(req, res) {
    const cors = { 'access-control-allow-origin': req.headers.origin || '*', vary: 'Origin' };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const { text, gzip } = beaconText(Buffer.concat(chunks));
      const batch = JSON.parse(text);
      batches.push({ contentType: req.headers['content-type'], gzip, batch });
      res.writeHead(200, { ...cors, 'content-type': 'application/json' });
      res.end(JSON.stringify({ stored: batch.events.length, duplicates: 0, rejected: [] }));
      for (const w of waiters.splice(0)) w();
    });
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  // Each event with its batch context merged in, as the collector resolves it.
  const events = () => batches.flatMap((b) => b.batch.events.map((e) => ({ ...(b.batch.ctx || [])[e.c], ...e })));
  return {
    origin,
    batches,
    events,
    // Resolves once `predicate(events())` holds; rejects after `ms`.
    async waitFor(predicate, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!predicate(events())) {
        if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(events().map((e) => e.name))}`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return events();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
