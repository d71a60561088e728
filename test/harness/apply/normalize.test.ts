import { expect } from 'chai';
import { normalizeObject, snapshotDiff, snapshotOf, snapshotText } from '../../../harness/apply/normalize.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';

const live: KObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: {
    name: 'deny',
    namespace: 'demo',
    uid: 'u-1',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'kubectl' }],
    labels: { team: 'a' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', owner: 'ops' },
  },
  spec: { policyTypes: ['Ingress'], podSelector: {} },
  status: {},
};

describe('apply/normalize', () => {
  it('strips server fields, status and kubectl annotations, keeps user labels and annotations', () => {
    const n = normalizeObject(live);
    expect(n).to.deep.equal({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'demo', labels: { team: 'a' }, annotations: { owner: 'ops' } }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    expect(live.metadata.uid).to.equal('u-1'); // argument untouched
  });

  it('serialises the same desired state to the same bytes whatever the key order and server fields', () => {
    const other: KObject = { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', metadata: { namespace: 'demo', name: 'deny', labels: { team: 'a' }, annotations: { owner: 'ops' }, resourceVersion: '99' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } };
    const ns: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { b: '2', a: '1' } } };
    const ns2: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { a: '1', b: '2' }, uid: 'x' } };
    expect(snapshotText(snapshotOf([live], [ns]))).to.equal(snapshotText(snapshotOf([other], [ns2])));
    expect(snapshotDiff(snapshotOf([live], [ns]), snapshotOf([other], [ns2]))).to.deep.equal([]);
  });

  it('reports a changed spec, a changed label and a new policy', () => {
    const before = snapshotOf([live], [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { a: '1' } } }]);
    const changed = structuredClone(live);
    (changed.spec as { policyTypes: string[] }).policyTypes = ['Egress'];
    const extra: KObject = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'new', namespace: 'demo' }, spec: {} };
    const after = snapshotOf([changed, extra], [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { a: '2' } } }]);
    expect(snapshotDiff(before, after)).to.deep.equal(['NetworkPolicy demo/deny: differs', 'NetworkPolicy demo/new: new', 'labels of namespace/demo: differs']);
  });

  it('with owners, a netpol-harness entry left in managedFields is a difference (byte-for-byte restore includes field owners)', () => {
    const ns: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', managedFields: [{ manager: 'kubectl-create', operation: 'Update' }] } };
    const borrowed = structuredClone(live);
    borrowed.metadata.managedFields = [{ manager: 'kubectl' }, { manager: 'netpol-harness', operation: 'Apply' }];
    expect(snapshotDiff(snapshotOf([live], [ns]), snapshotOf([borrowed], [ns])), 'without owners: equal').to.deep.equal([]);
    expect(snapshotDiff(snapshotOf([live], [ns], [], { owners: true }), snapshotOf([borrowed], [ns], [], { owners: true }))).to.deep.equal(['field owners (managedFields) of NetworkPolicy demo/deny: differs']);
    expect(snapshotDiff(snapshotOf([live], [ns], [], { owners: true }), snapshotOf([structuredClone(live)], [ns], [], { owners: true }))).to.deep.equal([]);
  });
});
