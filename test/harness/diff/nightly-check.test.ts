// `diff` on `check` results (nothing probed, no observed verdicts) compares the simulated verdicts
// and says so; a results.json listing a cell twice in a step is rejected, naming the cell.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDiff } from '../../../harness/cli/commands/diff.js';
import { main } from '../../../harness/cli/main.js';
import { checkLoaded } from '../../../harness/check/check.js';
import { diffArtifacts } from '../../../harness/diff/nightly.js';
import type { RunResult } from '../../../harness/diff/result.js';
import { EXIT, InputError } from '../../../harness/errors.js';
import { renderArtifactJson } from '../../../harness/report/files.js';
import { loadSuite } from '../../../harness/suite/load.js';
import { loadFixture } from '../report/golden.js';

const SEED = 'suites/zero-trust/suite.yaml';
const DEBUG_TO_DB = ['develop/debug', 'develop/production-db:5432/TCP'];

/** The seed suite checked as it is, and with develop's policies gone (paths open). */
async function checks(): Promise<{ before: RunResult; after: RunResult }> {
  const before = checkLoaded(await loadSuite(SEED)).run;
  const loosened = await loadSuite(SEED);
  for (const [id, docs] of loosened.policies) loosened.policies.set(id, docs.filter((d) => d.policy.metadata?.namespace !== 'develop'));
  return { before, after: checkLoaded(loosened).run };
}

async function failure(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).to.be.instanceOf(InputError);
  return e as InputError;
}

describe('nightly diff: check results and duplicate cells', () => {
  let dir: string;
  const write = (name: string, body: string): string => {
    const f = join(dir, name);
    writeFileSync(f, body);
    return f;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nph-diff-check-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('two check results: the simulated verdicts are compared, opened paths reported, exit 1, and it says so', async () => {
    const { before, after } = await checks();
    const d = diffArtifacts(before, after);
    expect(d.basis).to.equal('simulated');
    const opened = d.changed.filter((c) => c.change === 'opened');
    expect(opened.length).to.be.greaterThan(0);
    expect(d.changed.every((c) => c.change === 'opened')).to.equal(true);
    expect(opened.some((c) => c.src === DEBUG_TO_DB[0] && c.col === DEBUG_TO_DB[1])).to.equal(true);

    const a = write('check-old.json', renderArtifactJson(before));
    const b = write('check-new.json', renderArtifactJson(after));
    const r = await runDiff(a, b, { output: 'text', color: false });
    expect(r.exitCode).to.equal(EXIT.mismatch);
    const lines = r.stdout.split('\n');
    expect(lines[1]).to.equal(`comparing simulated verdicts: ${a} and ${b} are check results (nothing probed, so no observed verdicts)`);
    expect(lines).to.include(`  OPENED ${DEBUG_TO_DB[0]} -> ${DEBUG_TO_DB[1]}: deny (simulated) -> allow (simulated)`);
    expect(r.stdout).not.to.match(/no changes/);
    const j = JSON.parse((await runDiff(a, b, { output: 'json', color: false })).stdout) as { changed: boolean; basis: string; note: string };
    expect([j.changed, j.basis]).to.deep.equal([true, 'simulated']);
    expect(j.note).to.match(/^comparing simulated verdicts/);
    // The same check twice: nothing changed, still on the simulated basis.
    const same = await runDiff(a, write('check-old-2.json', renderArtifactJson(before)), { output: 'text', color: false });
    expect(same.exitCode).to.equal(EXIT.ok);
    expect(same.stdout).to.match(/comparing simulated verdicts/);
  });

  it('a run against a check: simulated verdicts on both sides; two runs: observed, without the note', async () => {
    const { after } = await checks();
    const run = loadFixture('seed-suite.json');
    const d = diffArtifacts(run, after);
    expect(d.basis).to.equal('simulated');
    const a = write('run.json', renderArtifactJson(run));
    const b = write('check.json', renderArtifactJson(after));
    expect((await runDiff(a, b, { output: 'text', color: false })).stdout.split('\n')[1]).to.equal(`comparing simulated verdicts: ${b} is a check result (nothing probed, so no observed verdicts)`);
    expect(diffArtifacts(run, run).basis).to.equal('observed');
    expect((await runDiff(a, a, { output: 'text', color: false })).stdout).not.to.match(/simulated/);
  });

  it('rejects a results.json with a cell listed twice in a step, naming the step and cell (exit 2)', async () => {
    const run = loadFixture('seed-suite.json');
    const step = run.steps[2]!;
    step.cells.push(structuredClone(step.cells[5]!));
    const ok = write('dup-ok.json', renderArtifactJson(loadFixture('seed-suite.json')));
    const bad = write('dup.json', JSON.stringify(run));
    const e = await failure(runDiff(ok, bad, { output: 'text', color: false }));
    const issue = e.issues[0]!;
    expect(issue.file).to.equal(bad);
    expect(issue.path).to.equal(`steps[2].cells[${step.cells.length - 1}]`);
    expect(issue.message).to.equal(`repeats cells[5] (${step.cells[5]!.src} -> ${step.cells[5]!.col}) in step "${step.name}": each source and column appears once per step`);
    const saved = process.exitCode;
    const origErr = process.stderr.write.bind(process.stderr);
    const err: string[] = [];
    process.stderr.write = (s: string | Uint8Array): boolean => (err.push(String(s)), true);
    try {
      expect(await main(['diff', ok, bad])).to.equal(EXIT.error);
    } finally {
      process.stderr.write = origErr;
      process.exitCode = saved;
    }
    expect(err.join('')).to.include(`${bad}: steps[2].cells[${step.cells.length - 1}]: repeats cells[5]`);
  });
});
