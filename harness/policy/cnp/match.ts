// Does a ClusterNetworkPolicy select an endpoint; does one of its peers match the other end?
// Answers carry the words explanations need, like ../match.ts does for NetworkPolicies.
import { rangeContains, rangeCovers, rangesOverlap } from '../ipblock.js';
import type { PeerCheck } from '../match.js';
import { describeLabels, describeSelector, selectorMatches } from '../selectors.js';
import type { LabelSelector } from '../types.js';
import type { Endpoint, World } from '../world.js';
import type { CompiledCnp, CompiledCnpPeer } from './compile.js';

/** Some cluster policy selects the pod with rules in this direction (guarded even without a NetworkPolicy). */
export function guardedByClusterPolicy(world: World, ep: Endpoint, direction: 'ingress' | 'egress'): boolean {
  return [...world.cnp.admin, ...world.cnp.baseline].some((p) => p[direction].length > 0 && cnpSelects(p, ep));
}

/** Subjects are pods (never host-networked ones, never nodes or addresses). */
export function cnpSelects(p: CompiledCnp, ep: Endpoint): boolean {
  return ep.asPod && selectorMatches(p.subject.namespaceSelector, ep.nsLabels!) && selectorMatches(p.subject.podSelector, ep.pod!.labels);
}

export function describeCnpPeer(peer: CompiledCnpPeer): string {
  switch (peer.kind) {
    case 'namespaces':
      return `namespaces ${describeSelector(peer.namespaceSelector)}`;
    case 'pods':
      return `pods (namespaceSelector ${describeSelector(peer.namespaceSelector)}, podSelector ${describeSelector(peer.podSelector)})`;
    case 'networks':
      return `networks [${peer.cidrs.map((c) => c.text).join(', ')}]`;
    case 'unmodelled':
      return peer.field;
  }
}

function checkNetworks(world: World, peer: Extract<CompiledCnpPeer, { kind: 'networks' }>, ep: Endpoint): PeerCheck {
  const what = describeCnpPeer(peer);
  if (ep.ip) {
    const hit = peer.cidrs.find((c) => rangeContains(c.range, ep.ip!));
    return hit ? { match: true, score: 2, text: `${what}: ${hit.text} contains ${ep.ipText} (${ep.label})` } : { match: false, score: 0, text: `${what} does not contain ${ep.ipText} (${ep.label})` };
  }
  if (ep.kind === 'pod' && ep.asPod) {
    const subnet = world.podSubnet;
    const covers = subnet ? peer.cidrs.some((c) => rangeCovers(c.range, subnet)) : false;
    const overlaps = subnet ? peer.cidrs.some((c) => rangesOverlap(c.range, subnet)) : true;
    if (covers) return { match: true, score: 2, text: `${what} covers the whole pod subnet ${world.model.podSubnet!}, so ${ep.label}` };
    if (!overlaps) return { match: false, score: 0, text: `${what} does not cover any of the pod subnet ${world.model.podSubnet!}, so not ${ep.label}` };
    const match = world.profile.offlinePartialPodIp === 'match';
    const u = `${what} covers part of the pod subnet: whether it matches ${ep.label} depends on the pod IP (assumed ${match ? 'yes' : 'no'})`;
    return { match, score: match ? 2 : 1, text: u, uncertain: u };
  }
  return { match: false, score: 0, text: `${what}: the address of ${ep.label} is unknown` };
}

function selectorPart(kind: 'namespace' | 'pod', sel: LabelSelector, labels: Readonly<Record<string, string>>, name: string): { ok: boolean; text: string } {
  const ok = selectorMatches(sel, labels);
  const what = `${kind === 'namespace' ? 'namespaceSelector' : 'podSelector'} ${describeSelector(sel)}`;
  return { ok, text: ok ? `${what} matches ${name}` : `${what} does not match ${name} (labels ${describeLabels(labels)})` };
}

/** Matches one peer of a cluster policy rule against the endpoint on the other side. */
export function checkCnpPeer(world: World, peer: CompiledCnpPeer, ep: Endpoint): PeerCheck {
  if (peer.kind === 'networks') return checkNetworks(world, peer, ep);
  if (peer.kind === 'unmodelled') {
    const u = `${peer.field} peers are not modelled by the harness: assumed to match nothing`;
    return { match: false, score: 0, text: u, uncertain: u };
  }
  if (!ep.asPod) {
    const why = ep.kind === 'pod' ? `${ep.label} is treated as node traffic (CNI profile ${world.profile.name})` : `${ep.label} is not a pod`;
    return { match: false, score: 0, text: `${describeCnpPeer(peer)}: ${why}; only networks peers match it` };
  }
  const ns = selectorPart('namespace', peer.namespaceSelector, ep.nsLabels!, `namespace ${ep.namespace!}`);
  if (peer.kind === 'namespaces') return { match: ns.ok, score: ns.ok ? 2 : 0, text: ns.ok ? `namespaces ${describeSelector(peer.namespaceSelector)} matches ${ep.namespace!}, so ${ep.label}` : `namespaces: ${ns.text}` };
  const pod = selectorPart('pod', peer.podSelector, ep.pod!.labels, ep.label);
  if (ns.ok && pod.ok) return { match: true, score: 2, text: `pods: ${ns.text} and ${pod.text}` };
  if (ns.ok || pod.ok) return { match: false, score: 1, text: `pods: ${ns.ok ? ns.text : pod.text}, but ${ns.ok ? pod.text : ns.text}` };
  return { match: false, score: 0, text: `pods: ${ns.text}, and ${pod.text}` };
}
