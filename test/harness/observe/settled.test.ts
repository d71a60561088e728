import { expect } from 'chai';
import { NEW_POD_SHADOW_MS } from '../../../harness/observe/snapshot.js';
import { cniAgentsProven, waitForClusterServices } from '../../../harness/observe/settled.js';
import { cluster, pod } from './fixtures.js';

const EPOCH = Date.parse('2026-12-07T10:00:00Z');
const LONG_AGO = EPOCH - 600_000;

function settledCluster() {
  const k = cluster();
  k.put(pod('kube-system', 'coredns-1', '', 'cp', { labels: { 'k8s-app': 'kube-dns' }, uid: 'dns1', readyAt: LONG_AGO, startedAt: LONG_AGO }));
  k.put(pod('kube-system', 'coredns-2', '', 'w1', { labels: { 'k8s-app': 'kube-dns' }, uid: 'dns2', readyAt: LONG_AGO, startedAt: LONG_AGO }));
  for (const n of ['cp', 'w1', 'w2']) {
    k.put(pod('kube-system', `kube-router-${n}`, '', n, { labels: { 'k8s-app': 'kube-router' }, uid: `kr-${n}`, readyAt: LONG_AGO, startedAt: LONG_AGO }));
    k.put(pod('kube-system', `kube-proxy-${n}`, '', n, { labels: { 'k8s-app': 'kube-proxy' }, uid: `kp-${n}`, readyAt: LONG_AGO, startedAt: LONG_AGO }));
  }
  return k;
}

function fakeClock() {
  let t = EPOCH;
  return { now: () => t, sleep: (ms: number) => Promise.resolve(void (t += ms)) };
}

describe('observe/settled: the settle phase waits for stable cluster services', () => {
  it('a settled cluster: one reading, no wait', async () => {
    const clock = fakeClock();
    const r = await waitForClusterServices({ client: settledCluster(), ...clock });
    expect(r).to.deep.include({ settled: true, waitedMs: 0, reasons: [] });
    expect(r.found).to.deep.equal({ dns: 2, cniAgents: 3, kubeProxy: 3 });
  });

  it('waits for a CNI agent that restarted a moment ago (Ready never flipped) until it has run for the trust window', async () => {
    const clock = fakeClock();
    const k = settledCluster();
    // kube-router on w2 restarted 2 s ago; the pod's Ready condition still dates from long ago.
    k.put(pod('kube-system', 'kube-router-w2', '', 'w2', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr-w2', restarts: 1, readyAt: LONG_AGO, startedAt: EPOCH - 2_000 }));
    const waits: string[][] = [];
    const r = await waitForClusterServices({ client: k, ...clock, intervalMs: 1000, onWait: (why) => waits.push(why) });
    expect(r.settled).to.equal(true);
    expect(r.waitedMs).to.be.within(NEW_POD_SHADOW_MS - 2_000, NEW_POD_SHADOW_MS - 1_000);
    expect(waits[0]).to.deep.equal(['kube-system/kube-router-w2: restarted (1x), running only 2 s (trusted after 10 s)']);
  });

  it('waits for every CoreDNS replica: one not Ready, then Ready for the trust window', async () => {
    const clock = fakeClock();
    const k = settledCluster();
    k.put(pod('kube-system', 'coredns-2', '', 'w1', { labels: { 'k8s-app': 'kube-dns' }, uid: 'dns2', ready: false }));
    const waits: string[][] = [];
    const r = await waitForClusterServices({
      client: k,
      ...clock,
      intervalMs: 1000,
      onWait: (why) => {
        waits.push(why);
        // It turns Ready 3 s in.
        if (clock.now() >= EPOCH + 3_000) k.put(pod('kube-system', 'coredns-2', '', 'w1', { labels: { 'k8s-app': 'kube-dns' }, uid: 'dns2', readyAt: EPOCH + 3_000, startedAt: EPOCH }));
      },
    });
    expect(waits[0]).to.deep.equal(['kube-system/coredns-2: not Ready (phase Running)']);
    expect(r.settled).to.equal(true);
    expect(r.waitedMs).to.be.within(3_000 + NEW_POD_SHADOW_MS, 3_000 + NEW_POD_SHADOW_MS + 1_000);
  });

  it('young DNS pods shown served by queries are trusted at once; the guard is told when (dnsServedAt)', async () => {
    const clock = fakeClock();
    const k = settledCluster();
    // Both CoreDNS replicas turned Ready 1 s ago (a cluster just created).
    for (const [name, node, uid] of [['coredns-1', 'cp', 'dns1'], ['coredns-2', 'w1', 'dns2']] as const) {
      k.put(pod('kube-system', name, '10.244.0.' + uid.slice(-1), node, { labels: { 'k8s-app': 'kube-dns' }, uid, readyAt: EPOCH - 1_000, startedAt: EPOCH - 2_000 }));
    }
    const asked: string[][] = [];
    // No source pod yet for the first two readings, then every query answered.
    const r = await waitForClusterServices({
      client: k,
      ...clock,
      intervalMs: 1000,
      verifyDns: (pods) => (asked.push(pods.map((p) => p.name).sort()), Promise.resolve(asked.length < 3 ? 'no source pod to query from yet' : undefined)),
    });
    expect(asked[0]).to.deep.equal(['coredns-1', 'coredns-2']);
    expect(r.settled).to.equal(true);
    expect(r.waitedMs).to.equal(2_000);
    expect(r.dnsServedAt).to.equal(EPOCH + 2_000);
  });

  it('a failed DNS check is no evidence: the trust window applies, and a pod that restarts after its check is young again', async () => {
    const clock = fakeClock();
    const k = settledCluster();
    k.put(pod('kube-system', 'coredns-1', '10.244.0.1', 'cp', { labels: { 'k8s-app': 'kube-dns' }, uid: 'dns1', readyAt: EPOCH - 1_000, startedAt: EPOCH - 2_000 }));
    const failing = await waitForClusterServices({ client: k, ...clock, intervalMs: 1000, verifyDns: () => Promise.resolve('DNS pod 10.244.0.1 gave dns-failure (timeout)') });
    expect(failing.settled).to.equal(true);
    expect(failing.waitedMs).to.be.within(NEW_POD_SHADOW_MS - 1_000, NEW_POD_SHADOW_MS);
    expect(failing.dnsServedAt).to.equal(undefined);
    expect(failing.dnsUnserved).to.match(/timeout/);

    // Verified at once, but coredns-2 restarts right after: it is young again (its own window, not evidence from before).
    const c2 = fakeClock();
    const k2 = settledCluster();
    k2.put(pod('kube-system', 'coredns-2', '10.244.1.2', 'w1', { labels: { 'k8s-app': 'kube-dns' }, uid: 'dns2', readyAt: EPOCH - 1_000, startedAt: EPOCH - 1_000 }));
    // A CNI agent that restarted 2 s ago keeps the phase waiting, so later readings see the restart.
    k2.put(pod('kube-system', 'kube-router-w2', '', 'w2', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr-w2', restarts: 1, readyAt: LONG_AGO, startedAt: EPOCH - 2_000 }));
    let checks = 0;
    const r = await waitForClusterServices({
      client: k2,
      ...c2,
      intervalMs: 1000,
      verifyDns: () => {
        checks++;
        if (checks === 1) k2.put(pod('kube-system', 'coredns-2', '10.244.1.2', 'w1', { labels: { 'k8s-app': 'kube-dns' }, uid: 'dns2', restarts: 1, readyAt: EPOCH - 1_000, startedAt: EPOCH + 500 }));
        return Promise.resolve(checks === 1 ? undefined : 'no answer');
      },
    });
    expect(r.settled).to.equal(true);
    expect(checks).to.be.greaterThan(1);
    expect(r.waitedMs).to.be.within(500 + NEW_POD_SHADOW_MS, 1_500 + NEW_POD_SHADOW_MS);
  });

  it('young CNI agents the enforcement canary passed through (or with no pod of the run on their node) are trusted; a restarted one keeps its window', async () => {
    const clock = fakeClock();
    const k = settledCluster();
    // A cluster just created: every kube-router turned Ready 2 s ago, for the first time.
    for (const n of ['cp', 'w1', 'w2']) k.put(pod('kube-system', `kube-router-${n}`, '', n, { labels: { 'k8s-app': 'kube-router' }, uid: `kr-${n}`, readyAt: EPOCH - 2_000, startedAt: EPOCH - 3_000 }));
    let evidence: Parameters<typeof cniAgentsProven>[1] = { canaryNodes: [] };
    const r = await waitForClusterServices({
      client: k,
      ...clock,
      intervalMs: 1000,
      verifyCniAgents: (agents) => cniAgentsProven(agents, evidence),
      onWait: () => {
        // The canary (w1 -> w2, started 1 s ago) passes 3 s in; the suite's pods run on w1 and w2 only.
        if (clock.now() >= EPOCH + 3_000) evidence = { canaryNodes: ['w1', 'w2'], canaryStartedAt: EPOCH - 1_000, runNodes: new Set(['w1', 'w2']) };
      },
    });
    expect(r.settled).to.equal(true);
    // The first reading after the canary passed (not the 8 s left of the agents' window).
    expect(r.waitedMs).to.equal(4_000);

    // The same with the agent on w2 restarted: its window applies, whatever the canary saw.
    const c2 = fakeClock();
    const k2 = settledCluster();
    for (const n of ['cp', 'w1']) k2.put(pod('kube-system', `kube-router-${n}`, '', n, { labels: { 'k8s-app': 'kube-router' }, uid: `kr-${n}`, readyAt: EPOCH - 2_000, startedAt: EPOCH - 3_000 }));
    k2.put(pod('kube-system', 'kube-router-w2', '', 'w2', { labels: { 'k8s-app': 'kube-router' }, uid: 'kr-w2', restarts: 1, readyAt: EPOCH - 2_000, startedAt: EPOCH - 2_000 }));
    const r2 = await waitForClusterServices({ client: k2, ...c2, intervalMs: 1000, verifyCniAgents: (agents) => cniAgentsProven(agents, { canaryNodes: ['w1', 'w2'], canaryStartedAt: EPOCH - 1_000, runNodes: new Set(['w1', 'w2']) }) });
    expect(r2.waitedMs).to.be.within(NEW_POD_SHADOW_MS - 2_000, NEW_POD_SHADOW_MS - 1_000);
  });

  it('cniAgentsProven: the canary must have started after the agent turned Ready, on its node; a node with no pod of the run needs none', () => {
    const agent = (node: string, readyAt: number) => ({ uid: node, name: `kube-router-${node}`, namespace: 'kube-system', endpoints: ['cni-agent'], node, ip: '', ready: true, readySince: readyAt, terminating: false, restarts: 0, phase: 'Running' });
    expect(cniAgentsProven([agent('w1', 100)], { canaryNodes: ['w1', 'w2'], canaryStartedAt: 200 })).to.equal(undefined);
    expect(cniAgentsProven([agent('w1', 300)], { canaryNodes: ['w1', 'w2'], canaryStartedAt: 200 })).to.match(/kube-router-w1: no enforcement canary through node w1/);
    expect(cniAgentsProven([agent('cp', 100)], { canaryNodes: ['w1', 'w2'], canaryStartedAt: 200 })).to.be.a('string');
    expect(cniAgentsProven([agent('cp', 100)], { canaryNodes: ['w1', 'w2'], canaryStartedAt: 200, runNodes: new Set(['w1', 'w2']) })).to.equal(undefined);
    expect(cniAgentsProven([agent('w1', 100)], { canaryNodes: [] })).to.be.a('string');
  });

  it('a node without its CNI agent, and a CNI agent failing its health probe, keep it waiting; past the timeout it gives up with the reasons', async () => {
    const clock = fakeClock();
    const k = settledCluster();
    k.objects.delete('Pod/kube-system/kube-router-w1');
    k.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'kube-system', uid: 'e1' },
      involvedObject: { kind: 'Pod', name: 'kube-router-w2', namespace: 'kube-system' },
      reason: 'Unhealthy',
      message: 'Liveness probe failed: context deadline exceeded',
      count: 1,
      lastTimestamp: new Date(EPOCH - 5_000).toISOString(),
    });
    const r = await waitForClusterServices({ client: k, ...clock, intervalMs: 1000, timeoutMs: 4_000 });
    expect(r.settled).to.equal(false);
    expect(r.waitedMs).to.equal(4_000);
    expect(r.reasons).to.deep.equal(['no CNI agent on node w1 yet', 'kube-system/kube-router-w2: failed a health probe 9 s ago (Liveness probe failed: context deadline exceeded)']);
  });

  it('a CNI whose agents it does not know (none found): only CoreDNS and kube-proxy are waited for', async () => {
    const k = settledCluster();
    for (const n of ['cp', 'w1', 'w2']) k.objects.delete(`Pod/kube-system/kube-router-${n}`);
    const r = await waitForClusterServices({ client: k, ...fakeClock() });
    expect(r.settled).to.equal(true);
    expect(r.found.cniAgents).to.equal(0);
  });
});
