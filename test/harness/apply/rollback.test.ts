// rollback.yaml: the prior state of every policy, namespace label and manifest object a rehearsal
// touches, as kubectl can apply it, and what the run creates as delete commands.
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { kubectlResource, renderRollback, rollbackOf, type PriorObject } from '../../../harness/apply/rollback.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { live, policies, steps } from './plan-fixtures.js';

/** A user's ConfigMap as the API server returns it: server fields, kubectl's annotation, a finalizer and an owner. */
const userConfig: KObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'web-config',
    namespace: 'demo',
    uid: 'u-1',
    resourceVersion: '42',
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }],
    labels: { app: 'web' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"mode":"old"}}', team: 'a' },
    finalizers: ['example.com/keep'],
    ownerReferences: [{ kind: 'ConfigMap', name: 'parent' }],
  },
  data: { mode: 'old' },
};

/** The suite's manifests in apply order: a namespace the run creates, the user's ConfigMap (exists), a Deployment and a Service (created). */
const objects: PriorObject[] = [
  { ref: { apiVersion: 'v1', kind: 'Namespace', name: 'extra' }, before: undefined },
  { ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name: 'web-config' }, before: userConfig },
  { ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web' }, before: undefined },
  { ref: { apiVersion: 'v1', kind: 'Service', namespace: 'demo', name: 'web' }, before: undefined },
];

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

  it('manifest objects: the prior state of those that exist (exactly, without server fields), deletes for those the run creates, then the namespaces it creates', () => {
    const rb = rollbackOf({ steps: [], sets: policies, live: live(), objects, runNamespaces: ['demo', 'probes', 'extra'] });
    expect(rb.apply).to.deep.equal([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'web-config',
          namespace: 'demo',
          labels: { app: 'web' },
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"mode":"old"}}', team: 'a' },
          finalizers: ['example.com/keep'],
          ownerReferences: [{ kind: 'ConfigMap', name: 'parent' }],
        },
        data: { mode: 'old' },
      },
    ]);
    // The objects before the namespaces that hold them; `extra` once though it is both; `demo` exists.
    expect(rb.deleteObjects).to.deep.equal([
      { apiVersion: 'v1', kind: 'Service', namespace: 'demo', name: 'web' },
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web' },
      { apiVersion: 'v1', kind: 'Namespace', name: 'extra' },
      { apiVersion: 'v1', kind: 'Namespace', name: 'probes' },
    ]);
    // The prior state given is not modified.
    expect(userConfig.metadata.uid).to.equal('u-1');
  });

  it('renders the manifest objects: documents to apply, kubectl delete lines and the machine-readable list', () => {
    const text = renderRollback({ steps, sets: policies, live: live(), objects, runNamespaces: ['probes'], context: 'staging', kubeconfig: '/tmp/k c', now: new Date(0) });
    const k = "kubectl --kubeconfig '/tmp/k c' --context staging";
    const commands = text.split('\n').filter((l) => l.startsWith('#   kubectl'));
    expect(commands).to.deep.equal([
      `#   ${k} apply --server-side --force-conflicts --field-manager=netpol-harness -f rollback.yaml`,
      `#   ${k} -n demo delete networkpolicy allow-web --ignore-not-found   # did not exist before`,
      `#   ${k} -n demo delete service web --ignore-not-found   # the run creates it`,
      `#   ${k} -n demo delete deployment.v1.apps web --ignore-not-found   # the run creates it`,
      `#   ${k} delete namespace extra --ignore-not-found   # the run creates it`,
      `#   ${k} delete namespace probes --ignore-not-found   # the run creates it`,
      `#   ${k} label --overwrite namespace demo team=a zone-   # prior values; key- was absent`,
    ]);
    const listed = /^# {3}delete-objects: (.*)$/m.exec(text)?.[1];
    expect(JSON.parse(listed ?? 'null')).to.deep.equal([
      { apiVersion: 'v1', kind: 'Service', namespace: 'demo', name: 'web' },
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web' },
      { apiVersion: 'v1', kind: 'Namespace', name: 'extra' },
      { apiVersion: 'v1', kind: 'Namespace', name: 'probes' },
    ]);
    const docs = parseAllDocuments(text).map((d) => d.toJS() as KObject | null).filter((d): d is KObject => d !== null);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).to.deep.equal(['ConfigMap/web-config', 'NetworkPolicy/deny']);
    for (const d of docs) for (const f of ['uid', 'resourceVersion', 'managedFields', 'creationTimestamp']) expect(d.metadata, `${d.kind} ${f}`).to.not.have.property(f);
    expect(docs[0]!.metadata.finalizers).to.deep.equal(['example.com/keep']);
  });

  it('names kinds as kubectl resolves them: the core group by kind, others kind.version.group', () => {
    expect(kubectlResource({ apiVersion: 'v1', kind: 'ConfigMap' })).to.equal('configmap');
    expect(kubectlResource({ apiVersion: 'apps/v1', kind: 'StatefulSet' })).to.equal('statefulset.v1.apps');
    expect(kubectlResource({ apiVersion: 'example.com/v1alpha1', kind: 'Widget' })).to.equal('widget.v1alpha1.example.com');
  });
});
