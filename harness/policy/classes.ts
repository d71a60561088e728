// Equivalence classes of endpoints: two endpoints that no policy can tell apart (same namespace,
// labels, named-port numbers, IP atom, node when node traffic matters) share a class, so the
// matrix engine works per class instead of per pod. Replicas of a workload collapse to one class.
import { Bitset } from './bitset.js';
import type { CompiledSet } from './compile.js';
import { IpAtoms, type IpRange } from './ipblock.js';
import type { Labels } from './selectors.js';
import { isNodeLike, type Endpoint } from './world.js';

export interface EndpointClass {
  index: number;
  key: string;
  /** A member standing for the whole class. */
  rep: Endpoint;
  members: number;
}

export interface Universe {
  classes: EndpointClass[];
  /** Class index of each endpoint, in the order given. */
  classOf: Int32Array;
  size: number;
  /** Classes policies see as pods, per namespace. */
  podClassesByNs: Map<string, Bitset>;
  /** Every pod-like class (selectable by selectors). */
  podClasses: Bitset;
  /** label key -> value -> pod classes carrying it. */
  labelIndex: Map<string, Map<string, Bitset>>;
  keyIndex: Map<string, Bitset>;
  /** Node-like classes per node name (for the same-node and own-node exceptions). */
  nodeLikeByNode: Map<string, Bitset>;
  /** Named ports used by the policies: `name/protocol` -> port number -> pod classes resolving it so. */
  namedPorts: Map<string, Map<number, Bitset>>;
}

/** Every boundary of every ipBlock plus the pod subnet, for cutting the address space into atoms. */
export function ipBoundaries(compiled: CompiledSet, podSubnet?: IpRange): IpRange[] {
  const out: IpRange[] = podSubnet ? [podSubnet] : [];
  for (const p of compiled.policies) {
    for (const r of [...p.ingress, ...p.egress]) {
      if (r.peers === 'all') continue;
      for (const peer of r.peers) if (peer.ipBlock) out.push(peer.ipBlock.cidr, ...peer.ipBlock.except);
    }
  }
  return out;
}

export function usedPortNames(compiled: CompiledSet): Set<string> {
  const names = new Set<string>();
  for (const p of compiled.policies) {
    for (const r of [...p.ingress, ...p.egress]) for (const e of r.ports) if (e.kind === 'named') names.add(`${e.name}/${e.protocol}`);
  }
  return names;
}

function labelsKey(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]}`)
    .join('\u0001');
}

/** `extra`: CIDR boundaries and named ports of other policy kinds (ClusterNetworkPolicies). */
/** `allPorts`: pods with different container port lists never share a class (kube-router's named ports depend on them all). */
export function buildUniverse(endpoints: readonly Endpoint[], compiled: CompiledSet, podSubnet?: IpRange, extra?: { boundaries: IpRange[]; portNames: Set<string> }, allPorts = false): Universe {
  const atoms = new IpAtoms([...ipBoundaries(compiled, podSubnet), ...(extra?.boundaries ?? [])]);
  const names = usedPortNames(compiled);
  for (const n of extra?.portNames ?? []) names.add(n);
  // Node identity only matters when node-like endpoints take part (same-node ingress, pod to own node).
  const nodeSensitive = endpoints.some(isNodeLike);
  const byKey = new Map<string, EndpointClass>();
  const classes: EndpointClass[] = [];
  const classOf = new Int32Array(endpoints.length);
  const atomCache = new Map<string, string>();
  const atomOf = (e: Endpoint): string => {
    if (!e.ip) return 'unknown';
    let a = atomCache.get(e.ipText!);
    if (a === undefined) {
      a = atoms.atomOf(e.ip);
      atomCache.set(e.ipText!, a);
    }
    return a;
  };
  endpoints.forEach((e, i) => {
    let key: string;
    if (e.kind === 'external') key = `ext|${atomOf(e)}`;
    else if (isNodeLike(e)) key = `node|${atomOf(e)}|${e.node ?? ''}`;
    else {
      const pod = e.pod!;
      let ports = '';
      if (allPorts && names.size > 0) ports = pod.ports.map((p) => `${p.name ?? ''}/${p.protocol}/${p.port}`).sort().join(',');
      else if (names.size > 0) {
        const resolved: string[] = [];
        for (const p of pod.ports) if (p.name !== undefined && names.has(`${p.name}/${p.protocol}`)) resolved.push(`${p.name}/${p.protocol}=${p.port}`);
        ports = resolved.sort().join(',');
      }
      key = `pod|${pod.namespace}|${labelsKey(pod.labels)}|${atomOf(e)}|${ports}|${nodeSensitive ? (e.node ?? '') : ''}`;
    }
    let c = byKey.get(key);
    if (!c) {
      c = { index: classes.length, key, rep: e, members: 0 };
      byKey.set(key, c);
      classes.push(c);
    }
    c.members++;
    classOf[i] = c.index;
  });
  const size = classes.length;
  const podClasses = new Bitset(size);
  const podClassesByNs = new Map<string, Bitset>();
  const labelIndex = new Map<string, Map<string, Bitset>>();
  const keyIndex = new Map<string, Bitset>();
  const nodeLikeByNode = new Map<string, Bitset>();
  const namedPorts = new Map<string, Map<number, Bitset>>();
  const get = <K, V>(m: Map<K, V>, k: K, make: () => V): V => {
    let v = m.get(k);
    if (v === undefined) {
      v = make();
      m.set(k, v);
    }
    return v;
  };
  for (const c of classes) {
    const e = c.rep;
    if (isNodeLike(e)) {
      if (e.node !== undefined) get(nodeLikeByNode, e.node, () => new Bitset(size)).set(c.index);
      continue;
    }
    if (e.kind !== 'pod') continue;
    podClasses.set(c.index);
    get(podClassesByNs, e.namespace!, () => new Bitset(size)).set(c.index);
    for (const [k, v] of Object.entries(e.pod!.labels)) {
      get(keyIndex, k, () => new Bitset(size)).set(c.index);
      get(get(labelIndex, k, () => new Map<string, Bitset>()), v, () => new Bitset(size)).set(c.index);
    }
    for (const p of e.pod!.ports) {
      const n = `${p.name}/${p.protocol}`;
      if (p.name !== undefined && names.has(n)) get(get(namedPorts, n, () => new Map<number, Bitset>()), p.port, () => new Bitset(size)).set(c.index);
    }
  }
  return { classes, classOf, size, podClassesByNs, podClasses, labelIndex, keyIndex, nodeLikeByNode, namedPorts };
}
