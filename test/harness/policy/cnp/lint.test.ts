// Lint rules for ClusterNetworkPolicies: NPH019 (Admin Deny shadows an owner's allow), NPH020 (Admin
// Accept overrides every NetworkPolicy deny), NPH021 (Baseline deny without DNS), NPH022 (Pass to nothing).
import { expect } from 'chai';
import { lintPolicies, lintSuite } from '../../../../harness/policy/lint/index.js';
import { loadSuite } from '../../../../harness/suite/load.js';
import { cnp, np } from '../fixtures.js';

describe('lint: ClusterNetworkPolicy tiers', () => {
  it('the shipped zero-trust-cluster suite: each tier interaction is reported on the cluster policy that causes it', async () => {
    const r = lintSuite(await loadSuite('suites/zero-trust-cluster/suite.yaml'));
    const by = (id: string) => r.findings.filter((f) => f.rule === id);
    expect(by('NPH019').map((f) => [f.policy, f.path, f.line])).to.deep.equal([['ClusterNetworkPolicy/deny-untrusted', 'spec.ingress[0]', 15]]);
    expect(by('NPH019')[0]!.message).to.match(/develop\/allow-all-ingress ingress\[0\] from\[0\] allows \(e\.g\. sandbox\/attacker -> develop\//);
    expect(by('NPH020').map((f) => f.policy)).to.have.members(['ClusterNetworkPolicy/guardrail-dns', 'ClusterNetworkPolicy/guardrail-gateways']);
    expect(by('NPH020')[0]!.message).to.match(/task-api\/default-deny denies/);
    // The suite's rules state each consequence (DNS denied, the attacker denied, DNS and the gateway allowed): info, naming the rule.
    expect(by('NPH021').map((f) => [f.policy, f.severity, f.path, f.expectedBy])).to.deep.equal([['ClusterNetworkPolicy/baseline-default-deny', 'info', 'spec.egress[0]', 'step baseline-default-deny rules[3] ("egress to CoreDNS is denied")']]);
    expect(by('NPH019')[0]!.expectedBy).to.equal('step attacker-denied-owner-lockdown rules[8] ("Admin deny-untrusted beats develop\'s allow-all-ingress")');
    expect(by('NPH020').map((f) => f.severity)).to.deep.equal(['info', 'info']);
    expect(by('NPH021')[0]!.message).to.match(/at step baseline-default-deny: .*blocks DNS/);
    // A pod guarded by a Baseline policy is not "never isolated".
    expect(by('NPH017')).to.deep.equal([]);
  });

  it('a tier finding stays a warning or error when a rule does not state its consequence', async () => {
    const loaded = await loadSuite('suites/zero-trust-cluster/suite.yaml');
    const step = loaded.suite.steps.find((s) => s.name === 'baseline-default-deny')!;
    if (step.expect === 'simulated') throw new Error('hand-written expected');
    step.expect = { ...step.expect, rules: step.expect.rules.filter((r) => !('deny' in r && r.deny === 'develop/* -> dns')) };
    const r = lintSuite(loaded);
    // develop's DNS cells now fall to `default: allow` (a `*` destination names no DNS column).
    const n21 = r.findings.find((f) => f.rule === 'NPH021')!;
    expect([n21.severity, n21.expectedBy]).to.deep.equal(['error', undefined]);
  });

  it('NPH022: a Pass with nothing after it is reported; one that hands over to a NetworkPolicy or a later rule is not', () => {
    const lonelyAdmin = cnp('lonely', 'Admin', 1, { subject: { namespaces: {} }, egress: [{ action: 'Pass', to: [{ namespaces: {} }] }] });
    const lonelyBaseline = cnp('last', 'Baseline', 1, { subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: { matchLabels: { a: 'b' } } }] }, { action: 'Pass', from: [{ namespaces: {} }] }] });
    const r = lintPolicies([], [lonelyAdmin, lonelyBaseline]);
    const pass = r.findings.filter((f) => f.rule === 'NPH022');
    expect(pass.map((f) => [f.policy, f.path])).to.deep.equal([
      ['ClusterNetworkPolicy/lonely', 'spec.egress[0]'],
      ['ClusterNetworkPolicy/last', 'spec.ingress[1]'],
    ]);
    expect(pass[0]!.message).to.match(/no NetworkPolicy with Egress and no Baseline egress rule/);
    // With a NetworkPolicy that isolates egress, the Admin Pass hands over to it.
    const withNp = lintPolicies([np('x', 'egress', { podSelector: {}, policyTypes: ['Egress'] })], [lonelyAdmin]);
    expect(withNp.findings.filter((f) => f.rule === 'NPH022')).to.deep.equal([]);
  });

  it('NPH023: equal priorities in one tier with rules in the same direction are reported once, on the second policy', () => {
    const a = cnp('a', 'Admin', 10, { subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    const b = cnp('b', 'Admin', 10, { subject: { namespaces: {} }, ingress: [{ action: 'Accept', from: [{ namespaces: {} }] }] });
    const egressOnly = cnp('c', 'Admin', 10, { subject: { namespaces: {} }, egress: [{ action: 'Accept', to: [{ namespaces: {} }] }] });
    const otherTier = cnp('d', 'Baseline', 10, { subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    const r = lintPolicies([], [a, b, egressOnly, otherTier]).findings.filter((f) => f.rule === 'NPH023');
    expect(r.map((f) => [f.policy, f.path])).to.deep.equal([['ClusterNetworkPolicy/b', 'spec.priority']]);
    expect(r[0]!.message).to.match(/Admin priority 10 is also the priority of ClusterNetworkPolicy\/a .*both have ingress rules/);
  });

  it('NPH018 covers cluster policies the API server would reject', () => {
    const bad = cnp('bad', 'Admin', 5000, { subject: { namespaces: {} } });
    const r = lintPolicies([], [bad]);
    expect(r.findings.map((f) => [f.rule, f.path])).to.deep.equal([['NPH018', 'spec.priority']]);
    expect(r.policies).to.equal(1);
  });
});
