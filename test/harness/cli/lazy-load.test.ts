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
/** What the TypeScript loader the tests run under brings along. */
const TSX = ['tsx', 'get-tsconfig', 'resolve-pkg-maps', 'esbuild'];
const SEED = 'suites/zero-trust';
/** Commands that talk to a cluster: they may load the stack (run is the control below). */
const CLUSTER_COMMANDS = new Set(['run', 'discover', 'diagnose', 'conformance', 'down']);
/** Arguments that make each command do its real work on the seed suite (others get the suite only). */
const ARGS: Record<string, string[]> = {
  explain: [SEED, '--from', 'develop/frontend', '--to', 'task-api/task-api'],
  diff: ['test/fixtures/results/none.json', 'test/fixtures/results/none.json'],
  // The control: an invalid suite, so that it stops (exit 2) before anything touches a cluster.
  run: ['test/fixtures/invalid/np-empty-peer/suite.yaml'],
};

interface Loaded {
  code: number | null;
  packages: Set<string>;
  urls: string[];
  stdout: string;
  stderr: string;
}

async function packagesLoaded(dir: string, argv: string[]): Promise<Loaded> {
  const log = path.join(dir, `${argv.join('_').replace(/\W+/g, '_')}.log`);
  const child = promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', './test/fixtures/record-imports.mjs', 'harness/cli/bin.ts', ...argv], {
    env: { ...process.env, NO_COLOR: '1', NPH_IMPORT_LOG: log },
  });
  const r = await child.then(
    (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? null, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
  const packages = new Set<string>();
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  for (const url of urls) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) packages.add(m[1]!);
  }
  return { ...r, packages, urls };
}

describe('cli: lazy command loading', function () {
  this.timeout(600_000);
  let dir: string;
  const results = new Map<string, Loaded>();
  const cases = [['--version'], ...COMMANDS.filter((c) => c.name === 'run' || !CLUSTER_COMMANDS.has(c.name)).map((c) => [c.name, ...(ARGS[c.name] ?? [SEED])])];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'nph-lazy-'));
    // Two at a time: each child is a cold start of the CLI under tsx, and the machine may be busy.
    const queue = [...cases];
    const worker = async (): Promise<void> => {
      for (let argv = queue.shift(); argv; argv = queue.shift()) results.set(argv[0]!, await packagesLoaded(dir, argv));
    };
    await Promise.all([worker(), worker()]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('run (the control) loads the cluster stack, so the recorder sees it', () => {
    const run = results.get('run')!;
    expect(run.code, run.stderr).to.equal(2);
    expect([...run.packages]).to.include.members(['@kubernetes/client-node', 'execa']);
  });

  for (const argv of cases.filter((a) => !CLUSTER_COMMANDS.has(a[0]!) && a[0] !== '--version')) {
    it(`${argv.join(' ')} loads none of the cluster stack`, () => {
      const r = results.get(argv[0]!)!;
      expect(r.packages, 'the recorder saw the argument parser').to.include('commander');
      expect([...r.packages].filter((p) => CLUSTER_STACK.includes(p))).to.deep.equal([]);
    });
  }

  it('--version loads no package at all (not even the argument parser) and prints package.json\'s version', () => {
    const r = results.get('--version')!;
    expect(r.code).to.equal(0);
    expect(r.stdout).to.equal(`${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}\n`);
    expect([...r.packages].filter((p) => !TSX.includes(p))).to.deep.equal([]);
    expect(r.urls.some((u) => u.endsWith('/harness/cli/version.ts')), 'the recorder saw the CLI\'s own modules').to.equal(true);
  });

  it('the light commands did their work on the seed suite (not a usage or input error)', () => {
    for (const name of ['validate', 'simulate', 'explain']) expect(results.get(name)!.code, `${name}: ${results.get(name)!.stderr}`).to.equal(0);
    expect(results.get('lint')!.code, 'lint exits 1 on findings, never 2 here').to.be.oneOf([0, 1]);
  });
});
