// Cluster-level end-to-end checks on a real kind cluster with an enforcing CNI:
// the enforcement canary across nodes, `run` failing a wrong expectation with exit 1 and a readable
// diff, malformed input changing nothing on the cluster, and killed runs leaving nothing behind.
import { expect } from 'chai';
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { enforcementCanary } from '../../harness/cluster/checks/canary.js';
import { execaRunner } from '../../harness/cluster/command.js';
import { installCni } from '../../harness/cluster/cni/index.js';
import { kindClusters } from '../../harness/cluster/providers/kind.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { createProgress } from '../../harness/cluster/progress.js';
import { createCluster, workerNodeNames, type Cluster } from '../../harness/cluster/provider.js';
import { ApiServerExecutor } from '../../harness/probe/exec.js';
import { effectiveCni } from '../../harness/run/session.js';
import { ClusterSpec } from '../../harness/suite/schema.js';
import { defaultAgentImage } from '../../harness/apply/workloads.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
// One process (not the tsx wrapper, which would sit between the signal and the cleanup code).
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const CLUSTER = 'nph-e2e-cluster';
const env = readImagesEnv();
const KIND = process.env.NPH_KIND ?? env.NPH_KIND ?? 'kind';
const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const MANAGED = 'app.kubernetes.io/managed-by=netpol-harness';

function cli(args: string[]): ResultPromise<{ reject: false; all: true; forceKillAfterDelay: false }> {
  // No forced SIGKILL after 5 s (execa's default): cleanup after SIGTERM legitimately takes longer.
  return execa(process.execPath, [...CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' }, forceKillAfterDelay: false });
}

async function managedNamespaces(cluster: Cluster): Promise<string[]> {
  const list = await cluster.client.list('v1', 'Namespace', { labelSelector: MANAGED });
  return list.filter((n) => !n.metadata?.deletionTimestamp).map((n) => n.metadata?.name ?? '');
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts `run`, waits until `ready(output)` holds, then sends SIGTERM and returns the result. */
async function killWhen(args: string[], what: string, ready: (output: string) => Promise<boolean> | boolean): Promise<{ exitCode: number | undefined; output: string }> {
  const child = cli(args);
  let output = '';
  child.all?.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(what, async () => await ready(output), 300_000);
  child.kill('SIGTERM');
  const r = await child;
  return { exitCode: r.exitCode, output: output + (r.all ?? '') };
}

async function kindNodeContainers(name: string): Promise<string[]> {
  const r = await execa(DOCKER, ['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${name}`, '--format', '{{.Names}}']);
  return r.stdout.split('\n').filter(Boolean);
}

describe('cluster layer on a real kind cluster', function () {
  this.timeout(900_000);
  let cluster: Cluster;
  const cni = effectiveCni('calico');

  before(async () => {
    // A cluster of this name left by an interrupted earlier run may be half dead: start fresh.
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    const spec = ClusterSpec.parse({ provider: 'kind', name: CLUSTER, cni, nodes: { controlPlanes: 1, workers: 2 } });
    cluster = await createCluster(spec, { name: CLUSTER, keep: true, progress: createProgress({ stream: process.stderr, live: false }) });
    await installCni(cluster, cni, { progress: createProgress({ stream: process.stderr, live: false }) });
  });

  after(async () => {
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
  });

  it('all nodes are Ready and the CNI enforces policy between pods on different nodes', async () => {
    const nodes = await cluster.nodes();
    expect(nodes).to.have.length(3);
    expect(nodes.every((n) => n.ready)).to.equal(true);
    const workers = workerNodeNames(nodes);
    expect(workers).to.have.length(2);
    const lines: string[] = [];
    const r = await enforcementCanary(cluster.kubeConfig, {
      agentImage: defaultAgentImage(),
      nodes: [workers[0]!, workers[1]!],
      cni,
      executor: new ApiServerExecutor(cluster.kubeConfig),
      log: (l) => lines.push(l),
    });
    // connect, then blocked by default-deny, then open again with an allow rule
    expect(lines.join('\n')).to.match(/connects with no policy[\s\S]*default-deny enforced[\s\S]*allow rule honoured/);
    expect(['refused', 'timeout']).to.include(r.denyClass);
    expect(r.denyEnforcedMs).to.be.below(60_000);
    await waitFor('the canary namespace to go away', async () => !(await cluster.client.list('v1', 'Namespace')).some((n) => (n.metadata?.name ?? '') === r.namespace && !n.metadata?.deletionTimestamp), 120_000);
  });

  it('a deliberately wrong expectation fails with exit 1 and a readable diff', async () => {
    const r = await cli(['run', 'test/fixtures/e2e/wrong-expectation/suite.yaml', '--cluster-name', CLUSTER, '--reuse', '--ascii', '--focus', 'all']);
    expect(r.exitCode, r.all).to.equal(1);
    expect(r.all).to.match(/\[PASS\] step open/);
    expect(r.all).to.match(/\[FAIL\] step default-deny/);
    expect(r.all).to.include('nph-e2e-shop/web');
    expect(r.all).to.match(/kubectl .*exec -n nph-e2e-shop .*nph-agent probe/);
    expect(r.all).to.match(/wrong 1/);
    expect(await managedNamespaces(cluster)).to.not.include('nph-e2e-shop');
  });

  it('a malformed policy exits 2 naming the file and field, and changes nothing on the cluster', async () => {
    const before = await managedNamespaces(cluster);
    const r = await cli(['run', 'test/fixtures/e2e/bad-policy/suite.yaml', '--cluster-name', CLUSTER, '--reuse']);
    expect(r.exitCode).to.equal(2);
    expect(r.all).to.match(/bad-policy\/policies\/default-deny\.yaml:\d+: spec\.ingress\[0\]\.from\[0\]/);
    expect(r.all).to.not.match(/\n\s+at /);
    expect(r.all).to.not.match(/reusing kind cluster|deploying/);
    expect(await managedNamespaces(cluster)).to.deep.equal(before);
  });

  it('a bad flag exits 2 before touching the cluster', async () => {
    const r = await cli(['run', 'suites/zero-trust/suite.yaml', '--cluster-name', CLUSTER, '--reuse', '--cni', 'flannel']);
    expect(r.exitCode).to.equal(2);
    expect(r.all).to.match(/--cni/);
    expect(r.all).to.not.match(/reusing kind cluster/);
  });

  it('--provider existing runs against a cluster it did not create, and leaves it as it found it', async () => {
    const before = await cluster.client.list('networking.k8s.io/v1', 'NetworkPolicy');
    // The wrong-expectation suite has no externals (existing clusters have no Docker network for them).
    const r = await cli(['run', 'test/fixtures/e2e/wrong-expectation/suite.yaml', '--provider', 'existing', '--kubeconfig', cluster.kubeconfigPath, '--context', cluster.context, '--ascii']);
    expect(r.exitCode, r.all).to.equal(1);
    expect(r.all).to.match(/\[PASS\] step open/);
    expect(r.all).to.match(/\[FAIL\] step default-deny/);
    expect(r.all, 'never creates or deletes a cluster').to.not.match(/creating kind cluster|kind delete/);
    // It deleted only what it created; every policy that existed before is still there.
    expect(await managedNamespaces(cluster)).to.not.include('nph-e2e-shop');
    const after = await cluster.client.list('networking.k8s.io/v1', 'NetworkPolicy');
    expect(after.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort()).to.deep.equal(before.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort());
    expect((await cluster.nodes()).every((n) => n.ready)).to.equal(true);
  });

  it('a run killed mid-way on a reused cluster removes its namespaces and externals', async () => {
    const r = await killWhen(['run', 'suites/zero-trust/suite.yaml', '--cluster-name', CLUSTER, '--reuse'], 'the run to probe step default-deny', (o) => /step default-deny: probing/.test(o));
    expect(r.exitCode, r.output).to.equal(143);
    await waitFor('the run\'s namespaces to be deleted', async () => (await managedNamespaces(cluster)).length === 0, 180_000);
    // Only this run's cluster: other harness containers on the machine are not this test's business.
    const ext = await execa(DOCKER, ['ps', '-a', '--filter', 'label=netpol-harness.external', '--filter', `label=netpol-harness.cluster=${CLUSTER}`, '--format', '{{.Names}}']);
    expect(ext.stdout.trim()).to.equal('');
    const policies = await cluster.client.list('networking.k8s.io/v1', 'NetworkPolicy', { labelSelector: MANAGED });
    expect(policies).to.have.length(0);
  });

  it('a run killed while kind is creating its nodes leaves no cluster behind', async () => {
    const name = 'nph-e2e-killed';
    await execa(KIND, ['delete', 'cluster', '--name', name], { reject: false });
    // SIGTERM once kind has started node containers: the hardest moment (kind create still running).
    const r = await killWhen(['run', 'suites/zero-trust/suite.yaml', '--cluster-name', name], 'kind to start node containers', async () => (await kindNodeContainers(name)).length > 0);
    expect(r.exitCode, r.output).to.equal(143);
    expect(r.output).to.match(/cleanup: kind cluster nph-e2e-killed/);
    await new Promise((res) => setTimeout(res, 5000));
    expect(await kindClusters(execaRunner, KIND)).to.not.include(name);
    expect(await kindNodeContainers(name)).to.deep.equal([]);
  });
});
