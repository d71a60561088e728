// The bulk engine: verdicts for every source × destination × port, computed per equivalence class
// with bit sets (docs/engine.md). Cost is about classes × applicable rules × classes/32 per port,
// instead of pods² × rules. evaluate.ts gives the same verdicts one cell at a time, with reasons.
import { Bitset } from './bitset.js';
import { buildUniverse, type Universe } from './classes.js';
import { cnpRules, combineTiers, tierDecisions } from './cnp/bulk.js';
import { cnpBoundaries, cnpPortNames } from './cnp/compile.js';
import type { CompiledPeer, CompiledPolicy, CompiledRule } from './compile.js';
import { ipBlockCoverage, ipBlockMatch, type CompiledIpBlock } from './ipblock.js';
import type { ClusterModel, EndpointRef, Protocol } from './model.js';
import { aliasHazards, isKubeRouterNamedPorts, namespaceNumbers, opensToAll } from './named-ports.js';
import { effectiveHi } from './ports.js';
import { DEFAULT_PROFILE, type CniProfile } from './profiles.js';
import { selectorMatches } from './selectors.js';
import type { LabelSelector } from './types.js';
import { ipEndpoint, isNodeLike, nodeEndpoint, podEndpoint, prepare, resolveRef, type Endpoint, type World } from './world.js';

export type CellVerdict = 'allow' | 'deny' | 'unknown';

export interface PortSpec {
  port: number;
  protocol: Protocol;
}

export interface ReachOptions {
  /** Default: every pod. */
  sources?: EndpointRef[];
  /** Default: every pod, node and external of the model. */
  destinations?: EndpointRef[];
  /** The port set every destination is probed on. */
  ports: PortSpec[];
}

export interface ReachStats {
  endpoints: number;
  classes: number;
  egressSignatures: number;
  policies: number;
  rules: number;
}

export class ReachMatrix {
  readonly sources: string[];
  readonly destinations: string[];
  readonly ports: PortSpec[];
  readonly stats: ReachStats;
  private readonly srcIndex: Map<string, number>;
  private readonly dstIndex: Map<string, number>;

  constructor(
    sources: string[],
    destinations: string[],
    ports: PortSpec[],
    private readonly srcClass: Int32Array,
    private readonly dstClass: Int32Array,
    private readonly cell: (srcClass: number, dstClass: number, portIndex: number) => CellVerdict,
    stats: ReachStats,
  ) {
    this.sources = sources;
    this.destinations = destinations;
    this.ports = ports;
    this.stats = stats;
    this.srcIndex = new Map(sources.map((s, i) => [s, i]));
    this.dstIndex = new Map(destinations.map((d, i) => [d, i]));
  }

  /** By position. A pod talking to itself is always allowed (it cannot block itself). */
  at(src: number, dst: number, portIndex: number): CellVerdict {
    if (this.sources[src] === this.destinations[dst]) return 'allow';
    return this.cell(this.srcClass[src]!, this.dstClass[dst]!, portIndex);
  }

  /** Equivalence class of a source / destination (endpoints of one class always get the same verdicts). */
  sourceClass(src: number): number {
    return this.srcClass[src]!;
  }

  destinationClass(dst: number): number {
    return this.dstClass[dst]!;
  }

  /** The verdict between two classes (self traffic aside). */
  classCell(srcClass: number, dstClass: number, portIndex: number): CellVerdict {
    return this.cell(srcClass, dstClass, portIndex);
  }

  get(src: string, dst: string, port: number, protocol: Protocol): CellVerdict {
    const s = this.srcIndex.get(src);
    const d = this.dstIndex.get(dst);
    const p = this.ports.findIndex((x) => x.port === port && x.protocol === protocol);
    if (s === undefined || d === undefined || p === -1) throw new Error(`no cell ${src} -> ${dst}:${port}/${protocol} in this matrix`);
    return this.at(s, d, p);
  }

  /** Every cell as one byte (1 allow, 0 deny, 2 unknown), source-major then destination then port. */
  toDense(): Uint8Array {
    const P = this.ports.length;
    const D = this.destinations.length;
    const out = new Uint8Array(this.sources.length * D * P);
    for (let s = 0; s < this.sources.length; s++) {
      for (let d = 0; d < D; d++) {
        for (let p = 0; p < P; p++) {
          const v = this.at(s, d, p);
          out[(s * D + d) * P + p] = v === 'allow' ? 1 : v === 'unknown' ? 2 : 0;
        }
      }
    }
    return out;
  }
}

interface RuleInfo {
  rule: CompiledRule;
  policy: CompiledPolicy;
  peers: Bitset;
  /** Peers other than ipBlocks (kube-router applies named ports through these only, in egress). */
  podPeers: Bitset;
}

function allEndpoints(world: World): Endpoint[] {
  return [
    ...world.model.pods.map((p) => podEndpoint(world, p)),
    ...(world.model.nodes ?? []).map(nodeEndpoint),
    ...world.model.externals.map((e) => ipEndpoint(e.id, e.ip)),
  ];
}

function endpointOf(world: World, ref: EndpointRef): Endpoint {
  const r = resolveRef(world, ref);
  if (r.kind !== 'endpoint') throw new Error('the matrix engine takes pods, nodes and addresses; evaluate Services one query at a time');
  return r.endpoint;
}

class Selection {
  private readonly memo = new Map<string, Bitset>();
  constructor(
    private readonly world: World,
    private readonly u: Universe,
  ) {}

  /** Pod classes within `domain` whose labels satisfy `sel`, via the label index. */
  private pods(sel: LabelSelector, domain: Bitset): Bitset {
    const out = domain.clone();
    const { labelIndex, keyIndex, size } = this.u;
    const anyOf = (key: string, values: readonly string[]): Bitset => {
      const b = new Bitset(size);
      const byValue = labelIndex.get(key);
      for (const v of values) {
        const x = byValue?.get(v);
        if (x) b.or(x);
      }
      return b;
    };
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) out.and(anyOf(k, [v]));
    for (const r of sel.matchExpressions ?? []) {
      const has = keyIndex.get(r.key) ?? new Bitset(size);
      if (r.operator === 'In') out.and(anyOf(r.key, r.values ?? []));
      else if (r.operator === 'NotIn') out.andNot(anyOf(r.key, r.values ?? []));
      else if (r.operator === 'Exists') out.and(has);
      else if (r.operator === 'DoesNotExist') out.andNot(has);
    }
    return out;
  }

  private namespaces(sel: LabelSelector | undefined, policyNs: string): Bitset {
    const out = new Bitset(this.u.size);
    if (sel === undefined) {
      const b = this.u.podClassesByNs.get(policyNs);
      if (b) out.or(b);
      return out;
    }
    for (const [ns, b] of this.u.podClassesByNs) {
      if (selectorMatches(sel, this.world.nsLabels.get(ns) ?? {})) out.or(b);
    }
    return out;
  }

  subjects(p: CompiledPolicy): Bitset {
    return this.cached(`s|${p.namespace}|${JSON.stringify(p.podSelector)}`, () => this.pods(p.podSelector, this.namespaces(undefined, p.namespace)));
  }

  peer(p: CompiledPolicy, peer: CompiledPeer): Bitset {
    if (peer.ipBlock) return this.cached(`ip|${peer.ipBlock.text}`, () => this.ipBlock(peer.ipBlock!));
    const nsPart = peer.namespaceSelector === undefined ? `own:${p.namespace}` : JSON.stringify(peer.namespaceSelector);
    return this.cached(`p|${nsPart}|${JSON.stringify(peer.podSelector ?? {})}`, () =>
      this.pods(peer.podSelector ?? {}, this.namespaces(peer.namespaceSelector, p.namespace)),
    );
  }

  private ipBlock(block: CompiledIpBlock): Bitset {
    const { profile, podSubnet } = this.world;
    const out = new Bitset(this.u.size);
    let offline: boolean | undefined;
    for (const c of this.u.classes) {
      const e = c.rep;
      const podLike = e.kind === 'pod' && e.asPod;
      if (podLike && !profile.ipBlockMatchesPodIPs) continue;
      if (isNodeLike(e) && !profile.ipBlockMatchesNodeIPs) continue;
      if (e.ip) {
        if (ipBlockMatch(block, e.ip, profile.exceptSupported).match) out.set(c.index);
      } else if (podLike) {
        // Same rule as match.ts: pods of unknown IP are somewhere in the pod subnet.
        if (offline === undefined) {
          const cov = podSubnet ? ipBlockCoverage(block, podSubnet, profile.exceptSupported) : 'partial';
          offline = cov === 'all' || (cov === 'partial' && profile.offlinePartialPodIp === 'match');
        }
        if (offline) out.set(c.index);
      }
    }
    return out;
  }

  private cached(key: string, make: () => Bitset): Bitset {
    let b = this.memo.get(key);
    if (!b) {
      b = make();
      this.memo.set(key, b);
    }
    return b;
  }
}

/** Does a rule open `port/protocol` without looking at named ports? */
function numericMatch(rule: CompiledRule, protocol: Protocol, port: number, profile: CniProfile): boolean {
  for (const e of rule.ports) {
    if (e.kind === 'all') return true;
    if (e.protocol !== protocol) continue;
    if (e.kind === 'protocol') return true;
    if (e.kind === 'range' && port >= e.lo && port <= effectiveHi(e, profile)) return true;
  }
  return false;
}

/** Computes verdicts for sources × destinations × ports over a model under a CNI profile. */
export function computeReachability(model: ClusterModel, opts: ReachOptions, profile: CniProfile = DEFAULT_PROFILE): ReachMatrix {
  const world = prepare(model, profile);
  const srcEps = opts.sources ? opts.sources.map((r) => endpointOf(world, r)) : world.model.pods.map((p) => podEndpoint(world, p));
  const dstEps = opts.destinations ? opts.destinations.map((r) => endpointOf(world, r)) : allEndpoints(world);
  const all = [...srcEps, ...dstEps];
  const hasTiers = world.cnp.admin.length + world.cnp.baseline.length > 0;
  const kr = isKubeRouterNamedPorts(world);
  const u = buildUniverse(all, world.compiled, world.podSubnet, hasTiers ? { boundaries: cnpBoundaries(world.cnp), portNames: cnpPortNames(world.cnp) } : undefined, kr);
  const srcClass = u.classOf.slice(0, srcEps.length);
  const dstClass = u.classOf.slice(srcEps.length);
  const sel = new Selection(world, u);
  const full = Bitset.full(u.size);
  const ports = opts.ports;

  // Rules that apply to each class, per direction, and whether the class is isolated at all.
  const egressRules: RuleInfo[][] = u.classes.map(() => []);
  const ingressRules: RuleInfo[][] = u.classes.map(() => []);
  const egressIsolated = new Uint8Array(u.size);
  const ingressIsolated = new Uint8Array(u.size);
  let ruleCount = 0;
  for (const p of world.compiled.policies) {
    if (!p.types.ingress && !p.types.egress) continue;
    const subjects = sel.subjects(p);
    if (subjects.isEmpty()) continue;
    const info = (r: CompiledRule): RuleInfo => {
      ruleCount++;
      if (r.peers === 'all') return { rule: r, policy: p, peers: full, podPeers: full };
      const b = new Bitset(u.size);
      const pods = new Bitset(u.size);
      for (const peer of r.peers) {
        b.or(sel.peer(p, peer));
        if (!peer.ipBlock) pods.or(sel.peer(p, peer));
      }
      return { rule: r, policy: p, peers: b, podPeers: pods };
    };
    const ing = p.types.ingress ? p.ingress.map(info) : [];
    const eg = p.types.egress ? p.egress.map(info) : [];
    for (const c of subjects) {
      if (p.types.ingress) {
        ingressIsolated[c] = 1;
        for (const r of ing) ingressRules[c]!.push(r);
      }
      if (p.types.egress) {
        egressIsolated[c] = 1;
        for (const r of eg) egressRules[c]!.push(r);
      }
    }
  }

  // Cluster policies (Admin and Baseline tiers), when there are any.
  const tiers = hasTiers ? cnpRules(world, u) : undefined;
  const tierKey = (c: number): string => {
    if (!tiers) return '';
    const ids = (l: { rule: object }[]): string => l.map((r) => ruleIds.get(r) ?? ruleIds.set(r, ruleIds.size).get(r)!).join(',');
    return `|a${ids(tiers.admin.egress[c]!)}|b${ids(tiers.baseline.egress[c]!)}|${tiers.selected[c]}`;
  };
  const ruleIds = new Map<object, number>();

  // Egress: classes with the same applicable rules (and node, for the own-node exception) share a row.
  const ownNode = profile.podToOwnNode === 'allow';
  const sigOf = new Int32Array(u.size);
  const sigRep: number[] = [];
  {
    const ids = new Map<RuleInfo, number>();
    const bySig = new Map<string, number>();
    for (const c of u.classes) {
      const rules = egressRules[c.index]!;
      const cnpKey = tierKey(c.index);
      const key =
        egressIsolated[c.index] || (tiers && tiers.selected[c.index])
          ? `${egressIsolated[c.index] ? rules.map((r) => ids.get(r) ?? ids.set(r, ids.size).get(r)!).join(',') : 'open'}|${ownNode ? (c.rep.node ?? '') : ''}${cnpKey}`
          : 'open';
      let s = bySig.get(key);
      if (s === undefined) {
        s = sigRep.length;
        bySig.set(key, s);
        sigRep.push(c.index);
      }
      sigOf[c.index] = s;
    }
  }
  const egressAllowed: Bitset[][] = []; // [sig][port] -> destination classes
  // kube-router: destination classes a named port may admit, depending on the order it lists pods.
  const egressMaybe: (Bitset | undefined)[][] = [];
  const hazardsTo = (info: RuleInfo, protocol: Protocol, port: number, candidates: Bitset, into: () => Bitset): void => {
    for (const d of candidates) {
      const pod = u.classes[d]!.rep.pod;
      if (pod && aliasHazards(world, info.policy, info.rule, protocol, port, pod).length > 0) into().set(d);
    }
  };
  for (const rep of sigRep) {
    const row: Bitset[] = [];
    const maybeRow: (Bitset | undefined)[] = [];
    egressMaybe.push(maybeRow);
    const repEp = u.classes[rep]!.rep;
    const selected = tiers !== undefined && tiers.selected[rep] === 1;
    for (const { port, protocol } of ports) {
      if ((!egressIsolated[rep] && !selected) || !repEp.asPod) {
        row.push(full);
        maybeRow.push(undefined);
        continue;
      }
      let b = new Bitset(u.size);
      let maybe: Bitset | undefined;
      for (const info of egressRules[rep]!) {
        const { rule, peers, podPeers } = info;
        if (numericMatch(rule, protocol, port, profile)) b.or(peers);
        else if (opensToAll(world, rule)) {
          // kube-router: the numbers of the policy's namespace, to every destination.
          if (rule.ports.some((e) => e.kind === 'named' && e.protocol === protocol && namespaceNumbers(world, info.policy.namespace, e.name, protocol).includes(port))) b.or(peers);
        } else {
          // Named ports resolve on each destination class: only classes where the name means this port.
          for (const e of rule.ports) {
            if (e.kind !== 'named' || e.protocol !== protocol) continue;
            const named = u.namedPorts.get(`${e.name}/${protocol}`)?.get(port);
            if (named) b.or(named.clone().and(kr ? podPeers : peers));
          }
          if (kr) hazardsTo(info, protocol, port, podPeers, () => (maybe ??= new Bitset(u.size)));
        }
      }
      if (tiers) {
        const admin = tierDecisions(u, tiers.admin.egress[rep]!, protocol, port, 'egress');
        b = combineTiers(u, admin, () => tierDecisions(u, tiers.baseline.egress[rep]!, protocol, port, 'egress'), egressIsolated[rep] ? b : undefined);
        maybe?.andNot(admin.deny).andNot(admin.accept);
      }
      maybeRow.push(maybe);
      if (ownNode && repEp.node !== undefined) {
        const n = u.nodeLikeByNode.get(repEp.node);
        if (n) b.or(n);
      }
      row.push(b);
    }
    egressAllowed.push(row);
  }

  // Ingress: per destination class (named ports resolve on the class itself).
  const ingressMaybe: (Bitset | undefined)[][] = u.classes.map(() => []);
  const ingressAllowed: Bitset[][] = u.classes.map((c) => {
    const ep = c.rep;
    const selected = tiers !== undefined && tiers.selected[c.index] === 1;
    return ports.map(({ port, protocol }, pi) => {
      if ((!ingressIsolated[c.index] && !selected) || !ep.asPod) return full;
      let b = new Bitset(u.size);
      let maybe: Bitset | undefined;
      for (const { rule, policy, peers } of ingressRules[c.index]!) {
        let ok = numericMatch(rule, protocol, port, profile);
        if (!ok) ok = rule.ports.some((e) => e.kind === 'named' && e.protocol === protocol && ep.pod!.ports.some((cp) => cp.name === e.name && cp.protocol === protocol && cp.port === port));
        if (ok) b.or(peers);
        else if (kr && aliasHazards(world, policy, rule, protocol, port, ep.pod!).length > 0) (maybe ??= new Bitset(u.size)).or(peers);
      }
      if (tiers) {
        const admin = tierDecisions(u, tiers.admin.ingress[c.index]!, protocol, port, 'ingress', ep.pod!.ports);
        b = combineTiers(u, admin, () => tierDecisions(u, tiers.baseline.ingress[c.index]!, protocol, port, 'ingress', ep.pod!.ports), ingressIsolated[c.index] ? b : undefined);
        maybe?.andNot(admin.deny).andNot(admin.accept);
      }
      ingressMaybe[c.index]![pi] = maybe;
      if (ep.node !== undefined) {
        // The pod's own node may always reach it.
        const n = u.nodeLikeByNode.get(ep.node);
        if (n) b.or(n);
      }
      return b;
    });
  });

  const unknownPort = ports.map((p) => p.protocol === 'SCTP' && !profile.sctpSupported);
  const cell = (s: number, d: number, pi: number): CellVerdict => {
    if (!profile.enforces) return 'allow';
    if (unknownPort[pi]) return 'unknown';
    const out = egressAllowed[sigOf[s]!]![pi]!.has(d);
    const into = ingressAllowed[d]![pi]!.has(s);
    if (out && into) return 'allow';
    // kube-router's order-dependent named ports: each side allows or may allow.
    if ((out || egressMaybe[sigOf[s]!]![pi]?.has(d)) && (into || ingressMaybe[d]![pi]?.has(s))) return 'unknown';
    return 'deny';
  };
  return new ReachMatrix(
    srcEps.map((e) => e.id),
    dstEps.map((e) => e.id),
    ports,
    srcClass,
    dstClass,
    cell,
    {
      endpoints: all.length,
      classes: u.size,
      egressSignatures: sigRep.length,
      policies: world.compiled.policies.length + world.cnp.admin.length + world.cnp.baseline.length,
      rules: ruleCount + (tiers?.count ?? 0),
    },
  );
}
