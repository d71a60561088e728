import { expect } from 'chai';
import { NamespaceGuard, declaredNamespaces } from '../../../harness/cluster/guard.js';
import { MANAGED_BY_KEY, RUN_KEY } from '../../../harness/cluster/labels.js';
import { UsageError } from '../../../harness/errors.js';
import { FakeKube } from './fake-kube.js';
import { suite } from './helpers.js';

function ns(name: string, labels: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
}

async function refusal(p: Promise<unknown>): Promise<UsageError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a refusal');
}

describe('cluster/guard: NamespaceGuard', () => {
  const declared = ['app', 'team-b', 'kube-system', 'old-run'];
  function setup(opts: { allowForeignNamespaces?: boolean; clusterOwned?: boolean } = {}) {
    const kube = new FakeKube();
    kube.put(ns('kube-system'));
    kube.put(ns('team-b', { owner: 'someone' }));
    kube.put(ns('old-run', { [MANAGED_BY_KEY]: 'netpol-harness', [RUN_KEY]: 'run-0', stale: 'x' }));
    const guard = new NamespaceGuard({ client: kube, runId: 'run-1', declared, ...opts });
    return { kube, guard };
  }

  describe('existing namespaces (existing: true, e.g. default)', () => {
    it('must exist; only declared labels that differ are set, and put back with their field owners; never created or deleted, even on a cluster the run made', async () => {
      const kube = new FakeKube();
      kube.trackOwners = true;
      const owners = [{ manager: 'kube-apiserver', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }];
      kube.put({ ...ns('default', { 'kubernetes.io/metadata.name': 'default', team: 'web' }), metadata: { ...ns('default', { 'kubernetes.io/metadata.name': 'default', team: 'web' }).metadata, managedFields: owners } });
      const guard = new NamespaceGuard({ client: kube, runId: 'run-1', declared: ['default', 'gone'], clusterOwned: true });
      expect((await refusal(guard.useExisting('gone', {}))).message).to.include('namespace gone is declared existing: true but does not exist');
      expect(await guard.useExisting('default', { team: 'web' })).to.deep.equal({ 'kubernetes.io/metadata.name': 'default', team: 'web' });
      expect(kube.ops('patchLabels'), 'nothing differs: nothing changed').to.deep.equal([]);
      expect(await guard.useExisting('default', { env: 'test' })).to.include({ env: 'test', team: 'web' });
      await guard.restoreForeignLabels();
      const after = kube.find('Namespace', undefined, 'default')!;
      expect(after.metadata.labels).to.deep.equal({ 'kubernetes.io/metadata.name': 'default', team: 'web' });
      expect(after.metadata.managedFields).to.deep.equal(owners);
      expect((await refusal(guard.deleteNamespace('default'))).message).to.include('not created by netpol-harness');
      expect(await guard.deleteCreated()).to.deep.equal([]);
      expect(kube.ops('delete')).to.deep.equal([]);
    });

    it('on a cluster the run did not create, labelling one needs the flag', async () => {
      const kube = new FakeKube();
      kube.put(ns('default'));
      const guard = new NamespaceGuard({ client: kube, runId: 'run-1', declared: ['default'] });
      expect((await refusal(guard.useExisting('default', { env: 'x' }))).message).to.include('it exists and was not created by netpol-harness');
      expect(await guard.useExisting('default', {}), 'reading needs no flag').to.deep.equal({});
    });
  });

  it('creates absent namespaces with managed-by and run labels and records them', async () => {
    const { kube, guard } = setup();
    expect(await guard.ensureNamespace(ns('app', { team: 'a' }))).to.equal('absent');
    expect(kube.find('Namespace', undefined, 'app')?.metadata.labels).to.include({ team: 'a', [MANAGED_BY_KEY]: 'netpol-harness', [RUN_KEY]: 'run-1' });
    expect(guard.created()).to.deep.equal(['app']);
    await guard.assertMutable('app', 'apply NetworkPolicy x');
  });

  it('refuses system namespaces and foreign namespaces without the flag', async () => {
    const { guard } = setup();
    const sys = await refusal(guard.assertMutable('kube-system', 'apply NetworkPolicy x'));
    expect(sys.message).to.equal('refusing to apply NetworkPolicy x in system namespace kube-system');
    expect(sys.hint).to.include('--allow-foreign-namespaces');
    const foreign = await refusal(guard.ensureNamespace(ns('team-b', { x: 'y' })));
    expect(foreign.message).to.include('team-b: it exists and was not created by netpol-harness');
  });

  it('refuses namespaces the suite does not declare, even with the flag', async () => {
    const { guard } = setup({ allowForeignNamespaces: true });
    const e = await refusal(guard.assertMutable('default', 'create Deployment web'));
    expect(e.message).to.include('the suite does not declare it');
  });

  it('with the flag, labels a foreign namespace and puts its labels back afterwards', async () => {
    const { kube, guard } = setup({ allowForeignNamespaces: true });
    await guard.ensureNamespace(ns('team-b', { owner: 'harness', env: 'test' }));
    expect(kube.find('Namespace', undefined, 'team-b')?.metadata.labels).to.deep.equal({ owner: 'harness', env: 'test' });
    await guard.restoreForeignLabels();
    expect(kube.find('Namespace', undefined, 'team-b')?.metadata.labels).to.deep.equal({ owner: 'someone' });
    expect(guard.created()).to.deep.equal([]);
  });

  it('adopts a namespace an earlier harness run made, resetting its labels, but never deletes it', async () => {
    const { kube, guard } = setup();
    expect(await guard.ensureNamespace(ns('old-run', { team: 'c' }))).to.equal('harness');
    expect(kube.find('Namespace', undefined, 'old-run')?.metadata.labels).to.deep.equal({ [MANAGED_BY_KEY]: 'netpol-harness', [RUN_KEY]: 'run-0', team: 'c' });
    await guard.ensureNamespace(ns('app'));
    expect(await guard.deleteCreated()).to.deep.equal(['app']);
    expect(kube.ops('delete')).to.deep.equal(['Namespace/app']);
    expect(kube.find('Namespace', undefined, 'old-run')).to.not.equal(undefined);
  });

  it('on a cluster the run created, nothing is foreign', async () => {
    const { guard } = setup({ clusterOwned: true });
    await guard.assertMutable('kube-system', 'apply NetworkPolicy x');
    await guard.assertMutable('team-b', 'apply NetworkPolicy x');
  });

  it('deleteCreated deletes newest first and can wait until they are gone', async () => {
    const { kube, guard } = setup();
    await guard.ensureNamespace(ns('app'));
    await guard.ensureNamespace(ns('team-c'));
    await guard.deleteCreated({ wait: true, timeoutMs: 1000 });
    expect(kube.ops('delete')).to.deep.equal(['Namespace/team-c', 'Namespace/app']);
    expect(await guard.deleteCreated()).to.deep.equal([]);
  });

  it('deleteNamespace deletes a harness-made namespace mid-run (no longer deleted at cleanup) and refuses foreign ones', async () => {
    const { kube, guard } = setup();
    await guard.ensureNamespace(ns('app'));
    await guard.deleteNamespace('app');
    expect(kube.find('Namespace', undefined, 'app')).to.equal(undefined);
    expect(guard.created()).to.deep.equal([]);
    await guard.ensureNamespace(ns('app'));
    expect(guard.created(), 'created again, deleted again at cleanup').to.deep.equal(['app']);
    expect((await refusal(guard.deleteNamespace('team-b'))).message).to.include('not created by netpol-harness');
    expect(kube.find('Namespace', undefined, 'team-b')).to.not.equal(undefined);
  });

  it('declaredNamespaces collects namespaces, workloads, probes and policy namespaces', () => {
    const s = suite({
      namespaces: [{ name: 'a' }],
      workloads: [{ name: 'dns', namespace: 'kube-system', existing: true, labels: { k: 'v' } }],
      probes: [{ name: 'p', namespace: 'b' }],
    });
    const pol = new Map([['set', [{ policy: { metadata: { namespace: 'c' } } }]]]);
    expect(declaredNamespaces(s, pol).sort()).to.deep.equal(['a', 'b', 'c', 'kube-system']);
  });
});
