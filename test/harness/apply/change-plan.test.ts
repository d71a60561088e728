import { expect } from 'chai';
import { differingFields, planChanges, renderPlan, type LiveState } from '../../../harness/apply/change-plan.js';
import { rollbackOf, renderRollback } from '../../../harness/apply/rollback.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import type { NetworkPolicy, SourcedPolicy } from '../../../harness/policy/types.js';
import { parseAllDocuments } from 'yaml';

function np(name: string, spec: NetworkPolicy['spec'], labels?: Record<string, string>): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'demo', ...(labels ? { labels } : {}) }, spec };
}
function sets(entries: Record<string, NetworkPolicy[]>): Map<string, SourcedPolicy[]> {
  return new Map(Object.entries(entries).map(([id, list]) => [id, list.map((policy, docIndex) => ({ policy, setId: id, file: `${id}.yaml`, docIndex }))]));
}
const existingDeny = { ...(np('deny', { podSelector: {}, policyTypes: ['Ingress'] }, { owner: 'ops' }) as unknown as KObject), metadata: { name: 'deny', namespace: 'demo', labels: { owner: 'ops' }, uid: 'u', resourceVersion: '7', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' } } };
function live(): LiveState {
  return { policies: new Map([['demo/deny', existingDeny]]), namespaces: new Map([['demo', { 'kubernetes.io/metadata.name': 'demo', team: 'a' }]]) };
}
const policies = sets({
  same: [np('deny', { podSelector: {}, policyTypes: ['Ingress'] }, { owner: 'ops' })],
  tighter: [np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
  web: [np('allow-web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] })],
});
const steps = [
  { name: 's1', apply: ['same', 'web'], remove: [], labels: [] },
  { name: 's2', apply: ['tighter'], remove: ['web'], labels: [{ target: 'namespace/demo', set: { team: 'b', zone: 'x' }, remove: [] }] },
  { name: 's3', apply: [], remove: ['tighter'], labels: [{ target: 'namespace/demo', set: {}, remove: ['team'] }] },
];

describe('apply/change-plan', () => {
  it('names the fields that differ, ignoring server fields and the harness labels', () => {
    const next = { ...(np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }) as unknown as KObject) };
    next.metadata = { ...next.metadata, labels: { 'app.kubernetes.io/managed-by': 'netpol-harness', 'netpol-harness/set': 'x' } };
    expect(differingFields(existingDeny, next)).to.deep.equal(['spec.policyTypes', 'metadata.labels']);
    expect(differingFields(existingDeny, np('deny', { podSelector: {}, policyTypes: ['Ingress'] }, { owner: 'ops' }) as unknown as KObject)).to.deep.equal([]);
  });

  it('plans each step from the state the previous one leaves', () => {
    const state = live();
    const plans = planChanges(steps, policies, state);
    expect(plans[0]).to.deep.include({ created: [{ policy: 'demo/allow-web' }], changed: [], deleted: [], unchanged: [{ policy: 'demo/deny' }] });
    expect(plans[1]!.deleted).to.deep.equal([{ policy: 'demo/allow-web' }]);
    expect(plans[1]!.changed).to.deep.equal([{ policy: 'demo/deny', fields: ['spec.policyTypes', 'metadata.labels'] }]);
    expect(plans[1]!.labels).to.deep.equal(['namespace/demo: team "a" -> "b"', 'namespace/demo: zone (absent) -> "x"']);
    expect(plans[2]!.deleted).to.deep.equal([{ policy: 'demo/deny' }]);
    expect(plans[2]!.labels).to.deep.equal(['namespace/demo: team "b" -> (removed)']);
    // The live state given is not modified (the plan is read-only in every sense).
    expect(state.namespaces.get('demo')).to.deep.equal({ 'kubernetes.io/metadata.name': 'demo', team: 'a' });
    const text = renderPlan(plans, 'ctx');
    expect(text).to.include('+ create NetworkPolicy demo/allow-web').and.include('~ change NetworkPolicy demo/deny (spec.policyTypes, metadata.labels differ)').and.include('- delete NetworkPolicy demo/deny');
  });
});

describe('apply/rollback', () => {
  it('holds the prior policies and labels, and lists what did not exist', () => {
    const rb = rollbackOf({ steps, sets: policies, live: live() });
    expect(rb.deletePolicies).to.deep.equal(['demo/allow-web']);
    expect(rb.labels).to.deep.equal(new Map([['demo', { team: 'a', zone: null }]]));
    expect(rb.apply.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(['NetworkPolicy/deny']);
    const deny = rb.apply[0]!;
    expect(deny.metadata).to.deep.equal({ name: 'deny', namespace: 'demo', labels: { owner: 'ops' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' } });
  });

  it('covers the labels the suite declares on namespaces that exist (the run sets them before step 1)', () => {
    const rb = rollbackOf({ steps: [], sets: policies, live: live(), namespaceLabels: new Map<string, Record<string, string>>([['demo', { env: 'x' }], ['absent', { a: 'b' }]]) });
    expect(rb.labels).to.deep.equal(new Map([['demo', { env: null }]]));
  });

  it('renders a file kubectl can apply, with the deletions as commands', () => {
    const text = renderRollback({ steps, sets: policies, live: live(), context: 'staging', now: new Date(0) });
    expect(text).to.include('kubectl --context staging apply --server-side --force-conflicts --field-manager=netpol-harness -f rollback.yaml');
    expect(text).to.include('kubectl --context staging -n demo delete networkpolicy allow-web --ignore-not-found');
    expect(text).to.include('kubectl --context staging label --overwrite namespace demo team=a zone-');
    const docs = parseAllDocuments(text).map((d) => d.toJS() as KObject | null).filter((d): d is KObject => d !== null);
    expect(docs.map((d) => d.kind)).to.deep.equal(['NetworkPolicy']);
    expect(docs[0]!.metadata.uid).to.equal(undefined);
  });
});
