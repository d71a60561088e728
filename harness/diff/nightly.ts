// The nightly diff: which cells' observed outcome changed between two runs of the same suite
// (a CNI upgrade that silently opened a path). Cells are matched by step name, source and column.
// A `check` result has no observed outcomes (nothing is probed): with one on either side, the
// simulated verdicts are compared instead, and the diff says so (`basis`).
import type { Verdict } from '../matrix/matrix.js';
import type { CellResult, ObservedClass, RunResult, StepResult } from './result.js';
import { observedVerdict } from './three-way.js';

/**
 * `opened`: deny -> allow, the one that matters most for security; `closed`: allow -> deny;
 * `class`: same verdict, different class (refused -> timeout); `lost`/`gained`: a verdict
 * disappeared (probe error, not probed) or appeared.
 */
export type ChangeKind = 'opened' | 'closed' | 'class' | 'lost' | 'gained';

export interface ObservedState {
  verdict?: Verdict;
  /** Absent when the cell was not probed. */
  class?: ObservedClass;
  expected: Verdict;
}

export interface CellChange {
  step: string;
  src: string;
  col: string;
  change: ChangeKind;
  before: ObservedState;
  after: ObservedState;
}

export interface CellRef {
  step: string;
  src: string;
  col: string;
}

/** What the diff compares: the probes' observed verdicts, or (with a check result on either side) the simulated ones. */
export type DiffBasis = 'observed' | 'simulated';

export interface ArtifactDiff {
  basis: DiffBasis;
  changed: CellChange[];
  addedSteps: string[];
  removedSteps: string[];
  /** Cells of steps present in both runs that only one run has. */
  addedCells: CellRef[];
  removedCells: CellRef[];
  /** Cells matched in both runs with the same outcome. */
  unchanged: number;
}

/** Steps keyed by name; a repeated name gets `#2`, `#3` so both runs pair them in order. */
function keyedSteps(run: RunResult): Map<string, StepResult> {
  const seen = new Map<string, number>();
  const out = new Map<string, StepResult>();
  for (const s of run.steps) {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    out.set(n === 1 ? s.name : `${s.name}#${n}`, s);
  }
  return out;
}

/** A `check` result: nothing was probed, every cell is judged on the simulation. */
export function isCheckResult(run: RunResult): boolean {
  if (run.mode !== undefined) return run.mode === 'check';
  const cells = run.steps.flatMap((s) => s.cells);
  return cells.length > 0 && cells.every((c) => c.probed === false);
}

const stateOf = (c: CellResult, basis: DiffBasis): ObservedState => {
  if (basis === 'simulated') return { ...(c.simulated !== undefined ? { verdict: c.simulated } : {}), expected: c.expected };
  const v = observedVerdict(c);
  return { ...(v !== undefined ? { verdict: v } : {}), ...(c.observed ? { class: c.observed.class } : {}), expected: c.expected };
};

function changeOf(a: ObservedState, b: ObservedState): ChangeKind | undefined {
  if (a.verdict !== b.verdict) {
    if (a.verdict === undefined) return 'gained';
    if (b.verdict === undefined) return 'lost';
    return b.verdict === 'allow' ? 'opened' : 'closed';
  }
  return a.class !== b.class ? 'class' : undefined;
}

export function diffArtifacts(before: RunResult, after: RunResult): ArtifactDiff {
  const a = keyedSteps(before);
  const b = keyedSteps(after);
  const basis: DiffBasis = isCheckResult(before) || isCheckResult(after) ? 'simulated' : 'observed';
  const diff: ArtifactDiff = { basis, changed: [], addedSteps: [], removedSteps: [], addedCells: [], removedCells: [], unchanged: 0 };
  for (const name of a.keys()) if (!b.has(name)) diff.removedSteps.push(name);
  for (const [name, stepB] of b) {
    const stepA = a.get(name);
    if (!stepA) {
      diff.addedSteps.push(name);
      continue;
    }
    const cellsA = new Map(stepA.cells.map((c) => [`${c.src}|${c.col}`, c]));
    const keysB = new Set<string>();
    for (const cb of stepB.cells) {
      const key = `${cb.src}|${cb.col}`;
      keysB.add(key);
      const ca = cellsA.get(key);
      if (!ca) {
        diff.addedCells.push({ step: name, src: cb.src, col: cb.col });
        continue;
      }
      const sa = stateOf(ca, basis);
      const sb = stateOf(cb, basis);
      const change = changeOf(sa, sb);
      if (change) diff.changed.push({ step: name, src: cb.src, col: cb.col, change, before: sa, after: sb });
      else diff.unchanged++;
    }
    for (const ca of stepA.cells) {
      if (!keysB.has(`${ca.src}|${ca.col}`)) diff.removedCells.push({ step: name, src: ca.src, col: ca.col });
    }
  }
  return diff;
}

export const hasChanges = (d: ArtifactDiff): boolean =>
  d.changed.length + d.addedSteps.length + d.removedSteps.length + d.addedCells.length + d.removedCells.length > 0;
