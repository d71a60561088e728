// Every port open between two endpoints, as port interval sets with provenance: egress of the
// source ∩ ingress of the destination, each interval remembering the rules that opened it.
// Answers "what can A reach on B" without probing port by port.
import type { Direction } from './compile.js';
import { evaluateDirection } from './evaluate.js';
import { checkPeer, isolatingPolicies } from './match.js';
import type { ClusterModel, EndpointRef } from './model.js';
import { effectiveHi, PortSet, PROTOCOLS, MAX_PORT, resolveNamedPort, type Provenance } from './ports.js';
import { DEFAULT_PROFILE, type CniProfile } from './profiles.js';
import { isKubeRouterNamedPorts, namespaceNumbers, opensToAll } from './named-ports.js';
import { isNodeLike, prepare, resolveRef, type Endpoint, type World } from './world.js';

export interface Connections {
  egress: PortSet;
  ingress: PortSet;
  /** What may actually flow: egress ∩ ingress (everything for self traffic or a non-enforcing CNI). */
  allowed: PortSet;
}

/**
 * With cluster policies, first-match tiers make port sets subtract as well as add: cut every
 * protocol's port space at each boundary a rule or the destination's named ports can make, and
 * judge one port per piece with the evaluator.
 */
function tieredPorts(world: World, direction: Direction, src: Endpoint, dst: Endpoint): PortSet {
  const set = new PortSet();
  const rules = [...world.compiled.policies.flatMap((p) => [...p.ingress, ...p.egress]), ...[...world.cnp.admin, ...world.cnp.baseline].flatMap((p) => [...p.ingress, ...p.egress])];
  for (const proto of PROTOCOLS) {
    const cuts = new Set<number>([1, MAX_PORT + 1]);
    for (const r of rules) {
      for (const e of r.ports) {
        if (e.kind === 'range') cuts.add(e.lo).add(e.hi + 1).add(effectiveHi(e, world.profile) + 1);
      }
    }
    for (const cp of dst.asPod ? dst.pod!.ports : []) cuts.add(cp.port).add(cp.port + 1);
    const sorted = [...cuts].filter((c) => c >= 1 && c <= MAX_PORT + 1).sort((a, b) => a - b);
    for (let i = 0; i + 1 < sorted.length; i++) {
      const d = evaluateDirection(world, direction, src, dst, proto, sorted[i]!);
      if (d.verdict !== 'allow') continue;
      const m = d.decidedBy ?? d.allowedBy[0];
      set.add(proto, sorted[i]!, sorted[i + 1]! - 1, m ? { policy: m.policy, direction, rule: m.rule, ...(m.peer !== undefined ? { peer: m.peer } : {}) } : { policy: d.tier === 'default' ? 'default-allow' : d.reason });
    }
  }
  return set;
}

function directionPorts(world: World, direction: Direction, src: Endpoint, dst: Endpoint): PortSet {
  if (world.cnp.admin.length + world.cnp.baseline.length > 0) return tieredPorts(world, direction, src, dst);
  const subject = direction === 'egress' ? src : dst;
  const other = direction === 'egress' ? dst : src;
  if (!subject.asPod) return PortSet.all({ policy: 'not-subject' });
  const policies = isolatingPolicies(world, subject, direction);
  if (policies.length === 0) return PortSet.all({ policy: 'not-isolated' });
  if (direction === 'ingress' && isNodeLike(src) && src.node !== undefined && src.node === dst.node) return PortSet.all({ policy: 'same-node' });
  if (direction === 'egress' && world.profile.podToOwnNode === 'allow' && isNodeLike(dst) && dst.node !== undefined && dst.node === src.node) {
    return PortSet.all({ policy: 'own-node' });
  }
  const set = new PortSet();
  const dstPorts = dst.asPod ? dst.pod!.ports : undefined;
  for (const p of policies) {
    for (const rule of p[direction]) {
      const peer = rule.peers === 'all' ? undefined : rule.peers.find((x) => checkPeer(world, p, x, other).match);
      if (rule.peers !== 'all' && !peer) continue;
      const by = (port?: number): Provenance => ({ policy: p.ref, direction, rule: rule.index, ...(peer ? { peer: peer.index } : {}), ...(port !== undefined ? { port } : {}) });
      // kube-router: egress named ports apply through pod peers only, and without `to` mean the namespace's numbers.
      const namedThrough = isKubeRouterNamedPorts(world) && direction === 'egress' && rule.peers !== 'all' ? rule.peers.some((x) => !x.ipBlock && checkPeer(world, p, x, other).match) : true;
      for (const e of rule.ports) {
        if (e.kind === 'all') for (const proto of PROTOCOLS) set.add(proto, 1, MAX_PORT, by());
        else if (e.kind === 'protocol') set.add(e.protocol, 1, MAX_PORT, by(e.index));
        else if (e.kind === 'range') set.add(e.protocol, e.lo, effectiveHi(e, world.profile), by(e.index));
        else if (opensToAll(world, rule)) {
          for (const n of namespaceNumbers(world, p.namespace, e.name, e.protocol)) set.add(e.protocol, n, n, by(e.index));
        } else if (namedThrough) {
          // Named ports resolve on the destination, per protocol.
          const n = resolveNamedPort(e.name, e.protocol, dstPorts);
          if (n !== undefined) set.add(e.protocol, n, n, by(e.index));
        }
      }
    }
  }
  return set;
}

/** Open ports from one endpoint to another (pods, nodes, addresses; not Services). */
export function connectionsIn(world: World, from: EndpointRef, to: EndpointRef): Connections {
  const a = resolveRef(world, from);
  const b = resolveRef(world, to);
  if (a.kind !== 'endpoint' || b.kind !== 'endpoint') throw new Error('connections are computed between pods, nodes and addresses; resolve a Service to its backends first');
  const src = a.endpoint;
  const dst = b.endpoint;
  const egress = directionPorts(world, 'egress', src, dst);
  const ingress = directionPorts(world, 'ingress', src, dst);
  if (src.id === dst.id) return { egress, ingress, allowed: PortSet.all({ policy: 'self' }) };
  if (!world.profile.enforces) return { egress, ingress, allowed: PortSet.all({ policy: 'not-enforced' }) };
  return { egress, ingress, allowed: egress.intersect(ingress) };
}

export function connections(model: ClusterModel, from: EndpointRef, to: EndpointRef, profile: CniProfile = DEFAULT_PROFILE): Connections {
  return connectionsIn(prepare(model, profile), from, to);
}
