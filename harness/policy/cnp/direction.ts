// One direction of a connection through the tiers: Admin ClusterNetworkPolicies, then
// NetworkPolicy, then Baseline ClusterNetworkPolicies, then the default allow (spec §2.2).
//   Admin Accept/Deny: final. Admin Pass or no Admin match: NetworkPolicy decides if any selects
//   the pod in this direction ("v1.NetworkPolicy always makes a final decision for selected pods");
//   otherwise the Baseline tier: Accept/Deny final, Pass or no match: allowed.
// Cluster policies never isolate a pod: a tier with no matching rule has no opinion.
import type { Direction } from '../compile.js';
import type { DirectionResult, Miss } from '../evaluate.js';
import { isolatingPolicies } from '../match.js';
import type { Protocol } from '../model.js';
import type { Endpoint, World } from '../world.js';
import { cnpSelects } from './match.js';
import { evaluateTier, type TierResult, type TierRuleMatch } from './tier.js';

const MAX_MISSES = 3;

/** The NetworkPolicy layer and the node exceptions, supplied by evaluate.ts (kept there, used unchanged). */
export interface NetworkPolicyLayer {
  direction: (world: World, direction: Direction, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number) => DirectionResult;
  exception: (world: World, direction: Direction, src: Endpoint, dst: Endpoint) => string | undefined;
}

function mergeMisses(...lists: Miss[][]): Miss[] {
  return lists
    .flat()
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_MISSES);
}

const tierMisses = (t: TierResult): Miss[] => t.misses;

/** A direction decided by an Accept or Deny rule of a tier; a deny lists the closest Accept misses of the tiers consulted. */
function decided(m: TierRuleMatch, note: string, consulted: TierResult[]): Pick<DirectionResult, 'verdict' | 'reason' | 'tier' | 'decidedBy' | 'note' | 'misses'> {
  const allow = m.action === 'Accept';
  return { verdict: allow ? 'allow' : 'deny', reason: 'tier', tier: m.tier, decidedBy: m, note, misses: allow ? [] : mergeMisses(...consulted.map(tierMisses)) };
}

const passNote = (passed: TierRuleMatch[]): string => passed.map((p) => `${p.ref} passed it on (Pass)`).join('; ');

export function tieredDirection(layer: NetworkPolicyLayer, world: World, direction: Direction, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number): DirectionResult {
  const subject = direction === 'egress' ? src : dst;
  if (!subject.asPod) return { ...layer.direction(world, direction, src, dst, protocol, port), tier: 'default' };
  const nps = isolatingPolicies(world, subject, direction);
  const base = { direction, subject: subject.label, isolatedBy: nps.map((p) => p.ref), allowedBy: [], misses: [] as Miss[] };
  const selected = [...world.cnp.admin, ...world.cnp.baseline].some((p) => cnpSelects(p, subject));
  if (selected || nps.length > 0) {
    const note = layer.exception(world, direction, src, dst);
    if (note) return { ...base, verdict: 'allow', reason: 'exception', note, uncertain: [], tier: 'default' };
  }
  const admin = evaluateTier(world, 'Admin', world.cnp.admin, direction, src, dst, protocol, port);
  const passedBy: TierRuleMatch[] = [];
  if (admin.match && admin.match.action !== 'Pass') {
    const allow = admin.match.action === 'Accept';
    const note = allow ? 'Admin tier Accept: NetworkPolicies and the Baseline tier are not consulted' : 'Admin tier Deny: no NetworkPolicy can allow it';
    return { ...base, ...decided(admin.match, note, [admin]), uncertain: admin.uncertain };
  }
  if (admin.match) passedBy.push(admin.match);
  const passed = passedBy.length > 0 ? { passedBy } : {};
  if (nps.length > 0) {
    const np = layer.direction(world, direction, src, dst, protocol, port);
    const note = [np.note, passedBy.length > 0 ? passNote(passedBy) : ''].filter(Boolean).join('; ');
    return {
      ...np,
      tier: 'NetworkPolicy',
      ...passed,
      ...(note ? { note } : {}),
      misses: np.verdict === 'deny' ? mergeMisses(np.misses, tierMisses(admin)) : np.misses,
      uncertain: [...admin.uncertain, ...np.uncertain],
    };
  }
  const baseline = evaluateTier(world, 'Baseline', world.cnp.baseline, direction, src, dst, protocol, port);
  const uncertain = [...admin.uncertain, ...baseline.uncertain];
  if (baseline.match && baseline.match.action !== 'Pass') {
    const note = `no NetworkPolicy selects ${subject.label} for ${direction}, so the Baseline tier decides${baseline.match.action === 'Accept' ? '' : ' (a NetworkPolicy selecting the pod would replace it)'}`;
    return { ...base, ...decided(baseline.match, note, [admin, baseline]), ...passed, uncertain };
  }
  if (baseline.match) passedBy.push(baseline.match);
  const why = passedBy.length > 0 ? passNote(passedBy) : `no ClusterNetworkPolicy rule matches and no NetworkPolicy selects ${subject.label} for ${direction}`;
  return { ...base, verdict: 'allow', reason: 'not-isolated', tier: 'default', ...(passedBy.length > 0 ? { passedBy } : {}), note: `allowed by default: ${why}`, uncertain };
}
