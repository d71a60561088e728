// `npm run bench:probe`: the batched prober against a baseline of one exec per probe with 3 workers
// (what upstream's Netpol e2e does), on a real kind cluster, same probe timeout, in one run.
//
// Model: N agent pods spread over two workers, each serving TCP 8080 and 8081; every pod probes every
// pod on both ports by pod IP (N x N x 2 cells). Port 8081 is the "denied" half and must TIME OUT, as it
// does under a dropping CNI such as Calico. kube-router (the enforcer built on air-gapped hosts) REJECTS
// denied traffic, which would turn timeouts into instant refusals and flatter both probers, so the bench
// drops TCP/8081 with an iptables rule in each kind node's FORWARD chain (containers this bench owns).
//
// Usage: npm run bench:probe [-- --sizes 9,30 --timeout 2000 --keep --baseline-max 30]
// Targets (30 x 30 x 2): one batched round within 2 x the probe timeout, and >= 10x faster than the baseline.
import { execa } from 'execa';
import { parseArgs } from 'node:util';
import { defaultAgentImage } from '../harness/apply/workloads.js';
import { installCni } from '../harness/cluster/cni/index.js';
import { readImagesEnv } from '../harness/cluster/paths.js';
import { createProgress } from '../harness/cluster/progress.js';
import { createCluster, workerNodeNames, type Cluster } from '../harness/cluster/provider.js';
import type { KObject, PodLike } from '../harness/cluster/kube-types.js';
import { isPodReady } from '../harness/cluster/kube-types.js';
import { ApiServerExecutor } from '../harness/probe/exec.js';
import { AGENT_CONTAINER, BatchProber, PerProbeExecProber, type ProbeRequest, type Prober } from '../harness/probe/prober.js';
import { ClusterSpec } from '../harness/suite/schema.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '9,30' },
    timeout: { type: 'string', default: '2000' },
    keep: { type: 'boolean', default: false },
    'cluster-name': { type: 'string', default: 'nph-bench' },
    'baseline-max': { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '32' },
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
    metadata: { name: `p${i}`, namespace: NS, labels: { app: 'nph-bench' } },
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
      [8080, 8081].map((port) => ({ id: `${dst.name}:${port}/TCP`, kind: 'tcp' as const, host: dst.ip, port, timeoutMs: TIMEOUT })),
    ),
  }));
}

interface Measured {
  wallMs: number;
  execs: number;
  cells: number;
  classes: Record<string, number>;
}

async function measure(prober: Prober, reqs: ProbeRequest[]): Promise<Measured> {
  const t0 = performance.now();
  const res = await prober.round(reqs);
  const wallMs = performance.now() - t0;
  const classes: Record<string, number> = {};
  for (const r of res.values()) classes[r.class] = (classes[r.class] ?? 0) + 1;
  return { wallMs, execs: prober.execCount, cells: res.size, classes };
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const env = readImagesEnv();
  const cni = (process.env.NPH_CNI ?? env.NPH_CNI ?? 'calico') as ClusterSpec['cni'];
  const spec = ClusterSpec.parse({ provider: 'kind', name: NAME, cni, nodes: { controlPlanes: 1, workers: 2 } });
  const cluster = await createCluster(spec, { name: NAME, reuse: true, keep: true, progress });
  try {
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
      const reqs = requests(pods, n);
      const cells = n * n * 2;
      const rssBefore = process.memoryUsage().rss;
      const batch = await measure(new BatchProber(executor, { concurrency: Number(values.concurrency) }), reqs);
      const rssAfter = process.memoryUsage().rss;
      console.log(`  ${n}x${n}x2 (${cells} cells) batched: ${fmt(batch.wallMs)}, ${batch.execs} execs, classes ${JSON.stringify(batch.classes)}, rss ${(rssAfter / 1048576).toFixed(0)} MB (+${((rssAfter - rssBefore) / 1048576).toFixed(0)} MB)`);
      let line = `${n}x${n}x2: batched ${fmt(batch.wallMs)} (${(batch.wallMs / TIMEOUT).toFixed(2)}x the probe timeout)`;
      if (n <= Number(values['baseline-max'])) {
        const base = await measure(new PerProbeExecProber(executor, 3), reqs);
        console.log(`  ${n}x${n}x2 (${cells} cells) baseline (1 exec per probe, 3 workers): ${fmt(base.wallMs)}, ${base.execs} execs, classes ${JSON.stringify(base.classes)}`);
        line += `, baseline ${fmt(base.wallMs)}, speed-up ${(base.wallMs / batch.wallMs).toFixed(1)}x`;
      }
      summary.push(line);
    }
    console.log('\nsummary');
    for (const l of summary) console.log(`  ${l}`);
  } finally {
    await nodeDrop(cluster, false).catch(() => undefined);
    await cluster.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: NS }).catch(() => undefined);
    // Only a cluster this bench created is deleted; a reused one (yours) is left as it was.
    if (!values.keep && cluster.createdByUs) await execa(env.NPH_KIND ?? 'kind', ['delete', 'cluster', '--name', NAME], { reject: false });
  }
}

await main();
