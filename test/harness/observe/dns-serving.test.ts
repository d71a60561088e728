// Evidence that young DNS pods are served: every pod answers at its own address, and the Service
// answers, from one source on every node. Anything else is no evidence.
import { expect } from 'chai';
import { dnsServed, dnsTargets, onePerNode, PROBE_NAME } from '../../../harness/observe/dns-serving.js';
import type { PodSnap } from '../../../harness/observe/snapshot.js';
import { BatchProber } from '../../../harness/probe/prober.js';
import { FakeExecutor } from '../probe/fakes.js';

const dnsPod = (name: string, ip: string): PodSnap => ({ uid: name, name, namespace: 'kube-system', endpoints: ['cluster-dns'], node: 'cp', ip, ready: true, terminating: false, restarts: 0, phase: 'Running' });
const src = (endpoint: string, node: string) => ({ endpoint, namespace: endpoint.split('/')[0]!, pod: `${endpoint.split('/')[1]}-pod`, container: 'agent', node });

describe('observe/dns-serving', () => {
  it('queries each DNS pod at its address and once through the Service, by a fully qualified name', () => {
    const t = dnsTargets([dnsPod('a', '10.244.0.2'), dnsPod('b', '10.244.0.3')], 1000);
    expect(t.map((x) => [x.id, x.host])).to.deep.equal([['dns-pod:10.244.0.2', '10.244.0.2'], ['dns-pod:10.244.0.3', '10.244.0.3'], ['dns-service', undefined]]);
    expect(t.every((x) => x.kind === 'dns' && x.name === PROBE_NAME)).to.equal(true);
  });

  it('one source per node', () => {
    const s = onePerNode([src('b/x', 'w1'), src('a/y', 'w1'), src('c/z', 'w2')]);
    expect(s.map((x) => x.endpoint)).to.deep.equal(['a/y', 'c/z']);
  });

  it('served only when every source got every answer; otherwise names the first failure', async () => {
    const pods = [dnsPod('a', '10.244.0.2'), dnsPod('b', '10.244.0.3')];
    const all = new FakeExecutor(() => 'connected');
    expect(await dnsServed(new BatchProber(all), [src('a/y', 'w1'), src('c/z', 'w2')], pods)).to.equal(undefined);
    expect(all.calls.map((c) => c.pod).sort()).to.deep.equal(['y-pod', 'z-pod']);
    const oneDown = new FakeExecutor((pod, t) => (pod === 'z-pod' && t.host === '10.244.0.3' ? 'timeout' : 'connected'));
    expect(await dnsServed(new BatchProber(oneDown), [src('a/y', 'w1'), src('c/z', 'w2')], pods)).to.match(/^c\/z-pod on w2: DNS pod 10\.244\.0\.3 gave timeout/);
    expect(await dnsServed(new BatchProber(all), [], pods)).to.match(/no source pod/);
    const broken = new FakeExecutor(() => 'connected', () => new Error('exec refused'));
    expect(await dnsServed(new BatchProber(broken, { retry: { attempts: 1, backoffMs: 0 } as never }), [src('a/y', 'w1')], pods)).to.be.a('string');
  });
});

describe('observe/step watchTargets: DNS shown served is no lag', () => {
  it('the DNS target trusts pods Ready before dnsServedAt; the CNI agents keep deployedAt', async () => {
    const { watchTargets } = await import('../../../harness/observe/step.js');
    const empty = { endpoints: new Map() } as unknown as Parameters<typeof watchTargets>[0];
    const suite = { workloads: [] } as unknown as Parameters<typeof watchTargets>[1];
    const t = watchTargets(empty, suite, 1_000, 5_000);
    expect(t.find((x) => x.endpoint === 'cluster-dns')?.freshAfter).to.equal(5_000);
    expect(t.filter((x) => x.endpoint !== 'cluster-dns').every((x) => x.freshAfter === 1_000)).to.equal(true);
    expect(watchTargets(empty, suite, 1_000).find((x) => x.endpoint === 'cluster-dns')?.freshAfter).to.equal(1_000);
  });
});
