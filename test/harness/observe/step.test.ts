// observeStep with the run's session pool: steps share it (no session opened twice), and a step's
// end leaves it open for the next step; without one, a step's own sessions end with the step.
import { expect } from 'chai';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { observeStep } from '../../../harness/observe/step.js';
import type { WatchTarget } from '../../../harness/observe/snapshot.js';
import type { SourcePod } from '../../../harness/probe/prober.js';
import { SessionPool } from '../../../harness/probe/session.js';
import { FakeKube } from '../cluster/fake-kube.js';
import { FakeExecutor, FakeStreamer } from '../probe/fakes.js';
import { node, pod } from './fixtures.js';

const TARGETS: WatchTarget[] = [{ endpoint: 'shop/client', namespace: 'shop', labels: { 'netpol-harness/endpoint': 'client' }, agent: true, addresses: ['10.244.1.2'] }];
const client: SourcePod = { endpoint: 'shop/client', namespace: 'shop', pod: 'client-1', container: 'agent', node: 'w1' };
const toWeb = { id: 'shop/web:80/TCP', kind: 'tcp' as const, host: '10.96.0.20', port: 80, timeoutMs: 1000 };

function cluster(): FakeKube {
  const k = new FakeKube();
  k.put(node('w1'));
  k.put(pod('shop', 'client-1', 'client', 'w1', { ip: '10.244.1.2' }));
  return k;
}

describe('observe/step: probe sessions per run or per step', () => {
  it("a run's pool serves every step and stays open when a step ends", async () => {
    const streamer = new FakeStreamer(new FakeExecutor(() => 'connected'));
    const pool = new SessionPool(streamer);
    await pool.warm([client]);
    for (let step = 0; step < 2; step++) {
      const observed = await observeStep({ client: cluster(), executor: streamer, targets: TARGETS, pollIntervalMs: 0, pool });
      const res = await observed.prober.round([{ source: client, targets: [toWeb] }]);
      expect(res.get(cellKey('shop/client', toWeb.id))?.class).to.equal('connected');
      observed.stop();
    }
    expect(streamer.opens).to.deep.equal(['client-1']);
    expect(streamer.closed).to.deep.equal([]);
    expect(pool.stats).to.include({ opened: 1, rounds: 2, fallbacks: 0 });
    pool.close();
    expect(streamer.closed).to.deep.equal(['client-1']);
  });

  it("without one, a step's own sessions end with the step", async () => {
    const streamer = new FakeStreamer(new FakeExecutor(() => 'connected'));
    const observed = await observeStep({ client: cluster(), executor: streamer, targets: TARGETS, pollIntervalMs: 0 });
    await observed.prober.round([{ source: client, targets: [toWeb] }]);
    observed.stop();
    expect(streamer.opens).to.deep.equal(['client-1']);
    expect(streamer.closed).to.deep.equal(['client-1']);
  });
});
