// Per-cell time to enforce: a prober wrapper that remembers when each round was sent and what it
// answered, and the reading of that timeline per cell: the time of the first probe of the final run
// of probes that showed the expected verdict (the cell reached it then and kept it to the end),
// counted from the change. A cell right at the first probe was enforced by then: its time is an
// upper bound, and the first probe's time (StepResult.firstProbeMs) is the floor of what can be seen.
// The sample time is when the round was sent: the probe's connection attempt starts then, so it
// shows the policy state of that moment, to within the exec start-up; the resolution is the gap
// between two probes of the cell (the settle interval plus one round of the mismatching cells).
import { verdictOf } from '../diff/result.js';
import type { Verdict } from '../matrix/matrix.js';
import type { AgentResult } from './agent-output.js';
import type { ProbeRequest, Prober, RoundResults, RoundOptions } from './prober.js';

export interface TimedRound {
  /** ms since the timeline's origin when the round was sent. */
  atMs: number;
  results: RoundResults;
}

export class RecordingProber implements Prober {
  readonly rounds: TimedRound[] = [];

  /** `origin`: when the change was made (performance.now() scale, like `now`). */
  constructor(
    private readonly inner: Prober,
    private readonly origin: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get execCount(): number {
    return this.inner.execCount;
  }

  async round(requests: ProbeRequest[], opts: RoundOptions = {}): Promise<RoundResults> {
    const atMs = this.now() - this.origin;
    const results = await this.inner.round(requests, opts);
    this.rounds.push({ atMs, results });
    return results;
  }
}

const matches = (r: AgentResult, expected: Verdict): boolean => verdictOf(r.class) === expected;

/**
 * When the cell `key` first showed `expected` and kept it in every later probe, less the time the
 * guard distrusted it before (a fault, not the CNI: from a distrusted probe to the next probe that
 * was not); undefined if its last probe did not show it (or it was never probed).
 */
export function enforcedAtMs(rounds: readonly TimedRound[], key: string, expected: Verdict): number | undefined {
  let since: number | undefined;
  let seen = false;
  let distrustedMs = 0;
  let distrustedSince: number | undefined;
  for (const r of rounds) {
    const res = r.results.get(key);
    if (!res) continue;
    seen = true;
    if (res.distrusted) distrustedSince ??= r.atMs;
    else if (distrustedSince !== undefined) {
      distrustedMs += r.atMs - distrustedSince;
      distrustedSince = undefined;
    }
    if (!matches(res, expected)) since = undefined;
    else since ??= r.atMs;
  }
  return seen && since !== undefined ? Math.max(0, since - distrustedMs) : undefined;
}
