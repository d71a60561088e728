// Lanes: the topology replicated K times (namespaces x, y, z -> x-1, y-1, z-1, ...), so K cases run
// in the same round, one per lane. Lane 0 keeps the plain names. A case moves to lane k by renaming
// its namespaces and suffixing every namespace label value (and every value a namespaceSelector
// asks for), so the case is the same case inside its lane: the bijection on values keeps every
// selector's answer between the lane's own namespaces.
//
// Why lanes do not interfere: a cell src -> dst is decided by the policies selecting src (egress,
// in src's namespace) and dst (ingress, in dst's namespace) and by the labels and addresses of src
// and dst. A cell inside lane k depends on lane k alone, whatever the other lanes hold or change.
// Only cells ACROSS lanes can see more than one case; they are not judged (nor probed), and the
// packing rules below keep even them equal to the union of the cases' expectations (unit-tested
// with the engine for every packed round, test/harness/conformance/lanes.test.ts).
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer } from '../policy/types.js';
import { parsePattern, type DestSelector, type EndpointSelector, type TrafficPattern } from '../matrix/pattern.js';
import type { LabelChange } from '../suite/schema.js';
import type { CaseStep, ConformanceCase, Rule } from './cases.js';
import { laneNs, laneValue, NAMESPACES } from './topology.js';

export { laneNs, laneValue };

/** The lane a namespace belongs to (undefined: not a lane namespace). */
export function laneOfNamespace(ns: string): number | undefined {
  const m = /^([a-z])(?:-(\d+))?$/.exec(ns);
  if (!m || !(NAMESPACES as readonly string[]).includes(m[1]!)) return undefined;
  return m[2] === undefined ? 0 : Number(m[2]);
}

/** The lane of a result cell's source (`ns/pod`) or destination column (`ns/pod:80/TCP`); external: undefined. */
export function laneOfEndpoint(idOrCol: string): number | undefined {
  if (idOrCol.startsWith('external:') || idOrCol.startsWith('dns')) return undefined;
  return laneOfNamespace(idOrCol.split('/')[0]!);
}

/** Cells a case in `lane` is judged on: inside the lane, or from the lane to the external container. */
export function inLane(src: string, col: string, lane: number): boolean {
  if (laneOfEndpoint(src) !== lane) return false;
  return col.startsWith('external:') || laneOfEndpoint(col) === lane;
}

function laneSelector(sel: LabelSelector | null | undefined, lane: number): LabelSelector | null | undefined {
  if (!sel || lane === 0) return sel;
  return {
    ...(sel.matchLabels ? { matchLabels: Object.fromEntries(Object.entries(sel.matchLabels).map(([k, v]) => [k, laneValue(v, lane)])) } : {}),
    ...(sel.matchExpressions ? { matchExpressions: sel.matchExpressions.map((e) => ({ ...e, ...(e.values ? { values: e.values.map((v) => laneValue(v, lane)) } : {}) })) } : {}),
  };
}

const lanePeer = (p: NetworkPolicyPeer, lane: number): NetworkPolicyPeer => (p.namespaceSelector ? { ...p, namespaceSelector: laneSelector(p.namespaceSelector, lane) ?? null } : p);

export function lanePolicy(p: NetworkPolicy, lane: number): NetworkPolicy {
  if (lane === 0) return structuredClone(p);
  const s = p.spec;
  return {
    ...structuredClone(p),
    metadata: { ...p.metadata, namespace: laneNs(p.metadata.namespace ?? 'default', lane) },
    spec: {
      ...structuredClone(s),
      ...(s.ingress ? { ingress: s.ingress.map((r) => ({ ...r, ...(r.from ? { from: r.from.map((x) => lanePeer(x, lane)) } : {}) })) } : {}),
      ...(s.egress ? { egress: s.egress.map((r) => ({ ...r, ...(r.to ? { to: r.to.map((x) => lanePeer(x, lane)) } : {}) })) } : {}),
    },
  };
}

/** `namespace/z` -> `namespace/z-1`; `x/b` -> `x-1/b`. */
export function laneTarget(target: string, lane: number): string {
  const [head, name] = target.split('/') as [string, string];
  return head === 'namespace' ? `namespace/${laneNs(name, lane)}` : `${laneNs(head, lane)}/${name}`;
}

function laneLabelChange(l: LabelChange, lane: number): LabelChange {
  const onNamespace = l.target.startsWith('namespace/');
  return {
    target: laneTarget(l.target, lane),
    set: onNamespace ? Object.fromEntries(Object.entries(l.set).map(([k, v]) => [k, laneValue(v, lane)])) : { ...l.set },
    remove: [...l.remove],
  };
}

export function laneStep(s: CaseStep, lane: number): CaseStep {
  return {
    ...s,
    ...(s.labels ? { labels: s.labels.map((l) => laneLabelChange(l, lane)) } : {}),
    ...(s.create ? { create: s.create.map((t) => laneTarget(t, lane)) } : {}),
    ...(s.delete ? { delete: s.delete.map((t) => laneTarget(t, lane)) } : {}),
    ...(s.recreate ? { recreate: s.recreate.map((t) => laneTarget(t, lane)) } : {}),
  };
}

function formatEndpoint(e: EndpointSelector | DestSelector): string {
  switch (e.kind) {
    case 'any':
      return '*';
    case 'namespace':
      return `${e.namespace}/*`;
    case 'endpoint':
      return e.id;
    case 'external':
      return `external:${e.name}`;
    default:
      throw new Error(`conformance lanes: a case pattern names "${JSON.stringify(e)}"; write "<ns>/<pod>", "<ns>/*", "*" or "external:<name>"`);
  }
}

function formatPattern(p: TrafficPattern): string {
  const ports = p.ports || p.protocols ? `:${p.ports ? p.ports.join(',') : '*'}${p.protocols ? `/${p.protocols.join(',')}` : ''}` : '';
  return `${formatEndpoint(p.from)} -> ${formatEndpoint(p.to)}${ports}`;
}

// Stands for `*` in a case pattern's `*/<pod>` (that pod in every namespace) while it is parsed.
const EVERY_NS = 'every-ns';

/**
 * A case rule moved to `lane`. `scoped`: `*` (and the namespaces of `*`-slash-pod patterns) become the lane's
 * own namespaces, so the rule only names cells inside the lane, as the run's expectation needs.
 * Unscoped, they keep meaning every namespace of the combined topology (`lanes` lanes): the
 * per-case reading the union check uses.
 */
export function laneRule([verdict, text]: Rule, lane: number, scoped: boolean, lanes = 1): Rule[] {
  const p = parsePattern(text.replace(/(^|->)\s*\*\//g, (_, arrow: string) => `${arrow} ${EVERY_NS}/`));
  const everyNs = scoped ? NAMESPACES.map((ns) => laneNs(ns, lane)) : Array.from({ length: lanes }, (_, l) => NAMESPACES.map((ns) => laneNs(ns, l))).flat();
  const move = <T extends EndpointSelector | DestSelector>(e: T): (EndpointSelector | DestSelector)[] => {
    if (e.kind === 'namespace') return [{ kind: 'namespace', namespace: laneNs(e.namespace, lane) }];
    if (e.kind === 'endpoint') {
      const [ns, name] = e.id.split('/') as [string, string];
      if (ns === EVERY_NS) return everyNs.map((n) => ({ kind: 'endpoint' as const, id: `${n}/${name}` }));
      return [{ kind: 'endpoint', id: `${laneNs(ns, lane)}/${name}` }];
    }
    if (e.kind === 'any' && scoped) return NAMESPACES.map((ns) => ({ kind: 'namespace' as const, namespace: laneNs(ns, lane) }));
    return [e];
  };
  const out: Rule[] = [];
  for (const from of move(p.from)) {
    for (const to of move(p.to)) {
      // A pod to itself is never probed: `x/a -> */a` expands to no self-only rule.
      if (from.kind === 'endpoint' && to.kind === 'endpoint' && from.id === to.id) continue;
      out.push([verdict, formatPattern({ ...p, from: from as EndpointSelector, to })]);
    }
  }
  return out;
}

/** Lane k's "default allow": every cell inside the lane and from the lane to the outside. */
export function laneDefaultAllow(lane: number, external: string): Rule[] {
  const nss = NAMESPACES.map((ns) => laneNs(ns, lane));
  return [...nss.flatMap((a) => nss.map((b): Rule => ['allow', `${a}/* -> ${b}/*`])), ...nss.map((a): Rule => ['allow', `${a}/* -> external:${external}`])];
}

// --- packing -------------------------------------------------------------------------------------

/** A namespaceSelector confined to its lane: some value it asks for is lane-suffixed. */
function confined(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length > 0 || (sel.matchExpressions ?? []).some((e) => e.operator === 'In');
}

/**
 * The case has a peer whose match set reaches into other lanes by their labels or addresses: an
 * ipBlock, or a namespaceSelector that pins no lane-suffixed value ({}, Exists, DoesNotExist, NotIn).
 */
export function crossesLanes(c: ConformanceCase): boolean {
  const peers = Object.values(c.sets)
    .flat()
    .flatMap((p) => [...(p.spec.ingress ?? []).flatMap((r) => r.from ?? []), ...(p.spec.egress ?? []).flatMap((r) => r.to ?? [])]);
  return peers.some((p) => p.ipBlock !== undefined || (p.namespaceSelector != null && !confined(p.namespaceSelector)));
}

/** The case changes labels or pods (what a cross-lane peer of another case could see). */
export function changesEndpoints(c: ConformanceCase): boolean {
  return c.steps.some((s) => (s.labels?.length ?? 0) > 0 || s.create || s.delete || s.recreate);
}

/** The case holds ClusterNetworkPolicies: cluster-scoped, and on a CNI without tiers they make the whole step not testable. */
export const isTierCase = (c: ConformanceCase): boolean => Object.values(c.clusterSets ?? {}).some((s) => s.length > 0);

export interface PackedCase {
  case: ConformanceCase;
  lane: number;
}

export interface Round {
  cases: PackedCase[];
  /** Steps the round takes: its longest case's. */
  steps: number;
}

/**
 * The case names ports: CNIs read a name over pods beyond the rule's peers (kube-router opens the
 * numbers of every pod in the policy's namespace, order-dependently), so it is not lane-bound.
 */
export const usesNamedPorts = (c: ConformanceCase): boolean =>
  Object.values(c.sets)
    .flat()
    .some((p) => [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])].some((r) => (r.ports ?? []).some((x) => typeof x.port === 'string')));

/** Why two cases may not share a round (undefined: they may). */
export function conflict(a: ConformanceCase, b: ConformanceCase): string | undefined {
  if (isTierCase(a) || isTierCase(b)) return 'a ClusterNetworkPolicy case runs alone';
  if (usesNamedPorts(a) || usesNamedPorts(b)) return 'a named-port case runs alone';
  if (crossesLanes(a) && crossesLanes(b)) return 'two cases whose peers reach across lanes';
  if ((crossesLanes(a) && changesEndpoints(b)) || (crossesLanes(b) && changesEndpoints(a))) return 'a peer reaching across lanes next to a case changing labels or pods';
  return undefined;
}

/**
 * First fit, longest cases first (a round lasts as long as its longest case, so cases of equal
 * length go together), then those reaching across lanes; ties keep the battery order. At most
 * `lanes` cases per round, never two that conflict.
 */
export function pack(cases: ConformanceCase[], lanes: number): Round[] {
  if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`lanes must be a positive integer, got ${lanes}`);
  // Cases reaching across lanes each open a round first, so lane-bound cases can fill it up.
  const order = cases.map((c, i) => ({ c, i })).sort((a, b) => b.c.steps.length - a.c.steps.length || Number(crossesLanes(b.c)) - Number(crossesLanes(a.c)) || a.i - b.i);
  const rounds: ConformanceCase[][] = [];
  for (const { c } of order) {
    // A case through y/svc opens its own round: lane 0, the only lane with y/svc.
    const fit = c.throughService ? undefined : rounds.find((r) => r.length < lanes && r.every((o) => conflict(o, c) === undefined));
    if (fit) fit.push(c);
    else rounds.push([c]);
  }
  // Tier cases last: their rounds need no workloads of other lanes and are often not testable.
  rounds.sort((a, b) => Number(a.some(isTierCase)) - Number(b.some(isTierCase)));
  return rounds.map((r) => ({ cases: r.map((c, lane) => ({ case: c, lane })), steps: Math.max(...r.map((c) => c.steps.length)) }));
}
