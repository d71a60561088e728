// ClusterNetworkPolicies compiled for evaluation: per tier, in precedence order (priority, then
// name: two policies of one priority are ordered by the implementation, the harness picks the
// name so answers are stable, and lint warns when it matters). Documents the API server would
// reject are set aside with the reason, as compile.ts does for NetworkPolicies.
import type { Direction, PolicyProblem, RejectedPolicy } from '../compile.js';
import { parseCidr, type IpRange } from '../ipblock.js';
import { PROTOCOLS, type PortEntry } from '../ports.js';
import type { LabelSelector, SourcedPolicy } from '../types.js';
import { cnpRef, type CnpAction, type CnpPeer, type CnpProtocol, type CnpRule, type CnpTier, type SourcedClusterPolicy } from './types.js';
import { validateClusterNetworkPolicy } from './validate.js';

export type CompiledCnpPeer =
  | { index: number; kind: 'namespaces'; namespaceSelector: LabelSelector }
  | { index: number; kind: 'pods'; namespaceSelector: LabelSelector; podSelector: LabelSelector }
  | { index: number; kind: 'networks'; cidrs: { text: string; range: IpRange }[] }
  /** nodes / domainNames: the harness does not model them; they match nothing and explanations say so. */
  | { index: number; kind: 'unmodelled'; field: string };

export interface CompiledCnpRule {
  direction: Direction;
  index: number;
  name?: string;
  action: CnpAction;
  peers: CompiledCnpPeer[];
  ports: PortEntry[];
}

export interface CompiledCnp {
  /** `ClusterNetworkPolicy/<name>` */
  ref: string;
  name: string;
  tier: CnpTier;
  priority: number;
  source: SourcedClusterPolicy;
  /** Subject as a pods selector (a `namespaces` subject has an empty podSelector). */
  subject: { namespaceSelector: LabelSelector; podSelector: LabelSelector };
  ingress: CompiledCnpRule[];
  egress: CompiledCnpRule[];
}

export interface CompiledCnpSet {
  /** Precedence order within each tier. */
  admin: CompiledCnp[];
  baseline: CompiledCnp[];
  rejected: RejectedPolicy[];
}

export const EMPTY_CNP_SET: CompiledCnpSet = { admin: [], baseline: [], rejected: [] };

/** `protocols` as port entries; a named port matches the container port of that name whatever its protocol. */
export function cnpPorts(protocols: CnpProtocol[] | undefined): PortEntry[] {
  if (!protocols || protocols.length === 0) return [{ kind: 'all' }];
  const out: PortEntry[] = [];
  protocols.forEach((p, index) => {
    if (p.destinationNamedPort !== undefined) {
      for (const protocol of PROTOCOLS) out.push({ kind: 'named', index, protocol, name: p.destinationNamedPort });
      return;
    }
    for (const [key, protocol] of [
      ['tcp', 'TCP'],
      ['udp', 'UDP'],
      ['sctp', 'SCTP'],
    ] as const) {
      const d = p[key]?.destinationPort;
      if (!d) continue;
      if (d.number !== undefined) out.push({ kind: 'range', index, protocol, lo: d.number, hi: d.number });
      else if (d.range) out.push({ kind: 'range', index, protocol, lo: d.range.start, hi: d.range.end });
    }
  });
  return out;
}

function compilePeer(peer: CnpPeer, index: number): CompiledCnpPeer {
  if (peer.namespaces) return { index, kind: 'namespaces', namespaceSelector: peer.namespaces };
  if (peer.pods) return { index, kind: 'pods', namespaceSelector: peer.pods.namespaceSelector ?? {}, podSelector: peer.pods.podSelector };
  if (peer.networks) return { index, kind: 'networks', cidrs: peer.networks.map((text) => ({ text, range: parseCidr(text)! })) };
  return { index, kind: 'unmodelled', field: Object.keys(peer)[0] ?? '(empty)' };
}

function compileRules(direction: Direction, rules: CnpRule[] | undefined): CompiledCnpRule[] {
  return (rules ?? []).map((r, index) => ({
    direction,
    index,
    ...(r.name !== undefined ? { name: r.name } : {}),
    action: r.action,
    peers: ((direction === 'ingress' ? r.from : r.to) ?? []).map(compilePeer),
    ports: cnpPorts(r.protocols),
  }));
}

export function compileCnp(source: SourcedClusterPolicy): CompiledCnp | RejectedPolicy {
  const p = source.policy;
  const name = typeof p?.metadata?.name === 'string' ? p.metadata.name : '';
  const ref = cnpRef(name);
  const problems: PolicyProblem[] = validateClusterNetworkPolicy(source)
    .filter((i) => i.severity !== 'warning')
    .map((i) => ({ path: i.path, message: i.message }));
  // RejectedPolicy carries a SourcedPolicy; the fields explanations read (file) are the same.
  if (problems.length > 0) return { ref, source: source as unknown as SourcedPolicy, problems };
  const s = p.spec.subject;
  return {
    ref,
    name,
    tier: p.spec.tier,
    priority: p.spec.priority,
    source,
    subject: s.namespaces ? { namespaceSelector: s.namespaces, podSelector: {} } : { namespaceSelector: s.pods!.namespaceSelector ?? {}, podSelector: s.pods!.podSelector },
    ingress: compileRules('ingress', p.spec.ingress),
    egress: compileRules('egress', p.spec.egress),
  };
}

const byPrecedence = (a: CompiledCnp, b: CompiledCnp): number => a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function compileCnps(list: readonly SourcedClusterPolicy[]): CompiledCnpSet {
  const admin: CompiledCnp[] = [];
  const baseline: CompiledCnp[] = [];
  const rejected: RejectedPolicy[] = [];
  for (const s of list) {
    const c = compileCnp(s);
    if ('problems' in c) rejected.push(c);
    else (c.tier === 'Admin' ? admin : baseline).push(c);
  }
  return { admin: admin.sort(byPrecedence), baseline: baseline.sort(byPrecedence), rejected };
}

/** Every CIDR boundary and named port the cluster policies use (the class universe must tell them apart). */
export function cnpBoundaries(set: CompiledCnpSet): IpRange[] {
  const out: IpRange[] = [];
  for (const p of [...set.admin, ...set.baseline]) {
    for (const r of [...p.ingress, ...p.egress]) for (const peer of r.peers) if (peer.kind === 'networks') out.push(...peer.cidrs.map((c) => c.range));
  }
  return out;
}

export function cnpPortNames(set: CompiledCnpSet): Set<string> {
  const out = new Set<string>();
  for (const p of [...set.admin, ...set.baseline]) {
    for (const r of [...p.ingress, ...p.egress]) for (const e of r.ports) if (e.kind === 'named') out.add(`${e.name}/${e.protocol}`);
  }
  return out;
}
