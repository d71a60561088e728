// Time to enforce measures the CNI: a cell's time stops counting while the guard distrusts it, and
// that time is reported on its own (SettleResult.distrustedMs -> infrastructure.distrustedMs).
import { expect } from 'chai';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { GuardedProber } from '../../../harness/observe/guard.js';
import { StepObserver } from '../../../harness/observe/observer.js';
import { NEW_POD_SHADOW_MS } from '../../../harness/observe/snapshot.js';
import { BatchProber } from '../../../harness/probe/prober.js';
import { probeUntilSettled, type PlannedCell } from '../../../harness/probe/settle.js';
import { enforcedAtMs, RecordingProber } from '../../../harness/probe/timeline.js';
import { FakeExecutor } from '../probe/fakes.js';
import { cluster, pod, TARGETS } from './fixtures.js';

const EPOCH = Date.parse('2026-12-07T10:00:00Z');
const client = { endpoint: 'shop/client', namespace: 'shop', pod: 'client-1', container: 'agent', node: 'w1' };
const dnsCell: PlannedCell = { source: client, target: { id: 'dns:kubernetes.default', kind: 'dns', name: 'kubernetes.default', timeoutMs: 1000 }, expected: 'deny' };
const dbCell: PlannedCell = { source: client, target: { id: 'shop/db:5432/TCP', kind: 'tcp', host: '10.96.0.20', port: 5432, timeoutMs: 1000 }, expected: 'deny' };
const coredns = (over: Parameters<typeof pod>[4]) => pod('kube-system', 'coredns-1', '', 'cp', { labels: { 'k8s-app': 'kube-dns' }, uid: 'coredns-1', ...over });

describe('observe: time to enforce measures the CNI, not the guard (fake clock, fake cluster)', () => {
  it('a CoreDNS pod turning Ready mid-step: its distrust time goes to the infrastructure figure, not to the cell\'s time to enforce', async () => {
    let t = EPOCH;
    const clock = { now: () => t, sleep: (ms: number) => Promise.resolve(void (t += ms)) };
    const k = cluster();
    // CoreDNS is not Ready when the step starts; it turns Ready 3 s in (the cluster is 40 s old).
    k.put(coredns({ ready: false }));
    const READY_AT = EPOCH + 3_000;
    // The CNI enforced the default deny before the first probe: DNS fails, db times out, from the start.
    const ex = new FakeExecutor((_pod, target) => {
      if (target.id === 'live') return 'connected'; // the destination agent's self-probe: alive
      t += 100; // each probe round costs 100 ms
      if (t >= READY_AT) k.put(coredns({ readyAt: READY_AT, startedAt: READY_AT - 1_000 }));
      return target.kind === 'dns' ? 'dns-failure' : 'timeout';
    });
    // The run deployed its pods a minute before: a CoreDNS pod Ready after that is a new endpoint, not yet trusted.
    const targets = TARGETS.map((x) => (x.clusterService ? { ...x, freshAfter: EPOCH - 60_000 } : x));
    const observer = await StepObserver.start({ client: k, targets, intervalMs: 0, replacementTimeoutMs: 0, now: clock.now });
    const guarded = new GuardedProber(new BatchProber(ex), observer, { executor: ex, agentEndpoints: new Set(['shop/web', 'shop/db', 'shop/client']) });
    const timeline = new RecordingProber(guarded, EPOCH, clock.now);
    const r = await probeUntilSettled([dnsCell, dbCell], timeline, { deadlineMs: 60_000, intervalMs: 1000, ...clock });

    const dns = r.outcomes.get(cellKey('shop/client', dnsCell.target.id))!;
    expect(dns.result.class, 'in the end, the DNS failure is a verdict').to.equal('dns-failure');
    expect(dns.history.filter((c) => c === 'error').length, 'distrusted while CoreDNS was not Ready and then new').to.be.greaterThan(5);
    expect(observer.distrusted).to.be.greaterThan(5);
    // Distrusted from the first round (not Ready, then Ready less than the trust window) until CoreDNS was trusted.
    expect(r.distrustedMs).to.be.at.least(READY_AT - EPOCH + NEW_POD_SHADOW_MS - 1_000);
    expect(r.distrustedMs).to.be.at.most(READY_AT - EPOCH + NEW_POD_SHADOW_MS + 1_500);
    // The wall clock to the match is all of that and more; the time to enforce is the CNI's: it enforced at once.
    expect(r.totalMs).to.be.greaterThan(r.distrustedMs);
    expect(r.timeToEnforceMs, 'the step matched and was confirmed').to.be.a('number');
    expect(r.timeToEnforceMs!).to.be.below(1_000);
    // The per-cell figure (conformance) leaves the distrusted time out as well.
    expect(enforcedAtMs(timeline.rounds, cellKey('shop/client', dnsCell.target.id), 'deny')!).to.be.below(1_000);
    expect(enforcedAtMs(timeline.rounds, cellKey('shop/client', dbCell.target.id), 'deny')).to.equal(0);
  });

  it('a cell the CNI is slow on keeps its own time: only the distrusted part is left out', async () => {
    let t = EPOCH;
    const clock = { now: () => t, sleep: (ms: number) => Promise.resolve(void (t += ms)) };
    const k = cluster();
    k.put(coredns({ readyAt: EPOCH - 120_000 }));
    // db's policy takes 5 s to be enforced (connected until then); DNS is healthy throughout.
    const ex = new FakeExecutor((_pod, target) => {
      if (target.id === 'live') return 'connected';
      t += 100;
      if (target.kind === 'dns') return 'dns-failure';
      return t < EPOCH + 5_000 ? 'connected' : 'timeout';
    });
    const observer = await StepObserver.start({ client: k, targets: TARGETS, intervalMs: 0, replacementTimeoutMs: 0, now: clock.now });
    const guarded = new GuardedProber(new BatchProber(ex), observer, { executor: ex, agentEndpoints: new Set(['shop/web', 'shop/db', 'shop/client']) });
    const r = await probeUntilSettled([dnsCell, dbCell], guarded, { deadlineMs: 60_000, intervalMs: 1000, ...clock });
    expect(r.distrustedMs).to.equal(0);
    expect(r.timeToEnforceMs!).to.be.within(5_000, 6_500);
  });
});
