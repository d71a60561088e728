// The session's in-place part: after the workloads are found, read what the existing ones serve
// (labels and ports, so the simulation uses what the cluster has), add the probe container to
// the existing sources' pods and the witness container to witnessed destinations' pods.
import pLimit from 'p-limit';
import { ApiServerEphemeralApi, ensureEphemeral, type EphemeralApi, type Injected, type InPlaceRole } from '../apply/ephemeral.js';
import { discoverExisting, podQuery } from '../apply/in-place.js';
import type { Deployment } from '../apply/workloads.js';
import type { KubeClient, ListOptions } from '../cluster/kube-client.js';
import type { PodLike } from '../cluster/kube-types.js';
import { silentProgress, type Progress } from '../cluster/progress.js';
import type { Cluster } from '../cluster/provider.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Axes } from '../matrix/axes.js';
import { FanOutProber } from '../probe/fan-out.js';
import type { Prober, SourcePod } from '../probe/prober.js';
import { execWitness, WitnessingProber, type StartWitness, type WitnessPod } from '../probe/witness.js';
import { withDiscovered } from '../suite/in-place.js';
import type { LoadedSuite } from '../suite/load.js';
import type { Suite } from '../suite/schema.js';

/** Pod queries for existing workloads found by `ref` (a missing object is a UsageError naming the field). */
export async function existingPodQueries(client: KubeClient, suite: Suite): Promise<Map<string, ListOptions>> {
  const out = new Map<string, ListOptions>();
  for (const [i, w] of suite.workloads.entries()) {
    if (w.existing && w.ref !== undefined) out.set(`${w.namespace}/${w.name}`, await podQuery(client, w, i));
  }
  return out;
}

export interface InPlaceSetup {
  /** The suite with existing workloads' labels and ports as found in the cluster. */
  loaded: LoadedSuite;
  /** Existing sources: the probe container in their (first) Ready pod. */
  sources: Map<string, SourcePod>;
  /** `sourcePods: all`: the probe containers in every Ready pod, first one included. */
  allSources: Map<string, SourcePod[]>;
  witnessed: Map<string, WitnessPod>;
  injections: (Injected & { role: InPlaceRole; endpoint: string })[];
  /** Adds (or reuses) a container in another pod, as for these (a replaced pod: run/relearn.ts). */
  ensure: (namespace: string, pod: string, role: InPlaceRole) => Promise<Injected>;
}

export interface InPlaceOptions {
  agentImage: string;
  progress?: Progress;
  api?: EphemeralApi;
  timeoutMs?: number;
}

export async function setUpInPlace(cluster: Pick<Cluster, 'client' | 'kubeConfig'>, loaded: LoadedSuite, deployment: Deployment, opts: InPlaceOptions): Promise<InPlaceSetup> {
  const progress = opts.progress ?? silentProgress;
  const { suite } = loaded;
  const readyPods = new Map<string, PodLike[]>();
  for (const w of suite.workloads.filter((x) => x.existing)) {
    const id = `${w.namespace}/${w.name}`;
    const pods = await Promise.all(
      (deployment.endpoints.get(id)?.pods ?? []).map((p) => cluster.client.get<PodLike>({ apiVersion: 'v1', kind: 'Pod', namespace: p.namespace, name: p.name })),
    );
    readyPods.set(id, pods.filter((p): p is PodLike => p !== undefined));
  }
  const found = await discoverExisting(cluster.client, suite, readyPods);
  for (const [id, d] of found) {
    const w = suite.workloads.find((x) => `${x.namespace}/${x.name}` === id)!;
    if (w.ports.length === 0) progress.info(`${id}: discovered ports ${d.ports.map((p) => `${p.name ? `${p.name}=` : ''}${p.port}/${p.protocol}`).join(', ') || '(none)'}`);
  }

  const api = opts.api ?? new ApiServerEphemeralApi(cluster.kubeConfig);
  const jobs: { role: InPlaceRole; endpoint: string; namespace: string; pod: string }[] = [];
  for (const w of suite.workloads.filter((x) => x.existing && (x.source || x.witness))) {
    const id = `${w.namespace}/${w.name}`;
    const pods = deployment.endpoints.get(id)?.pods ?? [];
    if (w.source) for (const p of w.sourcePods === 'all' ? pods : pods.slice(0, 1)) jobs.push({ role: 'probe', endpoint: id, namespace: p.namespace, pod: p.name });
    // The witness sits in the pod probes address (the first one: see probe/targets.ts hostFor).
    if (w.witness && pods[0]) jobs.push({ role: 'witness', endpoint: id, namespace: pods[0].namespace, pod: pods[0].name });
  }
  const ensure = (namespace: string, pod: string, role: InPlaceRole): Promise<Injected> => ensureEphemeral(api, namespace, pod, role, opts.agentImage, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
  const limit = pLimit(4);
  const injections = await Promise.all(
    jobs.map((j) =>
      limit(async () => {
        const r = await ensure(j.namespace, j.pod, j.role);
        progress.info(`${j.role} container ${r.container} in pod ${j.namespace}/${j.pod}: ${r.reused ? 'reused' : 'added'}, running after ${(r.ms / 1000).toFixed(1)} s`);
        return { ...r, role: j.role, endpoint: j.endpoint };
      }),
    ),
  );
  const sources = new Map<string, SourcePod>();
  const allSources = new Map<string, SourcePod[]>();
  const witnessed = new Map<string, WitnessPod>();
  for (const r of injections) {
    if (r.role === 'witness') {
      witnessed.set(r.endpoint, { endpoint: r.endpoint, namespace: r.namespace, pod: r.pod, container: r.container });
      continue;
    }
    const s: SourcePod = { endpoint: r.endpoint, namespace: r.namespace, pod: r.pod, container: r.container };
    if (!sources.has(r.endpoint)) sources.set(r.endpoint, s);
    allSources.set(r.endpoint, [...(allSources.get(r.endpoint) ?? []), s]);
  }
  return { loaded: withDiscovered(loaded, found), sources, allSources, witnessed, injections, ensure };
}

/**
 * The step's prober with the in-place layers it needs: the witness judges witnessed cells per
 * source pod, and `sourcePods: all` fans each probe out over every pod (outermost, so each pod's
 * TCP SYN is matched by its own address).
 */
export function inPlaceProber(base: Prober, setup: InPlaceSetup | undefined, ctx: { axes: Axes; podIPs: ReadonlyMap<string, string>; kubeConfig?: KubeConfig; start?: StartWitness; sourceIP?: (s: SourcePod) => string | undefined }): Prober {
  if (!setup) return base;
  let p = base;
  if (setup.witnessed.size > 0) {
    const columnDst = new Map(ctx.axes.columns.flatMap((c) => (c.kind === 'conn' ? [[c.key, c.dst] as const] : [])));
    const start = ctx.start ?? (ctx.kubeConfig ? execWitness(ctx.kubeConfig) : undefined);
    if (start) p = new WitnessingProber(p, { witnessed: setup.witnessed, columnDst, sourceIP: (s) => ctx.podIPs.get(`${s.namespace}/${s.pod}`) ?? ctx.sourceIP?.(s), start });
  }
  if ([...setup.allSources.values()].some((l) => l.length > 1)) p = new FanOutProber(p, setup.allSources);
  return p;
}
