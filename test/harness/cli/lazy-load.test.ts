// The cluster-free commands and --version must not load the cluster stack (client-node,
// testcontainers, execa): each command runs in a child process whose module resolutions are recorded
// by a loader hook, and the recorded packages are checked. `run` is the control: it does load them,
// so the recorder demonstrably sees them.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { COMMANDS } from '../../../harness/cli/commands/index.js';

const CLUSTER_STACK = ['@kubernetes/client-node', 'testcontainers', '@testcontainers/k3s', 'execa'];
const SEED = 'suites/zero-trust';
/** Arguments that make each command do its real work on the seed suite (others get the suite only). */
const ARGS: Record<string, string[]> = {
  explain: [SEED, '--from', 'develop/frontend', '--to', 'task-api/task-api'],
  diff: ['test/fixtures/results/none.json', 'test/fixtures/results/none.json'],
};

interface Loaded {
  code: number | null;
  packages: Set<string>;
  stderr: string;
}

async function packagesLoaded(dir: string, argv: string[]): Promise<Loaded> {
  const log = path.join(dir, `${argv.join('_').replace(/\W+/g, '_')}.log`);
  const child = promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', './test/fixtures/record-imports.mjs', 'harness/cli/bin.ts', ...argv], {
    env: { ...process.env, NO_COLOR: '1', NPH_IMPORT_LOG: log },
  });
  const r = await child.then(
    () => ({ code: 0, stderr: '' }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code ?? null, stderr: e.stderr ?? '' }),
  );
  const packages = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) packages.add(m[1]!);
  }
  return { ...r, packages };
}

describe('cli: lazy command loading', function () {
  this.timeout(120_000);
  let dir: string;
  const results = new Map<string, Loaded>();
  const cases = [['--version'], ...COMMANDS.map((c) => [c.name, ...(ARGS[c.name] ?? [SEED])])];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nph-lazy-'));
    // Concurrently: each child is a cold start of the CLI under tsx.
    await Promise.all(cases.map(async (argv) => results.set(argv[0]!, await packagesLoaded(dir, argv))));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('run (the control) loads the cluster stack, so the recorder sees it', () => {
    const run = results.get('run')!;
    expect([...run.packages]).to.include.members(['@kubernetes/client-node', 'execa']);
  });

  for (const argv of cases.filter((a) => a[0] !== 'run')) {
    it(`${argv.join(' ')} loads none of the cluster stack`, () => {
      const r = results.get(argv[0]!)!;
      expect(r.packages.size, 'the recorder saw no package at all').to.be.greaterThan(0);
      expect([...r.packages].filter((p) => CLUSTER_STACK.includes(p))).to.deep.equal([]);
    });
  }

  it('--version loads nothing but the argument parser and colours', () => {
    const r = results.get('--version')!;
    expect(r.code).to.equal(0);
    expect([...r.packages].filter((p) => p !== 'tsx' && p !== 'get-tsconfig' && p !== 'resolve-pkg-maps' && p !== 'esbuild').sort()).to.deep.equal(['commander', 'picocolors']);
  });

  it('the light commands did their work on the seed suite (not a usage or input error)', () => {
    for (const name of ['validate', 'simulate', 'explain']) expect(results.get(name)!.code, `${name}: ${results.get(name)!.stderr}`).to.equal(0);
    expect(results.get('lint')!.code, 'lint exits 1 on findings, never 2 here').to.be.oneOf([0, 1]);
  });
});
