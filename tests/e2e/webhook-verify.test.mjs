// The README's webhook verifier (docs/examples/verify-webhook.mjs) against the real collector:
// a workflow's webhook reaches a Node receiver that verifies it with the workflow's secret, and
// the same function refuses the request altered, signed with another secret, or replayed late.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { startCollector } from './support/collector.mjs';
import { verifyWasmtrackSignature } from '../../docs/examples/verify-webhook.mjs';

const ROOT = new URL('../../', import.meta.url);

test('the README verifier accepts what the collector signs and nothing else', async () => {
  const got = [];
  const receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c)).on('end', () => {
      got.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const collector = await startCollector({ flags: ['--allow-private-webhooks'] });
  try {
    const defined = await collector.api('POST', '/events/v3/event-definitions', {
      label: 'Signed up', name: 'signup', primaryObject: 'CONTACT',
      propertyDefinitions: [{ name: 'plan', label: 'Plan', type: 'string' }],
    });
    assert.equal(defined.status, 201, JSON.stringify(defined.body));
    const created = await collector.api('POST', '/v1/workflows', {
      name: 'Welcome', enabled: true,
      triggers: [{ event: 'signup', filters: [{ property: 'plan', operator: 'EQ', value: 'pro' }] }],
      actions: [{ type: 'webhook', url: `http://127.0.0.1:${receiver.address().port}/hook` }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { secret } = created.body;
    const sent = await collector.api('POST', '/events/v3/send', {
      eventName: 'signup', email: 'ada@example.com', properties: { plan: 'pro' },
    });
    assert.equal(sent.status, 204, JSON.stringify(sent.body));
    for (let i = 0; got.length === 0; i++) {
      assert.ok(i < 200, 'the webhook never came');
      await new Promise((r) => setTimeout(r, 50));
    }
    const [{ headers, raw }] = got;
    const signature = headers['wasmtrack-signature'];
    assert.match(signature, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.equal(verifyWasmtrackSignature(secret, raw, signature), true);
    const body = JSON.parse(raw);
    assert.equal(body.contact.email, 'ada@example.com');
    assert.equal(headers['idempotency-key'], body.id);

    const altered = Buffer.from(raw.toString().replace('ada@', 'eve@'));
    assert.equal(verifyWasmtrackSignature(secret, altered, signature), false, 'altered body');
    assert.equal(verifyWasmtrackSignature('0'.repeat(64), raw, signature), false, 'other secret');
    const t = Number(signature.slice(2, signature.indexOf(',')));
    const old = Date.now;
    Date.now = () => (t + 301) * 1000;
    try {
      assert.equal(verifyWasmtrackSignature(secret, raw, signature), false, 'replayed late');
    } finally {
      Date.now = old;
    }
    assert.equal(verifyWasmtrackSignature(secret, raw, `${signature},v1=${'ab'.repeat(32)}`), true, 'one of several v1');
    assert.equal(verifyWasmtrackSignature(secret, raw, undefined), false);

    // The README shows the verifier as it is in the file.
    const readme = await readFile(new URL('README.md', ROOT), 'utf8');
    const example = await readFile(new URL('docs/examples/verify-webhook.mjs', ROOT), 'utf8');
    const fn = example.slice(example.indexOf('import { createHmac'), example.indexOf('// A receiver:')).trim();
    assert.ok(readme.includes(fn), 'README.md quotes docs/examples/verify-webhook.mjs');
  } finally {
    await collector.stop();
    receiver.close();
  }
});
