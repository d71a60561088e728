// Waiting with deadlines, and error messages that say which pod is stuck and why (its phase,
// container state and last event), so a timeout is actionable without kubectl describe.
import { InfraError } from '../errors.js';
import type { KubeClient } from './kube-client.js';
import { isNodeReady, isPodReady, type ContainerStateLike, type ContainerStatusLike, type DaemonSetLike, type DeploymentLike, type EventLike, type NodeLike, type PodLike } from './kube-types.js';
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

/** Waits until none of the namespaces exists any more (deleted ones stay while terminating); false at the deadline. */
export async function namespacesGone(client: KubeClient, names: readonly string[], opts: { timeoutMs: number; clock?: Clock }): Promise<boolean> {
  const gone = await pollUntil(
    async () => {
      for (const n of names) if (await client.get({ apiVersion: 'v1', kind: 'Namespace', name: n })) return false;
      return true;
    },
    { ...opts, intervalMs: 1000 },
  );
  return gone === true;
}

type ContainerKind = 'init container' | 'container';

/**
 * The container that keeps a pod from being Ready: the first init container that has not finished,
 * else the first main container that is not Ready. An init container that exited 0 has done its job
 * and is never the cause; neither is a running sidecar (init container with restartPolicy Always) that is Ready.
 */
export function blamedContainer(pod: PodLike): { kind: ContainerKind; status: ContainerStatusLike } | undefined {
  const st = pod.status ?? {};
  const init = (st.initContainerStatuses ?? []).find((s) => !(s.state?.terminated && s.state.terminated.exitCode === 0) && !(s.state?.running && s.ready));
  if (init) return { kind: 'init container', status: init };
  const main = (st.containerStatuses ?? []).find((s) => !s.ready);
  return main ? { kind: 'container', status: main } : undefined;
}

function terminatedText(t: NonNullable<ContainerStateLike['terminated']>): string {
  return `${t.reason ?? 'unknown reason'}, exit code ${t.exitCode ?? '?'}${t.message ? ` (${t.message.trim()})` : ''}`;
}

function describeContainer(kind: ContainerKind, s: ContainerStatusLike): string {
  const st = s.state ?? {};
  let now: string;
  if (st.waiting) now = `waiting: ${st.waiting.reason ?? 'unknown reason'}${st.waiting.message ? ` (${st.waiting.message})` : ''}`;
  else if (st.terminated) now = `terminated: ${terminatedText(st.terminated)}`;
  else if (st.running) now = kind === 'init container' ? 'still running' : 'running but not Ready (readiness probe failing?)';
  else now = 'not Ready (no state reported yet)';
  const restarts = s.restartCount ? `, ${s.restartCount} restart${s.restartCount === 1 ? '' : 's'}` : '';
  const last = s.lastState?.terminated ? `, last terminated: ${terminatedText(s.lastState.terminated)}` : '';
  return `${kind} ${s.name} ${now}${restarts}${last}`;
}

/** Why a pod is not Ready, from its status alone: phase, then the container that holds it back. */
export function podProblem(pod: PodLike): string {
  const st = pod.status ?? {};
  const parts = [`phase ${st.phase ?? 'unknown'}`];
  if (pod.metadata.deletionTimestamp) parts.push('terminating');
  const sched = (st.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (sched) parts.push(`not scheduled: ${sched.reason ?? ''}${sched.message ? ` (${sched.message})` : ''}`.trim());
  const blamed = blamedContainer(pod);
  if (blamed) parts.push(describeContainer(blamed.kind, blamed.status));
  else if (st.reason || st.message) parts.push(`${st.reason ?? ''}${st.message ? ` ${st.message}` : ''}`.trim());
  return parts.join(', ');
}

/** Bounds on the log tail a timeout message quotes. */
export const LOG_TAIL = { lines: 8, bytes: 4096, lineChars: 240 } as const;

/**
 * The last lines of the blamed container's log, when it ever ran: the previous (crashed) instance's
 * log when it restarted, else the current one's. Undefined when there is nothing to read or reading fails.
 */
export async function containerLogTail(client: KubeClient, pod: PodLike, blamed: ContainerStatusLike): Promise<{ previous: boolean; lines: string[] } | undefined> {
  if (!client.logs) return undefined;
  const started = !!blamed.state?.running || !!blamed.state?.terminated || !!blamed.lastState?.terminated || (blamed.restartCount ?? 0) > 0;
  if (!started) return undefined; // never ran (image pull, config error): no log exists
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const read = async (previous: boolean): Promise<string[] | undefined> => {
    try {
      const text = await client.logs!(namespace, name, { container: blamed.name, tailLines: LOG_TAIL.lines, limitBytes: LOG_TAIL.bytes, previous });
      const lines = text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
      return lines.length > 0 ? lines.slice(-LOG_TAIL.lines).map((l) => (l.length > LOG_TAIL.lineChars ? `${l.slice(0, LOG_TAIL.lineChars)}…` : l)) : undefined;
    } catch {
      return undefined; // a diagnosis aid: failing to read it must not hide the real problem
    }
  };
  const crashed = !!blamed.lastState?.terminated || (blamed.restartCount ?? 0) > 0;
  if (crashed) {
    const prev = await read(true);
    if (prev) return { previous: true, lines: prev };
  }
  const cur = await read(false);
  return cur ? { previous: false, lines: cur } : undefined;
}

/** The most telling event: the last Warning, else the last event. */
export function lastEvent(events: EventLike[]): string | undefined {
  const e = [...events].reverse().find((x) => x.type === 'Warning') ?? events[events.length - 1];
  if (!e) return undefined;
  return `${e.reason ?? e.type ?? 'Event'}: ${(e.message ?? '').trim()}`;
}

/** One line naming a stuck pod, its node, its state and its last event; then its blamed container's log tail. */
export async function describeStuckPod(client: KubeClient, pod: PodLike): Promise<string> {
  let events: EventLike[] = [];
  try {
    events = await client.events({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '' });
  } catch {
    // Events are a diagnosis aid; a failure to read them must not hide the real problem.
  }
  const node = pod.spec?.nodeName ? ` on node ${pod.spec.nodeName}` : '';
  const ev = lastEvent(events);
  const line = `pod ${pod.metadata.namespace}/${pod.metadata.name}${node}: ${podProblem(pod)}${ev ? `; last event: ${ev}` : '; no events'}`;
  const blamed = blamedContainer(pod);
  const tail = blamed ? await containerLogTail(client, pod, blamed.status) : undefined;
  if (!tail) return line;
  return `${line}\n    last ${tail.lines.length} log line${tail.lines.length === 1 ? '' : 's'} of ${blamed!.status.name}${tail.previous ? ' (previous run)' : ''}:\n${tail.lines.map((l) => `      ${l}`).join('\n')}`;
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

/** The controller has not yet acted on the latest spec: its status describes an older generation. */
function unobserved(o: { metadata: { generation?: number }; status?: { observedGeneration?: number } }): string | undefined {
  const gen = o.metadata.generation;
  if (gen === undefined) return undefined;
  const seen = o.status?.observedGeneration ?? 0;
  return seen < gen ? `spec generation ${gen} not yet observed by the controller (observed ${seen})` : undefined;
}

/**
 * Why a DaemonSet is not rolled out, judged as `kubectl rollout status` does (undefined when it is):
 * the controller observed the current generation, and every desired pod is updated and available.
 * Without the generation and updated checks a re-applied, changed manifest looks ready at once,
 * while its rollout then runs during the probes.
 */
export function daemonSetPending(ds: DaemonSetLike): string | undefined {
  const gen = unobserved(ds);
  if (gen) return gen;
  const s = ds.status ?? {};
  const want = s.desiredNumberScheduled ?? 0;
  // The API omits zero counts, so absent means 0.
  if (want === 0) return 'no pods scheduled yet';
  if ((s.updatedNumberScheduled ?? 0) < want) return `rollout in progress: ${s.updatedNumberScheduled ?? 0}/${want} pods updated`;
  if ((s.numberAvailable ?? 0) < want) return `${s.numberAvailable ?? 0}/${want} pods available`;
  if ((s.numberReady ?? 0) < want) return `${s.numberReady ?? 0}/${want} pods ready`;
  return undefined;
}

/** Why a Deployment is not rolled out, as `kubectl rollout status` judges it (undefined when it is). */
export function deploymentPending(d: DeploymentLike): string | undefined {
  const gen = unobserved(d);
  if (gen) return gen;
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  if (updated < want) return `rollout in progress: ${updated}/${want} replicas updated`;
  if ((s.replicas ?? 0) > updated) return `rollout in progress: ${(s.replicas ?? 0) - updated} old replica(s) pending termination`;
  if ((s.availableReplicas ?? 0) < want) return `${s.availableReplicas ?? 0}/${want} replicas available`;
  return undefined;
}

async function waitForRollout<T extends DaemonSetLike | DeploymentLike>(
  client: KubeClient,
  kind: 'DaemonSet' | 'Deployment',
  namespace: string,
  name: string,
  pending: (o: T) => string | undefined,
  counts: (o: T) => string,
  opts: WaitOptions & { hint?: string },
): Promise<void> {
  let last: T | undefined;
  const ok = await pollUntil(
    async () => {
      last = await client.get<T>({ apiVersion: 'apps/v1', kind, namespace, name });
      return last !== undefined && pending(last) === undefined;
    },
    opts,
  );
  if (ok) return;
  let state = 'it does not exist';
  if (last) {
    const c = counts(last);
    const why = pending(last);
    state = why && !why.startsWith(c) ? `${c}; ${why}` : c;
  }
  const pods = last ? await stuckPods(client, namespace, (last.spec as DeploymentLike['spec'])?.selector?.matchLabels) : [];
  throw new InfraError(`${kind} ${namespace}/${name} not ready after ${formatElapsed(opts.timeoutMs)}: ${state}${pods.length ? `\n  ${pods.join('\n  ')}` : ''}`, opts.hint ? { hint: opts.hint } : undefined);
}

/** Waits until a DaemonSet's rollout is complete: current generation observed, every pod updated and available. */
export function waitForDaemonSet(client: KubeClient, namespace: string, name: string, opts: WaitOptions & { hint?: string }): Promise<void> {
  const counts = (ds: DaemonSetLike) => `${ds.status?.numberReady ?? 0}/${ds.status?.desiredNumberScheduled ?? 0} pods ready`;
  return waitForRollout<DaemonSetLike>(client, 'DaemonSet', namespace, name, daemonSetPending, counts, opts);
}

/** Waits until a Deployment's rollout is complete: current generation observed, all replicas updated and available, no old ones left. */
export function waitForDeployment(client: KubeClient, namespace: string, name: string, opts: WaitOptions & { hint?: string }): Promise<void> {
  const counts = (d: DeploymentLike) => `${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 1} replicas available`;
  return waitForRollout<DeploymentLike>(client, 'Deployment', namespace, name, deploymentPending, counts, opts);
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
