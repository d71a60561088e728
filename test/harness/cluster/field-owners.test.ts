import { expect } from 'chai';
import { ownersToRestore, restoreFieldOwners } from '../../../harness/cluster/field-owners.js';
import { FakeKube } from './fake-kube.js';

describe('cluster/field-owners', () => {
  const kubectl = { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-12-01T00:00:00Z' };
  const harness = { manager: 'netpol-harness', operation: 'Apply' };
  const other = { manager: 'argocd', operation: 'Apply' };

  it('the owners found come back as they were; an owner another writer added meanwhile stays; the harness\'s own new entries go', () => {
    expect(ownersToRestore([kubectl], [{ ...kubectl, time: 'later' }, harness, other])).to.deep.equal([kubectl, other]);
    expect(ownersToRestore([kubectl, harness], [harness]), 'an entry the harness had before the run is the user\'s history').to.deep.equal([kubectl, harness]);
  });

  it('restoreFieldOwners updates only when the owners differ, and retries a conflicting writer on a fresh read', async () => {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', managedFields: [kubectl, harness] } });
    const ref = { apiVersion: 'v1', kind: 'Namespace', name: 'default' };
    let conflicts = 1;
    kube.failWith = (op) => (op === 'update' && conflicts-- > 0 ? Object.assign(new Error('conflict'), { code: 409 }) : undefined);
    await restoreFieldOwners(kube, ref, [kubectl]);
    expect(kube.ops('update')).to.deep.equal(['Namespace/default', 'Namespace/default']);
    expect(kube.find('Namespace', undefined, 'default')!.metadata.managedFields).to.deep.equal([kubectl]);
    await restoreFieldOwners(kube, ref, [kubectl]);
    expect(kube.ops('update'), 'already as found: no update').to.have.length(2);
    await restoreFieldOwners(kube, { ...ref, name: 'gone' }, [kubectl]);
  });
});
