// Golden-file comparison. `UPDATE_GOLDEN=1` rewrites the files instead of comparing; review the
// git diff afterwards. Fixtures fix every timestamp, so output is byte-for-byte deterministic.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { RunResult } from '../../../harness/diff/result.js';

const here = dirname(fileURLToPath(import.meta.url));
export const GOLDEN_DIR = join(here, 'golden');
export const FIXTURE_DIR = join(here, '..', '..', 'fixtures', 'results');

export const updating = (): boolean => process.env.UPDATE_GOLDEN === '1';

export function loadFixture(name: string): RunResult {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8')) as RunResult;
}

export function expectGolden(relPath: string, actual: string): void {
  const file = join(GOLDEN_DIR, relPath);
  if (updating()) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`golden file ${relPath} is missing: run with UPDATE_GOLDEN=1 to create it`);
  }
  // Compare line by line first so a failure points at the first differing line, not a 300 kB blob.
  const a = actual.split('\n');
  const e = expected.split('\n');
  const i = a.findIndex((line, n) => line !== e[n]);
  if (i >= 0 || a.length !== e.length) {
    const at = i >= 0 ? i : Math.min(a.length, e.length);
    expect(a[at], `${relPath} differs at line ${at + 1} (UPDATE_GOLDEN=1 to accept)`).to.equal(e[at]);
  }
  expect(actual).to.equal(expected);
}
