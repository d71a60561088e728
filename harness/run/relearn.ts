// Pods replaced during a run are learnt again before each step: a Deployment recreated a deleted
// pod (new name, new IP), CoreDNS was scaled down and up, a user's pod was rolled. The endpoints'
// pods are read once, the deployment record follows the live Ready pods, and an existing workload
// probed in place gets its probe or witness container in the pod that now stands for it.
import type { InPlaceRole, Injected } from '../apply/ephemeral.js';
import type { Deployment, PodInfo } from '../apply/workloads.js';
import type { KubeClient } from '../cluster/kube-client.js';
import { isPodReady, type PodLike } from '../cluster/kube-types.js';
import { withDeadline } from '../cluster/wait.js';
import { matchesLabels, type Snapshot, type WatchTarget } from '../observe/snapshot.js';
import { AGENT_CONTAINER, type SourcePod } from '../probe/prober.js';
import type { Suite } from '../suite/schema.js';

export interface Relearned {
  endpoint: string;
  /** Recorded pods that are gone (or hold another IP now). */
  gone: string[];
  /** Live pods that were not recorded. */
  added: string[];
}

const key = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;

/** Ready, not terminating pods of each watched endpoint, as the deployment records them. Pure. */
export function livePods(pods: PodLike[], targets: WatchTarget[], deployment: Deployment): Map<string, PodInfo[]> {
  const out = new Map<string, PodInfo[]>();
  for (const t of targets) {
    const ep = deployment.endpoints.get(t.endpoint);
    if (!ep) continue;
    const live = pods
      .filter((p) => (p.metadata.namespace ?? '') === t.namespace && matchesLabels(p.metadata.labels, t.labels))
      .filter((p) => isPodReady(p) && p.metadata.deletionTimestamp === undefined && (p.status?.podIP ?? '') !== '')
      .map(
        (p): PodInfo => ({
          name: p.metadata.name ?? '',
          namespace: p.metadata.namespace ?? '',
          ip: p.status?.podIP ?? '',
          node: p.spec?.nodeName ?? '',
          container: ep.kind === 'existing' ? (p.spec?.containers?.[0]?.name ?? '') : AGENT_CONTAINER,
          labels: { ...(p.metadata.labels ?? {}) },
        }),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
    out.set(t.endpoint, live);
  }
  return out;
}

/**
 * Makes the deployment record follow the live pods: an endpoint whose recorded pods are not all
 * live (same name, same IP) or that has new pods gets the live ones, survivors first so the pod
 * that probes address stays put when it can. An endpoint with no live pod keeps its record (the
 * step's guard reports it). Mutates `deployment`; returns what changed.
 */
export function relearnDeployment(deployment: Deployment, live: ReadonlyMap<string, PodInfo[]>): Relearned[] {
  const changes: Relearned[] = [];
  for (const [id, ep] of deployment.endpoints) {
    const now = live.get(id);
    if (!now || now.length === 0) continue;
    const byKey = new Map(now.map((p) => [key(p), p]));
    const kept = ep.pods.filter((p) => byKey.get(key(p))?.ip === p.ip);
    const added = now.filter((p) => !kept.some((k) => key(k) === key(p)));
    if (kept.length === ep.pods.length && added.length === 0) continue;
    changes.push({ endpoint: id, gone: ep.pods.filter((p) => !kept.includes(p)).map(key), added: added.map(key) });
    ep.pods = [...kept.map((p) => byKey.get(key(p))!), ...added];
  }
  return changes;
}

/** The in-place part of a run that follows replaced pods (run/in-place.ts InPlaceSetup). */
export interface InPlaceState {
  sources: Map<string, SourcePod>;
  allSources: Map<string, SourcePod[]>;
  witnessed: Map<string, { endpoint: string; namespace: string; pod: string; container: string }>;
}

export type EnsureContainer = (namespace: string, pod: string, role: InPlaceRole) => Promise<Pick<Injected, 'container' | 'reused' | 'ms'>>;

/**
 * Moves in-place probe and witness containers to the pods that replaced theirs: a source's probe
 * container into the endpoint's first live pod (every live pod with `sourcePods: all`), a witness
 * into the pod probes address (the first one, as probe/targets.ts hostFor picks it).
 */
export class InPlaceFollower {
  private readonly fanOut: Set<string>;

  constructor(
    private readonly state: InPlaceState,
    suite: Suite,
    private readonly ensure: EnsureContainer,
  ) {
    this.fanOut = new Set(suite.workloads.filter((w) => w.existing && w.sourcePods === 'all').map((w) => `${w.namespace}/${w.name}`));
  }

  /** A replacement source pod found mid-step (the exec retry path): its probe container, added if needed. */
  async prepareSource(src: SourcePod): Promise<SourcePod> {
    const old = this.state.sources.get(src.endpoint);
    if (!old) return src;
    const r = await this.ensure(src.namespace, src.pod, 'probe');
    const next: SourcePod = { ...src, container: r.container };
    this.state.sources.set(src.endpoint, next);
    const all = this.state.allSources.get(src.endpoint);
    if (all) this.state.allSources.set(src.endpoint, all.map((s) => (s.pod === old.pod ? next : s)));
    return next;
  }

  /** After relearnDeployment: one line per container moved. */
  async follow(deployment: Deployment, changes: Relearned[]): Promise<string[]> {
    const lines: string[] = [];
    for (const c of changes) {
      const pods = deployment.endpoints.get(c.endpoint)?.pods ?? [];
      const first = pods[0];
      if (!first) continue;
      const src = this.state.sources.get(c.endpoint);
      if (src) {
        const want = this.fanOut.has(c.endpoint) ? pods : [first];
        const had = new Map((this.state.allSources.get(c.endpoint) ?? [src]).map((s) => [s.pod, s]));
        const next: SourcePod[] = [];
        for (const p of want) {
          const known = had.get(p.name);
          if (known) {
            next.push(known);
            continue;
          }
          const r = await this.ensure(p.namespace, p.name, 'probe');
          lines.push(`${c.endpoint}: probe container ${r.container} in replacement pod ${key(p)} (${r.reused ? 'reused' : 'added'})`);
          next.push({ endpoint: c.endpoint, namespace: p.namespace, pod: p.name, container: r.container, ...(p.node ? { node: p.node } : {}) });
        }
        this.state.sources.set(c.endpoint, next[0]!);
        this.state.allSources.set(c.endpoint, next);
      }
      const wit = this.state.witnessed.get(c.endpoint);
      if (wit && wit.pod !== first.name) {
        const r = await this.ensure(first.namespace, first.name, 'witness');
        lines.push(`${c.endpoint}: witness container ${r.container} in replacement pod ${key(first)} (${r.reused ? 'reused' : 'added'})`);
        this.state.witnessed.set(c.endpoint, { endpoint: c.endpoint, namespace: first.namespace, pod: first.name, container: r.container });
      }
    }
    return lines;
  }
}

/** Reads the endpoints' pods (one bounded list) and re-learns replaced ones; one line per change. */
export async function relearnPods(client: KubeClient, deployment: Deployment, targets: WatchTarget[], follower?: InPlaceFollower, deadlineMs = 30_000): Promise<string[]> {
  const pods = await withDeadline(client.list<PodLike>('v1', 'Pod'), deadlineMs, 'listing pods to re-learn replaced ones');
  const changes = relearnDeployment(deployment, livePods(pods, targets, deployment));
  const lines = changes.map((c) => `${c.endpoint}: pods replaced during the run, now ${deployment.endpoints.get(c.endpoint)!.pods.map((p) => `${p.name} (${p.ip})`).join(', ')}${c.gone.length ? `; gone: ${c.gone.join(', ')}` : ''}`);
  if (follower) lines.push(...(await follower.follow(deployment, changes)));
  return lines;
}

/** The IP of a source pod in the watcher's reading (a replacement found mid-step is not in the deploy-time record). */
export function ipInSnapshot(snap: Snapshot | undefined, src: Pick<SourcePod, 'namespace' | 'pod'>): string | undefined {
  if (!snap) return undefined;
  for (const p of snap.pods.values()) if (p.namespace === src.namespace && p.name === src.pod && p.ip) return p.ip;
  return undefined;
}
