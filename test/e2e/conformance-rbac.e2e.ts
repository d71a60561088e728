// `netpol-harness conformance --provider existing` as a user who may not create namespaces (a
// ServiceAccount bound to the built-in `view` ClusterRole, through a token kubeconfig): a clear error
// naming the missing permissions, exit 2, and nothing created on the cluster. The cluster needs no
// CNI (only the API server answers), so a fresh one comes up in about a minute; set
// NPH_E2E_RBAC_CLUSTER=<kind cluster> to reuse one of yours instead (it is then left in place).
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readImagesEnv } from '../../harness/cluster/paths.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const env = readImagesEnv();
const KIND = process.env.NPH_KIND ?? env.NPH_KIND ?? 'kind';
const KUBECTL = process.env.NPH_KUBECTL ?? env.NPH_KUBECTL ?? 'kubectl';
const REUSED = process.env.NPH_E2E_RBAC_CLUSTER;
const CLUSTER = REUSED ?? 'nph-e2e-conformance-rbac';
const SA = 'nph-e2e-viewer';

describe('conformance on an existing cluster without the right to create namespaces', function () {
  this.timeout(600_000);
  let dir = '';
  let admin = '';
  const kubectl = (args: string[], kubeconfig = admin) => execa(KUBECTL, ['--kubeconfig', kubeconfig, ...args]);
  const namespaces = async (): Promise<string[]> => (await kubectl(['get', 'namespaces', '-o', 'name'])).stdout.split('\n').sort();

  before(async function () {
    // About a minute with its own cluster: opt in with the conformance e2e flag (README "What does this CNI enforce?").
    if (process.env.NPH_E2E_CONFORMANCE !== '1') {
      console.log('    SKIPPED: set NPH_E2E_CONFORMANCE=1 to run the conformance e2e (this file: about 1 min, a kind cluster without CNI)');
      this.skip();
    }
    dir = await mkdtemp(path.join(tmpdir(), 'nph-rbac-'));
    if (!REUSED) {
      await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
      const config = 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworking: { disableDefaultCNI: true }\n';
      await execa(KIND, ['create', 'cluster', '--name', CLUSTER, '--config', '-', ...(env.NPH_NODE_IMAGE ? ['--image', env.NPH_NODE_IMAGE] : [])], { input: config });
    }
    admin = path.join(dir, 'admin.kubeconfig');
    await writeFile(admin, (await execa(KIND, ['get', 'kubeconfig', '--name', CLUSTER])).stdout);
  });

  it('exits 2 naming the missing permissions, before creating anything', async () => {
    await kubectl(['create', 'serviceaccount', SA, '-n', 'default']);
    await kubectl(['create', 'clusterrolebinding', SA, '--clusterrole=view', `--serviceaccount=default:${SA}`]);
    const token = (await kubectl(['create', 'token', SA, '-n', 'default', '--duration=10m'])).stdout.trim();
    const server = (await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).stdout;
    const ca = (await kubectl(['config', 'view', '--minify', '--raw', '-o', 'jsonpath={.clusters[0].cluster.certificate-authority-data}'])).stdout;
    const viewer = path.join(dir, 'viewer.kubeconfig');
    await writeFile(
      viewer,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: CLUSTER, cluster: { server, 'certificate-authority-data': ca } }],
        users: [{ name: SA, user: { token } }],
        contexts: [{ name: 'viewer', context: { cluster: CLUSTER, user: SA } }],
        'current-context': 'viewer',
      }),
    );
    expect((await kubectl(['auth', 'can-i', 'create', 'namespaces'], viewer).catch((e: { stdout: string }) => e)).stdout).to.equal('no');
    const before = await namespaces();
    const rollbackBefore = existsSync(path.join(ROOT, 'rollback.yaml'));

    const r = await execa(process.execPath, [...CLI, 'conformance', '--provider', 'existing', '--kubeconfig', viewer, '--report-dir', path.join(dir, 'reports')], {
      cwd: ROOT,
      reject: false,
      all: true,
      env: { NO_COLOR: '1' },
    });
    expect(r.exitCode, r.all).to.equal(2);
    expect(r.all).to.match(/context viewer lacks \d+ permission\(s\)/).and.include('create namespaces').and.include('create networkpolicies.networking.k8s.io in namespace x');
    expect(r.all).to.match(/ask the cluster admin for a Role granting these/);
    expect(r.all).not.to.match(/enforcement canary|deploying|applied policy/);
    expect(await namespaces()).to.deep.equal(before);
    expect(existsSync(path.join(ROOT, 'rollback.yaml'))).to.equal(rollbackBefore);
    expect(existsSync(path.join(dir, 'reports'))).to.equal(false);
  });

  after(async function () {
    if (process.env.NPH_E2E_CONFORMANCE !== '1') return;
    if (REUSED && admin) {
      await kubectl(['delete', 'clusterrolebinding', SA, '--ignore-not-found']).catch(() => undefined);
      await kubectl(['delete', 'serviceaccount', SA, '-n', 'default', '--ignore-not-found']).catch(() => undefined);
    } else await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    if (dir) await rm(dir, { recursive: true, force: true });
  });
});
