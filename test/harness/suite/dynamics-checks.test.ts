// dynamics-checks.ts (through validateLoaded): initially: absent, create/delete/recreate, and what
// they mean for policies, label changes, expectation rules and the implicit DNS check.
import { expect } from 'chai';
import type { Issue } from '../../../harness/errors.js';
import type { NetworkPolicy, SourcedPolicy } from '../../../harness/policy/types.js';
import type { LoadedSuite } from '../../../harness/suite/load.js';
import { Suite, type SuiteInput } from '../../../harness/suite/schema.js';
import { isError, validateLoaded } from '../../../harness/suite/validate.js';

const np = (name: string, namespace: string, role = 'client'): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec: { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { role } } }] }] },
});

function base(): SuiteInput {
  return {
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 't' },
    namespaces: [{ name: 'app' }, { name: 'late', initially: 'absent' }],
    workloads: [
      { name: 'web', namespace: 'app', labels: { app: 'web' }, ports: [{ port: 8080 }] },
      { name: 'web2', namespace: 'app', labels: { app: 'web' }, ports: [{ port: 8080 }], initially: 'absent' },
      { name: 'coredns', namespace: 'kube-system', existing: true, labels: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }] },
    ],
    probes: [
      { name: 'client', namespace: 'app', labels: { role: 'client' } },
      { name: 'visitor', namespace: 'late', initially: 'absent' },
    ],
    policies: [
      { id: 'v1', file: 'v1.yaml' },
      { id: 'v2', file: 'v2.yaml' },
      { id: 'late', file: 'late.yaml' },
    ],
    probe: { dnsNames: [] },
    steps: [
      { name: 'open', expect: 'simulated' },
      { name: 'next', expect: 'simulated' },
    ],
  };
}

function check(mutate: (s: SuiteInput) => void): Issue[] {
  const input = base();
  mutate(input);
  const suite = Suite.parse(input);
  const docs: Record<string, NetworkPolicy[]> = { v1: [np('web-ingress', 'app')], v2: [np('web-ingress', 'app', 'stranger')], late: [np('late-deny', 'late')] };
  const policies = new Map<string, SourcedPolicy[]>(suite.policies.map((r) => [r.id, (docs[r.id] ?? []).map((policy, docIndex) => ({ policy, setId: r.id, file: r.file, docIndex }))]));
  const loaded: LoadedSuite = { file: 'suite.yaml', dir: '.', suite, lineOf: () => undefined, policies };
  return validateLoaded(loaded);
}
function oneError(issues: Issue[]): Issue {
  const errs = issues.filter(isError);
  expect(errs, JSON.stringify(issues, null, 1)).to.have.length(1);
  return errs[0]!;
}
const err = (mutate: (s: SuiteInput) => void): Issue => oneError(check(mutate));
const next = (s: SuiteInput) => s.steps[1]!;

describe('suite/dynamics-checks', () => {
  it('a suite that creates, recreates and deletes in a sensible order is valid', () => {
    expect(
      check((s) => {
        next(s).create = ['namespace/late', 'late/visitor', 'app/web2'];
        next(s).apply = ['late'];
        next(s).labels = [{ target: 'late/visitor', set: { role: 'client' }, remove: [] }];
        s.steps.push({ name: 'renew', recreate: ['app/web', 'app/client'], expect: 'simulated' });
        s.steps.push({ name: 'leave', remove: ['late'], delete: ['namespace/late', 'app/web2'], expect: 'simulated' });
      }),
    ).to.deep.equal([]);
  });

  it('top-level flags: an existing workload cannot start absent; nothing starts present in an absent namespace', () => {
    expect(err((s) => (s.workloads![2]!.initially = 'absent'))).to.include({ path: 'workloads[2].initially' });
    const e = err((s) => delete s.probes![1]!.initially);
    expect(e.path).to.equal('probes[1].namespace');
    expect(e.message).to.include('mark it initially: absent');
  });

  it('names the step field for unknown, existing, repeated and contradictory targets', () => {
    expect(err((s) => (next(s).delete = ['namespace/nope'])).message).to.include('namespace "nope" is not declared');
    expect(err((s) => (next(s).recreate = ['kube-system/coredns'])).message).to.include('an existing workload');
    expect(err((s) => (next(s).recreate = ['app/web', 'app/web'])).path).to.equal('steps[1].recreate[1]');
    expect(err((s) => (next(s).delete = ['app/web2'])).message).to.include('"app/web2" is absent at this point (declared initially: absent)');
    const both = err((s) => {
      next(s).delete = ['app/web'];
      next(s).create = ['app/web'];
    });
    expect(both).to.include({ path: 'steps[1].create[0]' });
    expect(both.message).to.include('use recreate');
    const fresh = err((s) => {
      next(s).create = ['app/web2'];
      next(s).recreate = ['app/web2'];
    });
    expect(fresh.message).to.include('its pods are new anyway');
    expect(err((s) => (next(s).recreate = ['app/web2'])).message).to.include('recreate only what exists');
  });

  it('says where a deleted thing went, and what a namespace deletion takes along', () => {
    const e = err((s) => {
      s.steps[0]!.delete = ['app/web'];
      next(s).delete = ['app/web'];
    });
    expect(e).to.include({ path: 'steps[1].delete[0]' });
    expect(e.message).to.include('deleted by step "open"');
    const withNs = err((s) => {
      s.steps[0]!.create = ['namespace/late', 'late/visitor'];
      s.steps.push({ name: 'gone', delete: ['namespace/late'], expect: 'simulated' }, { name: 'again', labels: [{ target: 'late/visitor', set: { a: 'b' }, remove: [] }], expect: 'simulated' });
    });
    expect(withNs).to.include({ path: 'steps[3].labels[0].target' });
    expect(withNs.message).to.include('deleted with namespace/late by step "gone"');
  });

  it('policies cannot go into an absent namespace, and a namespace cannot be deleted under applied policies', () => {
    const into = err((s) => (next(s).apply = ['late']));
    expect(into).to.include({ path: 'steps[1].apply[0]' });
    expect(into.message).to.include('NetworkPolicy late/late-deny into namespace "late", which is absent');
    const under = err((s) => {
      s.steps[0]!.create = ['namespace/late'];
      s.steps[0]!.apply = ['late'];
      next(s).delete = ['namespace/late'];
    });
    expect(under).to.include({ path: 'steps[1].delete[0]' });
    expect(under.message).to.include('remove the set in this step or earlier');
  });

  it('an expectation rule that only names absent endpoints matches no cell of its step', () => {
    const e = err((s) => (s.steps[0]!.expect = { default: 'simulated', rules: [{ deny: 'app/client -> app/web2' }] }));
    expect(e).to.include({ path: 'steps[0].expect.rules[0].deny' });
    expect(e.message).to.include('absent at this step');
  });

  it('deleting the workload behind the implicit DNS check is an error that says to set probe.dnsNames', () => {
    const e = err((s) => {
      s.probe = {};
      next(s).delete = ['app/web'];
    });
    expect(e).to.include({ path: 'steps[1].delete[0]' });
    expect(e.message).to.include('set probe.dnsNames');
  });

  it('re-applying a set is not "changes nothing" when it takes back an object another set replaced', () => {
    const warnings = (extra: string[]) =>
      check((s) => {
        s.steps[0]!.apply = ['v1'];
        next(s).apply = extra;
        s.steps.push({ name: 'back', apply: ['v1'], expect: 'simulated' });
      }).filter((i) => !isError(i));
    expect(warnings(['v2'])).to.deep.equal([]);
    expect(warnings([]).map((w) => w.message)).to.deep.equal(['"v1" is already applied (applying it again changes nothing)']);
  });
});
