// The destination witness on the harness side: the verdict logic (arrival decides; an answer
// from the application is not needed; a failed witness is an error, never a deny), which probes
// get markers and expectations, and a whole round through WitnessingProber with fakes.
import { expect } from 'chai';
import type { AgentResult } from '../../../harness/probe/agent-output.js';
import { combinePods, FanOutProber } from '../../../harness/probe/fan-out.js';
import { BatchProber, type ProbeRequest, type SourcePod } from '../../../harness/probe/prober.js';
import {
  judge,
  parseWitnessOutput,
  planWitness,
  witnessCommand,
  WitnessingProber,
  type StartWitness,
  type WitnessExpectation,
  type WitnessOutcome,
  type WitnessPod,
} from '../../../harness/probe/witness.js';
import type { AgentTarget } from '../../../harness/probe/targets.js';
import { FakeExecutor } from './fakes.js';

const r = (cls: AgentResult['class'], detail?: string): AgentResult => ({
  id: 'c',
  class: cls,
  ...(detail ? { detail } : {}),
});

const src = (endpoint: string, pod: string): SourcePod => ({
  endpoint,
  namespace: endpoint.split('/')[0]!,
  pod,
  container: 'nph-probe',
});
const WPOD: WitnessPod = {
  endpoint: 'shop/stats',
  namespace: 'shop',
  pod: 'stats-0',
  container: 'nph-witness',
};
const udp: AgentTarget = {
  id: 'shop/stats:8125/UDP',
  kind: 'udp',
  host: '10.0.0.9',
  port: 8125,
  timeoutMs: 1000,
};
const tcp: AgentTarget = {
  id: 'shop/stats:81/TCP',
  kind: 'tcp',
  host: '10.0.0.9',
  port: 81,
  timeoutMs: 1000,
};
const other: AgentTarget = {
  id: 'shop/web:80/TCP',
  kind: 'tcp',
  host: '10.96.0.5',
  port: 80,
  timeoutMs: 1000,
};
const columnDst = new Map([
  [udp.id, 'shop/stats'],
  [tcp.id, 'shop/stats'],
  [other.id, 'shop/web'],
]);
const ips = new Map([
  ['shop/client-1', '10.244.1.5'],
  ['shop/client-2', '10.244.2.6'],
]);
const sourceIP = (s: SourcePod) => ips.get(`${s.namespace}/${s.pod}`);

/** A fake witness: sees whatever `arrives` says, once the probes ran (stop() is called after the round). */
function fakeStart(arrives: (e: WitnessExpectation) => boolean, opts: { neverReady?: boolean } = {}): { start: StartWitness; log: string[] } {
  const log: string[] = [];
  const start: StartWitness = (pod, exps) => {
    log.push(`start ${pod.pod} ${exps.length}`);
    let stop!: () => void;
    const stopped = new Promise<void>((res) => (stop = res));
    return {
      ready: opts.neverReady ? new Promise<void>(() => {}) : Promise.resolve(),
      stop: () => (log.push('stop'), stop()),
      result: stopped.then(() => new Map<string, WitnessOutcome>(exps.map((e) => [e.id, { arrived: arrives(e) }]))),
    };
  };
  return { start, log };
}

describe('probe/witness', () => {
  it('judge: arrival is an allow whatever the source saw; no arrival keeps the deny; a failed witness is an error', () => {
    expect(
      judge(r('refused', 'ECONNREFUSED'), {
        arrived: true,
        from: '10.244.1.5',
      }),
    ).to.deep.include({ class: 'connected' });
    expect(judge(r('refused', 'ECONNREFUSED'), { arrived: true }).detail)
      .to.include('arrived')
      .and.include('the source saw refused (ECONNREFUSED)');
    expect(judge(r('timeout'), { arrived: true }).class).to.equal('connected');
    // An application RST after the SYN arrived is not a policy reject.
    expect(judge(r('refused'), { arrived: false })).to.deep.include({
      class: 'refused',
    });
    expect(judge(r('timeout'), { arrived: false }).detail).to.include('never arrived');
    expect(judge(r('timeout'), { error: 'exec failed' })).to.deep.include({
      class: 'error',
    });
    // A connection the application accepted needs no witness; errors stay errors.
    expect(judge(r('connected', 'x'), { arrived: false })).to.deep.equal(r('connected', 'x'));
    expect(judge(r('error', 'exec'), { arrived: true })).to.deep.equal(r('error', 'exec'));
    expect(judge(r('timeout'), undefined)).to.deep.equal(r('timeout'));
  });

  it('plans markers for witnessed UDP probes and source-address expectations for TCP; other targets are untouched', () => {
    const reqs: ProbeRequest[] = [
      { source: src('shop/client', 'client-1'), targets: [udp, tcp, other] },
      { source: src('shop/lost', 'lost-1'), targets: [tcp] },
    ];
    const plan = planWitness(reqs, new Map([['shop/stats', WPOD]]), columnDst, sourceIP, 'tok');
    expect(plan.requests[0]!.targets).to.deep.equal([{ ...udp, marker: 'nphw-tok-0' }, tcp, other]);
    expect(plan.byPod.get('shop/stats')!.expectations).to.deep.equal([
      {
        id: 'shop/client|shop/stats:8125/UDP',
        proto: 'udp',
        port: 8125,
        marker: 'nphw-tok-0',
      },
      {
        id: 'shop/client|shop/stats:81/TCP',
        proto: 'tcp',
        port: 81,
        src: '10.244.1.5',
      },
    ]);
    expect([...plan.unwitnessed]).to.deep.equal([['shop/lost|shop/stats:81/TCP', 'no IP known for source pod shop/lost-1']]);
    expect(planWitness(reqs, new Map(), columnDst, sourceIP, 't').byPod.size).to.equal(0);
  });

  it('reads the witness output and builds its command', () => {
    const out = ['{"ready":true,"sockets":["ip4:udp"]}', '{"id":"a","arrived":true,"count":2,"from":"10.0.0.1"}', '{"id":"b","arrived":false,"count":0}', 'noise', '{"done":true}'].join('\n');
    const p = parseWitnessOutput(out);
    expect(p.ready && p.done).to.equal(true);
    expect([...p.arrivals]).to.deep.equal([
      ['a', { arrived: true, from: '10.0.0.1' }],
      ['b', { arrived: false }],
    ]);
    const exps: WitnessExpectation[] = [{ id: 'a', proto: 'udp', port: 1, marker: 'm' }];
    expect(witnessCommand(exps, 9e9)).to.deep.equal(['/bin/nph-agent', 'witness', '--expect', JSON.stringify(exps), '--max-ms', '600000']);
  });

  it('a round: the source saw refused (nothing listens) but the probe arrived, so the cell is allowed; unwitnessed cells are as probed', async () => {
    const exec = new FakeExecutor((_pod, t) => (t.kind === 'udp' ? (t.marker ? 'timeout' : 'error') : t.id === other.id ? 'refused' : 'refused'));
    const { start, log } = fakeStart((e) => e.proto === 'udp' || e.src === '10.244.1.5');
    const prober = new WitnessingProber(new BatchProber(exec), {
      witnessed: new Map([['shop/stats', WPOD]]),
      columnDst,
      sourceIP,
      start,
    });
    const res = await prober.round([{ source: src('shop/client', 'client-1'), targets: [udp, tcp, other] }]);
    expect(res.get('shop/client|shop/stats:8125/UDP')!.class).to.equal('connected');
    expect(res.get('shop/client|shop/stats:81/TCP')!.class).to.equal('connected');
    expect(res.get('shop/client|shop/web:80/TCP')!.class).to.equal('refused');
    expect(log).to.deep.equal(['start stats-0 2', 'stop']);
    // The marker reached the source's agent, so the witness can recognise the datagrams.
    expect(exec.calls[0]!.targets[0]!.marker).to.match(/^nphw-[0-9a-f]{8}-0$/);
  });

  it('a probe that never arrives stays a deny; a witness that never gets ready turns its cells into errors', async () => {
    const exec = new FakeExecutor(() => 'timeout');
    const none = fakeStart(() => false);
    const deny = await new WitnessingProber(new BatchProber(exec), {
      witnessed: new Map([['shop/stats', WPOD]]),
      columnDst,
      sourceIP,
      start: none.start,
    }).round([{ source: src('shop/client', 'client-1'), targets: [udp] }]);
    expect(deny.get('shop/client|shop/stats:8125/UDP')).to.deep.include({
      class: 'timeout',
    });
    const stuck = fakeStart(() => true, { neverReady: true });
    const err = await new WitnessingProber(new BatchProber(exec), {
      witnessed: new Map([['shop/stats', WPOD]]),
      columnDst,
      sourceIP,
      start: stuck.start,
      readyTimeoutMs: 10,
    }).round([{ source: src('shop/client', 'client-1'), targets: [udp] }]);
    expect(err.get('shop/client|shop/stats:8125/UDP')!.class).to.equal('error');
    expect(err.get('shop/client|shop/stats:8125/UDP')!.detail).to.include('not ready within 10 ms');
  });
});

describe('probe/fan-out', () => {
  it('combines per-pod results: agreement keeps the class, disagreement is an error naming each pod', () => {
    expect(combinePods([{ pod: 'a', result: r('connected', 'x') }])).to.deep.equal(r('connected', 'x'));
    expect(
      combinePods([
        { pod: 'a', result: r('timeout') },
        { pod: 'b', result: r('timeout') },
      ]),
    ).to.deep.include({ class: 'timeout', detail: 'all 2 pods: timeout' });
    expect(
      combinePods([
        { pod: 'a', result: r('connected') },
        { pod: 'b', result: r('timeout') },
      ]),
    ).to.deep.include({
      class: 'error',
      detail: 'the pods disagree: a connected, b timeout',
    });
  });

  it("probes from every pod of a sourcePods: all source, and matches each pod's SYN by its own address under a witness", async () => {
    const exec = new FakeExecutor((pod, t) => (pod === 'client-2' && t.id === tcp.id ? 'timeout' : 'refused'));
    const { start } = fakeStart((e) => e.src === '10.244.1.5');
    const witnessing = new WitnessingProber(new BatchProber(exec), {
      witnessed: new Map([['shop/stats', WPOD]]),
      columnDst,
      sourceIP,
      start,
    });
    const pods = [src('shop/client', 'client-1'), src('shop/client', 'client-2')];
    const res = await new FanOutProber(witnessing, new Map([['shop/client', pods]])).round([{ source: pods[0]!, targets: [tcp, other] }]);
    expect(exec.calls.map((c) => c.pod)).to.deep.equal(['client-1', 'client-2']);
    expect(res.get('shop/client|shop/stats:81/TCP')).to.deep.include({
      class: 'error',
      detail: 'the pods disagree: client-1 connected, client-2 timeout',
    });
    expect(res.get('shop/client|shop/web:80/TCP')).to.deep.include({
      class: 'refused',
    });
  });
});
