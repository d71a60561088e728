// rollback.yaml on a rehearsal with manifests: written from what the cluster holds before the run,
// it lists every manifest object (prior state or delete) and the namespaces the run creates, so
// replaying it after a run killed mid-way (no cleanup) leaves the cluster as it was.
import { expect } from 'chai';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { applyManifests, type UserManifest } from '../../../harness/apply/manifests.js';
import { InfraError } from '../../../harness/errors.js';
import type { ObjectRef } from '../../../harness/cluster/kube-client.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import type { LoadedSuite } from '../../../harness/suite/load.js';
import { Suite } from '../../../harness/suite/schema.js';
import { readPriorObjects, writeRollbackFile } from '../../../harness/run/rehearsal.js';
import { FakeKube } from '../cluster/fake-kube.js';

function loadedSuite(dir: string): LoadedSuite {
  const suite = Suite.parse({
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 't' },
    cluster: { provider: 'existing' },
    namespaces: [{ name: 'shop', existing: true }, { name: 'probes' }],
    probes: [{ name: 'client', namespace: 'probes' }],
    manifests: [{ file: 'app.yaml', namespace: 'shop' }],
    steps: [{ name: 's', expect: 'simulated' }],
  });
  return { file: path.join(dir, 'suite.yaml'), dir, suite, lineOf: () => undefined, policies: new Map() };
}

const manifest = (obj: KObject, docIndex: number): UserManifest => ({ file: 'app.yaml', docIndex, obj });
const manifests: UserManifest[] = [
  manifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'shop' }, data: { mode: 'new', extra: '1' } }, 0),
  manifest({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 1 } }, 1),
  manifest({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } }, 2),
  manifest({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'side', namespace: 'side-ns' }, data: {} }, 3),
  manifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'made' } }, 4),
];

/** Every object without what the server changes on any write (compared as a user sees it). */
function state(kube: FakeKube): Record<string, unknown> {
  return Object.fromEntries(
    [...kube.objects].sort(([a], [b]) => a.localeCompare(b)).map(([k, o]) => {
      const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
      return [k, { ...o, metadata: meta }];
    }),
  );
}

function cluster(): FakeKube {
  const kube = new FakeKube();
  kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } } });
  kube.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-config', namespace: 'shop', labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update' }] },
    data: { mode: 'old' },
  });
  kube.onApply = (o) => {
    if (o.kind === 'Deployment') o.status = { availableReplicas: 1, updatedReplicas: 1 };
  };
  return kube;
}

/** What a user does with the file: the apply, then each delete of the machine-readable list. */
async function replay(kube: FakeKube, text: string): Promise<void> {
  for (const d of parseAllDocuments(text)) {
    const o = d.toJS() as KObject | null;
    if (o) await kube.apply(o);
  }
  for (const key of JSON.parse(/^# {3}delete-networkpolicies: (.*)$/m.exec(text)![1]!) as string[]) {
    const [namespace, name] = key.split('/') as [string, string];
    await kube.delete({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace, name });
  }
  for (const ref of JSON.parse(/^# {3}delete-objects: (.*)$/m.exec(text)![1]!) as ObjectRef[]) await kube.delete(ref);
}

describe('run/rehearsal: rollback.yaml with manifests', () => {
  it('replayed after a run killed between its apply and its restore, it leaves the cluster as it was', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nph-rollback-'));
    const kube = cluster();
    const before = state(kube);
    const file = await writeRollbackFile(kube, loadedSuite(dir), manifests, dir, { context: 'staging' });
    const text = await readFile(file, 'utf8');
    expect(text).to.include('kubectl --context staging -n shop delete deployment.v1.apps web --ignore-not-found');
    expect(text).to.include('kubectl --context staging delete namespace side-ns --ignore-not-found');
    // The run: its namespaces, the manifests applied; then SIGKILL (no cleanup runs).
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'probes' } });
    await applyManifests(kube, manifests, { ensureNamespace: async (name) => void (kube.find('Namespace', undefined, name) ?? (await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))), timeoutMs: 5000 });
    expect(state(kube)).to.not.deep.equal(before);
    await replay(kube, text);
    expect(state(kube)).to.deep.equal(before);
  });

  it('reads each object as it is; a kind the cluster does not serve yet (a CRD the manifests define) counts as absent', async () => {
    const kube = cluster();
    kube.failWith = (op, ref) => (op === 'get' && ref.kind === 'Widget' ? new InfraError('reading Widget shop/w failed: Unrecognized API version and kind: example.com/v1 Widget') : undefined);
    const widget = manifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' } }, 5);
    const prior = await readPriorObjects(kube, [widget, ...manifests]);
    expect(prior.map((p) => `${p.ref.kind}/${p.ref.name}: ${p.before ? 'exists' : 'absent'}`)).to.deep.equal([
      'Namespace/made: absent',
      'Widget/w: absent',
      'ConfigMap/web-config: exists',
      'Deployment/web: absent',
      'Service/web: absent',
      'ConfigMap/side: absent',
    ]);
    kube.failWith = (op) => (op === 'get' ? new InfraError('reading failed: HTTP 403 forbidden') : undefined);
    const e = await readPriorObjects(kube, manifests).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(InfraError);
  });
});
