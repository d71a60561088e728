// Fault injection on a real kind cluster (kube-router): the cluster misbehaves while a step probes,
// and the verdicts stay honest. Each test runs the one step of test/fixtures/e2e/faults while it
// breaks something, through the `onProbing` hook (after the step's changes and its watcher start,
// right before probing), and checks that no fault shows up as an allow or a deny.
// Slow (two cluster bring-ups, about 10 minutes): runs only with NPH_E2E_FAULTS=1 (npm run test:e2e:faults).
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { exitCodeFor } from '../../harness/cli/commands/run.js';
import { execaRunner } from '../../harness/cluster/command.js';
import { installCni } from '../../harness/cluster/cni/index.js';
import { kindClusters } from '../../harness/cluster/providers/kind.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { createProgress } from '../../harness/cluster/progress.js';
import { createCluster, type Cluster } from '../../harness/cluster/provider.js';
import { verdictOf, type CellResult, type StepResult } from '../../harness/diff/result.js';
import { summarizeRun } from '../../harness/report/index.js';
import { HarnessSession, effectiveCni } from '../../harness/run/session.js';
import { ClusterSpec } from '../../harness/suite/schema.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SUITE = path.join(ROOT, 'test/fixtures/e2e/faults/suite.yaml');
const CLUSTER = process.env.NPH_E2E_FAULTS_CLUSTER ?? 'nph-i16-faults';
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';
const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const ENABLED = process.env.NPH_E2E_FAULTS === '1';
const WEB = 'nph-fault/web:8080/TCP';
const DB = 'nph-fault/db:5432/TCP';
const DNS = 'dns:kubernetes.default.svc.cluster.local';
const progress = () => createProgress({ stream: process.stderr, live: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const docker = (...args: string[]) => execa(DOCKER, args);
const kubectl = (...args: string[]) => docker('exec', `${CLUSTER}-control-plane`, 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', ...args);

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function cell(step: StepResult, src: string, col: string): CellResult {
  const c = step.cells.find((x) => x.src === src && x.col === col);
  if (!c) throw new Error(`no cell ${src} -> ${col}`);
  return c;
}

/** The promise: whatever the fault, every cell with a verdict has the expected one. */
function expectNoWrongVerdicts(step: StepResult): void {
  for (const c of step.cells) {
    const v = c.observed ? verdictOf(c.observed.class) : undefined;
    if (v !== undefined) expect(v, `${c.src} -> ${c.col}: ${c.observed?.class} ${c.observed?.detail ?? ''}`).to.equal(c.expected);
  }
}

function figures(name: string, step: StepResult, extra: Record<string, unknown> = {}): void {
  const errors = step.cells.filter((c) => !c.observed || verdictOf(c.observed.class) === undefined).length;
  const i = step.infrastructure;
  process.stderr.write(
    `FAULT-FIGURES ${JSON.stringify({ fault: name, errors, cells: step.cells.length, durationMs: step.durationMs, timeToEnforceMs: step.timeToEnforceMs, execFailures: i?.execFailures, execRetries: i?.execRetries, distrusted: i?.distrusted, events: i?.events.map((e) => `${e.at.slice(11, 19)} ${e.kind} ${e.subject}`), ...extra })}\n`,
  );
}

/** Starts a session on the fault cluster, runs the step with the fault injected, cleans up. */
async function runWithFault(inject: (s: HarnessSession) => Promise<void>, opts: { reuse: boolean; settleMs?: number }) {
  const ref: { session?: HarnessSession } = {};
  const session = (ref.session = await HarnessSession.start(SUITE, {
    cluster: { name: CLUSTER },
    reuse: opts.reuse,
    skipCanary: true,
    progress: progress(),
    ...(opts.settleMs ? { settleMs: opts.settleMs } : {}),
    onProbing: () => inject(ref.session!),
  }));
  try {
    const step = await session.runStep(0);
    return { session, step, cleanup: await session.stop() };
  } catch (e) {
    await session.stop();
    throw e;
  }
}

const podOf = (s: HarnessSession, endpoint: string) => s.deployment!.endpoints.get(endpoint)!.pods[0]!;

describe('faults during a run (real kind cluster)', function () {
  this.timeout(1_800_000);
  let cluster: Cluster | undefined;

  before(async function () {
    if (!ENABLED) {
      process.stderr.write('faults e2e SKIPPED: slow (two cluster bring-ups); run with NPH_E2E_FAULTS=1 (npm run test:e2e:faults)\n');
      this.skip();
    }
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    const cni = effectiveCni('kube-router');
    const spec = ClusterSpec.parse({ provider: 'kind', name: CLUSTER, cni, nodes: { controlPlanes: 1, workers: 2 } });
    cluster = await createCluster(spec, { name: CLUSTER, keep: true, progress: progress() });
    await installCni(cluster, cni, { progress: progress() });
  });

  after(async () => {
    if (!ENABLED) return;
    // Whatever happened, leave nothing paused and no cluster behind.
    await docker('unpause', `${CLUSTER}-control-plane`).catch(() => undefined);
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
  });

  it('the DNS server scaled to zero: DNS cells are errors saying dns-failure and why, other cells keep their verdicts', async () => {
    try {
      const { step, cleanup } = await runWithFault(async () => {
        await kubectl('-n', 'kube-system', 'scale', 'deployment', 'coredns', '--replicas=0');
        await waitFor('CoreDNS pods to be gone', async () => (await cluster!.client.list('v1', 'Pod', { namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' })).length === 0);
      }, { reuse: true });
      figures('dns-scaled-to-zero', step);
      expect(cleanup.failed).to.deep.equal([]);
      expectNoWrongVerdicts(step);
      for (const src of ['nph-fault/web', 'nph-fault/db', 'nph-fault/client']) {
        const c = cell(step, src, DNS);
        expect(c.observed?.class, `${src} -> ${DNS}`).to.equal('error');
        // Either fault of the DNS server may be named: it has no pods, or its readiness probe failed while it
        // shut down (kubelet Events, 30 s shadow): both say the DNS server, not a policy.
        expect(c.observed?.detail).to.match(/^dns-failure.*; not taken as a verdict: (cluster-dns has no pods|probe-failed kube-system\/coredns-)/);
      }
      // Connections go by Service ClusterIP: unaffected by DNS, every one judged and correct.
      for (const c of step.cells.filter((x) => x.col !== DNS)) expect(verdictOf(c.observed!.class), `${c.src} -> ${c.col}`).to.equal(c.expected);
      expect(step.infrastructure?.unsettled?.cells).to.equal(3);
    } finally {
      await kubectl('-n', 'kube-system', 'scale', 'deployment', 'coredns', '--replicas=2');
      await kubectl('-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=180s');
    }
  });

  it('a source pod deleted mid-step: the prober re-probes from the Deployment\'s new pod, or reports an error for that source', async () => {
    let old = '';
    const { step, cleanup } = await runWithFault(async (s) => {
      const pod = podOf(s, 'nph-fault/client');
      old = pod.name;
      await cluster!.client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace, name: pod.name });
      await waitFor(`pod ${pod.name} to be gone`, async () => (await cluster!.client.get({ apiVersion: 'v1', kind: 'Pod', namespace: pod.namespace, name: pod.name })) === undefined);
    }, { reuse: true });
    figures('source-pod-deleted', step);
    expect(cleanup.failed).to.deep.equal([]);
    expectNoWrongVerdicts(step);
    const events = step.infrastructure!.events;
    expect(events.some((e) => e.kind === 'exec-failure' && e.subject === `nph-fault/${old}` && /pod-gone|container-not-running/.test(e.detail ?? ''))).to.equal(true);
    const replaced = events.find((e) => e.kind === 'source-replaced' && e.subject === `nph-fault/${old}`);
    for (const col of [WEB, DB, DNS]) {
      const c = cell(step, 'nph-fault/client', col);
      if (replaced) expect(verdictOf(c.observed!.class), `client -> ${col} re-probed from the new pod`).to.equal(c.expected);
      else expect(c.observed?.detail).to.match(new RegExp(old));
    }
    expect(replaced, 'the new pod was found and used').to.not.equal(undefined);
  });

  it('the agent killed in a destination pod: cells to it are errors or re-probed after the restart, never denies', async () => {
    let pod = '';
    const { step, cleanup } = await runWithFault(async (s) => {
      const p = podOf(s, 'nph-fault/db');
      pod = p.name;
      // The node container sees its pods' processes: kill exactly db's agent (serving 5432).
      await docker('exec', p.node, 'sh', '-c', `for d in /proc/[0-9]*; do c=$(tr '\\0' ' ' < $d/cmdline 2>/dev/null); case "$c" in "/bin/nph-agent serve --tcp 5432"*) kill -9 \${d#/proc/};; esac; done`);
    }, { reuse: true });
    figures('destination-agent-killed', step);
    expect(cleanup.failed).to.deep.equal([]);
    expectNoWrongVerdicts(step);
    const i = step.infrastructure!;
    expect(i.events.some((e) => e.subject === `nph-fault/${pod}` && /pod-restart|pod-not-ready|liveness-failure/.test(e.kind)), 'the restart was seen').to.equal(true);
    // web -> db is allowed: a deny there could only come from the fault.
    expect(cell(step, 'nph-fault/web', DB).observed?.class).to.be.oneOf(['connected', 'error']);
  });

  it('the API server paused longer than an exec takes: bounded retries, then the step settles or errors, never a wrong verdict', async () => {
    const PAUSE_MS = 30_000;
    let unpaused = 0;
    let unpause: Promise<unknown> | undefined;
    const { step, cleanup } = await runWithFault(async () => {
      await docker('pause', `${CLUSTER}-control-plane`);
      unpause = sleep(PAUSE_MS).then(async () => {
        await docker('unpause', `${CLUSTER}-control-plane`);
        unpaused = Date.now();
      });
    }, { reuse: true, settleMs: 120_000 });
    await unpause;
    const started = Date.parse(step.startedAt!);
    const recoverMs = step.timeToEnforceMs !== undefined ? started + (step.durationMs ?? 0) - unpaused : undefined;
    figures('api-server-paused', step, { pauseMs: PAUSE_MS, settledAfterUnpauseMs: recoverMs });
    expect(cleanup.failed).to.deep.equal([]);
    expectNoWrongVerdicts(step);
    const i = step.infrastructure!;
    expect((i.execFailures.timeout ?? 0) + (i.events.some((e) => e.kind === 'api-unreachable') ? 1 : 0), 'the stall was seen').to.be.greaterThan(0);
    expect(i.execRetries).to.be.at.most(3 * step.cells.length);
  });

  it('a worker node stopped mid-step: cells from and to its pods are errors naming the node, healthy cells keep verdicts, exit 2, cleanup deletes the cluster', async () => {
    // This run creates (and must delete) its own cluster: drop the shared one first (one cluster at a time).
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    let node = '';
    const { session, step, cleanup } = await runWithFault(async (s) => {
      node = podOf(s, 'nph-fault/db').node;
      await docker('stop', node);
    }, { reuse: false });
    figures('worker-node-stopped', step, { node });
    expect(podOf(session, 'nph-fault/web').node, 'web and client run on the other worker').to.not.equal(node);
    expectNoWrongVerdicts(step);
    const faulty = step.cells.filter((c) => c.src === 'nph-fault/db' || c.col === DB);
    expect(faulty).to.have.length(4);
    for (const c of faulty) {
      expect(c.observed?.class, `${c.src} -> ${c.col}`).to.equal('error');
      expect(c.observed?.detail, `${c.src} -> ${c.col}`).to.include(node);
    }
    expect(verdictOf(cell(step, 'nph-fault/client', WEB).observed!.class)).to.equal('allow');
    expect(exitCodeFor(summarizeRun(session.result), cleanup.failed.length)).to.equal(2);
    expect(cleanup.failed).to.deep.equal([]);
    expect(await kindClusters(execaRunner, KIND)).to.not.include(CLUSTER);
    expect((await execa(DOCKER, ['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${CLUSTER}`])).stdout.trim()).to.equal('');
  });
});
