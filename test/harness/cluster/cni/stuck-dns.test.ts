// CoreDNS pods created before the CNI's config was complete wait out the kubelet's sandbox back-off;
// on a cluster the run created they are recreated at once. Only pods that never ran are touched.
import { expect } from 'chai';
import { neverRan, recreateStuckDns } from '../../../../harness/cluster/cni/stuck-dns.js';
import type { PodLike } from '../../../../harness/cluster/kube-types.js';
import { FakeKube } from '../fake-kube.js';

const pod = (name: string, status: PodLike['status'], labels = { 'k8s-app': 'kube-dns' }): PodLike => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'kube-system', labels }, status });
const sandboxWait = { phase: 'Pending', containerStatuses: [{ name: 'coredns', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] };
const running = { phase: 'Running', containerStatuses: [{ name: 'coredns', ready: false, restartCount: 0, state: { running: { startedAt: '2026-12-07T13:52:55Z' } } }] };

describe('cluster/cni/stuck-dns', () => {
  it('neverRan: pending pods whose containers never started (unscheduled ones too), not running or restarted ones', () => {
    const restarted = { phase: 'Pending', containerStatuses: [{ name: 'coredns', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } }] };
    const names = neverRan([pod('a', sandboxWait), pod('b', running), pod('c', { phase: 'Pending' }), pod('d', restarted)]).map((p) => p.metadata.name);
    expect(names).to.deep.equal(['a', 'c']);
  });

  it('recreateStuckDns deletes only CoreDNS pods that never ran, and says so', async () => {
    const kube = new FakeKube();
    kube.put(pod('coredns-stuck', sandboxWait));
    kube.put(pod('coredns-up', running));
    kube.put(pod('other-pending', sandboxWait, { 'k8s-app': 'other' }));
    const said: string[] = [];
    const gone = await recreateStuckDns(kube, { info: (m) => said.push(m), warn: () => {}, step: () => ({ done: () => {}, fail: () => {} }) as never });
    expect(gone).to.deep.equal(['coredns-stuck']);
    const left = (await kube.list<PodLike>('v1', 'Pod', { namespace: 'kube-system' })).map((p) => p.metadata.name).sort();
    expect(left).to.deep.equal(['coredns-up', 'other-pending']);
    expect(said.join('\n')).to.match(/recreated 1 CoreDNS pod\(s\) created before the CNI was ready \(coredns-stuck\)/);
  });
});
