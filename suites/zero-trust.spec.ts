// The seed suite as a mocha suite: the same library the CLI uses, one `it` per step, asserted with
// the chai reachability matcher (its failure message is the diff table). Runs on a real cluster only
// (npm run test:e2e); the cluster is created for this file and deleted after it.
import * as chai from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { netpolChai } from '../harness/chai/index.js';
import type { StepResult } from '../harness/diff/result.js';
import { HarnessSession } from '../harness/run/session.js';
import { createProgress } from '../harness/cluster/progress.js';
import { kindClusters } from '../harness/cluster/providers/kind.js';
import { execaRunner } from '../harness/cluster/command.js';
import { readImagesEnv } from '../harness/cluster/paths.js';

chai.use(netpolChai);
const { expect } = chai;

const SUITE = path.join(import.meta.dirname, 'zero-trust', 'suite.yaml');
// NPH_E2E_ZERO_TRUST_CLUSTER: a name of your own (several checkouts may run e2e on one machine).
const CLUSTER = process.env.NPH_E2E_ZERO_TRUST_CLUSTER ?? 'nph-e2e-zero-trust';

describe('suite zero-trust (real cluster)', function () {
  this.timeout(900_000);
  let session: HarnessSession;
  const results = new Map<string, StepResult>();

  before(async () => {
    // A cluster of this name left by an interrupted earlier run may be half dead: start fresh.
    await execa(readImagesEnv().NPH_KIND ?? 'kind', ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    session = await HarnessSession.start(SUITE, { cluster: { name: CLUSTER }, progress: createProgress({ stream: process.stderr, live: false }) });
  });

  after(async () => {
    await session?.stop();
  });

  it('provisions 1 control plane + 2 workers and the canary proves enforcement across nodes', async () => {
    const nodes = await session.cluster!.nodes();
    expect(nodes.filter((n) => n.role === 'worker')).to.have.length(2);
    expect(nodes.every((n) => n.ready)).to.equal(true);
    expect(session.canary, 'the enforcement canary ran').to.not.equal(undefined);
    expect(['refused', 'timeout']).to.include(session.canary!.denyClass);
    const workloadNodes = new Set([...session.deployment!.endpoints.values()].filter((e) => e.kind !== 'existing').flatMap((e) => e.pods.map((p) => p.node)));
    expect(workloadNodes.size, 'workloads spread over both workers').to.equal(2);
  });

  for (const step of ['open-cluster', 'default-deny', 'dns-mistake', 'allow-dns', 'allow-gateway-ingress', 'egress-rules', 'attacker-probe', 'rollback']) {
    it(`step ${step} matches its expected reachability`, async () => {
      const r = await session.runStep(step);
      results.set(step, r);
      expect(r).to.matchReachability();
      expect(r.timeToEnforceMs, 'the whole matrix matched and was confirmed').to.be.a('number');
    });
  }

  it('default deny breaks DNS (a DNS failure, not an error) and allow-dns repairs it', () => {
    const dns = (step: string, src: string) => results.get(step)!.cells.find((c) => c.src === src && c.col.startsWith('dns:'))!;
    expect(dns('default-deny', 'develop/frontend').observed!.class).to.equal('dns-failure');
    expect(dns('dns-mistake', 'develop/frontend').observed!.class).to.equal('dns-failure');
    expect(dns('allow-dns', 'develop/frontend').observed!.class).to.equal('connected');
  });

  it("the compromised debug pod's lateral movement to production-db is denied at the network", () => {
    const cell = results.get('attacker-probe')!.cells.find((c) => c.src === 'develop/debug' && c.col === 'develop/production-db:5432/TCP')!;
    // The seed's check is that the attempt times out (curl exit 28): Calico drops denied traffic, so
    // there it must be a timeout. kube-router mixes reject and drop (this very cell has been seen
    // both `refused` and `timeout` across runs), so there it must be a deny, never a connect or an error.
    const allowed = session.spec.cni === 'calico' ? ['timeout'] : ['timeout', 'refused'];
    expect(allowed, `lateral movement on ${session.spec.cni}`).to.include(cell.observed!.class);
    expect(cell.observed!.repro).to.match(/^kubectl .*exec -n develop .* -- \/bin\/nph-agent probe --targets/);
    const open = results.get('open-cluster')!.cells.find((c) => c.src === 'develop/debug' && c.col === 'develop/production-db:5432/TCP')!;
    expect(open.observed!.class, 'and it was reachable before the policies').to.equal('connected');
  });

  it('on the freshly created cluster, the settle phase ran before the first step and no step reports distrusted cells', () => {
    const phases = session.result.phases ?? [];
    expect(phases.map((p) => p.name)).to.include.members(['cluster', 'cni', 'settle', 'canary', 'deploy']);
    expect(phases.find((p) => p.name === 'cluster')?.detail).to.equal('created');
    expect(phases.find((p) => p.name === 'settle')?.detail).to.match(/^settled; /);
    const distrusted = [...results].filter(([, r]) => (r.infrastructure?.distrusted ?? 0) > 0 || (r.infrastructure?.distrustedMs ?? 0) > 0);
    expect(
      distrusted.map(([step, r]) => `${step}: ${r.infrastructure!.distrusted} distrusted, ${r.infrastructure!.distrustedMs ?? 0} ms; ${r.infrastructure!.events.map((e) => `${e.kind} ${e.subject}`).join(', ')}`),
    ).to.deep.equal([]);
    for (const [step, r] of results) expect(r.phases, `step ${step} records apply/probe/confirm`).to.include.keys('applyMs', 'probeMs', 'confirmMs');
  });

  it('every simulated verdict agrees with the observation (the CNI enforces what the policies say)', () => {
    for (const [step, r] of results) {
      const off = r.cells.filter((c) => c.simulated !== undefined && c.observed?.verdict !== c.simulated);
      expect(off.map((c) => `${step}: ${c.src} -> ${c.col}`)).to.deep.equal([]);
    }
  });

  it('stop() deletes the cluster it created', async () => {
    await session.stop();
    const env = readImagesEnv();
    const left = await kindClusters(execaRunner, process.env.NPH_KIND ?? env.NPH_KIND ?? 'kind');
    expect(left).to.not.include(CLUSTER);
  });
});
