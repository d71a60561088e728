// A chai assertion for reachability: `expect(stepResult).to.matchReachability()` passes when every
// observed cell agrees with the step's expectation; its failure message is the diff table.
// Pass an expectation to check against something else: `.to.matchReachability({ default: 'deny', rules: [...] })`.
import type { StepResult } from '../diff/result.js';
import { verdictOf } from '../diff/result.js';
import { expandExpectation } from '../matrix/expect.js';
import { Expectation } from '../suite/schema.js';
import type { Verdict } from '../matrix/matrix.js';
import { renderStep } from '../report/terminal.js';
import { axesOfStep } from '../run/registry.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace Chai {
    interface Assertion {
      /** Every observed cell matches the step's expectation (or the expectation given). */
      matchReachability(expected?: unknown): Assertion;
    }
  }
}

function withExpectation(step: StepResult, expected: unknown): StepResult {
  if (expected === undefined) return step;
  const axes = axesOfStep(step);
  if (!axes) throw new TypeError('matchReachability(expected) needs a step result produced by a HarnessSession');
  const exp = Expectation.parse(expected);
  const m = expandExpectation(exp, axes);
  return {
    ...step,
    cells: step.cells.map((c) => {
      const v = m.get(c.src, c.col);
      return v ? { ...c, expected: v.verdict, expectedOrigin: `assertion ${v.origin}` } : c;
    }),
  };
}

export function netpolChai(chai: Chai.ChaiStatic, _utils: Chai.ChaiUtils): void {
  chai.Assertion.addMethod('matchReachability', function (this: Chai.AssertionStatic, expected?: unknown) {
    const step = withExpectation(this._obj as StepResult, expected);
    const wrong = step.cells.filter((c) => {
      const v: Verdict | undefined = c.observed ? verdictOf(c.observed.class) : undefined;
      return v !== c.expected;
    });
    const axes = axesOfStep(this._obj as StepResult);
    const table = axes
      ? renderStep(
          step,
          {
            sources: axes.sources.map((s) => ({ id: s.id, kind: s.kind })),
            columns: axes.columns.map((c) =>
              c.kind === 'dns' ? { key: c.key, kind: 'dns' as const, name: c.name } : { key: c.key, kind: 'conn' as const, dst: c.dst, port: c.port, protocol: c.protocol },
            ),
          },
          { color: false, ascii: true, focus: 'wrong' },
        )
      : wrong.map((c) => `${c.src} -> ${c.col}: expected ${c.expected}, observed ${c.observed?.class ?? 'nothing'}`).join('\n');
    this.assert(
      wrong.length === 0,
      `step ${step.name}: ${wrong.length} of ${step.cells.length} cells do not match the expected reachability\n${table}`,
      `step ${step.name}: expected some cell to differ from the expected reachability, but all ${step.cells.length} match`,
      undefined,
    );
  });
}

export default netpolChai;
