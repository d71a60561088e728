// `netpol-harness validate`: every malformed fixture fails with exit 2 and one message that names
// its file, field path, line and cause (expectations in test/fixtures/invalid/<case>/expect.json);
// valid suites, including the seed suite, pass with exit 0.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from './run-cli.js';

const INVALID = 'test/fixtures/invalid';
const VALID = 'test/fixtures/valid';
const SEED = 'suites/zero-trust/suite.yaml';

interface Expectation {
  /** Relative to the fixture directory. */
  file: string;
  path: string;
  line: number | null;
  contains: string;
}

const run = runCli;

const cases = readdirSync(INVALID, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('netpol-harness validate', () => {
  it('has at least 25 malformed fixtures, each with its expectation', () => {
    expect(cases.length).to.be.at.least(25);
    for (const c of cases) expect(existsSync(path.join(INVALID, c, 'expect.json')), `${c}/expect.json`).to.equal(true);
  });

  describe('malformed fixtures exit 2 with one message naming file, path, line and cause', () => {
    for (const name of cases) {
      it(name, async () => {
        const dir = path.join(INVALID, name);
        const exp = JSON.parse(readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Expectation;
        const file = path.relative(process.cwd(), path.resolve(dir, exp.file));
        const r = await run('validate', path.join(dir, 'suite.yaml'));
        expect(r.code, r.stderr).to.equal(2);
        const issueLines = r.stderr.split('\n').filter((l) => l.startsWith(`${dir}/`));
        expect(issueLines, `exactly one issue expected:\n${r.stderr}`).to.have.length(1);
        const line = issueLines[0]!;
        const where = exp.line === null ? `${file}: ` : new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${exp.line}(:\\d+)?: `);
        if (typeof where === 'string') expect(line.startsWith(where), line).to.equal(true);
        else expect(line).to.match(where);
        if (exp.path !== '') expect(line).to.include(`: ${exp.path}: `);
        expect(line).to.include(exp.contains);
        expect(r.stderr).not.to.match(/^\s+at /m);
      });
    }
  });

  describe('valid suites exit 0 with a one-line summary', () => {
    for (const name of readdirSync(VALID).sort()) {
      it(name, async () => {
        const r = await run('validate', path.join(VALID, name, 'suite.yaml'));
        expect(r.code, r.stderr).to.equal(0);
        // Warnings do not fail validation; they are printed with the file and line.
        if (name === 'with-warnings') {
          const lines = r.stderr.trim().split('\n');
          expect(lines).to.have.length(2);
          expect(lines[0]).to.match(/^test\/fixtures\/valid\/with-warnings\/suite\.yaml:46: warning: steps\[2\]\.apply\[0\]: "deny" is already applied/);
          expect(lines[1]).to.match(/policies\/allow\.yaml:15: warning: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr: "10\.1\.2\.3\/8" has host bits set/);
        } else expect(r.stderr).to.equal('');
        expect(r.stdout.trim().split('\n')).to.have.length(1);
        expect(r.stdout).to.match(/: valid: \d+ namespaces?, .* steps?; matrix \d+ sources? x \d+ columns? .* = \d+ cells? per step/);
      });
    }

    it('suites/real-apps validates cleanly; what only the cluster knows is a note, not an error', async () => {
      const clean = await run('validate', 'suites/real-apps');
      expect(clean.code, clean.stderr).to.equal(0);
      expect(clean.stderr).to.equal('');
      const r = await run('validate', 'test/fixtures/e2e/in-place/suite.yaml');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr.trim().split('\n')).to.deep.equal([
        'note: lab/statsd: labels and ports read from the cluster at run time (deployment/statsd); offline cells to it assume no labels and it has no columns',
        'note: kube-system/coredns: labels read from the cluster at run time (deployment/coredns); offline cells from and to it assume no labels',
      ]);
    });

    it('the seed suite (suites/zero-trust) validates cleanly', async () => {
      if (!existsSync(SEED)) expect.fail(`the seed suite ${SEED} is missing: it must exist and validate`);
      const r = await run('validate', SEED);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr, 'no warnings either').to.equal('');
      expect(r.stdout).to.include(`${SEED}: valid:`);
    });

    it('accepts a directory holding suite.yaml', async () => {
      const r = await run('validate', path.join(VALID, 'minimal'));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('test/fixtures/valid/minimal/suite.yaml: valid:');
    });
  });

  describe('usage and output', () => {
    it('reports a missing suite file clearly with exit 2', async () => {
      const r = await run('validate', 'test/fixtures/no-such-suite.yaml');
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('test/fixtures/no-such-suite.yaml: file not found');
    });

    it('rejects an unknown output format with exit 2', async () => {
      const r = await run('validate', path.join(VALID, 'minimal'), '--output', 'xml');
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('xml');
    });

    it('--output json prints the summary on success', async () => {
      const r = await run('validate', path.join(VALID, 'minimal', 'suite.yaml'), '--output', 'json');
      expect(r.code).to.equal(0);
      const j = JSON.parse(r.stdout) as { ok: boolean; summary: { namespaces: number; cells: number }; issues: unknown[] };
      expect(j.ok).to.equal(true);
      expect(j.summary.namespaces).to.equal(2);
      expect(j.summary.cells).to.be.greaterThan(0);
      expect(j.issues).to.deep.equal([]);
    });

    it('--output json prints every issue on failure and still exits 2', async () => {
      const r = await run('validate', path.join(INVALID, 'np-empty-peer', 'suite.yaml'), '-o', 'json');
      expect(r.code).to.equal(2);
      const j = JSON.parse(r.stdout) as { ok: boolean; issues: { file: string; path: string; line: number; message: string }[] };
      expect(j.ok).to.equal(false);
      expect(j.issues).to.have.length(1);
      expect(j.issues[0]).to.include({ path: 'spec.ingress[0].from[0]', line: 14 });
      expect(j.issues[0]!.file).to.equal('test/fixtures/invalid/np-empty-peer/policies/allow.yaml');
    });
  });

  describe('as a child process', function () {
    this.timeout(60_000);
    const bin = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/bin.ts', 'validate', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

    it('exits 2 without a stack trace on an invalid suite', () => {
      const r = bin(path.join(INVALID, 'np-except-outside-cidr', 'suite.yaml'));
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.include('spec.ingress[0].from[0].ipBlock.except[1]: "10.1.0.0/24" must be a strict subset of cidr');
      expect(r.stderr).not.to.match(/^ {4}at /m);
    });

    it('exits 2 without a stack trace on a missing file', () => {
      const r = bin('no/such/suite.yaml');
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.include('file not found');
      expect(r.stderr).not.to.match(/^ {4}at /m);
    });
  });
});
