// Direct evaluation of one connection with full provenance: which policies isolate each end,
// which rule (policy, rule, peer, port index) allows it, or the closest misses. Used for single
// queries and explanations; the matrix engine (reach.ts) computes the same verdicts in bulk.
import type { Explanation } from '../diff/result.js';
import type { TierRuleMatch } from './cnp/tier.js';
import type { CompiledPolicy, Direction, RejectedPolicy } from './compile.js';
import { checkPeer, checkPorts, isolatingPolicies } from './match.js';
import type { ClusterModel, EngineVerdict, Protocol, Query } from './model.js';
import { DEFAULT_PROFILE, type CniProfile } from './profiles.js';
import { explain } from './explain.js';
import { tieredDirection } from './cnp/direction.js';
import { kubeRouterPorts, orderDependence } from './named-ports.js';
import { isNodeLike, podEndpoint, prepare, resolveRef, serviceBackends, type Endpoint, type World } from './world.js';

export interface RuleMatch {
  policy: string;
  file?: string;
  line?: number;
  direction: Direction;
  rule: number;
  /** Index in `from`/`to`; undefined when the rule has no peers (matches everyone). */
  peer?: number;
  /** Index in `ports`; undefined when the rule has no ports (all ports). */
  port?: number;
  /** `ns/name ingress[0] from[1] ports[0]` */
  ref: string;
  why: string;
  /** The peer is an ipBlock (its text, `cidr except [...]`): the rule matched the other end's address. */
  ipBlock?: string;
}

export interface Miss {
  policy: string;
  file?: string;
  line?: number;
  direction: Direction;
  rule: number;
  peer?: number;
  /** Higher is closer: peer fully matched (4) + port matched (1), half-matched peer (2). */
  score: number;
  text: string;
}

/** `tier`: a ClusterNetworkPolicy rule (Admin or Baseline) decided; see `decidedBy`. */
export type DirectionReason = 'not-subject' | 'not-isolated' | 'exception' | 'rule' | 'no-rule' | 'tier';

/** Which layer decided a direction when cluster policies are present: Admin, NetworkPolicy, Baseline or the default allow. */
export type DecidingTier = 'Admin' | 'NetworkPolicy' | 'Baseline' | 'default';

export interface DirectionResult {
  direction: Direction;
  /** The endpoint whose policies decide: the source for egress, the destination for ingress. */
  subject: string;
  verdict: 'allow' | 'deny';
  reason: DirectionReason;
  note?: string;
  isolatedBy: string[];
  allowedBy: RuleMatch[];
  /** Closest misses first (deny only). */
  misses: Miss[];
  uncertain: string[];
  /** Denied, but kube-router may admit it depending on the order it lists pods (profile `namedPorts: kube-router`): why. */
  orderDependent?: string[];
  /** Set when ClusterNetworkPolicies are in effect: the layer that decided. */
  tier?: DecidingTier;
  /** The cluster policy rule that decided (reason `tier`). */
  decidedBy?: TierRuleMatch;
  /** Pass rules that sent the connection on to the next tier. */
  passedBy?: TierRuleMatch[];
}

/** One source a source-NATed connection may carry when the backend's policies judge it (policy/nat.ts). */
export interface NatCandidate {
  /** e.g. `node kind-control-plane (172.18.0.2)`: how the backend sees the source. */
  as: string;
  /** Why this source is plausible. */
  why: string;
  result: EvalResult;
}

export interface BackendResult {
  pod: string;
  targetPort?: number;
  result: EvalResult;
}

export interface EvalResult {
  verdict: EngineVerdict;
  /** What the policies say before enforcement caveats (set when `verdict` is `unknown` for a profile reason). */
  policyVerdict?: 'allow' | 'deny';
  explanation: Explanation;
  /** How the verdict was reached when it was not by the two directions (self, ICMP, reply, ...). */
  special?: 'self' | 'hairpin' | 'not-enforced' | 'icmp' | 'reply' | 'existing' | 'sctp-unsupported' | 'no-port' | 'service' | 'named-port-order' | 'nat';
  egress?: DirectionResult;
  ingress?: DirectionResult;
  backends?: BackendResult[];
  /** Source-NATed from outside the cluster (special `nat`): each source the backend's policies may see (policy/nat.ts). */
  nat?: NatCandidate[];
  /** The verdict relies on an assumption (e.g. a pod IP unknown offline). */
  uncertain: string[];
  /** Policies left out because the API server would reject them. */
  rejected: RejectedPolicy[];
  /** Facts about the evaluation worth a line (cluster policies ignored by the profile). */
  notes?: string[];
}

const MAX_MISSES = 3;

function ruleRef(p: CompiledPolicy, direction: Direction, rule: number, peer?: number, port?: number): string {
  const field = direction === 'ingress' ? 'from' : 'to';
  return `${p.ref} ${direction}[${rule}]${peer !== undefined ? ` ${field}[${peer}]` : ''}${port !== undefined ? ` ports[${port}]` : ''}`;
}

function lineOf(p: CompiledPolicy, path: string): number | undefined {
  return p.source.lineOf?.(path);
}

/**
 * One direction of a connection. `subject` is the endpoint whose policies apply, `other` the far
 * end; named ports always resolve on the destination `dst`.
 */
export function evaluateDirection(world: World, direction: Direction, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number): DirectionResult {
  if (world.cnp.admin.length + world.cnp.baseline.length > 0) return tieredDirection(NP_LAYER, world, direction, src, dst, protocol, port);
  return networkPolicyDirection(world, direction, src, dst, protocol, port);
}

/** NetworkPolicy alone (the middle tier): isolation, exceptions, allow rules. */
export function networkPolicyDirection(world: World, direction: Direction, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number): DirectionResult {
  const subject = direction === 'egress' ? src : dst;
  const other = direction === 'egress' ? dst : src;
  const base = { direction, subject: subject.label, isolatedBy: [] as string[], allowedBy: [] as RuleMatch[], misses: [] as Miss[], uncertain: [] as string[] };
  if (!subject.asPod) {
    const note =
      subject.kind === 'pod'
        ? `${subject.label} is treated as node traffic by CNI profile ${world.profile.name}: no ${direction} policy applies`
        : `${subject.label} is not a pod: no ${direction} policy applies`;
    return { ...base, verdict: 'allow', reason: 'not-subject', note };
  }
  const policies = isolatingPolicies(world, subject, direction);
  if (policies.length === 0) {
    return { ...base, verdict: 'allow', reason: 'not-isolated', note: `${subject.label} is not isolated for ${direction} (no policy selects it with ${direction === 'ingress' ? 'Ingress' : 'Egress'} in policyTypes)` };
  }
  const isolatedBy = policies.map((p) => p.ref);
  const exception = nodeException(world, direction, src, dst);
  if (exception) return { ...base, isolatedBy, verdict: 'allow', reason: 'exception', note: exception };
  const allowedBy: RuleMatch[] = [];
  const misses: Miss[] = [];
  const uncertain: string[] = [];
  for (const p of policies) {
    for (const rule of p[direction]) {
      const ports = kubeRouterPorts(world, p, rule, protocol, port, dst) ?? checkPorts(world, rule, protocol, port, dst);
      const rulePath = `spec.${direction}[${rule.index}]`;
      if (rule.peers === 'all') {
        const field = direction === 'ingress' ? 'from' : 'to';
        if (ports.match) {
          const line = lineOf(p, rulePath);
          allowedBy.push({
            policy: p.ref,
            file: p.source.file,
            ...(line !== undefined ? { line } : {}),
            direction,
            rule: rule.index,
            ...(ports.index !== undefined ? { port: ports.index } : {}),
            ref: ruleRef(p, direction, rule.index, undefined, ports.index),
            why: `no ${field} (every ${direction === 'ingress' ? 'source' : 'destination'}), ${ports.text}`,
          });
        } else {
          const line = lineOf(p, `${rulePath}.ports`);
          misses.push({ policy: p.ref, file: p.source.file, ...(line !== undefined ? { line } : {}), direction, rule: rule.index, score: 4, text: `${ruleRef(p, direction, rule.index)}: every ${direction === 'ingress' ? 'source' : 'destination'} matches, but ${ports.text}` });
        }
        continue;
      }
      let best: { peer: number; score: number; text: string } | undefined;
      const rulePorts = ports;
      for (const peer of rule.peers) {
        const c = checkPeer(world, p, peer, other);
        const ports = peer.ipBlock ? (kubeRouterPorts(world, p, rule, protocol, port, dst, true) ?? rulePorts) : rulePorts;
        if (c.uncertain && ports.match) uncertain.push(c.uncertain);
        if (c.match && ports.match) {
          const line = lineOf(p, `${rulePath}.${direction === 'ingress' ? 'from' : 'to'}[${peer.index}]`);
          allowedBy.push({
            policy: p.ref,
            file: p.source.file,
            ...(line !== undefined ? { line } : {}),
            direction,
            rule: rule.index,
            peer: peer.index,
            ...(ports.index !== undefined ? { port: ports.index } : {}),
            ref: ruleRef(p, direction, rule.index, peer.index, ports.index),
            why: `${c.text}; ${ports.text}`,
            ...(peer.ipBlock ? { ipBlock: peer.ipBlock.text } : {}),
          });
        }
        const score = c.score * 2 + (ports.match ? 1 : 0);
        const text = c.match ? `${c.text}, but ${ports.text}` : ports.match ? c.text : `${c.text}; also ${ports.text}`;
        if (!best || score > best.score) best = { peer: peer.index, score, text };
      }
      if (best && !allowedBy.some((a) => a.policy === p.ref && a.rule === rule.index)) {
        const line = lineOf(p, `${rulePath}.${direction === 'ingress' ? 'from' : 'to'}[${best.peer}]`);
        misses.push({
          policy: p.ref,
          file: p.source.file,
          ...(line !== undefined ? { line } : {}),
          direction,
          rule: rule.index,
          peer: best.peer,
          score: best.score,
          text: `${ruleRef(p, direction, rule.index, best.peer)}: ${best.text}`,
        });
      }
    }
  }
  if (allowedBy.length > 0) return { ...base, isolatedBy, verdict: 'allow', reason: 'rule', allowedBy, uncertain };
  misses.sort((a, b) => b.score - a.score);
  const noRules = policies.every((p) => p[direction].length === 0);
  const orderDependent = orderDependence(world, policies, direction, src, dst, protocol, port);
  return {
    ...base,
    isolatedBy,
    verdict: 'deny',
    reason: 'no-rule',
    ...(orderDependent.length > 0 ? { orderDependent } : {}),
    ...(noRules ? { note: `the isolating policies have no ${direction} rules (deny all ${direction})` } : {}),
    misses: misses.slice(0, MAX_MISSES),
    uncertain,
  };
}

/** The node exceptions (same-node ingress; own-node egress under some profiles), as a note when they apply. */
export function nodeException(world: World, direction: Direction, src: Endpoint, dst: Endpoint): string | undefined {
  if (direction === 'ingress' && isNodeLike(src) && src.node !== undefined && src.node === dst.node) {
    return `traffic from ${dst.label}'s own node is always allowed (NetworkPolicy ingress exception)`;
  }
  if (direction === 'egress' && world.profile.podToOwnNode === 'allow' && isNodeLike(dst) && dst.node !== undefined && dst.node === src.node) {
    return `CNI profile ${world.profile.name} always allows a pod to reach its own node`;
  }
  return undefined;
}

const NP_LAYER = { direction: networkPolicyDirection, exception: nodeException };

function finish(world: World, r: Omit<EvalResult, 'explanation' | 'rejected' | 'uncertain'> & { uncertain?: string[] }, q: { from: string; to: string; port?: number; protocol: string }): EvalResult {
  const notes = world.cnpIgnored > 0 ? [`CNI profile ${world.profile.name} does not implement ClusterNetworkPolicy: ${world.cnpIgnored} cluster polic${world.cnpIgnored === 1 ? 'y' : 'ies'} ignored`] : [];
  const rejected = world.cnp.rejected.length > 0 ? [...world.compiled.rejected, ...world.cnp.rejected] : world.compiled.rejected;
  const full = { ...r, uncertain: r.uncertain ?? [], rejected, ...(notes.length > 0 ? { notes } : {}) } as EvalResult;
  full.explanation = explain(full, { ...q, profile: world.profile.name });
  return full;
}

/** Both directions between two resolved endpoints, with the self and profile rules applied. */
export function evaluateEndpoints(world: World, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number, viaService = false): EvalResult {
  const q = { from: src.label, to: dst.label, port, protocol };
  if (src.id === dst.id) {
    // Traffic to itself never crosses a policy point (a pod cannot block itself, N38).
    if (!viaService) return finish(world, { verdict: 'allow', special: 'self' }, q);
    if (world.profile.hairpin === 'allow') return finish(world, { verdict: 'allow', special: 'hairpin' }, q);
  }
  const egress = evaluateDirection(world, 'egress', src, dst, protocol, port);
  const ingress = evaluateDirection(world, 'ingress', src, dst, protocol, port);
  const policyVerdict = egress.verdict === 'allow' && ingress.verdict === 'allow' ? 'allow' : 'deny';
  const uncertain = [...egress.uncertain, ...ingress.uncertain];
  if (!world.profile.enforces) return finish(world, { verdict: 'allow', policyVerdict, special: 'not-enforced', egress, ingress, uncertain }, q);
  if (protocol === 'SCTP' && !world.profile.sctpSupported) {
    return finish(world, { verdict: 'unknown', policyVerdict, special: 'sctp-unsupported', egress, ingress, uncertain }, q);
  }
  const maybe = (d: DirectionResult): boolean => d.verdict === 'allow' || (d.orderDependent?.length ?? 0) > 0;
  if (policyVerdict === 'deny' && maybe(egress) && maybe(ingress)) {
    return finish(world, { verdict: 'unknown', policyVerdict, special: 'named-port-order', egress, ingress, uncertain }, q);
  }
  return finish(world, { verdict: policyVerdict, egress, ingress, uncertain }, q);
}

/** Evaluates a prepared world; see `evaluate` for the model-level entry point. */
export function evaluateIn(world: World, query: Query): EvalResult {
  const from = resolveRef(world, query.from);
  const to = resolveRef(world, query.to);
  if (from.kind !== 'endpoint') throw new Error('a Service cannot be a traffic source; use one of its pods');
  const src = from.endpoint;
  const fmt = { from: src.label, to: to.kind === 'service' ? `service ${to.service.id}` : to.endpoint.label, ...(query.port !== undefined ? { port: query.port } : {}), protocol: query.protocol };
  if (query.protocol === 'ICMP') return finish(world, { verdict: 'unknown', special: 'icmp' }, fmt);
  const protocol = query.protocol;
  if (query.port === undefined) return finish(world, { verdict: 'unknown', special: 'no-port' }, fmt);
  if (query.connection === 'existing') return finish(world, { verdict: 'unknown', special: 'existing' }, fmt);
  let result: EvalResult;
  if (to.kind === 'service') {
    const svc = to.service;
    const sp = svc.ports.find((p) => p.port === query.port && p.protocol === protocol);
    const backends: BackendResult[] = [];
    for (const pod of serviceBackends(world, svc)) {
      // DNAT: the backend's target port decides (named target ports resolve per backend).
      const target = sp === undefined ? undefined : typeof sp.targetPort === 'number' ? sp.targetPort : pod.ports.find((cp) => cp.name === sp.targetPort && cp.protocol === protocol)?.port;
      if (target === undefined) continue;
      const dst = podEndpoint(world, pod);
      backends.push({ pod: pod.id, targetPort: target, result: evaluateEndpoints(world, src, dst, protocol, target, true) });
    }
    const verdicts = new Set(backends.map((b) => b.result.verdict));
    const verdict: EngineVerdict = backends.length === 0 ? 'deny' : verdicts.size === 1 ? [...verdicts][0]! : 'mixed';
    result = finish(world, { verdict, special: 'service', backends, uncertain: backends.flatMap((b) => b.result.uncertain) }, fmt);
  } else {
    result = evaluateEndpoints(world, src, to.endpoint, protocol, query.port);
  }
  if (query.connection === 'reply') {
    // Stateful: replies of an allowed connection are allowed, whatever the reverse policies say (N32).
    return finish(world, { ...result, special: 'reply' }, fmt);
  }
  return result;
}

/** What NetworkPolicies (under a CNI profile) do to one connection, and why. */
export function evaluate(model: ClusterModel, query: Query, profile: CniProfile = DEFAULT_PROFILE): EvalResult {
  return evaluateIn(prepare(model, profile), query);
}
