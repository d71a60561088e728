// Suite-format dynamics on a real kind cluster (kube-router here): a policy replaced in place is an
// update of the same object (uid kept, resourceVersion moved) and traffic follows the new spec; a pod
// joining a selected set is isolated by the policy already there; recreated pods get new names and
// IPs while the verdicts hold; a namespace joins and leaves. One cluster for the file.
import * as chai from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { netpolChai } from '../../harness/chai/index.js';
import type { KObject } from '../../harness/cluster/kube-types.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { createProgress } from '../../harness/cluster/progress.js';
import type { StepResult } from '../../harness/diff/result.js';
import { effectiveCni, HarnessSession } from '../../harness/run/session.js';

chai.use(netpolChai);
const { expect } = chai;

const SUITE = path.resolve(import.meta.dirname, '..', 'fixtures', 'e2e', 'dynamics', 'suite.yaml');
const CLUSTER = 'nph-i13c-e2e';
const NS = 'nph-i13c-dyn';
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';

describe('suite dynamics on a real cluster: in-place policy update, pods and namespaces joining and leaving', function () {
  this.timeout(900_000);
  let session: HarnessSession;
  const results = new Map<string, StepResult>();

  const policy = async (): Promise<KObject | undefined> =>
    session.cluster!.client.get({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: NS, name: 'web-ingress' });
  const endpoint = (id: string) => session.deployment!.endpoints.get(id);
  const cell = (step: string, src: string, col: string) => results.get(step)!.cells.find((c) => c.src === src && c.col === col);
  const run = async (step: string): Promise<StepResult> => {
    const r = await session.runStep(step);
    results.set(step, r);
    expect(r).to.matchReachability();
    expect(r.cells.every((c) => c.simulated === c.expected), 'no authoring disagreement').to.equal(true);
    return r;
  };

  before(async () => {
    // A cluster of this name left by an interrupted earlier run may be half dead: start fresh.
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    session = await HarnessSession.start(SUITE, {
      cluster: { provider: 'kind', name: CLUSTER, cni: effectiveCni('kube-router') },
      progress: createProgress({ stream: process.stderr, live: false }),
    });
  });

  after(async () => {
    await session?.stop();
  });

  it('deploys only what is present from the start', async () => {
    expect([...session.deployment!.endpoints.keys()].sort()).to.deep.equal([`${NS}/client`, `${NS}/db`, `${NS}/stranger`, `${NS}/web`]);
    const namespaces = (await session.cluster!.client.list('v1', 'Namespace')).map((n) => n.metadata.name);
    expect(namespaces).to.include(NS);
    expect(namespaces).to.not.include('nph-i13c-late');
  });

  let v1: KObject;
  it('v1: web-ingress admits clients', async () => {
    await run('v1');
    v1 = (await policy())!;
    process.stderr.write(`  web-ingress after v1: uid ${v1.metadata.uid} resourceVersion ${v1.metadata.resourceVersion}\n`);
    expect(v1.metadata.labels?.['netpol-harness/set']).to.equal('web-v1');
    expect(cell('v1', `${NS}/client`, `${NS}/web:8080/TCP`)?.observed?.verdict).to.equal('allow');
    expect(cell('v1', `${NS}/stranger`, `${NS}/web:8080/TCP`)?.observed?.verdict).to.equal('deny');
  });

  it('join: a pod created into the selected set is isolated by the policy already in place', async () => {
    const r = await run('join');
    expect(endpoint(`${NS}/web2`)?.pods[0]?.ip).to.match(/^\d+\.\d+\.\d+\.\d+$/);
    expect(cell('join', `${NS}/client`, `${NS}/web2:8080/TCP`)?.observed?.verdict).to.equal('allow');
    expect(cell('join', `${NS}/stranger`, `${NS}/web2:8080/TCP`)?.observed?.verdict).to.equal('deny');
    // The newcomer is a source too.
    expect(r.cells.some((c) => c.src === `${NS}/web2` && c.observed?.class === 'connected')).to.equal(true);
  });

  it('replace: applying web-v2 updates web-ingress in place (same uid, new resourceVersion) and traffic follows the new spec', async () => {
    await run('replace');
    const v2 = (await policy())!;
    process.stderr.write(`  web-ingress after replace: uid ${v2.metadata.uid} resourceVersion ${v2.metadata.resourceVersion}\n`);
    expect(v2.metadata.uid, 'the same object: an update, not delete + create').to.equal(v1.metadata.uid);
    expect(v2.metadata.resourceVersion).to.not.equal(v1.metadata.resourceVersion);
    expect(v2.metadata.labels?.['netpol-harness/set']).to.equal('web-v2');
    expect(JSON.stringify(v2.spec)).to.include('stranger');
    expect(cell('replace', `${NS}/client`, `${NS}/web:8080/TCP`)?.observed?.verdict).to.equal('deny');
    expect(cell('replace', `${NS}/stranger`, `${NS}/web:8080/TCP`)?.observed?.verdict).to.equal('allow');
    expect(cell('replace', `${NS}/stranger`, `${NS}/web2:8080/TCP`)?.observed?.verdict).to.equal('allow');
  });

  it('recreate: web and the stranger probe get new pods and new IPs, and the verdicts hold', async () => {
    const before = { web: endpoint(`${NS}/web`)!.pods[0]!, stranger: endpoint(`${NS}/stranger`)!.pods[0]! };
    await run('recreate');
    const after = { web: endpoint(`${NS}/web`)!.pods[0]!, stranger: endpoint(`${NS}/stranger`)!.pods[0]! };
    for (const k of ['web', 'stranger'] as const) process.stderr.write(`  ${k}: ${before[k].name} ${before[k].ip} -> ${after[k].name} ${after[k].ip}\n`);
    expect(after.web.name).to.not.equal(before.web.name);
    expect(after.web.ip, 'a new pod IP for web').to.not.equal(before.web.ip);
    expect(after.stranger.name).to.not.equal(before.stranger.name);
    expect(after.stranger.ip, 'a new pod IP for the source').to.not.equal(before.stranger.ip);
    // The prober used the new source pod.
    expect(cell('recreate', `${NS}/stranger`, `${NS}/web:8080/TCP`)?.observed?.repro).to.include(after.stranger.name);
    expect(cell('recreate', `${NS}/stranger`, `${NS}/web:8080/TCP`)?.observed?.verdict).to.equal('allow');
    expect(cell('recreate', `${NS}/client`, `${NS}/web:8080/TCP`)?.observed?.verdict).to.equal('deny');
  });

  it('remove-old: removing web-v1 leaves web-ingress, which web-v2 owns now', async () => {
    await run('remove-old');
    const p = await policy();
    expect(p?.metadata.uid).to.equal(v1.metadata.uid);
    expect(p?.metadata.labels?.['netpol-harness/set']).to.equal('web-v2');
  });

  it('late: a namespace and a probe in it join; leave: they and web2 go, and absent endpoints have no cells', async () => {
    const late = await run('late');
    expect(late.cells.filter((c) => c.src === 'nph-i13c-late/visitor')).to.have.length(3);
    expect(cell('late', 'nph-i13c-late/visitor', `${NS}/web:8080/TCP`)?.observed?.verdict).to.equal('deny');
    expect(cell('late', 'nph-i13c-late/visitor', `${NS}/db:5432/TCP`)?.observed?.verdict).to.equal('allow');
    const leave = await run('leave');
    expect(leave.cells.some((c) => c.src.startsWith('nph-i13c-late/') || c.src === `${NS}/web2` || c.col.startsWith(`${NS}/web2:`))).to.equal(false);
    expect(leave.cells).to.have.length(6);
    expect(endpoint(`${NS}/web2`)).to.equal(undefined);
    expect(await session.cluster!.client.get({ apiVersion: 'v1', kind: 'Namespace', name: 'nph-i13c-late' })).to.equal(undefined);
  });
});
