// The tiers in the bulk engine (reach.ts): per endpoint class and direction, the Admin and
// Baseline rules that apply, in precedence order, as bit sets over the classes on the other side.
// A tier is first-match: a rule only decides for the classes no earlier rule of the tier took.
import { Bitset } from '../bitset.js';
import type { Universe } from '../classes.js';
import type { Direction } from '../compile.js';
import { rangeContains, rangeCovers, rangesOverlap } from '../ipblock.js';
import type { Protocol } from '../model.js';
import { selectorMatches } from '../selectors.js';
import type { LabelSelector } from '../types.js';
import type { World } from '../world.js';
import type { CompiledCnp, CompiledCnpPeer, CompiledCnpRule } from './compile.js';

export interface CnpRuleInfo {
  rule: CompiledCnpRule;
  peers: Bitset;
}

/** Rules per class: [direction][tier][class] in precedence order, and which classes any cluster policy selects. */
export interface CnpRules {
  admin: Record<Direction, CnpRuleInfo[][]>;
  baseline: Record<Direction, CnpRuleInfo[][]>;
  /** Classes some cluster policy selects (the node exceptions then apply, as they do for isolated pods). */
  selected: Uint8Array;
  count: number;
}

class CnpSelection {
  private readonly memo = new Map<string, Bitset>();
  constructor(
    private readonly world: World,
    private readonly u: Universe,
  ) {}

  private pods(nsSel: LabelSelector, podSel: LabelSelector): Bitset {
    const key = `${JSON.stringify(nsSel)}|${JSON.stringify(podSel)}`;
    let b = this.memo.get(key);
    if (!b) {
      b = new Bitset(this.u.size);
      for (const c of this.u.classes) {
        const e = c.rep;
        if (e.kind === 'pod' && e.asPod && selectorMatches(nsSel, e.nsLabels!) && selectorMatches(podSel, e.pod!.labels)) b.set(c.index);
      }
      this.memo.set(key, b);
    }
    return b;
  }

  subjects(p: CompiledCnp): Bitset {
    return this.pods(p.subject.namespaceSelector, p.subject.podSelector);
  }

  peer(peer: CompiledCnpPeer): Bitset {
    switch (peer.kind) {
      case 'namespaces':
        return this.pods(peer.namespaceSelector, {});
      case 'pods':
        return this.pods(peer.namespaceSelector, peer.podSelector);
      case 'unmodelled':
        return new Bitset(this.u.size);
      case 'networks':
        return this.networks(peer);
    }
  }

  /** Every class with an address in one of the CIDRs: pods, nodes and outside addresses alike. */
  private networks(peer: Extract<CompiledCnpPeer, { kind: 'networks' }>): Bitset {
    const out = new Bitset(this.u.size);
    const { podSubnet, profile } = this.world;
    for (const c of this.u.classes) {
      const e = c.rep;
      if (e.ip) {
        if (peer.cidrs.some((x) => rangeContains(x.range, e.ip!))) out.set(c.index);
      } else if (e.kind === 'pod' && e.asPod) {
        // Same rule as cnp/match.ts: a pod of unknown IP is somewhere in the pod subnet.
        const covers = podSubnet ? peer.cidrs.some((x) => rangeCovers(x.range, podSubnet)) : false;
        const overlaps = podSubnet ? peer.cidrs.some((x) => rangesOverlap(x.range, podSubnet)) : true;
        if (covers || (overlaps && profile.offlinePartialPodIp === 'match')) out.set(c.index);
      }
    }
    return out;
  }
}

export function cnpRules(world: World, u: Universe): CnpRules {
  const sel = new CnpSelection(world, u);
  const empty = (): Record<Direction, CnpRuleInfo[][]> => ({ ingress: u.classes.map(() => []), egress: u.classes.map(() => []) });
  const out: CnpRules = { admin: empty(), baseline: empty(), selected: new Uint8Array(u.size), count: 0 };
  for (const [tier, list] of [
    ['admin', world.cnp.admin],
    ['baseline', world.cnp.baseline],
  ] as const) {
    for (const p of list) {
      const subjects = sel.subjects(p);
      if (subjects.isEmpty()) continue;
      for (const direction of ['ingress', 'egress'] as const) {
        const infos = p[direction].map((rule): CnpRuleInfo => {
          out.count++;
          const b = new Bitset(u.size);
          for (const peer of rule.peers) b.or(sel.peer(peer));
          return { rule, peers: b };
        });
        for (const c of subjects) for (const r of infos) out[tier][direction][c]!.push(r);
      }
      for (const c of subjects) out.selected[c] = 1;
    }
  }
  return out;
}

/** Opens `port/protocol` by number (ranges of cluster policies are whole; named ports aside). */
function numeric(rule: CompiledCnpRule, protocol: Protocol, port: number): boolean {
  return rule.ports.some((e) => e.kind === 'all' || (e.protocol === protocol && (e.kind === 'protocol' || (e.kind === 'range' && port >= e.lo && port <= e.hi))));
}

/**
 * The classes on the other side a rule matches on `port/protocol`. Named ports resolve on the
 * destination: for egress on each destination class, for ingress on the subject class `dstPorts`.
 */
function matchedPeers(u: Universe, info: CnpRuleInfo, protocol: Protocol, port: number, direction: Direction, dstPorts?: readonly { name?: string; port: number; protocol: Protocol }[]): Bitset | undefined {
  if (numeric(info.rule, protocol, port)) return info.peers;
  let out: Bitset | undefined;
  for (const e of info.rule.ports) {
    if (e.kind !== 'named' || e.protocol !== protocol) continue;
    if (direction === 'ingress') {
      if (dstPorts?.some((cp) => cp.name === e.name && cp.protocol === protocol && cp.port === port)) return info.peers;
      continue;
    }
    const named = u.namedPorts.get(`${e.name}/${protocol}`)?.get(port);
    if (named) (out ??= new Bitset(u.size)).or(named.clone().and(info.peers));
  }
  return out;
}

/** First-match over a tier's rules: the classes Accepted and the classes Denied (Pass takes them out of the tier). */
export function tierDecisions(
  u: Universe,
  rules: readonly CnpRuleInfo[],
  protocol: Protocol,
  port: number,
  direction: Direction,
  dstPorts?: readonly { name?: string; port: number; protocol: Protocol }[],
): { accept: Bitset; deny: Bitset } {
  const accept = new Bitset(u.size);
  const deny = new Bitset(u.size);
  if (rules.length === 0) return { accept, deny };
  const taken = new Bitset(u.size);
  for (const info of rules) {
    const m = matchedPeers(u, info, protocol, port, direction, dstPorts);
    if (!m) continue;
    const fresh = m.clone().andNot(taken);
    if (info.rule.action === 'Accept') accept.or(fresh);
    else if (info.rule.action === 'Deny') deny.or(fresh);
    taken.or(fresh);
  }
  return { accept, deny };
}

/**
 * Combines the tiers for one subject class and port: Admin Accept, else (not Admin Deny and) the
 * NetworkPolicy verdict when a NetworkPolicy isolates the class, else not Baseline Deny.
 */
export function combineTiers(
  u: Universe,
  admin: { accept: Bitset; deny: Bitset },
  baseline: () => { accept: Bitset; deny: Bitset },
  networkPolicy: Bitset | undefined,
): Bitset {
  const next = networkPolicy ? networkPolicy.clone() : Bitset.full(u.size).andNot(baseline().deny);
  return next.andNot(admin.deny).or(admin.accept);
}
