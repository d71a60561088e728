// The bulk matrix engine (classes, bit sets) and the per-connection evaluator must agree on every
// cell of random clusters: two implementations of one semantics checking each other.
import { expect } from 'chai';
import { connectionsIn } from '../../../harness/policy/connections.js';
import { evaluateIn } from '../../../harness/policy/evaluate.js';
import { prepare } from '../../../harness/policy/world.js';
import type { ClusterModel, PodModel, Protocol } from '../../../harness/policy/model.js';
import { calico, kubeRouter, upstream, type CniProfile } from '../../../harness/policy/profiles.js';
import { computeReachability, type PortSpec } from '../../../harness/policy/reach.js';
import type { LabelSelector, NetworkPolicyPeer, NetworkPolicyPort } from '../../../harness/policy/types.js';
import { cnp, np } from './fixtures.js';
import type { CnpPeer, CnpProtocol, CnpRule } from '../../../harness/policy/cnp/types.js';
import { rng } from '../../../bench/synthetic.js';


function randomModel(seed: number): ClusterModel {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const chance = (p: number): boolean => r() < p;
  const nss = ['x', 'y', 'z'];
  const keys = ['app', 'tier', 'env'];
  const vals = ['a', 'b', 'c'];
  const labels = (): Record<string, string> => Object.fromEntries(keys.filter(() => chance(0.6)).map((k) => [k, pick(vals)]));
  const portNames = ['http', 'dns', 'metrics'];
  const protos: Protocol[] = ['TCP', 'UDP', 'SCTP'];
  const pods: PodModel[] = [];
  const n = 6 + Math.floor(r() * 10);
  for (let i = 0; i < n; i++) {
    const ns = pick(nss);
    const hostNetwork = chance(0.1);
    pods.push({
      id: `${ns}/p${i}`,
      namespace: ns,
      labels: labels(),
      ...(chance(0.7) ? { ip: `10.${pick([0, 0, 1])}.${Math.floor(r() * 4)}.${i + 1}` } : {}),
      ...(hostNetwork ? { hostNetwork, ip: chance(0.5) ? '169.254.20.10' : undefined } : {}),
      node: pick(['n1', 'n2']),
      ports: [80, 53, 8080]
        .filter(() => chance(0.6))
        .map((port) => ({ ...(chance(0.6) ? { name: pick(portNames) } : {}), port, protocol: pick(protos) })),
    });
  }
  const sel = (): LabelSelector => {
    if (chance(0.25)) return {};
    const s: LabelSelector = {};
    if (chance(0.6)) s.matchLabels = { [pick(keys)]: pick(vals) };
    if (chance(0.5)) {
      const op = pick(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
      s.matchExpressions = [{ key: pick([...keys, 'ns']), operator: op, ...(op === 'In' || op === 'NotIn' ? { values: [pick(vals), pick([...vals, 'x', 'y'])] } : {}) }];
    }
    return s;
  };
  const cidrs = ['10.0.0.0/16', '10.0.0.0/8', '0.0.0.0/0', '10.1.0.0/16', '10.0.1.0/24', '169.254.20.10/32', '198.51.100.0/24', '172.18.0.0/24', '::/0'];
  const peer = (): NetworkPolicyPeer => {
    const k = r();
    if (k < 0.25) {
      const cidr = pick(cidrs);
      const except = cidr === '10.0.0.0/8' && chance(0.5) ? ['10.0.0.0/16'] : cidr === '10.0.0.0/16' && chance(0.5) ? ['10.0.1.0/24'] : undefined;
      return { ipBlock: { cidr, ...(except ? { except } : {}) } };
    }
    if (k < 0.5) return { podSelector: sel() };
    if (k < 0.75) return { namespaceSelector: chance(0.5) ? { matchLabels: { ns: pick(nss) } } : sel() };
    return { namespaceSelector: sel(), podSelector: sel() };
  };
  const port = (): NetworkPolicyPort => {
    const k = r();
    const protocol = chance(0.3) ? undefined : pick(protos);
    const withProto = protocol ? { protocol } : {};
    if (k < 0.15) return withProto;
    if (k < 0.35) return { ...withProto, port: pick(portNames) };
    if (k < 0.5) return { ...withProto, port: 50, endPort: 8080 };
    return { ...withProto, port: pick([80, 53, 8080]) };
  };
  const list = <T>(make: () => T, max: number): T[] => Array.from({ length: Math.floor(r() * (max + 1)) }, make);
  const policies = Array.from({ length: 1 + Math.floor(r() * 6) }, (_, i) => {
    const types = pick([undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']] as const);
    return np(pick(nss), `p${i}`, {
      podSelector: sel(),
      ...(types ? { policyTypes: [...types] } : {}),
      ingress: list(() => ({ ...(chance(0.8) ? { from: list(peer, 2) } : {}), ...(chance(0.7) ? { ports: list(port, 2) } : {}) }), 2),
      egress: list(() => ({ ...(chance(0.8) ? { to: list(peer, 2) } : {}), ...(chance(0.7) ? { ports: list(port, 2) } : {}) }), 2),
    });
  });
  // ClusterNetworkPolicies in both tiers, every action, peer kind and protocol form (Admin -> NP -> Baseline).
  const cnpPeer = (egress: boolean): CnpPeer => {
    const k = r();
    if (egress && k < 0.3) return { networks: [pick(cidrs.filter((c) => c !== '::/0')), ...(chance(0.3) ? ['198.51.100.0/24'] : [])].filter((c, i, a) => a.indexOf(c) === i) };
    if (k < 0.6) return { namespaces: chance(0.5) ? { matchLabels: { ns: pick(nss) } } : sel() };
    return { pods: { ...(chance(0.7) ? { namespaceSelector: sel() } : {}), podSelector: sel() } };
  };
  const cnpProtocol = (named: boolean): CnpProtocol => {
    const k = r();
    if (named && k < 0.25) return { destinationNamedPort: pick(portNames) };
    const key = pick(['tcp', 'udp', 'sctp'] as const);
    return { [key]: { destinationPort: k < 0.6 ? { number: pick([80, 53, 8080]) } : { range: { start: 50, end: 8080 } } } };
  };
  const cnpRule = (egress: boolean): CnpRule => {
    const peers = Array.from({ length: 1 + Math.floor(r() * 2) }, () => cnpPeer(egress));
    const named = !peers.some((p) => p.networks);
    return { action: pick(['Accept', 'Deny', 'Pass'] as const), [egress ? 'to' : 'from']: peers, ...(chance(0.6) ? { protocols: list(() => cnpProtocol(named), 2).concat(cnpProtocol(named)) } : {}) };
  };
  const clusterPolicies = chance(0.7)
    ? Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) =>
        cnp(`c${i}`, pick(['Admin', 'Baseline'] as const), pick([0, 10, 10, 500]), {
          subject: chance(0.5) ? { namespaces: chance(0.5) ? { matchLabels: { ns: pick(nss) } } : sel() } : { pods: { namespaceSelector: sel(), podSelector: sel() } },
          ingress: list(() => cnpRule(false), 2),
          egress: list(() => cnpRule(true), 2),
        }),
      )
    : [];
  return {
    clusterPolicies,
    namespaces: nss.map((name) => {
      const labels: Record<string, string> = { ns: name };
      if (chance(0.5)) labels.env = pick(vals);
      return { name, labels };
    }),
    pods,
    externals: [
      { id: 'external:e1', ip: '198.51.100.7' },
      { id: 'external:e2', ip: '8.8.8.8' },
      { id: 'external:e6', ip: '2001:db8::1' },
    ],
    nodes: [
      { name: 'n1', ip: '172.18.0.2' },
      { name: 'n2', ip: '172.18.0.3' },
    ],
    podSubnet: chance(0.8) ? '10.0.0.0/16' : '10.0.0.0/8',
    policies,
  };
}

const PROFILES: CniProfile[] = [
  calico,
  upstream,
  { ...kubeRouter, clusterNetworkPolicy: 'v1alpha2' },
  { ...calico, name: 'cilium-like', ipBlockMatchesPodIPs: false, ipBlockMatchesNodeIPs: false, endPortSupported: false },
  { ...upstream, name: 'pod-mode', hostNetwork: 'pod', exceptSupported: false, offlinePartialPodIp: 'match' },
];
const PORTS: PortSpec[] = [
  { port: 80, protocol: 'TCP' },
  { port: 53, protocol: 'UDP' },
  { port: 8080, protocol: 'SCTP' },
  { port: 443, protocol: 'TCP' },
];

describe('policy engine: matrix engine, evaluator and open-port sets agree on random clusters', () => {
  it('every cell of 100 random clusters under 5 profiles', function () {
    // A generous bound for a loaded shared machine; typical wall time is well under a minute.
    this.timeout(300_000);
    let cells = 0;
    let allows = 0;
    let tieredModels = 0;
    const tierDecided = { Admin: 0, Baseline: 0 };
    for (let seed = 1; seed <= 100; seed++) {
      const model = randomModel(seed);
      const tiered = (model.clusterPolicies ?? []).length > 0;
      if (tiered) tieredModels++;
      const endpoints = [...model.pods.map((p) => p.id), ...model.nodes!.map((n) => `node:${n.name}`), ...model.externals.map((e) => e.id)];
      const profile = PROFILES[seed % PROFILES.length]!;
      const m = computeReachability(model, { sources: endpoints, destinations: endpoints, ports: PORTS }, profile);
      const world = prepare(model, profile);
      for (const [si, s] of endpoints.entries()) {
        for (const [di, d] of endpoints.entries()) {
          // A third view of the same semantics: the open-port sets must contain exactly the allowed cells.
          // With cluster policies it is computed piecewise by the evaluator (slow), so every third pair is enough.
          const open = tiered && (si + di) % 3 !== 0 ? undefined : connectionsIn(world, s, d).allowed;
          for (const [pi, p] of PORTS.entries()) {
            const e = evaluateIn(world, { from: s, to: d, ...p });
            for (const side of [e.egress, e.ingress]) if (side?.decidedBy) tierDecided[side.decidedBy.tier]++;
            const got = m.at(si, di, pi);
            if (got !== e.verdict) {
              expect.fail(`seed ${seed} profile ${profile.name}: ${s} -> ${d}:${p.port}/${p.protocol}: matrix ${got}, evaluator ${e.verdict}\n${e.explanation.summary}\n${e.explanation.details.join('\n')}`);
            }
            if (got !== 'unknown' && open) expect(open.has(p.protocol, p.port), `seed ${seed} ${profile.name}: connections ${s} -> ${d}:${p.port}/${p.protocol}`).to.equal(got === 'allow');
            cells++;
            if (got === 'allow') allows++;
          }
        }
      }
    }
    // Guard against a degenerate generator: both verdicts must be well represented.
    expect(cells).to.be.greaterThan(50_000);
    expect(allows / cells).to.be.within(0.2, 0.9);
    expect(tieredModels).to.be.greaterThan(40);
    expect(tierDecided.Admin).to.be.greaterThan(500);
    expect(tierDecided.Baseline).to.be.greaterThan(500);
  });
});
