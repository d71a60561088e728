// The A-series (docs/cluster-policies.md): how ClusterNetworkPolicy tiers (Admin, Baseline) combine
// with NetworkPolicy, one test per row, each checked on the evaluator and the bulk engine (fixtures.check).
import { expect } from 'chai';
import { calico, kubeRouter, upstream } from '../../../../harness/policy/profiles.js';
import { computeReachability } from '../../../../harness/policy/reach.js';
import type { ClusterModel } from '../../../../harness/policy/model.js';
import type { SourcedPolicy } from '../../../../harness/policy/types.js';
import type { SourcedClusterPolicy } from '../../../../harness/policy/cnp/types.js';
import { catalogModel, catalogPod, check, cnp, np, verdict } from '../fixtures.js';

const model = (clusterPolicies: SourcedClusterPolicy[], policies: SourcedPolicy[] = [], extra: Partial<ClusterModel> = {}): ClusterModel => catalogModel(policies, { clusterPolicies, ...extra });
const ns = (name: string) => ({ matchLabels: { ns: name } });
const pod = (name: string) => ({ matchLabels: { pod: name } });
const ALLOW_ALL_INGRESS_X = np('x', 'allow-all', { podSelector: {}, ingress: [{}] });
const DENY_ALL_X = np('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
const DENY_FROM_Y = cnp('deny-y', 'Admin', 10, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Deny', from: [{ namespaces: ns('y') }] }] });

describe('policy engine: ClusterNetworkPolicy tiers (A-series, docs/cluster-policies.md)', () => {
  it('A01 an Admin Deny wins over a NetworkPolicy that allows everything', () => {
    const m = model([DENY_FROM_Y], [ALLOW_ALL_INGRESS_X]);
    const r = check(m, 'y/a', 'x/a', 80);
    expect(r.verdict).to.equal('deny');
    expect(r.ingress!.tier).to.equal('Admin');
    expect(r.ingress!.decidedBy!.ref).to.equal('ClusterNetworkPolicy/deny-y ingress[0] from[0]');
    expect(r.explanation.summary).to.match(/denied at the Admin tier by ClusterNetworkPolicy\/deny-y/);
    // Traffic the Admin rule does not match is left to the NetworkPolicy.
    const z = check(m, 'z/a', 'x/a', 80);
    expect([z.verdict, z.ingress!.tier]).to.deep.equal(['allow', 'NetworkPolicy']);
  });

  it('A02 an Admin Accept wins over a NetworkPolicy default deny (both directions still apply)', () => {
    const dns = cnp('dns', 'Admin', 5, { subject: { namespaces: {} }, egress: [{ action: 'Accept', to: [{ pods: { namespaceSelector: ns('y'), podSelector: pod('a') } }], protocols: [{ udp: { destinationPort: { number: 53 } } }] }] });
    const m = model([dns], [DENY_ALL_X]);
    const r = check(m, 'x/b', 'y/a', 53, 'UDP');
    expect([r.verdict, r.egress!.tier, r.egress!.decidedBy!.action]).to.deep.equal(['allow', 'Admin', 'Accept']);
    expect(verdict(m, 'x/b', 'y/a', 80, 'UDP')).to.equal('deny');
    expect(verdict(m, 'x/b', 'y/b', 53, 'UDP')).to.equal('deny');
  });

  it('A03 an Admin Pass hands the decision to the NetworkPolicies that select the pod', () => {
    const pass = cnp('pass-y', 'Admin', 1, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Pass', from: [{ namespaces: ns('y') }] }] });
    const m = model([pass, DENY_FROM_Y], [np('x', 'only-ya', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: ns('y'), podSelector: pod('a') }] }] })]);
    const a = check(m, 'y/a', 'x/a', 80);
    expect([a.verdict, a.ingress!.tier]).to.deep.equal(['allow', 'NetworkPolicy']);
    expect(a.ingress!.passedBy![0]!.policy).to.equal('ClusterNetworkPolicy/pass-y');
    expect(a.explanation.details.join('\n')).to.match(/Admin tier Pass by ClusterNetworkPolicy\/pass-y/);
    const b = check(m, 'y/b', 'x/a', 80);
    expect([b.verdict, b.ingress!.tier, b.ingress!.reason]).to.deep.equal(['deny', 'NetworkPolicy', 'no-rule']);
  });

  it('A04 an Admin Pass with no NetworkPolicy selecting the pod goes on to the Baseline tier', () => {
    const pass = cnp('pass-y', 'Admin', 1, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Pass', from: [{ namespaces: ns('y') }] }] });
    const base = cnp('baseline-deny', 'Baseline', 1, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    const r = check(model([pass, base]), 'y/a', 'x/a', 80);
    expect([r.verdict, r.ingress!.tier]).to.deep.equal(['deny', 'Baseline']);
    expect(r.ingress!.passedBy![0]!.tier).to.equal('Admin');
  });

  it('A05 a NetworkPolicy selecting the pod replaces the Baseline tier for it (and only for it)', () => {
    const base = cnp('baseline-deny', 'Baseline', 1, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    const m = model([base], [np('x', 'a-open', { podSelector: pod('a'), ingress: [{}] })]);
    const a = check(m, 'y/a', 'x/a', 80);
    expect([a.verdict, a.ingress!.tier]).to.deep.equal(['allow', 'NetworkPolicy']);
    const b = check(m, 'y/a', 'x/b', 80);
    expect([b.verdict, b.ingress!.tier]).to.deep.equal(['deny', 'Baseline']);
    expect(b.ingress!.note).to.match(/a NetworkPolicy selecting the pod would replace it/);
  });

  it('A06 a Baseline Pass skips the remaining Baseline rules: allowed by default', () => {
    const base = cnp('baseline', 'Baseline', 1, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Pass', from: [{ namespaces: ns('y') }] }, { action: 'Deny', from: [{ namespaces: {} }] }] });
    const m = model([base]);
    const r = check(m, 'y/a', 'x/a', 80);
    expect([r.verdict, r.ingress!.tier]).to.deep.equal(['allow', 'default']);
    expect(r.ingress!.passedBy![0]!.tier).to.equal('Baseline');
    expect(verdict(m, 'z/a', 'x/a', 80)).to.equal('deny');
  });

  it('A07 no implicit isolation: a cluster policy whose rules do not match leaves traffic allowed', () => {
    const m = model([cnp('only-z', 'Admin', 1, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Accept', from: [{ namespaces: ns('z') }] }] })]);
    const r = check(m, 'y/a', 'x/a', 80);
    expect([r.verdict, r.ingress!.tier, r.ingress!.reason]).to.deep.equal(['allow', 'default', 'not-isolated']);
    const empty = model([cnp('no-rules', 'Baseline', 1, { subject: { namespaces: {} } })]);
    expect(verdict(empty, 'y/a', 'x/a', 80)).to.equal('allow');
  });

  it('A08 precedence: lower priority number first across policies, rule order inside one policy', () => {
    const deny10 = cnp('b-deny', 'Admin', 10, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Deny', from: [{ namespaces: ns('y') }] }] });
    const accept20 = cnp('a-accept', 'Admin', 20, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Accept', from: [{ namespaces: ns('y') }] }] });
    expect(check(model([accept20, deny10]), 'y/a', 'x/a', 80).ingress!.decidedBy!.policy).to.equal('ClusterNetworkPolicy/b-deny');
    const ordered = cnp('ordered', 'Admin', 1, {
      subject: { namespaces: ns('x') },
      ingress: [
        { action: 'Accept', from: [{ pods: { namespaceSelector: ns('y'), podSelector: pod('a') } }] },
        { action: 'Deny', from: [{ namespaces: ns('y') }] },
      ],
    });
    expect(verdict(model([ordered]), 'y/a', 'x/a', 80)).to.equal('allow');
    expect(verdict(model([ordered]), 'y/b', 'x/a', 80)).to.equal('deny');
  });

  it('A09 tiers are per direction: an egress Accept still needs the destination ingress to allow', () => {
    const acceptOut = cnp('x-out', 'Admin', 1, { subject: { namespaces: ns('x') }, egress: [{ action: 'Accept', to: [{ namespaces: ns('y') }] }] });
    const m = model([acceptOut], [np('y', 'deny-in', { podSelector: {}, policyTypes: ['Ingress'] })]);
    const r = check(m, 'x/a', 'y/a', 80);
    expect([r.verdict, r.egress!.verdict, r.ingress!.verdict, r.ingress!.tier]).to.deep.equal(['deny', 'allow', 'deny', 'NetworkPolicy']);
  });

  it('A10 networks peers match pod addresses as well as outside ones (0.0.0.0/0 includes pods)', () => {
    const denyAll = cnp('deny-out', 'Admin', 1, { subject: { namespaces: ns('x') }, egress: [{ action: 'Deny', to: [{ networks: ['0.0.0.0/0'] }] }] });
    const m = model([denyAll]);
    expect(verdict(m, 'x/a', 'y/a', 80)).to.equal('deny');
    expect(verdict(m, 'x/a', 'external:world', 443)).to.equal('deny');
    expect(verdict(m, 'x/a', 'node:node-2', 10250)).to.equal('deny');
    const pass = cnp('pods-first', 'Admin', 0, { subject: { namespaces: ns('x') }, egress: [{ action: 'Pass', to: [{ namespaces: {} }] }] });
    const m2 = model([pass, denyAll]);
    expect(verdict(m2, 'x/a', 'y/a', 80)).to.equal('allow');
    expect(verdict(m2, 'x/a', 'external:world', 443)).to.equal('deny');
  });

  it('A11 protocols: numbers, inclusive ranges, named ports resolved on the destination; none = every port', () => {
    const accept = cnp('ports', 'Baseline', 1, {
      subject: { namespaces: ns('x') },
      ingress: [
        { action: 'Accept', from: [{ namespaces: {} }], protocols: [{ tcp: { destinationPort: { range: { start: 80, end: 81 } } } }, { destinationNamedPort: 'serve-80-udp' }] },
        { action: 'Deny', from: [{ namespaces: {} }] },
      ],
    });
    const m = model([accept]);
    expect(['TCP', 'UDP', 'SCTP'].map((p) => verdict(m, 'y/a', 'x/a', 81, p as 'TCP'))).to.deep.equal(['allow', 'deny', 'deny']);
    expect(verdict(m, 'y/a', 'x/a', 80, 'UDP')).to.equal('allow');
    expect(check(m, 'y/a', 'x/a', 81, 'UDP').ingress!.misses[0]!.text).to.match(/81\/UDP is not in protocols/);
  });

  it('A12 subjects and peers are pods: nodes and outside addresses are matched only by networks peers', () => {
    const hostPod = { ...catalogPod('y', 'h'), id: 'y/h', labels: { pod: 'h' }, hostNetwork: true, ip: '172.18.0.3' };
    const base = model([cnp('deny-all-in', 'Baseline', 1, { subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] })]);
    expect(verdict(base, 'node:node-2', 'x/b', 80)).to.equal('allow');
    const withHost = { ...base, pods: [...base.pods, hostPod] };
    expect(check(withHost, 'x/a', 'y/h', 80).ingress!.reason).to.equal('not-subject');
  });

  it('A13 a CNI that does not implement ClusterNetworkPolicy ignores them, and says so', () => {
    const m = model([DENY_FROM_Y]);
    const r = check(m, 'y/a', 'x/a', 80, 'TCP', kubeRouter);
    expect(r.verdict).to.equal('allow');
    expect(r.explanation.details.join('\n')).to.match(/kube-router does not implement ClusterNetworkPolicy: 1 cluster policy ignored/);
    expect(verdict(m, 'y/a', 'x/a', 80, 'TCP', calico)).to.equal('deny');
    expect(verdict(m, 'y/a', 'x/a', 80, 'TCP', upstream)).to.equal('deny');
  });

  it('A14 the node exceptions come before the tiers (own node under upstream; networks is egress-only)', () => {
    const denyOut = cnp('deny-out', 'Admin', 1, { subject: { namespaces: ns('x') }, egress: [{ action: 'Deny', to: [{ networks: ['0.0.0.0/0'] }] }] });
    const r = check(model([denyOut]), 'x/a', 'node:node-1', 10250, 'TCP', upstream);
    expect([r.verdict, r.egress!.reason]).to.deep.equal(['allow', 'exception']);
    expect(verdict(model([denyOut]), 'x/a', 'node:node-2', 10250, 'TCP', upstream)).to.equal('deny');
    // An ingress networks peer does not exist in the CRD: such a policy is rejected, so it denies nothing.
    const inNets = cnp('in-nets', 'Baseline', 1, { subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ networks: ['0.0.0.0/0'] }] }] });
    expect(verdict(model([inNets]), 'node:node-2', 'x/a', 80)).to.equal('allow');
  });

  it('A15 a cluster policy the API server would reject has no effect, and the explanation says why', () => {
    const bad = cnp('bad', 'Admin', 2000, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    const r = check(model([bad]), 'y/a', 'x/a', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.explanation.details.join('\n')).to.match(/ignored ClusterNetworkPolicy\/bad .*spec\.priority must be between 0 and 1000/);
  });

  it('A16 a NetworkPolicy replaces the Baseline only in its own direction', () => {
    const base = cnp('deny-in', 'Baseline', 1, { subject: { namespaces: ns('x') }, ingress: [{ action: 'Deny', from: [{ namespaces: {} }] }] });
    const m = model([base], [np('x', 'egress-only', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] })]);
    const r = check(m, 'y/a', 'x/a', 80);
    expect([r.verdict, r.ingress!.tier]).to.deep.equal(['deny', 'Baseline']);
    const dense = computeReachability(m, { sources: ['y/a', 'x/a'], destinations: ['x/b', 'y/b'], ports: [{ port: 80, protocol: 'TCP' }] });
    expect([...dense.toDense()]).to.deep.equal([0, 1, 0, 1]);
  });
});
