// Flake control: after a step, probe everything once, re-probe only cells that differ from the
// expectation until they match or the deadline passes, then confirm the whole matrix once more.
// Policies are realised eventually, so a first mismatch is not yet a failure; the time until the
// whole matrix first matched (and was confirmed) is the step's time to enforce.
import type { Verdict } from '../matrix/matrix.js';
import { cellKey } from '../matrix/matrix.js';
import { verdictOf, type ObservedClass } from '../diff/result.js';
import type { AgentResult } from './agent-output.js';
import type { ProbeRequest, Prober, SourcePod } from './prober.js';
import type { AgentTarget, CellPath } from './targets.js';

export interface PlannedCell {
  source: SourcePod;
  target: AgentTarget;
  expected: Verdict;
  /** How the target is addressed (Service ClusterIP or DNS name, pod IP), for the report. */
  path?: CellPath;
}

export interface CellOutcome {
  result: AgentResult;
  /** Probes until the cell matched (all probes if it never did); a confirmation that agrees is not an attempt. */
  attempts: number;
  /** The confirmation round agreed with the matching result. */
  confirmed: boolean;
  /** Classes seen across attempts, in order (a flaky cell shows more than one). */
  history: ObservedClass[];
}

export interface SettleResult {
  outcomes: Map<string, CellOutcome>;
  /** ms from start until every cell matched and the confirmation round agreed. */
  timeToEnforceMs?: number;
  rounds: number;
  /** Probes sent, confirmations included. */
  attempts: number;
}

export interface SettleOptions {
  deadlineMs: number;
  intervalMs?: number;
  /** Skip the confirmation round (benchmarks). */
  noConfirm?: boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onRound?: (info: { round: number; probed: number; mismatched: number; elapsedMs: number }) => void;
}

const matches = (r: AgentResult, expected: Verdict): boolean => verdictOf(r.class) === expected;
/** Unsupported probes will not change by waiting; everything else that mismatches is retried. */
const retryable = (r: AgentResult): boolean => r.class !== 'unsupported';

function requestsFor(cells: PlannedCell[]): ProbeRequest[] {
  const bySource = new Map<string, ProbeRequest>();
  for (const c of cells) {
    const key = `${c.source.namespace}/${c.source.pod}`;
    let req = bySource.get(key);
    if (!req) {
      req = { source: c.source, targets: [] };
      bySource.set(key, req);
    }
    req.targets.push(c.target);
  }
  return [...bySource.values()];
}

export async function probeUntilSettled(cells: PlannedCell[], prober: Prober, opts: SettleOptions): Promise<SettleResult> {
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const interval = opts.intervalMs ?? 1000;
  const start = now();
  const outcomes = new Map<string, CellOutcome>();
  const key = (c: PlannedCell): string => cellKey(c.source.endpoint, c.target.id);
  let rounds = 0;
  let attempts = 0;

  const probe = async (subset: PlannedCell[], confirming = false): Promise<void> => {
    rounds++;
    attempts += subset.length;
    const results = await prober.round(requestsFor(subset));
    for (const c of subset) {
      const k = key(c);
      const r = results.get(k) ?? { id: c.target.id, class: 'error' as const, detail: 'no result returned for this probe' };
      const prev = outcomes.get(k);
      // Confirming a match is bookkeeping, not a retry: only a flip (or a re-probe) counts as an attempt.
      const agrees = confirming && prev !== undefined && matches(prev.result, c.expected) && matches(r, c.expected);
      outcomes.set(k, {
        result: r,
        attempts: (prev?.attempts ?? 0) + (agrees ? 0 : 1),
        confirmed: agrees,
        history: [...(prev?.history ?? []), r.class],
      });
    }
  };
  const mismatched = (subset: PlannedCell[]): PlannedCell[] =>
    subset.filter((c) => {
      const o = outcomes.get(key(c))!;
      return !matches(o.result, c.expected) && retryable(o.result);
    });

  await probe(cells);
  let pending = mismatched(cells);
  opts.onRound?.({ round: rounds, probed: cells.length, mismatched: pending.length, elapsedMs: now() - start });
  let timeToEnforceMs: number | undefined;
  let confirmed = opts.noConfirm ?? false;
  for (;;) {
    const allMatch = pending.length === 0 && cells.every((c) => matches(outcomes.get(key(c))!.result, c.expected));
    if (allMatch && timeToEnforceMs === undefined) timeToEnforceMs = now() - start;
    if (pending.length === 0 && confirmed) break;
    if (now() - start >= opts.deadlineMs) break;
    if (pending.length === 0) {
      // Everything matched once: confirm with a full round so a flapping cell cannot slip through.
      await probe(cells, true);
      pending = mismatched(cells);
      // A cell that flipped during confirmation is flaky: settle again, then confirm again.
      confirmed = pending.length === 0;
      if (!confirmed) timeToEnforceMs = undefined;
    } else {
      await sleep(interval);
      await probe(pending);
      pending = mismatched(pending);
    }
    opts.onRound?.({ round: rounds, probed: 0, mismatched: pending.length, elapsedMs: now() - start });
  }
  const everyMatch = cells.every((c) => matches(outcomes.get(key(c))!.result, c.expected));
  return { outcomes, ...(everyMatch && timeToEnforceMs !== undefined ? { timeToEnforceMs } : {}), rounds, attempts };
}
