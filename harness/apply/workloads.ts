// A suite's namespaces, workloads (Deployment + Service serving every declared port) and probe
// pods: a pure renderer, and deployWorkloads, which applies them and waits until every pod is Ready.
import pLimit from 'p-limit';
import { InfraError, UsageError } from '../errors.js';
import type { CleanupStack } from '../cluster/cleanup.js';
import type { NamespaceGuard } from '../cluster/guard.js';
import { describeRef, refOf, type KubeClient, type ListOptions } from '../cluster/kube-client.js';
import { isPodReady, type DeploymentLike, type KObject, type PodLike, type ServiceLike } from '../cluster/kube-types.js';
import { AGENT_CONTAINER, ENDPOINT_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE, managedLabels } from '../cluster/labels.js';
import { findPackageFile, setting } from '../cluster/paths.js';
import { formatElapsed, silentProgress, withStep, type Progress } from '../cluster/progress.js';
import { workerNodeNames, type Cluster } from '../cluster/provider.js';
import { describeStuckPod, pollUntil, type Clock } from '../cluster/wait.js';
import type { PortSpec, Suite, WorkloadSpec } from '../suite/schema.js';
import { readFileSync } from 'node:fs';
import { nodePortMap, servicePortMap } from './in-place.js';

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export interface RenderOptions {
  runId: string;
  /** Image every harness pod runs unless a workload sets its own (e.g. netpol-harness/agent:0.3.1). */
  agentImage: string;
  /** Schedulable worker node names to spread pods over; empty = let the scheduler decide. */
  nodes: string[];
}

/** The agent image this package was released with (images/agent/IMAGE:VERSION; a unit test keeps them equal). */
export const BUNDLED_AGENT_IMAGE = 'netpol-harness/agent:0.3.1';

/** The agent image: $NPH_AGENT_IMAGE, images.env, else images/agent/IMAGE:VERSION of this package. */
export function defaultAgentImage(): string {
  const fromFiles = (() => {
    const img = findPackageFile('images/agent/IMAGE');
    const ver = findPackageFile('images/agent/VERSION');
    if (!img || !ver) return undefined;
    return `${readFileSync(img, 'utf8').trim()}:${readFileSync(ver, 'utf8').trim()}`;
  })();
  return setting(undefined, 'NPH_AGENT_IMAGE', fromFiles ?? BUNDLED_AGENT_IMAGE)!;
}

/** `serve` arguments for the agent: one flag per protocol with a comma list of ports. */
export function agentServeArgs(ports: PortSpec[]): string[] {
  const args = ['serve'];
  for (const proto of ['TCP', 'UDP', 'SCTP'] as const) {
    const list = [...new Set(ports.filter((p) => (p.protocol ?? 'TCP') === proto).map((p) => p.port))];
    if (list.length) args.push(`--${proto.toLowerCase()}`, list.join(','));
  }
  return args;
}

/** Service port names must be unique when there are several; declared names win. */
function servicePortName(p: PortSpec): string {
  return p.name ?? `${(p.protocol ?? 'TCP').toLowerCase()}-${p.port}`;
}

function podSpec(image: string, args: string[], ports: PortSpec[], node: string | undefined): Record<string, unknown> {
  const container: Record<string, unknown> = { name: AGENT_CONTAINER, image, imagePullPolicy: 'IfNotPresent', args };
  if (ports.length) {
    // Declared names only: NetworkPolicy named ports resolve against these.
    container.ports = ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), containerPort: p.port, protocol: p.protocol ?? 'TCP' }));
  }
  const tcp = ports.find((p) => (p.protocol ?? 'TCP') === 'TCP');
  if (tcp) {
    // A startup probe, not a readiness probe: Ready must mean "serving", and must not flip later
    // when a step's policy blocks the kubelet's probe traffic (that would drop the pod from its
    // Service's endpoints and turn an allowed connection into a failed one).
    container.startupProbe = { tcpSocket: { port: tcp.port }, periodSeconds: 1, failureThreshold: 120 };
  }
  const spec: Record<string, unknown> = {
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    containers: [container],
  };
  if (node) spec.nodeSelector = { [HOSTNAME_LABEL]: node };
  return spec;
}

function deployment(ns: string, name: string, replicas: number, podLabels: Record<string, string>, spec: Record<string, unknown>): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [ENDPOINT_KEY]: name } },
    spec: {
      replicas,
      // Recreate: on a re-deploy old pods go first, so a pod list never mixes old and new IPs.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: { [ENDPOINT_KEY]: name } },
      template: { metadata: { labels: { ...podLabels, [ENDPOINT_KEY]: name } }, spec },
    },
  };
}

/**
 * Everything a suite deploys, in apply order: Namespaces, then per workload a Deployment and a
 * Service (when it has ports), then per probe a one-replica Deployment. Pure.
 */
export function renderManifests(suite: Suite, opts: RenderOptions): KObject[] {
  const out: KObject[] = [];
  // Existing namespaces (`default`, the user's) are used as they are, never created: deployWorkloads.
  for (const ns of suite.namespaces.filter((n) => !n.existing)) {
    out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: { ...ns.labels, ...managedLabels(opts.runId) } } });
  }
  const seen = new Set<string>();
  const check = (kind: string, ns: string, name: string) => {
    const id = `${ns}/${name}`;
    if (seen.has(id)) throw new UsageError(`${kind} ${id}: another workload or probe already has this name in the namespace`);
    seen.add(id);
  };
  // An external source probing through NodePorts needs the harness's Services to have them.
  const nodePorts = suite.externals.some((e) => e.source && e.via === 'nodeport');
  let next = 0;
  const place = (kind: string, id: string, pin: number | undefined): string | undefined => {
    if (opts.nodes.length === 0) return undefined;
    if (pin !== undefined) {
      if (pin >= opts.nodes.length) throw new UsageError(`${kind} ${id}: node ${pin} requested but the cluster has ${opts.nodes.length} worker node(s) (0-based)`);
      return opts.nodes[pin];
    }
    // Round-robin over workloads then probes, so sources see same-node and cross-node targets.
    return opts.nodes[next++ % opts.nodes.length];
  };
  for (const w of suite.workloads.filter((x) => !x.existing)) {
    check('workload', w.namespace, w.name);
    const node = place('workload', `${w.namespace}/${w.name}`, w.node);
    out.push(deployment(w.namespace, w.name, w.replicas, w.labels, podSpec(w.image ?? opts.agentImage, agentServeArgs(w.ports), w.ports, node)));
    if (w.ports.length) {
      out.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: w.name, namespace: w.namespace, labels: { [MANAGED_BY_KEY]: MANAGED_BY_VALUE } },
        spec: {
          selector: { [ENDPOINT_KEY]: w.name },
          ...(nodePorts ? { type: 'NodePort' } : {}),
          ...(w.clusterIP ? { clusterIP: w.clusterIP } : {}),
          ports: w.ports.map((p) => ({ name: servicePortName(p), port: p.servicePort ?? p.port, targetPort: p.port, protocol: p.protocol ?? 'TCP' })),
        },
      });
    }
  }
  for (const p of suite.probes) {
    check('probe', p.namespace, p.name);
    const node = place('probe', `${p.namespace}/${p.name}`, p.node);
    out.push(deployment(p.namespace, p.name, 1, p.labels, podSpec(opts.agentImage, ['serve'], [], node)));
  }
  return out;
}

export interface PodInfo {
  name: string;
  namespace: string;
  ip: string;
  node: string;
  /** Container to exec into. */
  container: string;
  labels: Record<string, string>;
}

export interface EndpointInfo {
  /** `<ns>/<name>` */
  id: string;
  namespace: string;
  name: string;
  kind: 'workload' | 'probe' | 'existing';
  pods: PodInfo[];
  serviceName?: string;
  serviceIP?: string;
  /** Existing workloads: the user's Service's port per pod port it targets (`<port>/<protocol>`). */
  servicePorts?: Map<string, number>;
  /** A NodePort Service (the harness's, or the user's for an existing workload): the node port per pod port (`<port>/<protocol>`). */
  nodePorts?: Map<string, number>;
}

/** What deployWorkloads deployed or found, per endpoint id `<ns>/<name>`. */
export interface Deployment {
  runId: string;
  endpoints: Map<string, EndpointInfo>;
  /** Worker nodes pods were spread over. */
  nodes: string[];
  /** Labels of the suite's existing namespaces as they are now (declared ones set): the simulation uses these. */
  namespaceLabels?: Map<string, Record<string, string>>;
}

export interface DeployOptions {
  runId: string;
  agentImage?: string;
  guard: NamespaceGuard;
  /** Nodes to spread over (default: the cluster's schedulable workers). */
  nodes?: string[];
  /** Deadline for every pod to be Ready (default 3 min). */
  timeoutMs?: number;
  progress?: Progress;
  /** Registers deletion of the namespaces this run creates, before they are created. */
  cleanup?: CleanupStack;
  clock?: Clock;
  /** Pod queries of existing workloads found by `ref`, per endpoint id (see in-place.ts podQuery). */
  existingQueries?: ReadonlyMap<string, ListOptions>;
}

function toPodInfo(p: PodLike, container: string): PodInfo {
  return {
    name: p.metadata.name ?? '',
    namespace: p.metadata.namespace ?? '',
    ip: p.status?.podIP ?? '',
    node: p.spec?.nodeName ?? '',
    container,
    labels: { ...(p.metadata.labels ?? {}) },
  };
}

function selector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** One endpoint to wait for: what it is and how many Ready pods make it done. */
export interface Want {
  id: string;
  namespace: string;
  name: string;
  kind: EndpointInfo['kind'];
  replicas: number;
  /** Labels the pods were rendered with (harness endpoints only). */
  template?: Record<string, string>;
  existing?: WorkloadSpec;
  /** Pod names that do not count (a recreated endpoint's old pods, possibly still terminating). */
  exclude?: ReadonlySet<string>;
  /** How to list an existing workload's pods when not by its labels (a `ref`, see in-place.ts). */
  query?: ListOptions;
}

/** What to wait for, per workload (existing ones: any Ready pod with their labels or ref query) and probe of a suite. */
export function wantsFor(suite: Pick<Suite, 'workloads' | 'probes'>, existingQueries?: ReadonlyMap<string, ListOptions>): Want[] {
  return [
    ...suite.workloads.map((w): Want => {
      const id = `${w.namespace}/${w.name}`;
      const query = existingQueries?.get(id);
      return w.existing
        ? { id, namespace: w.namespace, name: w.name, kind: 'existing', replicas: 1, existing: w, ...(query ? { query } : {}) }
        : { id, namespace: w.namespace, name: w.name, kind: 'workload', replicas: w.replicas, template: { ...w.labels, [ENDPOINT_KEY]: w.name } };
    }),
    ...suite.probes.map((p): Want => ({ id: `${p.namespace}/${p.name}`, namespace: p.namespace, name: p.name, kind: 'probe', replicas: 1, template: { ...p.labels, [ENDPOINT_KEY]: p.name } })),
  ];
}

/** Pods of one endpoint: Ready ones when all wanted replicas are Ready, else undefined. */
async function readyPods(client: KubeClient, w: Want): Promise<{ ready: PodLike[]; all: PodLike[] }> {
  const labelSelector = w.kind === 'existing' ? selector(w.existing!.labels) : `${ENDPOINT_KEY}=${w.name}`;
  const all = (await client.list<PodLike>('v1', 'Pod', { namespace: w.namespace, ...(w.query ?? { labelSelector }) })).filter((p) => !p.metadata.deletionTimestamp && !w.exclude?.has(p.metadata.name ?? ''));
  return { ready: all.filter(isPodReady), all };
}

function endpointDone(w: Want, r: { ready: PodLike[]; all: PodLike[] }): boolean {
  // Existing workloads (CoreDNS): any Ready pod will do; ours: exactly the replicas, all Ready.
  if (w.kind === 'existing') return r.ready.length > 0;
  return r.ready.length === w.replicas && r.all.length === w.replicas;
}

async function explainStuck(client: KubeClient, w: Want, r: { ready: PodLike[]; all: PodLike[] }): Promise<string> {
  const what = `${w.kind} ${w.id}`;
  if (w.kind === 'existing') return `${what}: no Ready pod matches ${w.existing!.ref ?? selector(w.existing!.labels)} (found ${r.all.length} pod(s))`;
  const bad = r.all.find((p) => !isPodReady(p));
  if (bad) return `${what} (${r.ready.length}/${w.replicas} Ready): ${await describeStuckPod(client, bad)}`;
  if (r.all.length > w.replicas) return `${what}: ${r.all.length} pods for ${w.replicas} replica(s); an old ReplicaSet is still scaling down`;
  const dep = await client.get<DeploymentLike>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: w.namespace, name: w.name });
  const cond = dep?.status?.conditions?.find((c) => c.status === 'True' && c.type === 'ReplicaFailure') ?? dep?.status?.conditions?.find((c) => c.status === 'False');
  return `${what}: no pods created${cond ? ` (${cond.type}: ${cond.reason ?? ''} ${cond.message ?? ''})`.replace(/\s+\)/, ')') : dep ? '' : ' (its Deployment does not exist)'}`;
}

/** Waits until every endpoint's pods are Ready; InfraError naming the stuck pods on timeout. */
export async function waitForEndpoints(client: KubeClient, wants: Want[], opts: { timeoutMs: number; clock?: Clock }): Promise<Map<string, PodLike[]>> {
  let last = new Map<string, { ready: PodLike[]; all: PodLike[] }>();
  const ok = await pollUntil(
    async () => {
      const now = new Map<string, { ready: PodLike[]; all: PodLike[] }>();
      for (const w of wants) now.set(w.id, await readyPods(client, w));
      last = now;
      return wants.every((w) => endpointDone(w, now.get(w.id)!));
    },
    { timeoutMs: opts.timeoutMs, intervalMs: 1000, ...(opts.clock ? { clock: opts.clock } : {}) },
  );
  if (!ok) {
    const stuck = wants.filter((w) => !endpointDone(w, last.get(w.id) ?? { ready: [], all: [] }));
    const lines: string[] = [];
    for (const w of stuck.slice(0, 5)) lines.push(await explainStuck(client, w, last.get(w.id) ?? { ready: [], all: [] }));
    if (stuck.length > 5) lines.push(`... and ${stuck.length - 5} more`);
    throw new InfraError(`${stuck.length} of ${wants.length} workloads/probes not Ready after ${formatElapsed(opts.timeoutMs)}:\n  ${lines.join('\n  ')}`, {
      hint: 'images must be on the nodes (preloaded or pullable); inspect with kubectl -n <namespace> describe pod <pod>',
    });
  }
  return new Map([...last].map(([id, r]) => [id, r.ready]));
}

/** Puts harness pods back to their rendered labels (a kept cluster may carry an earlier run's label steps). */
async function resetPodLabels(client: KubeClient, pods: PodLike[], template: Record<string, string>): Promise<void> {
  for (const p of pods) {
    const cur = p.metadata.labels ?? {};
    const keep = new Set([...Object.keys(template), 'pod-template-hash']);
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(template)) if (cur[k] !== v) set[k] = v;
    const remove = Object.keys(cur).filter((k) => !keep.has(k));
    if (Object.keys(set).length || remove.length) {
      await client.patchLabels({ apiVersion: 'v1', kind: 'Pod', namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '' }, set, remove);
      p.metadata.labels = { ...Object.fromEntries(Object.entries(cur).filter(([k]) => keep.has(k))), ...set };
    }
  }
}

/**
 * Deploys a suite's namespaces, workloads and probes (server-side apply, field manager
 * netpol-harness), finds its existing workloads by their labels (never mutating them) and waits
 * until every pod is Ready.
 */
export async function deployWorkloads(cluster: Cluster, suite: Suite, opts: DeployOptions): Promise<Deployment> {
  const progress = opts.progress ?? silentProgress;
  const client = cluster.client;
  const nodes = opts.nodes ?? workerNodeNames(await cluster.nodes());
  const objects = renderManifests(suite, { runId: opts.runId, agentImage: opts.agentImage ?? defaultAgentImage(), nodes });
  const guard = opts.guard;
  opts.cleanup?.push(
    'namespaces created by this run',
    async () => {
      // When the cluster itself is about to be deleted, do not wait for namespace finalisation.
      await guard.deleteCreated({ wait: !cluster.ephemeral });
      await guard.restoreForeignLabels();
    },
    { keptHint: 'delete them with kubectl delete namespace -l app.kubernetes.io/managed-by=netpol-harness' },
  );

  const services = new Map<string, ServiceLike>();
  const nWork = suite.workloads.filter((w) => !w.existing).length;
  const namespaceLabels = new Map<string, Record<string, string>>();
  await withStep(progress, `deploying ${suite.namespaces.length} namespace(s), ${nWork} workload(s), ${suite.probes.length} probe(s)`, async () => {
    for (const ns of suite.namespaces.filter((n) => n.existing)) namespaceLabels.set(ns.name, await guard.useExisting(ns.name, ns.labels));
    for (const ns of objects.filter((o) => o.kind === 'Namespace')) await guard.ensureNamespace(ns);
    const limit = pLimit(4);
    await Promise.all(
      objects
        .filter((o) => o.kind !== 'Namespace')
        .map((o) =>
          limit(async () => {
            await guard.assertMutable(o.metadata.namespace ?? '', `create ${describeRef(refOf(o))}`);
            const stored = await client.apply<ServiceLike>(o);
            if (o.kind === 'Service') services.set(`${o.metadata.namespace}/${o.metadata.name}`, stored);
          }),
        ),
    );
  });

  const wants = wantsFor(suite, opts.existingQueries);
  for (const w of wants) {
    if (w.kind === 'existing' && Object.keys(w.existing!.labels).length === 0 && !w.query) {
      throw new UsageError(`existing workload ${w.id} has no labels: the harness finds existing pods by their labels`);
    }
  }
  const nPods = wants.reduce((n, w) => n + w.replicas, 0);
  const ready = await withStep(progress, `waiting for ${nPods} pod(s) to be Ready`, () =>
    waitForEndpoints(client, wants, { timeoutMs: opts.timeoutMs ?? 180_000, ...(opts.clock ? { clock: opts.clock } : {}) }),
  );

  const endpoints = new Map<string, EndpointInfo>();
  for (const w of wants) endpoints.set(w.id, await endpointInfo(client, w, ready.get(w.id) ?? [], services.get(w.id)));
  return { runId: opts.runId, endpoints, nodes, ...(namespaceLabels.size > 0 ? { namespaceLabels } : {}) };
}

/** What the runner needs of one deployed (or found) endpoint: its Ready pods (labels reset to the template) and its Service. */
export async function endpointInfo(client: KubeClient, w: Want, pods: PodLike[], applied?: ServiceLike): Promise<EndpointInfo> {
  if (w.template) await resetPodLabels(client, pods, w.template);
  const info: EndpointInfo = {
    id: w.id,
    namespace: w.namespace,
    name: w.name,
    kind: w.kind,
    pods: pods.map((p) => toPodInfo(p, w.kind === 'existing' ? (p.spec?.containers?.[0]?.name ?? '') : AGENT_CONTAINER)),
  };
  let svc: ServiceLike | undefined;
  if (w.kind === 'workload') {
    svc = applied;
    if (svc && !svc.spec?.clusterIP) svc = await client.get<ServiceLike>({ apiVersion: 'v1', kind: 'Service', namespace: w.namespace, name: w.name });
  } else if (w.kind === 'existing') {
    svc = await findServiceFor(client, w.namespace, w.name, { ...(pods[0]?.metadata.labels ?? {}), ...w.existing!.labels });
  }
  if (svc?.spec?.clusterIP && svc.spec.clusterIP !== 'None') {
    info.serviceName = svc.metadata.name ?? w.name;
    info.serviceIP = svc.spec.clusterIP;
    if (w.kind === 'existing') info.servicePorts = servicePortMap(pods[0], svc);
    // External sources probing through NodePorts: the harness's own, or the user's NodePort Service (in place).
    const np = nodePortMap(pods[0], svc);
    if (np.size > 0) info.nodePorts = np;
  }
  return info;
}

/** The Service selecting an existing workload's pods (e.g. kube-dns for CoreDNS); same name preferred. */
async function findServiceFor(client: KubeClient, namespace: string, name: string, podLabels: Record<string, string>): Promise<ServiceLike | undefined> {
  const svcs = await client.list<ServiceLike>('v1', 'Service', { namespace });
  const matching = svcs.filter((s) => {
    const sel = s.spec?.selector ?? {};
    return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
  });
  return matching.find((s) => s.metadata.name === name) ?? matching[0];
}
