// The state of the pods and nodes a step depends on, read in one list each, and the events that
// tell two readings apart (node NotReady, pod restarted, deleted, evicted, not Ready). Pure except
// takeSnapshot; the watcher and the probe guard build on these.
import type { KubeClient } from '../cluster/kube-client.js';
import { isNodeReady, isPodReady, type EventLike, type NodeLike, type PodLike } from '../cluster/kube-types.js';
import { withDeadline } from '../cluster/wait.js';
import type { InfraEvent } from '../diff/result.js';

/** An endpoint whose pods the step depends on: a workload, a probe, an existing workload, the DNS server. */
export interface WatchTarget {
  /** Endpoint id (`<ns>/<name>`, or `dns` for the cluster DNS server). */
  endpoint: string;
  namespace: string;
  /** Its pods carry all of these labels. */
  labels: Record<string, string>;
  /** The harness agent runs in its pods (a liveness self-probe is possible). */
  agent: boolean;
  /** Pod IPs the step's probes may address directly (learnt at deploy time; stale once pods are replaced). */
  addresses?: string[];
  /** A cluster service we depend on but do not own (DNS server, CNI agents): new pods of it need time to take effect. */
  clusterService?: boolean;
  /**
   * ms since the epoch the run deployed its pods: a cluster service pod Ready before then came up before
   * the run's pods and policies existed, so its freshness is no lag (a new cluster's CoreDNS).
   */
  freshAfter?: number;
}

export interface PodSnap {
  uid: string;
  name: string;
  namespace: string;
  endpoints: string[];
  node: string;
  ip: string;
  ready: boolean;
  /** ms since the epoch when it last turned Ready (from the Ready condition), if known. */
  readySince?: number;
  /** ms since the epoch its newest running container started (a restart shows here even when Ready did not flip). */
  startedAt?: number;
  terminating: boolean;
  restarts: number;
  phase: string;
  reason?: string;
  /** Why the last container instance ended (`Error, exit 137`), when it restarted. */
  lastTermination?: string;
}

export interface NodeSnap {
  name: string;
  ready: boolean;
  reason?: string;
}

/** A kubelet probe failure (`Unhealthy` Warning event) of a watched pod. */
export interface WarningSnap {
  /** `<ns>/<pod>`. */
  pod: string;
  message: string;
  count: number;
  /** ms since the epoch of its last occurrence. */
  last: number;
}

export interface Snapshot {
  /** ms since the epoch. */
  at: number;
  pods: Map<string, PodSnap>;
  nodes: Map<string, NodeSnap>;
  /**
   * Probe failures of watched pods, by event uid. A starved CNI agent or DNS server fails its
   * health probe long before it restarts or turns NotReady (if it ever does), while its rules lag.
   */
  warnings: Map<string, WarningSnap>;
}

/**
 * How long a probe failure of a pod casts doubt on results: kubelet probes every 10 s by default,
 * so the pod was already struggling for a while before the event, and it may take as long again to
 * catch up (a CNI agent re-syncing its rules).
 */
export const PROBE_FAILURE_SHADOW_MS = 30_000;

/**
 * How long a cluster service's new pod is not trusted: kube-proxy and the CNI agents program a new
 * endpoint within seconds when they are healthy (a starved one fails its own probe: the longer
 * shadow above). Longer would keep a step whose CoreDNS pod merely flapped from ever settling.
 */
export const NEW_POD_SHADOW_MS = 10_000;

export const matchesLabels = (labels: Record<string, string> | undefined, want: Record<string, string>): boolean =>
  Object.entries(want).every(([k, v]) => labels?.[k] === v);

export function podSnap(p: PodLike, targets: WatchTarget[]): PodSnap | undefined {
  const ns = p.metadata.namespace ?? '';
  const endpoints = targets.filter((t) => t.namespace === ns && matchesLabels(p.metadata.labels, t.labels)).map((t) => t.endpoint);
  if (endpoints.length === 0) return undefined;
  const statuses = p.status?.containerStatuses ?? [];
  const restarted = statuses.find((s) => (s.restartCount ?? 0) > 0 && s.lastState?.terminated);
  const term = restarted?.lastState?.terminated;
  const readyCond = (p.status?.conditions ?? []).find((c) => c.type === 'Ready' && c.status === 'True');
  const readySince = readyCond?.lastTransitionTime ? Date.parse(readyCond.lastTransitionTime) : NaN;
  const starts = statuses.map((s) => Date.parse(s.state?.running?.startedAt ?? '')).filter((t) => !Number.isNaN(t));
  return {
    uid: p.metadata.uid ?? `${ns}/${p.metadata.name ?? ''}`,
    name: p.metadata.name ?? '',
    namespace: ns,
    endpoints,
    node: p.spec?.nodeName ?? '',
    ip: p.status?.podIP ?? '',
    ready: isPodReady(p),
    ...(Number.isNaN(readySince) ? {} : { readySince }),
    ...(starts.length > 0 ? { startedAt: Math.max(...starts) } : {}),
    terminating: p.metadata.deletionTimestamp !== undefined,
    restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    phase: p.status?.phase ?? 'Unknown',
    ...(p.status?.reason ? { reason: p.status.reason } : {}),
    ...(term ? { lastTermination: `${term.reason ?? 'terminated'}, exit ${term.exitCode ?? '?'}` } : {}),
  };
}

export function nodeSnap(n: NodeLike): NodeSnap {
  const c = (n.status?.conditions ?? []).find((x) => x.type === 'Ready');
  const ready = isNodeReady(n);
  return { name: n.metadata.name ?? '', ready, ...(!ready ? { reason: c ? `${c.reason ?? c.status}${c.message ? ` (${c.message})` : ''}` : 'no Ready condition' } : {}) };
}

/** Above this many namespaces one cluster-wide pod list is cheaper than one list per namespace. */
export const MAX_SCOPED_NAMESPACES = 10;

/**
 * The namespaces to list pods in, or undefined for one cluster-wide list. A rehearsal on a shared
 * cluster watches a few namespaces among thousands of pods: listing all of them every reading would
 * cost the API server and the guard more than the probes (and past the deadline, every deny would
 * become "cluster state unknown"). Many namespaces (the conformance battery's lanes) take one list.
 */
export function podListScope(targets: readonly WatchTarget[], max = MAX_SCOPED_NAMESPACES): string[] | undefined {
  const namespaces = [...new Set(targets.map((t) => t.namespace))].sort();
  return namespaces.length <= max ? namespaces : undefined;
}

async function listPods(client: KubeClient, targets: readonly WatchTarget[], deadlineMs: number): Promise<PodLike[]> {
  const scope = podListScope(targets);
  if (!scope) return withDeadline(client.list<PodLike>('v1', 'Pod'), deadlineMs, 'listing pods');
  const lists = await Promise.all(scope.map((namespace) => withDeadline(client.list<PodLike>('v1', 'Pod', { namespace }), deadlineMs, `listing pods in ${namespace}`)));
  return lists.flat();
}

/** Reads every pod of the targets and every node; each call bounded by deadlineMs. */
export async function takeSnapshot(client: KubeClient, targets: WatchTarget[], deadlineMs = 10_000, now = Date.now): Promise<Snapshot> {
  const [pods, nodes, events] = await Promise.all([
    listPods(client, targets, deadlineMs),
    withDeadline(client.list<NodeLike>('v1', 'Node'), deadlineMs, 'listing nodes'),
    // Best effort: a cluster that does not let us read events still gets pods and nodes watched.
    withDeadline(client.list<EventLike>('v1', 'Event', { fieldSelector: 'reason=Unhealthy' }), deadlineMs, 'listing events').catch(() => [] as EventLike[]),
  ]);
  const snap: Snapshot = { at: now(), pods: new Map(), nodes: new Map(), warnings: new Map() };
  for (const p of pods) {
    const s = podSnap(p, targets);
    if (s) snap.pods.set(s.uid, s);
  }
  for (const n of nodes) {
    const s = nodeSnap(n);
    snap.nodes.set(s.name, s);
  }
  const watched = new Map([...snap.pods.values()].map((p) => [podId(p), p]));
  for (const e of events) {
    const w = warningSnap(e);
    const pod = w ? watched.get(w.pod) : undefined;
    if (w && pod && !startupNoise(w, pod)) snap.warnings.set(e.metadata.uid ?? `${w.pod}/${w.message}`, w);
  }
  return snap;
}

/**
 * A probe failure while the pod was still starting (a startup probe, or any failure before it last
 * turned Ready) is how every pod comes up, not trouble: a later crash shows as a restart.
 */
export function startupNoise(w: WarningSnap, pod: PodSnap): boolean {
  return /^Startup probe/i.test(w.message) || (pod.ready && pod.readySince !== undefined && w.last <= pod.readySince);
}

export function warningSnap(e: EventLike): WarningSnap | undefined {
  const o = e.involvedObject;
  if (e.reason !== 'Unhealthy' || o?.kind !== 'Pod' || !o.name) return undefined;
  const last = Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '');
  if (Number.isNaN(last)) return undefined;
  return { pod: `${o.namespace ?? e.metadata.namespace ?? ''}/${o.name}`, message: (e.message ?? '').trim().slice(0, 300), count: e.count ?? 1, last };
}

const podId = (p: PodSnap): string => `${p.namespace}/${p.name}`;
const podWhere = (p: PodSnap): string => `endpoint ${p.endpoints.join(', ')}${p.node ? ` on node ${p.node}` : ''}`;

/** What changed between two readings, as timestamped events (at = the later reading). */
export function diffSnapshots(prev: Snapshot, next: Snapshot): InfraEvent[] {
  const at = new Date(next.at).toISOString();
  const out: InfraEvent[] = [];
  for (const [name, n] of next.nodes) {
    const p = prev.nodes.get(name);
    if (p?.ready && !n.ready) out.push({ at, kind: 'node-not-ready', subject: name, ...(n.reason ? { detail: n.reason } : {}) });
    if (p && !p.ready && n.ready) out.push({ at, kind: 'node-ready', subject: name });
  }
  for (const name of prev.nodes.keys()) if (!next.nodes.has(name)) out.push({ at, kind: 'node-gone', subject: name });
  for (const [uid, p] of prev.pods) {
    const n = next.pods.get(uid);
    if (!n) {
      out.push({ at, kind: 'pod-deleted', subject: podId(p), detail: podWhere(p) });
      continue;
    }
    if (n.restarts > p.restarts) out.push({ at, kind: 'pod-restart', subject: podId(n), detail: `${podWhere(n)}: ${n.restarts - p.restarts} container restart(s)${n.lastTermination ? `, last ended ${n.lastTermination}` : ''}` });
    if (n.reason === 'Evicted' && p.reason !== 'Evicted') out.push({ at, kind: 'pod-evicted', subject: podId(n), detail: podWhere(n) });
    if (n.terminating && !p.terminating) out.push({ at, kind: 'pod-terminating', subject: podId(n), detail: podWhere(n) });
    else if (p.ready && !n.ready && !n.terminating) out.push({ at, kind: 'pod-not-ready', subject: podId(n), detail: `${podWhere(n)}, phase ${n.phase}` });
    if (!p.ready && n.ready) out.push({ at, kind: 'pod-ready', subject: podId(n), detail: podWhere(n) });
  }
  for (const [uid, n] of next.pods) if (!prev.pods.has(uid)) out.push({ at, kind: 'pod-created', subject: podId(n), detail: podWhere(n) });
  out.push(...probeFailures(next, prev));
  return out;
}

/**
 * Probe failures new since prev (or, for a first reading, recent enough to still matter), each
 * stamped with its own time so the guard's window reaches back to it.
 */
export function probeFailures(next: Snapshot, prev?: Snapshot): InfraEvent[] {
  const out: InfraEvent[] = [];
  for (const [uid, w] of next.warnings) {
    const before = prev?.warnings.get(uid);
    const fresh = before ? w.count > before.count || w.last > before.last : w.last >= (prev?.at ?? next.at - PROBE_FAILURE_SHADOW_MS);
    if (fresh) out.push({ at: new Date(w.last).toISOString(), kind: 'probe-failed', subject: w.pod, detail: w.message });
  }
  return out;
}

/**
 * Why an endpoint cannot be trusted right now, from one reading: no pods, no Ready pod, or its
 * pods' node not Ready. Undefined when it looks healthy.
 */
export function endpointProblem(snap: Snapshot, endpoint: string): string | undefined {
  const pods = [...snap.pods.values()].filter((p) => p.endpoints.includes(endpoint));
  if (pods.length === 0) return `${endpoint} has no pods`;
  for (const p of pods) {
    const node = snap.nodes.get(p.node);
    if (node && !node.ready) return `node ${p.node} of pod ${podId(p)} is NotReady${node.reason ? `: ${node.reason}` : ''}`;
  }
  const ready = pods.filter((p) => p.ready && !p.terminating);
  if (ready.length === 0) return `${endpoint} has no Ready pod (${pods.map((p) => `${podId(p)} on node ${p.node || '?'}: ${p.terminating ? 'terminating' : `phase ${p.phase}`}`).join('; ')})`;
  return undefined;
}

/**
 * A cluster service we depend on but do not own (the DNS server, a CNI agent) whose pods turned
 * Ready only moments ago: kube-proxy and the CNI agents may not route to or enforce for the new
 * pods yet, so a failure through it is the catching up, not a policy. Undefined when settled.
 */
export function recentlyReady(snap: Snapshot, endpoint: string, t0: number, shadowMs = NEW_POD_SHADOW_MS, freshAfter = -Infinity): string | undefined {
  const fresh = [...snap.pods.values()].filter((p) => p.endpoints.includes(endpoint) && p.ready && p.readySince !== undefined && p.readySince > t0 - shadowMs && p.readySince > freshAfter);
  if (fresh.length === 0) return undefined;
  const newest = Math.max(...fresh.map((p) => p.readySince!));
  return `${fresh.map(podId).join(', ')} of ${endpoint} turned Ready only ${((t0 - newest) / 1000).toFixed(0)} s before the round (routes and rules to new pods may still be catching up)`;
}

/**
 * A probe sent straight to a pod address the plan learnt earlier reaches nothing once that pod was
 * replaced (a deleted pod, CoreDNS scaled down and up): its timeout is not a deny.
 */
export function staleAddress(snap: Snapshot, target: WatchTarget, host: string | undefined): string | undefined {
  if (!host || !target.addresses?.includes(host)) return undefined;
  const live = [...snap.pods.values()].some((p) => p.endpoints.includes(target.endpoint) && p.ip === host && p.ready && !p.terminating);
  return live ? undefined : `${host} is no longer the address of a Ready pod of ${target.endpoint} (its pods were replaced during the run)`;
}
