// Scratch copies of the seed suite for check tests: one as is, one with a wrong hand-written cell,
// one broken. Built per test run in a temporary directory (removed by the caller).
import { cp, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const SEED = 'suites/zero-trust';
/** The seed's rule for frontend -> backend, and the wrong one the tests write instead. */
export const RIGHT_RULE = '        - allow: "develop/frontend -> develop/backend:8080/TCP"';
export const WRONG_RULE = '        - allow: "develop/frontend -> develop/production-db:5432/TCP"';

export interface Scratch {
  dir: string;
  good: string;
  wrong: string;
  broken: string;
  /** The seed without its NPH006 silencing: no disagreement, one lint warning (outside `dir`). */
  lintOnly: string;
  cleanup: () => Promise<void>;
}

export async function scratchSuites(): Promise<Scratch> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nph-check-'));
  const good = path.join(dir, 'a-good');
  const wrong = path.join(dir, 'b-wrong');
  const broken = path.join(dir, 'c-broken');
  await cp(SEED, good, { recursive: true });
  await cp(SEED, wrong, { recursive: true });
  const text = await readFile(path.join(wrong, 'suite.yaml'), 'utf8');
  if (!text.includes(RIGHT_RULE)) throw new Error('the seed suite changed: update test/harness/check/fixtures.ts');
  await writeFile(path.join(wrong, 'suite.yaml'), text.replaceAll(RIGHT_RULE, WRONG_RULE));
  await mkdir(broken);
  await writeFile(path.join(broken, 'suite.yaml'), 'apiVersion: netpol-harness/v1\nkind: Suite\nmetadata: { name: broken }\nnamespaces: []\nsteps: []\n');
  const lintDir = await mkdtemp(path.join(os.tmpdir(), 'nph-check-lint-'));
  const lintOnly = path.join(lintDir, 'lint-only');
  await cp(SEED, lintOnly, { recursive: true });
  const silenced = 'file: policies/task-api-egress.yaml, lint: { disable: [NPH006] } }';
  if (!text.includes(silenced)) throw new Error('the seed suite changed: update test/harness/check/fixtures.ts');
  await writeFile(path.join(lintOnly, 'suite.yaml'), text.replace(silenced, 'file: policies/task-api-egress.yaml }'));
  return {
    dir,
    good,
    wrong,
    broken,
    lintOnly,
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
      await rm(lintDir, { recursive: true, force: true });
    },
  };
}
