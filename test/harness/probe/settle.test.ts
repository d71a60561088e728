import { expect } from 'chai';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { BatchProber } from '../../../harness/probe/prober.js';
import { confirmTimeoutMs, probeUntilSettled, RecentLatency, type PlannedCell } from '../../../harness/probe/settle.js';
import { FakeExecutor } from './fakes.js';

const source = { endpoint: 'ns/a', namespace: 'ns', pod: 'a-pod', container: 'agent' };
const cell = (id: string, expected: 'allow' | 'deny'): PlannedCell => ({
  source,
  target: { id, kind: 'tcp', host: '10.0.0.1', port: 80, timeoutMs: 1000 },
  expected,
});

/** A fake clock: sleeping advances time, each probe round costs 100 ms. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: (ms: number) => Promise.resolve(void (t += ms)), tick: (ms: number) => (t += ms) };
}

describe('probe/settle', () => {
  it('matches at once: one full round plus one confirmation, one attempt per cell', async () => {
    const c = clock();
    const ex = new FakeExecutor((_p, t) => (t.id === 'x' ? 'connected' : 'timeout'));
    const r = await probeUntilSettled([cell('x', 'allow'), cell('y', 'deny')], new BatchProber(ex), { deadlineMs: 10_000, ...c });
    expect(r.timeToEnforceMs).to.equal(0);
    expect(r.outcomes.get(cellKey('ns/a', 'x'))).to.include({ attempts: 1, confirmed: true });
    expect(r.attempts).to.equal(4);
    expect(ex.calls).to.have.length(2);
  });

  it('re-probes only the mismatching cells until the policy is enforced', async () => {
    const c = clock();
    // y is still reachable for the first three calls (policy not realised yet), then denied.
    const ex = new FakeExecutor((_p, t, call) => {
      c.tick(100);
      return t.id === 'y' && call <= 3 ? 'connected' : t.id === 'x' ? 'connected' : 'timeout';
    });
    const r = await probeUntilSettled([cell('x', 'allow'), cell('y', 'deny')], new BatchProber(ex), { deadlineMs: 30_000, intervalMs: 1000, ...c });
    expect(ex.calls[1]!.targets.map((t) => t.id)).to.deep.equal(['y']);
    expect(r.outcomes.get(cellKey('ns/a', 'y'))?.result.class).to.equal('timeout');
    expect(r.outcomes.get(cellKey('ns/a', 'y'))?.history).to.deep.equal(['connected', 'connected', 'connected', 'timeout', 'timeout']);
    expect(r.outcomes.get(cellKey('ns/a', 'y'))).to.include({ attempts: 4, confirmed: true });
    expect(r.outcomes.get(cellKey('ns/a', 'x'))).to.include({ attempts: 1, confirmed: true });
    // The send time of the round that first showed the deny (the fourth: 200 ms, then 3 x 1 s pauses and 2 x 100 ms re-probes), not its end (3500).
    expect(r.timeToEnforceMs).to.equal(3400);
  });

  it('stops at the deadline and leaves the mismatch for the report (probed once more, not provisionally)', async () => {
    const c = clock();
    const ex = new FakeExecutor(() => 'connected');
    const r = await probeUntilSettled([cell('y', 'deny')], new BatchProber(ex), { deadlineMs: 5000, intervalMs: 1000, ...c });
    expect(r.timeToEnforceMs).to.equal(undefined);
    expect(r.outcomes.get(cellKey('ns/a', 'y'))?.result.class).to.equal('connected');
    // Six rounds until the deadline (all provisional: a confirmation would follow), then the last check.
    expect(r.outcomes.get(cellKey('ns/a', 'y'))?.attempts).to.equal(7);
  });

  it('tells the prober which rounds are provisional: the first and the re-probes, never the confirmation or the last check', async () => {
    const c = clock();
    const seen: (boolean | undefined)[] = [];
    const flips = new FakeExecutor((_p, t, call) => (t.id === 'y' && call <= 2 ? 'connected' : t.id === 'x' ? 'connected' : 'timeout'));
    const inner = new BatchProber(flips);
    const spy = { execCount: 0, round: (reqs: Parameters<BatchProber['round']>[0], o?: { provisional?: boolean }) => (seen.push(o?.provisional), inner.round(reqs)) };
    const r = await probeUntilSettled([cell('x', 'allow'), cell('y', 'deny')], spy, { deadlineMs: 30_000, intervalMs: 1000, ...c });
    expect(r.timeToEnforceMs).to.be.a('number');
    // first (provisional), re-probe y (provisional), re-probe y matches, confirmation (checked)
    expect(seen).to.deep.equal([true, true, true, undefined]);
    const never = new FakeExecutor(() => 'connected');
    const seen2: (boolean | undefined)[] = [];
    const inner2 = new BatchProber(never);
    await probeUntilSettled([cell('y', 'deny')], { execCount: 0, round: (reqs, o) => (seen2.push(o?.provisional), inner2.round(reqs)) }, { deadlineMs: 2500, intervalMs: 1000, ...clock() });
    expect(seen2.at(-1), 'the deadline\'s last check is not provisional').to.equal(undefined);
    expect(seen2.slice(0, -1).every((p) => p === true)).to.equal(true);
  });

  it('the confirmation round catches a flapping cell', async () => {
    const c = clock();
    // x answers connected, then refused once (the confirmation), then connected again.
    const ex = new FakeExecutor((_p, _t, call) => (call === 2 ? 'refused' : 'connected'));
    const r = await probeUntilSettled([cell('x', 'allow')], new BatchProber(ex), { deadlineMs: 10_000, ...c });
    expect(r.outcomes.get(cellKey('ns/a', 'x'))?.history).to.deep.equal(['connected', 'refused', 'connected', 'connected']);
    expect(r.outcomes.get(cellKey('ns/a', 'x'))).to.include({ attempts: 3, confirmed: true });
    expect(r.outcomes.get(cellKey('ns/a', 'x'))?.result.class).to.equal('connected');
    expect(r.timeToEnforceMs).to.be.a('number');
  });

  it('does not retry unsupported probes and never counts them as matched', async () => {
    const c = clock();
    const ex = new FakeExecutor(() => 'unsupported');
    const r = await probeUntilSettled([cell('s', 'deny')], new BatchProber(ex), { deadlineMs: 10_000, ...c });
    expect(r.timeToEnforceMs).to.equal(undefined);
    expect(r.outcomes.get(cellKey('ns/a', 's'))?.attempts).to.equal(2);
  });

  describe('the confirmation waits on drops only as long as a connection takes', () => {
    const cells = (): PlannedCell[] => [cell('x', 'allow'), { ...cell('y', 'deny'), target: { ...cell('y', 'deny').target, timeoutMs: 2000 } }];
    const timeouts = (ex: FakeExecutor, round: number): Record<string, number> => Object.fromEntries(ex.calls[round]!.targets.map((t) => [t.id, t.timeoutMs]));

    it('the verdict round waits the full timeout; the confirmation waits 5x the slowest connection, at least 500 ms', async () => {
      const ex = new FakeExecutor((_p, t) => (t.id === 'x' ? 'connected' : 'timeout'));
      // Connections of earlier rounds took 1 ms (the fake's).
      const latency = new RecentLatency();
      latency.record('tcp', 1);
      const r = await probeUntilSettled(cells(), new BatchProber(ex), { deadlineMs: 10_000, latency, ...clock() });
      expect(timeouts(ex, 0)).to.deep.equal({ x: 1000, y: 2000 });
      // The fake's connections take 1 ms: 5 ms, raised to the 500 ms floor; a connected cell keeps its timeout.
      expect(timeouts(ex, 1)).to.deep.equal({ x: 1000, y: 500 });
      expect(r.outcomes.get(cellKey('ns/a', 'y'))).to.include({ confirmed: true });
    });

    it('a shortened confirmation that agrees reports the verdict round\'s result (a refusal after 1 s is not read as a drop)', async () => {
      const latency = new RecentLatency();
      latency.record('tcp', 1);
      // y is refused in the verdict round, then (500 ms wait) times out in the confirmation: still a deny.
      const ex = new FakeExecutor((_p, t, call) => (t.id === 'x' ? 'connected' : call === 1 ? 'refused' : 'timeout'));
      const r = await probeUntilSettled(cells(), new BatchProber(ex), { deadlineMs: 10_000, latency, ...clock() });
      expect(timeouts(ex, 1)).to.deep.equal({ x: 1000, y: 500 });
      const y = r.outcomes.get(cellKey('ns/a', 'y'))!;
      expect(y).to.include({ confirmed: true, attempts: 1 });
      expect(y.result.class).to.equal('refused');
      expect(y.history).to.deep.equal(['refused', 'timeout']);
    });

    it('a drop that starts to connect in the confirmation is caught (the step settles again, fully timed)', async () => {
      // y drops in the first round, connects in the confirmation (a flip), then drops again.
      const ex = new FakeExecutor((_p, t, call) => (t.id === 'x' ? 'connected' : call === 2 ? 'connected' : 'timeout'));
      const r = await probeUntilSettled(cells(), new BatchProber(ex), { deadlineMs: 30_000, intervalMs: 1000, ...clock() });
      expect(r.outcomes.get(cellKey('ns/a', 'y'))?.history.slice(0, 3)).to.deep.equal(['timeout', 'connected', 'timeout']);
      // The re-probe after the flip is a verdict round again: the full timeout.
      expect(timeouts(ex, 2)).to.deep.equal({ y: 2000 });
    });

    it('only steady connections count: one that just started to go through (its first SYN lost to the old rules) does not', async () => {
      const latency = new RecentLatency();
      // x drops in the first round, then connects after a retransmit (1 s), then steadily in 3 ms.
      const ex = new FakeExecutor((_p, _t, call) => (call === 1 ? 'timeout' : 'connected'));
      const slowFirst = { ...ex, calls: ex.calls, exec: async (...a: Parameters<FakeExecutor['exec']>) => {
        const res = await ex.exec(...a);
        const ms = ex.calls.length === 2 ? 1008 : 3;
        return { ...res, stdout: res.stdout.replace(/"latencyMs":1/g, `"latencyMs":${ms}`) };
      } };
      await probeUntilSettled([cell('x', 'allow')], new BatchProber(slowFirst), { deadlineMs: 10_000, intervalMs: 1000, latency, ...clock() });
      expect(latency.get('tcp')).to.equal(3);
    });

    it('keeps the full timeout with nothing of the same kind connected, or when turned off', async () => {
      const ex = new FakeExecutor(() => 'timeout');
      await probeUntilSettled([cell('y', 'deny')], new BatchProber(ex), { deadlineMs: 10_000, ...clock() });
      expect(timeouts(ex, 1)).to.deep.equal({ y: 1000 });
      const off = new FakeExecutor((_p, t) => (t.id === 'x' ? 'connected' : 'timeout'));
      const known = new RecentLatency();
      known.record('tcp', 1);
      await probeUntilSettled(cells(), new BatchProber(off), { deadlineMs: 10_000, confirmDrops: false, latency: known, ...clock() });
      expect(timeouts(off, 1)).to.deep.equal({ x: 1000, y: 2000 });
    });

    it('a step whose cells of a kind all drop uses the slowest connection of earlier steps (latency kept across settles)', async () => {
      const latency = new RecentLatency();
      const first = new FakeExecutor((_p, t) => (t.id === 'x' ? 'connected' : 'timeout'));
      await probeUntilSettled(cells(), new BatchProber(first), { deadlineMs: 10_000, latency, ...clock() });
      expect(latency.get('tcp')).to.equal(1);
      const allDrop = new FakeExecutor(() => 'timeout');
      await probeUntilSettled([{ ...cell('y', 'deny'), target: { ...cell('y', 'deny').target, timeoutMs: 2000 } }], new BatchProber(allDrop), { deadlineMs: 10_000, latency, ...clock() });
      expect(timeouts(allDrop, 1)).to.deep.equal({ y: 500 });
    });

    it('RecentLatency: the slowest of the last N connections per kind, so one slow moment passes', () => {
      const l = new RecentLatency(3);
      expect(l.get('tcp')).to.equal(undefined);
      for (const ms of [400, 2, 3]) l.record('tcp', ms);
      l.record('dns', 9);
      expect(l.get('tcp')).to.equal(400);
      l.record('tcp', 4);
      expect(l.get('tcp')).to.equal(4);
      expect(l.get('dns')).to.equal(9);
    });

    it('confirmTimeoutMs: scales with the slowest connection of the same kind, capped at the timeout', () => {
      const t = { id: 'y', kind: 'tcp' as const, host: '10.0.0.1', port: 80, timeoutMs: 2000 };
      const o = { factor: 5, floorMs: 500 };
      expect(confirmTimeoutMs(t, { id: 'y', class: 'timeout' }, new Map([['tcp', 160]]), o)).to.equal(800);
      expect(confirmTimeoutMs(t, { id: 'y', class: 'timeout' }, new Map([['tcp', 700]]), o)).to.equal(2000);
      expect(confirmTimeoutMs(t, { id: 'y', class: 'timeout' }, new Map([['udp', 1]]), o)).to.equal(undefined);
      // Any deny: a CNI may refuse in one round and drop in the next (kube-router's REJECT after a SYN retransmit).
      expect(confirmTimeoutMs(t, { id: 'y', class: 'refused' }, new Map([['tcp', 1]]), o)).to.equal(500);
      expect(confirmTimeoutMs(t, { id: 'y', class: 'connected' }, new Map([['tcp', 1]]), o)).to.equal(undefined);
      const dns = { id: 'd', kind: 'dns' as const, name: 'x', timeoutMs: 2000 };
      expect(confirmTimeoutMs(dns, { id: 'd', class: 'dns-failure', detail: 'timeout' }, new Map([['dns', 3]]), o)).to.equal(500);
      expect(confirmTimeoutMs(dns, { id: 'd', class: 'error', detail: 'server misbehaving' }, new Map([['dns', 3]]), o)).to.equal(undefined);
    });
  });
});
