// Probes follow pods replaced mid-step: a destination's stale pod IP is swapped for a live one, a
// gone source is probed from its replacement (an in-place one gets its probe container first), and
// every result says which pod and address produced it, so the repro command names that pod.
import { expect } from 'chai';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { liveAddress, LiveProber, probedAs } from '../../../harness/observe/live-prober.js';
import { takeSnapshot, type WatchTarget } from '../../../harness/observe/snapshot.js';
import { observeStep } from '../../../harness/observe/step.js';
import type { SourcePod } from '../../../harness/probe/prober.js';
import { probeUntilSettled, type PlannedCell } from '../../../harness/probe/settle.js';
import type { AgentTarget } from '../../../harness/probe/targets.js';
import { observationFrom } from '../../../harness/run/plan.js';
import { FakeExecutor } from '../probe/fakes.js';
import { node, pod } from './fixtures.js';
import { FakeKube } from '../cluster/fake-kube.js';

const OLD_DB = '10.244.2.5';
const NEW_DB = '10.244.2.9';
const TARGETS: WatchTarget[] = [
  { endpoint: 'shop/client', namespace: 'shop', labels: { 'netpol-harness/endpoint': 'client' }, agent: true, addresses: ['10.244.1.2'] },
  { endpoint: 'shop/db', namespace: 'shop', labels: { 'netpol-harness/endpoint': 'db' }, agent: true, addresses: [OLD_DB] },
];
const client: SourcePod = { endpoint: 'shop/client', namespace: 'shop', pod: 'client-1', container: 'nph-probe', node: 'w1' };
const toDb: AgentTarget = { id: 'shop/db:5432/TCP', kind: 'tcp', host: OLD_DB, port: 5432, timeoutMs: 1000 };
const toSvc: AgentTarget = { id: 'shop/web:80/TCP', kind: 'tcp', host: '10.96.0.20', port: 80, timeoutMs: 1000 };

/** client-1 and db-1 were deleted; their Deployments made client-2 and db-2 (new IP). */
function replaced(): FakeKube {
  const k = new FakeKube();
  for (const n of ['w1', 'w2']) k.put(node(n));
  k.put(pod('shop', 'client-2', 'client', 'w2', { ip: '10.244.2.3' }));
  k.put(pod('shop', 'db-2', 'db', 'w2', { ip: NEW_DB }));
  return k;
}

describe('observe/live-prober: probes follow replaced pods', () => {
  it('liveAddress: a learnt pod IP no Ready pod holds is swapped for a live one; live, unknown and service addresses stay', async () => {
    const snap = await takeSnapshot(replaced(), TARGETS);
    expect(liveAddress(snap, TARGETS[1], OLD_DB)).to.equal(NEW_DB);
    expect(liveAddress(snap, TARGETS[1], NEW_DB)).to.equal(undefined);
    expect(liveAddress(snap, TARGETS[1], '10.96.0.20')).to.equal(undefined);
    expect(liveAddress(undefined, TARGETS[1], OLD_DB)).to.equal(undefined);
    const none = await takeSnapshot(new FakeKube(), TARGETS);
    expect(liveAddress(none, TARGETS[1], OLD_DB), 'nothing live: the guard reports the stale address').to.equal(undefined);
  });

  it('a destination replaced mid-step is probed at its new pod IP, and the result says so', async () => {
    const exec = new FakeExecutor(() => 'connected');
    const snap = await takeSnapshot(replaced(), TARGETS);
    // Inner prober: the fake executor (one exec per request).
    const inner = new LiveProber(
      {
        execCount: 0,
        round: async (reqs) => {
          const out = new Map();
          for (const r of reqs) {
            const res = await exec.exec(r.source.namespace, r.source.pod, r.source.container, ['x', '--targets', JSON.stringify(r.targets)]);
            for (const line of res.stdout.trim().split('\n')) {
              const o = JSON.parse(line) as { id?: string; class?: string };
              if (o.id) out.set(cellKey(r.source.endpoint, o.id), { id: o.id, class: o.class });
            }
          }
          return out;
        },
      },
      { snapshot: () => snap, target: (e) => TARGETS.find((t) => t.endpoint === e) },
    );
    const src: SourcePod = { ...client, pod: 'client-2', container: 'agent' };
    const res = await inner.round([{ source: src, targets: [toDb, toSvc] }]);
    expect(exec.calls[0]!.targets.map((t) => t.host)).to.deep.equal([NEW_DB, '10.96.0.20']);
    expect(probedAs(res.get(cellKey('shop/client', toDb.id))!)!.target.host).to.equal(NEW_DB);
    expect(probedAs(res.get(cellKey('shop/client', toSvc.id))!)!.target.host).to.equal('10.96.0.20');
    expect([...inner.readdressed]).to.deep.equal([`shop/db: ${OLD_DB} -> ${NEW_DB}`]);
  });

  it('an in-place source deleted mid-step: probed from the replacement with a new probe container; the repro names that pod', async () => {
    const k = replaced();
    const exec = new FakeExecutor(
      (_pod, t) => (t.id === toDb.id ? 'timeout' : 'connected'),
      (p) => (p === 'client-1' ? new Error('pods "client-1" not found') : undefined),
    );
    const prepared: string[] = [];
    const ref: { live?: LiveProber } = {};
    const observed = await observeStep({
      client: k,
      executor: exec,
      targets: TARGETS,
      pollIntervalMs: 0,
      retry: { retries: 1, baseDelayMs: 0, maxDelayMs: 0 },
      // eslint-disable-next-line @typescript-eslint/require-await -- stands in for ensureEphemeral
      prepareSource: async (s) => {
        prepared.push(s.pod);
        return { ...s, container: 'nph-probe' };
      },
      onReplaced: (s, old) => ref.live?.replaced(old, s),
    });
    const live = (ref.live = new LiveProber(observed.prober, { snapshot: () => observed.observer.last, target: (e) => observed.observer.target(e) }));
    const cells: PlannedCell[] = [{ source: client, target: toDb, expected: 'deny' }];
    const settled = await probeUntilSettled(cells, live, { deadlineMs: 0, noConfirm: true, sleep: () => Promise.resolve() });
    observed.finish(cells, settled);
    const outcome = settled.outcomes.get(cellKey('shop/client', toDb.id))!;
    expect(outcome.result.class).to.equal('timeout');
    expect(prepared).to.deep.equal(['client-2']);
    // the exec that failed, then the replacement (with the probe container added there), at db's new IP
    expect(exec.calls.map((c) => c.pod)).to.deep.equal(['client-1', 'client-2', 'db-2']);
    expect(exec.calls[1]!.targets[0]!.host).to.equal(NEW_DB);
    const obs = observationFrom(cells[0]!, outcome);
    expect(obs.repro).to.match(/exec -n shop client-2 -c nph-probe -- /);
    expect(obs.repro).to.include(`"host":"${NEW_DB}"`);
    expect(obs.repro).to.include('# pod client-2 replaced client-1 during the run');
    expect(obs.repro).to.not.match(/client-1 -c/);

    // the next round goes straight to the replacement
    exec.calls.length = 0;
    await live.round([{ source: client, targets: [toSvc] }]);
    expect(exec.calls.map((c) => c.pod)).to.deep.equal(['client-2']);
  });

  it('without a replacement the repro still names the planned pod (and its cells are errors)', async () => {
    const exec = new FakeExecutor(() => 'connected', (p) => (p === 'client-1' ? new Error('pods "client-1" not found') : undefined));
    // The source is not watched, so no replacement can be found for it.
    const observed = await observeStep({ client: replaced(), executor: exec, targets: TARGETS.slice(1), pollIntervalMs: 0, retry: { retries: 1, baseDelayMs: 0, maxDelayMs: 0 } });
    const live = new LiveProber(observed.prober, { snapshot: () => observed.observer.last, target: (e) => observed.observer.target(e) });
    const cells: PlannedCell[] = [{ source: client, target: toSvc, expected: 'allow' }];
    const settled = await probeUntilSettled(cells, live, { deadlineMs: 0, noConfirm: true, sleep: () => Promise.resolve() });
    observed.finish(cells, settled);
    const outcome = settled.outcomes.get(cellKey('shop/client', toSvc.id))!;
    expect(outcome.result.class).to.equal('error');
    expect(observationFrom(cells[0]!, outcome).repro).to.match(/exec -n shop client-1 -c nph-probe -- /).and.not.include('replaced');
  });
});
