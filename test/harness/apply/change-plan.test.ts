import { expect } from 'chai';
import { differingFields, planChanges, renderPlan } from '../../../harness/apply/change-plan.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { existingDeny, live, np, policies, steps } from './plan-fixtures.js';

describe('apply/change-plan', () => {
  it('names the fields that differ, ignoring server fields and the harness labels', () => {
    const next = { ...(np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }) as unknown as KObject) };
    next.metadata = { ...next.metadata, labels: { 'app.kubernetes.io/managed-by': 'netpol-harness', 'netpol-harness/set': 'x' } };
    expect(differingFields(existingDeny, next)).to.deep.equal(['spec.policyTypes', 'metadata.labels']);
    expect(differingFields(existingDeny, np('deny', { podSelector: {}, policyTypes: ['Ingress'] }, { owner: 'ops' }) as unknown as KObject)).to.deep.equal([]);
  });

  it('plans each step from the state the previous one leaves', () => {
    const state = live();
    const plans = planChanges(steps, policies, state);
    expect(plans[0]).to.deep.include({ created: [{ policy: 'demo/allow-web' }], changed: [], deleted: [], unchanged: [{ policy: 'demo/deny' }] });
    expect(plans[1]!.deleted).to.deep.equal([{ policy: 'demo/allow-web' }]);
    expect(plans[1]!.changed).to.deep.equal([{ policy: 'demo/deny', fields: ['spec.policyTypes', 'metadata.labels'] }]);
    expect(plans[1]!.labels).to.deep.equal(['namespace/demo: team "a" -> "b"', 'namespace/demo: zone (absent) -> "x"']);
    expect(plans[2]!.deleted).to.deep.equal([{ policy: 'demo/deny' }]);
    expect(plans[2]!.labels).to.deep.equal(['namespace/demo: team "b" -> (removed)']);
    // The live state given is not modified (the plan is read-only in every sense).
    expect(state.namespaces.get('demo')).to.deep.equal({ 'kubernetes.io/metadata.name': 'demo', team: 'a' });
    const text = renderPlan(plans, 'ctx');
    expect(text).to.include('+ create NetworkPolicy demo/allow-web').and.include('~ change NetworkPolicy demo/deny (spec.policyTypes, metadata.labels differ)').and.include('- delete NetworkPolicy demo/deny');
  });

  it('lists the manifests\' objects before the steps: created, or applied over one that exists', () => {
    const text = renderPlan(planChanges([], policies, live()), 'ctx', [
      { ref: { apiVersion: 'v1', kind: 'Namespace', name: 'extra' }, before: undefined },
      { ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name: 'cfg' }, before: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'demo' } } },
    ]);
    expect(text.split('\n').slice(0, 5)).to.deep.equal([
      'plan for context ctx (read-only: nothing was changed)',
      '',
      "before the first step, the suite's manifests (afterwards what they created is deleted, what existed put back as found):",
      '  + create Namespace extra',
      '  ~ apply over ConfigMap demo/cfg (it exists)',
    ]);
    expect(renderPlan([], 'ctx')).to.not.include('manifests');
  });
});
