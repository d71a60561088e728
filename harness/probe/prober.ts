// Batched probing: one exec per source pod per round; the agent in the pod runs all of that
// source's probes concurrently, each with its own timeout. Exec concurrency is capped because
// exec storms throttle the API server (upstream cut its workers to 3 for that reason).
import pLimit from 'p-limit';
import { cellKey } from '../matrix/matrix.js';
import { parseAgentOutput, type AgentResult } from './agent-output.js';
import type { PodExecutor } from './exec.js';
import type { AgentTarget } from './targets.js';

export const AGENT_PATH = '/bin/nph-agent';
/**
 * Execs in flight at once. One exec per source pod per round, so a cap at or above the number of
 * sources makes a round take one probe timeout; 32 stays far below exec storms that throttle an API server.
 */
export const DEFAULT_EXEC_CONCURRENCY = 32;
export const AGENT_CONTAINER = 'agent';

export interface SourcePod {
  /** Endpoint id of the source (`<ns>/<name>`). */
  endpoint: string;
  namespace: string;
  pod: string;
  container: string;
}

export interface ProbeRequest {
  source: SourcePod;
  targets: AgentTarget[];
}

/** Results keyed by cellKey(source endpoint, target id). */
export type RoundResults = Map<string, AgentResult>;

export interface Prober {
  round(requests: ProbeRequest[]): Promise<RoundResults>;
  /** Execs issued so far (for benchmarks and telemetry). */
  readonly execCount: number;
}

export interface BatchProberOptions {
  /** Concurrent execs against the API server. */
  concurrency?: number;
  /** Probes run at once inside one pod. */
  inPodParallel?: number;
  /** Extra time allowed for exec setup on top of the longest probe timeout. */
  execSlackMs?: number;
}

export function agentCommand(targets: AgentTarget[], inPodParallel = 64): string[] {
  return [AGENT_PATH, 'probe', '--parallel', String(inPodParallel), '--targets', JSON.stringify(targets)];
}

function errorResults(src: SourcePod, targets: AgentTarget[], detail: string, out: RoundResults): void {
  for (const t of targets) out.set(cellKey(src.endpoint, t.id), { id: t.id, class: 'error', detail });
}

/** Runs one exec for a list of targets from one pod and maps every target to a result. */
export async function execProbe(executor: PodExecutor, src: SourcePod, targets: AgentTarget[], opts: BatchProberOptions, out: RoundResults): Promise<void> {
  if (targets.length === 0) return;
  const longest = Math.max(...targets.map((t) => t.timeoutMs));
  const parallel = opts.inPodParallel ?? 64;
  const cmd = agentCommand(targets, parallel);
  // The agent runs `parallel` probes at once, so many targets take several timeouts; the exec
  // backstop must not cut a healthy batch short and turn it into errors.
  const waves = Math.ceil(targets.length / parallel);
  let res;
  try {
    res = await executor.exec(src.namespace, src.pod, src.container, cmd, waves * longest + (opts.execSlackMs ?? 20_000));
  } catch (e) {
    errorResults(src, targets, `exec failed: ${e instanceof Error ? e.message : String(e)}`, out);
    return;
  }
  if (res.exitCode === undefined) {
    // No status frame: the outcome of the exec is unknown. Lines the agent did print are its own
    // results; a target without one is an error, never a deny.
    const parsed = parseAgentOutput(res.stdout);
    for (const t of targets) {
      const r = parsed.results.get(t.id);
      out.set(cellKey(src.endpoint, t.id), r ?? { id: t.id, class: 'error', detail: 'exec ended without a status; no result for this probe' });
    }
    return;
  }
  if (res.exitCode !== 0) {
    errorResults(src, targets, `agent exited ${res.exitCode}: ${res.stderr.trim().split('\n')[0] ?? ''}`, out);
    return;
  }
  const parsed = parseAgentOutput(res.stdout);
  for (const t of targets) {
    const r = parsed.results.get(t.id);
    out.set(
      cellKey(src.endpoint, t.id),
      r ?? { id: t.id, class: 'error', detail: `agent printed no result for this probe${parsed.garbage.length ? ` (output: ${parsed.garbage[0]!.slice(0, 120)})` : ''}` },
    );
  }
}

export class BatchProber implements Prober {
  private execs = 0;
  constructor(
    private readonly executor: PodExecutor,
    private readonly opts: BatchProberOptions = {},
  ) {}

  get execCount(): number {
    return this.execs;
  }

  async round(requests: ProbeRequest[]): Promise<RoundResults> {
    const limit = pLimit(this.opts.concurrency ?? DEFAULT_EXEC_CONCURRENCY);
    const out: RoundResults = new Map();
    await Promise.all(
      requests.map((r) =>
        limit(async () => {
          if (r.targets.length === 0) return;
          this.execs++;
          await execProbe(this.executor, r.source, r.targets, this.opts, out);
        }),
      ),
    );
    return out;
  }
}

/** One exec per probe with a fixed worker pool: what upstream's e2e does. Kept as a benchmark baseline. */
export class PerProbeExecProber implements Prober {
  private execs = 0;
  constructor(
    private readonly executor: PodExecutor,
    private readonly workers = 3,
    private readonly opts: BatchProberOptions = {},
  ) {}

  get execCount(): number {
    return this.execs;
  }

  async round(requests: ProbeRequest[]): Promise<RoundResults> {
    const limit = pLimit(this.workers);
    const out: RoundResults = new Map();
    const jobs = requests.flatMap((r) =>
      r.targets.map((t) =>
        limit(async () => {
          this.execs++;
          await execProbe(this.executor, r.source, [t], this.opts, out);
        }),
      ),
    );
    await Promise.all(jobs);
    return out;
  }
}
