import { expect } from 'chai';
import { assertAccess, rehearsalNeeds, type AccessNeed } from '../../../../harness/cluster/checks/access.js';
import { UsageError } from '../../../../harness/errors.js';

describe('cluster/access', () => {
  it('a rehearsal needs to read, apply and delete policies in each namespace; a plan only to read', () => {
    const full = rehearsalNeeds(['a']);
    expect(full.map((n) => `${n.verb} ${n.resource}${n.namespace ? ` ${n.namespace}` : ''}`)).to.include.members(['patch namespaces', 'create networkpolicies a', 'delete networkpolicies a']);
    const deploy = rehearsalNeeds(['a'], { deployIn: ['probes'] }).map((n) => `${n.verb} ${n.resource}${n.namespace ? ` ${n.namespace}` : ''}`);
    expect(deploy).to.include.members(['create namespaces', 'create deployments probes', 'create pods/exec probes']);
    const plan = rehearsalNeeds(['a'], { planOnly: true, deployIn: ['probes'] });
    expect(plan.map((n) => n.verb)).to.not.include.members(['create', 'patch', 'delete']);
  });

  it('lists every missing verb and resource in one error', async () => {
    const asked: AccessNeed[] = [];
    const review = (n: AccessNeed) => {
      asked.push(n);
      return Promise.resolve(!(n.verb === 'delete' || (n.verb === 'patch' && n.resource === 'namespaces')));
    };
    const err = await assertAccess(review, rehearsalNeeds(['a', 'b']), 'context staging').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(UsageError);
    const msg = (err as Error).message;
    expect(msg).to.include('context staging lacks 3 permission(s)');
    expect(msg).to.include('delete networkpolicies.networking.k8s.io in namespace a').and.include('delete networkpolicies.networking.k8s.io in namespace b').and.include('patch namespaces');
    expect(asked.length).to.equal(rehearsalNeeds(['a', 'b']).length);
  });

  it('passes when everything is allowed', async () => {
    await assertAccess(() => Promise.resolve(true), rehearsalNeeds(['a']), 'x');
  });
});
