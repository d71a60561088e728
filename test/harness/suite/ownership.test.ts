// ownership.ts: which set owns each policy object (kind/namespace/name) after each step.
import { expect } from 'chai';
import type { NetworkPolicy, SourcedPolicy } from '../../../harness/policy/types.js';
import { describeObjectKey, policyObjectKey, policyObjectsAfterEachStep, replacedBy } from '../../../harness/suite/ownership.js';

const np = (name: string, role: string): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: 'app' },
  spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { role } } }] }] },
});
function docs(entries: Record<string, NetworkPolicy[]>): Map<string, SourcedPolicy[]> {
  return new Map(Object.entries(entries).map(([id, list]) => [id, list.map((policy, docIndex) => ({ policy, setId: id, file: `${id}.yaml`, docIndex }))]));
}
const step = (apply: string[], remove: string[] = []) => ({ apply, remove });

describe('suite/ownership', () => {
  it('keys objects by kind, namespace and name (cluster-scoped kinds have an empty namespace)', () => {
    expect(policyObjectKey(np('p', 'a'))).to.equal('NetworkPolicy/app/p');
    expect(policyObjectKey({ kind: 'ClusterNetworkPolicy', metadata: { name: 'c' } })).to.equal('ClusterNetworkPolicy//c');
    expect(policyObjectKey({ kind: 'NetworkPolicy', metadata: 'x' })).to.equal(undefined);
    expect(describeObjectKey('NetworkPolicy/app/p')).to.equal('NetworkPolicy app/p');
    expect(describeObjectKey('ClusterNetworkPolicy//c')).to.equal('ClusterNetworkPolicy c');
  });

  it('a later set replaces an object in place and owns it; removing the old set leaves it', () => {
    const d = docs({ v1: [np('web', 'client'), np('db', 'client')], v2: [np('web', 'stranger')] });
    const [a, b, c, e] = policyObjectsAfterEachStep([step(['v1']), step(['v2']), step([], ['v1']), step([], ['v2'])], d);
    expect([...a!.objects.values()].map((x) => `${x.policy.metadata.name}:${x.setId}`)).to.deep.equal(['web:v1', 'db:v1']);
    expect(replacedBy('v2', a!, d)).to.deep.equal([{ key: 'NetworkPolicy/app/web', from: 'v1' }]);
    // Replaced in place: same position, new owner and spec.
    expect([...b!.objects.values()].map((x) => `${x.policy.metadata.name}:${x.setId}`)).to.deep.equal(['web:v2', 'db:v1']);
    expect(b!.applied).to.deep.equal(['v1', 'v2']);
    expect([...c!.objects.values()].map((x) => `${x.policy.metadata.name}:${x.setId}`)).to.deep.equal(['web:v2']);
    expect(c!.applied).to.deep.equal(['v2']);
    expect(e!.objects.size).to.equal(0);
    // Re-applying v1 takes web back.
    const [, , back] = policyObjectsAfterEachStep([step(['v1']), step(['v2']), step(['v1'])], d);
    expect(back!.objects.get('NetworkPolicy/app/web')!.setId).to.equal('v1');
  });
});
