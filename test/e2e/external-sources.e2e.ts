// Issue 22 item 5 end to end, on kind with kube-router: clients outside the cluster (containers on
// the kind network) as sources. A web workload admits an ipBlock holding the office clients' fixed
// addresses (picked from the kind network's subnet at run time); the office client reaches the pod
// IP (allowed: its own address reaches the policy), a stranger at another address is denied, and
// the same office range through the Service's ClusterIP and a NodePort (both source-NATed by
// kube-proxy on the control-plane node) get the engine's prediction for the node's address, or
// implementation-defined, never a failure. The report says which path each cell took and which
// ipBlock the client matched, or that none did. The user's own app (manifests, probed in place) is
// reached through its own NodePort Service. Slow: NPH_E2E_EXTERNAL_SOURCES=1.
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import type { CellResult, RunResult } from '../../harness/diff/result.js';
import { formatIp, parseCidr } from '../../harness/policy/ipblock.js';
import { defaultAgentImage } from '../../harness/apply/workloads.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const CLUSTER = process.env.NPH_E2E_EXTERNAL_SOURCES_CLUSTER ?? 'nph-e2e-ext-sources';
const env = readImagesEnv();
const KIND = process.env.NPH_KIND ?? env.NPH_KIND ?? 'kind';
const EXAMPLE = path.join(ROOT, 'suites/examples/external-clients');

function cli(args: string[]) {
  return execa(process.execPath, [...CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' }, forceKillAfterDelay: false });
}

/** The user's app: a Deployment and a NodePort Service targeting its named port. */
const shopManifest = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop, namespace: prod }
spec:
  replicas: 1
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      containers:
        - name: shop
          image: ${image}
          imagePullPolicy: IfNotPresent
          args: [serve, --tcp, "8080"]
          ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: shop, namespace: prod }
spec:
  type: NodePort
  selector: { app: shop }
  ports: [{ port: 80, targetPort: http }]
`;

/** The kind network's IPv4 subnet (created with the first kind cluster). */
async function kindSubnet(): Promise<string | undefined> {
  const r = await execa('docker', ['network', 'inspect', 'kind', '--format', '{{json .IPAM.Config}}'], { reject: false });
  if (r.exitCode !== 0) return undefined;
  return (JSON.parse(r.stdout) as { Subnet?: string }[]).map((c) => c.Subnet ?? '').find((s) => s !== '' && !s.includes(':'));
}

describe('e2e: external clients as sources (kind + kube-router)', function () {
  this.timeout(1_200_000);
  let work = '';
  let result: RunResult;
  let office = '';
  let officeRange = '';
  let runOutput = '';

  before(async function () {
    if (process.env.NPH_E2E_EXTERNAL_SOURCES !== '1') {
      console.log('      SKIPPED: set NPH_E2E_EXTERNAL_SOURCES=1 (a kind cluster and a two-step run, about 3 minutes)');
      this.skip();
    }
    work = await mkdtemp(path.join(tmpdir(), 'nph-ext-src-'));
    const clusters = (await execa(KIND, ['get', 'clusters'])).stdout.split('\n');
    if (!clusters.includes(CLUSTER) && (await kindSubnet()) === undefined) {
      // The kind network exists once a kind cluster does: bring this one up first.
      const r = await cli(['run', path.join(ROOT, 'test/e2e/fixtures/default-ns/bootstrap.yaml'), '--cluster-name', CLUSTER, '--keep']);
      expect(r.exitCode, r.all).to.equal(0);
    }
    const subnet = await kindSubnet();
    const range = subnet ? parseCidr(subnet) : undefined;
    if (!range || range.hi - range.lo < 1023n) {
      console.log(`      SKIPPED: the kind network has no IPv4 subnet of /22 or wider (${subnet ?? 'none'})`);
      this.skip();
    }
    // The top /24 of the subnet: far from the addresses Docker hands out in order (nodes, other externals).
    const base = range.hi - 255n;
    const at = (n: bigint) => formatIp({ family: 4, value: base + n });
    office = at(10n);
    officeRange = `${at(0n)}/28`;
    const dir = path.join(work, 'suite');
    await mkdir(path.join(dir, 'policies'), { recursive: true });
    const suite = (await readFile(path.join(EXAMPLE, 'suite.yaml'), 'utf8'))
      .replace('ip: 172.18.250.10', `ip: ${office}`)
      .replace('ip: 172.18.250.11', `ip: ${at(11n)}`)
      .replace('ip: 172.18.250.12', `ip: ${at(12n)}`);
    expect(suite).to.include(`ip: ${at(12n)}`);
    // Also the user's own app with its own NodePort Service (applied from manifests, probed in place).
    const withShop = suite
      .replace('workloads:\n', 'workloads:\n  - { name: shop, namespace: prod, existing: true, ref: deployment/shop, ports: [{ name: http, port: 8080 }] }\n')
      .concat('manifests:\n  - { file: shop.yaml }\n');
    expect(withShop).to.include('ref: deployment/shop');
    await writeFile(path.join(dir, 'suite.yaml'), withShop);
    await writeFile(path.join(dir, 'shop.yaml'), shopManifest(defaultAgentImage()));
    const policy = (await readFile(path.join(EXAMPLE, 'policies/web-from-office.yaml'), 'utf8')).replace('172.18.250.0/28', officeRange);
    await writeFile(path.join(dir, 'policies/web-from-office.yaml'), policy);
    const report = path.join(work, 'report');
    const r = await cli(['run', dir, '--cluster-name', CLUSTER, '--reuse', '--report-dir', report]);
    runOutput = r.all;
    console.log(`      ${/run external-clients: .*/.exec(r.all)?.[0] ?? r.all.slice(-2000)}`);
    expect(r.exitCode, r.all).to.equal(0);
    result = JSON.parse(await readFile(path.join(report, 'results.json'), 'utf8')) as RunResult;
  });

  after(async () => {
    if (process.env.NPH_E2E_EXTERNAL_SOURCES === '1' && !process.env.NPH_E2E_KEEP) await cli(['down', '--cluster-name', CLUSTER]);
  });

  const cell = (step: string, src: string, col = 'prod/web:80/TCP'): CellResult => {
    const c = result.steps.find((s) => s.name === step)!.cells.find((x) => x.src === src && x.col === col);
    expect(c, `${step}: ${src} -> ${col}`).to.not.equal(undefined);
    return c!;
  };

  it('with no policy, every client reaches the web server on every path (the routes and the NodePort work)', () => {
    for (const src of ['external:office', 'external:office-svc', 'external:office-np', 'external:stranger']) expect(cell('open', src).observed?.class, src).to.equal('connected');
    expect(cell('open', 'external:office-np').observed?.path?.via).to.equal('nodeport');
    expect(cell('open', 'external:office-svc').observed?.path?.via).to.equal('service');
    expect(cell('open', 'external:office').observed?.path?.via).to.equal('pod');
  });

  it('the office client at the pod IP is allowed by the ipBlock, and the report names it', () => {
    const c = cell('office-only', 'external:office');
    expect(c.observed?.class).to.equal('connected');
    expect(c.simulated).to.equal('allow');
    expect(c.explanation?.details).to.include(`ipBlock matched: external:office (${office}) is in ${officeRange} of prod/web-from-office ingress[0] from[0] ports[0]`);
    expect(c.observed?.repro).to.match(/^docker exec nph-.*-ext-office \/bin\/nph-agent probe/);
  });

  it('the stranger (not in the ipBlock) is denied, and the report says no ipBlock admitted it', () => {
    const c = cell('office-only', 'external:stranger');
    expect(c.observed?.class).to.be.oneOf(['refused', 'timeout']);
    expect(c.explanation?.details.some((l) => /^ipBlock matched: none of prod\/web-from-office admits external:stranger \(/.test(l))).to.equal(true);
  });

  it('through the ClusterIP and a NodePort the source is NATed: the engine predicted it (or said implementation-defined)', () => {
    for (const src of ['external:office-svc', 'external:office-np']) {
      const c = cell('office-only', src);
      expect(c.observed?.path?.note, src).to.match(/^through node .*control-plane, source-NATed by kube-proxy$/);
      expect(c.explanation?.summary, src).to.match(/source-NATs/);
      if (!c.engineUnknown) expect(c.observed?.verdict, src).to.equal(c.simulated);
      // The policy admits the office range, yet the backend sees the control-plane node: denied.
      expect(c.observed?.class, src).to.be.oneOf(['refused', 'timeout']);
    }
    expect(runOutput).to.match(/paths: .*through a NodePort on a node/);
  });

  it('the user\'s own app is reached from outside through its own NodePort and ClusterIP Service (targetPort mapped)', () => {
    const np = cell('office-only', 'external:office-np', 'prod/shop:8080/TCP');
    expect(np.observed?.class).to.equal('connected');
    expect(np.observed?.path?.via).to.equal('nodeport');
    expect(np.observed?.path?.address).to.match(/:3\d{4}$/);
    const svc = cell('office-only', 'external:office-svc', 'prod/shop:8080/TCP');
    expect([svc.observed?.class, svc.observed?.path?.via, svc.observed?.path?.address.endsWith(':80')]).to.deep.equal(['connected', 'service', true]);
  });

  it('the external containers are gone after the run', async () => {
    const left = await execa('docker', ['ps', '--all', '--quiet', '--filter', `label=netpol-harness.cluster=${CLUSTER}`, '--filter', 'label=netpol-harness.external']);
    expect(left.stdout.trim()).to.equal('');
  });
});
