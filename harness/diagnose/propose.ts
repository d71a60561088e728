// The least-privilege change for what the flow should be. `--want allow` on a denied flow: a new
// NetworkPolicy on each side that denies it (the source's egress, the destination's ingress, the
// DNS path for a name), selecting the two ends as narrowly as their labels allow and opening only
// the port the flow lands on. `--want deny` on an allowed flow: every rule that allows it,
// narrowed so the source (or destination) no longer matches; the side whose narrowing closes the
// fewest other cells is proposed. Each proposal carries its blast radius from the engine. Pure.
import { stringify } from 'yaml';
import { evaluateIn, type DirectionResult } from '../policy/evaluate.js';
import type { ClusterModel, PodModel, Protocol } from '../policy/model.js';
import type { CniProfile } from '../policy/profiles.js';
import { selectorMatches } from '../policy/selectors.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, SourcedPolicy } from '../policy/types.js';
import { checkPeer } from '../policy/match.js';
import { METADATA_NAME, podEndpoint, prepare, type World } from '../policy/world.js';
import { lintPolicies, type Finding } from '../policy/lint/index.js';
import { blastRadius, type BlastRadius, type Cell } from './blast.js';
import type { FlowMapping } from './mapping.js';
import { stableLabels } from './model.js';
import { DNS_SELECTOR, type FlowSimulation } from './simulate.js';

export interface Proposal {
  want: 'allow' | 'deny';
  /** New or changed NetworkPolicies, as they would be applied. */
  policies: NetworkPolicy[];
  /** Policies the change replaces (`ns/name`), for --want deny. */
  replaces: string[];
  yaml: string;
  /** Why each policy, in words. */
  rationale: string[];
  lint: Finding[];
  blast: BlastRadius;
}

const KEY_ORDER = ['app.kubernetes.io/name', 'app', 'k8s-app', 'name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'component', 'tier', 'role'];
const rank = (k: string): number => (KEY_ORDER.includes(k) ? KEY_ORDER.indexOf(k) : KEY_ORDER.length);

/**
 * The fewest labels of `subject` that select, in its namespace, exactly the pods that carry the same
 * stable labels (its replicas): no label-based selector can be narrower. Keys people write first
 * (app.kubernetes.io/name, app, ...) are tried first.
 */
export function narrowestSelector(pods: PodModel[], subject: PodModel): Record<string, string> {
  const own = stableLabels(subject.labels);
  const same = (p: PodModel) => JSON.stringify(Object.entries(stableLabels(p.labels)).sort()) === JSON.stringify(Object.entries(own).sort());
  const inNs = pods.filter((p) => p.namespace === subject.namespace);
  const cls = new Set(inNs.filter(same).map((p) => p.id));
  const picks = (sel: Record<string, string>) => inNs.filter((p) => Object.entries(sel).every(([k, v]) => p.labels[k] === v));
  const exact = (sel: Record<string, string>) => picks(sel).every((p) => cls.has(p.id));
  const keys = Object.keys(own).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const chosen: Record<string, string> = {};
  while (!(Object.keys(chosen).length > 0 && exact(chosen))) {
    // Greedy: the key that leaves the fewest pods, preferring the familiar ones on a tie.
    const best = keys.filter((x) => !(x in chosen)).map((x) => ({ x, n: picks({ ...chosen, [x]: own[x]! }).length })).sort((a, b) => a.n - b.n || rank(a.x) - rank(b.x))[0];
    if (!best) break;
    chosen[best.x] = own[best.x]!;
  }
  // Drop keys that turned out not to be needed.
  for (const k of Object.keys(chosen)) {
    const { [k]: _drop, ...rest } = chosen;
    if (Object.keys(rest).length > 0 && exact(rest)) delete chosen[k];
  }
  return chosen;
}

const dnsName = (s: string): string => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
export function policyName(...parts: string[]): string {
  return dnsName(['diagnose', ...parts].join('-')).slice(0, 63).replace(/-+$/, '');
}
const short = (pod: PodModel): string => pod.labels['app.kubernetes.io/name'] ?? pod.labels.app ?? pod.labels['k8s-app'] ?? pod.id.split('/')[1]!.replace(/-[a-z0-9]{5,10}(-[a-z0-9]{5})?$/, '');

function peerFor(far: PodModel, subjectNs: string, sel: Record<string, string>): NetworkPolicyPeer {
  return { ...(far.namespace !== subjectNs ? { namespaceSelector: { matchLabels: { [METADATA_NAME]: far.namespace } } } : {}), podSelector: { matchLabels: sel } };
}

function netpol(name: string, namespace: string, podSelector: LabelSelector, spec: Omit<NetworkPolicy['spec'], 'podSelector'>, flow: string): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace, annotations: { 'netpol-harness/diagnose': flow } }, spec: { podSelector, ...spec } };
}

export const flowText = (m: FlowMapping): string => `${m.source.pod} -> ${m.target.input}`;
export const sourced = (p: NetworkPolicy): SourcedPolicy => ({ policy: p, setId: 'proposal', file: `proposal/${p.metadata.namespace ?? ''}/${p.metadata.name}`, docIndex: 0 });
const key = (p: { metadata: { namespace?: string; name: string } }): string => `${p.metadata.namespace ?? ''}/${p.metadata.name}`;

export function withPolicies(model: ClusterModel, policies: NetworkPolicy[], replaces: string[] = []): ClusterModel {
  const gone = new Set(replaces);
  return { ...model, policies: [...model.policies.filter((p) => !gone.has(key(p.policy))), ...policies.map(sourced)] };
}

/** The cells the flow is made of: the source to each backend that can take it, on the port it lands on. */
export function wantedCells(m: FlowMapping): Cell[] {
  return m.target.backends.filter((b) => b.port !== undefined && (m.target.kind !== 'service' || b.ready) && m.target.kind !== 'address').map((b) => ({ from: m.source.pod, to: b.pod, port: b.port!, protocol: m.target.protocol }));
}

function finish(want: 'allow' | 'deny', model: ClusterModel, profile: CniProfile, policies: NetworkPolicy[], replaces: string[], rationale: string[], m: FlowMapping, extraWanted: Cell[] = []): Proposal {
  const after = withPolicies(model, policies, replaces);
  const touched = new Set(policies.map((p) => p.metadata.namespace ?? ''));
  const blast = blastRadius(model, after, profile, [...wantedCells(m), ...extraWanted], touched, want);
  const context = model.policies.filter((p) => touched.has(p.policy.metadata.namespace ?? '') && !replaces.includes(key(p.policy)));
  const lint = lintPolicies([...context, ...policies.map(sourced)]).findings.filter((f) => f.file.startsWith('proposal/'));
  const yaml = policies.map((p) => stringify(p).trimEnd()).join('\n---\n') + '\n';
  return { want, policies, replaces, yaml, rationale, lint, blast };
}

/** `--want allow` on a flow the policies deny: new policies on each denying side. */
export function proposeAllow(world: World, m: FlowMapping, sim: FlowSimulation): Proposal | undefined {
  const model = world.model;
  const pods = model.pods;
  const src = pods.find((p) => p.id === m.source.pod);
  if (!src) return undefined;
  const srcSel = narrowestSelector(pods, src);
  const flow = flowText(m);
  const policies: NetworkPolicy[] = [];
  const rationale: string[] = [];
  const denied = sim.backends.filter((b) => b.verdict !== 'allow');
  const dstPods = denied.map((b) => pods.find((p) => p.id === b.pod)).filter((p): p is PodModel => p !== undefined);
  const protocol: Protocol = m.target.protocol;
  const portsOf = (list: typeof denied) => [...new Set(list.map((b) => b.port))].sort((a, b) => a - b).map((port) => ({ protocol, port }));
  if (m.target.kind === 'address') {
    const b = denied[0];
    if (b?.egress?.verdict === 'deny') {
      policies.push(netpol(policyName(short(src), 'egress', m.target.backends[0]!.ip!), src.namespace, { matchLabels: srcSel }, { policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${m.target.backends[0]!.ip!}/32` } }], ports: portsOf(denied) }] }, flow));
      rationale.push(`egress of ${src.id} is denied: allow ${m.target.backends[0]!.ip}/32 on ${m.target.port}/${protocol} for pods ${fmt(srcSel)} only`);
    }
  } else if (dstPods.length > 0) {
    const dst0 = dstPods[0]!;
    // The Service's selector picks exactly its backends; a pod target gets its narrowest selector.
    const dstSel = m.target.service && Object.keys(m.target.service.selector).length ? m.target.service.selector : narrowestSelector(pods, dst0);
    const egressDenied = denied.filter((b) => b.egress?.verdict === 'deny');
    const ingressDenied = denied.filter((b) => b.ingress?.verdict === 'deny');
    if (egressDenied.length > 0) {
      policies.push(netpol(policyName('allow', short(src), 'to', short(dst0), 'egress'), src.namespace, { matchLabels: srcSel }, { policyTypes: ['Egress'], egress: [{ to: [peerFor(dst0, src.namespace, dstSel)], ports: portsOf(egressDenied) }] }, flow));
      rationale.push(`egress of ${src.id} is denied (isolated by ${egressDenied[0]!.egress!.isolatedBy.join(', ')}): allow pods ${fmt(srcSel)} to reach pods ${fmt(dstSel)}${dst0.namespace !== src.namespace ? ` in namespace ${dst0.namespace}` : ''} on ${portsOf(egressDenied).map((p) => `${p.port}/${p.protocol}`).join(', ')}`);
    }
    if (ingressDenied.length > 0) {
      policies.push(netpol(policyName('allow', short(src), 'to', short(dst0), 'ingress'), dst0.namespace, { matchLabels: dstSel }, { policyTypes: ['Ingress'], ingress: [{ from: [peerFor(src, dst0.namespace, srcSel)], ports: portsOf(ingressDenied) }] }, flow));
      rationale.push(`ingress of ${dst0.id} is denied (isolated by ${ingressDenied[0]!.ingress!.isolatedBy.join(', ')}): allow pods ${fmt(srcSel)}${dst0.namespace !== src.namespace ? ` of namespace ${src.namespace}` : ''} on ${portsOf(ingressDenied).map((p) => `${p.port}/${p.protocol}`).join(', ')}`);
    }
  }
  const extra: Cell[] = [];
  if (sim.dns && (sim.dns.udp !== 'allow' || sim.dns.tcp !== 'allow')) {
    policies.push(
      netpol(policyName('allow', short(src), 'dns'), src.namespace, { matchLabels: srcSel }, {
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { [METADATA_NAME]: DNS_SELECTOR.namespace } }, podSelector: { matchLabels: { [DNS_SELECTOR.key]: DNS_SELECTOR.value } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
      }, flow),
    );
    rationale.push(`name resolution is denied (UDP 53 ${sim.dns.udp}, TCP 53 ${sim.dns.tcp}): allow pods ${fmt(srcSel)} to reach CoreDNS (namespace kube-system AND k8s-app=kube-dns) on 53/UDP and 53/TCP`);
    for (const s of sim.dns.servers) for (const protocol of ['UDP', 'TCP'] as const) extra.push({ from: src.id, to: s, port: 53, protocol });
  }
  if (policies.length === 0) return undefined;
  const typos = sim.backends.flatMap((b) => b.triage).filter((l) => /a typo of/.test(l));
  if (typos.length > 0) rationale.push(`the triage points at a label typo; correcting the label instead needs no policy change (${typos.length} line(s) above)`);
  return finish('allow', model, world.profile, policies, [], rationale, m, extra);
}

const fmt = (sel: Record<string, string>): string => Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',') || '{}';

/** A selector that also excludes pods with `key=value`. */
export function excluding(sel: LabelSelector | null | undefined, k: string, v: string): LabelSelector {
  const s = structuredClone(sel ?? {});
  return { ...s, matchExpressions: [...(s.matchExpressions ?? []), { key: k, operator: 'NotIn', values: [v] }] };
}

/** The label a narrowing keys on: the first familiar key of the far pod's stable labels. */
function exclusionLabel(pods: PodModel[], far: PodModel): [string, string] | undefined {
  const sel = narrowestSelector(pods, far);
  const [k] = Object.keys(sel).sort((a, b) => rank(a) - rank(b));
  return k ? [k, sel[k]!] : undefined;
}

function narrowSide(world: World, m: FlowMapping, d: DirectionResult, src: PodModel, dst: PodModel): { policies: NetworkPolicy[]; replaces: string[]; rationale: string[] } | undefined {
  const pods = world.model.pods;
  const far = d.direction === 'ingress' ? src : dst;
  const subject = d.direction === 'ingress' ? dst : src;
  const label = exclusionLabel(pods, far);
  if (!label) return undefined;
  const [k, v] = label;
  const fieldName = d.direction === 'ingress' ? 'from' : 'to';
  const flow = flowText(m);
  if (d.reason === 'not-isolated') {
    const sel = narrowestSelector(pods, subject);
    const peer: NetworkPolicyPeer = { namespaceSelector: {}, podSelector: excluding({}, k, v) };
    const spec = d.direction === 'ingress' ? { policyTypes: ['Ingress' as const], ingress: [{ from: [peer] }] } : { policyTypes: ['Egress' as const], egress: [{ to: [peer] }] };
    const p = netpol(policyName('deny', short(src), 'to', short(dst), d.direction), subject.namespace, { matchLabels: sel }, spec, flow);
    return {
      policies: [p],
      replaces: [],
      rationale: [`${d.direction} of ${subject.id} is not isolated: isolate pods ${fmt(sel)} for ${d.direction} and allow every pod except ${k}=${v} (traffic from outside the pod network is no longer allowed to them either; see the blast radius)`],
    };
  }
  if (d.reason !== 'rule') return undefined;
  const byRef = new Map(world.compiled.policies.map((p) => [p.ref, p]));
  const changed = new Map<string, NetworkPolicy>();
  const rationale: string[] = [];
  for (const a of d.allowedBy) {
    const cp = byRef.get(a.policy);
    if (!cp) return undefined;
    const pol = changed.get(a.policy) ?? structuredClone<NetworkPolicy>(cp.source.policy);
    const rules = (d.direction === 'ingress' ? pol.spec.ingress : pol.spec.egress) ?? [];
    const rule: { from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[] } | undefined = rules[a.rule];
    if (!rule) return undefined;
    const peers = rule[fieldName];
    if (a.peer === undefined || !peers || peers.length === 0) {
      rule[fieldName] = [{ namespaceSelector: {}, podSelector: excluding({}, k, v) }];
      rationale.push(`${a.ref} allows every ${d.direction === 'ingress' ? 'source' : 'destination'}: limit it to pods without ${k}=${v} (any namespace; addresses outside the pod network are no longer allowed by it)`);
    } else {
      const peer = peers[a.peer]!;
      if (peer.ipBlock) {
        const ip = far.ip;
        if (!ip) return undefined;
        peer.ipBlock.except = [...(peer.ipBlock.except ?? []), `${ip}/32`];
        rationale.push(`${a.ref} (ipBlock ${peer.ipBlock.cidr}) contains ${far.id}: except ${ip}/32`);
      } else {
        // The pods the peer matches now, one peer per class, without the far end's class: In
        // selectors only, so no pod added later is matched either (least privilege).
        const cp0 = byRef.get(a.policy)!;
        const rulesNow = d.direction === 'ingress' ? cp0.ingress : cp0.egress;
        const compiledPeer = rulesNow.find((x) => x.index === a.rule)?.peers;
        const cpeer = compiledPeer === 'all' ? undefined : compiledPeer?.find((x) => x.index === a.peer);
        const farKey = JSON.stringify(Object.entries(stableLabels(far.labels)).sort());
        const keep = new Map<string, NetworkPolicyPeer>();
        for (const pod of pods) {
          if (pod.hostNetwork || (pod.namespace === far.namespace && JSON.stringify(Object.entries(stableLabels(pod.labels)).sort()) === farKey)) continue;
          const ep = podEndpoint(world, pod);
          if (!cpeer || !checkPeer(world, cp0, cpeer, ep).match) continue;
          const sel = narrowestSelector(pods, pod);
          const np: NetworkPolicyPeer = { ...(pod.namespace !== cp0.namespace || peer.namespaceSelector ? { namespaceSelector: { matchLabels: { [METADATA_NAME]: pod.namespace } } } : {}), podSelector: { matchLabels: sel } };
          keep.set(JSON.stringify(np), np);
        }
        peers.splice(a.peer, 1, ...[...keep.values()].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))));
        if (peers.length === 0) peers.push({ podSelector: excluding({}, k, v) });
        rationale.push(`${a.ref} matches ${far.id}: list the ${keep.size} class(es) of pods it matches now, one peer each, without ${k}=${v} (In selectors only: pods added later are not matched)`);
      }
    }
    changed.set(a.policy, pol);
  }
  return { policies: [...changed.values()], replaces: [...changed.keys()], rationale };
}

/** `--want deny` on a flow the policies allow: narrow the allowing side with the smaller blast radius. */
export function proposeDeny(world: World, m: FlowMapping, sim: FlowSimulation): Proposal | undefined {
  const pods = world.model.pods;
  const src = pods.find((p) => p.id === m.source.pod);
  if (!src) return undefined;
  const allowed = sim.backends.filter((b) => b.verdict === 'allow');
  const options: Proposal[] = [];
  for (const direction of ['ingress', 'egress'] as const) {
    const policies: NetworkPolicy[] = [];
    const replaces: string[] = [];
    const rationale: string[] = [];
    let ok = allowed.length > 0;
    for (const b of allowed) {
      const dst = pods.find((p) => p.id === b.pod);
      if (!dst) {
        ok = false;
        break;
      }
      const r = evaluateIn(prepare(withPolicies(world.model, policies, replaces), world.profile), { from: src.id, to: dst.id, port: b.port, protocol: m.target.protocol });
      const d = direction === 'ingress' ? r.ingress : r.egress;
      if (r.verdict !== 'allow' || !d) continue;
      const n = narrowSide(prepare(withPolicies(world.model, policies, replaces), world.profile), m, d, src, dst);
      if (!n) {
        ok = false;
        break;
      }
      for (const p of n.policies) {
        const i = policies.findIndex((x) => key(x) === key(p));
        if (i >= 0) policies[i] = p;
        else policies.push(p);
      }
      replaces.push(...n.replaces.filter((x) => !replaces.includes(x)));
      rationale.push(...n.rationale);
    }
    if (ok && policies.length > 0) options.push(finish('deny', world.model, world.profile, policies, replaces, rationale, m));
  }
  const closes = (p: Proposal) => p.blast.wanted.every((c) => verdictAfter(world, p, c) !== 'allow');
  const valid = options.filter(closes).sort((a, b) => a.blast.others.length - b.blast.others.length);
  return valid[0];
}

export function verdictAfter(world: World, p: Proposal, c: Cell): string {
  return evaluateIn(prepare(withPolicies(world.model, p.policies, p.replaces), world.profile), { from: c.from, to: c.to, port: c.port, protocol: c.protocol }).verdict;
}

/** Does `sel` select the pod (for tests and the rationale). */
export const selects = (sel: Record<string, string>, pod: PodModel): boolean => selectorMatches({ matchLabels: sel }, pod.labels);
