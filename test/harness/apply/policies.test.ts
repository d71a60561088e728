import { expect } from 'chai';
import { PolicyApplier } from '../../../harness/apply/policies.js';
import type { Deployment } from '../../../harness/apply/workloads.js';
import { CleanupStack } from '../../../harness/cluster/cleanup.js';
import { NamespaceGuard } from '../../../harness/cluster/guard.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { InputError, UsageError } from '../../../harness/errors.js';
import type { NetworkPolicy, SourcedPolicy } from '../../../harness/policy/types.js';
import { FakeKube } from '../cluster/fake-kube.js';

function np(name: string, namespace: string | undefined, spec: NetworkPolicy['spec'] = { podSelector: {}, policyTypes: ['Ingress'] }): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, ...(namespace ? { namespace } : {}) }, spec };
}
function sets(entries: Record<string, NetworkPolicy[]>): Map<string, SourcedPolicy[]> {
  return new Map(Object.entries(entries).map(([id, list]) => [id, list.map((policy, docIndex) => ({ policy, setId: id, file: `${id}.yaml`, docIndex }))]));
}
function pod(name: string, ns: string, ep: string, labels: Record<string, string>): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { ...labels, 'netpol-harness/endpoint': ep, 'pod-template-hash': 'h' } }, status: { podIP: '10.0.0.1' } };
}
const snapshot = (kube: FakeKube) =>
  new Map(
    [...kube.objects].map(([k, o]) => {
      const { resourceVersion: _rv, uid: _uid, ...meta } = o.metadata;
      return [k, { ...o, metadata: meta }];
    }),
  );

describe('apply/policies: PolicyApplier', () => {
  function setup() {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { 'kubernetes.io/metadata.name': 'demo', team: 'a' } } });
    kube.put(pod('web-1', 'demo', 'web', { app: 'web' }));
    kube.put(pod('web-2', 'demo', 'web', { app: 'web' }));
    kube.put(pod('db-1', 'demo', 'db', { app: 'db' }));
    // A policy someone else put there before the run, which set "allow" overwrites.
    kube.put({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-web', namespace: 'demo', labels: { owner: 'ops' } }, spec: { podSelector: { matchLabels: { app: 'web' } } } });
    const policies = sets({
      deny: [np('default-deny', 'demo'), np('deny-egress', 'demo', { podSelector: {}, policyTypes: ['Egress'] })],
      allow: [np('allow-web', 'demo', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] })],
      dup: [np('default-deny', 'demo')],
    });
    return { kube, policies, before: snapshot(kube) };
  }

  it('applies a step as remove, then apply, then labels', async () => {
    const { kube, policies } = setup();
    const a = new PolicyApplier({ client: kube, policies });
    await a.applyStep({ apply: ['deny'], remove: [], labels: [] });
    kube.calls.length = 0;
    await a.applyStep({ remove: ['deny'], apply: ['allow'], labels: [{ target: 'demo/web', set: { role: 'frontend' }, remove: ['app'] }, { target: 'namespace/demo', set: { env: 'x' }, remove: [] }] });
    const mutations = kube.calls.filter((c) => c[0] === 'apply' || c[0] === 'delete' || c[0] === 'patchLabels').map((c) => `${c[0]} ${c[1]}`);
    expect(mutations).to.deep.equal([
      'delete NetworkPolicy/demo/default-deny',
      'delete NetworkPolicy/demo/deny-egress',
      'apply NetworkPolicy/demo/allow-web',
      'patchLabels Pod/demo/web-1',
      'patchLabels Pod/demo/web-2',
      'patchLabels Namespace/demo',
    ]);
    expect(a.applied).to.deep.equal(['allow']);
    expect(kube.find('Pod', 'demo', 'web-1')!.metadata.labels).to.deep.equal({ role: 'frontend', 'netpol-harness/endpoint': 'web', 'pod-template-hash': 'h' });
    expect(kube.find('Pod', 'demo', 'db-1')!.metadata.labels).to.include({ app: 'db' });
    const applied = kube.find('NetworkPolicy', 'demo', 'allow-web')!;
    expect(applied.metadata.labels).to.deep.equal({ 'app.kubernetes.io/managed-by': 'netpol-harness', 'netpol-harness/set': 'allow' });
    expect(applied.spec).to.deep.equal({ podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] });
  });

  it('restore() puts back the field owners (managedFields) of a policy and a namespace it borrowed: no netpol-harness entry is left', async () => {
    const { kube, policies } = setup();
    kube.trackOwners = true;
    const owners = [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'networking.k8s.io/v1', time: '2026-12-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
    const pol = kube.find('NetworkPolicy', 'demo', 'allow-web')!;
    pol.metadata.managedFields = structuredClone(owners);
    const nsOwners = [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }];
    kube.find('Namespace', undefined, 'demo')!.metadata.managedFields = structuredClone(nsOwners);
    const a = new PolicyApplier({ client: kube, policies });
    await a.applyStep({ apply: ['allow'], remove: [], labels: [{ target: 'namespace/demo', set: { team: 'b' }, remove: [] }] });
    expect(kube.find('NetworkPolicy', 'demo', 'allow-web')!.metadata.managedFields!.map((e) => e.manager)).to.deep.equal(['kubectl-client-side-apply', 'netpol-harness']);
    await a.restore();
    const after = kube.find('NetworkPolicy', 'demo', 'allow-web')!;
    expect(after.metadata.managedFields).to.deep.equal(owners);
    expect(after.spec).to.deep.equal({ podSelector: { matchLabels: { app: 'web' } } });
    expect(kube.find('Namespace', undefined, 'demo')!.metadata.managedFields).to.deep.equal(nsOwners);
    expect(kube.find('Namespace', undefined, 'demo')!.metadata.labels).to.include({ team: 'a' });
  });

  it('records what was there first and restore() brings the cluster back exactly, newest change first', async () => {
    const { kube, policies, before } = setup();
    const cleanup = new CleanupStack();
    const a = new PolicyApplier({ client: kube, policies, cleanup });
    await a.applyStep({ apply: ['deny', 'allow'], remove: [], labels: [{ target: 'demo/web', set: { app: 'changed', tier: 'x' }, remove: [] }] });
    await a.applyStep({ apply: [], remove: ['allow'], labels: [{ target: 'demo/web', set: {}, remove: ['tier', 'app'] }, { target: 'namespace/demo', set: { team: 'b' }, remove: [] }] });
    const j = a.journal();
    expect(j.map((e) => e.key)).to.deep.equal([
      'NetworkPolicy/demo/default-deny',
      'NetworkPolicy/demo/deny-egress',
      'NetworkPolicy/demo/allow-web',
      'labels:Pod/demo/web-1',
      'labels:Pod/demo/web-2',
      'labels:Namespace/demo',
    ]);
    expect(j[0]).to.deep.include({ before: null });
    expect((j[2] as { before: KObject }).before.metadata.labels).to.deep.equal({ owner: 'ops' });
    expect((j[3] as { before: Record<string, string | null> }).before).to.deep.equal({ app: 'web', tier: null });
    expect(cleanup.size).to.equal(1);
    kube.calls.length = 0;
    await cleanup.run(); // restore() via the cleanup stack
    expect(kube.calls.filter((c) => c[0] !== 'get').map((c) => `${c[0]} ${c[1]}`)).to.deep.equal([
      'patchLabels Namespace/demo',
      'patchLabels Pod/demo/web-2',
      'patchLabels Pod/demo/web-1',
      'apply NetworkPolicy/demo/allow-web',
      'delete NetworkPolicy/demo/deny-egress',
      'delete NetworkPolicy/demo/default-deny',
    ]);
    expect(snapshot(kube)).to.deep.equal(before);
    expect(a.journal()).to.deep.equal([]);
    await a.restore(); // idempotent
  });

  it('refuses protected labels, existing workloads and sets that share a policy name', async () => {
    const { kube, policies } = setup();
    const a = new PolicyApplier({ client: kube, policies });
    let e: unknown;
    const fail = async (p: Promise<unknown>) => {
      e = undefined;
      try {
        await p;
      } catch (x) {
        e = x;
      }
      expect(e).to.be.instanceOf(UsageError);
      return (e as Error).message;
    };
    expect(await fail(a.applyLabelChange({ target: 'demo/web', set: { 'netpol-harness/endpoint': 'x' }, remove: [] }))).to.include('managed by the harness');
    expect(await fail(a.applyLabelChange({ target: 'namespace/demo', set: {}, remove: ['kubernetes.io/metadata.name'] }))).to.include('set by Kubernetes');
    const dep: Pick<Deployment, 'endpoints'> = { endpoints: new Map([['kube-system/coredns', { id: 'kube-system/coredns', namespace: 'kube-system', name: 'coredns', kind: 'existing', pods: [] }]]) };
    expect(await fail(a.applyLabelChange({ target: 'kube-system/coredns', set: { a: 'b' }, remove: [] }, dep))).to.include('never mutates');
    expect(await fail(a.apply('nope'))).to.include('unknown policy set "nope"');
  });

  it('replaces a policy another set holds in place, and removing the old set leaves it', async () => {
    const { kube } = setup();
    const dupSpec = { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress' as const] };
    const policies = sets({ deny: [np('default-deny', 'demo'), np('deny-egress', 'demo', { podSelector: {}, policyTypes: ['Egress'] })], dup: [np('default-deny', 'demo', dupSpec)] });
    const b = new PolicyApplier({ client: kube, policies });
    await b.apply('deny');
    const before = kube.find('NetworkPolicy', 'demo', 'default-deny')!;
    kube.calls.length = 0;
    await b.apply('dup');
    const after = kube.find('NetworkPolicy', 'demo', 'default-deny')!;
    expect(kube.ops('delete'), 'an update, never delete + create').to.deep.equal([]);
    expect(after.metadata.uid).to.equal(before.metadata.uid);
    expect(after.metadata.resourceVersion).to.not.equal(before.metadata.resourceVersion);
    expect(after.spec).to.deep.equal(dupSpec);
    expect(after.metadata.labels?.['netpol-harness/set']).to.equal('dup');
    expect(b.ownerOf('demo', 'default-deny')).to.equal('dup');
    await b.remove('deny');
    expect(kube.find('NetworkPolicy', 'demo', 'deny-egress'), 'what deny still owned goes').to.equal(undefined);
    expect(kube.find('NetworkPolicy', 'demo', 'default-deny')?.spec, 'the replaced object stays').to.deep.equal(dupSpec);
    expect(b.applied).to.deep.equal(['dup']);
    await b.remove('dup');
    expect(kube.find('NetworkPolicy', 'demo', 'default-deny')).to.equal(undefined);
  });

  it('rejects a policy without a namespace with an InputError naming its file', async () => {
    const kube = new FakeKube();
    const a = new PolicyApplier({ client: kube, policies: sets({ x: [np('p', undefined)] }) });
    try {
      await a.apply('x');
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(InputError);
      expect((e as InputError).issues[0]).to.deep.include({ file: 'x.yaml' });
    }
    expect(kube.ops('apply')).to.deep.equal([]);
  });

  it('goes through the NamespaceGuard on clusters it did not create', async () => {
    const { kube } = setup();
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
    const guard = new NamespaceGuard({ client: kube, runId: 'r', declared: ['demo', 'kube-system'] });
    const a = new PolicyApplier({ client: kube, policies: sets({ sys: [np('deny', 'kube-system')] }), guard });
    try {
      await a.apply('sys');
      expect.fail('should throw');
    } catch (e) {
      expect((e as Error).message).to.equal('refusing to apply NetworkPolicy deny in system namespace kube-system');
    }
    expect(kube.ops('apply')).to.deep.equal([]);
  });

  it('purges harness-labelled policies left in harness namespaces by an earlier run', async () => {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'old', labels: { 'app.kubernetes.io/managed-by': 'netpol-harness', 'netpol-harness/run': 'r0' } } });
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } });
    for (const ns of ['old', 'ops']) {
      kube.put({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'left', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'netpol-harness' } }, spec: {} });
      kube.put({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'theirs', namespace: ns }, spec: {} });
    }
    const guard = new NamespaceGuard({ client: kube, runId: 'r1', declared: ['old', 'ops'], allowForeignNamespaces: true });
    const a = new PolicyApplier({ client: kube, policies: new Map(), guard });
    expect(await a.purgeLeftovers(['old', 'ops'])).to.deep.equal(['old/left']);
    expect(kube.ops('delete')).to.deep.equal(['NetworkPolicy/old/left']);
  });
});
