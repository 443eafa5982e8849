// What every story of the analyst app does with its pages: photograph them (into target/, and
// into docs/app/ when WASMTRACK_UPDATE_DOCS is set) and hold them to the accessibility check.
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { seriousViolations } from './axe.mjs';

const SHOTS = new URL('../../../target/e2e/app/', import.meta.url).pathname;
const DOCS = new URL('../../../docs/app/', import.meta.url).pathname;

/// Screenshot of the whole page as `name.png`.
export async function shoot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  if (process.env.WASMTRACK_UPDATE_DOCS) await copyFile(`${SHOTS}${name}.png`, `${DOCS}${name}.png`);
}

/// Fails when axe-core finds a serious or critical violation on the page.
export async function accessible(page, name) {
  assert.deepEqual(await seriousViolations(page), [], `${name}: no serious or critical accessibility violation`);
}
