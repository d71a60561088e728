import { expect } from 'chai';
import { compare } from '../../../harness/diagnose/compare.js';
import { proposalSection } from '../../../harness/diagnose/index.js';
import { mapFlow } from '../../../harness/diagnose/mapping.js';
import { clusterModel } from '../../../harness/diagnose/model.js';
import { proposeAllow } from '../../../harness/diagnose/propose.js';
import { renderFlow } from '../../../harness/diagnose/render.js';
import { DIAGNOSE_SCHEMA_VERSION, type FlowReport } from '../../../harness/diagnose/report.js';
import { DiagnoseReportSchema } from '../../../harness/diagnose/report-schema.js';
import { simulateFlow } from '../../../harness/diagnose/simulate.js';
import { PROFILES } from '../../../harness/policy/profiles.js';
import { prepare } from '../../../harness/policy/world.js';
import { seedReading } from './fixture.js';

function typoReport(probed: boolean): FlowReport {
  const r = seedReading();
  r.pods.find((p) => p.metadata.name === 'frontend-aaa11-x1')!.metadata.labels!.app = 'front-end';
  const world = prepare(clusterModel(r), PROFILES['kube-router']!);
  const mapping = mapFlow(r, 'develop/frontend-aaa11-x1', 'backend.develop.svc.cluster.local:8080');
  const simulation = simulateFlow(world, mapping);
  const lines = probed ? [{ id: 'dns', what: 'resolve', outcome: 'connected' as const }, { id: 'cluster-ip', what: 'TCP ClusterIP', outcome: 'dropped' as const }] : undefined;
  const comparison = compare(mapping, simulation, lines);
  return {
    schemaVersion: DIAGNOSE_SCHEMA_VERSION,
    kind: 'flow',
    context: 'kind-x',
    profile: 'kube-router',
    mapping,
    simulation,
    triage: simulation.backends.flatMap((b) => b.triage),
    probe: probed ? { ran: true, lines: lines! } : { ran: false, skipped: 'this user may not probe in place', needs: ['patch pods/ephemeralcontainers in namespace develop (subresource ephemeralcontainers): add the probe ephemeral container (nph-probe)'] },
    comparison,
    want: 'allow',
    verdict: { simulated: simulation.verdict, observed: comparison.observed, judgedBy: probed ? 'observed' : 'simulated', met: false },
    proposal: proposalSection(proposeAllow(world, mapping, simulation)!),
    notes: [],
    timings: { readMs: 10, totalMs: 20 },
  };
}

describe('diagnose report', () => {
  it('-o json validates against the schema (schema/diagnose.schema.json comes from it)', () => {
    for (const probed of [true, false]) {
      const r = DiagnoseReportSchema.safeParse(JSON.parse(JSON.stringify(typoReport(probed))));
      expect(r.success, JSON.stringify(r.error?.issues)).to.equal(true);
    }
    expect(DiagnoseReportSchema.safeParse({ ...typoReport(true), kind: 'nope' }).success).to.equal(false);
  });

  it('the text names the deciding refs, the triage, the proposal with its blast radius, and the verdict', () => {
    const text = renderFlow(typoReport(true));
    expect(text).to.include('target  Service develop/backend (backend.develop.svc.cluster.local)');
    expect(text).to.include('-> targetPort "http" (named)');
    expect(text).to.include('ingress of develop/backend-bbb22-y1: DENY: isolated by develop/default-deny, develop/allow-backend-ingress');
    expect(text).to.include('the source pod has app=front-end (a typo of frontend?)');
    expect(text).to.include('name: diagnose-allow-front-end-to-backend-ingress');
    expect(text).to.include('blast radius (engine,');
    expect(text).to.include('verdict: observed DENY; wanted ALLOW: NOT met (exit 1)');
  });

  it('a view-only user gets the mapping, the explanation and the list of what probing needs', () => {
    const text = renderFlow(typoReport(false));
    expect(text).to.include('not probed: this user may not probe in place');
    expect(text).to.include('needs patch pods/ephemeralcontainers in namespace develop');
    expect(text).to.include('explain (the live policies, simulated): DENY');
    expect(text).to.include('verdict: simulated DENY');
  });
});
