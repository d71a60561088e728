// The catalogue's model (spec §5): namespaces x,y,z labelled ns=<name>; pods a,b,c labelled
// pod=<name>, each serving 80 and 81 on TCP, UDP and SCTP with named ports serve-<port>-<proto>.
import { expect } from 'chai';
import { computeReachability } from '../../../harness/policy/reach.js';
import { evaluate, type EvalResult } from '../../../harness/policy/evaluate.js';
import type { ClusterModel, EndpointRef, PodModel, Protocol, Query } from '../../../harness/policy/model.js';
import { calico, type CniProfile } from '../../../harness/policy/profiles.js';
import type { NetworkPolicy, NetworkPolicySpec, SourcedPolicy } from '../../../harness/policy/types.js';
import { CNP_API_VERSION, CNP_KIND, type ClusterNetworkPolicy, type CnpTier, type SourcedClusterPolicy } from '../../../harness/policy/cnp/types.js';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const PODS = ['a', 'b', 'c'] as const;
export const PROTOS: Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Pod IPs: x/a = 10.0.1.1, x/b = 10.0.1.2, y/a = 10.0.2.1 ...; node-1 hosts the a pods, node-2 the rest. */
export function podIp(ns: string, pod: string): string {
  return `10.0.${NAMESPACES.indexOf(ns as 'x') + 1}.${PODS.indexOf(pod as 'a') + 1}`;
}

export const NODES = [
  { name: 'node-1', ip: '172.18.0.2' },
  { name: 'node-2', ip: '172.18.0.3' },
];

export function catalogPod(ns: string, pod: string): PodModel {
  return {
    id: `${ns}/${pod}`,
    namespace: ns,
    labels: { pod },
    ip: podIp(ns, pod),
    node: pod === 'a' ? 'node-1' : 'node-2',
    ports: [80, 81].flatMap((port) => PROTOS.map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, port, protocol }))),
  };
}

let seq = 0;
export function np(namespace: string, name: string, spec: NetworkPolicySpec): SourcedPolicy {
  const policy: NetworkPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
  return { policy, setId: 'test', file: `test-${++seq}.yaml`, docIndex: 0 };
}

export function catalogModel(policies: SourcedPolicy[], extra: Partial<ClusterModel> = {}): ClusterModel {
  return {
    namespaces: NAMESPACES.map((n) => ({ name: n, labels: { ns: n } })),
    pods: NAMESPACES.flatMap((ns) => PODS.map((p) => catalogPod(ns, p))),
    externals: [{ id: 'external:world', ip: '198.51.100.7' }],
    nodes: NODES,
    podSubnet: '10.0.0.0/16',
    policies,
    ...extra,
  };
}

function isMatrixQuery(from: EndpointRef, to: EndpointRef, q: Partial<Query>): boolean {
  const svc = (r: EndpointRef): boolean => (typeof r === 'string' ? r.startsWith('svc:') : 'service' in r);
  return !svc(from) && !svc(to) && (q.connection ?? 'new') === 'new' && q.protocol !== 'ICMP' && q.port !== undefined;
}

/**
 * Evaluates one connection and, where the bulk engine applies, checks that it agrees: every
 * catalogue row thus tests both engines.
 */
export function check(model: ClusterModel, from: EndpointRef, to: EndpointRef, port: number | undefined, protocol: Query['protocol'] = 'TCP', profile: CniProfile = calico, extra: Partial<Query> = {}): EvalResult {
  const q: Query = { from, to, protocol, ...(port !== undefined ? { port } : {}), ...extra };
  const r = evaluate(model, q, profile);
  if (isMatrixQuery(from, to, q) && protocol !== 'ICMP') {
    const m = computeReachability(model, { sources: [from], destinations: [to], ports: [{ port: port!, protocol }] }, profile);
    expect(m.at(0, 0, 0), `matrix engine vs evaluator for ${JSON.stringify(q)} (${r.explanation.summary})`).to.equal(r.verdict);
  }
  return r;
}

export function verdict(model: ClusterModel, from: EndpointRef, to: EndpointRef, port?: number, protocol: Query['protocol'] = 'TCP', profile: CniProfile = calico, extra: Partial<Query> = {}): string {
  return check(model, from, to, port, protocol, profile, extra).verdict;
}

/** A ClusterNetworkPolicy for the catalogue's model (A-series). */
export function cnp(name: string, tier: CnpTier, priority: number, spec: Omit<ClusterNetworkPolicy['spec'], 'tier' | 'priority'>): SourcedClusterPolicy {
  const policy: ClusterNetworkPolicy = { apiVersion: CNP_API_VERSION, kind: CNP_KIND, metadata: { name }, spec: { tier, priority, ...spec } };
  return { policy, setId: 'test', file: `cnp-${++seq}.yaml`, docIndex: 0 };
}
