// Does a policy select an endpoint; does a peer or a ports list match it? Each answer carries the
// words an explanation needs ("namespaceSelector matches kube-system, but podSelector ... does not").
import type { CompiledPeer, CompiledPolicy, CompiledRule, Direction } from './compile.js';
import { ipBlockCoverage, ipBlockMatch } from './ipblock.js';
import type { Protocol } from './model.js';
import { describeEntries, describeEntry, entryMatches, resolveNamedPort } from './ports.js';
import { describeLabels, describeSelector, failingRequirements, selectorMatches } from './selectors.js';
import type { Endpoint, World } from './world.js';

/** A policy applies to an endpoint in a direction when it selects it and lists that policy type. */
export function policySelects(p: CompiledPolicy, ep: Endpoint): boolean {
  return ep.asPod && ep.namespace === p.namespace && selectorMatches(p.podSelector, ep.pod!.labels);
}

export function isolatingPolicies(world: World, ep: Endpoint, direction: Direction): CompiledPolicy[] {
  if (!ep.asPod) return [];
  return (world.byNamespace.get(ep.namespace!) ?? []).filter((p) => p.types[direction] && policySelects(p, ep));
}

export interface PeerCheck {
  match: boolean;
  /** 2 = matches, 1 = half of it matches (namespace but not pod, or inside cidr but excepted), 0 = not at all. */
  score: number;
  text: string;
  /** Set when the answer depends on something unknown offline (a pod's IP). */
  uncertain?: string;
}

function describePeer(peer: CompiledPeer): string {
  if (peer.ipBlock) return `ipBlock ${peer.ipBlock.text}`;
  const parts: string[] = [];
  if (peer.namespaceSelector) parts.push(`namespaceSelector ${describeSelector(peer.namespaceSelector)}`);
  if (peer.podSelector) parts.push(`podSelector ${describeSelector(peer.podSelector)}`);
  return parts.join(' + ');
}

function checkIpBlock(world: World, peer: CompiledPeer, ep: Endpoint): PeerCheck {
  const block = peer.ipBlock!;
  const { profile } = world;
  const what = `ipBlock ${block.text}`;
  const honour = profile.exceptSupported;
  if (ep.kind === 'pod' && ep.asPod && !profile.ipBlockMatchesPodIPs) {
    return { match: false, score: 0, text: `${what}: CNI profile ${profile.name} does not match pod IPs with ipBlock` };
  }
  if (ep.kind === 'node' || (ep.kind === 'pod' && !ep.asPod)) {
    if (!profile.ipBlockMatchesNodeIPs) return { match: false, score: 0, text: `${what}: CNI profile ${profile.name} does not match node IPs with ipBlock` };
  }
  if (!ep.ip) {
    if (ep.kind === 'pod' && ep.asPod) {
      // Offline: the pod is somewhere in the pod subnet (docs/engine.md "pod IPs offline").
      if (!world.podSubnet) {
        const match = profile.offlinePartialPodIp === 'match';
        const u = `${what} vs ${ep.label}: the pod IP is unknown (no pod subnet given); assumed ${match ? 'inside' : 'outside'}`;
        return { match, score: match ? 2 : 1, text: u, uncertain: u };
      }
      const cov = ipBlockCoverage(block, world.podSubnet, honour);
      const subnet = world.model.podSubnet!;
      if (cov === 'all') return { match: true, score: 2, text: `${what} covers the whole pod subnet ${subnet}, so ${ep.label}` };
      if (cov === 'none') return { match: false, score: 0, text: `${what} does not cover any of the pod subnet ${subnet}, so not ${ep.label}` };
      const match = profile.offlinePartialPodIp === 'match';
      const u = `${what} covers part of the pod subnet ${subnet}: whether it matches ${ep.label} depends on the pod IP (assumed ${match ? 'yes' : 'no'})`;
      return { match, score: match ? 2 : 1, text: u, uncertain: u };
    }
    return { match: false, score: 0, text: `${what}: the address of ${ep.label} is unknown` };
  }
  const m = ipBlockMatch(block, ep.ip, honour, peer.raw.ipBlock);
  if (m.match) return { match: true, score: 2, text: `${what} contains ${ep.ipText}` };
  if (m.why === 'excepted') return { match: false, score: 1, text: `${what}: cidr contains ${ep.ipText}, but except ${m.except ?? ''} excludes it` };
  return { match: false, score: 0, text: `${what} does not contain ${ep.ipText} (${ep.label})` };
}

/** Matches one peer of a rule in `policy` against the endpoint on the other side. */
export function checkPeer(world: World, policy: CompiledPolicy, peer: CompiledPeer, ep: Endpoint): PeerCheck {
  if (peer.ipBlock) return checkIpBlock(world, peer, ep);
  const what = describePeer(peer);
  if (!ep.asPod) {
    const why =
      ep.kind === 'pod'
        ? `${ep.label} is treated as node traffic (CNI profile ${world.profile.name}), which selectors never match`
        : `selectors never match ${ep.kind === 'node' ? 'a node' : 'an address outside the cluster'} (${ep.label})`;
    return { match: false, score: 0, text: `${what}: ${why}` };
  }
  const ns = ep.namespace!;
  const labels = ep.pod!.labels;
  const podFails = peer.podSelector ? failingRequirements(peer.podSelector, labels) : [];
  const podPart = peer.podSelector
    ? podFails.length === 0
      ? `podSelector ${describeSelector(peer.podSelector)} matches pod labels ${describeLabels(labels)}`
      : `podSelector ${describeSelector(peer.podSelector)} does not match pod labels ${describeLabels(labels)} (fails ${podFails.join(', ')})`
    : '';
  if (peer.namespaceSelector) {
    const nsLabels = ep.nsLabels!;
    const nsOk = selectorMatches(peer.namespaceSelector, nsLabels);
    const nsPart = nsOk
      ? `namespaceSelector ${describeSelector(peer.namespaceSelector)} matches ${ns}`
      : `namespaceSelector ${describeSelector(peer.namespaceSelector)} does not match namespace ${ns} (labels ${describeLabels(nsLabels)})`;
    if (!peer.podSelector) return { match: nsOk, score: nsOk ? 2 : 0, text: nsOk ? `${nsPart}, so ${ep.label}` : nsPart };
    const podOk = podFails.length === 0;
    if (nsOk && podOk) return { match: true, score: 2, text: `${nsPart} and ${podPart}` };
    if (nsOk) return { match: false, score: 1, text: `${nsPart}, but ${podPart}` };
    if (podOk) return { match: false, score: 1, text: `${podPart}, but ${nsPart}` };
    return { match: false, score: 0, text: `${nsPart}, and ${podPart}` };
  }
  // podSelector alone: pods of the policy's own namespace only.
  const sameNs = ns === policy.namespace;
  const podOk = podFails.length === 0;
  if (sameNs && podOk) return { match: true, score: 2, text: podPart };
  if (!sameNs) {
    const sel = `podSelector ${describeSelector(peer.podSelector)}`;
    return {
      match: false,
      score: podOk ? 1 : 0,
      text: `${sel} without namespaceSelector selects pods in ${policy.namespace} only, and ${ep.label} is in ${ns}${podOk ? ' (its labels would match)' : ''}`,
    };
  }
  return { match: false, score: 0, text: podPart };
}

export interface PortCheck {
  match: boolean;
  /** Index in the rule's `ports` list of the first entry that matches (undefined for "all ports"). */
  index?: number;
  text: string;
}

export function checkPorts(world: World, rule: CompiledRule, protocol: Protocol, port: number, dst: Endpoint): PortCheck {
  const dstPorts = dst.asPod ? dst.pod!.ports : undefined;
  for (const e of rule.ports) {
    if (entryMatches(e, protocol, port, dstPorts, world.profile)) {
      if (e.kind === 'all') return { match: true, text: 'all ports' };
      const via = e.kind === 'named' ? ` (named port ${e.name} is ${port}/${protocol} on ${dst.label})` : '';
      return { match: true, index: e.index, text: `ports[${e.index}] ${describeEntry(e)}${via}` };
    }
  }
  const notes: string[] = [];
  for (const e of rule.ports) {
    if (e.kind === 'named' && e.protocol === protocol) {
      if (!dstPorts) notes.push(`named port ${e.name} cannot match ${dst.label}, which is not a pod`);
      else {
        const n = resolveNamedPort(e.name, protocol, dstPorts);
        const other = dstPorts.find((p) => p.name === e.name);
        if (n !== undefined) notes.push(`named port ${e.name} is ${n}/${protocol} on ${dst.label}`);
        else if (other) notes.push(`named port ${e.name} is ${other.port}/${other.protocol} on ${dst.label}, not ${protocol}`);
        else notes.push(`${dst.label} has no ${protocol} port named ${e.name}`);
      }
    }
    if (e.kind === 'named' && e.protocol !== protocol && dstPorts?.some((p) => p.name === e.name && p.protocol !== e.protocol)) {
      notes.push(`named port ${e.name} is declared for ${e.protocol} in the policy but ${dstPorts.find((p) => p.name === e.name)!.protocol} on ${dst.label}`);
    }
    if (e.kind === 'range' && e.endPort !== undefined && !world.profile.endPortSupported && port > e.lo && port <= e.hi) {
      notes.push(`CNI profile ${world.profile.name} ignores endPort, so only ${e.lo}/${e.protocol} is allowed`);
    }
  }
  return { match: false, text: `${port}/${protocol} is not in ports ${describeEntries(rule.ports)}${notes.length ? ` (${notes.join('; ')})` : ''}` };
}
