// A ClusterModel prepared for queries: lookups by id, namespace labels with the automatic
// `kubernetes.io/metadata.name`, compiled policies indexed by namespace, and endpoint resolution.
import { compileCnps, EMPTY_CNP_SET, type CompiledCnpSet } from './cnp/compile.js';
import { compilePolicies, type CompiledPolicy, type CompiledSet } from './compile.js';
import { parseCidr, parseIp, type Ip, type IpRange } from './ipblock.js';
import type { ClusterModel, EndpointRef, ExternalModel, NodeModel, PodModel, ServiceModel } from './model.js';
import type { CniProfile } from './profiles.js';
import type { Labels } from './selectors.js';

export const METADATA_NAME = 'kubernetes.io/metadata.name';

export class EngineInputError extends Error {}

/** A resolved traffic endpoint. */
export interface Endpoint {
  kind: 'pod' | 'node' | 'external';
  id: string;
  /** How explanations name it. */
  label: string;
  ip?: Ip;
  ipText?: string;
  pod?: PodModel;
  namespace?: string;
  nsLabels?: Labels;
  node?: string;
  /**
   * Policies see it as a pod: selectable by pod/namespace selectors and isolatable. False for
   * nodes, externals, and hostNetwork pods under a profile that treats them as node traffic.
   */
  asPod: boolean;
}

export interface World {
  model: ClusterModel;
  profile: CniProfile;
  nsLabels: Map<string, Labels>;
  pods: Map<string, PodModel>;
  externals: Map<string, ExternalModel>;
  nodes: Map<string, NodeModel>;
  services: Map<string, ServiceModel>;
  compiled: CompiledSet;
  byNamespace: Map<string, CompiledPolicy[]>;
  /** ClusterNetworkPolicies in effect (empty when the profile does not implement them). */
  cnp: CompiledCnpSet;
  /** Cluster policies in the model that the profile ignores (the plugin does not implement the API). */
  cnpIgnored: number;
  podSubnet?: IpRange;
}

// Compiling is profile-independent, so one compile serves every profile a model is asked about.
const compiledCache = new WeakMap<ClusterModel, CompiledSet>();
const cnpCache = new WeakMap<ClusterModel, CompiledCnpSet>();

export function compiledCnpOf(model: ClusterModel): CompiledCnpSet {
  if (!model.clusterPolicies || model.clusterPolicies.length === 0) return EMPTY_CNP_SET;
  let c = cnpCache.get(model);
  if (!c) {
    c = compileCnps(model.clusterPolicies);
    cnpCache.set(model, c);
  }
  return c;
}

export function compiledOf(model: ClusterModel): CompiledSet {
  let c = compiledCache.get(model);
  if (!c) {
    c = compilePolicies(model.policies);
    compiledCache.set(model, c);
  }
  return c;
}

export function namespaceLabels(model: ClusterModel): Map<string, Labels> {
  const out = new Map<string, Labels>();
  for (const ns of model.namespaces) out.set(ns.name, { ...ns.labels, [METADATA_NAME]: ns.name });
  // Pods may live in namespaces the model does not list (kube-system): they still carry the name label.
  for (const p of model.pods) if (!out.has(p.namespace)) out.set(p.namespace, { [METADATA_NAME]: p.namespace });
  return out;
}

export function prepare(model: ClusterModel, profile: CniProfile): World {
  const compiled = compiledOf(model);
  const byNamespace = new Map<string, CompiledPolicy[]>();
  for (const p of compiled.policies) {
    const l = byNamespace.get(p.namespace) ?? [];
    l.push(p);
    byNamespace.set(p.namespace, l);
  }
  const podSubnet = model.podSubnet !== undefined ? parseCidr(model.podSubnet) : undefined;
  return {
    model,
    profile,
    nsLabels: namespaceLabels(model),
    pods: new Map(model.pods.map((p) => [p.id, p])),
    externals: new Map(model.externals.map((e) => [e.id, e])),
    nodes: new Map((model.nodes ?? []).map((n) => [n.name, n])),
    services: new Map((model.services ?? []).map((s) => [s.id, s])),
    compiled,
    byNamespace,
    cnp: profile.clusterNetworkPolicy === 'none' ? EMPTY_CNP_SET : compiledCnpOf(model),
    cnpIgnored: profile.clusterNetworkPolicy === 'none' ? (model.clusterPolicies?.length ?? 0) : 0,
    ...(podSubnet ? { podSubnet } : {}),
  };
}

export function podEndpoint(world: World, pod: PodModel): Endpoint {
  const asPod = !(pod.hostNetwork && world.profile.hostNetwork === 'node');
  // A hostNetwork pod uses its node's address unless the model gives one (node-local DNS: 169.254.20.10).
  const ipText = pod.ip ?? (pod.hostNetwork && pod.node ? world.nodes.get(pod.node)?.ip : undefined);
  const ip = ipText !== undefined ? parseIp(ipText) : undefined;
  return {
    kind: 'pod',
    id: pod.id,
    label: pod.hostNetwork ? `${pod.id} (hostNetwork)` : pod.id,
    ...(ip ? { ip, ipText: ipText! } : {}),
    pod,
    namespace: pod.namespace,
    nsLabels: world.nsLabels.get(pod.namespace) ?? { [METADATA_NAME]: pod.namespace },
    ...(pod.node !== undefined ? { node: pod.node } : {}),
    asPod,
  };
}

export function nodeEndpoint(node: NodeModel): Endpoint {
  const ip = parseIp(node.ip);
  return { kind: 'node', id: `node:${node.name}`, label: `node ${node.name} (${node.ip})`, ...(ip ? { ip, ipText: node.ip } : {}), node: node.name, asPod: false };
}

export function ipEndpoint(id: string, ipText: string): Endpoint {
  const ip = parseIp(ipText);
  if (!ip) throw new EngineInputError(`"${ipText}" is not an IP address`);
  return { kind: 'external', id, label: id === ipText ? ipText : `${id} (${ipText})`, ip, ipText, asPod: false };
}

/** Node-like sources get the same-node exception; hostNetwork pods under a `node` profile are node-like. */
export function isNodeLike(e: Endpoint): boolean {
  return e.kind === 'node' || (e.kind === 'pod' && !e.asPod);
}

export type ResolvedRef = { kind: 'endpoint'; endpoint: Endpoint } | { kind: 'service'; service: ServiceModel };

function normalizeRef(ref: EndpointRef): Exclude<EndpointRef, string> {
  if (typeof ref !== 'string') return ref;
  if (ref.startsWith('node:')) return { node: ref.slice(5) };
  if (ref.startsWith('external:')) return { external: ref.slice(9) };
  if (ref.startsWith('svc:')) return { service: ref.slice(4) };
  if (parseIp(ref)) return { ip: ref };
  return { pod: ref };
}

export function resolveRef(world: World, ref: EndpointRef): ResolvedRef {
  const r = normalizeRef(ref);
  if ('pod' in r) {
    const pod = world.pods.get(r.pod);
    if (!pod) throw new EngineInputError(`unknown pod "${r.pod}"`);
    return { kind: 'endpoint', endpoint: podEndpoint(world, pod) };
  }
  if ('node' in r) {
    const node = world.nodes.get(r.node);
    if (!node) throw new EngineInputError(`unknown node "${r.node}"`);
    return { kind: 'endpoint', endpoint: nodeEndpoint(node) };
  }
  if ('external' in r) {
    const ext = world.externals.get(r.external) ?? world.externals.get(`external:${r.external}`);
    if (!ext) throw new EngineInputError(`unknown external endpoint "${r.external}"`);
    return { kind: 'endpoint', endpoint: ipEndpoint(ext.id, ext.ip) };
  }
  if ('service' in r) {
    const svc = world.services.get(r.service);
    if (!svc) throw new EngineInputError(`unknown service "${r.service}"`);
    return { kind: 'service', service: svc };
  }
  // A bare IP is whatever owns it: a pod, a node, else an outside address.
  const pod = world.model.pods.find((p) => p.ip === r.ip && !p.hostNetwork);
  if (pod) return { kind: 'endpoint', endpoint: podEndpoint(world, pod) };
  const node = (world.model.nodes ?? []).find((n) => n.ip === r.ip);
  if (node) return { kind: 'endpoint', endpoint: nodeEndpoint(node) };
  // A hostNetwork pod with an address of its own (node-local DNS on 169.254.20.10).
  const hostPod = world.model.pods.find((p) => p.ip === r.ip && p.hostNetwork);
  if (hostPod) return { kind: 'endpoint', endpoint: podEndpoint(world, hostPod) };
  const ext = world.model.externals.find((e) => e.ip === r.ip);
  return { kind: 'endpoint', endpoint: ipEndpoint(ext?.id ?? r.ip, r.ip) };
}

/** Pods behind a Service: same namespace, labels match the selector (an empty selector selects none, like Kubernetes). */
export function serviceBackends(world: World, svc: ServiceModel): PodModel[] {
  const sel = Object.entries(svc.selector);
  if (sel.length === 0) return [];
  return world.model.pods.filter((p) => p.namespace === svc.namespace && sel.every(([k, v]) => p.labels[k] === v));
}
