// state.ts with dynamics: policies follow ownership (in-place replacement), only present namespaces
// and pods carry labels, and new pods carry their declared labels again.
import { expect } from 'chai';
import { loadValidSuite } from '../../../harness/suite/validate.js';
import { stateAtStep } from '../../../harness/suite/state.js';

const SUITE = 'test/fixtures/e2e/dynamics/suite.yaml';
const NS = 'nph-i13c-dyn';

describe('suite/state with dynamics', () => {
  it('after a replacement the object has the new spec and owner; removing the old set keeps it', async () => {
    const { loaded } = await loadValidSuite(SUITE);
    const at = (step: string) => stateAtStep(loaded, loaded.suite.steps.findIndex((s) => s.name === step));
    const v1 = at('v1');
    expect(v1.policies.map((p) => `${p.policy.metadata.name}:${p.setId}`)).to.deep.equal(['web-ingress:web-v1']);
    const replaced = at('replace');
    expect(replaced.applied).to.deep.equal(['web-v1', 'web-v2']);
    expect(replaced.policies.map((p) => `${p.policy.metadata.name}:${p.setId}`), 'one object, not two').to.deep.equal(['web-ingress:web-v2']);
    expect(replaced.owners.get(`NetworkPolicy/${NS}/web-ingress`)).to.equal('web-v2');
    const removed = at('remove-old');
    expect(removed.applied).to.deep.equal(['web-v2']);
    expect(removed.policies.map((p) => p.setId)).to.deep.equal(['web-v2']);
  });

  it('holds labels only for what is present, and a created namespace gets its name label', async () => {
    const { loaded } = await loadValidSuite(SUITE);
    const first = stateAtStep(loaded, 0);
    expect([...first.podLabels.keys()].sort()).to.deep.equal([`${NS}/client`, `${NS}/db`, `${NS}/stranger`, `${NS}/web`]);
    expect(first.namespaceLabels.has('nph-i13c-late')).to.equal(false);
    const late = stateAtStep(loaded, 5);
    expect(late.namespaceLabels.get('nph-i13c-late')).to.deep.equal({ 'kubernetes.io/metadata.name': 'nph-i13c-late' });
    expect(late.podLabels.get('nph-i13c-late/visitor')).to.deep.equal({ role: 'client' });
    const leave = stateAtStep(loaded, 6);
    expect(leave.podLabels.has(`${NS}/web2`)).to.equal(false);
    expect(leave.present.namespaces.has('nph-i13c-late')).to.equal(false);
  });

  it('a recreated pod loses labels an earlier step patched onto the old pod', async () => {
    const { loaded } = await loadValidSuite(SUITE);
    const steps = loaded.suite.steps;
    // Relabel web in step v1; the recreate step replaces its pods, which come from the template.
    const suite = { ...loaded.suite, steps: steps.map((s, i) => (i === 0 ? { ...s, labels: [{ target: `${NS}/web`, set: { extra: 'yes' }, remove: [] }] } : s)) };
    const relabelled = { ...loaded, suite };
    expect(stateAtStep(relabelled, 2).podLabels.get(`${NS}/web`)).to.deep.equal({ app: 'web', extra: 'yes' });
    expect(stateAtStep(relabelled, 3).podLabels.get(`${NS}/web`)).to.deep.equal({ app: 'web' });
  });
});
