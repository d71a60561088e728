import { expect } from 'chai';
import { diffSnapshots, endpointProblem, MAX_SCOPED_NAMESPACES, podListScope, takeSnapshot, type WatchTarget } from '../../../harness/observe/snapshot.js';
import { cluster, node, pod, TARGETS } from './fixtures.js';

describe('observe/snapshot', () => {
  it('reads only the pods of watched endpoints, and every node', async () => {
    const k = cluster();
    k.put(pod('other', 'stranger', 'x', 'w1'));
    const s = await takeSnapshot(k, TARGETS, 1000, () => 5);
    expect([...s.pods.values()].map((p) => `${p.namespace}/${p.name}:${p.endpoints.join('+')}`).sort()).to.deep.equal(['kube-system/coredns-1:cluster-dns', 'shop/client-1:shop/client', 'shop/db-1:shop/db', 'shop/web-1:shop/web']);
    expect([...s.nodes.keys()].sort()).to.deep.equal(['cp', 'w1', 'w2']);
  });

  it('lists pods only in the watched namespaces (a shared cluster has thousands elsewhere); many namespaces take one list', async () => {
    const k = cluster();
    for (let i = 0; i < 50; i++) k.put(pod(`team-${i}`, `app-${i}`, 'x', 'w1'));
    k.calls.length = 0;
    const s = await takeSnapshot(k, TARGETS, 1000);
    const podLists = k.calls.filter(([verb, what]) => verb === 'list' && what.startsWith('Pod')).map(([, what]) => what);
    expect(podLists.sort()).to.deep.equal(['Pod kube-system', 'Pod shop']);
    expect(s.pods.size).to.equal(4);

    const many: WatchTarget[] = Array.from({ length: MAX_SCOPED_NAMESPACES + 1 }, (_, i) => ({ endpoint: `ns${i}/a`, namespace: `ns${i}`, labels: { app: 'a' }, agent: true }));
    expect(podListScope(many)).to.equal(undefined);
    expect(podListScope(many.slice(0, MAX_SCOPED_NAMESPACES))).to.have.length(MAX_SCOPED_NAMESPACES);
    k.calls.length = 0;
    await takeSnapshot(k, many, 1000);
    expect(k.calls.filter(([verb, what]) => verb === 'list' && what.startsWith('Pod')).map(([, what]) => what)).to.deep.equal(['Pod']);
  });

  it('turns changes into timestamped events: node NotReady, restart, deletion, eviction', async () => {
    const k = cluster();
    const before = await takeSnapshot(k, TARGETS, 1000, () => Date.parse('2026-01-01T00:00:00Z'));
    k.put(node('w2', false));
    k.put(pod('shop', 'web-1', 'web', 'w1', { restarts: 1 }));
    k.objects.delete('Pod/shop/client-1');
    k.put(pod('shop', 'client-2', 'client', 'w2'));
    k.put(pod('shop', 'db-1', 'db', 'w2', { ready: false, reason: 'Evicted' }));
    const after = await takeSnapshot(k, TARGETS, 1000, () => Date.parse('2026-01-01T00:00:02Z'));
    const events = diffSnapshots(before, after);
    expect(events.map((e) => `${e.kind} ${e.subject}`).sort()).to.deep.equal(
      ['node-not-ready w2', 'pod-created shop/client-2', 'pod-deleted shop/client-1', 'pod-evicted shop/db-1', 'pod-not-ready shop/db-1', 'pod-restart shop/web-1'].sort(),
    );
    expect(events.every((e) => e.at === '2026-01-01T00:00:02.000Z')).to.equal(true);
    expect(events.find((e) => e.kind === 'pod-restart')?.detail).to.match(/endpoint shop\/web on node w1: 1 container restart\(s\), last ended Error, exit 137/);
    expect(events.find((e) => e.kind === 'node-not-ready')?.detail).to.match(/NodeStatusUnknown/);
  });

  it('says why an endpoint cannot be trusted: NotReady node, no Ready pod, no pods', async () => {
    const k = cluster();
    k.put(node('w2', false));
    k.put(pod('shop', 'web-1', 'web', 'w1', { ready: false }));
    k.objects.delete('Pod/kube-system/coredns-1');
    const s = await takeSnapshot(k, TARGETS, 1000);
    expect(endpointProblem(s, 'shop/db')).to.match(/node w2 of pod shop\/db-1 is NotReady/);
    expect(endpointProblem(s, 'shop/web')).to.match(/shop\/web has no Ready pod \(shop\/web-1 on node w1: phase Running\)/);
    expect(endpointProblem(s, 'cluster-dns')).to.equal('cluster-dns has no pods');
    expect(endpointProblem(s, 'shop/client')).to.equal(undefined);
  });
});
