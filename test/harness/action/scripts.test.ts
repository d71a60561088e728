// The GitHub Action's step scripts (scripts/action/*.sh), run locally with bash: every part that needs
// no GitHub (kind install from a file:// "release", the run step with a fake CLI, the verdict, the
// clean-up) with GITHUB_OUTPUT/ENV/PATH/STEP_SUMMARY pointed at temporary files.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const script = (name: string): string => path.join(ROOT, 'scripts/action', name);

interface Ran {
  status: number | null;
  stdout: string;
  output: Record<string, string>;
  env: string;
  path: string;
  summary: string;
}

let tmp: string;

function run(name: string, env: Record<string, string>, cwd = tmp): Ran {
  const files = { GITHUB_OUTPUT: 'output', GITHUB_ENV: 'env', GITHUB_PATH: 'path', GITHUB_STEP_SUMMARY: 'summary' };
  const dir = mkdtempSync(path.join(tmp, 'gh-'));
  for (const f of Object.values(files)) writeFileSync(path.join(dir, f), '');
  const r = spawnSync('bash', [script(name)], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: tmp, RUNNER_TEMP: path.join(dir, 'runner'), ...Object.fromEntries(Object.entries(files).map(([k, v]) => [k, path.join(dir, v)])), ...env },
  });
  const read = (f: string): string => readFileSync(path.join(dir, f), 'utf8');
  const output = Object.fromEntries(read('output').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { status: r.status, stdout: r.stdout + r.stderr, output, env: read('env'), path: read('path'), summary: read('summary') };
}

function executable(file: string, body: string): string {
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

describe('action scripts (scripts/action)', function () {
  this.timeout(30_000);
  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'nph-action-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  describe('install-kind.sh', () => {
    /** A kind "release" as a file:// directory: v0.32.0/kind-linux-amd64 and its .sha256sum. */
    function release(reports = 'kind v0.32.0 go1.24.0 linux/amd64', digest?: string): string {
      const dir = path.join(tmp, 'release', 'v0.32.0');
      mkdirSync(dir, { recursive: true });
      const bin = executable(path.join(dir, 'kind-linux-amd64'), `#!/bin/sh\necho '${reports}'\n`);
      const sum = digest ?? createHash('sha256').update(readFileSync(bin)).digest('hex');
      writeFileSync(`${bin}.sha256sum`, `${sum}  kind-linux-amd64\n`);
      return `file://${path.join(tmp, 'release')}`;
    }
    const env = (base: string, over: Record<string, string> = {}) => ({ KIND_BASE_URL: base, KIND_VERSION: 'v0.32.0', KIND_ARCH: 'x86_64', ...over });

    it('installs the verified binary, puts it on PATH and exports NPH_KIND', () => {
      const r = run('install-kind.sh', env(release()));
      expect(r.status, r.stdout).to.equal(0);
      expect(r.stdout).to.include('kind v0.32.0');
      const dir = r.path.trim();
      expect(dir).to.match(/kind-v0\.32\.0$/);
      expect(r.env).to.equal(`NPH_KIND=${dir}/kind\n`);
      expect(r.output.kind).to.equal(`${dir}/kind`);
    });

    it('fails on a binary that does not match the published checksum', () => {
      const r = run('install-kind.sh', env(release(undefined, 'a'.repeat(64))));
      expect(r.status).to.equal(1);
      expect(r.stdout).to.match(/::error title=kind::.*does not match its published checksum/);
      expect(r.path).to.equal('');
    });

    it('fails when kind-sha256 pins another digest', () => {
      const r = run('install-kind.sh', env(release(), { KIND_SHA256: 'b'.repeat(64) }));
      expect(r.status).to.equal(1);
      expect(r.stdout).to.include('differs from the pinned kind-sha256');
    });

    it('fails when the binary reports another version', () => {
      const r = run('install-kind.sh', env(release('kind v0.31.0 go1.24.0 linux/amd64')));
      expect(r.status).to.equal(1);
      expect(r.stdout).to.include("reports 'kind v0.31.0");
    });

    it('refuses a malformed kind-version (exit 2) before downloading anything', () => {
      const r = run('install-kind.sh', env('file:///nonexistent', { KIND_VERSION: 'latest; rm -rf /' }));
      expect(r.status).to.equal(2);
      expect(r.stdout).to.include("kind-version 'latest; rm -rf /' must look like v0.32.0");
    });
  });

  describe('run-suite.sh', () => {
    /** A stand-in CLI: records its argv, prints a line, exits with $FAKE_EXIT. */
    function fakeCli(): string {
      return executable(path.join(tmp, 'cli.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(path.join(tmp, 'argv.json'))}, JSON.stringify(process.argv.slice(2)));\nconsole.log('fake harness output');\nprocess.exit(Number(process.env.FAKE_EXIT ?? 0));\n`);
    }
    function workspace(): string {
      const ws = path.join(tmp, 'ws');
      mkdirSync(path.join(ws, 'netpol'), { recursive: true });
      writeFileSync(path.join(ws, 'netpol', 'suite.yaml'), 'metadata: {name: x}\n');
      return ws;
    }
    const base = (over: Record<string, string> = {}) => ({ NPH_CLI: fakeCli(), SUITE: 'netpol/suite.yaml', CNI: 'calico', CLUSTER_NAME: 'nph-action', REPORT_DIR: 'out/reports', ...over });
    const argv = (): string[] => JSON.parse(readFileSync(path.join(tmp, 'argv.json'), 'utf8')) as string[];

    for (const code of ['0', '1', '2']) {
      it(`passes the harness's exit code ${code} on as the output, never failing the step itself`, () => {
        const ws = workspace();
        const r = run('run-suite.sh', base({ FAKE_EXIT: code }), ws);
        expect(r.status, r.stdout).to.equal(0);
        expect(r.output).to.deep.equal({ 'report-dir': 'out/reports', 'exit-code': code });
        expect(readFileSync(path.join(ws, 'out/reports/run.log'), 'utf8')).to.equal('fake harness output\n');
      });
    }

    it('runs `run <suite> --cni --cluster-name --keep --report-dir`, plus --node-image and the extra args', () => {
      const ws = workspace();
      const r = run('run-suite.sh', base({ CNI: 'kube-router', NODE_IMAGE: 'kindest/node:v1.36.1', EXTRA_ARGS: ' --via pod  --workers 3 ' }), ws);
      expect(r.status, r.stdout).to.equal(0);
      expect(argv()).to.deep.equal(['run', 'netpol/suite.yaml', '--cni', 'kube-router', '--cluster-name', 'nph-action', '--keep', '--report-dir', 'out/reports', '--node-image', 'kindest/node:v1.36.1', '--via', 'pod', '--workers', '3']);
    });

    const refused: [string, Record<string, string>, RegExp][] = [
      ['an absolute suite path', { SUITE: '/etc/passwd' }, /suite '\/etc\/passwd' must be a relative path/],
      ['a suite path leaving the repository', { SUITE: '../x/suite.yaml' }, /must be a relative path/],
      ['a suite that does not exist', { SUITE: 'netpol/nope.yaml' }, /suite netpol\/nope.yaml does not exist/],
      ['shell characters in the suite path', { SUITE: 'netpol/$(id).yaml' }, /must be a relative path/],
      ['an unknown CNI', { CNI: 'flannel' }, /cni 'flannel' must be calico, kube-router or none/],
      ['an unsafe extra argument', { EXTRA_ARGS: '--via pod;reboot' }, /args: '--via pod;reboot'|args: 'pod;reboot'/],
      ['an unsafe report dir', { REPORT_DIR: '/tmp/x' }, /report-dir '\/tmp\/x' must be a relative path/],
    ];
    for (const [what, over, message] of refused) {
      it(`${what}: usage error, exit-code 2, the CLI never runs`, () => {
        const ws = workspace();
        const r = run('run-suite.sh', base(over), ws);
        expect(r.status).to.equal(0);
        expect(r.output['exit-code']).to.equal('2');
        expect(r.stdout).to.match(/::error title=suite::/).and.match(message);
        expect(() => readFileSync(path.join(tmp, 'argv.json'))).to.throw();
      });
    }
  });

  describe('verdict.sh', () => {
    const verdict = (over: Record<string, string>) => run('verdict.sh', { REPORT_DIR: '', RUN_OUTCOME: 'success', ...over });

    it('0: passes quietly', () => {
      const r = verdict({ EXIT_CODE: '0' });
      expect(r.status).to.equal(0);
      expect(r.summary).to.equal('');
    });

    it('1: fails the step with a mismatch annotation', () => {
      const r = verdict({ EXIT_CODE: '1' });
      expect(r.status).to.equal(1);
      expect(r.stdout).to.include('::error title=netpol-harness::policy mismatches');
    });

    it("2: fails with exit 2 and puts the run log's tail on the job summary", () => {
      mkdirSync(path.join(tmp, 'rep'));
      writeFileSync(path.join(tmp, 'rep', 'run.log'), 'line one\nnetpol-harness: infra error\nkind create cluster failed\n');
      const r = verdict({ EXIT_CODE: '2', REPORT_DIR: 'rep' });
      expect(r.status).to.equal(2);
      expect(r.summary).to.include('## netpol-harness: infrastructure or usage error (exit 2)').and.include('kind create cluster failed');
    });

    it('no exit code: a skipped run and a cancelled one are told apart, both fail', () => {
      const skipped = verdict({ EXIT_CODE: '', RUN_OUTCOME: 'skipped' });
      expect(skipped.status).to.equal(1);
      expect(skipped.summary).to.include('the suite did not run');
      const cancelled = verdict({ EXIT_CODE: '', RUN_OUTCOME: 'cancelled' });
      expect(cancelled.status).to.equal(1);
      expect(cancelled.summary).to.include('run step cancelled');
    });
  });

  describe('clean-up and diagnostics', () => {
    /** Fake kind and docker that log their argv; kind knows the clusters in $FAKE_CLUSTERS. */
    function fakeTools(): string {
      const bin = path.join(tmp, 'bin');
      mkdirSync(bin);
      const log = path.join(tmp, 'calls.log');
      executable(path.join(bin, 'kind'), `#!/bin/sh\necho "kind $*" >>${log}\n[ "$1 $2" = "get clusters" ] && printf '%s\\n' $FAKE_CLUSTERS\nexit 0\n`);
      executable(path.join(bin, 'docker'), `#!/bin/sh\necho "docker $*" >>${log}\nexit 0\n`);
      return bin;
    }
    const calls = (): string[] => readFileSync(path.join(tmp, 'calls.log'), 'utf8').trim().split('\n');

    it('delete-cluster.sh deletes the named cluster and its external containers', () => {
      const bin = fakeTools();
      const r = run('delete-cluster.sh', { CLUSTER_NAME: 'nph-action', PATH: `${bin}:${process.env.PATH ?? ''}` });
      expect(r.status).to.equal(0);
      expect(calls()).to.deep.equal(['kind delete cluster --name nph-action', 'docker ps --all --quiet --filter label=netpol-harness.cluster=nph-action']);
    });

    it('collect-diagnostics.sh does nothing when the cluster does not exist', () => {
      const bin = fakeTools();
      const r = run('collect-diagnostics.sh', { CLUSTER_NAME: 'nph-action', REPORT_DIR: 'rep', FAKE_CLUSTERS: 'other', PATH: `${bin}:${process.env.PATH ?? ''}` });
      expect(r.status).to.equal(0);
      expect(r.stdout).to.include('no kind cluster named nph-action: nothing to collect');
      expect(calls()).to.deep.equal(['kind get clusters']);
    });

    it('collect-diagnostics.sh exports the logs of an existing cluster', () => {
      const bin = fakeTools();
      const r = run('collect-diagnostics.sh', { CLUSTER_NAME: 'nph-action', REPORT_DIR: 'rep', FAKE_CLUSTERS: 'nph-action', PATH: `${bin}:${process.env.PATH ?? ''}` });
      expect(r.status).to.equal(0);
      expect(calls()).to.include('kind export logs rep/diagnostics/kind-logs --name nph-action');
    });
  });
});
