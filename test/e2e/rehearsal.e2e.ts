// Rehearsing a policy change on an existing cluster (issue 14), on one real kind cluster with
// kube-router: the seed suite's workloads deployed by `run --keep`, its policies applied with kubectl
// (as a team would have), then `run --plan` changes nothing; a rehearsal with a wrong expectation
// fails and leaves every NetworkPolicy and label as it was (byte for byte after normalisation, field
// owners in managedFields included); a
// run killed after its change restores them; rollback.yaml applied by hand restores a kept change;
// `discover` writes a suite that validates. Slow (a cluster and four runs): NPH_E2E_REHEARSAL=1.
import { expect } from 'chai';
import { execa, type ResultPromise } from 'execa';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { snapshotDiff, snapshotOf, type ClusterSnapshot } from '../../harness/apply/normalize.js';
import type { KObject } from '../../harness/cluster/kube-types.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const CLUSTER = process.env.NPH_E2E_REHEARSAL_CLUSTER ?? 'nph-i14-e2e';
const CONTEXT = `kind-${CLUSTER}`;
const env = readImagesEnv();
const KIND = process.env.NPH_KIND ?? env.NPH_KIND ?? 'kind';
const KUBECTL = process.env.NPH_KUBECTL ?? env.NPH_KUBECTL ?? 'kubectl';
const FIX = path.join(ROOT, 'test/e2e/fixtures/rehearsal');
const SEED = path.join(ROOT, 'suites/zero-trust');
/** The seed's namespaces: what a rehearsal must leave exactly as it found. */
const WATCHED = ['develop', 'envoy-gateway-system', 'sandbox', 'task-api', 'traefik'];

function cli(args: string[]): ResultPromise<{ reject: false; all: true; forceKillAfterDelay: false }> {
  return execa(process.execPath, [...CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' }, forceKillAfterDelay: false });
}

describe('e2e: rehearsal on an existing cluster (kind + kube-router)', function () {
  this.timeout(900_000);
  let kubeconfig = '';
  let work = '';
  const kubectl = (args: string[]) => execa(KUBECTL, ['--kubeconfig', kubeconfig, '--context', CONTEXT, ...args]);
  // The namespaces are someone else's: a rehearsal on them needs the flag (and restores their labels).
  const existing = () => ['--provider', 'existing', '--kubeconfig', kubeconfig, '--context', CONTEXT, '--allow-foreign-namespaces'];

  /** owners: field owners (managedFields) too, which every restore by the harness puts back as found. */
  async function snapshot(owners = true): Promise<ClusterSnapshot> {
    const items = async (what: string) => (JSON.parse((await kubectl(['get', what, '-A', '-o', 'json'])).stdout) as { items: KObject[] }).items;
    const watched = (o: KObject) => WATCHED.includes(o.metadata.namespace ?? '');
    const [policies, namespaces, pods] = await Promise.all([items('networkpolicies'), items('namespaces'), items('pods')]);
    // The harness's own canary namespaces come and go (deleted without waiting): never the team's state.
    return snapshotOf(policies.filter((p) => !(p.metadata.namespace ?? '').startsWith('nph-canary-')), namespaces.filter((n) => WATCHED.includes(n.metadata.name ?? '')), pods.filter((p) => watched(p) && !p.metadata.deletionTimestamp), { owners });
  }

  before(async function () {
    if (process.env.NPH_E2E_REHEARSAL !== '1') {
      console.log('      SKIPPED: set NPH_E2E_REHEARSAL=1 (a kind cluster and four runs, about 5 minutes)');
      this.skip();
    }
    work = await mkdtemp(path.join(tmpdir(), 'nph-i14-'));
    kubeconfig = path.join(work, 'kubeconfig');
    const clusters = (await execa(KIND, ['get', 'clusters'])).stdout.split('\n');
    if (!clusters.includes(CLUSTER)) {
      const r = await cli(['run', SEED, '--cluster-name', CLUSTER, '--keep', '--cni', 'kube-router', '--focus', 'wrong']);
      expect(r.exitCode, r.all).to.equal(0);
    }
    await writeFile(kubeconfig, (await execa(KIND, ['get', 'kubeconfig', '--name', CLUSTER])).stdout);
    // The team's policies, applied the usual way (client-side apply: kubectl's annotation included).
    for (const f of ['default-deny', 'allow-dns', 'allow-gateway-ingress', 'allow-frontend-ingress', 'task-api-egress', 'develop-egress']) await kubectl(['apply', '-f', path.join(SEED, 'policies', `${f}.yaml`)]);
    await kubectl(['apply', '-n', 'develop', '-f', path.join(SEED, 'policies', 'allow-backend-ingress.yaml')]);
    // The team's namespaces are its own, not the harness's: drop the marks the seed run left.
    await kubectl(['label', 'namespace', ...WATCHED, 'app.kubernetes.io/managed-by-', 'netpol-harness/run-']);
  });

  after(async () => {
    // `down`, not `kind delete`: the seed run kept with --keep left its external container beside the cluster.
    if (process.env.NPH_E2E_REHEARSAL === '1' && !process.env.NPH_E2E_KEEP) await cli(['down', '--cluster-name', CLUSTER]);
  });

  it('--plan lists the changes and touches nothing', async () => {
    const before = await snapshot();
    const r = await cli(['run', path.join(FIX, 'wrong.yaml'), '--plan', '--kubeconfig', kubeconfig, '--context', CONTEXT]);
    expect(r.exitCode, r.all).to.equal(0);
    expect(r.all).to.include('~ change NetworkPolicy develop/allow-frontend-ingress (spec.ingress differ)');
    expect(r.all).to.include('+ create NetworkPolicy develop/rehearsal-db-lockdown');
    expect(r.all).to.include('labels namespace/develop: env "develop" -> "staging"');
    expect(r.all).to.include('namespaces the run would create (and delete afterwards): rh-probes');
    expect(snapshotDiff(before, await snapshot())).to.deep.equal([]);
    expect((await kubectl(['get', 'ns', 'rh-probes', '--ignore-not-found', '-o', 'name'])).stdout).to.equal('');
  });

  it('a rehearsal with a wrong policy fails (exit 1), writes rollback.yaml first and restores policies and labels exactly', async () => {
    const before = await snapshot();
    const dir = path.join(work, 'wrong');
    const r = await cli(['run', path.join(FIX, 'wrong.yaml'), ...existing(), '--settle', '2000', '--report-dir', dir, '--focus', 'wrong']);
    expect(r.exitCode, r.all).to.equal(1);
    expect(r.all).to.include('X rh-probes/client → frontend:3000/TCP');
    expect(await readdir(dir)).to.include('rollback.yaml');
    expect(snapshotDiff(before, await snapshot())).to.deep.equal([]);
  });

  it('a run killed (SIGTERM) after applying its change restores policies and labels exactly', async () => {
    const before = await snapshot();
    const child = cli(['run', path.join(FIX, 'ok.yaml'), ...existing(), '--report-dir', path.join(work, 'killed')]);
    let output = '';
    child.all?.on('data', (d: Buffer) => (output += d.toString()));
    const end = Date.now() + 300_000;
    while (!output.includes('applied policy set change') && Date.now() < end) await new Promise((res) => setTimeout(res, 200));
    expect(output).to.include('applied policy set change');
    expect(snapshotDiff(before, await snapshot())).to.not.deep.equal([]); // the change really was there
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode, r.all).to.not.equal(0);
    expect(snapshotDiff(before, await snapshot())).to.deep.equal([]);
  });

  it('--keep-changes leaves a passing rehearsal applied; rollback.yaml by hand restores the prior state', async () => {
    // By hand, kubectl's server-side apply makes netpol-harness an owner: compared without owners.
    const before = await snapshot(false);
    const dir = path.join(work, 'kept');
    const r = await cli(['run', path.join(FIX, 'ok.yaml'), ...existing(), '--keep-changes', '--report-dir', dir]);
    expect(r.exitCode, r.all).to.equal(0);
    const changed = snapshotDiff(before, await snapshot(false));
    expect(changed).to.deep.equal(['NetworkPolicy develop/allow-frontend-ingress: differs', 'NetworkPolicy develop/rehearsal-db-lockdown: new', 'labels of namespace/develop: differs']);
    // The commands in the file's header, as a user would paste them.
    const file = path.join(dir, 'rollback.yaml');
    const commands = (await readFile(file, 'utf8')).split('\n').filter((l) => /^# {3}kubectl /.test(l)).map((l) => l.replace(/^# {3}/, '').replace(/\s+# .*$/, ''));
    expect(commands.length).to.be.greaterThan(1);
    for (const c of commands) {
      const args = c.replace(/ -f rollback\.yaml$/, ` -f ${file}`).split(' ').slice(1);
      await execa(KUBECTL, args);
    }
    expect(snapshotDiff(before, await snapshot(false))).to.deep.equal([]);
  });

  it('a user who may only read: --plan works, a rehearsal exits 2 listing each missing permission and changes nothing', async () => {
    // A ServiceAccount that may read policies in develop and get namespaces, nothing else.
    await kubectl(['create', 'serviceaccount', 'rh-reader', '-n', 'default']);
    await kubectl(['create', 'role', 'rh-reader', '-n', 'develop', '--verb=get,list', '--resource=networkpolicies']);
    await kubectl(['create', 'rolebinding', 'rh-reader', '-n', 'develop', '--role=rh-reader', '--serviceaccount=default:rh-reader']);
    await kubectl(['create', 'clusterrole', 'rh-reader-ns', '--verb=get', '--resource=namespaces']);
    await kubectl(['create', 'clusterrolebinding', 'rh-reader-ns', '--clusterrole=rh-reader-ns', '--serviceaccount=default:rh-reader']);
    try {
      const token = (await kubectl(['create', 'token', 'rh-reader', '-n', 'default'])).stdout.trim();
      const limited = path.join(work, 'limited-kubeconfig');
      await writeFile(limited, (await readFile(kubeconfig, 'utf8')));
      const kc = (args: string[]) => execa(KUBECTL, ['--kubeconfig', limited, ...args]);
      await kc(['config', 'set-credentials', 'rh-reader', `--token=${token}`]);
      await kc(['config', 'set-context', 'rh-reader', `--cluster=${CONTEXT}`, '--user=rh-reader']);
      const before = await snapshot();
      const plan = await cli(['run', path.join(FIX, 'ok.yaml'), '--plan', '--kubeconfig', limited, '--context', 'rh-reader']);
      expect(plan.exitCode, plan.all).to.equal(0);
      const r = await cli(['run', path.join(FIX, 'ok.yaml'), '--provider', 'existing', '--kubeconfig', limited, '--context', 'rh-reader', '--allow-foreign-namespaces']);
      expect(r.exitCode, r.all).to.equal(2);
      for (const need of ['patch namespaces', 'create networkpolicies.networking.k8s.io in namespace develop', 'delete networkpolicies.networking.k8s.io in namespace develop', 'create namespaces', 'create pods/exec in namespace rh-probes']) expect(r.all).to.include(need);
      expect(snapshotDiff(before, await snapshot())).to.deep.equal([]);
      expect((await kubectl(['get', 'ns', 'rh-probes', '--ignore-not-found', '-o', 'name'])).stdout).to.equal('');
    } finally {
      await kubectl(['delete', 'clusterrolebinding,clusterrole', 'rh-reader-ns', '--ignore-not-found']);
      await kubectl(['delete', 'serviceaccount', 'rh-reader', '-n', 'default', '--ignore-not-found']);
      await kubectl(['delete', 'rolebinding,role', 'rh-reader', '-n', 'develop', '--ignore-not-found']);
    }
  });

  it('discover writes a suite that validates, exporting every policy', async () => {
    const out = path.join(work, 'discovered');
    const r = await cli(['discover', '--kubeconfig', kubeconfig, '--context', CONTEXT, '-A', '--out-dir', out]);
    console.log(`      ${/discovered .*/.exec(r.all)?.[0] ?? ''}`);
    expect(r.exitCode, r.all).to.equal(0);
    expect(r.all).to.include('workload(s), 12 NetworkPolicies');
    const v = await cli(['validate', out]);
    expect(v.exitCode, v.all).to.equal(0);
    // Running it re-applies all 12 policies over the team's (server-side, taking their fields),
    // probes the discovered workloads in place (ephemeral containers) and restores them exactly:
    // "does this cluster do what its policies say?" must be answered with real cells.
    const before = await snapshot();
    const run = await cli(['run', out, ...existing(), '--settle', '2000', '--focus', 'wrong', '--report-dir', path.join(work, 'discovered-run')]);
    console.log(`      run on the discovered suite: exit ${run.exitCode}; ${/run discovered-\S+: .*/.exec(run.all)?.[0] ?? ''}`);
    expect(run.exitCode, run.all).to.equal(0);
    const correct = Number(/correct (\d+), wrong 0,/.exec(run.all)?.[1] ?? 0);
    expect(correct, 'cells probed on the discovered suite').to.be.greaterThan(0);
    expect(snapshotDiff(before, await snapshot())).to.deep.equal([]);
  });

  it('a namespace that does not exist and a context that does not exist: exit 2, nothing written', async () => {
    const out = path.join(work, 'nothing');
    const r = await cli(['discover', '--kubeconfig', kubeconfig, '--context', CONTEXT, '-n', 'develop', '-n', 'no-such-ns', '--out-dir', out]);
    expect(r.exitCode, r.all).to.equal(2);
    expect(r.all).to.include('no-such-ns');
    const c = await cli(['discover', '--kubeconfig', kubeconfig, '--context', 'no-such-context', '-A', '--out-dir', out]);
    expect(c.exitCode, c.all).to.equal(2);
    expect(c.all).to.include('no-such-context');
    await readdir(out).then(
      () => expect.fail('discover wrote files'),
      () => undefined,
    );
  });
});
