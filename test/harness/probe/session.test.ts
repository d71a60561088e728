import { expect } from 'chai';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { BatchProber, type ProbeRequest } from '../../../harness/probe/prober.js';
import { SessionPool } from '../../../harness/probe/session.js';
import { FakeExecutor, FakeStreamer } from './fakes.js';

const src = (name: string) => ({ endpoint: `ns/${name}`, namespace: 'ns', pod: `${name}-pod`, container: 'agent' });
const tcp = (id: string, timeoutMs = 1000) => ({ id, kind: 'tcp' as const, host: '10.0.0.1', port: 80, timeoutMs });

const requests: ProbeRequest[] = [
  { source: src('a'), targets: [tcp('x:80/TCP'), tcp('y:80/TCP'), tcp('z:80/TCP')] },
  { source: src('b'), targets: [tcp('x:80/TCP'), tcp('y:80/TCP')] },
];

function setup(answer = (pod: string, id: string) => (pod === 'a-pod' && id === 'y:80/TCP' ? 'timeout' : 'connected')) {
  const execs = new FakeExecutor((pod, t) => answer(pod, t.id));
  const streamer = new FakeStreamer(execs);
  const pool = new SessionPool(streamer, { roundSlackMs: 50, openSlackMs: 50 });
  return { execs, streamer, pool, prober: new BatchProber(streamer, { sessions: pool, retry: { retries: 1, baseDelayMs: 0, maxDelayMs: 0 }, sleep: () => Promise.resolve() }) };
}

describe('probe/session: one long-lived exec per pod, reused every round', () => {
  it('opens one session per pod and answers every later round over it (no exec per round)', async () => {
    const { streamer, pool, prober } = setup();
    for (let i = 0; i < 3; i++) {
      const res = await prober.round(requests);
      expect(res.size).to.equal(5);
      expect(res.get(cellKey('ns/a', 'y:80/TCP'))?.class).to.equal('timeout');
      expect(res.get(cellKey('ns/b', 'y:80/TCP'))?.class).to.equal('connected');
    }
    expect(streamer.opens.sort()).to.deep.equal(['a-pod', 'b-pod']);
    expect(streamer.sessionRounds).to.have.length(6);
    expect(pool.stats).to.deep.equal({ opened: 2, rounds: 6, fallbacks: 0 });
    expect(prober.execCount).to.equal(2);
    pool.close();
  });

  it('a session whose agent dies mid-round gives no results; the round falls back to a one-shot exec', async () => {
    const { streamer, pool, prober } = setup();
    await prober.round(requests);
    streamer.dieOnNext.add('a-pod');
    const res = await prober.round(requests);
    // The one-shot exec answered (the agent's container restarted): the same classes, no partial round.
    expect(res.get(cellKey('ns/a', 'y:80/TCP'))?.class).to.equal('timeout');
    expect(pool.stats.fallbacks).to.equal(1);
    streamer.dieOnNext.delete('a-pod');
    await prober.round(requests);
    expect(streamer.opens.filter((p) => p === 'a-pod')).to.have.length(2);
    pool.close();
  });

  it('a killed agent whose pod cannot be exec into either: errors naming the fault, never a deny', async () => {
    const execs = new FakeExecutor(() => 'refused', (pod) => (pod === 'a-pod' ? new Error('container not found ("agent")') : undefined));
    const streamer = new FakeStreamer(execs);
    const pool = new SessionPool(streamer, { roundSlackMs: 50, openSlackMs: 50 });
    const prober = new BatchProber(streamer, { sessions: pool, retry: { retries: 1, baseDelayMs: 0, maxDelayMs: 0 }, sleep: () => Promise.resolve() });
    const res = await prober.round(requests);
    for (const t of requests[0]!.targets) {
      const r = res.get(cellKey('ns/a', t.id))!;
      expect(r.class).to.equal('error');
      expect(r.detail).to.match(/container not found.*source pod ns\/a-pod/);
    }
    expect(res.get(cellKey('ns/b', 'x:80/TCP'))?.class).to.equal('refused');
    pool.close();
  });

  it('an agent without `session` (an older image) is not asked again: one-shot execs from then on', async () => {
    const { execs, streamer, pool, prober } = setup();
    streamer.noSession.add('a-pod');
    await prober.round(requests);
    const res = await prober.round(requests);
    expect(res.get(cellKey('ns/a', 'y:80/TCP'))?.class).to.equal('timeout');
    expect(streamer.opens.filter((p) => p === 'a-pod')).to.have.length(1);
    // Two one-shot execs (the fake answers session rounds through execs too; a-pod had none).
    expect(execs.calls.filter((c) => c.pod === 'a-pod')).to.have.length(2);
    expect(pool.stats.fallbacks).to.equal(2);
    pool.close();
  });

  it('a session that cannot open, hangs past its deadline or answers for another round is not trusted', async () => {
    for (const knob of ['openFails', 'hang', 'wrongRound'] as const) {
      const { streamer, pool, prober } = setup();
      streamer[knob].add('a-pod');
      const res = await prober.round([{ source: src('a'), targets: [tcp('y:80/TCP', 5)] }]);
      expect(res.get(cellKey('ns/a', 'y:80/TCP'))?.class, knob).to.equal('timeout');
      expect(pool.stats.fallbacks, knob).to.equal(1);
      expect(pool.stats.rounds, knob).to.equal(0);
      pool.close();
    }
  });

  it('caps sessions being opened at once (each open is an exec setup)', async () => {
    const execs = new FakeExecutor(() => 'connected');
    const streamer = new FakeStreamer(execs);
    const pool = new SessionPool(streamer, { openConcurrency: 3 });
    const many = Array.from({ length: 10 }, (_, i) => ({ source: src(`s${i}`), targets: [tcp('x:80/TCP')] }));
    const res = await new BatchProber(streamer, { sessions: pool }).round(many);
    expect(res.size).to.equal(10);
    expect(streamer.maxConcurrentOpens).to.equal(3);
    pool.close();
  });

  it('a round asks for every probe at once and spreads the starts (2 ms a probe, at most a quarter of a timeout)', async () => {
    const execs = new FakeExecutor(() => 'connected');
    const streamer = new FakeStreamer(execs);
    const pool = new SessionPool(streamer);
    const wide = Array.from({ length: 200 }, (_, i) => tcp(`d${i}:80/TCP`, 2000));
    await new BatchProber(streamer, { sessions: pool }).round([{ source: src('a'), targets: wide }, { source: src('b'), targets: wide.slice(0, 2) }]);
    await new BatchProber(streamer, { sessions: pool, spreadPerProbeMs: 0 }).round([{ source: src('a'), targets: wide.slice(0, 2) }]);
    const shape = streamer.requests.map((r) => `${r.pod} ${r.targets.length} parallel ${r.parallel} spread ${r.spreadMs ?? 'none'}`);
    expect(shape.sort()).to.deep.equal(['a-pod 2 parallel 256 spread none', 'a-pod 200 parallel 256 spread 400', 'b-pod 2 parallel 256 spread 4']);
    pool.close();
  });

  describe('warm(): sessions opened ahead of the first round', () => {
    it('a warmed pool answers its first round with no exec setup in it', async () => {
      const { streamer, pool, prober } = setup();
      await pool.warm(requests.map((r) => r.source));
      expect(streamer.opens.sort()).to.deep.equal(['a-pod', 'b-pod']);
      const res = await prober.round(requests);
      expect(res.get(cellKey('ns/a', 'y:80/TCP'))?.class).to.equal('timeout');
      expect(streamer.opens).to.have.length(2);
      expect(pool.stats).to.deep.equal({ opened: 2, rounds: 2, fallbacks: 0 });
      pool.close();
    });

    it('a round that comes while warm() is still opening waits for that open (one exec setup, not two)', async () => {
      const { streamer, pool, prober } = setup();
      streamer.held.add('a-pod');
      const warming = pool.warm([src('a')]);
      while (streamer.holding === 0) await new Promise((r) => setImmediate(r));
      const round = prober.round([{ source: src('a'), targets: [tcp('x:80/TCP')] }]);
      await new Promise((r) => setTimeout(r, 5));
      streamer.release();
      const [res] = await Promise.all([round, warming]);
      expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.class).to.equal('connected');
      expect(streamer.opens).to.deep.equal(['a-pod']);
      expect(pool.stats).to.deep.equal({ opened: 1, rounds: 1, fallbacks: 0 });
      pool.close();
    });

    it('warming waits until each agent answers (an empty round), and a round arriving meanwhile waits for it', async () => {
      const { streamer, pool, prober } = setup();
      const warming = pool.warm([src('a'), src('b')]);
      while (streamer.requests.length < 2) await new Promise((r) => setImmediate(r));
      // both sessions are mid warm-up: the round must queue behind it, not fall back to one-shot execs
      const res = await prober.round(requests);
      await warming;
      expect(res.get(cellKey('ns/a', 'y:80/TCP'))?.class).to.equal('timeout');
      expect(streamer.requests.filter((r) => r.targets.length === 0).map((r) => r.pod).sort()).to.deep.equal(['a-pod', 'b-pod']);
      expect(streamer.opens).to.have.length(2);
      expect(pool.stats).to.deep.equal({ opened: 2, rounds: 2, fallbacks: 0 });
      pool.close();
    });

    it('a failed warm-up is no error: the first round opens again, then falls back to a one-shot exec', async () => {
      const { streamer, pool, prober } = setup();
      streamer.openFails.add('a-pod');
      await pool.warm([src('a')]);
      const res = await prober.round([{ source: src('a'), targets: [tcp('x:80/TCP')] }]);
      expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.class).to.equal('connected');
      expect(streamer.opens).to.deep.equal(['a-pod', 'a-pod']);
      expect(pool.stats.fallbacks).to.equal(1);
      pool.close();
    });

    it('an open that hangs past openSlackMs gives a one-shot exec; the stream that opens late is closed at once', async () => {
      const { streamer, pool, prober } = setup();
      streamer.held.add('a-pod');
      const res = await prober.round([{ source: src('a'), targets: [tcp('x:80/TCP')] }]);
      expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.class).to.equal('connected');
      expect(pool.stats).to.include({ opened: 0, fallbacks: 1 });
      streamer.release();
      await new Promise((r) => setTimeout(r, 5));
      expect(streamer.closed).to.deep.equal(['a-pod']);
      pool.close();
    });

    it('close() while sessions are opening: none outlives the pool, later rounds use one-shot execs', async () => {
      const { streamer, pool, prober } = setup();
      streamer.held.add('a-pod');
      const warming = pool.warm([src('a')]);
      while (streamer.holding === 0) await new Promise((r) => setImmediate(r));
      pool.close();
      streamer.release();
      await warming;
      expect(streamer.closed).to.deep.equal(['a-pod']);
      const res = await prober.round([{ source: src('a'), targets: [tcp('x:80/TCP')] }]);
      expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.class).to.equal('connected');
      expect(streamer.opens).to.have.length(1);
      expect(pool.stats.rounds).to.equal(0);
    });
  });
});
