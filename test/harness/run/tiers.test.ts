// Steps that depend on ClusterNetworkPolicy on a cluster that does not enforce it: which steps, the
// reason, and how every report shows them ("not testable on this CNI", never a pass or a failure).
import { expect } from 'chai';
import { exitCodeFor } from '../../../harness/cli/commands/run.js';
import type { RunResult } from '../../../harness/diff/result.js';
import { summarizeRun } from '../../../harness/diff/three-way.js';
import { parseArtifact, renderArtifactJson, renderHtml, renderJUnit, renderMarkdown, renderRun } from '../../../harness/report/index.js';
import { notTestableReason, notTestableStep, stepNeedsTiers } from '../../../harness/run/tiers.js';
import { loadSuite } from '../../../harness/suite/load.js';

const NOT_SERVED = { served: false, enforced: false, reason: 'the cluster does not serve the ClusterNetworkPolicy API (no CustomResourceDefinition clusternetworkpolicies.policy.networking.k8s.io)' };

describe('run/tiers: steps that need ClusterNetworkPolicy', () => {
  it('zero-trust-cluster: only the steps with cluster policies in place need the tiers', async () => {
    const s = await loadSuite('suites/zero-trust-cluster/suite.yaml');
    expect(s.suite.steps.map((_, i) => stepNeedsTiers(s, i))).to.deep.equal([false, false, true, true, true, false]);
    expect(notTestableReason(s, 1, NOT_SERVED)).to.equal(undefined);
    expect(notTestableReason(s, 2, NOT_SERVED)).to.equal(
      'not testable on this CNI: the step depends on ClusterNetworkPolicy (baseline-default-deny), and the cluster does not serve the ClusterNetworkPolicy API (no CustomResourceDefinition clusternetworkpolicies.policy.networking.k8s.io)',
    );
    expect(notTestableReason(s, 2, { served: true, enforced: true, reason: '' })).to.equal(undefined);
    expect(notTestableReason(s, 3, { served: true, enforced: false, reason: 'CNI kube-router does not enforce it' })).to.match(/\(baseline-default-deny, guardrail-dns, guardrail-gateways\), and CNI kube-router does not enforce it$/);
  });

  it('every report shows the step as not testable with the reason; the run passes on the steps that ran', () => {
    const reason = 'not testable on this CNI: the step depends on ClusterNetworkPolicy (guard), and CNI kube-router does not enforce it';
    const run: RunResult = {
      schemaVersion: 1,
      suite: 'tiers',
      startedAt: '2026-11-30T21:00:00.000Z',
      finishedAt: '2026-11-30T21:00:10.000Z',
      cluster: { provider: 'kind', cni: 'kube-router' },
      axes: { sources: [{ id: 'x/a', kind: 'workload' }], columns: [{ key: 'x/b:80/TCP', kind: 'conn', dst: 'x/b', port: 80, protocol: 'TCP' }] },
      steps: [
        { name: 'np-only', durationMs: 1000, cells: [{ src: 'x/a', col: 'x/b:80/TCP', expected: 'allow', simulated: 'allow', observed: { class: 'connected', verdict: 'allow', attempts: 1 } }] },
        notTestableStep({ name: 'admin-deny', description: 'Admin tier' }, reason, new Date('2026-11-30T21:00:05.000Z'), 12),
      ],
    };
    const sum = summarizeRun(run);
    expect([sum.passed, sum.failedSteps, sum.notTestableSteps]).to.deep.equal([true, [], ['admin-deny']]);
    expect(exitCodeFor(sum, 0)).to.equal(0);
    const term = renderRun(run, { color: false, ascii: true });
    expect(term).to.include('[SKIP] step 2/2 admin-deny: Admin tier\n' + reason);
    expect(term).to.match(/PASSED, 2 steps, 1 passed, 0 failed, 1 not testable on this CNI/);
    const junit = renderJUnit(run);
    expect(junit).to.match(/<testsuites [^>]*tests="2"[^>]*skipped="1"/);
    expect(junit).to.include(`<skipped message="${reason}"/>`);
    expect(renderMarkdown(run)).to.include(`### ⏭️ admin-deny — Admin tier\n\n_${reason}_`);
    expect(renderHtml(run)).to.include(`NOT TESTABLE</span><h2>2/2 admin-deny</h2>`);
    const artifact = parseArtifact(JSON.parse(renderArtifactJson(run)), 'results.json');
    expect(artifact.steps[1]!.notTestable).to.equal(reason);
    expect(artifact.steps[1]!.cells).to.deep.equal([]);
  });
});
