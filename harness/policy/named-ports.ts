// Named ports under the `kube-router` profile switch (profiles.ts `namedPorts`), modelled on
// kube-router's pkg/controllers/netpol/policy.go (buildNetworkPoliciesInfo, grabNamedPortFromPod,
// processNetworkPolicyPorts, processIngressRules, processEgressRules):
// - an egress rule without `to` gathers the named port's numbers from every pod of the policy's
//   namespace and accepts each number to any destination (kube-router#1036, PR #1037);
// - every other rule builds one IP set per (name, protocol, number) from the rule's pods (the
//   policy's pods for ingress, the pod peers' pods for egress), but grabNamedPortFromPod shares one
//   IP map per pod across all its container ports, and appends a later pod's IPs into the map of
//   the first pod that declared the same (name, protocol, number), unnamed ports included. So a pod
//   can land in the set of a number it never declared, depending on the order the pod informer
//   lists the pods (a Go map: random). Such cells are `unknown`;
// - egress ipBlock peers only get numeric ports: a named port never opens anything through them.
import type { CompiledPolicy, CompiledRule, Direction } from './compile.js';
import { checkPeer, checkPorts, policySelects, type PortCheck } from './match.js';
import type { PodModel, Protocol } from './model.js';
import type { PortEntry } from './ports.js';
import { podEndpoint, type Endpoint, type World } from './world.js';

type NamedEntry = Extract<PortEntry, { kind: 'named' }>;

const portKey = (name: string | undefined, protocol: string, port: number): string => `${name ?? ''}/${protocol}/${port}`;

interface Cache {
  numbers: Map<string, number[]>;
  pools: Map<CompiledRule, PodModel[]>;
  keys: Map<PodModel, Set<string>>;
}

const caches = new WeakMap<World, Cache>();

function cacheOf(world: World): Cache {
  let c = caches.get(world);
  if (!c) {
    c = { numbers: new Map(), pools: new Map(), keys: new Map() };
    caches.set(world, c);
  }
  return c;
}

/** Pods kube-router acts on: with a pod identity (hostNetwork pods are skipped by isNetPolActionable). */
function actionable(world: World): PodModel[] {
  return world.model.pods.filter((p) => podEndpoint(world, p).asPod);
}

export function isKubeRouterNamedPorts(world: World): boolean {
  return world.profile.namedPorts === 'kube-router';
}

/** An egress rule without `to` under kube-router: its named ports open the namespace's numbers to everyone. */
export function opensToAll(world: World, rule: CompiledRule): boolean {
  return isKubeRouterNamedPorts(world) && rule.direction === 'egress' && rule.peers === 'all';
}

/** Every number the pods of `namespace` declare as `name`/`protocol`, ascending. */
export function namespaceNumbers(world: World, namespace: string, name: string, protocol: Protocol): number[] {
  const cache = cacheOf(world).numbers;
  const k = `${namespace}|${name}|${protocol}`;
  let out = cache.get(k);
  if (!out) {
    const set = new Set<number>();
    for (const p of actionable(world)) if (p.namespace === namespace) for (const cp of p.ports) if (cp.name === name && cp.protocol === protocol) set.add(cp.port);
    out = [...set].sort((a, b) => a - b);
    cache.set(k, out);
  }
  return out;
}

function keysOf(world: World, pod: PodModel): Set<string> {
  const cache = cacheOf(world).keys;
  let s = cache.get(pod);
  if (!s) {
    s = new Set(pod.ports.map((cp) => portKey(cp.name, cp.protocol, cp.port)));
    cache.set(pod, s);
  }
  return s;
}

/** The pods a rule's named-port IP sets are built from: the policy's pods (ingress), or the pods its pod peers select (egress). */
function poolOf(world: World, policy: CompiledPolicy, rule: CompiledRule): PodModel[] {
  const cache = cacheOf(world).pools;
  let pool = cache.get(rule);
  if (!pool) {
    const pods = actionable(world);
    if (rule.direction === 'ingress') pool = pods.filter((p) => policySelects(policy, podEndpoint(world, p)));
    else if (rule.peers === 'all') pool = [];
    else {
      const podPeers = rule.peers.filter((x) => !x.ipBlock);
      pool = pods.filter((p) => podPeers.some((x) => checkPeer(world, policy, x, podEndpoint(world, p)).match));
    }
    cache.set(rule, pool);
  }
  return pool;
}

/**
 * The pod that may carry `dst` into the IP set of `entry` = `port` (kube-router's shared IP maps), or
 * undefined when none can: `dst` is in the rule's pool but does not declare the name as this port,
 * and some pool pod declares both the name as this port and another container port `dst` declares.
 * If that pod is listed first it owns both entries, and `dst`'s IP is appended to its shared map.
 */
export function aliasCarrier(world: World, policy: CompiledPolicy, rule: CompiledRule, entry: NamedEntry, port: number, dst: PodModel): PodModel | undefined {
  if (!isKubeRouterNamedPorts(world) || (rule.peers === 'all' && rule.direction === 'egress')) return undefined;
  const key = portKey(entry.name, entry.protocol, port);
  const mine = keysOf(world, dst);
  if (mine.has(key)) return undefined;
  const pool = poolOf(world, policy, rule);
  if (!pool.includes(dst)) return undefined;
  return pool.find((q) => {
    if (q === dst) return false;
    const theirs = keysOf(world, q);
    if (!theirs.has(key)) return false;
    for (const k of theirs) if (k !== key && mine.has(k)) return true;
    return false;
  });
}

/** Named entries of a rule that may open `port`/`protocol` to `dst` by aliasing, with the pod that carries it. */
export function aliasHazards(world: World, policy: CompiledPolicy, rule: CompiledRule, protocol: Protocol, port: number, dst: PodModel): { entry: NamedEntry; via: PodModel }[] {
  const out: { entry: NamedEntry; via: PodModel }[] = [];
  for (const e of rule.ports) {
    if (e.kind !== 'named' || e.protocol !== protocol) continue;
    const via = aliasCarrier(world, policy, rule, e, port, dst);
    if (via) out.push({ entry: e, via });
  }
  return out;
}

/** Why a cell is order-dependent, for explanations. */
export function describeHazard(policy: CompiledPolicy, rule: CompiledRule, entry: NamedEntry, port: number, dst: string, via: PodModel): string {
  return `${policy.ref} ${rule.direction}[${rule.index}] named port ${entry.name}/${entry.protocol}: kube-router may also admit ${dst} on ${port} (the number ${entry.name} has on ${via.id}), because its per-number IP set shares a map with ${via.id}'s other container ports; whether it does depends on the order kube-router lists the pods`;
}

/**
 * The ports check of a rule where kube-router departs from per-pod resolution, else undefined (use
 * checkPorts): an egress rule without `to` (the namespace's numbers, to anyone), or an egress ipBlock
 * peer (`ipBlockPeer`: named ports never apply through it).
 */
export function kubeRouterPorts(world: World, policy: CompiledPolicy, rule: CompiledRule, protocol: Protocol, port: number, dst: Endpoint, ipBlockPeer = false): PortCheck | undefined {
  const named = rule.ports.filter((e): e is NamedEntry => e.kind === 'named');
  if (named.length === 0 || !isKubeRouterNamedPorts(world)) return undefined;
  const toAll = opensToAll(world, rule);
  if (!toAll && !(ipBlockPeer && rule.direction === 'egress')) return undefined;
  const numeric = checkPorts(world, { ...rule, ports: rule.ports.filter((e) => e.kind !== 'named') }, protocol, port, dst);
  if (numeric.match) return numeric;
  if (!toAll) return { match: false, text: `${numeric.text}; kube-router applies no named port (${named.map((e) => e.name).join(', ')}) through an ipBlock peer` };
  const notes: string[] = [];
  for (const e of named) {
    if (e.protocol !== protocol) continue;
    const nums = namespaceNumbers(world, policy.namespace, e.name, protocol);
    const what = `${e.name}/${protocol} stands for ${nums.length > 0 ? nums.join(', ') : 'nothing'} (every number the pods of ${policy.namespace} declare under it, to any destination: kube-router, egress rule without to)`;
    if (nums.includes(port)) return { match: true, index: e.index, text: `ports[${e.index}] ${what}` };
    notes.push(what);
  }
  return { match: false, text: `${port}/${protocol} is not in the rule's ports${notes.length > 0 ? ` (${notes.join('; ')})` : ''}` };
}

/** Reasons a denied direction may still be admitted by kube-router (order-dependent named-port sets); empty if none. */
export function orderDependence(world: World, policies: CompiledPolicy[], direction: Direction, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number): string[] {
  if (!isKubeRouterNamedPorts(world) || !dst.asPod || !dst.pod) return [];
  const out: string[] = [];
  for (const p of policies) {
    for (const rule of p[direction]) {
      if (direction === 'egress' && rule.peers === 'all') continue;
      if (direction === 'ingress' && rule.peers !== 'all' && !rule.peers.some((x) => checkPeer(world, p, x, src).match)) continue;
      for (const h of aliasHazards(world, p, rule, protocol, port, dst.pod)) out.push(describeHazard(p, rule, h.entry, port, dst.label, h.via));
    }
  }
  return out;
}
