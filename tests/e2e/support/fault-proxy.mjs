// A proxy in front of the real collector that answers /v1/collect from a script of faults
// (`[503, 503, 503, { status: 429, retryAfter: 1 }]`) before it forwards, and records every
// request: when it came, which event ids it carried, its size on the wire, whether it was
// gzipped, and what it was answered. The body is forwarded as it came (gzip included).
import { createServer } from 'node:http';
import { beaconText } from './beacon-body.mjs';

export async function startFaultProxy({ target, faults = [] }) {
  const script = [...faults];
  const requests = [];
  let preflights = 0;
  const server = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': req.headers.origin || '*',
      'access-control-expose-headers': 'Retry-After',
      vary: 'Origin',
    };
    if (req.method === 'OPTIONS') preflights++;
    if (req.method === 'OPTIONS') return res.writeHead(204, { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' }).end();
    if (req.method !== 'POST') {
      // Not a beacon (the tracker's rule list): passed through, not recorded.
      return fetch(target + req.url, { headers: { origin: req.headers.origin || '' } }).then(async (answer) => {
        res.writeHead(answer.status, { ...cors, 'content-type': answer.headers.get('content-type') || 'application/json' }).end(await answer.text());
      }, () => res.writeHead(502, cors).end());
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const { text, gzip } = beaconText(body);
      const ids = JSON.parse(text).events.map((e) => e.id);
      const seen = { at: Date.now(), ids, bytes: req.url.length + body.length, gzip, contentType: req.headers['content-type'] };
      const fault = script.shift();
      if (fault !== undefined) {
        const { status, retryAfter } = typeof fault === 'number' ? { status: fault } : fault;
        requests.push({ ...seen, status });
        const headers = retryAfter === undefined ? cors : { ...cors, 'retry-after': String(retryAfter) };
        return res.writeHead(status, headers).end('{"status":"error"}');
      }
      const answer = await fetch(target + req.url, { method: 'POST', body, headers: { 'content-type': 'text/plain', origin: req.headers.origin || '' } });
      requests.push({ ...seen, status: answer.status });
      res.writeHead(answer.status, { ...cors, 'content-type': 'application/json' }).end(await answer.text());
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    requests,
    // CORS preflights seen (a simple request needs none).
    get preflights() {
      return preflights;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
