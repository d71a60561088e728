// The reverse path: a live cluster's namespaces, controllers, Services and NetworkPolicies (as read
// by read.ts) turned into a suite that asks "does this cluster do what its policies say?". Pure.
import type { Issue } from '../errors.js';
import type { KObject } from '../cluster/kube-types.js';
import { isToolAnnotation, normalizeObject } from '../apply/normalize.js';
import { validateNetworkPolicy } from '../policy/validate.js';
import type { NetworkPolicy } from '../policy/types.js';
import type { PortSpec } from '../suite/schema.js';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, RUN_KEY, SYSTEM_NAMESPACES } from '../cluster/labels.js';

export interface ClusterReading {
  context: string;
  /** CNI guessed from kube-system's DaemonSets (calico-node, kube-router), else undefined. */
  cni?: 'calico' | 'kube-router';
  namespaces: KObject[];
  /** Deployments, StatefulSets and DaemonSets. */
  controllers: KObject[];
  services: KObject[];
  policies: KObject[];
}

export interface DiscoverOptions {
  /** Write workloads as references (`ref: deployment/<name>`, `source: true`): the schema knows these fields. */
  refs: boolean;
}

export interface Unsupported {
  policy: string;
  reasons: string[];
}

export interface DiscoveredSuite {
  /** suite.yaml as a plain object. */
  suite: Record<string, unknown>;
  /** policies/<namespace>.yaml -> documents */
  policyFiles: Map<string, KObject[]>;
  /** Policies left out, and why. */
  unsupported: Unsupported[];
  /** Controllers that could not become workloads, and why. */
  skipped: string[];
}

const NS_NAME_LABEL = 'kubernetes.io/metadata.name';
/** Namespaces a suite may not declare (the harness would create and delete them). */
export const UNDECLARABLE_NAMESPACES: readonly string[] = ['default', ...SYSTEM_NAMESPACES];
/** Labels an earlier harness run put on namespaces it made: not the user's. */
const HARNESS_NS_LABELS = [NS_NAME_LABEL, RUN_KEY];
const REF_KIND: Record<string, string> = { Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset' };
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface ContainerLike {
  ports?: { containerPort: number; protocol?: string; name?: string }[];
}
interface PodTemplateOwner {
  spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: ContainerLike[] } } };
}
interface ServiceLike {
  spec?: { selector?: Record<string, string>; ports?: { port: number; targetPort?: number | string; protocol?: string; name?: string }[] };
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Container ports, plus numeric target ports of Services selecting the pods (deduplicated, sorted). */
export function workloadPorts(ctrl: KObject, services: KObject[]): PortSpec[] {
  const tpl = (ctrl as PodTemplateOwner).spec?.template;
  const labels = tpl?.metadata?.labels ?? {};
  const out = new Map<string, PortSpec>();
  const add = (port: number, protocol: string | undefined, name: string | undefined) => {
    const proto = (protocol ?? 'TCP') as PortSpec['protocol'];
    const key = `${port}/${proto}`;
    const prev = out.get(key);
    if (!prev || (!prev.name && name)) out.set(key, { port, protocol: proto, ...(name && name.length <= 15 ? { name } : {}) });
  };
  for (const c of tpl?.spec?.containers ?? []) for (const p of c.ports ?? []) add(p.containerPort, p.protocol, p.name);
  for (const s of services) {
    if (s.metadata.namespace !== ctrl.metadata.namespace || !selects((s as ServiceLike).spec?.selector, labels)) continue;
    for (const p of (s as ServiceLike).spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      if (typeof target === 'number') add(target, p.protocol, undefined);
    }
  }
  return [...out.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** A NetworkPolicy as a user would have applied it: server fields and kubectl's annotations gone. */
export function exportPolicy(p: KObject): KObject {
  const n = normalizeObject(p);
  if (n.metadata.annotations) {
    const kept = Object.fromEntries(Object.entries(n.metadata.annotations).filter(([k]) => !isToolAnnotation(k)));
    if (Object.keys(kept).length) n.metadata.annotations = kept;
    else delete n.metadata.annotations;
  }
  return n;
}

/** Why the engine cannot model a policy (empty: it can): the validator's errors, by field. */
export function unsupportedReasons(p: KObject, file: string): string[] {
  const issues: Issue[] = validateNetworkPolicy({ policy: p as unknown as NetworkPolicy, setId: '', file, docIndex: 0 });
  return issues.filter((i) => i.severity !== 'warning').map((i) => `${i.path}: ${i.message}`);
}

export function discoverSuite(r: ClusterReading, opts: DiscoverOptions): DiscoveredSuite {
  const out: DiscoveredSuite = { suite: {}, policyFiles: new Map(), unsupported: [], skipped: [] };
  const namespaces = [...r.namespaces].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const nsNames = new Set(namespaces.map((n) => n.metadata.name ?? ''));
  const workloads: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  // By namespace, then Deployments, StatefulSets, DaemonSets (the first of a name wins), then name.
  const rank = (c: KObject) => `${c.metadata.namespace}/${Object.keys(REF_KIND).indexOf(c.kind)}/${c.metadata.name}`;
  for (const c of [...r.controllers].sort((a, b) => rank(a).localeCompare(rank(b)))) {
    const ns = c.metadata.namespace ?? '';
    const name = c.metadata.name ?? '';
    const what = `${REF_KIND[c.kind] ?? c.kind}/${name} in ${ns}`;
    if (!nsNames.has(ns)) continue;
    if (!K8S_NAME.test(name) || name.length > 63) {
      out.skipped.push(`${what}: the name is not a DNS-1123 label, which suite workload names must be`);
      continue;
    }
    if (seen.has(`${ns}/${name}`)) {
      out.skipped.push(`${what}: another controller of the same name in ${ns} became the workload`);
      continue;
    }
    seen.add(`${ns}/${name}`);
    const labels = (c as PodTemplateOwner).spec?.template?.metadata?.labels ?? {};
    const w: Record<string, unknown> = { name, namespace: ns, existing: true, labels: { ...labels }, ports: workloadPorts(c, r.services) };
    if (opts.refs) {
      w.ref = `${REF_KIND[c.kind]}/${name}`;
      w.source = true;
    }
    workloads.push(w);
  }
  const policySets: Record<string, unknown>[] = [];
  const byNs = new Map<string, KObject[]>();
  for (const p of [...r.policies].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))) {
    const ns = p.metadata.namespace ?? '';
    if (!nsNames.has(ns)) continue;
    const file = `policies/${ns}.yaml`;
    const doc = exportPolicy(p);
    const reasons = UNDECLARABLE_NAMESPACES.includes(ns)
      ? [`it is in namespace ${ns}, which a suite cannot declare (the harness would create and delete it)`]
      : unsupportedReasons(doc, file);
    if (reasons.length) {
      out.unsupported.push({ policy: `${ns}/${p.metadata.name ?? ''}`, reasons });
      continue;
    }
    byNs.set(ns, [...(byNs.get(ns) ?? []), doc]);
  }
  for (const [ns, docs] of byNs) {
    const file = `policies/${ns}.yaml`;
    out.policyFiles.set(file, docs);
    policySets.push({ id: ns, file, namespace: ns });
  }
  out.suite = {
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: suiteName(r.context), description: `discovered from context ${r.context}: does the cluster do what its policies say?` },
    // cluster.name must be a DNS label; other context names are passed with --context instead.
    cluster: { provider: 'existing', ...(K8S_NAME.test(r.context) && r.context.length <= 63 ? { name: r.context } : {}), cni: r.cni ?? 'calico' },
    namespaces: namespaces.filter((n) => !UNDECLARABLE_NAMESPACES.includes(n.metadata.name ?? '')).map((n) => {
      const own = n.metadata.labels ?? {};
      const labels = Object.fromEntries(Object.entries(own).filter(([k, v]) => !HARNESS_NS_LABELS.includes(k) && !(k === MANAGED_BY_KEY && v === MANAGED_BY_VALUE)));
      return { name: n.metadata.name, ...(Object.keys(labels).length ? { labels } : {}) };
    }),
    workloads,
    policies: policySets,
    steps: [{ name: 'as-deployed', description: 'the policies the cluster has now', apply: policySets.map((p) => p.id), expect: 'simulated' }],
  };
  return out;
}

/** A valid suite name from a context name (lower case, DNS label). */
export function suiteName(context: string): string {
  const s = `discovered-${context}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').slice(0, 63).replace(/-+$/, '');
  return s;
}
