// Probing the user's own workloads in place, on one real kind cluster (kube-router): CoreDNS (a
// scratch image) as a probe source through an ephemeral container; a UDP server that never replies
// and a TCP port where nothing listens, both judged by the destination witness; the ephemeral
// containers reused by a second session; suites/real-apps through `run` with its manifests
// applied as a user's would be. Needs the images of `npm run images` (the real-apps ones too).
// About 5 minutes on a 2-core machine, so it runs only with NPH_E2E_IN_PLACE=1 (see README).
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { ApiServerEphemeralApi } from '../../harness/apply/ephemeral.js';
import type { CellResult, StepResult } from '../../harness/diff/result.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { createProgress } from '../../harness/cluster/progress.js';
import { HarnessSession } from '../../harness/run/session.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const SUITE = path.join(ROOT, 'test/fixtures/e2e/in-place/suite.yaml');
const REAL_APPS = path.join(ROOT, 'suites/real-apps');
const CLUSTER = process.env.NPH_IN_PLACE_CLUSTER ?? 'nph-i10-e2e';
const env = readImagesEnv();
const KIND = process.env.NPH_KIND ?? env.NPH_KIND ?? 'kind';
const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const APP_IMAGES = ['nginx:1.22', 'python:3.11-slim', 'postgres:15', 'redis:7.0'];

const cell = (s: StepResult, src: string, col: string): CellResult => {
  const c = s.cells.find((x) => x.src === src && x.col === col);
  if (!c) throw new Error(`no cell ${src} -> ${col} in step ${s.name}: ${s.cells.map((x) => `${x.src}->${x.col}`).join(', ')}`);
  return c;
};

describe('probing in place (real cluster)', function () {
  this.timeout(1_200_000);
  let missing: string[] = [];
  let session: HarnessSession | undefined;
  const steps: StepResult[] = [];

  before(async function () {
    if (process.env.NPH_E2E_IN_PLACE !== '1') {
      console.log('SKIPPED: probing in place takes about 5 minutes; run it with NPH_E2E_IN_PLACE=1');
      missing = ['(not enabled)'];
      this.skip();
    }
    const present = await Promise.all(APP_IMAGES.map(async (i) => ((await execa(DOCKER, ['image', 'inspect', i], { reject: false })).exitCode === 0 ? undefined : i)));
    missing = present.filter((i): i is string => i !== undefined);
    if (missing.length > 0) {
      console.log(`SKIPPED: images ${missing.join(', ')} are not in the local Docker engine (build them: npm run images)`);
      this.skip();
    }
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    session = await HarnessSession.start(SUITE, { cluster: { name: CLUSTER }, keep: true, progress: createProgress({ stream: process.stderr, live: false }) });
    for (const r of session.inPlace?.injections ?? []) console.log(`    injection: ${r.role} ${r.container} in ${r.namespace}/${r.pod}: ${r.reused ? 'reused' : 'added'}, running after ${r.ms} ms`);
    steps.push(await session.runStep('open'));
    steps.push(await session.runStep('restricted'));
  });

  after(async () => {
    await session?.stop();
    if (missing.length === 0) await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
  });

  it('reads the ports of a workload it did not deploy from its containers (names and protocols)', () => {
    const cols = session!.result.axes.columns.filter((c) => c.kind === 'conn' && c.dst === 'lab/statsd');
    expect(cols.map((c) => `${c.key} ${c.kind === 'conn' ? (c.portName ?? '') : ''}`)).to.deep.equal(['lab/statsd:8125/UDP statsd', 'lab/statsd:81/TCP admin']);
  });

  it('probes from CoreDNS, a scratch image, through a non-root, read-only ephemeral container without a token', async () => {
    const [open] = steps;
    const c = cell(open!, 'kube-system/coredns', 'lab/client:80/TCP');
    expect(c.observed?.class, c.observed?.detail).to.equal('connected');
    const probe = session!.inPlace!.injections.find((i) => i.endpoint === 'kube-system/coredns')!;
    const pod: V1Pod = await new ApiServerEphemeralApi(session!.cluster!.kubeConfig).readPod('kube-system', probe.pod);
    const eph = pod.spec!.ephemeralContainers!.find((e) => e.name === probe.container)!;
    expect(eph.securityContext).to.deep.include({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(eph.volumeMounts ?? [], 'no service-account token (or any volume) is mounted into it').to.deep.equal([]);
  });

  it('UDP to a server that never replies: the witness sees the datagram arrive, so the cell is allowed', () => {
    const c = cell(steps[0]!, 'lab/client', 'lab/statsd:8125/UDP');
    expect(c.observed?.verdict, c.observed?.detail).to.equal('allow');
    expect(c.observed?.detail).to.include('witness: the probe arrived').and.include('the source saw timeout');
  });

  it('a TCP port where nothing listens is read as reached (the RST came from the pod, not a policy)', () => {
    const c = cell(steps[0]!, 'lab/client', 'lab/statsd:81/TCP');
    expect(c.observed?.verdict, c.observed?.detail).to.equal('allow');
    expect(c.observed?.detail).to.include('witness: the probe arrived').and.include('the source saw refused');
  });

  it('after the policy, what no longer arrives is a deny, and every cell matches the simulation', () => {
    const [open, restricted] = steps;
    for (const s of [open!, restricted!]) {
      const wrong = s.cells.filter((c) => c.observed?.verdict !== c.expected);
      expect(wrong.map((c) => `${s.name}: ${c.src} -> ${c.col}: expected ${c.expected}, observed ${c.observed?.class} (${c.observed?.detail ?? ''})`)).to.deep.equal([]);
    }
    expect(cell(restricted!, 'kube-system/coredns', 'lab/statsd:8125/UDP').observed?.detail).to.include('never arrived');
    expect(cell(restricted!, 'lab/client', 'lab/statsd:81/TCP').observed?.verdict).to.equal('deny');
    expect(cell(restricted!, 'lab/client', 'lab/statsd:8125/UDP').observed?.verdict).to.equal('allow');
  });

  it('a second run reuses the ephemeral containers instead of adding more', async () => {
    await session!.stop();
    session = await HarnessSession.start(SUITE, { cluster: { name: CLUSTER }, reuse: true, keep: true, skipCanary: true, progress: createProgress({ stream: process.stderr, live: false }) });
    const coredns = session.inPlace!.injections.find((i) => i.endpoint === 'kube-system/coredns')!;
    expect(coredns.reused).to.equal(true);
    const pod = await new ApiServerEphemeralApi(session.cluster!.kubeConfig).readPod('kube-system', coredns.pod);
    expect(pod.spec!.ephemeralContainers!.filter((e) => e.name.startsWith('nph-probe'))).to.have.length(1);
    await session.stop();
    session = undefined;
  });

  it('suites/real-apps passes through `run`, its manifests deployed as a user would', async () => {
    const r = await execa(process.execPath, [...CLI, 'run', REAL_APPS, '--cluster-name', CLUSTER, '--reuse', '--keep', '--skip-canary'], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' } });
    console.log(r.all?.split('\n').filter((l) => /step|probing|matched|container|discovered/.test(l)).join('\n'));
    expect(r.exitCode, r.all).to.equal(0);
  });
});
