// Existing workloads in the cluster: how to find their pods (by labels, or by a reference to a
// Deployment, StatefulSet, DaemonSet or Pod), and what they serve (their containers' declared
// ports plus the ports of Services selecting them, with names and protocols, so named-port
// policies resolve as the cluster resolves them) and the labels every Ready pod carries.
import { UsageError } from '../errors.js';
import type { KubeClient, ListOptions } from '../cluster/kube-client.js';
import type { KObject, PodLike, ServiceLike } from '../cluster/kube-types.js';
import { parseRef, type Discovered } from '../suite/in-place.js';
import type { PortSpec, Protocol, Suite, WorkloadSpec } from '../suite/schema.js';

interface LabelSelectorLike {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A metav1.LabelSelector as a selector string for list calls. */
export function selectorString(sel: LabelSelectorLike): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

const KINDS = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet' } as const;

/**
 * How to list an existing workload's pods. A reference is looked up (UsageError naming the suite
 * field when it does not exist); labels are used as they are.
 */
export async function podQuery(client: KubeClient, w: WorkloadSpec, index: number): Promise<ListOptions & { namespace: string }> {
  if (w.ref === undefined) return { namespace: w.namespace, labelSelector: Object.entries(w.labels).map(([k, v]) => `${k}=${v}`).join(',') };
  const ref = parseRef(w.ref);
  const field = `workloads[${index}].ref`;
  if (ref.kind === 'pod') {
    const pod = await client.get({ apiVersion: 'v1', kind: 'Pod', namespace: w.namespace, name: ref.name });
    if (!pod) throw new UsageError(`${field}: pod ${w.namespace}/${ref.name} does not exist`, { hint: `check with kubectl -n ${w.namespace} get pods` });
    return { namespace: w.namespace, fieldSelector: `metadata.name=${ref.name}` };
  }
  const kind = KINDS[ref.kind];
  const obj = await client.get<KObject & { spec?: { selector?: LabelSelectorLike; replicas?: number } }>({ apiVersion: 'apps/v1', kind, namespace: w.namespace, name: ref.name });
  if (!obj) throw new UsageError(`${field}: ${kind} ${w.namespace}/${ref.name} does not exist`, { hint: `check with kubectl -n ${w.namespace} get ${ref.kind}` });
  // Scaled to zero: no pod will ever be Ready, so say so now instead of after the readiness deadline.
  if (obj.spec?.replicas === 0) throw new UsageError(`${field}: ${kind} ${w.namespace}/${ref.name} has 0 replicas: there is no pod to probe`, { hint: `scale it up (kubectl -n ${w.namespace} scale ${ref.kind}/${ref.name} --replicas=1)` });
  const labelSelector = selectorString(obj.spec?.selector ?? {});
  if (labelSelector === '') throw new UsageError(`${field}: ${kind} ${w.namespace}/${ref.name} has an empty selector`);
  // A selector is ANDed with declared labels: they narrow the pods further.
  const extra = Object.entries(w.labels).map(([k, v]) => `${k}=${v}`);
  return { namespace: w.namespace, labelSelector: [labelSelector, ...extra].join(',') };
}

interface ContainerPortLike {
  name?: string;
  containerPort: number;
  protocol?: string;
}
type PodWithPorts = { metadata: PodLike['metadata']; spec?: { containers?: { name: string; ports?: ContainerPortLike[] }[] } };
type ServicePort = { name?: string; port: number; targetPort?: number | string; protocol?: string; nodePort?: number };
type ServiceWithTargets = ServiceLike & { spec?: { ports?: ServicePort[] } };

const proto = (p: string | undefined): Protocol => (p === 'UDP' || p === 'SCTP' ? p : 'TCP');

/**
 * The ports an existing workload serves: its containers' declared ports (with their names, which
 * NetworkPolicies may name), then every Service port selecting the pod, resolved to the pod's
 * port (a named targetPort through the container's port names). Pure.
 */
export function discoverPorts(pod: PodWithPorts, services: ServiceWithTargets[]): PortSpec[] {
  const out: PortSpec[] = [];
  const add = (p: PortSpec): void => {
    if (!out.some((x) => x.port === p.port && x.protocol === p.protocol)) out.push(p);
  };
  const declared = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  for (const c of declared) add({ ...(c.name ? { name: c.name } : {}), port: c.containerPort, protocol: proto(c.protocol) });
  const labels = pod.metadata.labels ?? {};
  for (const s of services) {
    const sel = Object.entries(s.spec?.selector ?? {});
    if (sel.length === 0 || !sel.every(([k, v]) => labels[k] === v)) continue;
    for (const sp of s.spec?.ports ?? []) {
      const protocol = proto(sp.protocol);
      const t = sp.targetPort ?? sp.port;
      if (typeof t === 'number') {
        add({ port: t, protocol });
        continue;
      }
      // A named targetPort resolves against the pod's container port names (as kube-proxy does).
      const named = declared.find((c) => c.name === t && proto(c.protocol) === protocol);
      if (named) add({ name: t, port: named.containerPort, protocol });
      else if (/^\d+$/.test(t)) add({ port: Number(t), protocol });
    }
  }
  return out;
}

/**
 * The Service's port for each pod port it targets (`<port>/<protocol>` -> Service port): a named
 * targetPort resolves against the pod's container port names, as kube-proxy resolves it. Pure.
 */
export function servicePortMap(pod: PodWithPorts | undefined, svc: ServiceWithTargets, pick: (sp: ServicePort) => number | undefined = (sp) => sp.port): Map<string, number> {
  const out = new Map<string, number>();
  const declared = (pod?.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
  for (const sp of svc.spec?.ports ?? []) {
    const protocol = proto(sp.protocol);
    const t = sp.targetPort ?? sp.port;
    const target = typeof t === 'number' ? t : /^\d+$/.test(t) ? Number(t) : declared.find((c) => c.name === t && proto(c.protocol) === protocol)?.containerPort;
    const key = `${target}/${protocol}`;
    const value = pick(sp);
    if (target !== undefined && value !== undefined && !out.has(key)) out.set(key, value);
  }
  return out;
}

/** The NodePort for each pod port a NodePort Service targets (`<port>/<protocol>` -> node port); empty for other Services. Pure. */
export const nodePortMap = (pod: PodWithPorts | undefined, svc: ServiceWithTargets): Map<string, number> => servicePortMap(pod, svc, (sp) => sp.nodePort);

/** Labels a controller stamps with its revision: a rollout changes them on every pod. */
const REVISION_LABELS = new Set(['pod-template-hash', 'controller-revision-hash']);

/**
 * The labels without the controller's revision hash: pods found by these (observe/step.ts watch
 * targets, run/relearn.ts) include the ones a rollout puts in place of the pods seen first.
 */
export function withoutRevisionLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !REVISION_LABELS.has(k)));
}

/** Labels every pod carries (a StatefulSet's per-pod name label is dropped: no policy can rely on it for all). */
export function commonLabels(pods: PodLike[]): Record<string, string> {
  const [first, ...rest] = pods;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first.metadata.labels ?? {}).filter(([k, v]) => rest.every((p) => p.metadata.labels?.[k] === v)));
}

/** What the cluster says about each existing workload, from its Ready pods (first one for ports). */
export async function discoverExisting(client: KubeClient, suite: Suite, readyPods: ReadonlyMap<string, PodLike[]>): Promise<Map<string, Discovered>> {
  const out = new Map<string, Discovered>();
  const servicesByNs = new Map<string, ServiceWithTargets[]>();
  for (const w of suite.workloads.filter((x) => x.existing)) {
    const id = `${w.namespace}/${w.name}`;
    const pods = readyPods.get(id) ?? [];
    if (pods.length === 0) continue;
    let svcs = servicesByNs.get(w.namespace);
    if (!svcs) {
      svcs = await client.list<ServiceWithTargets>('v1', 'Service', { namespace: w.namespace });
      servicesByNs.set(w.namespace, svcs);
    }
    out.set(id, { labels: commonLabels(pods), ports: discoverPorts(pods[0] as PodWithPorts, svcs) });
  }
  return out;
}
