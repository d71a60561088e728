// The battery is a cluster-free cross-check of two readings of the spec: each case's hand-written
// expectation and the engine's simulation must agree on every cell under the reference profiles.
import { expect } from 'chai';
import { battery } from '../../../harness/conformance/cases.js';
import { FEATURE_NAMES } from '../../../harness/conformance/features.js';
import { cellInStep, generateBattery, selectCases, type GeneratedBattery } from '../../../harness/conformance/generate.js';
import { isTierCase } from '../../../harness/conformance/lanes.js';
import { PROFILES } from '../../../harness/policy/profiles.js';
import { expectedMatrix, simulateStep } from '../../../harness/policy/simulate.js';

describe('conformance: battery generation', function () {
  this.timeout(60_000);
  const b = generateBattery();
  /** Pod IPs inside the default pod subnet, spread over two node ranges, as a kind cluster assigns them. */
  const addresses = new Map<string, string>();
  b.loaded.suite.workloads.forEach((w, i) => addresses.set(`${w.namespace}/${w.name}`, `192.168.${1 + (i % 2)}.${10 + i}`));

  const addressesOf = (bb: GeneratedBattery) => {
    const m = new Map<string, string>();
    bb.loaded.suite.workloads.forEach((w, i) => m.set(`${w.namespace}/${w.name}`, `192.168.${1 + (i % 2)}.${10 + i}`));
    return m;
  };
  const tierStep = (bb: GeneratedBattery, i: number) => bb.steps[i]!.cases.some((c) => isTierCase(bb.cases.find((x) => x.id === c.caseId)!));

  /** Cells (inside the lanes that change) where the engine under `profile` differs from the spec expectation, and cells it calls unknown. */
  function compare(name: string, bb: GeneratedBattery = b): { disagreements: string[]; unknown: string[]; cells: number } {
    const profile = PROFILES[name]!;
    const addrs = bb === b ? addresses : addressesOf(bb);
    const disagreements: string[] = [];
    const unknown: string[] = [];
    let cells = 0;
    bb.loaded.suite.steps.forEach((s, i) => {
      // A profile without ClusterNetworkPolicy ignores them by design; runs on such CNIs report these steps not testable.
      if (profile.clusterNetworkPolicy === 'none' && tierStep(bb, i)) return;
      const sim = simulateStep(bb.loaded, i, { addresses: addrs, profile, explain: (src, col) => cellInStep(bb.steps[i], src, col) });
      const exp = expectedMatrix(bb.loaded, i, { addresses: addrs, profile }, sim);
      for (const { src, col, value } of exp.cells()) {
        if (!value || !cellInStep(bb.steps[i], src.id, col.key)) continue;
        cells++;
        const c = sim.get(src.id, col.key)!;
        if (c.verdict !== value.verdict) disagreements.push(`${s.name}: ${src.id} -> ${col.key} spec ${value.verdict}, engine ${c.verdict}`);
        if (c.engineVerdict === 'unknown') unknown.push(`${s.name}: ${src.id} -> ${col.key}`);
      }
    });
    return { disagreements, unknown, cells };
  }

  for (const name of ['upstream', 'calico']) {
    it(`every case's spec expectation agrees with the engine under the ${name} profile, cell by cell`, () => {
      const { disagreements, unknown, cells } = compare(name);
      expect(disagreements).to.deep.equal([]);
      expect(unknown).to.deep.equal([]);
      expect(cells).to.be.greaterThan(1000);
    });
  }

  it('under the kube-router profile the engine departs from the spec exactly where kube-router does: named ports', () => {
    // One lane: steps are named after their case, and sources are x, y, z only.
    const one = generateBattery({ lanes: 1 });
    const { disagreements, unknown, cells } = compare('kube-router', one);
    expect(cells).to.be.greaterThan(1000);
    // Egress `port: serve` without `to`: 80 and 81 (the numbers pods of x declare) to every destination,
    // as the battery observed on kube-router: the cells the spec denies are allowed.
    const egress = [
      ...['x/b:80', 'x/c:80', 'x/c:81', 'y/a:81', 'y/b:80', 'y/c:80', 'y/c:81', 'z/a:81', 'z/b:80', 'z/c:80', 'z/c:81'].map((c) => `${c}/TCP`),
      'external:ext:80/TCP',
    ];
    expect(disagreements).to.deep.equal(egress.map((c) => `named-port-egress: x/a -> ${c} spec deny, engine allow`));
    // Ingress `port: serve`: x/a:80 and x/b:81 open; the other TCP cells of x are order-dependent.
    const doubtful = ['x/a:81/TCP', 'x/b:80/TCP', 'x/c:80/TCP', 'x/c:81/TCP'];
    // y/svc's cells belong to the Service cases only (generate.ts caseSees).
    const sources = one.loaded.suite.workloads.filter((w) => w.initially !== 'absent' && w.via !== 'service').map((w) => `${w.namespace}/${w.name}`);
    const want = sources.flatMap((src) => doubtful.filter((c) => !c.startsWith(`${src}:`)).map((c) => `named-port-ingress: ${src} -> ${c}`));
    expect([...unknown].sort()).to.deep.equal(want.sort());
  });

  it('the engine under `none` disagrees with every case that denies something', () => {
    const deniers = new Set(b.loaded.suite.steps.filter((s) => typeof s.expect === 'object' && s.expect.rules.some((r) => 'deny' in r)).map((s) => s.name));
    const caught = new Set<string>();
    b.loaded.suite.steps.forEach((s, i) => {
      const sim = simulateStep(b.loaded, i, { addresses, profile: PROFILES.none!, explain: (src, col) => cellInStep(b.steps[i], src, col) });
      const exp = expectedMatrix(b.loaded, i, { addresses, profile: PROFILES.none! }, sim);
      for (const { src, col, value } of exp.cells()) if (value && cellInStep(b.steps[i], src.id, col.key) && sim.get(src.id, col.key)!.verdict !== value.verdict) caught.add(s.name);
    });
    expect([...caught].sort()).to.deep.equal([...deniers].sort());
    expect(deniers.size).to.be.greaterThan(10);
  });

  it('every feature is covered by at least one case, and every case cites the spec', () => {
    const all = battery({ podSubnet: '192.168.0.0/16', serviceIP: '10.96.0.254' });
    for (const f of FEATURE_NAMES) expect(all.some((c) => c.features.includes(f)), f).to.equal(true);
    for (const c of all) expect(c.spec.every((n) => /^[NA]\d\d$/.test(n)) && c.spec.length > 0, c.id).to.equal(true);
  });

  it('a suite per run: steps map back to cases, and each round starts by removing what the previous one applied', () => {
    expect(b.steps).to.have.length(b.loaded.suite.steps.length);
    const one = generateBattery({ lanes: 1 });
    const firstOf = (id: string) => one.loaded.suite.steps[one.steps.findIndex((s) => s.cases.some((c) => c.caseId === id && c.change))]!;
    // One lane: one case per round, in battery order (longest first).
    expect(one.rounds.every((r) => r.cases.length === 1)).to.equal(true);
    expect(firstOf('ns-label').remove).to.deep.equal(['pod-label']);
    // update: v2 replaces the object in place; both sets are removed by the next round.
    expect(firstOf('delete').remove.sort()).to.deep.equal(['update', 'update-v2']);
    expect(one.loaded.suite.workloads.some((w) => w.name === 'n' && w.namespace === 'x' && w.initially === 'absent')).to.equal(true);
    // Four lanes: every round's first step removes exactly the sets the previous round left.
    for (let r = 1; r < b.rounds.length; r++) {
      const first = b.loaded.suite.steps[b.steps.findIndex((s) => s.round === r)]!;
      const prev = b.rounds[r - 1]!.cases.flatMap(({ case: c }) => Object.keys(c.sets).map((l) => (l === 'main' ? c.id : `${c.id}-${l}`)));
      expect(first.remove.every((x) => prev.includes(x)), first.name).to.equal(true);
    }
  });

  it('--focus keeps only the tagged cases and the topology they need', () => {
    const f = generateBattery({ focus: ['isolation-egress'] });
    expect(f.cases.map((c) => c.id)).to.deep.equal(['iso-egress', 'iso-types-win']);
    expect(f.cases.every((c) => c.features.includes('isolation-egress'))).to.equal(true);
    expect(f.loaded.suite.workloads.some((w) => w.name === 'n')).to.equal(false);
    expect(f.rounds).to.have.length(1);
    expect(f.loaded.suite.namespaces.map((n) => n.name)).to.deep.equal(['x', 'y', 'z', 'x-1', 'y-1', 'z-1']);
    expect(selectCases(battery({ podSubnet: '10.0.0.0/8' }), [])).to.have.length(battery({ podSubnet: '10.0.0.0/8' }).length);
  });

  it('without externals (existing clusters): no outside container, no case about it, no cell expected toward it', () => {
    const g = generateBattery({ externals: false });
    expect(g.loaded.suite.externals).to.deep.equal([]);
    expect(g.cases.map((c) => c.id)).not.to.include('ipblock-external');
    expect(g.cases.length).to.equal(b.cases.length - 1);
    const rules = JSON.stringify(g.loaded.suite.steps.map((s) => s.expect));
    expect(rules).not.to.include('external:');
    expect(JSON.stringify(b.loaded.suite.steps.map((s) => s.expect))).to.include('external:ext');
  });

  it('ipBlock cases start from the cluster pod subnet (until the pods\' observed IPs replace it, addresses.ts)', () => {
    const g = generateBattery({ podSubnet: '10.244.0.0/16', focus: ['ipblock-except'] });
    const docs = [...g.loaded.policies.values()].flat().map((p) => JSON.stringify(p.policy.spec));
    expect(docs.some((d) => d.includes('"cidr":"10.244.0.0/15","except":["10.244.0.0/16"]'))).to.equal(true);
    expect(docs.some((d) => d.includes('192.168.'))).to.equal(false);
  });
});
