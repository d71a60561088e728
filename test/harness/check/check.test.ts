// The check library: every hand-written cell compared with the simulation, authoring disagreements
// with the engine's explanation, invalid suites reported without stopping the others.
import { expect } from 'chai';
import { checkExitCode, checkPaths, checkSuite } from '../../../harness/check/check.js';
import { findSuites } from '../../../harness/check/find.js';
import { classifyCell, summarizeRun } from '../../../harness/diff/three-way.js';
import { scratchSuites, SEED, type Scratch } from './fixtures.js';

describe('check', () => {
  let s: Scratch;
  before(async () => {
    s = await scratchSuites();
  });
  after(async () => s.cleanup());

  it('passes the seed suite: every hand-written cell agrees with the simulation', async () => {
    const r = await checkSuite(SEED);
    if (!r.valid) throw new Error('seed invalid');
    expect(r.disagreements).to.deep.equal([]);
    expect(r.failed).to.equal(false);
    expect(r.handWritten).to.equal(608);
    expect(r.run.mode).to.equal('check');
    expect(r.run.steps.flatMap((st) => st.cells).every((c) => c.probed === false && c.observed === undefined)).to.equal(true);
    expect(summarizeRun(r.run)).to.include({ passed: true, wrong: 0, errors: 0, authoring: 0, cells: 608 });
    // The seed's deliberate DNS mistake is a lint finding its own expectations state: info, so even a strict check passes.
    expect(r.lint.findings.filter((f) => f.rule === 'NPH001').map((f) => f.severity)).to.deep.equal(['info', 'info', 'info', 'info']);
    const strict = await checkSuite(SEED, { strict: true });
    expect(strict.valid && strict.failed).to.equal(false);
  });

  it('--strict: lint errors and warnings fail the check', async () => {
    const r = await checkSuite(s.lintOnly, { strict: true });
    expect(r.valid && r.failed).to.equal(true);
    const lax = await checkSuite(s.lintOnly);
    expect(lax.valid && lax.failed).to.equal(false);
  });

  it('names the wrong cell, its rule and the explanation, and fails it as authoring', async () => {
    const r = await checkSuite(s.wrong);
    if (!r.valid) throw new Error('invalid');
    expect(r.failed).to.equal(true);
    const d = r.disagreements.find((x) => x.step === 'egress-rules' && x.col === 'develop/production-db:5432/TCP')!;
    expect(d).to.include({ src: 'develop/frontend', expected: 'allow', simulated: 'deny', origin: 'rules[13]', rule: 'allow: develop/frontend -> develop/production-db:5432/TCP', stepNumber: 6 });
    expect(d.explanation.summary).to.match(/^denied: develop\/frontend is isolated for egress by develop\/default-deny/);
    // Steps 6 and 7 both carry the rule; frontend -> backend now falls to `deny develop/* -> *`.
    expect(r.disagreements.map((x) => `${x.step} ${x.col}`)).to.deep.equal([
      'egress-rules develop/backend:8080/TCP',
      'egress-rules develop/production-db:5432/TCP',
      'attacker-probe develop/backend:8080/TCP',
      'attacker-probe develop/production-db:5432/TCP',
    ]);
    const cell = r.run.steps[5]!.cells.find((c) => c.src === 'develop/frontend' && c.col === 'develop/production-db:5432/TCP')!;
    expect(classifyCell(cell)).to.deep.equal(['authoring']);
    expect(summarizeRun(r.run)).to.include({ passed: false, wrong: 4, authoring: 4, errors: 0 });
  });

  it('checks every suite of a directory; a broken one is reported and the exit code is 2', async () => {
    const r = await checkPaths([s.dir]);
    expect(r.suites.map((x) => [x.valid, x.valid && x.failed])).to.deep.equal([
      [true, false],
      [true, true],
      [false, false],
    ]);
    const broken = r.suites[2]!;
    expect(broken.valid ? [] : broken.issues.map((i) => i.path)).to.deep.equal(['namespaces', 'steps']);
    expect(r.exitCode).to.equal(2);
    expect((await checkPaths([s.good, s.wrong])).exitCode).to.equal(1);
    expect((await checkPaths([s.good])).exitCode).to.equal(0);
  });

  it('finds suites by suite.yaml or kind: Suite, skips policy files, reports paths that do not exist', async () => {
    const f = await findSuites([s.dir, `${s.dir}/nope`, `${s.good}/suite.yaml`]);
    expect(f.files.map((x) => x.slice(s.dir.length))).to.deep.equal(['/a-good/suite.yaml', '/b-wrong/suite.yaml', '/c-broken/suite.yaml']);
    expect(f.problems).to.have.length(1);
    expect(f.problems[0]!.message).to.equal('file not found');
    expect(checkExitCode([], f.problems)).to.equal(2);
  });
});
