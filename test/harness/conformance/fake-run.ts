// Fake runs of a generated battery for the verdict tests: the cells each round probes (its cases'
// lanes), with the observed classes and per-cell times chosen per test, so each verdict is forced by the data.
import type { CellResult, ObservedClass, RunResult } from '../../../harness/diff/result.js';
import { caseSees, cellInStep, type GeneratedBattery } from '../../../harness/conformance/generate.js';
import { expectedMatrix, simulateStep } from '../../../harness/policy/simulate.js';

export interface FakeCell {
  src: string;
  col: string;
  v: 'allow' | 'deny';
}
export type Observe = (caseId: string, cell: FakeCell) => ObservedClass;

/** The cells each step of `b` probes, with the case (by lane) each belongs to. */
export function probedCells(b: GeneratedBattery): { caseId: string; cell: FakeCell }[][] {
  return b.loaded.suite.steps.map((_, i) =>
    // Cells across lanes take the engine's verdict: the bulk engine is enough for them (not probed).
    [...expectedMatrix(b.loaded, i, {}, simulateStep(b.loaded, i, { explain: () => false })).cells()]
      .filter((c) => c.value && cellInStep(b.steps[i], c.src.id, c.col.key))
      .map((c) => ({
        caseId: b.steps[i]!.cases.find((p) => p.change !== undefined && caseSees(p, c.src.id, c.col.key))!.caseId,
        cell: { src: c.src.id, col: c.col.key, v: c.value!.verdict },
      })),
  );
}

/** A run of `b` where each cell is observed by `observe`; optional per-cell times and step-level times. */
export function fakeRunOf(
  b: GeneratedBattery,
  observe: Observe,
  opts: {
    tte?: (i: number) => number | undefined;
    at?: (caseId: string, c: FakeCell, step: number) => number | undefined;
    firstProbe?: number;
    notTestable?: (i: number) => string | undefined;
  } = {},
): RunResult {
  const cells = probedCells(b);
  return {
    schemaVersion: 1,
    suite: 'conformance',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:03:00.000Z',
    cluster: { provider: 'kind', cni: 'kube-router' },
    axes: { sources: [], columns: [] },
    steps: b.loaded.suite.steps.map((s, i) => {
      const why = opts.notTestable?.(i);
      const tte = opts.tte?.(i);
      if (why !== undefined) return { name: s.name, notTestable: why, cells: [] };
      return {
        name: s.name,
        ...(tte !== undefined ? { timeToEnforceMs: tte } : {}),
        ...(opts.firstProbe !== undefined ? { firstProbeMs: opts.firstProbe } : {}),
        cells: cells[i]!.map(({ caseId, cell: c }): CellResult => {
          const at = opts.at?.(caseId, c, i);
          return { src: c.src, col: c.col, expected: c.v, simulated: c.v, observed: { class: observe(caseId, c), attempts: 1 }, ...(at !== undefined ? { enforcedAtMs: at } : {}) };
        }),
      };
    }),
  };
}
