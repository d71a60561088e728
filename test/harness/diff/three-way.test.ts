import { expect } from 'chai';
import type { CellResult, RunResult, StepResult } from '../../../harness/diff/result.js';
import { exitCodeFor } from '../../../harness/cli/commands/run.js';
import { runSummaryLine, stepSummaryLine } from '../../../harness/report/terminal.js';
import { classifyCell, isFailing, isWarning, judgedVerdict, observedVerdict, summarize, summarizeRun } from '../../../harness/diff/three-way.js';
import { loadFixture } from '../report/golden.js';

const cell = (expected: 'allow' | 'deny', simulated: 'allow' | 'deny' | undefined, cls: CellResult['observed'] | null): CellResult => ({
  src: 'a/x',
  col: 'b/y:80/TCP',
  expected,
  ...(simulated !== undefined ? { simulated } : {}),
  ...(cls !== null ? { observed: cls } : {}),
});
const obs = (c: NonNullable<CellResult['observed']>['class'], attempts = 1): NonNullable<CellResult['observed']> => ({ class: c, attempts });

describe('three-way diff', () => {
  describe('classifyCell', () => {
    const cases: [string, CellResult, string[]][] = [
      ['all agree (allow)', cell('allow', 'allow', obs('connected')), []],
      ['all agree (deny, refused)', cell('deny', 'deny', obs('refused')), []],
      ['no engine, observed matches', cell('deny', undefined, obs('timeout')), []],
      ['authoring + failure: author wrong, cluster follows policy', cell('allow', 'deny', obs('timeout')), ['failure', 'authoring']],
      ['failure + enforcement: CNI wrong', cell('deny', 'deny', obs('connected')), ['failure', 'enforcement']],
      ['authoring + enforcement only: engine alone disagrees', cell('allow', 'deny', obs('connected')), ['authoring', 'enforcement']],
      ['plain failure without engine', cell('allow', undefined, obs('dns-failure')), ['failure']],
      ['error class', cell('deny', 'deny', obs('error')), ['error']],
      ['unsupported class', cell('allow', 'allow', obs('unsupported')), ['error']],
      ['not probed', cell('allow', 'allow', null), ['error']],
      ['error with authoring', cell('allow', 'deny', obs('error')), ['error', 'authoring']],
      ['check cell, simulation agrees', { ...cell('allow', 'allow', null), probed: false }, []],
      ['check cell, simulation disagrees', { ...cell('allow', 'deny', null), probed: false }, ['authoring']],
      ['check cell without a simulation', { ...cell('allow', undefined, null), probed: false }, ['error']],
      ['engine unknown (kube-router named-port order): the CNI opening it is no enforcement mismatch', { ...cell('deny', 'deny', obs('connected')), engineUnknown: true }, ['failure']],
      ['engine unknown, CNI denies: all agree', { ...cell('deny', 'deny', obs('refused')), engineUnknown: true }, []],
    ];
    for (const [name, c, kinds] of cases) {
      it(name, () => expect(classifyCell(c)).to.deep.equal(kinds));
    }

    it('trusts the class over a contradictory stored verdict', () => {
      const c = cell('allow', undefined, { class: 'error', verdict: 'allow', attempts: 1 });
      expect(observedVerdict(c)).to.equal(undefined);
      expect(classifyCell(c)).to.deep.equal(['error']);
    });

    it('fails a lone authoring (a check: nothing observed sides with the expectation)', () => {
      expect(isFailing(['authoring'])).to.equal(true);
      expect(isFailing(['authoring', 'enforcement'])).to.equal(false);
      const s = summarize({ name: 'c', cells: [{ ...cell('allow', 'deny', null), probed: false }, { ...cell('deny', 'deny', null), probed: false }] });
      expect(s).to.include({ cells: 2, correct: 1, wrong: 1, errors: 0, authoring: 1, warnings: 0, passed: false });
    });

    it('judges a check cell by the simulation, a run cell by the observation', () => {
      expect(judgedVerdict({ ...cell('allow', 'deny', null), probed: false })).to.equal('deny');
      expect(judgedVerdict(cell('allow', 'deny', obs('connected')))).to.equal('allow');
      expect(judgedVerdict(cell('allow', 'deny', null))).to.equal(undefined);
    });

    it('treats authoring/enforcement without failure as a warning', () => {
      expect(isWarning(['authoring', 'enforcement'])).to.equal(true);
      expect(isWarning(['failure', 'authoring'])).to.equal(false);
      expect(isWarning([])).to.equal(false);
    });
  });

  describe('summarize', () => {
    const step: StepResult = {
      name: 's',
      durationMs: 1000,
      timeToEnforceMs: 250,
      cells: [
        cell('allow', 'allow', obs('connected', 3)),
        cell('allow', 'deny', obs('connected')),
        cell('deny', 'deny', obs('connected', 2)),
        cell('deny', 'deny', null),
      ],
    };

    it('counts correct + wrong + errors = cells, and warnings apart', () => {
      const s = summarize(step);
      expect(s).to.include({ cells: 4, correct: 2, wrong: 1, errors: 1, authoring: 1, enforcement: 2, warnings: 1, retried: 2, passed: false });
      expect(s.correct + s.wrong + s.errors).to.equal(s.cells);
      expect(s.timeToEnforceMs).to.equal(250);
    });

    it('sums cell attempts unless the step recorded its own total', () => {
      expect(summarize(step).attempts).to.equal(3 + 1 + 2);
      expect(summarize({ ...step, attempts: 40 }).attempts).to.equal(40);
    });

    it('passes a step whose only findings are warnings', () => {
      const s = summarize({ name: 'w', cells: [cell('allow', 'deny', obs('connected'))] });
      expect(s.passed).to.equal(true);
      expect(s.warnings).to.equal(1);
    });
  });

  describe('summarizeRun on the three-way fixture', () => {
    const run = loadFixture('three-way.json');

    it('holds every mismatch kind and an error cell', () => {
      const kinds = new Set(run.steps.flatMap((s) => s.cells.flatMap(classifyCell)));
      expect([...kinds].sort()).to.deep.equal(['authoring', 'enforcement', 'error', 'failure']);
    });

    it('fails the run on failures and errors and lists the failing steps', () => {
      const s = summarizeRun(run);
      expect(s.passed).to.equal(false);
      expect(s.failedSteps).to.deep.equal(['mixed']);
      expect(s).to.include({ cells: 18, correct: 14, wrong: 2, errors: 2, authoring: 2, enforcement: 2, warnings: 1 });
      expect(s.durationMs).to.equal(23_000);
      expect(s.slowestEnforcement).to.deep.equal({ step: 'clean', ms: 400 });
    });

    it('passes a run with no cells wrong', () => {
      const clean = { ...run, steps: run.steps.filter((s) => s.name === 'clean') };
      expect(summarizeRun(clean).passed).to.equal(true);
    });
  });

  describe('a run that judged nothing is never a pass', () => {
    const run = (steps: StepResult[]): RunResult => ({ schemaVersion: 1, suite: 's', startedAt: '2026-12-07T10:00:00.000Z', axes: { sources: [], columns: [] }, steps });
    const judged: StepResult = { name: 'judged', cells: [cell('allow', 'allow', obs('connected'))] };

    it('a step with no cell is not PASS, and says why', () => {
      const sum = summarize({ name: 'empty', cells: [] });
      expect(sum.passed).to.equal(false);
      expect(sum.nothingTested).to.match(/no cells/);
      expect(stepSummaryLine(sum)).to.include('nothing was tested');
    });

    it('a run with no judged cell: nothingTested with the reason, exit 2; with one judged step beside an empty one: failed, exit 2', () => {
      const none = summarizeRun(run([{ name: 'empty', cells: [] }]));
      expect([none.passed, none.nothingTested]).to.deep.equal([false, 'no step had a cell: the suite has no sources, or no destination ports and no DNS check (existing workloads whose ports are read at run time had none)']);
      expect(exitCodeFor(none, 0)).to.equal(2);
      expect(runSummaryLine(none)).to.match(/NOTHING WAS TESTED/);
      const errorsOnly = summarizeRun(run([{ name: 'broken', cells: [cell('allow', 'allow', obs('error'))] }]));
      expect(errorsOnly.nothingTested).to.equal('all 1 cell(s) were errors, none was judged');
      const mixed = summarizeRun(run([judged, { name: 'empty', cells: [] }]));
      expect([mixed.passed, mixed.nothingTested, mixed.failedSteps]).to.deep.equal([false, undefined, ['empty']]);
      expect(exitCodeFor(mixed, 0)).to.equal(2);
      expect(exitCodeFor(summarizeRun(run([judged])), 0)).to.equal(0);
      expect(summarizeRun(run([])).nothingTested).to.equal('no step ran');
    });
  });
});
