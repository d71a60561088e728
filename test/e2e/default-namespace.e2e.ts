// Issue 22 end to end, on one kind cluster with kube-router treated as someone else's: an app in the
// `default` namespace made the recipes' way (`kubectl run` + `kubectl expose`, bare pods), the
// user's NetworkPolicy applied with kubectl; `discover -n default` finds the bare pods, the DNS
// check and adds the attacker; `run --provider existing --via dns` rehearses it through the
// Service's DNS name (each cell says so), and afterwards the policy and the namespace are as
// before byte for byte, field owners (managedFields), uid and generation included; the default
// namespace still exists and the attacker's namespace is gone. On the same cluster, a suite that
// deploys its own app from `manifests:` into a namespace that exists and redefines a ConfigMap the
// user made with kubectl: the run judges its cells, puts the ConfigMap back byte for byte (field
// owners included), deletes what it created and lists it all in rollback.yaml, whose commands put
// things back after a run killed with SIGKILL. Slow: NPH_E2E_DEFAULT_NS=1.
import { expect } from 'chai';
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { snapshotDiff, snapshotOf, type ClusterSnapshot } from '../../harness/apply/normalize.js';
import type { KObject } from '../../harness/cluster/kube-types.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { defaultAgentImage } from '../../harness/apply/workloads.js';
import type { RunResult } from '../../harness/diff/result.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const CLUSTER = process.env.NPH_E2E_DEFAULT_NS_CLUSTER ?? 'nph-e2e-default-ns';
const CONTEXT = `kind-${CLUSTER}`;
const env = readImagesEnv();
const KIND = process.env.NPH_KIND ?? env.NPH_KIND ?? 'kind';
const KUBECTL = process.env.NPH_KUBECTL ?? env.NPH_KUBECTL ?? 'kubectl';
const FIX = path.join(ROOT, 'test/e2e/fixtures/default-ns');

function cli(args: string[]) {
  return execa(process.execPath, [...CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' }, forceKillAfterDelay: false });
}

describe('e2e: the default namespace, bare pods and the user\'s Service (kind + kube-router)', function () {
  this.timeout(1_200_000);
  let kubeconfig = '';
  let work = '';
  const kubectl = (args: string[]) => execa(KUBECTL, ['--kubeconfig', kubeconfig, '--context', CONTEXT, ...args]);

  async function snapshot(): Promise<ClusterSnapshot & { ids: Record<string, unknown> }> {
    const items = async (what: string, ns?: string) => (JSON.parse((await kubectl(['get', what, ...(ns ? ['-n', ns] : ['-A']), '-o', 'json'])).stdout) as { items: KObject[] }).items;
    const [policies, namespaces, pods] = await Promise.all([items('networkpolicies', 'default'), items('namespaces'), items('pods', 'default')]);
    const snap = snapshotOf(policies, namespaces.filter((n) => n.metadata.name === 'default'), pods, { owners: true });
    // Identity too: the policy was updated in place, never deleted and recreated, its spec never bumped.
    const ids: Record<string, unknown> = Object.fromEntries(policies.map((p): [string, unknown] => [p.metadata.name ?? '', { uid: p.metadata.uid, generation: p.metadata.generation }]));
    return { ...snap, ids };
  }

  before(async function () {
    if (process.env.NPH_E2E_DEFAULT_NS !== '1') {
      console.log('      SKIPPED: set NPH_E2E_DEFAULT_NS=1 (a kind cluster, a rehearsal, then a plan and two runs with manifests, about 6 minutes)');
      this.skip();
    }
    work = await mkdtemp(path.join(tmpdir(), 'nph-h22-'));
    kubeconfig = path.join(work, 'kubeconfig');
    const clusters = (await execa(KIND, ['get', 'clusters'])).stdout.split('\n');
    if (!clusters.includes(CLUSTER)) {
      const r = await cli(['run', path.join(FIX, 'bootstrap.yaml'), '--cluster-name', CLUSTER, '--keep', '--focus', 'wrong']);
      expect(r.exitCode, r.all).to.equal(0);
    }
    await execa('sh', ['-c', `${KIND} get kubeconfig --name ${CLUSTER} > ${kubeconfig}`]);
    // The recipes' way: bare pods with kubectl run, a Service with kubectl expose, the policy with kubectl apply.
    const image = defaultAgentImage();
    for (const [name, extra] of [['web', []], ['client', ['--labels=access=true']]] as const) {
      await kubectl(['delete', 'pod', name, '--ignore-not-found', '--wait']);
      await kubectl(['run', name, `--image=${image}`, '--image-pull-policy=IfNotPresent', ...extra, '--', 'serve', ...(name === 'web' ? ['--tcp', '80'] : [])]);
    }
    await kubectl(['delete', 'service', 'web', '--ignore-not-found']);
    await kubectl(['expose', 'pod', 'web', '--port', '80']);
    await kubectl(['apply', '-f', path.join(FIX, 'web-policy.yaml')]);
    await kubectl(['wait', '--for=condition=Ready', 'pod/web', 'pod/client', '--timeout=180s']);
  });

  after(async () => {
    if (process.env.NPH_E2E_DEFAULT_NS === '1' && !process.env.NPH_E2E_KEEP) await cli(['down', '--cluster-name', CLUSTER]);
  });

  it('discover -n default reads the bare pods and their Service ports, adds the DNS check and the attacker', async () => {
    const out = path.join(work, 'discovered');
    const r = await cli(['discover', '--kubeconfig', kubeconfig, '--context', CONTEXT, '-n', 'default', '-o', out]);
    console.log(`      ${/discovered .*/.exec(r.all)?.[0] ?? r.all}`);
    expect(r.exitCode, r.all).to.equal(0);
    const suite = parse(await readFile(path.join(out, 'suite.yaml'), 'utf8')) as { namespaces: object[]; workloads: Record<string, unknown>[]; probes: object[]; probe: object; cluster: object };
    expect(suite.namespaces).to.deep.include({ name: 'default', existing: true });
    const web = suite.workloads.find((w) => w.name === 'web')!;
    expect(web).to.deep.include({ namespace: 'default', existing: true, ref: 'pod/web', source: true, labels: { run: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] });
    expect(suite.workloads.find((w) => w.name === 'client')).to.deep.include({ ref: 'pod/client', labels: { access: 'true' } });
    expect(suite.probes).to.deep.equal([{ name: 'attacker', namespace: 'nph-attacker' }]);
    expect(suite.probe).to.deep.equal({ dnsNames: ['kubernetes.default.svc.cluster.local'] });
    expect(suite.cluster).to.deep.include({ cni: 'kube-router' });
    const v = await cli(['validate', out]);
    expect(v.exitCode, v.all).to.equal(0);
  });

  it('rehearses it through the Service by DNS name, attacker denied, and restores the policy and default exactly, field owners included', async () => {
    const before = await snapshot();
    expect(Object.keys(before.owners ?? {})).to.include('NetworkPolicy default/web-allow-access');
    const reports = path.join(work, 'run');
    const r = await cli(['run', path.join(work, 'discovered'), '--provider', 'existing', '--kubeconfig', kubeconfig, '--context', CONTEXT, '--allow-foreign-namespaces', '--via', 'dns', '--settle', '10000', '--report-dir', reports]);
    console.log(`      ${/run discovered-\S+: .*/.exec(r.all)?.[0] ?? r.all}`);
    expect(r.exitCode, r.all).to.equal(0);
    expect(r.all).to.match(/paths: \d+ through the Service DNS name/);
    const run = JSON.parse(await readFile(path.join(reports, 'results.json'), 'utf8')) as RunResult;
    const cells = run.steps[0]!.cells;
    const cell = (src: string, col: string) => cells.find((c) => c.src === src && c.col === col);
    const attacker = cell('nph-attacker/attacker', 'default/web:80/TCP');
    expect(attacker?.observed).to.deep.include({ verdict: 'deny', path: { via: 'dns', address: 'web.default.svc.cluster.local:80' } });
    expect(cell('default/client', 'default/web:80/TCP')?.observed).to.deep.include({ verdict: 'allow', path: { via: 'dns', address: 'web.default.svc.cluster.local:80' } });
    expect(cell('nph-attacker/attacker', 'dns:kubernetes.default.svc.cluster.local')?.observed?.verdict).to.equal('allow');
    const after = await snapshot();
    expect(snapshotDiff(before, after)).to.deep.equal([]);
    expect(after.ids).to.deep.equal(before.ids);
    expect((await kubectl(['get', 'namespace', 'default', '-o', 'name'])).stdout).to.equal('namespace/default');
    expect((await kubectl(['get', 'namespace', 'nph-attacker', '--ignore-not-found', '-o', 'jsonpath={.status.phase}'])).stdout).to.be.oneOf(['', 'Terminating']);
  });

  it('a suite that tests nothing is exit 2 "nothing was tested", and changes nothing', async () => {
    const before = await snapshot();
    const out = path.join(work, 'empty');
    const d = await cli(['discover', '--kubeconfig', kubeconfig, '--context', CONTEXT, '-n', 'kube-public', '--no-attacker', '-o', out]);
    expect(d.exitCode, d.all).to.equal(0);
    const r = await cli(['run', out, '--provider', 'existing', '--kubeconfig', kubeconfig, '--context', CONTEXT, '--allow-foreign-namespaces', '--skip-canary']);
    expect(r.exitCode, r.all).to.equal(2);
    expect(r.all).to.include('nothing was tested');
    expect(snapshotDiff(before, await snapshot())).to.deep.equal([]);
  });

  describe('manifests on --provider existing', () => {
    const MX = path.join(ROOT, 'test/e2e/fixtures/manifests-existing');
    let suiteDir = '';
    const userConfig = async () => JSON.parse((await kubectl(['get', 'configmap', 'web-config', '-n', 'mx-shop', '-o', 'json'])).stdout) as KObject;
    /** Everything but resourceVersion, which any write moves (and, by hand, the field owners kubectl adds). */
    const asFound = (o: KObject, owners = true) => {
      const { resourceVersion: _rv, managedFields, ...metadata } = o.metadata;
      return { ...o, metadata: { ...metadata, ...(owners ? { managedFields } : {}) } };
    };
    const present = async (what: string, ns?: string) => (await kubectl(['get', what, ...(ns ? ['-n', ns] : []), '--ignore-not-found', '-o', 'jsonpath={.metadata.name} {.status.phase}'])).stdout.trim();
    /** The run's objects are gone, its namespaces too (not left terminating: a next run could not use them); the user's namespace is still there. */
    async function expectRunObjectsGone(): Promise<void> {
      for (const what of ['deployment/web', 'service/web', 'networkpolicy/web-lockdown']) expect(await present(what, 'mx-shop'), what).to.equal('');
      for (const ns of ['mx-made', 'mx-client']) expect(await present(`namespace/${ns}`), ns).to.equal('');
      expect(await present('namespace/mx-shop')).to.equal('mx-shop Active');
    }
    const run = (dir: string, extra: string[] = []) => cli(['run', suiteDir, '--provider', 'existing', '--kubeconfig', kubeconfig, '--context', CONTEXT, '--allow-foreign-namespaces', '--report-dir', dir, ...extra]);

    before(async () => {
      suiteDir = path.join(work, 'manifests-existing');
      await mkdir(suiteDir, { recursive: true });
      for (const f of ['suite.yaml', 'policies.yaml']) await copyFile(path.join(MX, f), path.join(suiteDir, f));
      await writeFile(path.join(suiteDir, 'app.yaml'), (await readFile(path.join(MX, 'app.yaml.in'), 'utf8')).replaceAll('AGENT_IMAGE', defaultAgentImage()));
      // The team's namespace and ConfigMap, made with kubectl (its own field managers).
      await kubectl(['delete', 'namespace', 'mx-shop', 'mx-made', 'mx-client', '--ignore-not-found', '--wait']);
      await kubectl(['create', 'namespace', 'mx-shop']);
      await kubectl(['create', 'configmap', 'web-config', '-n', 'mx-shop', '--from-literal=mode=live']);
      await kubectl(['label', 'configmap', 'web-config', '-n', 'mx-shop', 'app=web']);
    });

    it('judges its cells, restores the user\'s ConfigMap byte for byte (field owners included), deletes what it created; rollback.yaml lists it all', async () => {
      const before = await userConfig();
      const plan = await cli(['run', suiteDir, '--plan', '--kubeconfig', kubeconfig, '--context', CONTEXT]);
      expect(plan.exitCode, plan.all).to.equal(0);
      expect(plan.all).to.include('~ apply over ConfigMap mx-shop/web-config (it exists)').and.include('+ create Deployment mx-shop/web').and.include('namespaces the run would create (and delete afterwards): mx-client, mx-made');
      expect(await userConfig()).to.deep.equal(before);
      const dir = path.join(work, 'mx-run');
      const r = await run(dir, ['--settle', '10000']);
      console.log(`      ${/run manifests-existing: .*/.exec(r.all)?.[0] ?? r.all}`);
      expect(r.exitCode, r.all).to.equal(0);
      const result = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as RunResult;
      expect(result.steps.map((s) => s.cells.map((c) => `${c.src} -> ${c.col}: ${c.observed?.verdict}`))).to.deep.equal([['mx-client/client -> mx-shop/web:8080/TCP: allow'], ['mx-client/client -> mx-shop/web:8080/TCP: deny']]);
      expect(asFound(await userConfig())).to.deep.equal(asFound(before));
      await expectRunObjectsGone();
      const file = path.join(dir, 'rollback.yaml');
      const text = await readFile(file, 'utf8');
      const docs = parseAllDocuments(text).map((d) => d.toJS() as KObject | null).filter((d): d is KObject => d !== null);
      expect(docs.map((d) => `${d.kind} ${d.metadata.namespace}/${d.metadata.name}`)).to.deep.equal(['ConfigMap mx-shop/web-config']);
      expect(docs[0]).to.deep.include({ data: { mode: 'live' } });
      expect(docs[0]!.metadata).to.deep.equal({ name: 'web-config', namespace: 'mx-shop', labels: { app: 'web' } });
      expect(JSON.parse(/^# {3}delete-objects: (.*)$/m.exec(text)?.[1] ?? 'null')).to.deep.equal([
        { apiVersion: 'v1', kind: 'Service', namespace: 'mx-shop', name: 'web' },
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'mx-shop', name: 'web' },
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'mx-made', name: 'note' },
        { apiVersion: 'v1', kind: 'Namespace', name: 'mx-made' },
        { apiVersion: 'v1', kind: 'Namespace', name: 'mx-client' },
      ]);
      expect(text).to.include('delete-networkpolicies: ["mx-shop/web-lockdown"]');
      // The API server accepts the file as the header says to apply it.
      const dry = await execa(KUBECTL, ['--kubeconfig', kubeconfig, '--context', CONTEXT, 'apply', '--server-side', '--force-conflicts', '--field-manager=netpol-harness', '--dry-run=server', '-f', file], { reject: false });
      expect(dry.exitCode, dry.stderr).to.equal(0);
    });

    it('a run killed with SIGKILL after its changes: the commands in rollback.yaml put everything back', async () => {
      const before = await userConfig();
      const dir = path.join(work, 'mx-killed');
      const child = run(dir, ['--skip-canary']);
      let output = '';
      child.all?.on('data', (d: Buffer) => (output += d.toString()));
      const end = Date.now() + 300_000;
      while (!output.includes('applied policy set lockdown') && child.exitCode === null && Date.now() < end) await new Promise((res) => setTimeout(res, 200));
      if (!output.includes('applied policy set lockdown')) expect.fail(`the run did not get to its second step:\n${output}`);
      child.kill('SIGKILL');
      await child;
      // Killed between its changes and its restore: the changes are all there.
      expect((await userConfig()).data).to.deep.equal({ mode: 'rehearsal', extra: '1' });
      expect(await present('deployment/web', 'mx-shop')).to.equal('web');
      expect(await present('networkpolicy/web-lockdown', 'mx-shop')).to.equal('web-lockdown');
      // The commands in the file's header, as a user would paste them.
      const file = path.join(dir, 'rollback.yaml');
      const commands = (await readFile(file, 'utf8')).split('\n').filter((l) => /^# {3}kubectl /.test(l)).map((l) => l.replace(/^# {3}/, '').replace(/\s+# .*$/, ''));
      expect(commands.length).to.equal(7); // the apply, the policy, 3 objects, 2 namespaces (no labels)
      for (const c of commands) {
        const args = c.replace(/ -f rollback\.yaml$/, ` -f ${file}`).split(' ').slice(1);
        const k = await execa(KUBECTL, args, { reject: false });
        expect(k.exitCode, `${c}: ${k.stderr}`).to.equal(0);
      }
      // By hand, kubectl's server-side apply makes netpol-harness an owner: compared without owners.
      expect(asFound(await userConfig(), false)).to.deep.equal(asFound(before, false));
      await expectRunObjectsGone();
    });
  });
});
