// ipBlock against a Service ClusterIP (spec N30) on a real kind cluster (kube-router here), one
// cluster for the file: `conformance --focus ipblock-service` probes y/svc through its pinned
// ClusterIP (everything else at pod IPs) and reports what the CNI did as implementation-defined,
// never as a deviation; then `run` on a user suite pinning a ClusterIP reproduces the N30 cell.
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConformanceReport } from '../../harness/conformance/verdict.js';
import type { RunResult } from '../../harness/diff/result.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { effectiveCni } from '../../harness/run/session.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const CLUSTER = 'nph-s-e2e';
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';
const KUBECTL = process.env.NPH_KUBECTL ?? readImagesEnv().NPH_KUBECTL ?? 'kubectl';
const cli = (args: string[]) => execa(process.execPath, [...CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' } });
/** The host a cell was probed at, from its repro command. */
const hostOf = (repro: string | undefined) => /"host":"([^"]+)"/.exec(repro ?? '')?.[1];

describe('through a Service on a real cluster (conformance --focus ipblock-service,service-target-port; run on a pinned-ClusterIP suite)', function () {
  this.timeout(900_000);
  const cni = effectiveCni('kube-router');
  let report: ConformanceReport;
  let results: RunResult;
  let output = '';
  let exitCode: number | undefined;
  let kubeconfig = '';

  before(async function () {
    // About 2-3 minutes with its own cluster: opt in with the other conformance e2e groups (README).
    if (process.env.NPH_E2E_CONFORMANCE !== '1') {
      console.log('    SKIPPED: set NPH_E2E_CONFORMANCE=1 to run the Service-IP conformance e2e (about 3 min, its own kind cluster)');
      this.skip();
    }
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    const dir = await mkdtemp(path.join(tmpdir(), 'nph-conformance-svc-'));
    const r = await cli(['conformance', '--cni', cni, '--cluster-name', CLUSTER, '--focus', 'ipblock-service,service-target-port', '--keep', '--report-dir', dir]);
    output = r.all;
    exitCode = r.exitCode;
    report = JSON.parse(await readFile(path.join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
    results = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as RunResult;
  });

  after(async () => {
    if (process.env.NPH_E2E_CONFORMANCE === '1' && process.env.NPH_E2E_KEEP !== '1') await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
  });

  it('exits 0: both cases are implementation-defined, read as post-DNAT (the typical answer), nothing deviates', () => {
    expect(exitCode, output).to.equal(0);
    expect(report.cases.map((c) => [c.id, c.status])).to.deep.equal([
      ['ipblock-cluster-ip', 'implementation-defined'],
      ['ipblock-backend-via-service', 'implementation-defined'],
      // N31: egress ports through a Service are the backend's targetPort (8080 behind Service port 8081).
      ['service-target-port', 'conforms'],
      ['service-port-not-target', 'conforms'],
    ]);
    const [n30, control] = report.cases.slice(0, 2).map((c) => c.implementationDefined![0]!);
    if (cni === 'kube-router') {
      expect(n30).to.deep.include({ cell: 'x/a -> y/svc:80/TCP', observed: 'deny', typical: 'deny' });
      expect(control).to.deep.include({ observed: 'allow', typical: 'allow' });
      expect(n30!.reading).to.match(/^post-DNAT/);
    }
    expect(report.features.find((f) => f.feature === 'ipblock-service')!.status).to.equal('implementation-defined');
    expect(report.cases.flatMap((c) => c.engineDisagreements)).to.deep.equal([]);
    expect(output).to.include('Implementation-defined').and.not.include('DEVIATES');
  });

  it('y/svc was probed at its pinned ClusterIP, every other destination at its pod IP', async () => {
    const cells = results.steps.flatMap((s) => s.cells);
    const svc = cells.filter((c) => c.col === 'y/svc:80/TCP' && c.observed?.repro);
    expect(svc.length).to.be.greaterThan(0);
    expect([...new Set(svc.map((c) => hostOf(c.observed!.repro)))]).to.deep.equal(['10.96.0.254']);
    // Container port 8080 is probed at the Service's port 8081.
    const via8081 = cells.filter((c) => c.col === 'y/svc:8080/TCP' && c.observed?.repro);
    expect(via8081.length).to.be.greaterThan(0);
    expect(via8081.every((c) => c.observed!.repro!.includes('"host":"10.96.0.254","port":8081'))).to.equal(true);
    const others = cells.filter((c) => !c.col.startsWith('y/svc') && !c.col.startsWith('external:') && c.observed?.repro);
    expect(others.length).to.be.greaterThan(0);
    expect(others.every((c) => hostOf(c.observed!.repro)!.startsWith('192.168.'))).to.equal(true);
    // --keep left the namespaces: the Service really holds the pinned address.
    kubeconfig = path.join(await mkdtemp(path.join(tmpdir(), 'nph-s-kc-')), 'kubeconfig');
    await writeFile(kubeconfig, (await execa(KIND, ['get', 'kubeconfig', '--name', CLUSTER])).stdout);
    const ip = await execa(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'service', '-n', 'y', 'svc', '-o', 'jsonpath={.spec.clusterIP}']);
    expect(ip.stdout).to.equal('10.96.0.254');
    // The next tests need the battery's namespaces gone again.
    await execa(KUBECTL, ['--kubeconfig', kubeconfig, 'delete', 'namespace', 'x', 'y', 'z', '--wait=true', '--timeout=180s']);
  });

  it('--provider existing without --service-subnet: the Service cases are "not testable" with the reason, the rest is judged', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nph-conformance-svc-existing-'));
    const r = await cli(['conformance', '--provider', 'existing', '--kubeconfig', kubeconfig, '--focus', 'ipblock-service,isolation-egress', '--report-dir', dir]);
    expect(r.exitCode, r.all).to.equal(0);
    const existing = JSON.parse(await readFile(path.join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
    const svc = existing.cases.filter((c) => c.features.includes('ipblock-service'));
    expect(svc.map((c) => c.status)).to.deep.equal(['not testable', 'not testable']);
    expect(svc.every((c) => /Service CIDR is unknown/.test(c.notTestableReason ?? ''))).to.equal(true);
    expect(existing.cases.find((c) => c.id === 'iso-egress')!.status).to.equal('conforms');
    expect(r.all).to.include('--service-subnet');
  });

  it('`run` on a user suite pinning a ClusterIP (workloads[].clusterIP) reproduces N30 three-way', async () => {
    const r = await cli(['run', 'test/fixtures/e2e/service-ip', '--cni', cni, '--cluster-name', CLUSTER, '--reuse']);
    expect(r.exitCode, r.all).to.equal(0);
    expect(r.all).to.match(/cluster-ip-block/);
  });
});
