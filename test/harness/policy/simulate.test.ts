// simulateStep / expectedMatrix on suites: the seed suite's hand-written expectations agree with
// the policies at every step; DNS columns, implicit CoreDNS, offline pod IPs, profiles.
import { expect } from 'chai';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { expandExpectation } from '../../../harness/matrix/expect.js';
import { calico, kubeRouter, none } from '../../../harness/policy/profiles.js';
import { expectedMatrix, simulateStep } from '../../../harness/policy/simulate.js';
import { IMPLICIT_COREDNS_ID, suiteModel } from '../../../harness/policy/suite-model.js';
import { loadSuite, type LoadedSuite } from '../../../harness/suite/load.js';

const SEED = 'suites/zero-trust/suite.yaml';
const FIXTURE = 'test/harness/policy/fixtures/sim/suite.yaml';
const DNS = 'dns:backend.develop.svc.cluster.local';

describe('policy engine: simulate', () => {
  let seed: LoadedSuite;
  let fixture: LoadedSuite;
  before(async () => {
    seed = await loadSuite(SEED);
    fixture = await loadSuite(FIXTURE);
  });

  it('the seed suite: hand-written expectations agree with the simulation on every cell of every step', () => {
    const axes = buildAxes(seed.suite);
    let cells = 0;
    for (const [i, step] of seed.suite.steps.entries()) {
      const sim = simulateStep(seed, i);
      // Expanded without the simulator: the rules alone must say what the policies imply.
      const hand = expandExpectation(step.expect, axes);
      for (const { src, col, value } of hand.cells()) {
        const s = sim.get(src.id, col.key)!;
        expect(s.verdict, `step ${step.name}: ${src.id} -> ${col.key} (hand ${value!.origin}); engine: ${s.explanation.summary}`).to.equal(value!.verdict);
        cells++;
      }
    }
    expect(cells).to.equal(seed.suite.steps.length * 76);
  });

  it('the seed suite: DNS breaks under default deny, stays broken with the podSelector-only mistake, works with the fix', () => {
    const at = (step: string) => simulateStep(seed, seed.suite.steps.findIndex((s) => s.name === step)).get('develop/frontend', DNS)!;
    expect(at('open-cluster').verdict).to.equal('allow');
    expect(at('default-deny').verdict).to.equal('deny');
    const mistake = at('dns-mistake');
    expect(mistake.verdict).to.equal('deny');
    expect(mistake.explanation.details.join('\n')).to.contain(
      'closest miss (suites/zero-trust/policies/allow-dns-mistake.yaml:35): develop/allow-dns-mistake egress[0] to[0]: podSelector k8s-app=kube-dns without namespaceSelector selects pods in develop only, and kube-system/coredns is in kube-system',
    );
    const fixed = at('allow-dns');
    expect(fixed.verdict).to.equal('allow');
    expect(fixed.explanation.details.join('\n')).to.match(/allowed by develop\/allow-dns-egress egress\[0\] to\[0\] ports\[0\]/);
    // Sources outside the isolated namespaces resolve at every step.
    expect(simulateStep(seed, 1).get('sandbox/attacker', DNS)!.verdict).to.equal('allow');
  });

  it('the seed suite: the attacker copying the gateway label is still denied (namespaceSelector AND podSelector)', () => {
    const i = seed.suite.steps.findIndex((s) => s.name === 'attacker-probe');
    const m = simulateStep(seed, i);
    expect(m.get('sandbox/attacker', 'task-api/task-api:8000/TCP')!.verdict).to.equal('deny');
    expect(m.get('envoy-gateway-system/envoy-gateway', 'task-api/task-api:8000/TCP')!.verdict).to.equal('allow');
    expect(m.get('task-api/task-api', 'external:payments-api:443/TCP')!.verdict).to.equal('allow');
    expect(m.get('develop/debug', 'develop/production-db:5432/TCP')!.verdict).to.equal('deny');
  });

  it('expect: simulated takes every cell from the engine; default: simulated keeps rule overrides', () => {
    const sim = simulateStep(fixture, 2);
    const exp = expectedMatrix(fixture, 2);
    let simulated = 0;
    for (const { src, col, value } of exp.cells()) {
      if (src.id === 'other/client' && col.key === 'app/web:8080/TCP') {
        expect(value).to.include({ verdict: 'allow', origin: 'rules[0]' });
        expect(sim.get(src.id, col.key)!.verdict).to.equal('deny');
      } else {
        expect(value!.origin).to.equal('simulated');
        expect(value!.verdict).to.equal(sim.get(src.id, col.key)!.verdict);
        simulated++;
      }
    }
    expect(simulated).to.equal(19);
    const whole = expectedMatrix(fixture, 1);
    expect([...whole.cells()].every((c) => c.value!.origin === 'simulated')).to.equal(true);
    expect(() => expectedMatrix(fixture, 99)).to.throw(RangeError);
  });

  it('without a declared CoreDNS, an implicit kube-system pod labelled k8s-app=kube-dns answers DNS', () => {
    const { dnsPods, implicitDns, model } = suiteModel(fixture, 0);
    expect(implicitDns).to.equal(true);
    expect(dnsPods).to.deep.equal([IMPLICIT_COREDNS_ID]);
    expect(model.pods.find((p) => p.id === IMPLICIT_COREDNS_ID)!.labels).to.deep.equal({ 'k8s-app': 'kube-dns' });
    const dns = 'dns:web.app.svc.cluster.local';
    expect(simulateStep(fixture, 1).get('app/web', dns)!.verdict).to.equal('deny');
    expect(simulateStep(fixture, 2).get('app/web', dns)!.verdict).to.equal('allow');
    expect(simulateStep(fixture, 2).get('other/client', dns)!.verdict).to.equal('allow');
  });

  it('label changes of a step apply (N42 through the suite): the client gains access once labelled', () => {
    expect(simulateStep(fixture, 2).get('other/client', 'app/web:8080/TCP')!.verdict).to.equal('deny');
    const after = simulateStep(fixture, 3).get('other/client', 'app/web:8080/TCP')!;
    expect(after.verdict).to.equal('allow');
    expect(after.explanation.details.join('\n')).to.match(/allowed by app\/web-in ingress\[0\] from\[0\] ports\[0\].*named port http is 8080\/TCP/);
  });

  it('offline, an ipBlock covering part of the pod subnet is decided by the profile and flagged; run-time addresses decide exactly', () => {
    // other/svc is not isolated for ingress, so web's egress decides.
    const cell = (opts = {}) => simulateStep(fixture, 4, opts).get('app/web', 'other/svc:9000/TCP')!;
    const offline = cell();
    expect(offline.verdict).to.equal('deny');
    expect(offline.uncertain!.join('\n')).to.match(/covers part of the pod subnet 10\.244\.0\.0\/16: whether it matches other\/svc depends on the pod IP/);
    const inside = cell({ addresses: new Map([['other/svc', '10.244.1.7']]) });
    expect(inside.verdict).to.equal('allow');
    expect(inside.uncertain).to.equal(undefined);
    expect(cell({ addresses: new Map([['other/svc', '10.244.200.7']]) }).verdict).to.equal('deny');
    expect(cell({ profile: { ...calico, name: 'optimistic', offlinePartialPodIp: 'match' } }).verdict).to.equal('allow');
  });

  it('externals without an ip get a documentation address outside the cluster subnets; a run-time address wins', () => {
    const { model } = suiteModel(fixture, 0);
    expect(model.externals[0]!.ip).to.match(/^203\.0\.113\./);
    // The 0.0.0.0/0 except 10.0.0.0/8 rule on 443 reaches it; a run-time address inside 10/8 does not.
    expect(simulateStep(fixture, 4).get('app/web', 'external:world:443/TCP')!.verdict).to.equal('allow');
    expect(simulateStep(fixture, 4, { addresses: new Map([['external:world', '10.9.9.9']]) }).get('app/web', 'external:world:443/TCP')!.verdict).to.equal('deny');
  });

  it('profiles: none allows everything; a profile without SCTP reports unknown but keeps the policy verdict', () => {
    const open = simulateStep(seed, 1, { profile: none });
    expect([...open.cells()].every((c) => c.value!.verdict === 'allow')).to.equal(true);
    expect(open.get('develop/frontend', DNS)!.explanation.summary).to.match(/does not enforce NetworkPolicy/);
    const sctp: LoadedSuite = structuredClone({ ...seed, lineOf: undefined, policies: undefined }) as unknown as LoadedSuite;
    sctp.lineOf = seed.lineOf;
    sctp.policies = seed.policies;
    sctp.suite.workloads.find((w) => w.name === 'backend')!.ports.push({ port: 8080, protocol: 'SCTP' });
    const m = simulateStep(sctp, 1, { profile: kubeRouter });
    const cell = m.get('traefik/traefik', 'develop/backend:8080/SCTP')!;
    expect(cell.engineVerdict).to.equal('unknown');
    expect(cell.verdict).to.equal('deny');
    expect(simulateStep(sctp, 1, { profile: calico }).get('traefik/traefik', 'develop/backend:8080/SCTP')!.engineVerdict).to.equal('deny');
  });
});
