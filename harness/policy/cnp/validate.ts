// ClusterNetworkPolicy validation equivalent to the API server's for the CRD Calico v3.32 installs
// (/work/shared/calico, bundle v0.2.0, standard channel): strict decoding (kubectl's default), the
// OpenAPI limits (priority 0-1000, at most 25 rules, peers and protocols, one field per peer) and
// the CEL rules (isCIDR, range start < end). Two additions that the experimental channel enforces
// with CEL and that no implementation can honour: a named port in a rule with a `networks` peer,
// and `nodes`/`domainNames` peers (not in the standard-channel CRD at all).
import type { Issue } from '../../errors.js';
import { formatCidr, isCidr, parseCidr } from '../../suite/cidr.js';
import { describeValue, didYouMean, quoteList } from '../../suite/hints.js';
import {
  asList,
  asString,
  decode,
  dns1123SubdomainProblems,
  int,
  isMap,
  join,
  list,
  METADATA_SHAPE,
  obj,
  portNameProblems,
  Reporter,
  SELECTOR,
  str,
  validateLabels,
  validateSelector,
  type PolicyValidationOptions,
} from '../validate.js';
import { CNP_API_VERSION, CNP_KIND, type SourcedClusterPolicy } from './types.js';

export const TIERS = ['Admin', 'Baseline'] as const;
export const ACTIONS = ['Accept', 'Deny', 'Pass'] as const;
export const MAX_PRIORITY = 1000;
export const MAX_RULES = 25;
export const MAX_PEERS = 25;
export const MAX_PROTOCOLS = 25;
export const MAX_NETWORKS = 25;
const MAX_RULE_NAME = 100;
const MAX_CIDR_LENGTH = 43;

const PORT = obj({ number: int, range: obj({ start: int, end: int }) });
const PROTO = obj({ destinationPort: PORT });
const PROTOCOL = obj({ tcp: PROTO, udp: PROTO, sctp: PROTO, destinationNamedPort: str });
const PODS = obj({ namespaceSelector: SELECTOR, podSelector: SELECTOR });
// nodes and domainNames are decoded so they get a precise message below rather than "unknown field".
const PEER = obj({ namespaces: SELECTOR, pods: PODS, networks: list(str), nodes: SELECTOR, domainNames: list(str) });
const RULE = (peers: 'from' | 'to') => obj({ name: str, action: str, [peers]: list(PEER), protocols: list(PROTOCOL) });
const CNP_SHAPE = obj({
  apiVersion: str,
  kind: str,
  metadata: METADATA_SHAPE,
  spec: obj({ tier: str, priority: int, subject: obj({ namespaces: SELECTOR, pods: PODS }), ingress: list(RULE('from')), egress: list(RULE('to')) }),
  status: obj({ conditions: list({ t: 'any' }) }),
});

const INGRESS_PEERS = ['namespaces', 'pods'];
const EGRESS_PEERS = ['namespaces', 'pods', 'networks'];
const EXPERIMENTAL_PEERS = ['nodes', 'domainNames'];

function validatePods(v: unknown, path: string, r: Reporter): void {
  if (!isMap(v)) return;
  if (v.podSelector === undefined || v.podSelector === null) r.add(join(path, 'podSelector'), 'is required: write podSelector: {} for every pod of the selected namespaces', { linePath: path });
  else validateSelector(v.podSelector, join(path, 'podSelector'), r);
  validateSelector(v.namespaceSelector, join(path, 'namespaceSelector'), r);
}

function validateNetworks(v: unknown, path: string, r: Reporter): void {
  const nets = asList(v);
  if (nets.length === 0) r.add(path, 'must list at least 1 CIDR (e.g. 10.0.0.0/8, or 0.0.0.0/0 for every IPv4 address)');
  if (nets.length > MAX_NETWORKS) r.add(path, `may list at most ${MAX_NETWORKS} CIDRs (found ${nets.length}): split the peer`);
  const seen = new Set<string>();
  nets.forEach((n, i) => {
    const text = asString(n);
    if (text === undefined) return;
    const np = join(path, i);
    if (seen.has(text)) r.add(np, `"${text}" is listed twice: networks is a set and the API server rejects duplicates`);
    seen.add(text);
    if (text.length > MAX_CIDR_LENGTH) r.add(np, `may be at most ${MAX_CIDR_LENGTH} characters`);
    const c = parseCidr(text);
    if (!isCidr(c)) r.add(np, `"${text}" is not a valid CIDR (Invalid CIDR format provided): it ${c.error}`);
    else if (c.addr !== c.network) r.add(np, `"${text}" has host bits set; it means "${formatCidr(c)}": write that (or /32 for one address)`, { severity: 'warning' });
  });
}

/** One peer: exactly one field, of the kinds allowed in this direction. Returns the field set. */
function validatePeer(v: unknown, path: string, direction: 'ingress' | 'egress', r: Reporter): string | undefined {
  const allowed = direction === 'ingress' ? INGRESS_PEERS : EGRESS_PEERS;
  if (!isMap(v)) {
    r.add(path, `must be a peer with exactly one of ${quoteList(allowed)}`);
    return undefined;
  }
  const set = Object.keys(v).filter((k) => v[k] !== null && v[k] !== undefined);
  if (set.length !== 1) {
    r.add(path, set.length === 0 ? `must set exactly one of ${quoteList(allowed)} (an empty peer is rejected)` : `must set exactly one of ${quoteList(allowed)} (found ${quoteList(set)}): put each in its own list item (peers are ORed)`);
    return undefined;
  }
  const kind = set[0]!;
  const kp = join(path, kind);
  if (EXPERIMENTAL_PEERS.includes(kind)) {
    r.add(kp, `is an experimental-channel peer: the ClusterNetworkPolicy CRD that Calico v3.32 installs (standard channel) has no "${kind}"; the harness does not model it either`);
    return kind;
  }
  if (!allowed.includes(kind)) {
    r.add(kp, `is not allowed in ${direction} peers (allowed: ${quoteList(allowed)})${kind === 'networks' ? ': networks peers are egress-only' : ''}`);
    return kind;
  }
  if (kind === 'namespaces') validateSelector(v.namespaces, kp, r);
  else if (kind === 'pods') validatePods(v.pods, kp, r);
  else validateNetworks(v.networks, kp, r);
  return kind;
}

function validatePort(v: unknown, path: string, r: Reporter): void {
  if (!isMap(v)) return;
  const dp = join(path, 'destinationPort');
  const port = v.destinationPort;
  if (!isMap(port)) {
    r.add(dp, 'is required: set destinationPort.number or destinationPort.range (omit protocols to match every port)', { linePath: path });
    return;
  }
  const keys = Object.keys(port).filter((k) => port[k] !== null && port[k] !== undefined);
  if (keys.length !== 1) {
    r.add(dp, `must set exactly one of "number", "range" (found ${keys.length === 0 ? 'none' : quoteList(keys)})`);
    return;
  }
  const inRange = (n: unknown): boolean => typeof n === 'number' && n >= 1 && n <= 65535;
  if (typeof port.number === 'number' && !inRange(port.number)) r.add(join(dp, 'number'), `must be between 1 and 65535 (found ${port.number})`);
  if (isMap(port.range)) {
    const rp = join(dp, 'range');
    const { start, end } = port.range;
    for (const [k, n] of [
      ['start', start],
      ['end', end],
    ] as const) {
      if (n === undefined || n === null) r.add(join(rp, k), 'is required', { linePath: rp });
      else if (!inRange(n)) r.add(join(rp, k), `must be between 1 and 65535 (found ${describeValue(n)})`);
    }
    if (typeof start === 'number' && typeof end === 'number' && !(start < end)) {
      r.add(rp, `Start port must be less than End port (start ${start}, end ${end})${start === end ? `: use destinationPort.number: ${start} for one port` : ''}`);
    }
  }
}

function validateProtocols(v: unknown, path: string, r: Reporter): boolean {
  if (v === undefined || v === null) return false;
  const items = asList(v);
  if (items.length === 0) r.add(path, 'must list at least 1 protocol (omit protocols to match every port and protocol)');
  if (items.length > MAX_PROTOCOLS) r.add(path, `may list at most ${MAX_PROTOCOLS} entries (found ${items.length})`);
  let named = false;
  items.forEach((p, i) => {
    const pp = join(path, i);
    if (!isMap(p)) return;
    const keys = Object.keys(p).filter((k) => p[k] !== null && p[k] !== undefined);
    if (keys.length !== 1) {
      r.add(pp, `must set exactly one of "tcp", "udp", "sctp", "destinationNamedPort" (found ${keys.length === 0 ? 'none' : quoteList(keys)}): use one list item each`);
      return;
    }
    const k = keys[0]!;
    if (k === 'destinationNamedPort') {
      named = true;
      const name = asString(p.destinationNamedPort) ?? '';
      r.addAll(join(pp, k), portNameProblems(name), `"${name}" is not a valid port name: it `);
    } else validatePort(p[k], join(pp, k), r);
  });
  return named;
}

function validateRule(v: unknown, path: string, direction: 'ingress' | 'egress', r: Reporter): void {
  if (!isMap(v)) return;
  const action = asString(v.action);
  if (action === undefined) r.add(join(path, 'action'), `is required: one of ${quoteList(ACTIONS)}`, { linePath: path });
  else if (!(ACTIONS as readonly string[]).includes(action)) {
    const hint = action === 'Allow' ? ' ("Allow" is the v1alpha1 AdminNetworkPolicy word; ClusterNetworkPolicy says "Accept")' : didYouMean(action, ACTIONS);
    r.add(join(path, 'action'), `unsupported value "${action}": supported values are ${quoteList(ACTIONS)}${hint}`);
  }
  const name = asString(v.name);
  if (name !== undefined && name.length > MAX_RULE_NAME) r.add(join(path, 'name'), `may be at most ${MAX_RULE_NAME} characters (found ${name.length})`);
  const field = direction === 'ingress' ? 'from' : 'to';
  const peers = v[field];
  const fp = join(path, field);
  const kinds: (string | undefined)[] = [];
  if (peers === undefined || peers === null) r.add(fp, `is required: list the ${direction === 'ingress' ? 'sources' : 'destinations'} (namespaces: {} for every pod)`, { linePath: path });
  else {
    const items = asList(peers);
    if (items.length === 0) r.add(fp, `must list at least 1 peer (namespaces: {} for every pod${direction === 'egress' ? ', networks: [0.0.0.0/0] for every IPv4 address' : ''})`);
    if (items.length > MAX_PEERS) r.add(fp, `may list at most ${MAX_PEERS} peers (found ${items.length})`);
    items.forEach((p, i) => kinds.push(validatePeer(p, join(fp, i), direction, r)));
  }
  const named = validateProtocols(v.protocols, join(path, 'protocols'), r);
  if (named && kinds.some((k) => k === 'networks' || k === 'nodes')) {
    r.add(join(path, 'protocols'), 'destinationNamedPort cannot be used in a rule with a networks peer (addresses have no named ports; the experimental CRD rejects it): use a port number, or split the rule');
  }
}

function validateMeta(v: unknown, r: Reporter): void {
  if (!isMap(v)) {
    if (v === null || v === undefined) r.add('metadata.name', 'is required: every ClusterNetworkPolicy needs a name');
    return;
  }
  const name = asString(v.name) ?? '';
  if (name === '') r.add('metadata.name', 'is required: every ClusterNetworkPolicy needs a name', v.name === undefined ? { linePath: 'metadata' } : {});
  else r.addAll('metadata.name', dns1123SubdomainProblems(name), `"${name}" `);
  if (v.namespace !== undefined && v.namespace !== null) {
    r.add('metadata.namespace', 'ClusterNetworkPolicy is cluster-scoped: remove metadata.namespace (the API server would drop it silently)');
  }
  validateLabels(v.labels, 'metadata.labels', r);
}

/** Validates one ClusterNetworkPolicy document as the API server would on create (strict field validation). */
export function validateClusterNetworkPolicy(p: SourcedClusterPolicy, opts: PolicyValidationOptions = {}): Issue[] {
  const r = new Reporter(p, opts.pathPrefix ?? '');
  const doc: unknown = p.policy;
  if (!isMap(doc)) {
    r.add('', `must be a mapping (a ClusterNetworkPolicy), found ${describeValue(doc)}`);
    return r.issues;
  }
  if (doc.apiVersion !== CNP_API_VERSION) r.add('apiVersion', `must be "${CNP_API_VERSION}" (found ${describeValue(doc.apiVersion)})`);
  if (doc.kind !== CNP_KIND) r.add('kind', `must be "${CNP_KIND}" (found ${describeValue(doc.kind)})`);
  if (r.issues.length > 0) return r.issues;
  decode(doc, CNP_SHAPE, '', r);
  if (r.issues.length > 0) return r.issues;
  validateMeta(doc.metadata, r);
  if (!isMap(doc.spec)) {
    r.add('spec', 'is required: tier, priority and subject');
    return r.issues;
  }
  const spec = doc.spec;
  const tier = asString(spec.tier);
  if (tier === undefined) r.add('spec.tier', `is required: one of ${quoteList(TIERS)}`, { linePath: 'spec' });
  else if (!(TIERS as readonly string[]).includes(tier)) r.add('spec.tier', `unsupported value "${tier}": supported values are ${quoteList(TIERS)}${didYouMean(tier, TIERS)}`);
  if (spec.priority === undefined || spec.priority === null) r.add('spec.priority', `is required: 0 to ${MAX_PRIORITY}, lower numbers first`, { linePath: 'spec' });
  else if (typeof spec.priority === 'number' && (spec.priority < 0 || spec.priority > MAX_PRIORITY)) {
    r.add('spec.priority', `must be between 0 and ${MAX_PRIORITY} (found ${spec.priority}); lower numbers take precedence`);
  }
  const subject = spec.subject;
  if (!isMap(subject)) r.add('spec.subject', 'is required: exactly one of "namespaces", "pods"', { linePath: 'spec' });
  else {
    const keys = Object.keys(subject).filter((k) => subject[k] !== null && subject[k] !== undefined);
    if (keys.length !== 1) r.add('spec.subject', `must set exactly one of "namespaces", "pods" (found ${keys.length === 0 ? 'none' : quoteList(keys)})`);
    else if (keys[0] === 'namespaces') validateSelector(subject.namespaces, 'spec.subject.namespaces', r);
    else validatePods(subject.pods, 'spec.subject.pods', r);
  }
  for (const direction of ['ingress', 'egress'] as const) {
    const rules = asList(spec[direction]);
    if (rules.length > MAX_RULES) r.add(join('spec', direction), `may hold at most ${MAX_RULES} rules (found ${rules.length}): split the policy`);
    rules.forEach((rule, i) => validateRule(rule, join(join('spec', direction), i), direction, r));
  }
  return r.issues;
}
