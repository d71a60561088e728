// Which steps need ClusterNetworkPolicy enforcement, and the result recorded for such a step on a
// cluster that does not enforce it: "not testable on this CNI", with the reason, and no cells
// (neither a pass nor a failure; the exit code ignores it, docs/report-schema.md).
import type { StepResult } from '../diff/result.js';
import type { TierSupport } from '../cluster/checks/tier-canary.js';
import type { LoadedSuite } from '../suite/load.js';
import { stateAtStep } from '../suite/state.js';

/** A step needs the tiers when any ClusterNetworkPolicy is in place after its changes. */
export function stepNeedsTiers(loaded: LoadedSuite, index: number): boolean {
  return stateAtStep(loaded, index).clusterPolicies.length > 0;
}

/** The reason a step cannot be tested here, or undefined when it can. */
export function notTestableReason(loaded: LoadedSuite, index: number, tiers: TierSupport | undefined): string | undefined {
  if (!stepNeedsTiers(loaded, index)) return undefined;
  if (tiers?.enforced) return undefined;
  const names = stateAtStep(loaded, index).clusterPolicies.map((p) => p.policy.metadata.name);
  const why = tiers?.reason ?? 'the ClusterNetworkPolicy tier canary did not run';
  return `not testable on this CNI: the step depends on ClusterNetworkPolicy (${names.join(', ')}), and ${why}`;
}

export function notTestableStep(step: { name: string; description?: string }, reason: string, startedAt: Date, durationMs: number): StepResult {
  return {
    name: step.name,
    ...(step.description ? { description: step.description } : {}),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(durationMs),
    notTestable: reason,
    cells: [],
  };
}
