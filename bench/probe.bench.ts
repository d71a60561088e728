// `npm run bench:probe`: the batched prober against a baseline of one exec per probe with 3 workers
// (what upstream's Netpol e2e does), on a real kind cluster, same probe timeout, in one run.
//
// Model: N agent pods spread over two workers, each serving TCP 8080 and 8081; every pod probes every
// pod on both ports by pod IP (N x N x 2 cells). Port 8081 is the "denied" half and must TIME OUT, as it
// does under a dropping CNI such as Calico. kube-router (the enforcer built on air-gapped hosts) REJECTS
// denied traffic, which would turn timeouts into instant refusals and flatter both probers, so the bench
// drops TCP/8081 with an iptables rule in each kind node's FORWARD chain (containers this bench owns).
//
// Per size it measures: the batched prober with one-shot execs (one exec per source per round); the same
// over probe sessions (one long-lived exec per pod, harness/probe/session.ts), its first round (which
// opens the sessions) and its later rounds; and the guarded prober (harness/observe/guard.ts, what every
// run step uses) over sessions, as a step's settle loop drives it: a provisional first round (a cluster
// reading after it) and a checked confirmation round (the reading and liveness self-probes of the
// destinations that answered with a deny), alternating with bare rounds. Target: guarded <= 1.1x bare
// over a step's two rounds at 100 x 100 x 2. Every round is
// checked: port 8080 must connect and 8081 must time out; any other class is counted as wrong.
//
// Usage: npm run bench:probe [-- --sizes 9,30,100 --timeout 2000 --keep --baseline-max 9 --rounds 3 --raise-arp-cap]
// At 100 pods the host's ARP table cap (1024 by default) is too small for two kind nodes: without
// --raise-arp-cap (root; restored at the end) same-node open cells time out and are counted WRONG.
// Targets: one batched round within 2 x the probe timeout at 30 x 30 x 2 and at 100 x 100 x 2 (20,000
// cells), and >= 10x faster than the baseline (1 exec per probe, 3 workers; slow: capped by --baseline-max).
import { execa } from 'execa';
import { arpTableWarning, hostArpCap } from '../harness/cluster/checks/host-limits.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultAgentImage } from '../harness/apply/workloads.js';
import { installCni } from '../harness/cluster/cni/index.js';
import { readImagesEnv } from '../harness/cluster/paths.js';
import { createProgress } from '../harness/cluster/progress.js';
import { createCluster, workerNodeNames, type Cluster } from '../harness/cluster/provider.js';
import type { KObject, PodLike } from '../harness/cluster/kube-types.js';
import { isPodReady } from '../harness/cluster/kube-types.js';
import { GuardedProber } from '../harness/observe/guard.js';
import { StepObserver } from '../harness/observe/observer.js';
import type { WatchTarget } from '../harness/observe/snapshot.js';
import { ApiServerExecutor } from '../harness/probe/exec.js';
import { AGENT_CONTAINER, BatchProber, PerProbeExecProber, type ProbeRequest, type Prober, type RoundOptions } from '../harness/probe/prober.js';
import { SessionPool } from '../harness/probe/session.js';
import { ClusterSpec } from '../harness/suite/schema.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '9,30,100' },
    timeout: { type: 'string', default: '2000' },
    keep: { type: 'boolean', default: false },
    'cluster-name': { type: 'string', default: 'nph-bench' },
    // The baseline waits out every dropped probe one by one: 81 s at 9 sources, 10 min at 30.
    'baseline-max': { type: 'string', default: '9' },
    concurrency: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    // Raise the host's ARP table cap for the run and restore it after (root; see host-limits.ts).
    'raise-arp-cap': { type: 'boolean', default: false },
    // Spacing of probe starts in a session round, per probe (SPREAD_PER_PROBE_MS when not given).
    'spread-per-probe': { type: 'string' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const TIMEOUT = Number(values.timeout);
const NS = 'nph-bench';
const NAME = values['cluster-name'];
const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const progress = createProgress({ stream: process.stderr, live: false });

async function nodeDrop(cluster: Cluster, add: boolean): Promise<void> {
  const nodes = await cluster.nodes();
  for (const n of nodes) {
    // mangle/PREROUTING runs before the CNI's filter chains (kube-router keeps its FORWARD jump first
    // and accepts there); bridged same-node traffic passes it too (br_netfilter).
    const rule = ['PREROUTING', '-p', 'tcp', '--dport', '8081', '-m', 'comment', '--comment', 'nph-bench-drop', '-j', 'DROP'];
    // Delete first so re-runs never stack rules.
    while ((await execa(DOCKER, ['exec', n.name, 'iptables', '-t', 'mangle', '-D', ...rule], { reject: false })).exitCode === 0);
    if (add) await execa(DOCKER, ['exec', n.name, 'iptables', '-t', 'mangle', '-I', ...rule]);
  }
}

function pod(i: number, node: string, image: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: NS, labels: { app: 'nph-bench', 'nph-bench-pod': `p${i}` } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      containers: [{ name: AGENT_CONTAINER, image, imagePullPolicy: 'IfNotPresent', args: ['serve', '--tcp', '8080,8081'] }],
    },
  };
}

async function deploy(cluster: Cluster, n: number): Promise<{ name: string; ip: string }[]> {
  const image = defaultAgentImage();
  const workers = workerNodeNames(await cluster.nodes());
  await cluster.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (let i = 0; i < n; i++) await cluster.client.apply(pod(i, workers[i % workers.length]!, image));
  const end = Date.now() + 180_000;
  for (;;) {
    const pods = (await cluster.client.list<PodLike>('v1', 'Pod', { namespace: NS })).filter((p) => isPodReady(p) && p.status?.podIP);
    if (pods.length >= n) {
      return pods
        .map((p) => ({ name: p.metadata.name ?? '', ip: p.status!.podIP! }))
        .sort((a, b) => Number(a.name.slice(1)) - Number(b.name.slice(1)));
    }
    if (Date.now() > end) throw new Error(`only ${pods.length}/${n} bench pods ready after 180 s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function requests(pods: { name: string; ip: string }[], n: number): ProbeRequest[] {
  const sel = pods.slice(0, n);
  return sel.map((src) => ({
    source: { endpoint: `${NS}/${src.name}`, namespace: NS, pod: src.name, container: AGENT_CONTAINER },
    targets: sel.flatMap((dst) =>
      // Target ids name the destination endpoint, as a run's do (the guard reads them).
      [8080, 8081].map((port) => ({ id: `${NS}/${dst.name}:${port}/TCP`, kind: 'tcp' as const, host: dst.ip, port, timeoutMs: TIMEOUT })),
    ),
  }));
}

/** The host's cumulative CPU time (ms) from /proc/stat's first line: user+nice, system, softirq. */
function hostCpu(): { user: number; system: number; softirq: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const tick = 10; // USER_HZ = 100 on Linux
    return { user: (f[0]! + f[1]!) * tick, system: f[2]! * tick, softirq: f[6]! * tick };
  } catch {
    return { user: 0, system: 0, softirq: 0 };
  }
}
const cpus = (): number => availableParallelism();

interface Measured {
  wallMs: number;
  /** CPU time of this (the harness's) process during the round: user + system. */
  cpuMs: number;
  /** The host's busy CPU time during the round (kind nodes share the host kernel): user, system, softirq. */
  host: { userMs: number; systemMs: number; softirqMs: number };
  cells: number;
  classes: Record<string, number>;
  /** Cells whose class is not the one the bench set up (8080 connected, 8081 timeout). */
  wrong: number;
}

async function measure(prober: Prober, reqs: ProbeRequest[], opts: RoundOptions = {}): Promise<Measured> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const host0 = hostCpu();
  const res = await prober.round(reqs, opts);
  const host1 = hostCpu();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const classes: Record<string, number> = {};
  let wrong = 0;
  let sameNode = 0;
  const samples = new Map<string, string>();
  for (const [key, r] of res) {
    classes[r.class] = (classes[r.class] ?? 0) + 1;
    // A pod's probes to its own address never leave it (the node's drop rule cannot see them).
    const self = key.slice(0, key.indexOf('|')) === r.id.slice(0, r.id.lastIndexOf(':'));
    if (r.class !== (r.id.endsWith(':8080/TCP') || self ? 'connected' : 'timeout')) {
      wrong++;
      // Pods alternate between the two workers: p<i> and p<j> share a node when i and j have the same parity.
      const [a, b] = [key.slice(0, key.indexOf('|')), r.id].map((x) => Number(/\/p(\d+)/.exec(x)?.[1] ?? 0));
      if (a! % 2 === b! % 2) sameNode++;
      const what = `${r.class}: ${(r.detail ?? '').replace(/\d+(\.\d+)*/g, 'N').slice(0, 160)}`;
      if (!samples.has(what) && samples.size < 4) samples.set(what, `${key} ${r.id} -> ${r.class} ${r.detail ?? ''}`.slice(0, 300));
    }
  }
  for (const s of samples.values()) console.log(`      e.g. ${s}`);
  if (wrong) console.log(`      wrong cells between pods on the same node: ${sameNode} of ${wrong}`);
  const host = { userMs: host1.user - host0.user, systemMs: host1.system - host0.system, softirqMs: host1.softirq - host0.softirq };
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, host, cells: res.size, classes, wrong };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (ms: number) => `${(ms / TIMEOUT).toFixed(2)}x`;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;
const describe = (m: Measured) =>
  `${fmt(m.wallMs)} (${ratio(m.wallMs)} the probe timeout; CPU: harness ${fmt(m.cpuMs)}, host user ${fmt(m.host.userMs)} + system ${fmt(m.host.systemMs)} + softirq ${fmt(m.host.softirqMs)} of ${fmt(m.wallMs * cpus())}), classes ${JSON.stringify(m.classes)}${m.wrong ? `, WRONG ${m.wrong}` : ''}`;

/** Rounds after the first: the median, the slowest, and wrong cells over all of them. */
async function warm(prober: Prober, reqs: ProbeRequest[], rounds: number): Promise<{ median: Measured; max: Measured; wrong: number }> {
  const all: Measured[] = [];
  for (let i = 0; i < rounds; i++) all.push(await measure(prober, reqs));
  all.sort((a, b) => a.wallMs - b.wallMs);
  return { median: all[Math.floor(all.length / 2)]!, max: all[all.length - 1]!, wrong: all.reduce((n, m) => n + m.wrong, 0) };
}
const wrongIn = (w: { wrong: number }, rounds: number): string => (w.wrong ? `, WRONG ${w.wrong} over the ${rounds} rounds` : '');

async function measureSize(cluster: Cluster, executor: ApiServerExecutor, pods: { name: string; ip: string }[], n: number, summary: string[]): Promise<void> {
  const reqs = requests(pods, n);
  const cells = n * n * 2;
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const oneShot = await measure(new BatchProber(executor, { concurrency }), reqs);
  console.log(`  ${n}x${n}x2 (${cells} cells) one-shot execs: ${describe(oneShot)}, ${n} execs`);

  const pool = new SessionPool(executor, { openConcurrency: concurrency });
  const spread = values['spread-per-probe'];
  const sessions = new BatchProber(executor, { concurrency, sessions: pool, ...(spread !== undefined ? { spreadPerProbeMs: Number(spread) } : {}) });
  // As a run does: the sessions open while the first step applies its changes (SessionPool.warm).
  const w0 = performance.now();
  await pool.warm(reqs.map((r) => r.source));
  const opening = performance.now() - w0;
  const cold = await measure(sessions, reqs);
  const hot = await warm(sessions, reqs, rounds);
  console.log(`  ${n}x${n}x2 sessions: opening ${pool.stats.opened} ahead took ${fmt(opening)}; first round ${describe(cold)}; later rounds median ${describe(hot.median)}, slowest ${fmt(hot.max.wallMs)}${wrongIn(hot, rounds)}${pool.stats.fallbacks ? `, ${pool.stats.fallbacks} fallbacks to one-shot execs` : ''}`);

  // The guard as a run step uses it: the observer polls every 2 s; self-probes go over the sessions.
  // A step's settle loop sends a provisional first round (the guard reads the cluster after it, no
  // self-probes: probe/settle.ts) and a checked confirmation round (the reading and the self-probes
  // of every destination that answered with a deny). Bare and guarded rounds alternate, so load
  // drifting on a shared machine falls on both alike.
  const targets: WatchTarget[] = pods.slice(0, n).map((p) => ({ endpoint: `${NS}/${p.name}`, namespace: NS, labels: { 'nph-bench-pod': p.name }, agent: true, addresses: [p.ip] }));
  const observer = await StepObserver.start({ client: cluster.client, targets });
  const guardOpts = { executor, agentEndpoints: new Set(targets.map((t) => t.endpoint)) };
  const guard = new GuardedProber(sessions, observer, { ...guardOpts, sessions: pool });
  const bare: Measured[] = [];
  const first: Measured[] = [];
  const confirm: Measured[] = [];
  let guardedExec: Measured;
  try {
    for (let i = 0; i < rounds; i++) {
      bare.push(await measure(sessions, reqs));
      first.push(await measure(guard, reqs, { provisional: true }));
      confirm.push(await measure(guard, reqs));
    }
    // Self-probes by one-shot exec (what the guard did for every round before sessions).
    guardedExec = await measure(new GuardedProber(sessions, observer, guardOpts), reqs);
  } finally {
    observer.stop();
    pool.close();
  }
  const med = (xs: Measured[]): Measured => [...xs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(xs.length / 2)]!;
  const wrongOf = (xs: Measured[]): number => xs.reduce((k, m) => k + m.wrong, 0);
  const guarded = { median: med(confirm), max: [...confirm].sort((a, b) => b.wallMs - a.wallMs)[0]!, wrong: wrongOf(first) + wrongOf(confirm) };
  const bareMs = med(bare).wallMs;
  const pair = (med(first).wallMs + med(confirm).wallMs) / (2 * bareMs);
  console.log(`  ${n}x${n}x2 guarded (sessions), alternating with bare rounds: bare median ${fmt(bareMs)}; first round (provisional: reading only) median ${describe(med(first))}; confirmation (checked: reading + self-probes) median ${describe(med(confirm))}${wrongIn(guarded, 2 * rounds)}, distrusted ${observer.distrusted}; with self-probes by exec: ${describe(guardedExec)}`);
  console.log(`  ${n}x${n}x2 guarded / bare: first round ${(med(first).wallMs / bareMs).toFixed(2)}x, confirmation ${(med(confirm).wallMs / bareMs).toFixed(2)}x, a step's two rounds ${pair.toFixed(2)}x (target <= 1.10x)`);
  const rss = process.memoryUsage();
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(`  memory: rss ${mb(rss.rss)}, heap ${mb(rss.heapUsed)}, peak rss so far ${mb(peak)}`);
  let line = `${n}x${n}x2: one-shot ${fmt(oneShot.wallMs)} (${ratio(oneShot.wallMs)}); sessions opened ahead in ${fmt(opening)}, first round ${fmt(cold.wallMs)} (${ratio(cold.wallMs)}), later ${fmt(hot.median.wallMs)} (${ratio(hot.median.wallMs)}); guarded: first ${fmt(med(first).wallMs)}, confirmation ${fmt(med(confirm).wallMs)}, ${pair.toFixed(2)}x bare over a step's two rounds; peak rss ${mb(peak)}`;
  const wrong = oneShot.wrong + cold.wrong + hot.wrong + guarded.wrong + guardedExec.wrong;
  if (wrong) line += `; WRONG cells ${wrong}`;
  if (n <= Number(values['baseline-max'])) {
    const base = await measure(new PerProbeExecProber(executor, 3), reqs);
    console.log(`  ${n}x${n}x2 baseline (1 exec per probe, 3 workers): ${describe(base)}, ${cells} execs`);
    line += `; baseline ${fmt(base.wallMs)}, speed-up ${(base.wallMs / hot.median.wallMs).toFixed(1)}x (sessions) / ${(base.wallMs / oneShot.wallMs).toFixed(1)}x (one-shot)`;
  }
  summary.push(line);
}

/** The host-limit warning of harness/cluster/checks/host-limits.ts, for the bench's own size. */
function arpWarning(n: number, workers: number): string | undefined {
  const w = arpTableWarning(n, workers, hostArpCap());
  return w ? `warning: ${w}` : undefined;
}

const ARP_FILES = [1, 2, 3].map((i) => `/proc/sys/net/ipv4/neigh/default/gc_thresh${i}`);

/**
 * --raise-arp-cap: 100 pods on two kind nodes need ~5,000 neighbour entries, five times the default
 * cap, and past it same-node probes are lost like drops. Raises gc_thresh1..3 and returns the restore.
 */
function raiseArpCap(pods: number, nodes: number): () => void {
  const before = ARP_FILES.map((f) => readFileSync(f, 'utf8').trim());
  const need = Math.ceil((pods * pods) / nodes);
  const cap = Math.max(Number(before[2]), 4 * need);
  const want = [Math.max(Number(before[0]), Math.floor(cap / 8)), Math.max(Number(before[1]), Math.floor(cap / 2)), cap];
  ARP_FILES.forEach((f, i) => writeFileSync(f, String(want[i])));
  console.log(`  host ARP cap raised for the bench: gc_thresh1..3 ${before.join('/')} -> ${want.join('/')} (restored at the end)`);
  let done = false;
  const restore = (): void => {
    if (done) return;
    done = true;
    // thresh3 first, so thresh2 <= thresh3 holds at every moment on the way down
    [2, 1, 0].forEach((i) => writeFileSync(ARP_FILES[i]!, before[i]!));
    console.log(`  host ARP cap restored: ${ARP_FILES.map((f) => readFileSync(f, 'utf8').trim()).join('/')}`);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      restore();
      process.exit(130);
    });
  return restore;
}

async function main(): Promise<void> {
  const env = readImagesEnv();
  const cni = (process.env.NPH_CNI ?? env.NPH_CNI ?? 'calico') as ClusterSpec['cni'];
  const spec = ClusterSpec.parse({ provider: 'kind', name: NAME, cni, nodes: { controlPlanes: 1, workers: 2 } });
  const cluster = await createCluster(spec, { name: NAME, reuse: true, keep: true, progress });
  let restoreArp: (() => void) | undefined;
  try {
    if (values['raise-arp-cap']) restoreArp = raiseArpCap(Math.max(...SIZES), 2);
    await installCni(cluster, cni, { progress });
    if (cluster.loadImages) await cluster.loadImages([defaultAgentImage()]);
    await nodeDrop(cluster, true);
    const max = Math.max(...SIZES);
    const pods = await deploy(cluster, max);
    const executor = new ApiServerExecutor(cluster.kubeConfig);
    // Warm-up: the first exec pays TLS and discovery costs neither prober should be charged for.
    await new BatchProber(executor).round(requests(pods, 2));
    console.log(`probe benchmark: kind ${NAME}, CNI ${cni}, probe timeout ${TIMEOUT} ms, ports 8080 (open) and 8081 (dropped)`);
    const summary: string[] = [];
    for (const n of SIZES) {
      const warn = values['raise-arp-cap'] ? undefined : arpWarning(n, 2);
      if (warn) console.log(`  ${warn}`);
      await measureSize(cluster, executor, pods, n, summary);
    }
    console.log('\nsummary');
    for (const l of summary) console.log(`  ${l}`);
  } finally {
    restoreArp?.();
    await nodeDrop(cluster, false).catch(() => undefined);
    // --keep keeps the bench pods too: the next run on this cluster skips deploying a hundred pods.
    if (!values.keep) await cluster.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS }).catch(() => undefined);
    // Only a cluster this bench created is deleted; a reused one (yours) is left as it was.
    if (!values.keep && cluster.createdByUs) await execa(env.NPH_KIND ?? 'kind', ['delete', 'cluster', '--name', NAME], { reject: false });
  }
}

await main();
