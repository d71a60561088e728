// One tier (Admin or Baseline) of ClusterNetworkPolicies for one direction of one connection:
// the first rule, in precedence order, whose peers and protocols match decides (Accept, Deny or
// Pass). No rule matching means the tier has no opinion: there is no implicit isolation.
import type { Direction } from '../compile.js';
import type { Protocol } from '../model.js';
import type { Miss } from '../evaluate.js';
import { describeEntry, entryMatches } from '../ports.js';
import type { CniProfile } from '../profiles.js';
import type { Endpoint, World } from '../world.js';
import type { CompiledCnp, CompiledCnpRule } from './compile.js';
import { checkCnpPeer, cnpSelects } from './match.js';
import type { CnpAction, CnpTier } from './types.js';

export interface TierRuleMatch {
  policy: string;
  file?: string;
  line?: number;
  tier: CnpTier;
  priority: number;
  direction: Direction;
  rule: number;
  ruleName?: string;
  action: CnpAction;
  peer?: number;
  port?: number;
  /** `ClusterNetworkPolicy/x ingress[0] "name" from[1] protocols[0]` */
  ref: string;
  why: string;
}

/** A near miss of an Accept rule, in the evaluator's terms. */
export type TierMiss = Miss;

export interface TierResult {
  tier: CnpTier;
  /** Policies of the tier that select the subject, in precedence order. */
  selecting: string[];
  /** The rule that matched first; undefined when none did (the tier has no opinion). */
  match?: TierRuleMatch;
  /** Accept rules that nearly matched, closest first (for explaining a deny). */
  misses: TierMiss[];
  uncertain: string[];
}

function portCheck(rule: CompiledCnpRule, protocol: Protocol, port: number, dst: Endpoint, profile: CniProfile): { match: boolean; index?: number; text: string } {
  for (const e of rule.ports) {
    if (!entryMatches(e, protocol, port, dst.asPod ? dst.pod!.ports : undefined, profile)) continue;
    if (e.kind === 'all') return { match: true, text: 'all ports' };
    const name = e.kind === 'named' ? `destinationNamedPort ${e.name} (${port}/${protocol} on ${dst.label})` : describeEntry(e);
    return { match: true, index: e.index, text: `protocols[${e.index}] ${name}` };
  }
  const seen = new Set<number>();
  const listed = rule.ports.filter((e) => e.kind !== 'all' && !seen.has(e.index) && seen.add(e.index)).map((e) => (e.kind === 'named' ? `named ${e.name}` : describeEntry(e)));
  return { match: false, text: `${port}/${protocol} is not in protocols [${listed.join(', ')}]` };
}

export function ruleLabel(p: CompiledCnp, rule: CompiledCnpRule): string {
  return `${p.ref} ${rule.direction}[${rule.index}]${rule.name ? ` "${rule.name}"` : ''}`;
}

/** Evaluates one tier; `policies` are the tier's policies in precedence order. */
export function evaluateTier(world: World, tier: CnpTier, policies: readonly CompiledCnp[], direction: Direction, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number): TierResult {
  const subject = direction === 'egress' ? src : dst;
  const other = direction === 'egress' ? dst : src;
  const field = direction === 'ingress' ? 'from' : 'to';
  const out: TierResult = { tier, selecting: [], misses: [], uncertain: [] };
  if (!subject.asPod) return out;
  for (const p of policies) {
    if (!cnpSelects(p, subject)) continue;
    out.selecting.push(p.ref);
    for (const rule of p[direction]) {
      const ports = portCheck(rule, protocol, port, dst, world.profile);
      let best: TierMiss | undefined;
      for (const peer of rule.peers) {
        const c = checkCnpPeer(world, peer, other);
        if (c.uncertain && ports.match) out.uncertain.push(c.uncertain);
        const path = `spec.${direction}[${rule.index}].${field}[${peer.index}]`;
        const line = p.source.lineOf?.(path);
        if (c.match && ports.match) {
          out.match = {
            policy: p.ref,
            file: p.source.file,
            ...(line !== undefined ? { line } : {}),
            tier,
            priority: p.priority,
            direction,
            rule: rule.index,
            ...(rule.name !== undefined ? { ruleName: rule.name } : {}),
            action: rule.action,
            peer: peer.index,
            ...(ports.index !== undefined ? { port: ports.index } : {}),
            ref: `${ruleLabel(p, rule)} ${field}[${peer.index}]${ports.index !== undefined ? ` protocols[${ports.index}]` : ''}`,
            why: `${c.text}; ${ports.text}`,
          };
          return out;
        }
        const score = c.score * 2 + (ports.match ? 1 : 0);
        if (rule.action === 'Accept' && (!best || score > best.score)) {
          const text = c.match ? `${c.text}, but ${ports.text}` : ports.match ? c.text : `${c.text}; also ${ports.text}`;
          best = { policy: p.ref, file: p.source.file, ...(line !== undefined ? { line } : {}), direction, rule: rule.index, peer: peer.index, score, text: `${ruleLabel(p, rule)} ${field}[${peer.index}] (Accept): ${text}` };
        }
      }
      if (best) out.misses.push(best);
    }
  }
  out.misses.sort((a, b) => b.score - a.score);
  return out;
}
