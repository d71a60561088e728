// The shipped suite suites/zero-trust-cluster: its hand-written expectations agree with the engine
// on every cell of every step, and simulate names the tier that decided the cells the steps are about.
import { expect } from 'chai';
import { buildAxes } from '../../../../harness/matrix/axes.js';
import { expandExpectation } from '../../../../harness/matrix/expect.js';
import { evaluateIn } from '../../../../harness/policy/evaluate.js';
import { kubeRouter } from '../../../../harness/policy/profiles.js';
import { simulateStep } from '../../../../harness/policy/simulate.js';
import { suiteModel } from '../../../../harness/policy/suite-model.js';
import { prepare } from '../../../../harness/policy/world.js';
import { loadSuite, type LoadedSuite } from '../../../../harness/suite/load.js';
import { summarize, validateSuite } from '../../../../harness/suite/validate.js';

const SUITE = 'suites/zero-trust-cluster/suite.yaml';
const DNS = 'dns:backend.develop.svc.cluster.local';

describe('suites/zero-trust-cluster (ClusterNetworkPolicy tiers)', () => {
  let s: LoadedSuite;
  const stepOf = (name: string): number => s.suite.steps.findIndex((x) => x.name === name);
  before(async () => {
    s = await loadSuite(SUITE);
  });

  it('validates, with its cluster policies loaded next to the NetworkPolicies', async () => {
    const v = await validateSuite(SUITE);
    expect(v.issues).to.deep.equal([]);
    expect([summarize(s).policies, summarize(s).clusterPolicies]).to.deep.equal([2, 4]);
    expect([...(s.clusterPolicies?.values() ?? [])].flat().map((p) => p.policy.metadata.name)).to.have.members(['baseline-default-deny', 'guardrail-dns', 'guardrail-gateways', 'deny-untrusted']);
  });

  it('hand-written expectations agree with the simulation on every cell of every step', () => {
    const axes = buildAxes(s.suite);
    let cells = 0;
    for (const [i, step] of s.suite.steps.entries()) {
      const sim = simulateStep(s, i);
      for (const { src, col, value } of expandExpectation(step.expect, axes).cells()) {
        const c = sim.get(src.id, col.key)!;
        expect(c.verdict, `step ${step.name}: ${src.id} -> ${col.key} (hand ${value!.origin}); engine: ${c.explanation.summary}`).to.equal(value!.verdict);
        cells++;
      }
    }
    expect(cells).to.equal(s.suite.steps.length * 76);
  });

  it('simulate names the deciding tier: Baseline deny, NetworkPolicy replacing it, Admin over the owners', () => {
    const base = simulateStep(s, stepOf('baseline-default-deny'));
    expect(base.get('sandbox/attacker', 'task-api/task-api:8000/TCP')!.explanation.summary).to.match(/denied at the Baseline tier by ClusterNetworkPolicy\/baseline-default-deny ingress\[0\] "deny-all-ingress"/);
    expect(base.get('sandbox/attacker', 'develop/backend:8080/TCP')!.explanation.details.join('\n')).to.match(/tier: NetworkPolicy/);
    expect(base.get('develop/frontend', DNS)!.verdict).to.equal('deny');
    const guard = simulateStep(s, stepOf('admin-guardrails'));
    expect(guard.get('develop/frontend', DNS)!.explanation.summary).to.match(/accepted at the Admin tier by ClusterNetworkPolicy\/guardrail-dns/);
    const last = simulateStep(s, stepOf('attacker-denied-owner-lockdown'));
    const attacker = last.get('sandbox/attacker', 'develop/backend:8080/TCP')!;
    expect(attacker.verdict).to.equal('deny');
    expect(attacker.explanation.summary).to.match(/denied at the Admin tier by ClusterNetworkPolicy\/deny-untrusted/);
    // The task-api owner's default deny cannot take DNS or the gateway away (Admin Accept is decided first).
    expect(last.get('task-api/task-api', DNS)!.verdict).to.equal('allow');
    expect(last.get('envoy-gateway-system/envoy-gateway', 'task-api/task-api:8000/TCP')!.explanation.summary).to.match(/Admin tier by ClusterNetworkPolicy\/guardrail-gateways/);
  });

  it('a denied cell names the closest miss across tiers', () => {
    const { model } = suiteModel(s, stepOf('attacker-denied-owner-lockdown'));
    const r = evaluateIn(prepare(model, { ...kubeRouter, clusterNetworkPolicy: 'v1alpha2' }), { from: 'traefik/traefik', to: 'task-api/task-api', port: 8000, protocol: 'TCP' });
    expect(r.verdict).to.equal('deny');
    expect(r.ingress!.misses.map((m) => m.text).join('\n')).to.match(/guardrail-gateways ingress\[0\] "envoy-to-task-api" from\[0\] \(Accept\)/);
  });

  it('under kube-router (no ClusterNetworkPolicy) only the NetworkPolicies count, and every cell says so', () => {
    const m = simulateStep(s, stepOf('baseline-default-deny'), { profile: kubeRouter });
    const c = m.get('task-api/task-api', 'develop/backend:8080/TCP')!;
    expect(c.verdict).to.equal('allow');
    expect(c.explanation.details.join('\n')).to.match(/does not implement ClusterNetworkPolicy/);
  });
});
