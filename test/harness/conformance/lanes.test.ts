// Lanes and packing: cases in one round must not interfere. The proof, per packed round and step,
// on every cell of the combined topology (across lanes too): the engine's simulation of the
// combined step equals the union of the cases' own expectations (a cell is denied iff some case
// denies it), each read in its lane with `*` meaning every endpoint.
import { expect } from 'chai';
import { battery, type ConformanceCase } from '../../../harness/conformance/cases.js';
import { caseRules, generateBattery, suiteOfRounds, type GeneratedBattery } from '../../../harness/conformance/generate.js';
import { conflict, crossesLanes, changesEndpoints, inLane, isTierCase, laneRule, pack, usesNamedPorts } from '../../../harness/conformance/lanes.js';
import type { Verdict } from '../../../harness/matrix/matrix.js';
import { PROFILES } from '../../../harness/policy/profiles.js';
import { expectedMatrix, simulateStep } from '../../../harness/policy/simulate.js';

const SUBNET = '192.168.0.0/16';

function addressesOf(b: GeneratedBattery): Map<string, string> {
  const a = new Map<string, string>();
  b.loaded.suite.workloads.forEach((w, i) => a.set(`${w.namespace}/${w.name}`, `192.168.${1 + (i % 2)}.${10 + i}`));
  return a;
}

/** Cells where the combined step's simulation differs from the union of the round's per-case expectations. */
function unionMismatches(b: GeneratedBattery, profileName: string, onlyRound?: number): { mismatches: string[]; cells: number } {
  const profile = PROFILES[profileName]!;
  const addresses = addressesOf(b);
  const mismatches: string[] = [];
  let cells = 0;
  b.loaded.suite.steps.forEach((s, i) => {
    const meta = b.steps[i]!;
    if (onlyRound !== undefined && meta.round !== onlyRound) return;
    const round = b.rounds[meta.round]!;
    if (profile.clusterNetworkPolicy === 'none' && round.cases.some(({ case: c }) => isTierCase(c))) return;
    // A profile that reads named ports its own way departs from the spec there by design (generate.test.ts
    // pins where); those cases run alone, so there is no interference to prove.
    if (profile.namedPorts !== 'per-pod' && round.cases.some(({ case: c }) => usesNamedPorts(c))) {
      expect(round.cases, `${s.name}: a named-port case shares a round`).to.have.length(1);
      return;
    }
    const t = b.steps.slice(0, i).filter((m) => m.round === meta.round).length;
    const sim = simulateStep(b.loaded, i, { addresses, profile, explain: () => false });
    // Each case's own expectation over the whole combined matrix.
    const perCase = round.cases.map(({ case: c, lane }) => {
      const steps = b.loaded.suite.steps.map((x, j) => (j === i ? { ...x, expect: { default: 'allow' as const, rules: caseRules(c, lane, t, false, b.lanes).map(([v, p]) => (v === 'allow' ? { allow: p } : { deny: p })) } } : x));
      return expectedMatrix({ ...b.loaded, suite: { ...b.loaded.suite, steps } }, i);
    });
    for (const { src, col } of sim.cells()) {
      const engine = sim.get(src.id, col.key)?.verdict;
      if (!engine) continue;
      cells++;
      const union: Verdict = perCase.some((m) => m.get(src.id, col.key)?.verdict === 'deny') ? 'deny' : 'allow';
      if (engine !== union) mismatches.push(`${s.name}: ${src.id} -> ${col.key} union ${union}, engine ${engine}`);
    }
  });
  return { mismatches, cells };
}

describe('conformance: lanes and packing', function () {
  this.timeout(120_000);
  const all = battery({ podSubnet: SUBNET });

  it('packs every case exactly once, at most `lanes` per round, and never two that conflict', () => {
    for (const lanes of [1, 2, 4, 8]) {
      const rounds = pack(all, lanes);
      expect(rounds.flatMap((r) => r.cases.map((c) => c.case.id)).sort()).to.deep.equal(all.map((c) => c.id).sort());
      for (const r of rounds) {
        expect(r.cases.length).to.be.within(1, lanes);
        expect(r.cases.map((c) => c.lane)).to.deep.equal(r.cases.map((_, i) => i));
        expect(r.steps).to.equal(Math.max(...r.cases.map((c) => c.case.steps.length)));
        for (const a of r.cases) for (const b of r.cases) if (a !== b) expect(conflict(a.case, b.case), `${a.case.id} + ${b.case.id}`).to.equal(undefined);
      }
    }
  });

  it('the conflict rules: tier cases alone, one cross-lane case per round, never beside a case changing labels or pods', () => {
    const byId = (id: string) => all.find((c) => c.id === id)!;
    expect(crossesLanes(byId('peer-ns-empty'))).to.equal(true);
    expect(crossesLanes(byId('ipblock-pods'))).to.equal(true);
    expect(crossesLanes(byId('peer-and'))).to.equal(false);
    expect(crossesLanes(byId('expr-in'))).to.equal(false);
    expect(changesEndpoints(byId('pod-label'))).to.equal(true);
    expect(changesEndpoints(byId('update'))).to.equal(false);
    expect(conflict(byId('peer-ns-empty'), byId('ipblock-pods'))).to.match(/across lanes/);
    expect(conflict(byId('peer-ns-empty'), byId('ns-label'))).to.match(/labels or pods/);
    expect(conflict(byId('peer-ns-empty'), byId('iso-ingress'))).to.equal(undefined);
    expect(conflict(byId('tier-admin-deny'), byId('iso-ingress'))).to.match(/alone/);
    expect(conflict(byId('named-port-egress'), byId('iso-ingress'))).to.match(/named-port case runs alone/);
    const rounds = pack(all, 4);
    for (const r of rounds) expect(r.cases.filter(({ case: c }) => crossesLanes(c)).length).to.be.at.most(1);
    expect(rounds.filter((r) => r.cases.some(({ case: c }) => isTierCase(c))).every((r) => r.cases.length === 1 && r.cases[0]!.lane === 0)).to.equal(true);
  });

  it('four lanes run the battery in far fewer steps than one', () => {
    const one = generateBattery({ lanes: 1 });
    const four = generateBattery({ lanes: 4 });
    expect(four.loaded.suite.steps.length).to.be.at.most(Math.ceil(one.loaded.suite.steps.length / 2.5));
    // 4 lanes x 9 pods, and y/svc (lane 0 only) for the ipBlock-against-a-Service cases.
    expect(four.loaded.suite.workloads.filter((w) => w.initially !== 'absent')).to.have.length(37);
  });

  it('a case through y/svc opens its own round, so it runs in lane 0, the only lane with y/svc', () => {
    const all = battery({ podSubnet: SUBNET, serviceIP: '10.96.0.254' });
    const svc = all.filter((c) => c.throughService);
    expect(svc.map((c) => c.id)).to.deep.equal(['ipblock-cluster-ip', 'ipblock-backend-via-service', 'service-target-port', 'service-port-not-target']);
    for (const lanes of [1, 2, 4, 8]) {
      const placed = pack(all, lanes).flatMap((r) => r.cases).filter(({ case: c }) => c.throughService);
      expect(placed.map((p) => p.lane), `${lanes} lanes`).to.deep.equal([0, 0, 0, 0]);
    }
  });

  for (const profile of ['upstream', 'calico', 'kube-router']) {
    it(`every packed round (4 lanes): the combined step's simulation equals the union of the per-case expectations on every cell, ${profile} profile`, () => {
      const { mismatches, cells } = unionMismatches(generateBattery({ lanes: 4 }), profile);
      expect([...new Set(mismatches.map((m) => m.split(":")[0]))], mismatches.slice(0, 10).join("\n")).to.deep.equal([]);
      expect(cells).to.be.greaterThan(40_000);
    });
  }

  it('the union check has teeth: a cross-lane peer packed beside a label change does interfere', () => {
    // Ingress to x/a from pods labelled role=client in ANY namespace; the pod-label case (lane 1)
    // labels x-1/b so: x-1/b -> x/a opens, which the cross-lane case's expectation does not say.
    const clients: ConformanceCase = {
      id: 'clients-anywhere', title: 'role=client in any namespace', spec: ['N12'], features: ['peer-namespace'], direction: 'ingress',
      sets: { main: [{ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'clients', namespace: 'x' }, spec: { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { role: 'client' } } }] }] } }] },
      steps: [{ change: 'policy-create', apply: ['main'], expect: [['deny', '* -> x/a']] }],
    };
    const podLabel = all.find((c) => c.id === 'pod-label')!;
    expect(conflict(clients, podLabel)).to.not.equal(undefined);
    const forced = suiteOfRounds([clients, podLabel], [{ cases: [{ case: clients, lane: 0 }, { case: podLabel, lane: 1 }], steps: 3 }], SUBNET, 2);
    const { mismatches } = unionMismatches(forced, 'calico');
    expect(mismatches.some((m) => m.includes('x-1/b -> x/a'))).to.equal(true);
    // Packed by the rules, they land in different rounds and the union holds.
    const packed = suiteOfRounds([clients, podLabel], pack([clients, podLabel], 2), SUBNET, 2);
    expect(packed.rounds).to.have.length(2);
    expect(unionMismatches(packed, 'calico').mismatches).to.deep.equal([]);
  });

  it('a case keeps its meaning in every lane: namespaces renamed, namespace label values suffixed, `*` scoped on demand', () => {
    expect(laneRule(['allow', 'y/* -> x/a:80/TCP'], 2, true)).to.deep.equal([['allow', 'y-2/* -> x-2/a:80/TCP']]);
    expect(laneRule(['deny', '* -> x/a'], 1, true)).to.deep.equal([['deny', 'x-1/* -> x-1/a'], ['deny', 'y-1/* -> x-1/a'], ['deny', 'z-1/* -> x-1/a']]);
    expect(laneRule(['deny', '* -> x/a'], 1, false)).to.deep.equal([['deny', '* -> x-1/a']]);
    expect(laneRule(['deny', 'x/a -> external:ext'], 3, true)).to.deep.equal([['deny', 'x-3/a -> external:ext']]);
    expect(laneRule(['allow', '* -> x/a:*/UDP'], 0, false)).to.deep.equal([['allow', '* -> x/a:*/UDP']]);
    const b = generateBattery({ lanes: 4 });
    const nsLabel = b.rounds.flatMap((r) => r.cases).find(({ case: c }) => c.id === 'ns-label')!;
    const step = b.loaded.suite.steps[b.steps.findIndex((m) => m.cases.some((c) => c.caseId === 'ns-label' && c.change === 'ns-label'))]!;
    const lane = nsLabel.lane;
    expect(step.labels.find((l) => l.target.startsWith('namespace/'))).to.deep.include({ target: `namespace/${lane === 0 ? 'z' : `z-${lane}`}`, set: { allowed: lane === 0 ? 'yes' : `yes-${lane}` } });
    expect(b.loaded.suite.namespaces.find((n) => n.name === 'y-3')!.labels).to.deep.equal({ ns: 'y-3', env: 'prod-3' });
    expect(inLane('x-1/a', 'y-1/b:80/TCP', 1)).to.equal(true);
    expect(inLane('x-1/a', 'external:ext:80/TCP', 1)).to.equal(true);
    expect(inLane('x-1/a', 'y/b:80/TCP', 1)).to.equal(false);
    expect(inLane('x/a', 'x-1/b:80/TCP', 0)).to.equal(false);
  });
});
