// `netpol-harness conformance` on a real kind cluster (kube-router here), a --focus subset so the
// file stays quick: isolation cases conform, the deny style per direction is read from the probe
// classes, the suggested engine profile is the installed CNI's, and bad --focus changes nothing.
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConformanceReport } from '../../harness/conformance/verdict.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { effectiveCni } from '../../harness/run/session.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const CLUSTER = 'nph-i12-e2e';
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';
const cli = (args: string[]) => execa(process.execPath, [...CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' } });

describe('conformance on a real cluster (--focus isolation-ingress,isolation-egress,ipblock-external)', function () {
  this.timeout(900_000);
  const cni = effectiveCni('kube-router');
  let report: ConformanceReport;
  let output = '';
  let exitCode: number | undefined;

  before(async function () {
    // About 3 minutes, most of it the cluster: opt in (README "What does this CNI enforce?").
    if (process.env.NPH_E2E_CONFORMANCE !== '1') {
      console.log('    SKIPPED: set NPH_E2E_CONFORMANCE=1 to run the conformance e2e (about 3 min, its own kind cluster)');
      this.skip();
    }
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    const dir = await mkdtemp(path.join(tmpdir(), 'nph-conformance-'));
    const r = await cli(['conformance', '--cni', cni, '--cluster-name', CLUSTER, '--focus', 'isolation-ingress,isolation-egress,ipblock-external', '--report-dir', dir]);
    output = r.all;
    exitCode = r.exitCode;
    report = JSON.parse(await readFile(path.join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
  });

  it('exits 0 with every focused case conforming, and prints the feature table', () => {
    expect(exitCode, output).to.equal(0);
    expect(report.cni).to.equal(cni);
    expect(report.cases.map((c) => c.id)).to.include.members(['iso-ingress', 'iso-egress', 'delete', 'ipblock-external']);
    expect(report.cases.filter((c) => c.status !== 'conforms').map((c) => c.id)).to.deep.equal([]);
    expect(report.features.find((f) => f.feature === 'isolation-ingress')!.status).to.equal('conforms');
    expect(output).to.match(/\| policyTypes Ingress isolates ingress \(`isolation-ingress`\) \| conforms \|/);
  });

  it('the engine agrees with the spec on every cell the cluster probed', () => {
    expect(report.cases.flatMap((c) => c.engineDisagreements)).to.deep.equal([]);
  });

  it('observes how the CNI denies, per direction, and suggests the matching engine profile', () => {
    if (cni === 'kube-router') expect(report.denyStyle.ingress.style).to.equal('reject');
    expect(report.denyStyle.ingress.refused + report.denyStyle.ingress.timeout).to.be.greaterThan(0);
    expect(report.denyStyle.egress.refused + report.denyStyle.egress.timeout).to.be.greaterThan(0);
    expect(report.profile.matching).to.include(cni);
    expect(report.profile.suggested).to.equal(cni);
  });

  it('measures time to enforce per kind of change from per-cell times, and packs independent cases into shared rounds', () => {
    const create = report.timing.find((t) => t.change === 'policy-create')!;
    expect(create.steps).to.be.greaterThan(3);
    expect(create.basis).to.equal('cells');
    expect(create.samples).to.be.greaterThan(20);
    expect(create.maxMs).to.be.a('number').and.at.least(create.p95Ms!);
    expect(report.timing.map((t) => t.change)).to.include('policy-delete');
    expect(report.packing!.lanes).to.be.greaterThan(1);
    expect(report.packing!.rounds).to.be.lessThan(report.cases.length);
    // Every case keeps its own verdict and its own time, whichever lane it ran in.
    expect(report.cases.filter((c) => (c.lane ?? 0) > 0).length).to.be.greaterThan(0);
    expect(report.cases.every((c) => c.timeToEnforceMs.every((t) => typeof t === 'number'))).to.equal(true);
  });

  it('an unknown --focus exits 2 listing the features, before any cluster exists', async () => {
    const r = await cli(['conformance', '--cluster-name', 'nph-i12-e2e-never', '--focus', 'isolation']);
    expect(r.exitCode).to.equal(2);
    expect(r.all).to.match(/unknown feature "isolation"/).and.match(/isolation-ingress/);
    const clusters = await execa(KIND, ['get', 'clusters'], { reject: false });
    expect(clusters.stdout).not.to.include('nph-i12-e2e-never');
  });

  after(async function () {
    if (process.env.NPH_E2E_CONFORMANCE !== '1') return;
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
  });
});
