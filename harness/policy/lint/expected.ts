// What a suite expects on purpose, for lint. A finding whose consequence a step's expectation states
// by an explicit rule (`deny: "develop/* -> dns"` at the step that demonstrates a broken DNS allow) is
// what the suite sets out to show, not a mistake: it becomes info, naming the rule. Only rules count:
// `default` and `simulated` say nothing about this cell in particular.
import type { ExpectedCell } from '../../matrix/expect.js';
import type { Matrix, Verdict } from '../../matrix/matrix.js';
import type { LoadedSuite } from '../../suite/load.js';
import { expectedMatrix } from '../simulate.js';
import type { Finding } from './rules.js';

/** One cell a finding is about: at step `step` (0-based), `src -> col` would be `verdict`. */
export interface ConsequenceCell {
  step: number;
  src: string;
  /** A column key (`ns/name:port/PROTO`), or `dns` for every DNS column of the step. */
  col: string;
  verdict: Verdict;
}

export class SuiteExpectations {
  private readonly matrices = new Map<number, Matrix<ExpectedCell> | null>();

  constructor(private readonly loaded: LoadedSuite) {}

  private matrix(step: number): Matrix<ExpectedCell> | null {
    if (!this.matrices.has(step)) {
      try {
        this.matrices.set(step, expectedMatrix(this.loaded, step));
      } catch {
        this.matrices.set(step, null);
      }
    }
    return this.matrices.get(step)!;
  }

  /** The explicit rule that states `verdict` for the cell, if one does (for `dns`: every DNS column). */
  ruleFor(c: ConsequenceCell): ExpectedCell | undefined {
    const m = this.matrix(c.step);
    if (!m) return undefined;
    const cols = c.col === 'dns' ? m.axes.columns.filter((x) => x.kind === 'dns').map((x) => x.key) : [c.col];
    const cells = cols.map((k) => m.get(c.src, k));
    if (cells.length === 0 || cells.some((x) => !x || x.verdict !== c.verdict || !x.origin.startsWith('rules['))) return undefined;
    return cells[0];
  }

  /** `step default-deny rules[4] ("egress to CoreDNS is denied")` when every cell is stated by a rule, else undefined. */
  statedBy(cells: readonly ConsequenceCell[]): string | undefined {
    if (cells.length === 0) return undefined;
    let first: { cell: ConsequenceCell; rule: ExpectedCell } | undefined;
    for (const cell of cells) {
      const rule = this.ruleFor(cell);
      if (!rule) return undefined;
      first ??= { cell, rule };
    }
    const step = this.loaded.suite.steps[first!.cell.step]?.name ?? String(first!.cell.step + 1);
    return `step ${step} ${first!.rule.origin}${first!.rule.reason !== undefined ? ` ("${first!.rule.reason}")` : ''}`;
  }
}

/** The finding as info when the suite states its every consequence on purpose; unchanged otherwise. */
export function asExpected(f: Finding, stated: string | undefined): Finding {
  if (stated === undefined || f.severity === 'info') return f;
  return { ...f, severity: 'info', expectedBy: stated, message: `${f.message} (expected by the suite: ${stated})` };
}
