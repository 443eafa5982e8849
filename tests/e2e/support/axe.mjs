// The accessibility check of a page: axe-core run inside it, serious and critical violations
// returned (a test asserts there are none). axe is injected from node_modules, never shipped.
// It is evaluated through the DevTools protocol rather than added as a script tag: pages with a
// strict Content-Security-Policy (the analyst app's) refuse inline scripts, as they should.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function seriousViolations(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
