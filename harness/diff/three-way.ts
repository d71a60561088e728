// The three-way diff: for each cell, compare what the suite expected, what the policy engine
// simulated and what the probes observed, and count the outcomes per step and per run.
//
// Pass rule (docs/reports.md): a run passes when no cell is a `failure` (observed != expected)
// and no cell is an `error` (no observed verdict). `authoring` and `enforcement` without a
// failure are warnings: the hand-written expectation and the cluster agree, only the engine
// disagrees, so the test itself is right but someone should look.
//
// A cell marked `probed: false` comes from a `check` (cluster-free, docs/ci.md): it judges the
// hand-written expectation against the simulation alone, so its only kind is `authoring`, and there
// `authoring` fails: no observation sides with the expectation. In a run a cell without an
// observation is an `error`, never a verdict.
import type { Verdict } from '../matrix/matrix.js';
import type { CellResult, MismatchKind, RunResult, StepResult } from './result.js';
import { verdictOf } from './result.js';

/** Kinds in the order reports list them: what fails the run first. */
export const KIND_ORDER: readonly MismatchKind[] = ['failure', 'error', 'authoring', 'enforcement'];

/**
 * The verdict the probes observed, or undefined when they could not decide (missing observation,
 * class `error` or `unsupported`). The class decides, not the stored `verdict`, so a
 * contradictory artifact cannot turn an error into a verdict.
 */
export function observedVerdict(cell: CellResult): Verdict | undefined {
  return cell.observed ? verdictOf(cell.observed.class) : undefined;
}

/** Every mismatch kind this cell carries, in KIND_ORDER; empty when the cell is correct. */
export function classifyCell(cell: CellResult): MismatchKind[] {
  const kinds = new Set<MismatchKind>();
  const observed = observedVerdict(cell);
  // A check cell is judged on the simulation; with no simulation either, nothing can be judged.
  if (cell.probed === false ? cell.simulated === undefined : observed === undefined) kinds.add('error');
  else if (observed !== undefined && observed !== cell.expected) kinds.add('failure');
  if (cell.simulated !== undefined) {
    if (cell.simulated !== cell.expected) kinds.add('authoring');
    if (observed !== undefined && observed !== cell.simulated && !cell.engineUnknown) kinds.add('enforcement');
  }
  return KIND_ORDER.filter((k) => kinds.has(k));
}

/**
 * A cell fails when it is a failure or an error, or when `authoring` stands alone: in a run an
 * authoring cell that is not a failure always carries `enforcement` too (the cluster sided with the
 * expectation, a warning), so a lone `authoring` means nothing was probed (a check) and the
 * expectation is simply wrong for the policies.
 */
export const isFailing = (kinds: readonly MismatchKind[]): boolean =>
  kinds.includes('failure') || kinds.includes('error') || (kinds.includes('authoring') && !kinds.includes('enforcement'));

/** The verdict a cell is judged by: what the probes observed, or in a check the simulation. */
export function judgedVerdict(cell: CellResult): Verdict | undefined {
  return cell.probed === false ? cell.simulated : observedVerdict(cell);
}

/** A cell warns when it only carries authoring/enforcement. */
export const isWarning = (kinds: readonly MismatchKind[]): boolean => kinds.length > 0 && !isFailing(kinds);

export interface Counts {
  /** Cells in the result (self cells are never part of it). */
  cells: number;
  /** Neither failure nor error; may still carry warnings. correct + wrong + errors = cells. */
  correct: number;
  /** `failure`: observed != expected; in a check (nothing probed), `authoring`: simulated != expected. */
  wrong: number;
  /** `authoring`: expected != simulated (counted whether or not the cell also failed). */
  authoring: number;
  /** `enforcement`: simulated != observed. */
  enforcement: number;
  /** `error`: no observed verdict. */
  errors: number;
  /** Cells with authoring/enforcement but no failure/error. */
  warnings: number;
  /** Cells whose probe needed more than one attempt. */
  retried: number;
  /** Probe attempts. */
  attempts: number;
}

export interface StepSummary extends Counts {
  name: string;
  /** No cell wrong, no error, and at least one cell judged (a step that tested nothing never passes). */
  passed: boolean;
  /** Why the step judged no cell (absent when it judged some, or was not testable). */
  nothingTested?: string;
  durationMs?: number;
  /** Copied from the step: ms until the whole matrix first matched; absent if it never did. */
  timeToEnforceMs?: number;
  /** Copied from the step's infrastructure: ms its cells waited on the guard (faults), left out of timeToEnforceMs. */
  distrustedMs?: number;
  /** Copied from the step: why it could not be tested on this cluster (then `passed` is true but nothing was checked). */
  notTestable?: string;
}

export interface RunSummary extends Counts {
  suite: string;
  passed: boolean;
  steps: StepSummary[];
  /** Names of steps with a failure or error cell, in run order. */
  failedSteps: string[];
  /** Names of steps that could not be tested on this cluster (StepResult.notTestable). */
  notTestableSteps?: string[];
  /** finishedAt - startedAt when both are known, else the sum of step durations. */
  durationMs?: number;
  /** The slowest step to enforce, for the run summary line. */
  slowestEnforcement?: { step: string; ms: number };
  /** The run judged no cell at all, and why ("nothing was tested": exit 2, never a pass). */
  nothingTested?: string;
}

/** Why a step with these counts judged nothing, or undefined when it judged a cell. */
function emptyReason(c: Counts): string | undefined {
  if (c.cells - c.errors > 0) return undefined;
  if (c.cells === 0) return 'the step has no cells: no source, or no destination port and no DNS check (ports of existing workloads found none?)';
  return `all ${c.cells} cell(s) were errors, none was judged`;
}

function emptyCounts(): Counts {
  return { cells: 0, correct: 0, wrong: 0, authoring: 0, enforcement: 0, errors: 0, warnings: 0, retried: 0, attempts: 0 };
}

function addCell(c: Counts, cell: CellResult): void {
  const kinds = classifyCell(cell);
  c.cells++;
  if (kinds.includes('error')) c.errors++;
  else if (isFailing(kinds)) c.wrong++;
  else c.correct++;
  if (kinds.includes('authoring')) c.authoring++;
  if (kinds.includes('enforcement')) c.enforcement++;
  if (isWarning(kinds)) c.warnings++;
  if ((cell.observed?.attempts ?? 0) > 1) c.retried++;
}

export function summarize(step: StepResult): StepSummary {
  const c = emptyCounts();
  let cellAttempts = 0;
  for (const cell of step.cells) {
    addCell(c, cell);
    cellAttempts += cell.observed?.attempts ?? 0;
  }
  // The prober's own total includes attempts that no cell kept (e.g. the confirmation pass).
  c.attempts = step.attempts ?? cellAttempts;
  const nothing = step.notTestable === undefined ? emptyReason(c) : undefined;
  return {
    name: step.name,
    passed: c.wrong === 0 && c.errors === 0 && nothing === undefined,
    ...(nothing !== undefined ? { nothingTested: nothing } : {}),
    ...c,
    ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
    ...(step.timeToEnforceMs !== undefined ? { timeToEnforceMs: step.timeToEnforceMs } : {}),
    ...(step.infrastructure?.distrustedMs ? { distrustedMs: step.infrastructure.distrustedMs } : {}),
    ...(step.notTestable !== undefined ? { notTestable: step.notTestable } : {}),
  };
}

export function summarizeRun(run: RunResult): RunSummary {
  const steps = run.steps.map(summarize);
  const total = emptyCounts();
  for (const s of steps) for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += s[k];
  const failedSteps = steps.filter((s) => !s.passed).map((s) => s.name);
  let durationMs: number | undefined;
  if (run.finishedAt !== undefined) {
    const d = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
    if (Number.isFinite(d) && d >= 0) durationMs = d;
  }
  if (durationMs === undefined && steps.length > 0 && steps.every((s) => s.durationMs !== undefined)) {
    durationMs = steps.reduce((a, s) => a + (s.durationMs ?? 0), 0);
  }
  let slowest: { step: string; ms: number } | undefined;
  for (const s of steps) {
    if (s.timeToEnforceMs !== undefined && (slowest === undefined || s.timeToEnforceMs > slowest.ms)) {
      slowest = { step: s.name, ms: s.timeToEnforceMs };
    }
  }
  const judged = total.cells - total.errors;
  const nothingTested =
    judged > 0
      ? undefined
      : run.steps.length === 0
        ? 'no step ran'
        : steps.every((s) => s.notTestable !== undefined)
          ? `every step is not testable on this cluster (${steps[0]!.notTestable})`
          : total.cells === 0
            ? 'no step had a cell: the suite has no sources, or no destination ports and no DNS check (existing workloads whose ports are read at run time had none)'
            : `all ${total.cells} cell(s) were errors, none was judged`;
  return {
    suite: run.suite,
    passed: failedSteps.length === 0 && nothingTested === undefined,
    ...(nothingTested !== undefined ? { nothingTested } : {}),
    ...total,
    steps,
    failedSteps,
    ...(steps.some((s) => s.notTestable !== undefined) ? { notTestableSteps: steps.filter((s) => s.notTestable !== undefined).map((s) => s.name) } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(slowest !== undefined ? { slowestEnforcement: slowest } : {}),
  };
}
