// The reverse path: a live cluster's namespaces, controllers, Services and NetworkPolicies (as read
// by read.ts) turned into a suite that asks "does this cluster do what its policies say?". Pure.
import type { Issue } from '../errors.js';
import type { KObject } from '../cluster/kube-types.js';
import { isToolAnnotation, normalizeObject } from '../apply/normalize.js';
import { validateNetworkPolicy } from '../policy/validate.js';
import type { NetworkPolicy } from '../policy/types.js';
import type { PortSpec } from '../suite/schema.js';
import { discoverPorts, withoutRevisionLabels } from '../apply/in-place.js';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, RUN_KEY } from '../cluster/labels.js';
import { formatCidr, isCidr, parseCidr } from '../suite/cidr.js';

export interface ClusterReading {
  context: string;
  /** CNI guessed from kube-system's DaemonSets (calico-node, kube-router), else undefined. */
  cni?: 'calico' | 'kube-router';
  namespaces: KObject[];
  /** Deployments, StatefulSets and DaemonSets. */
  controllers: KObject[];
  services: KObject[];
  policies: KObject[];
  /** Pods of the namespaces: bare ones (`kubectl run`) and those of owners other than the controllers become workloads. */
  pods?: KObject[];
  /** The cluster DNS (CoreDNS' kube-dns Service in kube-system) was found. */
  clusterDns?: boolean;
}

export interface DiscoverOptions {
  /** Write workloads as references (`ref: deployment/<name>`, `source: true`): the schema knows these fields. */
  refs: boolean;
  /** Add an attacker probe in a fresh namespace (default true; `--no-attacker`). */
  attacker?: boolean;
  /** `--external <name>=<cidr>:<port>`: egress destinations the user cares about. */
  externals?: DiscoveredExternal[];
}

export interface DiscoveredExternal {
  name: string;
  cidr: string;
  port: number;
  /** An address inside the CIDR (its first host), which the offline simulation gives the external. */
  ip: string;
}

/** The fresh namespace and probe of the attacker a discovered suite adds. */
export const ATTACKER = { namespace: 'nph-attacker', name: 'attacker' } as const;
/** What the DNS check resolves: it exists on every cluster. */
export const DNS_CHECK_NAME = 'kubernetes.default.svc.cluster.local';

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
  /** Controllers and pods that could not become workloads, and why. */
  skipped: string[];
  /** What the user must know about the suite written (printed as warnings). */
  warnings: string[];
  /** Comment lines (without `# `) to write above the suite's `externals:`. */
  externalsComment: string[];
}

const NS_NAME_LABEL = 'kubernetes.io/metadata.name';
/** Labels an earlier harness run put on namespaces it made: not the user's. */
const HARNESS_NS_LABELS = [NS_NAME_LABEL, RUN_KEY];
const REF_KIND: Record<string, string> = { Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset' };
const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface ContainerLike {
  name: string;
  ports?: { containerPort: number; protocol?: string; name?: string }[];
}
interface PodSpecLike {
  containers?: ContainerLike[];
  hostNetwork?: boolean;
}
interface PodTemplateOwner {
  spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpecLike } };
}
interface PodRead {
  metadata: KObject['metadata'] & { ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  spec?: PodSpecLike;
  status?: { phase?: string };
}

/** What a pod serves (labels + containers) against the Services of its namespace, sorted; names an API server would reject dropped. */
function portsOf(namespace: string, labels: Record<string, string>, spec: PodSpecLike | undefined, services: KObject[]): PortSpec[] {
  const pod = { metadata: { labels }, spec: { containers: spec?.containers ?? [] } };
  const svcs = services.filter((s) => s.metadata.namespace === namespace) as Parameters<typeof discoverPorts>[1];
  return discoverPorts(pod, svcs)
    .map((p) => (p.name !== undefined && p.name.length > 15 ? { port: p.port, protocol: p.protocol } : p))
    .sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/** Container ports, plus the target ports of Services selecting the pods (named ones resolved; deduplicated, sorted). */
export function workloadPorts(ctrl: KObject, services: KObject[]): PortSpec[] {
  const tpl = (ctrl as PodTemplateOwner).spec?.template;
  return portsOf(ctrl.metadata.namespace ?? '', tpl?.metadata?.labels ?? {}, tpl?.spec, services);
}

const coveredBy = (pod: PodRead, ctrl: KObject): boolean => {
  const tpl = withoutRevisionLabels((ctrl as PodTemplateOwner).spec?.template?.metadata?.labels ?? {});
  const labels = pod.metadata.labels ?? {};
  return ctrl.metadata.namespace === pod.metadata.namespace && Object.keys(tpl).length > 0 && Object.entries(tpl).every(([k, v]) => labels[k] === v);
};

interface PodGroup {
  namespace: string;
  /** The workload name (owner's, a label value, or the pod's). */
  name: string;
  /** `pod/<name>` for a single bare pod. */
  ref?: string;
  labels: Record<string, string>;
  pods: PodRead[];
  what: string;
}

/**
 * Pods that no controller read covers, as workloads: grouped by their owner (a Job, a ReplicaSet
 * without a Deployment), or, for bare pods (`kubectl run`), by identical labels. What cannot be a
 * workload is listed in `skipped` with the reason.
 */
function podGroups(pods: PodRead[], controllers: KObject[], skipped: string[]): PodGroup[] {
  const groups = new Map<string, PodGroup>();
  for (const p of [...pods].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))) {
    const ns = p.metadata.namespace ?? '';
    const name = p.metadata.name ?? '';
    const what = `pod/${name} in ${ns}`;
    const owner = p.metadata.ownerReferences?.find((o) => o.controller) ?? p.metadata.ownerReferences?.[0];
    if (owner && ['ReplicaSet', 'StatefulSet', 'DaemonSet'].includes(owner.kind) && controllers.some((c) => coveredBy(p, c))) continue;
    if (p.metadata.deletionTimestamp) {
      skipped.push(`${what}: it is being deleted`);
      continue;
    }
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') {
      skipped.push(`${what}: it has finished (${p.status.phase}), so there is nothing to probe`);
      continue;
    }
    if (p.spec?.hostNetwork) {
      skipped.push(`${what}: it uses the node's network (hostNetwork), where NetworkPolicies do not apply`);
      continue;
    }
    if (owner?.kind === 'Node') {
      skipped.push(`${what}: a static pod of node ${owner.name}, which the API server only mirrors`);
      continue;
    }
    const labels = withoutRevisionLabels(p.metadata.labels ?? {});
    if (owner) {
      const key = `${ns}/owner/${owner.kind}/${owner.name}`;
      const g = groups.get(key) ?? { namespace: ns, name: owner.name, labels, pods: [], what: `${owner.kind.toLowerCase()}/${owner.name} in ${ns}` };
      g.labels = Object.fromEntries(Object.entries(g.labels).filter(([k, v]) => labels[k] === v));
      g.pods.push(p);
      groups.set(key, g);
      continue;
    }
    // Bare pods: one workload per set of identical labels; an unlabelled pod only by its name.
    const key = Object.keys(labels).length > 0 ? `${ns}/labels/${JSON.stringify(Object.entries(labels).sort())}` : `${ns}/pod/${name}`;
    const g = groups.get(key);
    if (g) g.pods.push(p);
    else groups.set(key, { namespace: ns, name: labels.app ?? labels.run ?? name, labels, pods: [p], what });
  }
  const out: PodGroup[] = [];
  for (const g of groups.values()) {
    if (g.pods.length === 1 && !g.pods[0]!.metadata.ownerReferences?.length) g.ref = `pod/${g.pods[0]!.metadata.name ?? ''}`;
    if (g.pods.length > 1) g.what = `${g.pods.length} pods in ${g.namespace} labelled ${Object.entries(g.labels).map(([k, v]) => `${k}=${v}`).join(',')}`;
    if (Object.keys(g.labels).length === 0 && !g.ref) {
      skipped.push(`${g.what}: its pods share no label to find them by`);
      continue;
    }
    out.push(g);
  }
  return out;
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
  const out: DiscoveredSuite = { suite: {}, policyFiles: new Map(), unsupported: [], skipped: [], warnings: [], externalsComment: [] };
  const namespaces = [...r.namespaces].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const attacker = (opts.attacker ?? true) && !namespaces.some((n) => n.metadata.name === ATTACKER.namespace);
  const externals = (opts.externals ?? []).map((e) => ({ name: e.name, ip: e.ip, ports: [{ port: e.port, protocol: 'TCP' }] }));
  for (const e of opts.externals ?? []) out.warnings.push(externalWarning(e));
  if (externals.length) out.externalsComment = externalsComment(opts.externals ?? []);
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
  for (const g of podGroups((r.pods ?? []).filter((p) => nsNames.has(p.metadata.namespace ?? '')), r.controllers, out.skipped)) {
    let name = K8S_NAME.test(g.name) && g.name.length <= 63 ? g.name : suiteName(g.name).replace(/^discovered-/, '');
    for (let i = 2; seen.has(`${g.namespace}/${name}`); i++) name = `${g.name.slice(0, 58)}-${i}`;
    seen.add(`${g.namespace}/${name}`);
    const w: Record<string, unknown> = { name, namespace: g.namespace, existing: true, labels: { ...g.labels }, ports: portsOf(g.namespace, g.labels, g.pods[0]!.spec, r.services) };
    if (opts.refs) {
      if (g.ref) w.ref = g.ref;
      w.source = true;
    } else if (Object.keys(g.labels).length === 0) {
      out.skipped.push(`${g.what}: it has no labels, and this build's suite schema cannot find a pod by name`);
      continue;
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
    const reasons = unsupportedReasons(doc, file);
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
    // They exist: the run never creates or deletes them, and restores what it changed there.
    namespaces: [
      ...namespaces.map((n) => {
        const own = n.metadata.labels ?? {};
        const labels = Object.fromEntries(Object.entries(own).filter(([k, v]) => !HARNESS_NS_LABELS.includes(k) && !(k === MANAGED_BY_KEY && v === MANAGED_BY_VALUE)));
        return { name: n.metadata.name, existing: true, ...(Object.keys(labels).length ? { labels } : {}) };
      }),
      ...(attacker ? [{ name: ATTACKER.namespace }] : []),
    ],
    workloads,
    ...(attacker ? { probes: [{ name: ATTACKER.name, namespace: ATTACKER.namespace }] } : {}),
    ...(externals.length ? { externals } : {}),
    policies: policySets,
    // The DNS check: every source resolves a name that exists on any cluster (a policy that blocks DNS shows).
    ...(r.clusterDns ? { probe: { dnsNames: [DNS_CHECK_NAME] } } : {}),
    steps: [{ name: 'as-deployed', description: 'the policies the cluster has now', apply: policySets.map((p) => p.id), expect: 'simulated' }],
  };
  return out;
}

/**
 * What an external from `--external` is, and is not: its address (the CIDR's first) serves the
 * offline verdicts; no run probes the user's real destination. `run --provider existing` refuses
 * externals, and on kind the harness starts a container for it at its own Docker-network address,
 * which the user's ipBlocks for the CIDR do not contain.
 */
export function externalWarning(e: DiscoveredExternal): string {
  return (
    `external ${e.name} (${e.cidr}:${e.port}) is written with ${e.ip}, the CIDR's first address: validate, check and simulate judge your policies' ipBlocks against it. ` +
    `A run does not probe ${e.cidr}: run --provider existing refuses externals (there is no Docker network), and on kind the harness starts a container for ${e.name} at its own address on the Docker network, ` +
    `outside ${e.cidr}, so ipBlocks of ${e.cidr} do not match it there (the run simulates with the container's address, so its cells test that address, not your destination)`
  );
}

function externalsComment(list: DiscoveredExternal[]): string[] {
  return [
    `From --external ${list.map((e) => `${e.name}=${e.cidr}:${e.port}`).join(' ')}. Each has the first address of its CIDR,`,
    "which validate, check and simulate judge your policies' ipBlocks against. No run probes your real",
    'destination: run --provider existing refuses externals (delete this list to run the suite there), and',
    'on kind an external is a container the harness starts at its own address on the Docker network,',
    'outside the CIDR, so ipBlocks of the CIDR do not match it there.',
  ];
}

/** `--external <name>=<cidr>:<port>`, e.g. `payments-api=203.0.113.0/24:443`; throws a message naming what is wrong. */
export function parseExternalFlag(text: string): DiscoveredExternal {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=([0-9a-fA-F.:]+\/\d{1,3}):(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`--external "${text}": write <name>=<cidr>:<port>, e.g. payments=203.0.113.0/24:443 (name: lower-case letters, digits and "-")`);
  const port = Number(m[4]);
  if (port < 1 || port > 65535) throw new Error(`--external "${text}": port ${port} is not between 1 and 65535`);
  const c = parseCidr(m[3]!);
  if (!isCidr(c)) throw new Error(`--external "${text}": "${m[3]}" ${c.error}`);
  if (c.family !== 4) throw new Error(`--external "${text}": externals are IPv4 only`);
  const host = formatCidr({ ...c, network: c.prefix < 31 ? c.network + 1n : c.network, prefix: 32 }).replace(/\/32$/, '');
  return { name: m[1]!, cidr: formatCidr(c), port, ip: host };
}

/** A valid suite name from a context name (lower case, DNS label). */
export function suiteName(context: string): string {
  const s = `discovered-${context}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').slice(0, 63).replace(/-+$/, '');
  return s;
}
