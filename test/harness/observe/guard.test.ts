import { expect } from 'chai';
import { verdictOf } from '../../../harness/diff/result.js';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { containerPortOf, dependencies, GuardedProber } from '../../../harness/observe/guard.js';
import { StepObserver } from '../../../harness/observe/observer.js';
import { unsettledSummary } from '../../../harness/observe/step.js';
import type { ExecResult, PodExecutor } from '../../../harness/probe/exec.js';
import { BatchProber, type SourcePod } from '../../../harness/probe/prober.js';
import { SessionPool } from '../../../harness/probe/session.js';
import { probeUntilSettled, type PlannedCell } from '../../../harness/probe/settle.js';
import type { AgentTarget } from '../../../harness/probe/targets.js';
import { CNI_TARGETS } from '../../../harness/observe/cni-agents.js';
import { cluster, node, pod, TARGETS } from './fixtures.js';
import type { FakeKube } from '../cluster/fake-kube.js';
import { FakeStreamer } from '../probe/fakes.js';

const client: SourcePod = { endpoint: 'shop/client', namespace: 'shop', pod: 'client-1', container: 'agent', node: 'w1' };
const web: SourcePod = { endpoint: 'shop/web', namespace: 'shop', pod: 'web-1', container: 'agent', node: 'w1' };
const tcp = (dst: string, port: number): AgentTarget => ({ id: `${dst}:${port}/TCP`, kind: 'tcp', host: '10.96.0.10', port, timeoutMs: 1000 });
const dns: AgentTarget = { id: 'dns:kubernetes.default', kind: 'dns', name: 'kubernetes.default', timeoutMs: 1000 };

/**
 * An executor over a little world: probes from a source answer `verdicts[dst]`; the liveness
 * self-probe answers connected unless the pod is listed in `deadAgents`; pods in `unreachable` fail to exec.
 */
class World implements PodExecutor {
  verdicts: Record<string, string> = {};
  deadAgents = new Set<string>();
  unreachable = new Set<string>();
  calls: string[] = [];
  exec(_ns: string, pod: string, _c: string, command: string[]): Promise<ExecResult> {
    this.calls.push(pod);
    if (this.unreachable.has(pod)) return Promise.reject(new Error(`exec in shop/${pod}: error dialing backend: dial tcp 172.18.0.4:10250: connect: no route to host`));
    const targets = JSON.parse(command[command.indexOf('--targets') + 1]!) as AgentTarget[];
    const lines = targets.map((t) => {
      const cls = t.id === 'live' ? (this.deadAgents.has(pod) ? 'refused' : 'connected') : (this.verdicts[t.id] ?? 'connected');
      return JSON.stringify({ id: t.id, class: cls, ...(cls === 'dns-failure' ? { detail: 'lookup kubernetes.default: i/o timeout' } : {}) });
    });
    return Promise.resolve({ stdout: `${lines.join('\n')}\n{"done":true}\n`, stderr: '', exitCode: 0 });
  }
}

/** The same world, probed over sessions (self-probes too), as a run step does. */
async function guardedWithSessions(k: FakeKube, world: World) {
  const streamer = new FakeStreamer(world);
  const pool = new SessionPool(streamer, { roundSlackMs: 50, openSlackMs: 50 });
  const observer = await StepObserver.start({ client: k, targets: TARGETS, intervalMs: 0, replacementTimeoutMs: 0 });
  const inner = new BatchProber(streamer, { sessions: pool, retry: { retries: 1, baseDelayMs: 0, maxDelayMs: 0 }, onFault: (f) => observer.recordExecFault(f), sleep: () => Promise.resolve() });
  return { observer, streamer, pool, prober: new GuardedProber(inner, observer, { executor: streamer, agentEndpoints: new Set(['shop/web', 'shop/db', 'shop/client']), sessions: pool }) };
}

/** Cluster readings taken (each lists the nodes once). */
const readings = (k: FakeKube): number => k.calls.filter((c) => c[0] === 'list' && c[1] === 'Node').length;

async function guarded(k: FakeKube, world: World) {
  const observer = await StepObserver.start({ client: k, targets: TARGETS, intervalMs: 0, replacementTimeoutMs: 0 });
  const inner = new BatchProber(world, { retry: { retries: 1, baseDelayMs: 0, maxDelayMs: 0 }, onFault: (f) => observer.recordExecFault(f), sleep: () => Promise.resolve() });
  return { observer, prober: new GuardedProber(inner, observer, { executor: world, agentEndpoints: new Set(['shop/web', 'shop/db', 'shop/client']) }) };
}

describe('observe/guard: faults become errors, never verdicts', () => {
  it('knows what a result depends on: source, destination (ids may hold colons), DNS for names', () => {
    expect(dependencies('a/b', tcp('external:pay', 443))).to.deep.equal(['a/b', 'external:pay']);
    expect(dependencies('a/b', dns)).to.deep.equal(['a/b', 'cluster-dns']);
    expect(dependencies('a/b', { ...tcp('x/y', 80), host: 'y.x.svc.cluster.local' })).to.deep.equal(['a/b', 'x/y', 'cluster-dns']);
  });

  it('healthy cluster: denies and allows are kept as verdicts', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober, observer } = await guarded(cluster(), w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/web', 80), tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('timeout');
    expect(res.get(cellKey('shop/client', 'shop/web:80/TCP'))?.class).to.equal('connected');
    expect(observer.distrusted).to.equal(0);
    // one liveness self-probe into the denied destination
    expect(w.calls).to.deep.equal(['client-1', 'db-1']);
  });

  it('through a Service port (ports[].servicePort) the liveness self-probe uses the pod\'s own container port', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'refused' };
    const livePorts: number[] = [];
    const exec = w.exec.bind(w);
    w.exec = (ns, pod, c, command) => {
      const targets = JSON.parse(command[command.indexOf('--targets') + 1]!) as AgentTarget[];
      for (const t of targets) if (t.id === 'live') livePorts.push(t.port!);
      return exec(ns, pod, c, command);
    };
    const { prober } = await guarded(cluster(), w);
    // The probe went to the Service's port 15432, which forwards to the container's 5432.
    const res = await prober.round([{ source: client, targets: [{ ...tcp('shop/db', 5432), host: '10.96.0.254', port: 15432 }] }]);
    expect(livePorts).to.deep.equal([5432]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('refused');
    expect(containerPortOf({ id: 'shop/db:5432/TCP', kind: 'tcp', port: 15432, timeoutMs: 1 })).to.equal(5432);
  });

  it('a deny to an external (a container, not a watched pod) stays a verdict', async () => {
    const w = new World();
    w.verdicts = { 'external:pay:443/TCP': 'timeout' };
    const { prober, observer } = await guarded(cluster(), w);
    const res = await prober.round([{ source: client, targets: [tcp('external:pay', 443)] }]);
    expect(res.get(cellKey('shop/client', 'external:pay:443/TCP'))?.class).to.equal('timeout');
    expect(observer.distrusted).to.equal(0);
  });

  it('a destination whose node is gone (exec into it fails): its denies are errors naming the node', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    w.unreachable.add('db-1');
    const { prober, observer } = await guarded(cluster(), w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/web', 80), tcp('shop/db', 5432)] }]);
    const r = res.get(cellKey('shop/client', 'shop/db:5432/TCP'))!;
    expect(r.class).to.equal('error');
    expect(r.detail).to.match(/^timeout; not taken as a verdict: pod shop\/db-1 on node w2 cannot be reached.*no route to host/);
    expect(res.get(cellKey('shop/client', 'shop/web:80/TCP'))?.class).to.equal('connected');
    expect(observer.distrusted).to.equal(1);
    expect(observer.events.map((e) => e.kind)).to.include('liveness-failure');
  });

  it('a killed agent in the destination (refused, the agent does not answer on loopback) is an error, not a deny', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'refused' };
    w.deadAgents.add('db-1');
    const { prober } = await guarded(cluster(), w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/refused; not taken as a verdict: agent in pod shop\/db-1 on node w2 does not answer on its own port 5432/);
  });

  it('a destination restarted during the round (seen by the watcher) is distrusted even when its agent is back', async () => {
    const k = cluster();
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'refused' };
    const { prober } = await guarded(k, w);
    // the restart lands while the round runs
    const inner = w.exec.bind(w);
    w.exec = (...a) => {
      k.put(pod('shop', 'db-1', 'db', 'w2', { restarts: 1 }));
      return inner(...a);
    };
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/not taken as a verdict: pod-restart shop\/db-1 \(endpoint shop\/db on node w2: 1 container restart/);
  });

  it('the DNS server scaled to zero: DNS cells are errors that say dns-failure and why; other cells keep their verdicts', async () => {
    const k = cluster();
    k.objects.delete('Pod/kube-system/coredns-1');
    const w = new World();
    w.verdicts = { 'dns:kubernetes.default': 'dns-failure', 'shop/db:5432/TCP': 'timeout' };
    const { prober } = await guarded(k, w);
    const res = await prober.round([{ source: client, targets: [dns, tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'dns:kubernetes.default'))).to.deep.equal({
      id: 'dns:kubernetes.default',
      class: 'error',
      detail: 'dns-failure (lookup kubernetes.default: i/o timeout); not taken as a verdict: cluster-dns has no pods',
      distrusted: true,
    });
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('timeout');
  });

  it('a probe to a pod address whose pod was replaced (CoreDNS scaled down and up) is an error, not a deny', async () => {
    const k = cluster();
    k.objects.delete('Pod/kube-system/coredns-1');
    k.put(pod('kube-system', 'coredns-2', '', 'cp', { labels: { 'k8s-app': 'kube-dns' }, ip: '10.244.0.77' }));
    const targets = [...TARGETS, { endpoint: 'kube-system/coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, agent: false, addresses: ['10.244.1.5'] }];
    const observer = await StepObserver.start({ client: k, targets, intervalMs: 0 });
    const w = new World();
    w.verdicts = { 'kube-system/coredns:53/UDP': 'timeout', 'kube-system/coredns:54/UDP': 'timeout' };
    const prober = new GuardedProber(new BatchProber(w), observer, { executor: w, agentEndpoints: new Set() });
    const stale: AgentTarget = { id: 'kube-system/coredns:53/UDP', kind: 'udp', host: '10.244.1.5', port: 53, timeoutMs: 1000 };
    const fresh: AgentTarget = { ...stale, id: 'kube-system/coredns:54/UDP', host: '10.244.0.77' };
    const res = await prober.round([{ source: client, targets: [stale, fresh] }]);
    expect(res.get(cellKey('shop/client', stale.id))?.detail).to.match(/not taken as a verdict: 10\.244\.1\.5 is no longer the address of a Ready pod of kube-system\/coredns/);
    expect(res.get(cellKey('shop/client', fresh.id))?.class).to.equal('timeout');
  });

  it('the API server not answering: non-connected results are errors (state unknown); connections stay allows', async () => {
    const k = cluster();
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober, observer } = await guarded(k, w);
    // The snapshot fails the way it does against a paused API server.
    k.list = () => Promise.reject(new Error('the API server (listing Pod) did not answer within 10.0s'));
    const res = await prober.round([{ source: client, targets: [tcp('shop/web', 80), tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/not taken as a verdict: cluster state unknown: the API server \(listing Pod\) did not answer/);
    expect(res.get(cellKey('shop/client', 'shop/web:80/TCP'))?.class).to.equal('connected');
    expect(observer.events.map((e) => e.kind)).to.include('api-unreachable');
  });

  it('a worker node stopped under a whole step: cells from and to its pods end as errors naming the node, the rest settle; never a wrong verdict', async () => {
    const k = cluster();
    const w = new World();
    // w2 is gone: db-1 on it cannot be exec'd into and probes to it time out; the node turns NotReady.
    w.unreachable.add('db-1');
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    k.put(node('w2', false));
    const dbSrc: SourcePod = { endpoint: 'shop/db', namespace: 'shop', pod: 'db-1', container: 'agent', node: 'w2' };
    const cells: PlannedCell[] = [
      { source: client, target: tcp('shop/web', 80), expected: 'allow' },
      { source: client, target: tcp('shop/db', 5432), expected: 'deny' },
      { source: web, target: tcp('shop/db', 5432), expected: 'allow' },
      { source: dbSrc, target: tcp('shop/web', 80), expected: 'allow' },
    ];
    const { prober, observer } = await guarded(k, w);
    let t = 0;
    const settled = await probeUntilSettled(cells, prober, { deadlineMs: 5000, now: () => t, sleep: (ms) => Promise.resolve(void (t += ms)) });
    const get = (s: SourcePod, d: AgentTarget) => settled.outcomes.get(cellKey(s.endpoint, d.id))!.result;
    expect(get(client, tcp('shop/web', 80)).class).to.equal('connected');
    for (const [s, d] of [[client, tcp('shop/db', 5432)], [web, tcp('shop/db', 5432)], [dbSrc, tcp('shop/web', 80)]] as const) {
      const r = get(s, d);
      expect(r.class, `${s.endpoint} -> ${d.id}`).to.equal('error');
      expect(r.detail).to.match(/node w2/);
    }
    for (const c of cells) {
      const v = verdictOf(settled.outcomes.get(cellKey(c.source.endpoint, c.target.id))!.result.class);
      if (v !== undefined) expect(v).to.equal(c.expected);
    }
    const u = unsettledSummary(cells, settled, observer)!;
    expect(u.cells).to.equal(3);
    expect(u.byClass).to.deep.equal({ error: 3 });
    expect(observer.execFailures['node-unreachable']).to.be.greaterThan(0);
    expect(observer.execRetries).to.be.greaterThan(0);
  });

  it('a round where every probe connected takes one cluster reading (for lagging CNI agents) and no self-probe', async () => {
    const k = cluster();
    const w = new World();
    const { prober } = await guarded(k, w);
    const before = readings(k);
    const res = await prober.round([{ source: client, targets: [tcp('shop/web', 80), tcp('shop/db', 5432)] }]);
    expect([...res.values()].map((r) => r.class)).to.deep.equal(['connected', 'connected']);
    expect(readings(k) - before).to.equal(1);
    expect(w.calls).to.deep.equal(['client-1']);
  });

  it('a round with a deny takes one cluster reading, not one before and one after', async () => {
    const k = cluster();
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober } = await guarded(k, w);
    const before = readings(k);
    await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(readings(k) - before).to.equal(1);
  });

  it('no background reading while a round runs (the reading after it never queues behind one); they resume after', async () => {
    const k = cluster();
    const observer = await StepObserver.start({ client: k, targets: TARGETS, intervalMs: 5, replacementTimeoutMs: 0 });
    try {
      const before = readings(k);
      await observer.duringRound(() => new Promise((r) => setTimeout(r, 60)));
      expect(readings(k) - before, 'none during a 60 ms round with a 5 ms poll').to.equal(0);
      await new Promise((r) => setTimeout(r, 40));
      expect(readings(k) - before).to.be.greaterThan(0);
    } finally {
      observer.stop();
    }
  });

  it('provisional rounds skip the self-probes (a later checked round makes any deny final); checked rounds do them', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober } = await guarded(cluster(), w);
    await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }], { provisional: true });
    expect(w.calls).to.deep.equal(['client-1']);
    await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(w.calls).to.deep.equal(['client-1', 'client-1', 'db-1']);
  });

  it('only denies are self-probed: an error or a DNS failure asks no destination agent', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'error', 'dns:kubernetes.default': 'dns-failure' };
    const { prober } = await guarded(cluster(), w);
    await prober.round([{ source: client, targets: [tcp('shop/db', 5432), dns] }]);
    expect(w.calls).to.deep.equal(['client-1']);
  });

  it('with sessions: a healthy deny stays a verdict and its self-probe goes over the destination session (no exec)', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober, streamer, pool } = await guardedWithSessions(cluster(), w);
    for (let i = 0; i < 2; i++) {
      const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
      expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('timeout');
    }
    // every call into a pod was a session round: client's probes and db's self-probes, twice each
    expect(w.calls).to.deep.equal(streamer.sessionRounds);
    expect(streamer.sessionRounds.sort()).to.deep.equal(['client-1', 'client-1', 'db-1', 'db-1']);
    expect(streamer.opens.sort()).to.deep.equal(['client-1', 'db-1']);
    expect(pool.stats.fallbacks).to.equal(0);
    pool.close();
  });

  it('with sessions: a killed destination agent (its session ends, the exec finds nothing on its port) is an error, not a deny', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'refused' };
    const { prober, streamer, pool } = await guardedWithSessions(cluster(), w);
    await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    // The agent is killed: its session dies with it; the one-shot self-probe finds its port closed.
    streamer.dieOnNext.add('db-1');
    w.deadAgents.add('db-1');
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/^refused; not taken as a verdict: agent in pod shop\/db-1 on node w2 does not answer on its own port 5432/);
    expect(pool.stats.fallbacks).to.equal(1);
    pool.close();
  });

  it('with sessions: a destination whose node is gone (no session, no exec) is an error naming the node', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    w.unreachable.add('db-1');
    const { prober, pool } = await guardedWithSessions(cluster(), w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/^timeout; not taken as a verdict: pod shop\/db-1 on node w2 cannot be reached.*no route to host/);
    pool.close();
  });
});

describe('observe/guard: a starved CNI agent or DNS server (probe failures) keeps lagging rules out of verdicts', () => {
  const unhealthy = (podName: string, ns: string, agoMs: number, uid = `ev-${podName}`) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${podName}.1`, namespace: ns, uid },
    reason: 'Unhealthy',
    type: 'Warning',
    count: 1,
    message: 'Liveness probe failed: Get "http://172.18.0.2:20244/healthz": context deadline exceeded',
    lastTimestamp: new Date(Date.now() - agoMs).toISOString(),
    involvedObject: { kind: 'Pod', name: podName, namespace: ns },
  });
  const withCni = (k: FakeKube) => {
    k.put(pod('kube-system', 'kube-router-w1', '', 'w1', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr1' }));
    k.put(pod('kube-system', 'kube-router-w2', '', 'w2', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr2' }));
    return k;
  };
  async function guardedCni(k: FakeKube, w: World) {
    const observer = await StepObserver.start({ client: k, targets: [...TARGETS, ...CNI_TARGETS], intervalMs: 0, replacementTimeoutMs: 0 });
    return { observer, prober: new GuardedProber(new BatchProber(w), observer, { executor: w, agentEndpoints: new Set(['shop/web', 'shop/db', 'shop/client']) }) };
  }

  it('the agent on the destination node failed its health probe 10 s ago: a deny AND an allow to pods there are errors; pods on healthy nodes keep verdicts', async () => {
    const k = withCni(cluster());
    k.put(unhealthy('kube-router-w2', 'kube-system', 10_000));
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout', 'shop/db:5433/TCP': 'connected', 'shop/web:81/TCP': 'timeout' };
    const { prober, observer } = await guardedCni(k, w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432), tcp('shop/db', 5433), tcp('shop/web', 81), tcp('shop/web', 80)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/^timeout; not taken as a verdict: probe-failed kube-system\/kube-router-w2 \(Liveness probe failed/);
    expect(res.get(cellKey('shop/client', 'shop/db:5433/TCP'))?.detail).to.match(/^connected; not taken as a verdict: probe-failed kube-system\/kube-router-w2/);
    expect(res.get(cellKey('shop/client', 'shop/web:81/TCP'))?.class).to.equal('timeout');
    expect(res.get(cellKey('shop/client', 'shop/web:80/TCP'))?.class).to.equal('connected');
    expect(observer.distrusted).to.equal(2);
  });

  it('probe failures while a pod was still starting (startup probe, or before it turned Ready) are how pods come up, not trouble', async () => {
    const k = withCni(cluster());
    k.put(pod('shop', 'db-1', 'db', 'w2', { readyAgoMs: 3_000 }));
    k.put({ ...unhealthy('db-1', 'shop', 8_000, 'ev-start'), message: 'Startup probe failed: dial tcp 10.244.2.5:5432: connect: connection refused' });
    k.put({ ...unhealthy('db-1', 'shop', 6_000, 'ev-ready'), message: 'Readiness probe failed: connection refused' });
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober, observer } = await guardedCni(k, w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('timeout');
    expect(observer.events.filter((e) => e.kind === 'probe-failed')).to.deep.equal([]);
    // The same readiness failure after it turned Ready is trouble.
    k.put({ ...unhealthy('db-1', 'shop', 1_000, 'ev-ready'), message: 'Readiness probe failed: connection refused' });
    const later = await (await guardedCni(k, w)).prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(later.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/not taken as a verdict: probe-failed shop\/db-1 \(Readiness probe failed/);
  });

  it('a probe failure long past (90 s) casts no doubt', async () => {
    const k = withCni(cluster());
    k.put(unhealthy('kube-router-w2', 'kube-system', 90_000));
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober } = await guardedCni(k, w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('timeout');
  });

  it('the agent on the source node is not Ready: even its connections are errors naming it', async () => {
    const k = withCni(cluster());
    k.put(pod('kube-system', 'kube-router-w1', '', 'w1', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr1', ready: false }));
    const w = new World();
    const { prober } = await guardedCni(k, w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/^connected; not taken as a verdict: CNI agent kube-system\/kube-router-w1 on node w1 is not Ready/);
  });

  it('a CNI whose agents we do not know (no agent pods): verdicts as before', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober, observer } = await guardedCni(cluster(), w);
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432), tcp('shop/web', 80)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('timeout');
    expect(res.get(cellKey('shop/client', 'shop/web:80/TCP'))?.class).to.equal('connected');
    expect(observer.distrusted).to.equal(0);
  });

  it('CoreDNS Ready again but failing its readiness probe (starved) 20 s ago: a dns-failure is not a verdict', async () => {
    const k = cluster();
    k.put(unhealthy('coredns-1', 'kube-system', 20_000));
    const w = new World();
    w.verdicts = { 'dns:kubernetes.default': 'dns-failure' };
    const { prober } = await guardedCni(k, w);
    const res = await prober.round([{ source: client, targets: [dns] }]);
    expect(res.get(cellKey('shop/client', 'dns:kubernetes.default'))?.detail).to.match(/^dns-failure \(lookup kubernetes.default: i\/o timeout\); not taken as a verdict: probe-failed kube-system\/coredns-1/);
  });

  it('a probe failure that lands while the step runs (count goes up) is an event stamped with its own time', async () => {
    const k = withCni(cluster());
    const ev = unhealthy('kube-router-w2', 'kube-system', 120_000);
    k.put(ev);
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout' };
    const { prober, observer } = await guardedCni(k, w);
    const inner = w.exec.bind(w);
    w.exec = (...a) => {
      k.put({ ...ev, count: 2, lastTimestamp: new Date().toISOString() });
      return inner(...a);
    };
    const res = await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('error');
    expect(observer.events.filter((e) => e.kind === 'probe-failed').map((e) => e.subject)).to.deep.equal(['kube-system/kube-router-w2']);
  });
});

describe('observe/guard: cluster services whose pods are new have not taken effect yet', () => {
  async function guardedAll(k: FakeKube, w: World) {
    const observer = await StepObserver.start({ client: k, targets: [...TARGETS, ...CNI_TARGETS], intervalMs: 0, replacementTimeoutMs: 0 });
    return new GuardedProber(new BatchProber(w), observer, { executor: w, agentEndpoints: new Set(['shop/web', 'shop/db', 'shop/client']) });
  }

  it('CoreDNS scaled back up 4 s ago (Ready, no event in this step): a dns-failure is not a verdict; 20 s later it is', async () => {
    const w = new World();
    w.verdicts = { 'dns:kubernetes.default': 'dns-failure' };
    const k = cluster();
    k.put(pod('kube-system', 'coredns-1', '', 'cp', { labels: { 'k8s-app': 'kube-dns' }, readyAgoMs: 4_000 }));
    const res = await (await guardedAll(k, w)).round([{ source: client, targets: [dns] }]);
    expect(res.get(cellKey('shop/client', 'dns:kubernetes.default'))?.detail).to.match(/not taken as a verdict: kube-system\/coredns-1 of cluster-dns turned Ready only [45] s before the round/);
    k.put(pod('kube-system', 'coredns-1', '', 'cp', { labels: { 'k8s-app': 'kube-dns' }, readyAgoMs: 20_000 }));
    const later = await (await guardedAll(k, w)).round([{ source: client, targets: [dns] }]);
    expect(later.get(cellKey('shop/client', 'dns:kubernetes.default'))?.class).to.equal('dns-failure');
  });

  it('a new cluster: CoreDNS Ready 4 s ago but before the run deployed its pods is no lag; a dns-failure stays a verdict', async () => {
    const w = new World();
    w.verdicts = { 'dns:kubernetes.default': 'dns-failure' };
    const k = cluster();
    k.put(pod('kube-system', 'coredns-1', '', 'cp', { labels: { 'k8s-app': 'kube-dns' }, readyAgoMs: 4_000 }));
    const targets = [...TARGETS, ...CNI_TARGETS].map((t) => (t.clusterService ? { ...t, freshAfter: Date.now() - 2_000 } : t));
    const observer = await StepObserver.start({ client: k, targets, intervalMs: 0, replacementTimeoutMs: 0 });
    const res = await new GuardedProber(new BatchProber(w), observer, { executor: w, agentEndpoints: new Set() }).round([{ source: client, targets: [dns] }]);
    expect(res.get(cellKey('shop/client', 'dns:kubernetes.default'))?.class).to.equal('dns-failure');
  });

  it('the CNI agent on the destination node restarted and turned Ready 5 s ago: a deny there is an error; a deny on the other node stays; a first Ready is no lag', async () => {
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'timeout', 'shop/web:81/TCP': 'timeout' };
    const k = cluster();
    k.put(pod('kube-system', 'kube-router-w1', '', 'w1', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr1', readyAgoMs: 600_000 }));
    // A new cluster: the agent's first Ready 5 s ago is no lag (it came up before the run's pods and policies).
    k.put(pod('kube-system', 'kube-router-w2', '', 'w2', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr2', readyAgoMs: 5_000 }));
    const first = await (await guardedAll(k, w)).round([{ source: client, targets: [tcp('shop/db', 5432)] }]);
    expect(first.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.class).to.equal('timeout');
    k.put(pod('kube-system', 'kube-router-w2', '', 'w2', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr2', readyAgoMs: 5_000, restarts: 1 }));
    const res = await (await guardedAll(k, w)).round([{ source: client, targets: [tcp('shop/db', 5432), tcp('shop/web', 81)] }]);
    expect(res.get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail).to.match(/not taken as a verdict: CNI agent: kube-system\/kube-router-w2 of cni-agent turned Ready only \d s before the round/);
    expect(res.get(cellKey('shop/client', 'shop/web:81/TCP'))?.class).to.equal('timeout');
  });

  it('names every fault seen: the source restarting does not hide the destination agent that stopped answering', async () => {
    const k = cluster();
    const w = new World();
    w.verdicts = { 'shop/db:5432/TCP': 'refused' };
    w.deadAgents.add('db-1');
    const { prober } = await guarded(k, w);
    const inner = w.exec.bind(w);
    w.exec = (...a) => {
      k.put(pod('shop', 'client-1', 'client', 'w1', { restarts: 1 }));
      return inner(...a);
    };
    const detail = (await prober.round([{ source: client, targets: [tcp('shop/db', 5432)] }])).get(cellKey('shop/client', 'shop/db:5432/TCP'))?.detail;
    expect(detail).to.match(/not taken as a verdict: pod-restart shop\/client-1 .*; and agent in pod shop\/db-1 on node w2 does not answer/);
  });
});

describe('observe/guard: a node whose kubelet stops answering makes everything on it suspect at once', () => {
  it('CoreDNS on a stopped worker (not NotReady yet): a DNS failure from a healthy node is an error naming the node; a deny between healthy pods stays', async () => {
    const k = cluster();
    k.put(pod('kube-system', 'coredns-1', '', 'w2', { labels: { 'k8s-app': 'kube-dns' } }));
    const w = new World();
    w.unreachable.add('db-1');
    w.verdicts = { 'dns:kubernetes.default': 'dns-failure', 'shop/web:81/TCP': 'timeout' };
    const { prober } = await guarded(k, w);
    const db: SourcePod = { endpoint: 'shop/db', namespace: 'shop', pod: 'db-1', container: 'agent', node: 'w2' };
    const res = await prober.round([
      { source: client, targets: [dns, tcp('shop/web', 81)] },
      { source: db, targets: [tcp('shop/web', 80)] },
    ]);
    expect(res.get(cellKey('shop/client', 'dns:kubernetes.default'))?.detail).to.match(/^dns-failure \(lookup kubernetes.default: i\/o timeout\); not taken as a verdict: node-suspect w2 \(an exec into shop\/db-1 there failed \(node-unreachable\)\)/);
    expect(res.get(cellKey('shop/client', 'shop/web:81/TCP'))?.class).to.equal('timeout');
    expect(res.get(cellKey('shop/db', 'shop/web:80/TCP'))?.class).to.equal('error');
  });
});
