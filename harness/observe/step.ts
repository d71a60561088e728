// One step under observation: the watch targets of a deployment, a prober that retries failed execs,
// re-probes from replacement pods and distrusts results a fault may have caused, and the step's
// infrastructure section when it is done.
import { withoutRevisionLabels } from '../apply/in-place.js';
import type { Deployment } from '../apply/workloads.js';
import type { KubeClient } from '../cluster/kube-client.js';
import { ENDPOINT_KEY } from '../cluster/labels.js';
import type { StepInfrastructure } from '../diff/result.js';
import { verdictOf } from '../diff/result.js';
import { cellKey } from '../matrix/matrix.js';
import type { PodExecutor } from '../probe/exec.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../probe/exec-faults.js';
import { BatchProber, type Prober, type SourcePod } from '../probe/prober.js';
import { canStream, SessionPool } from '../probe/session.js';
import { ExternalSourceProber } from '../probe/external-source.js';
import type { PlannedCell, SettleResult } from '../probe/settle.js';
import type { Suite } from '../suite/schema.js';
import { DNS_ENDPOINT, GuardedProber } from './guard.js';
import { CNI_TARGETS } from './cni-agents.js';
import { StepObserver } from './observer.js';
import type { WatchTarget } from './snapshot.js';

/** The cluster DNS server as kubeadm, kind and k3s label it. */
export const DNS_TARGET: WatchTarget = { endpoint: DNS_ENDPOINT, namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, agent: false, clusterService: true };

const ips = (ep: { pods: { ip: string }[] }): string[] => ep.pods.map((p) => p.ip).filter(Boolean);

/**
 * Every endpoint the suite deployed or found, plus the DNS server and the CNI's node agents
 * (`deployedAt`: when the run deployed its pods; cluster service pods Ready before then are no lag;
 * `dnsServedAt`: when DNS pods were shown served, so DNS pods Ready before then are no lag either).
 */
export function watchTargets(deployment: Deployment, suite: Suite, deployedAt?: number, dnsServedAt?: number): WatchTarget[] {
  const out: WatchTarget[] = [];
  for (const ep of deployment.endpoints.values()) {
    if (ep.kind === 'existing') {
      const w = suite.workloads.find((x) => x.existing && x.namespace === ep.namespace && x.name === ep.name);
      if (w) out.push({ endpoint: ep.id, namespace: ep.namespace, labels: withoutRevisionLabels(w.labels), agent: false, addresses: ips(ep) });
    } else {
      out.push({ endpoint: ep.id, namespace: ep.namespace, labels: { [ENDPOINT_KEY]: ep.name }, agent: true, addresses: ips(ep) });
    }
  }
  const since = deployedAt !== undefined ? { freshAfter: deployedAt } : {};
  const dnsSince = dnsServedAt !== undefined ? { freshAfter: Math.max(deployedAt ?? -Infinity, dnsServedAt) } : since;
  return [...out, { ...DNS_TARGET, ...dnsSince }, ...CNI_TARGETS.map((t) => ({ ...t, ...since }))];
}

export interface ObserveStepOptions {
  client: KubeClient;
  executor: PodExecutor;
  targets: WatchTarget[];
  concurrency?: number;
  retry?: RetryPolicy;
  /** A source pod was replaced: later steps should probe from the new one (`old`: the pod it replaced). */
  onReplaced?: (src: SourcePod, old: SourcePod) => void;
  /** Readies a replacement source pod before it is probed (an in-place source needs its probe container there). */
  prepareSource?: (src: SourcePod) => Promise<SourcePod>;
  pollIntervalMs?: number;
  /** Probe over long-lived sessions when the executor can (default true). */
  sessions?: boolean;
  /**
   * The run's session pool (kept from step to step, warmed before the first): used instead of a
   * pool of the step's own, and left open when the step ends.
   */
  pool?: SessionPool;
  /** Runs probes in external source containers (docker exec); their requests never reach the API server. */
  externalExecutor?: PodExecutor;
}

export interface ObservedStep {
  observer: StepObserver;
  prober: Prober;
  /** Stops watching and ends the probe sessions (idempotent; finish() does it too). */
  stop(): void;
  /** Stops watching and returns the infrastructure section. */
  finish(cells: PlannedCell[], settled: SettleResult): StepInfrastructure;
}

export async function observeStep(o: ObserveStepOptions): Promise<ObservedStep> {
  const observer = await StepObserver.start({ client: o.client, targets: o.targets, ...(o.pollIntervalMs !== undefined ? { intervalMs: o.pollIntervalMs } : {}) });
  // The run's pool when it has one; else one per step: sessions open on the step's first round and end with the step.
  const own = o.sessions !== false && !o.pool && canStream(o.executor) ? new SessionPool(o.executor, o.concurrency !== undefined ? { openConcurrency: o.concurrency } : {}) : undefined;
  const sessions = o.sessions === false ? undefined : (o.pool ?? own);
  const inner = new BatchProber(o.executor, {
    ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
    ...(sessions ? { sessions } : {}),
    retry: o.retry ?? DEFAULT_RETRY,
    onFault: (f) => observer.recordExecFault(f),
    resolveSource: async (src) => {
      const found = await observer.resolveSource(src);
      if (!found || found.pod === src.pod) return found;
      const r = o.prepareSource ? await o.prepareSource(found) : found;
      o.onReplaced?.(r, src);
      return r;
    },
  });
  const agentEndpoints = new Set(o.targets.filter((t) => t.agent).map((t) => t.endpoint));
  // Under the guard, so a fault at a destination keeps an external source's results out of verdicts too.
  const routed = o.externalExecutor ? new ExternalSourceProber(inner, new BatchProber(o.externalExecutor, { retry: o.retry ?? DEFAULT_RETRY, onFault: (f) => observer.recordExecFault(f) })) : inner;
  const prober = new GuardedProber(routed, observer, { executor: o.executor, agentEndpoints, ...(sessions ? { sessions } : {}) });
  const stop = (): void => {
    observer.stop();
    own?.close();
  };
  return {
    observer,
    prober,
    stop,
    finish(cells, settled) {
      stop();
      return observer.infrastructure(unsettledSummary(cells, settled, observer));
    },
  };
}

/** Which cells never matched, in which classes, and the faults seen: why a step did not settle. */
export function unsettledSummary(cells: PlannedCell[], settled: SettleResult, observer: Pick<StepObserver, 'faults'>): StepInfrastructure['unsettled'] | undefined {
  const byClass: Record<string, number> = {};
  const sample: string[] = [];
  let n = 0;
  for (const c of cells) {
    const out = settled.outcomes.get(cellKey(c.source.endpoint, c.target.id));
    if (!out || verdictOf(out.result.class) === c.expected) continue;
    n++;
    byClass[out.result.class] = (byClass[out.result.class] ?? 0) + 1;
    if (sample.length < 5) sample.push(`${c.source.endpoint} -> ${c.target.id}: ${out.result.class}${out.result.detail ? ` (${out.result.detail.slice(0, 200)})` : ''}`);
  }
  if (n === 0) return undefined;
  return { cells: n, byClass, sample, faults: observer.faults() };
}

/** One line for the progress output: `4 cells (error 3, timeout 1); faults: node-not-ready w2`. */
export function unsettledLine(u: NonNullable<StepInfrastructure['unsettled']>): string {
  const classes = Object.entries(u.byClass).map(([k, v]) => `${k} ${v}`).join(', ');
  return `${u.cells} cell${u.cells === 1 ? '' : 's'} did not match (${classes})${u.faults.length ? `; faults seen: ${u.faults.join(', ')}` : ''}`;
}
