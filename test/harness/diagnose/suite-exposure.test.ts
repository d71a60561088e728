import { expect } from 'chai';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exposureFrom, exposureTo, withAttacker } from '../../../harness/diagnose/exposure.js';
import { mapFlow } from '../../../harness/diagnose/mapping.js';
import { clusterModel } from '../../../harness/diagnose/model.js';
import { proposeAllow } from '../../../harness/diagnose/propose.js';
import { simulateFlow } from '../../../harness/diagnose/simulate.js';
import { diagnoseSuite, writeSuite } from '../../../harness/diagnose/suite.js';
import { PROFILES } from '../../../harness/policy/profiles.js';
import { explainCell, resolveStep } from '../../../harness/policy/suite-query.js';
import { prepare } from '../../../harness/policy/world.js';
import { loadValidSuite } from '../../../harness/suite/validate.js';
import { seedReading } from './fixture.js';

const profile = PROFILES['kube-router']!;

describe('diagnose --write-suite and exposure', () => {
  it('writes a suite that validates; its proposal step allows the flow, its as-found step denies it, as the engine says', async () => {
    const r = seedReading();
    r.pods.find((p) => p.metadata.name === 'frontend-aaa11-x1')!.metadata.labels!.app = 'front-end';
    const world = prepare(clusterModel(r), profile);
    const m = mapFlow(r, 'develop/frontend-aaa11-x1', 'backend.develop.svc.cluster.local:8080');
    const sim = simulateFlow(world, m);
    const proposal = proposeAllow(world, m, sim)!;
    const s = diagnoseSuite({ mapping: m, proposal, want: 'allow', pods: world.model.pods, namespaces: r.namespaces, policies: r.policies, cni: 'kube-router' });
    const dir = await mkdtemp(path.join(tmpdir(), 'nph-diag-suite-'));
    await writeSuite(s, dir);
    const { loaded } = await loadValidSuite(path.join(dir, 'suite.yaml'));
    expect(s.flowCells).to.deep.equal(['develop/frontend-aaa11-x1 -> develop/backend-bbb22-y1:8080/TCP']);
    const target = { kind: 'conn' as const, dst: 'develop/backend-bbb22-y1', port: 8080, protocol: 'TCP' as const };
    expect(explainCell(loaded, resolveStep(loaded, 'as-found'), 'develop/frontend-aaa11-x1', target, { profile })[0]!.verdict).to.equal('deny');
    expect(explainCell(loaded, resolveStep(loaded, 'proposal'), 'develop/frontend-aaa11-x1', target, { profile })[0]!.verdict).to.equal('allow');
    const w = loaded.suite.workloads.find((x) => x.name === 'frontend-aaa11-x1')!;
    expect(w).to.include({ existing: true, ref: 'pod/frontend-aaa11-x1', source: true });
  });

  it('exposure --to: one row per class of sources, with the attacker in a fresh namespace', () => {
    const r = seedReading();
    const world = withAttacker(prepare(clusterModel(r), profile), 'nph-diagnose-attacker');
    const db = world.model.pods.find((p) => p.id.startsWith('develop/production-db'))!;
    const rows = exposureTo(world, db, 5432, 'TCP');
    const by = (s: string) => rows.find((x) => x.sample.includes(s))!;
    expect(by('frontend').members).to.have.length(2); // replicas share a class
    expect(by('backend').simulated).to.equal('allow');
    expect(by('backend').allowedBy).to.include('develop/production-db-ingress ingress[0] from[0] ports[0]');
    expect(by('debug').simulated).to.equal('deny');
    expect(by('attacker').simulated).to.equal('deny');
  });

  it('exposure --from: every destination class and port the pod may reach', () => {
    const r = seedReading();
    const world = prepare(clusterModel(r), profile);
    const debug = world.model.pods.find((p) => p.id.startsWith('develop/debug'))!;
    const cols = exposureFrom(world, debug);
    expect(cols.filter((c) => c.simulated === 'allow').map((c) => `${c.sample}:${c.port}/${c.protocol}`)).to.deep.equal(['kube-system/coredns-fff66-c1:53/UDP', 'kube-system/coredns-fff66-c1:53/TCP']);
  });
});
