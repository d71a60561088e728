// Per-cell time to enforce read from a probe timeline: the first probe of the final run of probes
// that agreed with the expectation; a flap starts the run again; a cell that ends wrong has none.
import { expect } from 'chai';
import type { AgentResult } from '../../../harness/probe/agent-output.js';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { BatchProber, type ProbeRequest, type Prober, type RoundResults } from '../../../harness/probe/prober.js';
import { probeUntilSettled, type PlannedCell } from '../../../harness/probe/settle.js';
import { enforcedAtMs, RecordingProber, type TimedRound } from '../../../harness/probe/timeline.js';
import { FakeExecutor } from './fakes.js';

const res = (cls: AgentResult['class']): AgentResult => ({ id: 't', class: cls });
const round = (atMs: number, cells: Record<string, AgentResult['class']>): TimedRound => ({ atMs, results: new Map(Object.entries(cells).map(([k, c]) => [k, res(c)])) });

describe('probe/timeline: per-cell time to enforce', () => {
  const timeline = [
    round(0, { a: 'connected', b: 'connected', c: 'refused', d: 'connected', e: 'connected' }),
    round(450, { b: 'connected', c: 'connected', d: 'connected', e: 'connected' }),
    round(900, { b: 'timeout', c: 'connected', d: 'refused', e: 'connected' }),
    round(1350, { b: 'timeout', d: 'connected', e: 'connected' }),
    round(1800, { a: 'connected', b: 'timeout', c: 'connected', d: 'refused', e: 'connected' }),
  ];

  it('a cell right from the first probe: 0 ms', () => expect(enforcedAtMs(timeline, 'a', 'allow')).to.equal(0));
  it('a deny that lands in the third probe: that probe\'s send time', () => expect(enforcedAtMs(timeline, 'b', 'deny')).to.equal(900));
  it('an allow that needed a re-probe after a stray refusal', () => expect(enforcedAtMs(timeline, 'c', 'allow')).to.equal(450));
  it('a flap starts the run again: only the final agreeing run counts', () => expect(enforcedAtMs(timeline, 'd', 'deny')).to.equal(1800));
  it('a cell that ends on the wrong verdict has no time; an unprobed one neither', () => {
    expect(enforcedAtMs(timeline, 'e', 'deny')).to.equal(undefined);
    expect(enforcedAtMs(timeline, 'zz', 'allow')).to.equal(undefined);
  });

  it('recorded around probeUntilSettled: rounds stamped at their send time, cells at the probe that settled them', async () => {
    let t = 0;
    const source = { endpoint: 'ns/a', namespace: 'ns', pod: 'a-pod', container: 'agent' };
    const cell = (id: string, expected: 'allow' | 'deny'): PlannedCell => ({ source, target: { id, kind: 'tcp', host: '10.0.0.1', port: 80, timeoutMs: 1000 }, expected });
    // Each exec costs 150 ms; y is denied from the third call on, z from the fourth.
    const ex = new FakeExecutor((_p, target, call) => {
      if (target.id === 'x') return 'connected';
      return (target.id === 'y' && call >= 3) || (target.id === 'z' && call >= 4) ? 'refused' : 'connected';
    });
    const inner: Prober = new BatchProber(ex);
    const slow: Prober = {
      get execCount() {
        return inner.execCount;
      },
      round: async (reqs: ProbeRequest[]): Promise<RoundResults> => {
        t += 150;
        return inner.round(reqs);
      },
    };
    t = 1000;
    const rec = new RecordingProber(slow, 1000, () => t);
    const cells = [cell('x', 'allow'), cell('y', 'deny'), cell('z', 'deny')];
    await probeUntilSettled(cells, rec, { deadlineMs: 10_000, intervalMs: 200, now: () => t, sleep: (ms) => Promise.resolve(void (t += ms)) });
    // Sends at 0, 350 (150 ms round + 200 ms interval), 700, 1050, then the confirmation at 1200 (no pause).
    expect(rec.rounds.map((r) => r.atMs)).to.deep.equal([0, 350, 700, 1050, 1200]);
    expect(enforcedAtMs(rec.rounds, cellKey('ns/a', 'x'), 'allow')).to.equal(0);
    expect(enforcedAtMs(rec.rounds, cellKey('ns/a', 'y'), 'deny')).to.equal(700);
    expect(enforcedAtMs(rec.rounds, cellKey('ns/a', 'z'), 'deny')).to.equal(1050);
    expect(rec.execCount).to.equal(ex.calls.length);
  });
});
