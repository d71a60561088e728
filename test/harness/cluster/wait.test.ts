/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { expect } from 'chai';
import type { EventLike, PodLike } from '../../../harness/cluster/kube-types.js';
import { describeStuckPod, lastEvent, podProblem, pollUntil, waitForDaemonSet, waitForNodesReady } from '../../../harness/cluster/wait.js';
import { InfraError } from '../../../harness/errors.js';
import { FakeKube, fakeClock } from './fake-kube.js';

const pod = (status: PodLike['status'], name = 'web-1'): PodLike => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'demo', labels: { app: 'web' } }, spec: { nodeName: 'w1' }, status });
const ev = (type: string, reason: string, message: string, t: string): EventLike => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: t }, type, reason, message, lastTimestamp: t });

describe('cluster/wait', () => {
  it('podProblem names the phase and the first unhappy container', () => {
    expect(podProblem(pod({ phase: 'Pending', containerStatuses: [{ name: 'agent', ready: false, state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied' } } }] }))).to.equal(
      'phase Pending, container agent waiting: ErrImagePull (pull access denied)',
    );
    expect(podProblem(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] }))).to.equal(
      'phase Pending, not scheduled: Unschedulable (0/3 nodes are available)',
    );
    expect(podProblem(pod({ phase: 'Running', containerStatuses: [{ name: 'agent', ready: false, restartCount: 3, state: { running: {} } }] }))).to.include('running but not Ready');
    expect(podProblem(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'install-cni', ready: false, state: { terminated: { reason: 'Error', exitCode: 1 } } }] }))).to.equal(
      'phase Pending, init container install-cni terminated: Error, exit code 1',
    );
  });

  it('lastEvent prefers the last warning', () => {
    expect(lastEvent([ev('Warning', 'Failed', 'a', '1'), ev('Warning', 'BackOff', 'b', '2'), ev('Normal', 'Pulling', 'c', '3')])).to.equal('BackOff: b');
    expect(lastEvent([ev('Normal', 'Scheduled', 'ok', '1')])).to.equal('Scheduled: ok');
    expect(lastEvent([])).to.equal(undefined);
  });

  it('describeStuckPod names the pod, node, state and last event', async () => {
    const kube = new FakeKube();
    kube.eventsByKey.set('Pod/demo/web-1', [ev('Warning', 'Failed', 'Failed to pull image "netpol-harness/agent:0.1.0"', '1')]);
    const s = await describeStuckPod(kube, pod({ phase: 'Pending', containerStatuses: [{ name: 'agent', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } }] }));
    expect(s).to.equal('pod demo/web-1 on node w1: phase Pending, container agent waiting: ImagePullBackOff; last event: Failed: Failed to pull image "netpol-harness/agent:0.1.0"');
  });

  it('pollUntil returns the value, or undefined at the deadline', async () => {
    const clock = fakeClock();
    let n = 0;
    expect(await pollUntil(async () => (++n >= 3 ? 'yes' : undefined), { timeoutMs: 10_000, clock })).to.equal('yes');
    expect(await pollUntil(async () => false, { timeoutMs: 5000, intervalMs: 1000, clock })).to.equal(undefined);
  });

  it('waitForDaemonSet times out naming the stuck pods of the DaemonSet', async () => {
    const kube = new FakeKube();
    kube.put({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'calico-node', namespace: 'kube-system' },
      spec: { selector: { matchLabels: { 'k8s-app': 'calico-node' } } },
      status: { desiredNumberScheduled: 3, numberReady: 2 },
    });
    kube.put({ ...pod({ phase: 'Running', containerStatuses: [{ name: 'calico-node', ready: false, state: { running: {} } }] }, 'calico-node-x'), metadata: { name: 'calico-node-x', namespace: 'kube-system', labels: { 'k8s-app': 'calico-node' } } });
    let err: InfraError | undefined;
    try {
      await waitForDaemonSet(kube, 'kube-system', 'calico-node', { timeoutMs: 3000, clock: fakeClock(), hint: 'look at calico-node' });
    } catch (e) {
      err = e as InfraError;
    }
    expect(err).to.be.instanceOf(InfraError);
    expect(err!.message).to.include('DaemonSet kube-system/calico-node not ready after 3.0s: 2/3 pods ready');
    expect(err!.message).to.include('pod kube-system/calico-node-x on node w1: phase Running, container calico-node running but not Ready');
    expect(err!.hint).to.equal('look at calico-node');
  });

  it('waitForNodesReady reports NotReady nodes and their reason', async () => {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' }, status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'cni plugin not initialized' }] } });
    let err: Error | undefined;
    try {
      await waitForNodesReady(kube, { timeoutMs: 2000, clock: fakeClock() });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.include('w1: KubeletNotReady (cni plugin not initialized)');
  });
});
