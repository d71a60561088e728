// Schema problems worded for suite authors: expected vs found, typo hints, union branches.
import { expect } from 'chai';
import { Suite } from '../../../harness/suite/schema.js';
import { describeZodIssues, knownKeysAt } from '../../../harness/suite/schema-issues.js';
import { closest, describeValue, didYouMean } from '../../../harness/suite/hints.js';

const base = (): Record<string, unknown> => ({
  apiVersion: 'netpol-harness/v1',
  kind: 'Suite',
  metadata: { name: 't' },
  namespaces: [{ name: 'app' }],
  probe: {},
  steps: [{ name: 's', expect: { default: 'allow' } }],
});

function problems(mutate: (s: Record<string, unknown>) => void): { path: string; message: string }[] {
  const s = base();
  mutate(s);
  const r = Suite.safeParse(s);
  if (r.success) return [];
  return describeZodIssues(r.error.issues, s, Suite).map((p) => ({ path: p.path.join('.'), message: p.message }));
}

describe('suite/schema-issues', () => {
  it('says what is required and what was found', () => {
    expect(problems((s) => delete s.namespaces)).to.deep.equal([{ path: 'namespaces', message: 'is required' }]);
    expect(problems((s) => delete s.apiVersion)).to.deep.equal([{ path: 'apiVersion', message: 'is required: set it to "netpol-harness/v1"' }]);
    expect(problems((s) => (s.kind = 'Suit'))[0]!.message).to.equal('must be "Suite" (found "Suit") (did you mean "Suite"?)');
    expect(problems((s) => (s.namespaces = []))[0]!.message).to.equal('must list at least 1 item');
    expect(problems((s) => (s.workloads = [{ name: 'w', namespace: 'app', replicas: 0 }]))[0]).to.deep.equal({ path: 'workloads.0.replicas', message: 'must be at least 1 (found 0)' });
    expect(problems((s) => (s.workloads = [{ name: 'w', namespace: 'app', replicas: 1.5 }]))[0]!.message).to.include('whole number');
    expect(problems((s) => (s.workloads = 'none'))[0]!.message).to.equal('must be a list (found "none")');
  });
  it('names unknown fields and suggests the intended one, without a second "required" for the same typo', () => {
    expect(problems((s) => (s.workloads = [{ name: 'w', namespce: 'app' }]))).to.deep.equal([
      { path: 'workloads.0.namespce', message: 'unknown field "namespce" (did you mean "namespace"?)' },
    ]);
    expect(problems((s) => (s.stepps = []))[0]!.message).to.equal('unknown field "stepps" (did you mean "steps"?)');
  });
  it('reduces unions to the branch the author meant', () => {
    expect(problems((s) => (s.steps = [{ name: 's', expect: { default: 'allw' } }]))).to.deep.equal([
      { path: 'steps.0.expect.default', message: 'must be one of "allow", "deny", "simulated" (found "allw") (did you mean "allow"?)' },
    ]);
    expect(problems((s) => (s.steps = [{ name: 's', expect: 'simulate' }]))).to.deep.equal([
      { path: 'steps.0.expect', message: 'must be "simulated" or a mapping (found "simulate") (did you mean "simulated"?)' },
    ]);
    expect(problems((s) => (s.steps = [{ name: 's', expect: { default: 'deny', rules: [{ dney: '* -> *' }] } }]))).to.deep.equal([
      { path: 'steps.0.expect.rules.0.dney', message: 'unknown field "dney" (did you mean "deny"?)' },
    ]);
  });
  it('explains invalid record keys', () => {
    expect(problems((s) => (s.namespaces = [{ name: 'app', labels: { 'a b': 'x' } }]))).to.deep.equal([{ path: 'namespaces.0.labels.a b', message: 'key "a b" is not a valid label key' }]);
  });
  it('knows the fields allowed at a path', () => {
    expect(knownKeysAt(Suite, ['workloads', 0])).to.include.members(['name', 'namespace', 'labels', 'ports', 'existing']);
    expect(knownKeysAt(Suite, ['steps', 0, 'expect', 'rules', 0])).to.include.members(['allow', 'deny', 'reason']);
    expect(knownKeysAt(Suite, ['nope'])).to.deep.equal([]);
  });
  it('hints: closest names and value descriptions', () => {
    expect(closest('podSelecter', ['podSelector', 'namespaceSelector'])).to.equal('podSelector');
    expect(closest('xyz', ['podSelector'])).to.equal(undefined);
    expect(didYouMean('tcp', ['TCP', 'UDP'])).to.equal(' (did you mean "TCP"?)');
    expect(didYouMean('TCP', ['TCP'])).to.equal('');
    expect([describeValue(undefined), describeValue(null), describeValue(3), describeValue([]), describeValue({}), describeValue('x')]).to.deep.equal([
      'nothing',
      'null',
      '3',
      'a list',
      'a mapping',
      '"x"',
    ]);
  });
});
