// Expands a step's expectation (default + ordered rules) into a full verdict matrix.
import type { Expectation } from '../suite/schema.js';
import type { Axes, Endpoint } from './axes.js';
import { Matrix, type Verdict } from './matrix.js';
import { matchesColumn, matchesSource, parsePattern, type TrafficPattern } from './pattern.js';

export interface ExpectedCell {
  verdict: Verdict;
  /** Where the verdict came from: `default`, `rules[i]`, or `simulated`. */
  origin: string;
  reason?: string;
}

/**
 * `simulate` supplies a verdict per cell when the default (or the whole expectation) is `simulated`;
 * without it such an expectation cannot be expanded.
 */
export function expandExpectation(
  expectation: Expectation,
  axes: Axes,
  simulate?: (src: Endpoint, colKey: string) => Verdict,
): Matrix<ExpectedCell> {
  const exp = expectation === 'simulated' ? { default: 'simulated' as const, rules: [] } : expectation;
  if (exp.default === 'simulated' && !simulate) {
    throw new Error('this expectation needs the policy engine (default: simulated) but no simulation was given');
  }
  const rules: { pattern: TrafficPattern; verdict: Verdict; origin: string; reason?: string }[] = exp.rules.map((r, i) => ({
    pattern: parsePattern('allow' in r ? r.allow : r.deny),
    verdict: 'allow' in r ? 'allow' : 'deny',
    origin: `rules[${i}]`,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  }));
  const dests = new Map(axes.destinations.map((d) => [d.id, d]));
  const m = new Matrix<ExpectedCell>(axes);
  for (const { src, col } of m.cells()) {
    let cell: ExpectedCell =
      exp.default === 'simulated'
        ? { verdict: simulate!(src, col.key), origin: 'simulated' }
        : { verdict: exp.default, origin: 'default' };
    for (const r of rules) {
      if (matchesSource(r.pattern, src) && matchesColumn(r.pattern, col, dests)) {
        cell = { verdict: r.verdict, origin: r.origin, ...(r.reason !== undefined ? { reason: r.reason } : {}) };
      }
    }
    m.set(src.id, col.key, cell);
  }
  return m;
}
