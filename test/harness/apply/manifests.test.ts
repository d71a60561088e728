// The suite's own manifests: read and checked before any cluster work, applied namespaces first,
// rollouts waited for, a rejected object named by file and document, everything applied removed
// again by the cleanup.
/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyManifests, applyOrder, loadManifests, manifestImages } from '../../../harness/apply/manifests.js';
import { CleanupStack } from '../../../harness/cluster/cleanup.js';
import { InputError, UsageError } from '../../../harness/errors.js';
import type { LoadedSuite } from '../../../harness/suite/load.js';
import { Suite } from '../../../harness/suite/schema.js';
import { FakeKube, fakeClock } from '../cluster/fake-kube.js';
import type { ObjectRef } from '../../../harness/cluster/kube-client.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';

async function suiteWith(files: Record<string, string>, refs: { file: string; namespace?: string }[]): Promise<LoadedSuite> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nph-manifests-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const suite = Suite.parse({ apiVersion: 'netpol-harness/v1', kind: 'Suite', metadata: { name: 't' }, namespaces: [{ name: 'shop' }], steps: [{ name: 's', expect: 'simulated' }], manifests: refs });
  return { file: path.join(dir, 'suite.yaml'), dir, suite, lineOf: () => 7, policies: new Map() };
}

const APP = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: busybox:1}]
      containers: [{name: web, image: nginx:1.27}]
---
# Source: chart/templates/disabled.yaml
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: extra}
`;

describe('apply/manifests', () => {
  it('reads documents, skips empty ones (helm template), defaults the namespace, collects images and orders namespaces first', async () => {
    const m = await loadManifests(await suiteWith({ 'app.yaml': APP }, [{ file: 'app.yaml', namespace: 'shop' }]));
    expect(m.map((x) => `${x.docIndex} ${x.obj.kind} ${x.obj.metadata.namespace ?? '-'}`)).to.deep.equal(['0 Deployment shop', '1 Service shop', '2 Namespace -']);
    expect(manifestImages(m)).to.deep.equal(['busybox:1', 'nginx:1.27']);
    expect(applyOrder(m).map((x) => x.obj.kind)).to.deep.equal(['Namespace', 'Deployment', 'Service']);
  });

  it('bad files and documents are input errors naming the file, the document and the field', async () => {
    const bad = 'kind: Service\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n---\n- a list\n---\napiVersion: v1\nkind: List\nitems: []\n';
    const e = await loadManifests(await suiteWith({ 'bad.yaml': bad }, [{ file: 'bad.yaml' }, { file: 'missing.yaml' }])).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(InputError);
    const issues = (e as InputError).issues.map((i) => `${path.basename(i.file)} ${i.path}: ${i.message}`);
    expect(issues).to.deep.equal([
      'bad.yaml [doc 0] apiVersion: is missing',
      'bad.yaml [doc 1] metadata.name: is missing (generateName is not supported: the harness must find the object again)',
      'bad.yaml [doc 2]: is not a YAML mapping (expected a Kubernetes object)',
      'bad.yaml [doc 3] kind: a List is not supported: write its items as separate documents (--- between them)',
      `suite.yaml manifests[1].file: ${path.relative(process.cwd(), path.join(path.dirname((e as InputError).issues[0]!.file), 'missing.yaml'))}: file not found`,
    ]);
    const syntax = await loadManifests(await suiteWith({ 's.yaml': 'a: [1,\n' }, [{ file: 's.yaml' }])).catch((x: unknown) => x);
    expect((syntax as InputError).issues[0]!.message).to.include('YAML syntax error');
  });

  it('applies namespaces first, creates the namespaces the objects use, waits for rollouts, and the cleanup deletes it all', async () => {
    const kube = new FakeKube();
    kube.onApply = (o) => {
      if (o.kind === 'Deployment') o.status = { availableReplicas: 1, updatedReplicas: 1 };
    };
    const m = await loadManifests(await suiteWith({ 'app.yaml': APP }, [{ file: 'app.yaml', namespace: 'shop' }]));
    const ensured: string[] = [];
    const cleanup = new CleanupStack({ keep: false });
    await applyManifests(kube, m, { ensureNamespace: async (n) => void ensured.push(n), cleanup, timeoutMs: 5000 });
    expect(ensured).to.deep.equal(['shop']);
    expect(kube.ops('apply')).to.deep.equal(['Namespace/extra', 'Deployment/shop/web', 'Service/shop/web']);
    await cleanup.run();
    expect(kube.ops('delete')).to.deep.equal(['Service/shop/web', 'Deployment/shop/web', 'Namespace/extra']);
  });

  it('a rejected object is a usage error naming file, document and object; what was applied before is removed', async () => {
    const kube = new FakeKube();
    kube.failWith = (op, ref) => (op === 'apply' && ref.kind === 'Service' ? new Error('server-side apply of Service shop/web failed: HTTP 422: spec.ports: Required value') : undefined);
    const m = await loadManifests(await suiteWith({ 'app.yaml': APP }, [{ file: 'app.yaml', namespace: 'shop' }]));
    const cleanup = new CleanupStack({ keep: false });
    const e = await applyManifests(kube, m, { ensureNamespace: async () => {}, cleanup }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(UsageError);
    expect((e as Error).message).to.match(/app\.yaml \[doc 1\] Service shop\/web: the API server rejected it: .*spec\.ports: Required value/);
    await cleanup.run();
    expect(kube.ops('delete')).to.include.members(['Deployment/shop/web', 'Namespace/extra']);
  });

  it('objects that existed before (a namespace such as default, a user\'s Service) are put back as found, field owners included, never deleted', async () => {
    const kube = new FakeKube();
    kube.trackOwners = true;
    kube.onApply = (o) => {
      if (o.kind === 'Deployment') o.status = { availableReplicas: 1, updatedReplicas: 1 };
    };
    const owners = [{ manager: 'kubectl-create', operation: 'Update' }];
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'extra', labels: { 'kubernetes.io/metadata.name': 'extra', team: 'a' }, managedFields: owners } });
    kube.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop', managedFields: owners }, spec: { selector: { app: 'old' }, ports: [{ port: 8080 }] } });
    const m = await loadManifests(await suiteWith({ 'app.yaml': APP }, [{ file: 'app.yaml', namespace: 'shop' }]));
    const cleanup = new CleanupStack({ keep: false });
    await applyManifests(kube, m, { ensureNamespace: async () => {}, cleanup, timeoutMs: 5000 });
    expect((kube.find('Service', 'shop', 'web')!.spec as { selector: object }).selector).to.deep.equal({ app: 'web' });
    await cleanup.run();
    expect(kube.ops('delete')).to.deep.equal(['Deployment/shop/web']);
    expect(kube.find('Namespace', undefined, 'extra')!.metadata).to.deep.include({ labels: { 'kubernetes.io/metadata.name': 'extra', team: 'a' }, managedFields: owners });
    expect(kube.find('Service', 'shop', 'web')!.spec).to.deep.include({ selector: { app: 'old' }, ports: [{ port: 8080 }] });
    expect(kube.find('Service', 'shop', 'web')!.metadata.managedFields).to.deep.equal(owners);
  });

  it('a user\'s object the manifests change comes back exactly as found: content, annotations, finalizers, owner references and field owners', async () => {
    const kube = new FakeKube();
    kube.trackOwners = true;
    const owners = [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }];
    const before = kube.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'web-config',
        namespace: 'shop',
        labels: { app: 'web' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"mode":"old"}}' },
        finalizers: ['example.com/keep'],
        ownerReferences: [{ kind: 'ConfigMap', name: 'parent' }],
        managedFields: owners,
      },
      data: { mode: 'old' },
    });
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\ndata: {mode: new, extra: "1"}\n';
    const m = await loadManifests(await suiteWith({ 'cm.yaml': cm }, [{ file: 'cm.yaml', namespace: 'shop' }]));
    const cleanup = new CleanupStack({ keep: false });
    await applyManifests(kube, m, { ensureNamespace: async () => {}, cleanup });
    expect(kube.find('ConfigMap', 'shop', 'web-config')!.data).to.deep.equal({ mode: 'new', extra: '1' });
    await cleanup.run();
    expect(kube.ops('delete')).to.deep.equal([]);
    const { resourceVersion: _rv, ...after } = kube.find('ConfigMap', 'shop', 'web-config')!.metadata;
    const { resourceVersion: _rv0, ...was } = before.metadata;
    expect(after).to.deep.equal(was);
    expect(kube.find('ConfigMap', 'shop', 'web-config')!.data).to.deep.equal({ mode: 'old' });
  });

  it('the cleanup waits until a namespace it deleted is gone (a terminating one refuses the next run\'s objects), and says so when it stays', async () => {
    const terminating = (goneAfterGets: number) => {
      const kube = new FakeKube();
      kube.onApply = (o) => {
        if (o.kind === 'Deployment') o.status = { availableReplicas: 1, updatedReplicas: 1 };
      };
      let gets = 0;
      // Deleted, the namespace stays (terminating) for a few reads.
      kube.onDelete = (ref, fake) => {
        if (ref.kind === 'Namespace') fake.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ref.name, deletionTimestamp: 't' } });
      };
      const get = kube.get.bind(kube);
      kube.get = async <T extends KObject>(ref: ObjectRef) => {
        if (ref.kind === 'Namespace' && kube.find('Namespace', undefined, ref.name)?.metadata.deletionTimestamp && ++gets >= goneAfterGets) kube.objects.delete(`Namespace/${ref.name}`);
        return get<T>(ref);
      };
      return { kube, gets: () => gets };
    };
    const m = await loadManifests(await suiteWith({ 'app.yaml': APP }, [{ file: 'app.yaml', namespace: 'shop' }]));
    const a = terminating(3);
    const cleanup = new CleanupStack({ keep: false });
    await applyManifests(a.kube, m, { ensureNamespace: async () => {}, cleanup, timeoutMs: 5000, clock: fakeClock() });
    const report = await cleanup.run();
    expect(report.failed).to.deep.equal([]);
    expect(a.gets()).to.equal(3);
    expect(a.kube.find('Namespace', undefined, 'extra')).to.equal(undefined);
    const b = terminating(Infinity);
    const stuck = new CleanupStack({ keep: false });
    await applyManifests(b.kube, m, { ensureNamespace: async () => {}, cleanup: stuck, timeoutMs: 5000, namespaceTimeoutMs: 10_000, clock: fakeClock() });
    const failed = (await stuck.run()).failed;
    expect(failed.map((f) => f.error.message).join('\n')).to.include('namespace(s) extra still terminating after 10 s');
  });

  it('an object refused because its namespace is still terminating says so, not "fix the manifest"', async () => {
    const kube = new FakeKube();
    kube.failWith = (op, ref) => (op === 'apply' && ref.kind === 'Deployment' ? new Error('server-side apply of Deployment shop/web failed: HTTP 403: deployments "web" is forbidden: unable to create new content in namespace shop because it is being terminated') : undefined);
    const m = await loadManifests(await suiteWith({ 'app.yaml': APP }, [{ file: 'app.yaml', namespace: 'shop' }]));
    const e = (await applyManifests(kube, m, { ensureNamespace: async () => {} }).catch((x: unknown) => x)) as UsageError;
    expect(e).to.be.instanceOf(UsageError);
    expect(e.hint).to.match(/^namespace shop is still being deleted: wait until/);
  });

  it('on a cluster the run did not create, the namespace guard is asked for every object first: a refusal applies nothing', async () => {
    const kube = new FakeKube();
    const m = await loadManifests(await suiteWith({ 'app.yaml': APP }, [{ file: 'app.yaml', namespace: 'shop' }]));
    const asked: string[] = [];
    const e = await applyManifests(kube, m, {
      ensureNamespace: async () => {},
      assertMutable: async (ns, what) => {
        asked.push(ns);
        if (ns === 'shop') throw new UsageError(`refusing to ${what} in namespace shop: it exists and was not created by netpol-harness`, { hint: 'pass --allow-foreign-namespaces' });
      },
    }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(UsageError);
    expect((e as Error).message).to.match(/^refusing to apply \S*app\.yaml \[doc 0\] Deployment shop\/web in namespace shop/);
    expect(asked).to.deep.equal(['extra', 'shop']);
    expect(kube.ops('apply')).to.deep.equal([]);
  });
});
