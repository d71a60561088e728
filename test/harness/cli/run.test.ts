import { expect } from 'chai';
import { exitCodeFor } from '../../../harness/cli/commands/run.js';
import type { RunSummary } from '../../../harness/report/index.js';

const summary = (over: Partial<RunSummary>): RunSummary =>
  ({ suite: 's', passed: false, steps: [], failedSteps: [], cells: 10, correct: 0, wrong: 0, authoring: 0, enforcement: 0, errors: 0, warnings: 0, retried: 0, attempts: 10, ...over });

describe('cli/run exit codes', () => {
  it('0 when every step matched, 1 on wrong cells', () => {
    expect(exitCodeFor(summary({ passed: true, correct: 10 }), 0)).to.equal(0);
    expect(exitCodeFor(summary({ correct: 9, wrong: 1 }), 0)).to.equal(1);
    expect(exitCodeFor(summary({ correct: 8, wrong: 1, errors: 1 }), 0)).to.equal(1);
  });

  it('2 when cells could not be judged and none was wrong, or cleanup failed', () => {
    expect(exitCodeFor(summary({ errors: 10 }), 0)).to.equal(2);
    // A fault under the run (node down): healthy cells judged, faulty ones errors, none wrong.
    expect(exitCodeFor(summary({ correct: 7, errors: 3 }), 0)).to.equal(2);
    expect(exitCodeFor(summary({ passed: true, correct: 10 }), 1)).to.equal(2);
  });
});
