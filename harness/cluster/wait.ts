// Waiting with deadlines, and error messages that say which pod is stuck and why (its phase,
// container state and last event), so a timeout is actionable without kubectl describe.
import { InfraError } from '../errors.js';
import type { KubeClient } from './kube-client.js';
import { isNodeReady, isPodReady, type ContainerStatusLike, type DaemonSetLike, type DeploymentLike, type EventLike, type NodeLike, type PodLike } from './kube-types.js';
import { formatElapsed } from './progress.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Polls check until it returns a value (not undefined/false) or the deadline passes (then undefined). */
export async function pollUntil<T>(
  check: () => Promise<T | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number; clock?: Clock },
): Promise<T | undefined> {
  const clock = opts.clock ?? realClock;
  const deadline = clock.now() + opts.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (clock.now() >= deadline) return undefined;
    await clock.sleep(Math.min(opts.intervalMs ?? 1000, Math.max(1, deadline - clock.now())));
  }
}

function describeContainer(kind: string, s: ContainerStatusLike): string | undefined {
  const st = s.state ?? {};
  if (st.waiting) return `${kind} ${s.name} waiting: ${st.waiting.reason ?? 'unknown reason'}${st.waiting.message ? ` (${st.waiting.message})` : ''}`;
  if (st.terminated) {
    return `${kind} ${s.name} terminated: ${st.terminated.reason ?? 'unknown reason'}, exit code ${st.terminated.exitCode ?? '?'}${st.terminated.message ? ` (${st.terminated.message})` : ''}`;
  }
  if (st.running && !s.ready) {
    const restarts = s.restartCount ? `, ${s.restartCount} restarts` : '';
    return `${kind} ${s.name} running but not Ready (readiness probe failing?${restarts})`;
  }
  return undefined;
}

/** Why a pod is not Ready, from its status alone: phase, then the first unhappy container. */
export function podProblem(pod: PodLike): string {
  const st = pod.status ?? {};
  const parts = [`phase ${st.phase ?? 'unknown'}`];
  if (pod.metadata.deletionTimestamp) parts.push('terminating');
  const sched = (st.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (sched) parts.push(`not scheduled: ${sched.reason ?? ''}${sched.message ? ` (${sched.message})` : ''}`.trim());
  const container =
    (st.initContainerStatuses ?? []).map((s) => describeContainer('init container', s)).find((x) => x !== undefined) ??
    (st.containerStatuses ?? []).map((s) => describeContainer('container', s)).find((x) => x !== undefined);
  if (container) parts.push(container);
  else if (st.reason || st.message) parts.push(`${st.reason ?? ''}${st.message ? ` ${st.message}` : ''}`.trim());
  return parts.join(', ');
}

/** The most telling event: the last Warning, else the last event. */
export function lastEvent(events: EventLike[]): string | undefined {
  const e = [...events].reverse().find((x) => x.type === 'Warning') ?? events[events.length - 1];
  if (!e) return undefined;
  return `${e.reason ?? e.type ?? 'Event'}: ${(e.message ?? '').trim()}`;
}

/** One line naming a stuck pod, its node, its state and its last event. */
export async function describeStuckPod(client: KubeClient, pod: PodLike): Promise<string> {
  let events: EventLike[] = [];
  try {
    events = await client.events({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '' });
  } catch {
    // Events are a diagnosis aid; a failure to read them must not hide the real problem.
  }
  const node = pod.spec?.nodeName ? ` on node ${pod.spec.nodeName}` : '';
  const ev = lastEvent(events);
  return `pod ${pod.metadata.namespace}/${pod.metadata.name}${node}: ${podProblem(pod)}${ev ? `; last event: ${ev}` : '; no events'}`;
}

function selectorString(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

async function stuckPods(client: KubeClient, namespace: string, labels: Record<string, string> | undefined, max = 3): Promise<string[]> {
  const pods = await client.list<PodLike>('v1', 'Pod', { namespace, labelSelector: selectorString(labels) });
  const bad = pods.filter((p) => !isPodReady(p)).slice(0, max);
  return Promise.all(bad.map((p) => describeStuckPod(client, p)));
}

export interface WaitOptions {
  timeoutMs: number;
  clock?: Clock;
  intervalMs?: number;
}

/** Waits until a DaemonSet has a Ready, up-to-date pod on every node it targets. */
export async function waitForDaemonSet(client: KubeClient, namespace: string, name: string, opts: WaitOptions & { hint?: string }): Promise<void> {
  let last: DaemonSetLike | undefined;
  const ok = await pollUntil(
    async () => {
      last = await client.get<DaemonSetLike>({ apiVersion: 'apps/v1', kind: 'DaemonSet', namespace, name });
      const s = last?.status;
      if (!s) return false;
      const want = s.desiredNumberScheduled ?? 0;
      return want > 0 && (s.numberReady ?? 0) >= want && (s.updatedNumberScheduled ?? want) >= want;
    },
    opts,
  );
  if (ok) return;
  const s = last?.status;
  const state = last ? `${s?.numberReady ?? 0}/${s?.desiredNumberScheduled ?? 0} pods ready` : 'it does not exist';
  const pods = last ? await stuckPods(client, namespace, (last.spec as DeploymentLike['spec'])?.selector?.matchLabels) : [];
  throw new InfraError(
    `DaemonSet ${namespace}/${name} not ready after ${formatElapsed(opts.timeoutMs)}: ${state}${pods.length ? `\n  ${pods.join('\n  ')}` : ''}`,
    opts.hint ? { hint: opts.hint } : undefined,
  );
}

/** Waits until a Deployment has all its replicas available. */
export async function waitForDeployment(client: KubeClient, namespace: string, name: string, opts: WaitOptions & { hint?: string }): Promise<void> {
  let last: DeploymentLike | undefined;
  const ok = await pollUntil(
    async () => {
      last = await client.get<DeploymentLike>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name });
      if (!last) return false;
      const want = last.spec?.replicas ?? 1;
      return (last.status?.availableReplicas ?? 0) >= want && (last.status?.updatedReplicas ?? 0) >= want;
    },
    opts,
  );
  if (ok) return;
  const state = last ? `${last.status?.availableReplicas ?? 0}/${last.spec?.replicas ?? 1} replicas available` : 'it does not exist';
  const pods = last ? await stuckPods(client, namespace, last.spec?.selector?.matchLabels) : [];
  throw new InfraError(
    `Deployment ${namespace}/${name} not ready after ${formatElapsed(opts.timeoutMs)}: ${state}${pods.length ? `\n  ${pods.join('\n  ')}` : ''}`,
    opts.hint ? { hint: opts.hint } : undefined,
  );
}

/** Waits until every node reports Ready (i.e. the CNI configured it). */
export async function waitForNodesReady(client: KubeClient, opts: WaitOptions & { hint?: string; minNodes?: number }): Promise<NodeLike[]> {
  let last: NodeLike[] = [];
  const ok = await pollUntil(
    async () => {
      last = await client.list<NodeLike>('v1', 'Node');
      return last.length >= (opts.minNodes ?? 1) && last.every(isNodeReady) ? last : undefined;
    },
    opts,
  );
  if (ok) return ok;
  const bad = last
    .filter((n) => !isNodeReady(n))
    .map((n) => {
      const c = (n.status?.conditions ?? []).find((x) => x.type === 'Ready');
      return `${n.metadata.name}: ${c ? `${c.reason ?? c.status}${c.message ? ` (${c.message})` : ''}` : 'no Ready condition'}`;
    });
  throw new InfraError(
    `nodes not Ready after ${formatElapsed(opts.timeoutMs)}${last.length < (opts.minNodes ?? 1) ? ` (${last.length} registered, expected ${opts.minNodes})` : ''}${bad.length ? `:\n  ${bad.join('\n  ')}` : ''}`,
    opts.hint ? { hint: opts.hint } : undefined,
  );
}

/** Rejects with an InfraError when p has not settled within ms (the work itself is not cancelled). */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new InfraError(`${what} did not answer within ${formatElapsed(ms)}`)), ms);
    t.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
