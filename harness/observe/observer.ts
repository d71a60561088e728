// Watches the cluster while a step probes: polls the pods the step depends on and every node
// (bounded calls, one in flight), turns changes into timestamped events, counts failed execs by
// kind, finds replacement source pods, and says why an endpoint cannot be trusted in a time window.
// Its record becomes the step's `infrastructure` section.
import type { KubeClient } from '../cluster/kube-client.js';
import { isPodReady, type PodLike } from '../cluster/kube-types.js';
import { withDeadline } from '../cluster/wait.js';
import type { InfraEvent, StepInfrastructure } from '../diff/result.js';
import type { ExecFault } from '../probe/exec-faults.js';
import type { SourcePod } from '../probe/prober.js';
import { cniAgentProblem, CNI_ENDPOINT, endpointsOnNode } from './cni-agents.js';
import { diffSnapshots, endpointProblem, matchesLabels, probeFailures, PROBE_FAILURE_SHADOW_MS, recentlyReady, takeSnapshot, type Snapshot, type WatchTarget } from './snapshot.js';

export interface ObserverOptions {
  client: KubeClient;
  targets: WatchTarget[];
  /** Background poll period (default 2 s; 0: only explicit refreshes). */
  intervalMs?: number;
  /** Deadline for each API call (default 10 s). */
  apiDeadlineMs?: number;
  /** How long to wait for a replacement source pod (default 60 s). */
  replacementTimeoutMs?: number;
  /** Events kept per step (default 200). */
  maxEvents?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Recorded {
  event: InfraEvent;
  at: number;
  /** Endpoints the event may have disturbed. */
  endpoints: Set<string>;
  /** The event is about a CNI agent: it casts doubt on allows as well as denies. */
  cni: boolean;
}

/** Events that say something went wrong (recoveries and new pods are context, not trouble). */
const TROUBLE = new Set(['node-not-ready', 'node-gone', 'pod-deleted', 'pod-restart', 'pod-evicted', 'pod-terminating', 'pod-not-ready', 'api-unreachable', 'liveness-failure', 'probe-failed', 'node-suspect']);

/** How far before a round an event of this kind still disturbs it. */
const lookbackMs = (kind: string): number => (kind === 'probe-failed' ? PROBE_FAILURE_SHADOW_MS : 1000);

export const describeEvent = (e: InfraEvent): string => `${e.kind} ${e.subject}${e.detail ? ` (${e.detail})` : ''}`;

export class StepObserver {
  private readonly recorded: Recorded[] = [];
  private dropped = 0;
  readonly execFailures: Record<string, number> = {};
  execRetries = 0;
  distrusted = 0;
  last: Snapshot | undefined;
  private apiDown: { since: number; message: string } | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** The observer's clock (event times, trouble windows). */
  readonly now: () => number;

  private constructor(private readonly opts: ObserverOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Takes a first reading and starts polling in the background. */
  static async start(opts: ObserverOptions): Promise<StepObserver> {
    const o = new StepObserver(opts);
    await o.refresh();
    const every = opts.intervalMs ?? 2000;
    if (every > 0) {
      // No background reading while a round runs: the guard reads right after it, and must not
      // queue behind a reading that started during the round (an API server under load takes seconds).
      o.timer = setInterval(() => void (o.rounds === 0 && o.refresh()), every);
      o.timer.unref();
    }
    return o;
  }

  /** Rounds in flight (the guard's); background readings wait for them to end. */
  private rounds = 0;

  /** Runs a probe round with background readings paused (observe/guard.ts reads after it). */
  async duringRound<T>(fn: () => Promise<T>): Promise<T> {
    this.rounds++;
    try {
      return await fn();
    } finally {
      this.rounds--;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A fresh reading (after any in flight); undefined when the API server did not answer. */
  refresh(): Promise<Snapshot | undefined> {
    const next = this.chain.then(() => this.poll());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async poll(): Promise<Snapshot | undefined> {
    let snap: Snapshot;
    try {
      snap = await takeSnapshot(this.opts.client, this.opts.targets, this.opts.apiDeadlineMs ?? 10_000, this.now);
    } catch (e) {
      const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      if (!this.apiDown) {
        this.apiDown = { since: this.now(), message };
        this.add({ at: new Date(this.now()).toISOString(), kind: 'api-unreachable', subject: 'API server', detail: message }, this.opts.targets.map((t) => t.endpoint));
      }
      return undefined;
    }
    if (this.apiDown) {
      this.add({ at: new Date(snap.at).toISOString(), kind: 'api-recovered', subject: 'API server', detail: `after ${((snap.at - this.apiDown.since) / 1000).toFixed(1)} s` }, []);
      this.apiDown = undefined;
    }
    if (this.last) {
      const prev = this.last;
      for (const e of diffSnapshots(prev, snap)) this.add(e, this.affected(e, prev, snap));
    } else {
      for (const e of probeFailures(snap)) this.add(e, this.affected(e, snap, snap));
    }
    this.last = snap;
    return snap;
  }

  private affected(e: InfraEvent, prev: Snapshot, next: Snapshot): string[] {
    const pods = [...prev.pods.values(), ...next.pods.values()];
    if (e.kind.startsWith('node-')) return pods.filter((p) => p.node === e.subject).flatMap((p) => p.endpoints);
    const subject = pods.filter((p) => `${p.namespace}/${p.name}` === e.subject);
    // A CNI agent's trouble reaches every endpoint whose pods share its node.
    const cniNodes = subject.filter((p) => p.endpoints.includes(CNI_ENDPOINT)).map((p) => p.node);
    return [...subject.flatMap((p) => p.endpoints), ...cniNodes.flatMap((n) => endpointsOnNode(next, n))];
  }

  add(event: InfraEvent, endpoints: Iterable<string>): void {
    if (this.recorded.length >= (this.opts.maxEvents ?? 200)) {
      this.dropped++;
      return;
    }
    const set = new Set(endpoints);
    this.recorded.push({ event, at: Date.parse(event.at), endpoints: set, cni: set.has(CNI_ENDPOINT) });
  }

  /** For BatchProber's onFault: counts the failure by kind and records it as an event. */
  recordExecFault(f: ExecFault): void {
    this.execFailures[f.kind] = (this.execFailures[f.kind] ?? 0) + 1;
    if (f.willRetry) this.execRetries++;
    const ns = f.endpoint.split('/')[0] ?? '';
    this.add(
      { at: new Date(f.at).toISOString(), kind: 'exec-failure', subject: `${ns}/${f.pod}`, detail: `${f.kind}${f.node ? ` on node ${f.node}` : ''}: ${f.message}${f.willRetry ? ' (retrying)' : ''}` },
      [f.endpoint],
    );
    // The kubelet of that node did not answer: everything else on the node (a CoreDNS pod, a
    // destination) is suspect too, long before the node turns NotReady (about 40 s).
    if (f.node && (f.kind === 'node-unreachable' || f.kind === 'timeout') && this.last) {
      const mates = [...this.last.pods.values()].filter((p) => p.node === f.node).flatMap((p) => p.endpoints);
      this.add({ at: new Date(f.at).toISOString(), kind: 'node-suspect', subject: f.node, detail: `an exec into ${ns}/${f.pod} there failed (${f.kind})` }, mates);
    }
  }

  get events(): InfraEvent[] {
    return this.recorded.map((r) => r.event);
  }

  /**
   * Why results that depend on this endpoint, observed since t0, are not verdicts: a troubling
   * event in the window, an unhealthy state in the latest reading, or no reading at all.
   */
  troubleFor(endpoint: string, t0: number, latest: Snapshot | undefined): string | undefined {
    // Externals (containers beside the cluster) have no pods to watch: nothing to say about them here.
    if (!this.target(endpoint)) return undefined;
    if (!latest) return `cluster state unknown: ${this.apiDown?.message ?? 'the API server did not answer'}`;
    const seen = this.seen(endpoint, t0, false);
    if (seen) return describeEvent(seen.event);
    const target = this.target(endpoint);
    const fresh = target?.clusterService ? recentlyReady(latest, endpoint, t0, undefined, target.freshAfter) : undefined;
    return endpointProblem(latest, endpoint) ?? fresh ?? cniAgentProblem(latest, endpoint, t0);
  }

  /**
   * Why even a connection from or to this endpoint is not a verdict: the CNI agent on its node was
   * in trouble in the window (a lagging agent lets through what a policy already denies).
   */
  cniTroubleFor(endpoint: string, t0: number, latest: Snapshot | undefined): string | undefined {
    if (!this.target(endpoint) || !latest) return undefined;
    // Asked for every connected cell of a round, with a handful of endpoints: answer each once per round.
    if (this.cniMemo?.snap !== latest || this.cniMemo.t0 !== t0) this.cniMemo = { snap: latest, t0, answers: new Map() };
    const memo = this.cniMemo.answers;
    if (!memo.has(endpoint)) {
      const seen = this.seen(endpoint, t0, true);
      memo.set(endpoint, seen ? describeEvent(seen.event) : cniAgentProblem(latest, endpoint, t0));
    }
    return memo.get(endpoint);
  }

  private cniMemo: { snap: Snapshot; t0: number; answers: Map<string, string | undefined> } | undefined;

  private seen(endpoint: string, t0: number, cniOnly: boolean): Recorded | undefined {
    return this.recorded.find((r) => TROUBLE.has(r.event.kind) && (!cniOnly || r.cni) && r.at >= t0 - lookbackMs(r.event.kind) && r.endpoints.has(endpoint));
  }

  /** The watch target of an endpoint, if it is watched. */
  target(endpoint: string): WatchTarget | undefined {
    return this.opts.targets.find((t) => t.endpoint === endpoint);
  }

  /** Faults seen in this step, one line each, for a step that did not settle. */
  faults(max = 10): string[] {
    const lines = [...new Set(this.recorded.filter((r) => TROUBLE.has(r.event.kind) || r.event.kind === 'exec-failure').map((r) => `${r.event.kind} ${r.event.subject}`))];
    return lines.slice(0, max);
  }

  /**
   * A running replacement for a source pod that is gone or not running: a Ready pod of the same
   * endpoint, waited for up to replacementTimeoutMs. Undefined when none appears.
   */
  async resolveSource(src: SourcePod): Promise<SourcePod | undefined> {
    const target = this.opts.targets.find((t) => t.endpoint === src.endpoint);
    if (!target) return undefined;
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = this.now() + (this.opts.replacementTimeoutMs ?? 60_000);
    const selector = Object.entries(target.labels).map(([k, v]) => `${k}=${v}`).join(',');
    for (;;) {
      const pods = await withDeadline(this.opts.client.list<PodLike>('v1', 'Pod', { namespace: target.namespace, labelSelector: selector }), this.opts.apiDeadlineMs ?? 10_000, `listing pods of ${src.endpoint}`).catch(() => [] as PodLike[]);
      const ready = pods.filter((p) => isPodReady(p) && matchesLabels(p.metadata.labels, target.labels));
      const pick = ready.find((p) => p.metadata.name !== src.pod) ?? ready[0];
      if (pick) {
        const replacement: SourcePod = { ...src, pod: pick.metadata.name ?? '', ...(pick.spec?.nodeName ? { node: pick.spec.nodeName } : {}) };
        if (replacement.pod !== src.pod) this.add({ at: new Date(this.now()).toISOString(), kind: 'source-replaced', subject: `${src.namespace}/${src.pod}`, detail: `probing from ${replacement.pod}${replacement.node ? ` on node ${replacement.node}` : ''}` }, []);
        return replacement;
      }
      if (this.now() >= deadline) return undefined;
      await sleep(2000);
    }
  }

  /** The step's infrastructure section. */
  infrastructure(unsettled?: StepInfrastructure['unsettled']): StepInfrastructure {
    return {
      events: this.events,
      ...(this.dropped ? { eventsDropped: this.dropped } : {}),
      execFailures: { ...this.execFailures },
      execRetries: this.execRetries,
      distrusted: this.distrusted,
      ...(unsettled ? { unsettled } : {}),
    };
  }
}
