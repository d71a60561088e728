// Connections from outside the cluster that enter through a node and reach a pod after kube-proxy's
// DNAT: a Service ClusterIP routed through a node, or a NodePort on a node's address. kube-proxy
// also source-NATs them (the client is outside the cluster CIDR; NodePort with externalTrafficPolicy
// Cluster always), and whether a policy sees the source before or after that SNAT is not defined
// (spec §1.5 "ipBlock"; docs/externals.md). So such a connection is judged for every source the
// backend's ingress may plausibly see; when those disagree the verdict is `unknown`
// (implementation-defined), and the explanation says which source gives which answer.
//
// Backend on another node than the one the connection entered through: the gateway node SNATs it
// before forwarding, so the backend sees the gateway node, by its address on the node network
// (native routing: kube-router) or by its address in the pod network (a tunnel or bridge address:
// overlay modes). Backend on the gateway node itself: SNAT happens on the way out of the same node,
// so an iptables CNI filtering in FORWARD sees the client's own address, one filtering after the
// SNAT sees the pod's own node, which policies always allow (N33).
import { evaluateEndpoints, type EvalResult, type NatCandidate } from './evaluate.js';
import { explain } from './explain.js';
import { formatIp, parseCidr } from './ipblock.js';
import type { Protocol } from './model.js';
import { nodeEndpoint, resolveRef, type Endpoint, type World } from './world.js';

export type NatPath = 'service' | 'nodeport';

export interface NatQuery {
  /** An external endpoint id (`external:<name>`). */
  from: string;
  /** The backend pod (after DNAT). */
  to: string;
  /** The backend's port (a Service's target port). */
  port: number;
  protocol: Protocol;
  path: NatPath;
  /** Name of the node the connection enters through (the Service CIDR's route, or the NodePort's address). */
  gateway: string;
}

/** The first host address of a node's pod CIDR: its bridge or tunnel address in the pod network. */
export function podNetworkAddress(podCIDR: string | undefined): string | undefined {
  const r = podCIDR !== undefined ? parseCidr(podCIDR) : undefined;
  return r && r.hi > r.lo ? formatIp({ family: r.family, value: r.lo + 1n }) : undefined;
}

function endpoint(world: World, ref: string): Endpoint {
  const r = resolveRef(world, ref);
  if (r.kind !== 'endpoint') throw new Error(`${ref} is a Service: a NATed connection is judged on one backend pod`);
  return r.endpoint;
}

/** The gateway node as an endpoint: from the model when it is there (run time), else by name only (offline). */
function gatewayEndpoint(world: World, name: string, ip?: string): Endpoint {
  const n = world.nodes.get(name);
  if (n && ip === undefined) return nodeEndpoint(n);
  if (ip !== undefined) return { ...nodeEndpoint({ name, ip }), label: `node ${name} (${ip}, its pod-network address)` };
  return { kind: 'node', id: `node:${name}`, label: `node ${name} (address known at run time)`, node: name, asPod: false };
}

/** Every source the backend's ingress may see, with why. */
function candidates(world: World, src: Endpoint, dst: Endpoint, gateway: string): { as: Endpoint; why: string }[] {
  const node = world.nodes.get(gateway);
  if (dst.node !== undefined && dst.node === gateway) {
    return [
      { as: src, why: `the backend runs on ${gateway}, where the connection entered: a CNI filtering before kube-proxy's SNAT (iptables FORWARD: kube-router, Calico) sees the client's own address` },
      { as: gatewayEndpoint(world, gateway), why: `a CNI filtering after the SNAT sees the backend's own node, whose traffic is always allowed (N33)` },
    ];
  }
  const out = [{ as: gatewayEndpoint(world, gateway), why: `kube-proxy on ${gateway} SNATs the connection before forwarding it to ${dst.node ?? 'the backend'}'s node (native routing: the node's own address)` }];
  const tunnel = podNetworkAddress(node?.podCIDR);
  if (tunnel !== undefined && tunnel !== node?.ip) out.push({ as: gatewayEndpoint(world, gateway, tunnel), why: `with an overlay (IPIP, VXLAN) the SNAT takes the address of ${gateway}'s tunnel or bridge in its pod CIDR ${node!.podCIDR}` });
  return out;
}

/** A NATed connection from outside the cluster to a backend pod, judged for every plausible post-NAT source. */
export function evaluateNatted(world: World, q: NatQuery): EvalResult {
  const src = endpoint(world, q.from);
  const dst = endpoint(world, q.to);
  const nat: NatCandidate[] = candidates(world, src, dst, q.gateway).map((c) => ({ as: c.as.label, why: c.why, result: evaluateEndpoints(world, c.as, dst, q.protocol, q.port) }));
  const verdicts = new Set(nat.map((c) => c.result.verdict));
  const first = nat[0]!.result;
  const agreed = verdicts.size === 1;
  const uncertain = [...new Set(nat.flatMap((c) => c.result.uncertain))];
  if (!world.nodes.has(q.gateway) && dst.node !== q.gateway) uncertain.push(`the address of node ${q.gateway} is known only at run time: an ipBlock containing it would allow this connection`);
  const policyVerdict = first.policyVerdict ?? (first.verdict === 'allow' || first.verdict === 'deny' ? first.verdict : undefined);
  const r: Omit<EvalResult, 'explanation'> = {
    verdict: agreed ? first.verdict : 'unknown',
    ...(!agreed && policyVerdict !== undefined ? { policyVerdict } : {}),
    special: 'nat',
    nat,
    uncertain,
    rejected: first.rejected,
    ...(first.notes ? { notes: first.notes } : {}),
  };
  const via = q.path === 'nodeport' ? `a NodePort on node ${q.gateway}` : `the Service's ClusterIP through node ${q.gateway}`;
  return { ...r, explanation: explain(r as EvalResult, { from: `${src.label} via ${via}`, to: dst.label, port: q.port, protocol: q.protocol, profile: world.profile.name }) };
}
