// ClusterNetworkPolicies go through PolicyApplier with the same journal as NetworkPolicies: applied
// and removed per set, restored exactly, and a cluster policy the harness did not create is never touched.
import { expect } from 'chai';
import { PolicyApplier } from '../../../harness/apply/policies.js';
import { CleanupStack } from '../../../harness/cluster/cleanup.js';
import { UsageError } from '../../../harness/errors.js';
import type { SourcedClusterPolicy } from '../../../harness/policy/cnp/types.js';
import type { SourcedPolicy } from '../../../harness/policy/types.js';
import { cnp, np } from '../policy/fixtures.js';
import { FakeKube } from '../cluster/fake-kube.js';

const snapshot = (kube: FakeKube) =>
  new Map(
    [...kube.objects].map(([k, o]) => {
      const { resourceVersion: _rv, uid: _uid, ...meta } = o.metadata;
      return [k, { ...o, metadata: meta }];
    }),
  );

describe('apply/cluster-policies: ClusterNetworkPolicies in steps', () => {
  function setup() {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels: { 'kubernetes.io/metadata.name': 'x' } } });
    const guard = cnp('guard', 'Admin', 10, { subject: { namespaces: {} }, ingress: [{ action: 'Deny', from: [{ namespaces: { matchLabels: { ns: 'y' } } }] }] });
    const base = cnp('base', 'Baseline', 10, { subject: { namespaces: {} }, egress: [{ action: 'Deny', to: [{ networks: ['0.0.0.0/0'] }] }] });
    const policies = new Map<string, SourcedPolicy[]>([
      ['mixed', [np('x', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })]],
      ['baseline', []],
    ]);
    const clusterPolicies = new Map<string, SourcedClusterPolicy[]>([
      ['mixed', [guard]],
      ['baseline', [base]],
    ]);
    return { kube, policies, clusterPolicies, before: snapshot(kube) };
  }

  it('applies and removes them with their set, labelled, journalled, and restore() puts the cluster back', async () => {
    const { kube, policies, clusterPolicies, before } = setup();
    const cleanup = new CleanupStack();
    const a = new PolicyApplier({ client: kube, policies, clusterPolicies, cleanup });
    await a.applyStep({ apply: ['mixed', 'baseline'], remove: [], labels: [] });
    const g = kube.find('ClusterNetworkPolicy', undefined, 'guard')!;
    expect(g.apiVersion).to.equal('policy.networking.k8s.io/v1alpha2');
    expect(g.metadata.namespace).to.equal(undefined);
    expect(g.metadata.labels).to.deep.equal({ 'app.kubernetes.io/managed-by': 'netpol-harness', 'netpol-harness/set': 'mixed' });
    await a.applyStep({ apply: [], remove: ['baseline'], labels: [] });
    expect(kube.find('ClusterNetworkPolicy', undefined, 'base')).to.equal(undefined);
    expect(a.journal().map((e) => e.key)).to.deep.equal(['NetworkPolicy/x/deny', 'ClusterNetworkPolicy/guard', 'ClusterNetworkPolicy/base']);
    await cleanup.run();
    expect(snapshot(kube)).to.deep.equal(before);
  });

  it('never changes or deletes a ClusterNetworkPolicy it did not create, and changes nothing else first', async () => {
    const { kube, clusterPolicies } = setup();
    kube.put({ apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: 'guard', labels: { owner: 'platform' } }, spec: { tier: 'Admin', priority: 1 } });
    const a = new PolicyApplier({ client: kube, policies: new Map([['mixed', []]]), clusterPolicies });
    let err: unknown;
    try {
      await a.apply('mixed');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.match(/refusing to overwrite ClusterNetworkPolicy guard: .*not created by netpol-harness/);
    expect(kube.find('ClusterNetworkPolicy', undefined, 'guard')!.metadata.labels).to.deep.equal({ owner: 'platform' });
    expect(a.journal()).to.deep.equal([]);
  });

  it('purges only harness-labelled leftovers with the suite\'s names; skipClusterPolicies leaves them out entirely', async () => {
    const { kube, policies, clusterPolicies } = setup();
    kube.put({ apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: 'base', labels: { 'app.kubernetes.io/managed-by': 'netpol-harness' } } });
    kube.put({ apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: 'guard', labels: { owner: 'platform' } } });
    const a = new PolicyApplier({ client: kube, policies, clusterPolicies });
    expect(await a.cluster!.purgeLeftovers()).to.deep.equal(['ClusterNetworkPolicy/base']);
    expect(kube.find('ClusterNetworkPolicy', undefined, 'guard')).to.not.equal(undefined);
    const skip = new PolicyApplier({ client: kube, policies, clusterPolicies, skipClusterPolicies: true });
    await skip.apply('mixed');
    expect(kube.find('ClusterNetworkPolicy', undefined, 'guard')!.metadata.labels).to.deep.equal({ owner: 'platform' });
    expect(skip.cluster).to.equal(undefined);
  });
});
