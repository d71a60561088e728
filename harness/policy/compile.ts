// Normalises NetworkPolicies the way the API server stores them (policyTypes and protocol
// defaulting, null selectors) and compiles them for evaluation. Policies the API server would
// reject are set aside with the reason: they never reach a real cluster, so they allow nothing.
import { compileIpBlock, parseCidr, rangeCovers, type CompiledIpBlock } from './ipblock.js';
import { compilePorts, type PortEntry } from './ports.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, SourcedPolicy } from './types.js';
import { validateNetworkPolicy } from './validate.js';

export type Direction = 'ingress' | 'egress';

export interface CompiledPeer {
  index: number;
  /** undefined = absent; present-but-empty selects everything. */
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: CompiledIpBlock;
  raw: NetworkPolicyPeer;
}

export interface CompiledRule {
  direction: Direction;
  index: number;
  /** `all`: `from`/`to` missing or empty, i.e. every peer including cluster-external IPs. */
  peers: CompiledPeer[] | 'all';
  ports: PortEntry[];
}

export interface CompiledPolicy {
  /** `namespace/name` */
  ref: string;
  namespace: string;
  name: string;
  source: SourcedPolicy;
  podSelector: LabelSelector;
  types: { ingress: boolean; egress: boolean };
  /** policyTypes was absent and filled in like the API server does. */
  typesDefaulted: boolean;
  /** Rules of directions in effect (rules of a direction missing from policyTypes are ignored). */
  ingress: CompiledRule[];
  egress: CompiledRule[];
}

export interface PolicyProblem {
  path: string;
  message: string;
}

export interface RejectedPolicy {
  ref: string;
  source: SourcedPolicy;
  problems: PolicyProblem[];
}

export const DEFAULT_NAMESPACE = 'default';

export const policyRef = (p: NetworkPolicy): string => `${p.metadata?.namespace ?? DEFAULT_NAMESPACE}/${p.metadata?.name ?? ''}`;

/**
 * The effective policyTypes (SetDefaults_NetworkPolicy): when empty, Ingress always, plus Egress
 * when there are egress rules. So an egress-only policy without policyTypes denies all ingress (N03).
 */
export function effectiveTypes(p: NetworkPolicy): { ingress: boolean; egress: boolean; defaulted: boolean } {
  const types = p.spec?.policyTypes;
  // Not a list (unvalidated input, rejected with a problem elsewhere): read as absent.
  if (!Array.isArray(types) || types.length === 0) return { ingress: true, egress: (p.spec?.egress?.length ?? 0) > 0, defaulted: true };
  return { ingress: types.includes('Ingress'), egress: types.includes('Egress'), defaulted: false };
}

function selectorProblems(sel: LabelSelector | null | undefined, path: string): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const [i, r] of (sel?.matchExpressions ?? []).entries()) {
    const where = `${path}.matchExpressions[${i}]`;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(r.operator)) {
      out.push({ path: `${where}.operator`, message: `"${String(r.operator)}" is not a valid selector operator` });
    } else if ((r.operator === 'In' || r.operator === 'NotIn') && (r.values ?? []).length === 0) {
      out.push({ path: `${where}.values`, message: `must be specified when operator is ${r.operator}` });
    } else if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && (r.values ?? []).length > 0) {
      out.push({ path: `${where}.values`, message: `may not be specified when operator is ${r.operator}` });
    }
  }
  return out;
}

function compilePeer(peer: NetworkPolicyPeer, index: number, path: string, problems: PolicyProblem[]): CompiledPeer | undefined {
  const where = `${path}[${index}]`;
  if (peer === null || typeof peer !== 'object') {
    problems.push({ path: where, message: 'must be a mapping' });
    return undefined;
  }
  const hasPod = peer.podSelector !== undefined && peer.podSelector !== null;
  const hasNs = peer.namespaceSelector !== undefined && peer.namespaceSelector !== null;
  if (peer.ipBlock !== undefined && peer.ipBlock !== null) {
    if (hasPod || hasNs) {
      problems.push({ path: where, message: 'may not specify both ipBlock and another peer' });
      return undefined;
    }
    const block = compileIpBlock(peer.ipBlock);
    const cidr = parseCidr(String(peer.ipBlock.cidr));
    if (!cidr) {
      problems.push({ path: `${where}.ipBlock.cidr`, message: `"${String(peer.ipBlock.cidr)}" is not a valid CIDR` });
      return undefined;
    }
    for (const [i, e] of (peer.ipBlock.except ?? []).entries()) {
      const r = parseCidr(String(e));
      if (!r) problems.push({ path: `${where}.ipBlock.except[${i}]`, message: `"${String(e)}" is not a valid CIDR` });
      else if (!rangeCovers(cidr, r) || (r.lo === cidr.lo && r.hi === cidr.hi)) {
        problems.push({ path: `${where}.ipBlock.except[${i}]`, message: `must be a strict subset of cidr ${peer.ipBlock.cidr}` });
      }
    }
    if (!block) return undefined;
    return { index, ipBlock: block, raw: peer };
  }
  if (!hasPod && !hasNs) {
    problems.push({ path: where, message: 'must specify a peer (podSelector, namespaceSelector or ipBlock)' });
    return undefined;
  }
  problems.push(...selectorProblems(peer.podSelector, `${where}.podSelector`), ...selectorProblems(peer.namespaceSelector, `${where}.namespaceSelector`));
  return {
    index,
    ...(hasPod ? { podSelector: peer.podSelector! } : {}),
    ...(hasNs ? { namespaceSelector: peer.namespaceSelector! } : {}),
    raw: peer,
  };
}

/**
 * A field that must be a list, as given (or empty when absent). Unvalidated input (lint on loose
 * files) reaches the engine too: a string or mapping there is a problem, never a crash.
 */
function listAt<T>(v: T[] | undefined, path: string, problems: PolicyProblem[]): T[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  problems.push({ path, message: 'must be a list' });
  return [];
}

function portProblems(rulePath: string, ports: unknown[] | undefined): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const [i, raw] of listAt(ports, `${rulePath}.ports`, out).entries()) {
    const where = `${rulePath}.ports[${i}]`;
    const p = (raw ?? {}) as { protocol?: unknown; port?: unknown; endPort?: unknown };
    if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol as string)) {
      out.push({ path: `${where}.protocol`, message: `${JSON.stringify(p.protocol)} is not supported (TCP, UDP or SCTP)` });
    }
    const numeric = typeof p.port === 'number';
    if (numeric && ((p.port as number) < 1 || (p.port as number) > 65535 || !Number.isInteger(p.port))) {
      out.push({ path: `${where}.port`, message: 'must be between 1 and 65535' });
    }
    if (typeof p.port === 'string' && !/^\d+$/.test(p.port) && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.port)) {
      out.push({ path: `${where}.port`, message: `"${p.port}" is not a valid port name` });
    }
    if (p.endPort !== undefined) {
      if (!numeric) out.push({ path: `${where}.endPort`, message: 'may not be specified when port is not a number' });
      else if (typeof p.endPort !== 'number' || p.endPort < (p.port as number) || p.endPort > 65535) {
        out.push({ path: `${where}.endPort`, message: 'must be a number not less than port and at most 65535' });
      }
    }
  }
  return out;
}

function compileRules(
  direction: Direction,
  rules: { from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[]; ports?: unknown[] }[] | undefined,
  problems: PolicyProblem[],
): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const [index, rule] of listAt(rules, `spec.${direction}`, problems).entries()) {
    const path = `spec.${direction}[${index}]`;
    const r = rule ?? {};
    const field = direction === 'ingress' ? 'from' : 'to';
    const peerList = listAt(direction === 'ingress' ? r.from : r.to, `${path}.${field}`, problems);
    problems.push(...portProblems(path, r.ports));
    let peers: CompiledPeer[] | 'all' = 'all';
    if (peerList.length > 0) {
      peers = [];
      for (const [i, p] of peerList.entries()) {
        const c = compilePeer(p, i, `${path}.${field}`, problems);
        if (c) peers.push(c);
      }
    }
    out.push({ direction, index, peers, ports: compilePorts(Array.isArray(r.ports) ? (r.ports as never) : undefined) });
  }
  return out;
}

/** The engine places policies without a namespace in `default`; the validator must see the same. */
function withNamespace(source: SourcedPolicy, namespace: string): SourcedPolicy {
  if (source.policy.metadata?.namespace !== undefined) return source;
  return { ...source, policy: { ...source.policy, metadata: { ...source.policy.metadata, namespace } } };
}

export function compilePolicy(source: SourcedPolicy): CompiledPolicy | RejectedPolicy {
  const p = source.policy;
  const problems: PolicyProblem[] = [];
  const namespace = p.metadata?.namespace ?? DEFAULT_NAMESPACE;
  const name = p.metadata?.name ?? '';
  const ref = `${namespace}/${name}`;
  if (!name) problems.push({ path: 'metadata.name', message: 'is required' });
  for (const [i, t] of listAt(p.spec?.policyTypes, 'spec.policyTypes', problems).entries()) {
    if (t !== 'Ingress' && t !== 'Egress') problems.push({ path: `spec.policyTypes[${i}]`, message: `"${String(t)}" must be Ingress or Egress` });
  }
  problems.push(...selectorProblems(p.spec?.podSelector, 'spec.podSelector'));
  const t = effectiveTypes(p);
  const ingress = compileRules('ingress', p.spec?.ingress, problems);
  const egress = compileRules('egress', p.spec?.egress, problems);
  // The API server's rules (validate.ts) are the reference: whatever it would reject, the engine
  // rejects too, so `validate` and `simulate` can never disagree about which policies exist.
  const seen = new Set(problems.map((x) => x.path));
  for (const issue of validateNetworkPolicy(withNamespace(source, namespace))) {
    if (issue.severity === 'warning' || seen.has(issue.path)) continue;
    seen.add(issue.path);
    problems.push({ path: issue.path, message: issue.message });
  }
  if (problems.length > 0) return { ref, source, problems };
  return {
    ref,
    namespace,
    name,
    source,
    podSelector: p.spec?.podSelector ?? {},
    types: { ingress: t.ingress, egress: t.egress },
    typesDefaulted: t.defaulted,
    ingress: t.ingress ? ingress : [],
    egress: t.egress ? egress : [],
  };
}

export function isRejected(c: CompiledPolicy | RejectedPolicy): c is RejectedPolicy {
  return 'problems' in c;
}

export interface CompiledSet {
  policies: CompiledPolicy[];
  rejected: RejectedPolicy[];
}

export function compilePolicies(list: readonly SourcedPolicy[]): CompiledSet {
  const policies: CompiledPolicy[] = [];
  const rejected: RejectedPolicy[] = [];
  for (const s of list) {
    const c = compilePolicy(s);
    if (isRejected(c)) rejected.push(c);
    else policies.push(c);
  }
  return { policies, rejected };
}
