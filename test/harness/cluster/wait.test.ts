/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { expect } from 'chai';
import type { DaemonSetLike, DeploymentLike, EventLike, PodLike } from '../../../harness/cluster/kube-types.js';
import {
  LOG_TAIL,
  blamedContainer,
  daemonSetPending,
  deploymentPending,
  describeStuckPod,
  lastEvent,
  podProblem,
  pollUntil,
  waitForDaemonSet,
  waitForDeployment,
  waitForNodesReady,
} from '../../../harness/cluster/wait.js';
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
      status: { desiredNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
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

  describe('rollouts (as kubectl rollout status judges them)', () => {
    const ds = (generation: number | undefined, status: DaemonSetLike['status']): DaemonSetLike => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'calico-node', namespace: 'kube-system', ...(generation !== undefined ? { generation } : {}) },
      spec: { selector: { matchLabels: { 'k8s-app': 'calico-node' } } },
      status,
    });
    const done = { observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3 };

    it('a DaemonSet is rolled out only when its generation is observed and every pod is updated and available', () => {
      expect(daemonSetPending(ds(2, done))).to.equal(undefined);
      // The case: a changed manifest re-applied on --reuse; the old status still says 3/3 ready.
      expect(daemonSetPending(ds(3, done))).to.equal('spec generation 3 not yet observed by the controller (observed 2)');
      expect(daemonSetPending(ds(2, { ...done, updatedNumberScheduled: 1 }))).to.equal('rollout in progress: 1/3 pods updated');
      expect(daemonSetPending(ds(2, { ...done, numberAvailable: 2 }))).to.equal('2/3 pods available');
      // The API omits zero counts.
      expect(daemonSetPending(ds(2, { observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3 }))).to.equal('rollout in progress: 0/3 pods updated');
      expect(daemonSetPending(ds(1, { observedGeneration: 1 }))).to.equal('no pods scheduled yet');
    });

    it('a Deployment is rolled out only when generation is observed, all replicas updated and available, and no old ones remain', () => {
      const dep = (generation: number, replicas: number, status: DeploymentLike['status']): DeploymentLike => ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'calico-kube-controllers', namespace: 'kube-system', generation },
        spec: { replicas },
        status,
      });
      const ok = { observedGeneration: 4, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 };
      expect(deploymentPending(dep(4, 2, ok))).to.equal(undefined);
      expect(deploymentPending(dep(5, 2, ok))).to.include('spec generation 5 not yet observed');
      expect(deploymentPending(dep(4, 2, { ...ok, updatedReplicas: 1 }))).to.equal('rollout in progress: 1/2 replicas updated');
      expect(deploymentPending(dep(4, 2, { ...ok, replicas: 3 }))).to.equal('rollout in progress: 1 old replica(s) pending termination');
      expect(deploymentPending(dep(4, 2, { ...ok, availableReplicas: 1 }))).to.equal('1/2 replicas available');
    });

    it('waitForDaemonSet keeps waiting while the rollout of a changed spec runs, and returns when it is done', async () => {
      const kube = new FakeKube();
      kube.put(ds(3, done)); // generation 3 applied, controller still reports generation 2
      let polls = 0;
      const orig = kube.get.bind(kube);
      kube.get = async (ref) => {
        polls += 1;
        const o = kube.find('DaemonSet', 'kube-system', 'calico-node')!;
        // The controller catches up on the 2nd poll, finishes the rollout on the 4th.
        if (polls === 2) o.status = { ...done, observedGeneration: 3, updatedNumberScheduled: 1, numberAvailable: 2 };
        if (polls === 4) o.status = { ...done, observedGeneration: 3 };
        return orig(ref);
      };
      await waitForDaemonSet(kube, 'kube-system', 'calico-node', { timeoutMs: 60_000, clock: fakeClock() });
      expect(polls).to.equal(4);
    });

    it('the timeout names the rollout that did not finish', async () => {
      const kube = new FakeKube();
      kube.put(ds(3, done));
      const err = await waitForDaemonSet(kube, 'kube-system', 'calico-node', { timeoutMs: 2000, clock: fakeClock() }).catch((e: unknown) => e as Error);
      expect(err?.message).to.include('DaemonSet kube-system/calico-node not ready after 2.0s: 3/3 pods ready; spec generation 3 not yet observed by the controller (observed 2)');
      kube.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'x', generation: 1 }, spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 2 } });
      const err2 = await waitForDeployment(kube, 'x', 'd', { timeoutMs: 2000, clock: fakeClock() }).catch((e: unknown) => e as Error);
      expect(err2?.message).to.include('Deployment x/d not ready after 2.0s: 2/2 replicas available; rollout in progress: 1/2 replicas updated');
    });
  });

  describe('which container is to blame', () => {
    const completed = (name: string) => ({ name, ready: false, state: { terminated: { reason: 'Completed', exitCode: 0 } } });
    const crashLooping: PodLike['status'] = {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      initContainerStatuses: [completed('upgrade-ipam'), completed('install-cni'), completed('ebpf-bootstrap')],
      containerStatuses: [
        {
          name: 'calico-node',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=calico-node' } },
          lastState: { terminated: { reason: 'Error', exitCode: 1 } },
        },
      ],
    };

    it('never an init container that completed with exit 0', () => {
      const p = pod(crashLooping, 'calico-node-abcde');
      expect(blamedContainer(p)?.status.name).to.equal('calico-node');
      const msg = podProblem(p);
      expect(msg).to.equal(
        'phase Running, container calico-node waiting: CrashLoopBackOff (back-off 2m40s restarting failed container=calico-node), 5 restarts, last terminated: Error, exit code 1',
      );
      expect(msg).not.to.include('upgrade-ipam');
      // An init container that failed, or still runs, is the cause.
      expect(podProblem(pod({ phase: 'Pending', initContainerStatuses: [completed('upgrade-ipam'), { name: 'install-cni', ready: false, state: { running: {} } }] }))).to.equal(
        'phase Pending, init container install-cni still running',
      );
    });

    it('a crash-looping main container after completed init containers: its name, restart count and log tail', async () => {
      const kube = new FakeKube();
      const p = { ...pod(crashLooping, 'calico-node-abcde'), metadata: { name: 'calico-node-abcde', namespace: 'kube-system' } };
      const log = Array.from({ length: 30 }, (_, i) => `2026-11-30 line ${i + 1}`).concat(['[FATAL] felix: failed to create nftables client: nft not found', '']).join('\n');
      kube.logsByKey.set('kube-system/calico-node-abcde/calico-node (previous)', log);
      kube.logsByKey.set('kube-system/calico-node-abcde/calico-node', 'starting\n');
      const msg = await describeStuckPod(kube, p);
      const [head, ...tail] = msg.split('\n');
      expect(head).to.equal(
        'pod kube-system/calico-node-abcde on node w1: phase Running, container calico-node waiting: CrashLoopBackOff (back-off 2m40s restarting failed container=calico-node), 5 restarts, last terminated: Error, exit code 1; no events',
      );
      expect(tail[0]).to.equal(`    last ${LOG_TAIL.lines} log lines of calico-node (previous run):`);
      expect(tail).to.have.length(LOG_TAIL.lines + 1);
      expect(tail[tail.length - 1]).to.equal('      [FATAL] felix: failed to create nftables client: nft not found');
      // Bounded: asked for the tail only, of the crashed instance.
      const call = kube.calls.find((c) => c[0] === 'logs')!;
      expect(call[2]).to.deep.equal({ container: 'calico-node', tailLines: LOG_TAIL.lines, limitBytes: LOG_TAIL.bytes, previous: true });
    });

    it('no log read for a container that never started, and a failed read changes nothing', async () => {
      const kube = new FakeKube();
      const pulling = pod({ phase: 'Pending', containerStatuses: [{ name: 'agent', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } }] });
      expect(await describeStuckPod(kube, pulling)).to.equal('pod demo/web-1 on node w1: phase Pending, container agent waiting: ImagePullBackOff; no events');
      expect(kube.ops('logs')).to.deep.equal([]);
      const notReady = pod({ phase: 'Running', containerStatuses: [{ name: 'agent', ready: false, state: { running: {} } }] });
      expect(await describeStuckPod(kube, notReady)).to.equal('pod demo/web-1 on node w1: phase Running, container agent running but not Ready (readiness probe failing?); no events');
      expect(kube.ops('logs')).to.deep.equal(['demo/web-1/agent']);
    });
  });
});
