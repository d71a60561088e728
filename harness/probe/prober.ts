// Batched probing: one exec per source pod per round; the agent in the pod runs all of that
// source's probes concurrently, each with its own timeout. Exec concurrency is capped because
// exec storms throttle the API server (upstream cut its workers to 3 for that reason).
import pLimit from 'p-limit';
import { cellKey } from '../matrix/matrix.js';
import { parseAgentOutput, type AgentResult } from './agent-output.js';
import type { ExecResult, PodExecutor } from './exec.js';
import { backoffMs, classifyExecError, type ExecFault, type ExecFaultKind, type RetryPolicy } from './exec-faults.js';
import type { SessionPool } from './session.js';
import type { AgentTarget } from './targets.js';

export const AGENT_PATH = '/bin/nph-agent';
/**
 * Execs in flight at once. One exec per source pod per round, so a cap at or above the number of
 * sources makes a round take one probe timeout; 32 stays far below exec storms that throttle an API server.
 */
export const DEFAULT_EXEC_CONCURRENCY = 32;
/**
 * Probes in flight at once inside one pod. A source's round takes one probe timeout only if every
 * probe that may time out runs at once: 64 made a 100 x 2-port row take three or four timeouts.
 */
export const DEFAULT_IN_POD_PARALLEL = 256;
export const AGENT_CONTAINER = 'agent';

export interface SourcePod {
  /** Endpoint id of the source (`<ns>/<name>`). */
  endpoint: string;
  namespace: string;
  pod: string;
  container: string;
  /** Node the pod runs on (named in error details). */
  node?: string;
}

export interface ProbeRequest {
  source: SourcePod;
  targets: AgentTarget[];
}

/** Results keyed by cellKey(source endpoint, target id). */
export type RoundResults = Map<string, AgentResult>;

/** What the settle loop tells a prober about a round. */
export interface RoundOptions {
  /**
   * No result of this round is final: every cell that keeps its result is probed again in a later
   * round that is not provisional (the confirmation, or a last check at the settle deadline). The
   * guard skips its liveness self-probes in such rounds (observe/guard.ts).
   */
  provisional?: boolean;
}

export interface Prober {
  round(requests: ProbeRequest[], opts?: RoundOptions): Promise<RoundResults>;
  /** Execs issued so far (for benchmarks and telemetry). */
  readonly execCount: number;
}

export interface BatchProberOptions {
  /** Concurrent execs against the API server. */
  concurrency?: number;
  /** Probes run at once inside one pod (default DEFAULT_IN_POD_PARALLEL). */
  inPodParallel?: number;
  /**
   * Long-lived probe sessions (one exec per pod, reused every round). A round a session cannot
   * answer falls back to a one-shot exec, so faults are classified and reported as without them.
   */
  sessions?: SessionPool;
  /** Start spacing per probe in a session round (default SPREAD_PER_PROBE_MS; 0: all at once). */
  spreadPerProbeMs?: number;
  /** Extra time allowed for exec setup on top of the longest probe timeout. */
  execSlackMs?: number;
  /** Retry failed execs with back-off (default: no retries). */
  retry?: RetryPolicy;
  /** Told about every failed exec attempt (counted in the step's infrastructure section). */
  onFault?: (f: ExecFault) => void;
  /** Finds the running replacement of a source pod that is gone (its Deployment recreated it). */
  resolveSource?: (src: SourcePod) => Promise<SourcePod | undefined>;
  sleep?: (ms: number) => Promise<void>;
}

export function agentCommand(targets: AgentTarget[], inPodParallel = DEFAULT_IN_POD_PARALLEL): string[] {
  return [AGENT_PATH, 'probe', '--parallel', String(inPodParallel), '--targets', JSON.stringify(targets)];
}

function errorResults(src: SourcePod, targets: AgentTarget[], detail: string, out: RoundResults): void {
  for (const t of targets) out.set(cellKey(src.endpoint, t.id), { id: t.id, class: 'error', detail });
}

// An external source has no namespace: its `pod` is a container outside the cluster.
const where = (src: SourcePod): string => (src.namespace === '' ? `container ${src.pod} outside the cluster` : `${src.namespace}/${src.pod}${src.node ? ` on node ${src.node}` : ''}`);

type Attempt = { res: ExecResult } | { fault: ExecFaultKind; message: string };

/** One exec; failures become a fault kind (never a result). */
async function attempt(executor: PodExecutor, src: SourcePod, cmd: string[], timeoutMs: number): Promise<Attempt> {
  try {
    const res = await executor.exec(src.namespace, src.pod, src.container, cmd, timeoutMs);
    if (res.exitCode === undefined) {
      // No status frame: lines the agent did print are its own results; only an empty answer is retried.
      if (parseAgentOutput(res.stdout).results.size === 0) return { fault: 'no-status', message: 'exec ended without a status and without results' };
    } else if (res.exitCode !== 0) {
      const first = res.stderr.trim().split('\n')[0] ?? '';
      // A failure status without an exit code is the API server's or kubelet's (node gone, container
      // not running): its message says which. Otherwise the agent itself exited non-zero.
      const st = res.status;
      if (st && st.reason !== 'NonZeroExitCode' && st.message) {
        const kind = classifyExecError(st.message);
        return { fault: kind === 'other' ? 'agent-exit' : kind, message: `exec failed: ${st.message}` };
      }
      const kind = classifyExecError(first);
      return { fault: kind === 'other' ? 'agent-exit' : kind, message: `agent exited ${res.exitCode}: ${first}` };
    }
    return { res };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { fault: classifyExecError(message), message: `exec failed: ${message}` };
  }
}

/**
 * Runs one exec for a list of targets from one pod and maps every target to a result. A failed exec
 * is retried with back-off (and from the replacement pod when the source pod is gone); when it
 * still fails, every target is an error naming the pod, its node and the fault, never a deny.
 */
export async function execProbe(executor: PodExecutor, src: SourcePod, targets: AgentTarget[], opts: BatchProberOptions, out: RoundResults): Promise<SourcePod> {
  if (targets.length === 0) return src;
  const { parallel, probeMs } = batchTiming(targets, opts);
  const cmd = agentCommand(targets, parallel);
  const timeoutMs = probeMs + (opts.execSlackMs ?? 20_000);
  const retries = opts.retry?.retries ?? 0;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let pod = src;
  for (let n = 0; ; n++) {
    const a = await attempt(executor, pod, cmd, timeoutMs);
    if ('res' in a) {
      mapResults(pod, src.endpoint, targets, a.res, out);
      return pod;
    }
    let next: SourcePod | undefined;
    if ((a.fault === 'pod-gone' || a.fault === 'container-not-running') && opts.resolveSource && n < retries) {
      next = await opts.resolveSource(pod).catch(() => undefined);
    }
    const willRetry = n < retries && (a.fault !== 'pod-gone' || (next !== undefined && next.pod !== pod.pod));
    opts.onFault?.({ at: Date.now(), kind: a.fault, endpoint: src.endpoint, pod: pod.pod, ...(pod.node ? { node: pod.node } : {}), message: a.message, willRetry });
    if (!willRetry) {
      const gone = a.fault === 'pod-gone' ? '; no running replacement pod found' : '';
      errorResults(src, targets, `${a.message} (${a.fault}, source pod ${where(pod)}, ${n + 1} attempt${n ? 's' : ''}${gone})`, out);
      return pod;
    }
    if (next) pod = next;
    if (opts.retry) await sleep(backoffMs(opts.retry, n));
  }
}

/**
 * In-pod parallelism and how long a batch's probes may take: the agent runs `parallel` probes at
 * once, so many targets take several timeouts, and no backstop may cut a healthy batch short.
 */
export function batchTiming(targets: AgentTarget[], opts: Pick<BatchProberOptions, 'inPodParallel' | 'spreadPerProbeMs'>): { parallel: number; probeMs: number; spreadMs: number } {
  const parallel = opts.inPodParallel ?? DEFAULT_IN_POD_PARALLEL;
  const longest = Math.max(...targets.map((t) => t.timeoutMs));
  // Sessions spread a pod's starts (SPREAD_PER_PROBE_MS each, at most a quarter of a timeout): a
  // hundred pods starting hundreds of connections in the same instant overflowed the kernel's
  // per-CPU packet backlog here (net.core.netdev_max_backlog), and a lost SYN looks like a drop.
  const spreadMs = Math.min(Math.floor(longest / 4), targets.length * (opts.spreadPerProbeMs ?? SPREAD_PER_PROBE_MS));
  return { parallel, probeMs: Math.ceil(targets.length / parallel) * longest, spreadMs };
}

/** Start spacing of the probes in one pod's session round. */
export const SPREAD_PER_PROBE_MS = 2;

function mapResults(pod: SourcePod, endpoint: string, targets: AgentTarget[], res: ExecResult, out: RoundResults): void {
  const parsed = parseAgentOutput(res.stdout);
  for (const t of targets) {
    const r = parsed.results.get(t.id);
    out.set(
      cellKey(endpoint, t.id),
      r ??
        (res.exitCode === undefined
          ? { id: t.id, class: 'error', detail: `exec ended without a status; no result for this probe (source pod ${where(pod)})` }
          : { id: t.id, class: 'error', detail: `agent printed no result for this probe${parsed.garbage.length ? ` (output: ${parsed.garbage[0]!.slice(0, 120)})` : ''}` }),
    );
  }
}

export class BatchProber implements Prober {
  private execs = 0;
  /** Replacement pods found for sources that went away, by old pod key. */
  private readonly replaced = new Map<string, SourcePod>();
  constructor(
    private readonly executor: PodExecutor,
    private readonly opts: BatchProberOptions = {},
  ) {}

  /** One-shot execs plus the sessions opened (each an exec) by this prober's pool. */
  get execCount(): number {
    return this.execs + (this.opts.sessions?.stats.opened ?? 0);
  }

  async round(requests: ProbeRequest[]): Promise<RoundResults> {
    // The cap is on exec setups (one-shot execs here, session opens in the pool); rounds on open
    // sessions are lines on streams already open and all run at once.
    const limit = pLimit(this.opts.concurrency ?? DEFAULT_EXEC_CONCURRENCY);
    const out: RoundResults = new Map();
    await Promise.all(
      requests.map(async (r) => {
        if (r.targets.length === 0) return;
        const key = `${r.source.namespace}/${r.source.pod}`;
        const src = this.replaced.get(key) ?? r.source;
        if (this.opts.sessions) {
          const { parallel, probeMs, spreadMs } = batchTiming(r.targets, this.opts);
          const stdout = await this.opts.sessions.run(src, r.targets, { parallel, spreadMs, probeMs });
          if (stdout !== undefined) {
            mapResults(src, r.source.endpoint, r.targets, { stdout, stderr: '', exitCode: 0 }, out);
            return;
          }
        }
        await limit(async () => {
          this.execs++;
          const used = await execProbe(this.executor, src, r.targets, this.opts, out);
          if (used.pod !== r.source.pod) this.replaced.set(key, used);
        });
      }),
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
