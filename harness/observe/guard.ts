// Keeps faults out of verdicts. A probe result other than `connected` is taken as a policy verdict
// only if nothing it depends on (its source, its destination, the DNS server, the CNI agents on their
// nodes) was disturbed while the round ran, and the destination's agent still answers a loopback
// self-probe afterwards (NetworkPolicy never applies to loopback, so a failure there is the pod, not
// a policy). A `connected` result is not a verdict either while the CNI agent on its source's or
// destination's node is in trouble (its rules lag: it may let through what a policy denies).
// Otherwise the result becomes an error naming the fault; the settle loop probes it again.
//
// Cost on the hot path: one reading of the cluster after the round (changes since the previous
// reading count as seen during the round; no reading before it), and, at the same time, one
// self-probe per pod of each agent destination that answered with a deny (refused or timeout), over
// that pod's probe session when there is one (a line on an open stream), a one-shot exec otherwise.
// Provisional rounds (the settle loop probes every cell that keeps their results again, in a round
// that is not: probe/settle.ts) skip the self-probes: a deny there is never final, and the round
// that makes it final checks it.
import { isIP } from 'node:net';
import pLimit from 'p-limit';
import type { AgentResult } from '../probe/agent-output.js';
import type { PodExecutor } from '../probe/exec.js';
import { AGENT_CONTAINER, AGENT_PATH, type ProbeRequest, type Prober, type RoundOptions, type RoundResults } from '../probe/prober.js';
import type { SessionPool } from '../probe/session.js';
import type { AgentTarget } from '../probe/targets.js';
import { cellKey } from '../matrix/matrix.js';
import { parseAgentOutput } from '../probe/agent-output.js';
import type { StepObserver } from './observer.js';
import { staleAddress } from './snapshot.js';

/** Endpoint id of the cluster DNS server in watch targets. */
export const DNS_ENDPOINT = 'cluster-dns';

/** Destination endpoint id of a connection target (`<dst-id>:<port>/<proto>`; ids may hold `:`). */
export function destinationOf(target: AgentTarget): string | undefined {
  if (target.kind === 'dns') return undefined;
  const i = target.id.lastIndexOf(':');
  return i > 0 ? target.id.slice(0, i) : undefined;
}

/**
 * The destination pod's own port for a target: the column's (`ns/name:8080/TCP`), which differs from
 * `target.port` when the probe goes through a Service port (ports[].servicePort).
 */
export function containerPortOf(target: AgentTarget): number | undefined {
  const m = /:(\d+)\/(?:TCP|UDP|SCTP)$/.exec(target.id);
  return m ? Number(m[1]) : target.port;
}

/** What a result from src to target depends on: the source, the destination, and DNS when a name is resolved. */
export function dependencies(srcEndpoint: string, target: AgentTarget): string[] {
  const deps = [srcEndpoint];
  const dst = destinationOf(target);
  if (dst) deps.push(dst);
  if (target.kind === 'dns' || (target.host !== undefined && isIP(target.host) === 0)) deps.push(DNS_ENDPOINT);
  return deps;
}

export interface GuardOptions {
  executor: PodExecutor;
  /** Endpoints whose pods run the harness agent (liveness self-probe possible). */
  agentEndpoints: Set<string>;
  /** Per liveness self-probe (default 1 s) plus exec slack (default 8 s). */
  livenessTimeoutMs?: number;
  livenessSlackMs?: number;
  /** Probe sessions: a self-probe goes over the pod's session when it has one. */
  sessions?: SessionPool;
}

/** A deny the guard must check (refused or timeout); errors are not verdicts anyway. */
const isDeny = (r: AgentResult): boolean => r.class === 'refused' || r.class === 'timeout';

export class GuardedProber implements Prober {
  constructor(
    private readonly inner: Prober,
    private readonly observer: StepObserver,
    private readonly opts: GuardOptions,
  ) {}

  get execCount(): number {
    return this.inner.execCount;
  }

  async round(requests: ProbeRequest[], opts: RoundOptions = {}): Promise<RoundResults> {
    const t0 = this.observer.now();
    const results = await this.observer.duringRound(() => this.inner.round(requests, opts));
    // Every round needs the reading after it (a lagging CNI agent casts doubt on connections too);
    // the self-probes (denies only) are independent of it: run them together.
    const [after, liveness] = await Promise.all([this.observer.refresh(), opts.provisional ? new Map<string, string>() : this.liveness(requests, results)]);
    for (const req of requests) {
      for (const t of req.targets) {
        const key = cellKey(req.source.endpoint, t.id);
        const r = results.get(key);
        if (!r || r.class === 'unsupported') continue;
        const dst = destinationOf(t);
        if (r.class === 'connected') {
          const lag = [req.source.endpoint, ...(dst ? [dst] : [])].map((d) => this.observer.cniTroubleFor(d, t0, after)).find((p) => p !== undefined);
          if (lag) {
            this.observer.distrusted++;
            results.set(key, distrust(r, lag));
          }
          continue;
        }
        const deps = dependencies(req.source.endpoint, t);
        const watched = dst !== undefined ? this.observer.target(dst) : undefined;
        const stale = watched && after ? staleAddress(after, watched, t.host) : undefined;
        // Every fault seen is named (the source's and the destination's): the reason a reader looks for
        // (say, the destination's node going away) must not hide behind another.
        const problem = stale ?? [...new Set(deps.map((d) => liveness.get(d) ?? this.observer.troubleFor(d, t0, after)).filter((p): p is string => p !== undefined))].join('; and ');
        if (!problem) continue;
        if (r.class !== 'error') this.observer.distrusted++;
        results.set(key, distrust(r, problem, t.kind === 'dns'));
      }
    }
    return results;
  }

  /** Self-probes the agent in each pod of every agent destination that answered a TCP probe with a deny. */
  private async liveness(requests: ProbeRequest[], results: RoundResults): Promise<Map<string, string>> {
    const ports = new Map<string, number>();
    for (const req of requests) {
      for (const t of req.targets) {
        const dst = destinationOf(t);
        const r = results.get(cellKey(req.source.endpoint, t.id));
        const own = containerPortOf(t);
        if (!dst || !r || !isDeny(r) || t.kind !== 'tcp' || own === undefined) continue;
        if (this.opts.agentEndpoints.has(dst) && !ports.has(dst)) ports.set(dst, own);
      }
    }
    const problems = new Map<string, string>();
    const snap = this.observer.last;
    if (ports.size === 0 || !snap) return problems;
    const limit = pLimit(this.opts.sessions ? 64 : 8);
    const jobs: Promise<void>[] = [];
    for (const [endpoint, port] of ports) {
      for (const pod of [...snap.pods.values()].filter((p) => p.endpoints.includes(endpoint) && p.ready)) {
        jobs.push(
          limit(async () => {
            const why = await this.selfProbe(pod, port);
            if (why && !problems.has(endpoint)) {
              problems.set(endpoint, why);
              this.observer.add({ at: new Date(this.observer.now()).toISOString(), kind: 'liveness-failure', subject: `${pod.namespace}/${pod.name}`, detail: why }, [endpoint]);
            }
          }),
        );
      }
    }
    await Promise.all(jobs);
    return problems;
  }

  /** Why the agent in a pod does not count as alive, or undefined when it answers on its own port. */
  private async selfProbe(pod: { namespace: string; name: string; node: string }, port: number): Promise<string | undefined> {
    const where = `pod ${pod.namespace}/${pod.name} on node ${pod.node || '?'}`;
    const timeoutMs = this.opts.livenessTimeoutMs ?? 1000;
    const probe = [{ id: 'live', kind: 'tcp' as const, host: '127.0.0.1', port, timeoutMs }];
    let stdout: string | undefined;
    let exit: number | undefined = 0;
    try {
      // A session that cannot answer (the agent was killed, so its session ended) falls back to an exec.
      stdout = await this.opts.sessions?.run({ namespace: pod.namespace, pod: pod.name, container: AGENT_CONTAINER }, probe, { parallel: 1, probeMs: timeoutMs });
      if (stdout === undefined) {
        const res = await this.opts.executor.exec(pod.namespace, pod.name, AGENT_CONTAINER, [AGENT_PATH, 'probe', '--targets', JSON.stringify(probe)], timeoutMs + (this.opts.livenessSlackMs ?? 8000));
        stdout = res.stdout;
        exit = res.exitCode;
      }
    } catch (e) {
      return `${where} cannot be reached for a liveness check: ${e instanceof Error ? e.message : String(e)}`;
    }
    const live = parseAgentOutput(stdout).results.get('live');
    return live?.class === 'connected' ? undefined : `agent in ${where} does not answer on its own port ${port} (${live ? live.class : `exit ${exit ?? 'unknown'}`})`;
  }
}

/**
 * A result that is not a verdict: an error keeping what was seen and why it is not trusted. A DNS
 * check that failed under a fault says dns-failure, whatever words the resolver used.
 */
export function distrust(r: AgentResult, problem: string, dns = false): AgentResult {
  const cls = dns && r.class === 'error' ? 'dns-failure' : r.class;
  const seen = cls === 'error' ? (r.detail ?? 'error') : `${cls}${r.detail ? ` (${r.detail})` : ''}`;
  return { id: r.id, class: 'error', detail: `${seen}; not taken as a verdict: ${problem}`, distrusted: true };
}
