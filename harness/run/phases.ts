// Where a run's time goes: each provisioning and teardown phase (cluster, CNI, settle, canary,
// deploy, in-place, cleanup) as it starts and ends, recorded in the result (`phases`) so a run that
// got slower says where. Phases may overlap (the settle phase runs beside the canary and deploy).
import type { RunPhase, RunResult } from '../diff/result.js';

export class PhaseClock {
  /** performance.now() at the run's startedAt. */
  private readonly origin: number;

  constructor(
    private readonly result: RunResult,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.origin = now() - Math.max(0, Date.now() - Date.parse(result.startedAt));
  }

  /** Runs `fn` as phase `name` (recorded when it ends, failed or not); `detail` describes its outcome. */
  async time<T>(name: string, fn: () => Promise<T>, detail?: (value: T) => string | undefined): Promise<T> {
    const started = this.now();
    let value: T | undefined;
    try {
      value = await fn();
      return value;
    } finally {
      const d = value !== undefined && detail ? detail(value) : undefined;
      this.record(name, started, this.now(), d);
    }
  }

  /** Records a phase that ran from `started` to `ended` (performance.now() scale). */
  record(name: string, started: number, ended: number, detail?: string): void {
    const phase: RunPhase = { name, startMs: Math.max(0, Math.round(started - this.origin)), durationMs: Math.max(0, Math.round(ended - started)), ...(detail ? { detail } : {}) };
    const list = (this.result.phases ??= []);
    list.push(phase);
    list.sort((a, b) => a.startMs - b.startMs);
  }
}
