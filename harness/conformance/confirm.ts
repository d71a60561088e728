// Deviations are confirmed before they are reported. A CNI that takes longer than the round's settle
// time to program a change (a loaded machine, a slow dataplane) shows the old verdicts, which read
// exactly like a deviation. The one rule, for the battery and for --random alike:
//   - a deviation seen once is a suspicion; it is re-run on its own (the battery: the case alone in
//     its lane, in its own round; --random: the shrunk set) with a much longer settle;
//   - only a deviation that shows again counts; one that conforms on the re-run is reported as
//     conforming and slow to enforce (with its time), never as deviating;
//   - a re-run that could not judge its cells (probe errors) decides nothing: up to --confirm-runs
//     runs are spent per suspicion (--random spends them along the shrink chain).
import type { ConformanceReport } from './verdict.js';
import type { StepResult } from '../diff/result.js';
import type { HarnessSession } from '../run/session.js';
import { confirmationRound, type GeneratedBattery } from './generate.js';

/** Confirmation runs per suspected deviation (`--confirm-runs`; both modes). */
export const DEFAULT_CONFIRM_RUNS = 3;
/** A confirmation run settles at least this long (40 s let every lagging case of issue 21 conform). */
export const CONFIRM_MIN_SETTLE_MS = 40_000;

/** The settle time of confirmation runs: four times the run's, at least CONFIRM_MIN_SETTLE_MS. */
export function confirmSettleMs(settleMs: number): number {
  return Math.max(CONFIRM_MIN_SETTLE_MS, 4 * settleMs);
}

export interface ConfirmOptions {
  /** Confirmation runs per deviating case at most (DEFAULT_CONFIRM_RUNS). */
  maxRuns: number;
  settleMs: number;
  /** The battery has the outside container (false on existing clusters). */
  withExternal: boolean;
  /** Judges the run so far (the battery's steps and the confirmation runs appended to them). */
  judge: () => ConformanceReport;
  onStep?: (step: StepResult, caseId: string, run: number) => void;
}

/**
 * Re-runs every case the battery judged deviating, alone in its lane with `settleMs`, until a run
 * decides it or `maxRuns` are spent; the runs are steps appended to the session and to
 * `battery.steps` (so `judge` sees them). Returns the number of confirmation runs.
 */
export async function confirmDeviations(session: Pick<HarnessSession, 'appendSteps' | 'runStep'>, battery: GeneratedBattery, opts: ConfirmOptions): Promise<number> {
  const suspects = opts.judge().cases.filter((c) => c.status === 'deviates');
  let leftover = battery.applied;
  let n = 0;
  for (const suspect of suspects) {
    const c = battery.cases.find((x) => x.id === suspect.id);
    if (!c) continue;
    for (let tries = 0; tries < opts.maxRuns; tries++) {
      const parts = confirmationRound(c, suspect.lane ?? 0, ++n, leftover, opts.withExternal);
      session.appendSteps(parts.steps, parts.policies, parts.clusterPolicies);
      battery.steps.push(...parts.meta);
      for (const [id, o] of parts.origins) battery.setOrigins.set(id, o);
      for (const step of parts.steps) {
        const result = await session.runStep(step.name, { settleMs: opts.settleMs });
        opts.onStep?.(result, c.id, n);
      }
      leftover = parts.applied;
      if (opts.judge().cases.find((v) => v.id === c.id)?.confirmation?.outcome !== 'undetermined') break;
    }
  }
  return n;
}
