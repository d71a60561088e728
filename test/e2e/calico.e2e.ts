// Real Calico v3.32.1 (the CNI users install after the seed lesson), built into the local Docker
// engine (../shared/calico/build/build.sh) and installed from the pinned VXLAN manifest: the seed
// suite on both dataplanes, suites/zero-trust-cluster (Admin and Baseline tiers), suites/real-apps,
// and the whole conformance battery, which must end with every feature conforming (SCTP traffic
// and the implementation-defined cells aside), drop/drop, and the calico engine profile.
// Opt in with NPH_E2E_CALICO=1 (about 25 min); SKIPPED with the reason when the images are absent.
// NPH_E2E_CALICO_CLUSTER names the kind cluster (default nph-calico-e2e; one at a time).
import { expect } from 'chai';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CALICO_IMAGES } from '../../harness/cluster/cni/calico.js';
import { localImages } from '../../harness/cluster/images.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { execaRunner } from '../../harness/cluster/command.js';
import type { ConformanceReport } from '../../harness/conformance/verdict.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const CLUSTER = process.env.NPH_E2E_CALICO_CLUSTER ?? 'nph-calico-e2e';
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';
const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const MANIFEST = process.env.NPH_CALICO_MANIFEST ?? path.resolve(ROOT, '..', 'shared', 'calico', 'calico-vxlan-v3.32.1.yaml');
const CALICO = ['--cni', 'calico', '--calico-manifest', MANIFEST, '--cluster-name', CLUSTER];

const cli = (args: string[]) => execa(process.execPath, [...CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' }, forceKillAfterDelay: false });
const deleteCluster = () => execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });

/** Why the group cannot run here, or undefined. */
async function missing(): Promise<string | undefined> {
  if (process.env.NPH_E2E_CALICO !== '1') return 'set NPH_E2E_CALICO=1 to run the real-Calico e2e group (about 25 min, its own kind cluster)';
  if (!existsSync(MANIFEST)) return `the Calico manifest ${MANIFEST} does not exist (set NPH_CALICO_MANIFEST)`;
  const present = await localImages(CALICO_IMAGES, execaRunner, DOCKER).catch((): string[] => []);
  const absent = CALICO_IMAGES.filter((i) => !present.includes(i));
  if (absent.length > 0) return `the Calico images are not in the local Docker engine (${absent.join(', ')}): build them with ../shared/calico/build/build.sh`;
  return undefined;
}

describe('real Calico v3.32.1 (NPH_E2E_CALICO=1)', function () {
  this.timeout(1_800_000);
  let skip: string | undefined;

  before(async function () {
    skip = await missing();
    if (skip) {
      console.log(`    SKIPPED: ${skip}`);
      this.skip();
    }
    await deleteCluster();
  });

  after(async () => {
    if (!skip) await deleteCluster();
  });

  describe('iptables dataplane (one cluster, kept between the runs)', () => {
    it('the seed suite passes', async () => {
      const r = await cli(['run', 'suites/zero-trust', ...CALICO, '--keep', '--reuse', '--focus', 'wrong']);
      expect(r.exitCode, r.all).to.equal(0);
      expect(r.all).to.match(/PASSED/);
    });

    it('suites/zero-trust-cluster passes: the Admin and Baseline tiers are enforced as the engine predicts', async () => {
      const r = await cli(['run', 'suites/zero-trust-cluster', ...CALICO, '--keep', '--reuse', '--focus', 'wrong']);
      expect(r.exitCode, r.all).to.equal(0);
      expect(r.all).not.to.match(/not testable/);
    });

    it('suites/real-apps passes (its images preloaded from the local engine)', async function () {
      const images = ['nginx:1.22', 'postgres:15', 'python:3.11-slim', 'redis:7.0'];
      const present = await localImages(images, execaRunner, DOCKER).catch((): string[] => []);
      const absent = images.filter((i) => !present.includes(i));
      if (absent.length > 0) {
        console.log(`      SKIPPED: suites/real-apps needs ${absent.join(', ')} in the local Docker engine (no registry access)`);
        this.skip();
      }
      const r = await cli(['run', 'suites/real-apps', ...CALICO, '--keep', '--reuse', '--focus', 'wrong']);
      expect(r.exitCode, r.all).to.equal(0);
    });

    it('the whole battery: every feature conforms (SCTP traffic and implementation-defined cells aside), drop/drop, engine profile calico', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'nph-calico-conformance-'));
      const r = await cli(['conformance', ...CALICO, '--reuse', '--report-dir', dir]);
      const report = JSON.parse(await readFile(path.join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
      assertCalicoBattery(report, r.all, r.exitCode);
      expect(report.dataplane).to.equal('iptables');
    });
  });

  describe('nftables dataplane (a new cluster: kube-proxy in nftables mode)', () => {
    before(deleteCluster);

    it('the seed suite passes, and the run records the nftables dataplane', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'nph-calico-nft-'));
      const r = await cli(['run', 'suites/zero-trust', ...CALICO, '--calico-dataplane', 'nftables', '--keep', '--focus', 'wrong', '--report-dir', dir]);
      expect(r.exitCode, r.all).to.equal(0);
      const results = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as { cluster: { cni: string; cniVersion?: string; dataplane?: string } };
      expect(results.cluster).to.include({ cni: 'calico', cniVersion: 'v3.32.1', dataplane: 'nftables' });
    });

    it('the whole battery on nftables: the same answer', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'nph-calico-nft-conformance-'));
      const r = await cli(['conformance', ...CALICO, '--calico-dataplane', 'nftables', '--reuse', '--report-dir', dir]);
      const report = JSON.parse(await readFile(path.join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
      assertCalicoBattery(report, r.all, r.exitCode);
      expect(report.dataplane).to.equal('nftables');
    });
  });
});

/** Issue 21, item 5: what the battery must say on real Calico. */
function assertCalicoBattery(report: ConformanceReport, output: string, exitCode: number | undefined): void {
  expect(exitCode, output).to.equal(0);
  expect(report).to.deep.include({ cni: 'calico', cniVersion: 'v3.32.1' });
  expect(report.engineProfile).to.deep.equal({ name: 'calico', source: 'flag' });
  const wrong = report.features.filter((f) => f.status !== 'conforms' && f.status !== 'implementation-defined' && !(f.feature === 'protocol-sctp' && f.status === 'not testable'));
  expect(wrong.map((f) => `${f.feature}: ${f.status} ${f.deviating.join('; ')} ${f.note ?? ''}`), output).to.deep.equal([]);
  expect(report.cases.filter((c) => c.status === 'deviates').map((c) => c.id)).to.deep.equal([]);
  expect(report.denyStyle.ingress.style).to.equal('drop');
  expect(report.denyStyle.egress.style).to.equal('drop');
  expect(report.profile.suggested).to.equal('calico');
  expect(report.profile.matching).to.include('calico');
  expect(output).not.to.include('engine bug');
}
