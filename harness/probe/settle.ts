// Flake control: after a step, probe everything once, re-probe only cells that differ from the
// expectation until they match or the deadline passes, then confirm the whole matrix once more.
// Policies are realised eventually, so a first mismatch is not yet a failure; the time until the
// whole matrix first matched (and was confirmed) is the step's time to enforce. Time a cell spends
// distrusted by the guard (its results are errors because of a fault) is the infrastructure's, not
// the CNI's: it is left out of the cell's time and reported on its own (`distrustedMs`).
// Rounds before the confirmation are provisional (their results are never final), so the guard may
// skip its costlier checks there; a result still provisional at the deadline is probed once more.
// A drop is only seen as a timeout, so re-waiting the whole timeout in the confirmation would double
// every deny step. The confirmation asks something narrower: did a cell that dropped start to
// connect? A connection that starts to go through is as fast as the other connections of its kind,
// so the confirmation waits on drops a multiple of the slowest recent connection (bounded below and
// by the probe's own timeout: see confirmTimeoutMs). Only steady connections count: a cell connected
// in the round before as well. A connection that just started to go through often lost its first
// SYN to the old rules and took the kernel's 1 s retransmit; that is the change, not the cluster. The verdict itself always comes
// from a round with the full timeout.
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
  /**
   * ms from start until the round that showed the slowest cell's match was sent (the confirmation
   * agreeing), less the time that cell waited on the guard: the slowest cell, by the CNI's clock.
   * 0: every cell matched in the first round (enforced by then).
   */
  timeToEnforceMs?: number;
  /** Wall ms during which at least one cell's results were distrusted, before it matched (0: none). */
  distrustedMs: number;
  /** ms spent in confirmation rounds (the rest of the settle time went to probing until the matrix matched). */
  confirmMs: number;
  /** ms from start to the end. */
  totalMs: number;
  rounds: number;
  /** Probes sent, confirmations included. */
  attempts: number;
}

export interface SettleOptions {
  deadlineMs: number;
  intervalMs?: number;
  /** Skip the confirmation round (benchmarks); every round is then final (none is provisional). */
  noConfirm?: boolean;
  /**
   * How long the confirmation waits on a cell that dropped (timed out) in the round it confirms:
   * `factor` times the slowest connection of the same kind seen in this settle, at least `floorMs`,
   * never more than the target's timeout (default 5x, 500 ms). `false`: the full timeout.
   */
  confirmDrops?: { factor: number; floorMs: number } | false;
  /**
   * Recent connection times per probe kind, kept across settles (a run's steps): a step whose DNS
   * cells all drop still knows how fast a DNS answer comes. Updated in place.
   */
  latency?: RecentLatency;
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
  // Short: a re-probe round of a cell that is now dropped lasts its whole timeout anyway, so the pause
  // only delays seeing the change (upstream's e2e polls every second; the conformance battery 200 ms).
  const interval = opts.intervalMs ?? 250;
  const start = now();
  const outcomes = new Map<string, CellOutcome>();
  const key = (c: PlannedCell): string => cellKey(c.source.endpoint, c.target.id);
  let rounds = 0;
  let attempts = 0;
  let confirmMs = 0;
  const distrust = new DistrustClock();
  /** Cells whose latest result came from a provisional round. */
  const provisionalCells = new Set<string>();
  /** When each cell's current run of matching results began (the send time of the round that first showed it). */
  const matchedAt = new Map<string, number>();

  /** Slowest connection seen so far, per probe kind (what a drop that starts to connect would take). */
  const slowest = opts.latency ?? new RecentLatency();
  const confirmDrops = opts.confirmDrops ?? DEFAULT_CONFIRM_DROPS;

  const probe = async (subset: PlannedCell[], kind: 'probe' | 'confirm' | 'final' = 'probe'): Promise<void> => {
    rounds++;
    attempts += subset.length;
    const confirming = kind === 'confirm';
    const provisional = kind === 'probe' && !opts.noConfirm;
    const sent = now();
    const planned = confirming && confirmDrops ? withConfirmTimeouts(subset, (c) => outcomes.get(key(c))?.result, slowest, confirmDrops) : subset;
    const shortened = new Set(planned.filter((c, i) => c.target.timeoutMs < subset[i]!.target.timeoutMs).map(key));
    const results = await prober.round(requestsFor(planned), provisional ? { provisional } : {});
    const ended = now();
    if (confirming) confirmMs += ended - sent;
    for (const c of subset) {
      const k = key(c);
      const r = results.get(k) ?? { id: c.target.id, class: 'error' as const, detail: 'no result returned for this probe' };
      const prev = outcomes.get(k);
      // Steady connections only (connected in the round before too): see the comment at the top.
      if (r.class === 'connected' && prev?.result.class === 'connected' && r.latencyMs !== undefined) slowest.record(c.target.kind, r.latencyMs);
      distrust.record(k, r.distrusted === true, sent);
      if (provisional) provisionalCells.add(k);
      else provisionalCells.delete(k);
      if (!matches(r, c.expected)) matchedAt.delete(k);
      // When the round was sent: its connection attempts show the policy state of that moment (a drop
      // is only seen a timeout later, but it was in force when the probe went out: probe/timeline.ts).
      else if (!matchedAt.has(k)) matchedAt.set(k, sent);
      // Confirming a match is bookkeeping, not a retry: only a flip (or a re-probe) counts as an attempt.
      const agrees = confirming && prev !== undefined && matches(prev.result, c.expected) && matches(r, c.expected);
      // A shortened wait agreeing is no better a description of the deny than the full-timeout round's
      // (a refusal that comes after a second would read as a drop): report that round's result.
      const reported = agrees && shortened.has(k) ? prev.result : r;
      outcomes.set(k, {
        result: reported,
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
  /** The slowest cell's time to its match, less the time it waited on the guard before it. */
  const enforcedAfter = (): number => Math.max(0, ...cells.map((c) => (matchedAt.get(key(c)) ?? now()) - start - distrust.cellMs(key(c))));

  await probe(cells);
  let pending = mismatched(cells);
  opts.onRound?.({ round: rounds, probed: cells.length, mismatched: pending.length, elapsedMs: now() - start });
  let timeToEnforceMs: number | undefined;
  let confirmed = opts.noConfirm ?? false;
  for (;;) {
    const allMatch = pending.length === 0 && cells.every((c) => matches(outcomes.get(key(c))!.result, c.expected));
    if (allMatch && timeToEnforceMs === undefined) timeToEnforceMs = enforcedAfter();
    if (pending.length === 0 && confirmed) break;
    if (now() - start >= opts.deadlineMs) break;
    if (pending.length === 0) {
      // Everything matched once: confirm with a full round so a flapping cell cannot slip through.
      await probe(cells, 'confirm');
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
  // The deadline came while some results were still provisional: probe those once more, fully checked,
  // so no result the guard did not fully check is final (a fault must never read as a verdict).
  const unchecked = cells.filter((c) => provisionalCells.has(key(c)));
  if (unchecked.length > 0) {
    await probe(unchecked, 'final');
    opts.onRound?.({ round: rounds, probed: unchecked.length, mismatched: mismatched(cells).length, elapsedMs: now() - start });
  }
  const end = now();
  const everyMatch = cells.every((c) => matches(outcomes.get(key(c))!.result, c.expected));
  return {
    outcomes,
    ...(everyMatch && timeToEnforceMs !== undefined ? { timeToEnforceMs } : {}),
    distrustedMs: distrust.totalMs(end),
    confirmMs,
    totalMs: end - start,
    rounds,
    attempts,
  };
}

const DEFAULT_CONFIRM_DROPS = { factor: 5, floorMs: 500 };

/**
 * The slowest of the last `keep` connections per probe kind: how long a connection takes on this
 * cluster now. Recent, so that one slow moment (the machine busy for a second) does not set every
 * later confirmation to the full timeout.
 */
export class RecentLatency {
  private readonly seen = new Map<string, number[]>();
  constructor(private readonly keep = 256) {}

  record(kind: string, ms: number): void {
    const xs = this.seen.get(kind) ?? [];
    xs.push(ms);
    if (xs.length > this.keep) xs.shift();
    this.seen.set(kind, xs);
  }

  /** The slowest recent connection of this kind; undefined when none connected yet. */
  get(kind: string): number | undefined {
    const xs = this.seen.get(kind);
    return xs && xs.length > 0 ? Math.max(...xs) : undefined;
  }
}

/**
 * A result that is a deny (a drop, a refusal, an unanswered DNS query). Refusals count too: a CNI may
 * refuse a probe in one round and drop it in the next (kube-router rejects some SYNs only after the
 * kernel's retransmit), and either way a deny that starts to connect connects as fast as any other.
 */
const isDeny = (r: AgentResult | undefined): boolean => r !== undefined && verdictOf(r.class) === 'deny';

/**
 * The wait a confirmation gives a cell that dropped in the round it confirms (pure): `factor` times
 * the slowest connection of its kind seen so far, at least `floorMs`, at most its own timeout.
 * Undefined when nothing of its kind connected (no measure of how fast a connection is: full timeout).
 */
export function confirmTimeoutMs(target: AgentTarget, last: AgentResult | undefined, slowest: Pick<RecentLatency, 'get'>, o: { factor: number; floorMs: number }): number | undefined {
  if (!isDeny(last)) return undefined;
  const s = slowest.get(target.kind);
  if (s === undefined) return undefined;
  return Math.min(target.timeoutMs, Math.max(o.floorMs, Math.ceil(s * o.factor)));
}

/** The confirmation's cells with their waits (the slowest recent connection read once per kind, not per cell). */
function withConfirmTimeouts(cells: PlannedCell[], last: (c: PlannedCell) => AgentResult | undefined, recent: Pick<RecentLatency, 'get'>, o: { factor: number; floorMs: number }): PlannedCell[] {
  const slowest = new Map<string, number>();
  for (const kind of new Set(cells.map((c) => c.target.kind))) {
    const ms = recent.get(kind);
    if (ms !== undefined) slowest.set(kind, ms);
  }
  return cells.map((c) => {
    const ms = confirmTimeoutMs(c.target, last(c), slowest, o);
    return ms === undefined || ms >= c.target.timeoutMs ? c : { ...c, target: { ...c.target, timeoutMs: ms } };
  });
}

/**
 * Time cells spend distrusted: a cell is distrusted from the round whose result was distrusted until
 * the next round that probed it and was not (its wait, the interval and that round included).
 */
export class DistrustClock {
  private readonly since = new Map<string, number>();
  private readonly perCell = new Map<string, number>();
  private readonly spans: [number, number][] = [];

  /** A round sent at `at` gave cell `key` a result, distrusted or not. */
  record(key: string, distrusted: boolean, at: number): void {
    const open = this.since.get(key);
    if (distrusted) {
      if (open === undefined) this.since.set(key, at);
      return;
    }
    if (open === undefined) return;
    this.since.delete(key);
    this.perCell.set(key, (this.perCell.get(key) ?? 0) + (at - open));
    this.spans.push([open, at]);
  }

  /** ms this cell spent distrusted (closed spans only: a cell that matched is not distrusted). */
  cellMs(key: string): number {
    return this.perCell.get(key) ?? 0;
  }

  /** Wall ms covered by any cell's distrust, spans still open counted until `end`. */
  totalMs(end: number): number {
    const spans = [...this.spans, ...[...this.since.values()].map((s): [number, number] => [s, end])].sort((a, b) => a[0] - b[0]);
    let total = 0;
    let reach = -Infinity;
    for (const [a, b] of spans) {
      const from = Math.max(a, reach);
      if (b > from) total += b - from;
      reach = Math.max(reach, b);
    }
    return total;
  }
}
