// `netpol-harness check`: exit codes 0/1/2, the wrong cell named with its explanation, lint findings
// as advice (info hidden unless --verbose), reports through the run's writers.
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArtifact } from '../../../harness/report/artifact-schema.js';
import { scratchSuites, SEED, type Scratch } from '../check/fixtures.js';
import { runCli } from './run-cli.js';

describe('netpol-harness check', () => {
  let s: Scratch;
  before(async () => {
    s = await scratchSuites();
  });
  after(async () => s.cleanup());

  it('exits 0 on the seed suite and prints its lint findings as advice', async () => {
    const r = await runCli('check', SEED);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^suites\/zero-trust\/suite\.yaml: passed: zero-trust, 8 steps, 608 cells \(608 hand-written\) against CNI profile calico: 0 disagreements$/m);
    expect(r.stdout).to.contain('lint: 0 errors, 0 warnings, 6 info (6 expected by the suite)');
    expect(r.stdout).to.match(/^check: 1 suite: 1 passed, 0 failed, 0 invalid$/m);
    // The shipped suites pass the strict check the README shows.
    const strict = await runCli('check', 'suites/', '--strict');
    expect([strict.code, strict.stdout.match(/^check: .*$/m)?.[0]]).to.deep.equal([0, 'check: 4 suites: 4 passed, 0 failed, 0 invalid']);
  });

  it('--strict: a suite that fails only on lint says so on its line', async () => {
    const r = await runCli('check', s.lintOnly, '--strict');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/suite\.yaml: FAILED \(--strict: lint 0 errors, 1 warning\): zero-trust, 8 steps, .*: 0 disagreements$/m);
    const wrong = await runCli('check', s.wrong, '--strict');
    expect(wrong.stdout).to.match(/FAILED \(4 disagreements\): zero-trust/);
  });

  it('exits 2 with "nothing was tested" and the reason when no cell can be judged offline (ports known only at run time)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nph-check-empty-'));
    try {
      await writeFile(
        path.join(dir, 'suite.yaml'),
        'apiVersion: netpol-harness/v1\nkind: Suite\nmetadata: { name: in-place }\nnamespaces: [{ name: default, existing: true }]\n' +
          'workloads:\n  - { name: web, namespace: default, existing: true, ref: pod/web, source: true }\nsteps:\n  - { name: as-deployed, expect: simulated }\n',
      );
      const r = await runCli('check', dir);
      expect(r.code, r.stdout).to.equal(2);
      expect(r.stdout).to.match(/NOTHING WAS TESTED \(no cell can be judged offline: default\/web: labels and ports read from the cluster at run time/);
      expect(r.stdout).to.not.match(/: passed:/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 on a wrong hand-written cell, naming the cell, its rule and the explanation', async () => {
    const r = await runCli('check', s.wrong);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.contain(
      'step 6/8 egress-rules: develop/frontend -> develop/production-db:5432/TCP: expected allow (',
    );
    // The rule is cited by its line in suite.yaml, so an editor jumps to it.
    expect(r.stdout).to.match(/expected allow \(\S*b-wrong\/suite\.yaml:\d+ rules\[13\] allow: develop\/frontend -> develop\/production-db:5432\/TCP\), the policies say deny/);
    expect(r.stdout).to.contain(
      'the policies say deny',
    );
    expect(r.stdout).to.match(/\n {4}denied: develop\/frontend is isolated for egress by develop\/default-deny.*\n {6}egress of develop\/frontend: /);
    expect(r.stdout).to.match(/FAILED \(4 disagreements\): zero-trust, .*: 4 disagreements/);
  });

  it('checks a directory of suites: the broken one is reported, the others checked, exit 2', async () => {
    const r = await runCli('check', s.dir);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.match(/c-broken\/suite\.yaml: INVALID \(2 problems\)\n {2}.*suite\.yaml:4: namespaces: must list at least 1 item/);
    expect(r.stdout).to.match(/a-good\/suite\.yaml: passed/);
    expect(r.stdout).to.match(/b-wrong\/suite\.yaml: FAILED/);
    expect(r.stdout).to.match(/^check: 3 suites: 1 passed, 1 failed \(4 disagreements\), 1 invalid$/m);
  });

  it('--output json lists suites, disagreements and lint findings', async () => {
    const r = await runCli('check', s.good, s.wrong, '--output', 'json');
    expect(r.code).to.equal(1);
    const out = JSON.parse(r.stdout) as { exitCode: number; suites: { passed: boolean; disagreements: { col: string }[]; lint: { hiddenInfo: number } }[] };
    expect(out.exitCode).to.equal(1);
    expect(out.suites.map((x) => x.passed)).to.deep.equal([true, false]);
    expect(out.suites[1]!.disagreements).to.have.length(4);
  });

  it('--report-dir writes the run reports: JUnit failures for authoring cells, a check artifact, the step summary', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nph-check-reports-'));
    try {
      const summary = path.join(dir, 'step-summary.md');
      const { runCheck } = await import('../../../harness/cli/commands/check.js');
      const r = await runCheck([s.wrong], { output: 'text', reportDir: dir }, { GITHUB_STEP_SUMMARY: summary });
      expect(r.exitCode).to.equal(1);
      const junit = await readFile(path.join(dir, 'junit.xml'), 'utf8');
      expect(junit).to.match(/<testsuites name="netpol-harness zero-trust" tests="608" failures="4" errors="0"/);
      expect(junit).to.contain('message="expected allow, the policies say deny (denied: develop/frontend is isolated for egress');
      const artifact = parseArtifact(JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')), 'results.json');
      expect(artifact).to.include({ mode: 'check', profile: 'calico' });
      expect(artifact.summary).to.include({ passed: false, wrong: 4, authoring: 4, errors: 0 });
      const md = await readFile(summary, 'utf8');
      expect(md).to.match(/^## ❌ netpol-harness check: zero-trust failed/);
      expect(md).to.contain('expected allow (rules[13]) · simulated deny\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('--report-dir with several suites: one sub-directory per valid suite; the step summary lists the invalid one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'nph-check-reports-'));
    try {
      const summary = path.join(dir, 'step-summary.md');
      const { runCheck } = await import('../../../harness/cli/commands/check.js');
      const r = await runCheck([s.dir], { output: 'text', reportDir: path.join(dir, 'out') }, { GITHUB_STEP_SUMMARY: summary });
      expect(r.exitCode).to.equal(2);
      expect((await readdir(path.join(dir, 'out'))).sort()).to.deep.equal(['zero-trust', 'zero-trust-2']);
      expect((await readdir(path.join(dir, 'out', 'zero-trust-2'))).sort()).to.deep.equal(['junit.xml', 'report.html', 'results.json', 'summary.md']);
      const md = await readFile(summary, 'utf8');
      expect(md.match(/^## .* netpol-harness check: zero-trust (passed|failed)$/gm)).to.have.length(2);
      expect(md).to.match(/## ❌ netpol-harness check: invalid input\n\n- \*\*.*c-broken\/suite\.yaml\*\* is invalid:\n {2}- `.*suite\.yaml:4: namespaces: must list at least 1 item`/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on a path that does not exist, still checking the others', async () => {
    const r = await runCli('check', 'suites/nope', SEED);
    expect(r.code).to.equal(2);
    expect(r.stdout).to.match(/^suites\/nope: file not found$/m);
    expect(r.stdout).to.match(/suites\/zero-trust\/suite\.yaml: passed/);
  });
});
