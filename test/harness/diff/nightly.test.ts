import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runDiff } from '../../../harness/cli/commands/diff.js';
import { main } from '../../../harness/cli/main.js';
import { diffArtifacts, hasChanges } from '../../../harness/diff/nightly.js';
import type { RunResult } from '../../../harness/diff/result.js';
import { EXIT, InputError } from '../../../harness/errors.js';
import { renderArtifactJson } from '../../../harness/report/files.js';
import { checkLoaded } from '../../../harness/check/check.js';
import { loadSuite } from '../../../harness/suite/load.js';
import { loadFixture } from '../report/golden.js';

const seed = (): RunResult => loadFixture('seed-suite.json');
const SEED_SUITE = 'suites/zero-trust/suite.yaml';
const DEBUG_TO_DB = ['develop/debug', 'develop/production-db:5432/TCP'];

/** The seed suite checked as it is, and with develop's policies gone (paths open). */
async function checks(): Promise<{ before: RunResult; after: RunResult }> {
  const before = checkLoaded(await loadSuite(SEED_SUITE)).run;
  const loosened = await loadSuite(SEED_SUITE);
  for (const [id, docs] of loosened.policies) loosened.policies.set(id, docs.filter((d) => d.policy.metadata?.namespace !== 'develop'));
  return { before, after: checkLoaded(loosened).run };
}
const clone = <T>(v: T): T => structuredClone(v);

/** The compromised debug pod suddenly reaches production-db: the nightly diff's reason to exist. */
function openedPath(run: RunResult): RunResult {
  const next = clone(run);
  const step = next.steps.find((s) => s.name === 'attacker-probe')!;
  const c = step.cells.find((x) => x.src === 'develop/debug' && x.col === 'develop/production-db:5432/TCP')!;
  c.observed = { ...c.observed!, class: 'connected', verdict: 'allow', latencyMs: 2 };
  return next;
}

describe('nightly diff', () => {
  let dir: string;
  const write = (name: string, body: string): string => {
    const f = join(dir, name);
    writeFileSync(f, body);
    return f;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nph-diff-'));
  });

  describe('diffArtifacts', () => {
    it('finds nothing between a run and itself', () => {
      const d = diffArtifacts(seed(), seed());
      expect(hasChanges(d)).to.equal(false);
      expect(d.unchanged).to.equal(7 * 60);
    });

    it('reports exactly the one cell that opened', () => {
      const d = diffArtifacts(seed(), openedPath(seed()));
      expect(d.changed).to.deep.equal([
        {
          step: 'attacker-probe',
          src: 'develop/debug',
          col: 'develop/production-db:5432/TCP',
          change: 'opened',
          before: { verdict: 'deny', class: 'timeout', expected: 'deny' },
          after: { verdict: 'allow', class: 'connected', expected: 'deny' },
        },
      ]);
      expect(d.unchanged).to.equal(7 * 60 - 1);
    });

    it('ignores attempts and latency but reports a class change and lost verdicts', () => {
      const next = clone(seed());
      const cells = next.steps[1]!.cells;
      cells[0]!.observed = { ...cells[0]!.observed!, attempts: 9, latencyMs: 1 };
      cells[1]!.observed = { ...cells[1]!.observed!, class: 'refused' };
      cells[2]!.observed = { ...cells[2]!.observed!, class: 'error', detail: 'exec failed' };
      const d = diffArtifacts(seed(), next);
      expect(d.changed.map((c) => c.change)).to.deep.equal(['class', 'lost']);
    });

    it('reports steps and cells added or removed', () => {
      const next = clone(seed());
      next.steps.pop();
      next.steps.push({ name: 'new-step', cells: [] });
      next.steps[0]!.cells.shift();
      const d = diffArtifacts(seed(), next);
      expect(d.removedSteps).to.deep.equal(['attacker-probe']);
      expect(d.addedSteps).to.deep.equal(['new-step']);
      expect(d.removedCells).to.have.length(1);
      expect(d.changed).to.have.length(0);
    });
  });

  describe('netpol-harness diff', () => {
    it('exits 0 on identical artifacts', async () => {
      const a = write('same-a.json', renderArtifactJson(seed()));
      const b = write('same-b.json', renderArtifactJson(seed()));
      const r = await runDiff(a, b, { output: 'text', color: false });
      expect(r.exitCode).to.equal(EXIT.ok);
      expect(r.stdout).to.match(/no changes: 0 cells changed/);
    });

    it('reports exactly the changed cell and exits 1', async () => {
      const a = write('old.json', renderArtifactJson(seed()));
      const b = write('new.json', renderArtifactJson(openedPath(seed())));
      const r = await runDiff(a, b, { output: 'text', color: false });
      expect(r.exitCode).to.equal(EXIT.mismatch);
      const cellLines = r.stdout.split('\n').filter((l) => l.startsWith('  '));
      expect(cellLines).to.deep.equal(['  OPENED develop/debug -> develop/production-db:5432/TCP: deny (timeout) -> allow (connected)']);
      expect(r.stdout).to.include('step attacker-probe:');
      expect(r.stdout).to.include('1 cell changed (1 opened, 0 closed, 0 lost, 0 gained, 0 class), 419 unchanged');

      const j = await runDiff(a, b, { output: 'json', color: false });
      const doc = JSON.parse(j.stdout) as { changed: boolean; cells: { src: string; col: string; change: string }[] };
      expect(doc.changed).to.equal(true);
      expect(doc.cells.map((c) => [c.src, c.col, c.change])).to.deep.equal([['develop/debug', 'develop/production-db:5432/TCP', 'opened']]);
    });

    it('reads a bare RunResult (no summary or kinds) as well as a written artifact', async () => {
      const a = write('bare.json', JSON.stringify(seed()));
      const b = write('written.json', renderArtifactJson(seed()));
      expect((await runDiff(a, b, { output: 'text', color: false })).exitCode).to.equal(EXIT.ok);
    });

    it('names the file and field of a malformed artifact', async () => {
      const bad = clone(seed()) as unknown as { steps: { cells: { observed: { class: string } }[] }[] };
      bad.steps[2]!.cells[5]!.observed.class = 'maybe';
      const a = write('ok.json', renderArtifactJson(seed()));
      const b = write('bad.json', JSON.stringify(bad));
      const err = await runDiff(a, b, { output: 'text', color: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(InputError);
      const issue = (err as InputError).issues[0]!;
      expect(issue.file).to.equal(b);
      expect(issue.path).to.equal('steps[2].cells[5].observed.class');
      expect((err as InputError).exitCode).to.equal(EXIT.error);
    });

    it('rejects other schema versions, bad JSON and missing files with one clear message', async () => {
      const ok = write('ok2.json', renderArtifactJson(seed()));
      const cases: [string, string, RegExp][] = [
        ['v2.json', JSON.stringify({ ...seed(), schemaVersion: 2 }), /schemaVersion: is 2; this netpol-harness reads schemaVersion 1/],
        ['notjson.json', '{"schemaVersion": 1,', /\(document\): is not valid JSON/],
        ['array.json', '[]', /is not a netpol-harness results artifact/],
      ];
      for (const [name, body, re] of cases) {
        const f = write(name, body);
        const err = (await runDiff(ok, f, { output: 'text', color: false }).catch((e: unknown) => e)) as InputError;
        expect(err, name).to.be.instanceOf(InputError);
        expect(err.message, name).to.match(re);
        expect(err.message, name).to.include(f);
      }
      const missing = join(dir, 'nope.json');
      const err = (await runDiff(missing, ok, { output: 'text', color: false }).catch((e: unknown) => e)) as InputError;
      expect(err.message).to.equal(`${missing}: file not found`);
    });

    it('is wired into the CLI with exit codes 1 and 2', async () => {
      const a = write('cli-a.json', renderArtifactJson(seed()));
      const b = write('cli-b.json', renderArtifactJson(openedPath(seed())));
      const out: string[] = [];
      const origOut = process.stdout.write.bind(process.stdout);
      const origErr = process.stderr.write.bind(process.stderr);
      const capture = (s: string | Uint8Array): boolean => (out.push(String(s)), true);
      process.stdout.write = capture;
      process.stderr.write = capture;
      const saved = process.exitCode;
      try {
        expect(await main(['diff', a, b, '--output', 'json'])).to.equal(EXIT.mismatch);
        process.exitCode = undefined;
        expect(await main(['diff', a, join(dir, 'absent.json')])).to.equal(EXIT.error);
        expect(await main(['diff', a, b, '--output', 'yaml'])).to.equal(EXIT.error);
      } finally {
        process.stdout.write = origOut;
        process.stderr.write = origErr;
        process.exitCode = saved;
      }
      expect(out.join('')).to.include('"change": "opened"');
      expect(out.join('')).to.include('absent.json: file not found');
    });
  });

  // `check` results have no observed verdicts: the simulated ones are compared, and the diff says so.
  describe('check results and duplicate cells', () => {
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
      const run = seed();
      const d = diffArtifacts(run, after);
      expect(d.basis).to.equal('simulated');
      const a = write('run.json', renderArtifactJson(run));
      const b = write('check.json', renderArtifactJson(after));
      expect((await runDiff(a, b, { output: 'text', color: false })).stdout.split('\n')[1]).to.equal(`comparing simulated verdicts: ${b} is a check result (nothing probed, so no observed verdicts)`);
      expect(diffArtifacts(run, run).basis).to.equal('observed');
      expect((await runDiff(a, a, { output: 'text', color: false })).stdout).not.to.match(/simulated/);
    });

    it('rejects a results.json with a cell listed twice in a step, naming the step and cell (exit 2)', async () => {
      const run = seed();
      const step = run.steps[2]!;
      step.cells.push(structuredClone(step.cells[5]!));
      const ok = write('dup-ok.json', renderArtifactJson(seed()));
      const bad = write('dup.json', JSON.stringify(run));
      const e = (await runDiff(ok, bad, { output: 'text', color: false }).catch((x: unknown) => x)) as InputError;
      expect(e).to.be.instanceOf(InputError);
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
});
