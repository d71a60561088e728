// Existing workloads probed in place: the suite fields (ref, source, sourcePods, witness, ports
// discovered when omitted), their validation, the axes they produce, and the offline unknowns.
import { expect } from 'chai';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { simulateStep } from '../../../harness/policy/simulate.js';
import { labelUncertainty, type Discovered, offlineUnknowns, parseRef, withDiscovered } from '../../../harness/suite/in-place.js';
import type { LoadedSuite } from '../../../harness/suite/load.js';
import { Suite, type SuiteInput } from '../../../harness/suite/schema.js';
import { isError, validateLoaded } from '../../../harness/suite/validate.js';

function input(): SuiteInput {
  return {
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 't' },
    namespaces: [{ name: 'shop' }],
    workloads: [
      { name: 'client', namespace: 'shop', labels: { app: 'client' } },
      { name: 'frontend', namespace: 'shop', existing: true, ref: 'deployment/frontend', source: true },
      { name: 'db', namespace: 'shop', existing: true, labels: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }], witness: true },
      { name: 'coredns', namespace: 'kube-system', existing: true, labels: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }] },
    ],
    steps: [{ name: 'open', expect: { default: 'allow', rules: [{ deny: 'client -> frontend:http' }] } }],
  };
}

const load = (s: SuiteInput): LoadedSuite => ({ file: 'suite.yaml', dir: '.', suite: Suite.parse(s), lineOf: () => undefined, policies: new Map() });
const errors = (mutate: (s: SuiteInput) => void = () => {}) => {
  const s = input();
  mutate(s);
  return validateLoaded(load(s)).filter(isError);
};

describe('suite/in-place', () => {
  it('a referenced workload without labels or ports is valid, and rules may name its ports before they are known', () => {
    expect(errors()).to.deep.equal([]);
  });

  it('ref must have the kind/name shape', () => {
    expect(() => Suite.parse({ ...input(), workloads: [{ name: 'x', namespace: 'shop', existing: true, ref: 'service/x' }] })).to.throw(/deployment\/<name>/);
    expect(parseRef('statefulset/pg-0.db')).to.deep.equal({ kind: 'statefulset', name: 'pg-0.db' });
  });

  it('in-place fields on a deployed workload are errors naming the field and the fix', () => {
    const e = errors((s) => Object.assign(s.workloads![0]!, { ref: 'deployment/client', source: true, witness: true }));
    expect(e.map((i) => i.path)).to.deep.equal(['workloads[0].ref', 'workloads[0].source', 'workloads[0].witness']);
    expect(e[0]!.message).to.include('existing: true');
  });

  it('an existing workload needs labels or a ref; sourcePods all needs source', () => {
    const e = errors((s) => Object.assign(s.workloads![1]!, { ref: undefined, source: false, sourcePods: 'all' }));
    expect(e.map((i) => i.path)).to.deep.equal(['workloads[1].labels', 'workloads[1].sourcePods']);
    expect(e[0]!.message).to.include('ref: deployment/coredns');
  });

  it('existing workloads are sources only with source: true; CoreDNS stays destination-only', () => {
    const axes = buildAxes(Suite.parse(input()));
    expect(axes.sources.map((s) => s.id)).to.deep.equal(['shop/client', 'shop/frontend']);
    expect(axes.destinations.find((d) => d.id === 'shop/frontend')).to.include({ portsDiscovered: true });
    expect(axes.destinations.find((d) => d.id === 'kube-system/coredns')!.portsDiscovered).to.equal(undefined);
    expect(axes.columns.filter((c) => c.kind === 'conn' && c.dst === 'shop/frontend')).to.deep.equal([]);
  });

  it('offline it says which rows and columns are unknown, and marks the cells', () => {
    const l = load(input());
    expect(offlineUnknowns(l.suite)).to.deep.equal([
      'shop/frontend: labels and ports read from the cluster at run time (deployment/frontend); offline cells from and to it assume no labels and it has no columns',
    ]);
    const m = simulateStep(l, 0);
    expect(m.get('shop/frontend', 'shop/db:5432/TCP')!.uncertain).to.deep.equal([labelUncertainty(l.suite).get('shop/frontend')]);
    expect(m.get('shop/client', 'shop/db:5432/TCP')!.uncertain).to.equal(undefined);
  });

  it('at run time the discovered labels and ports replace the unknowns; declared ports win', () => {
    const l = withDiscovered(
      load(input()),
      new Map<string, Discovered>([
        ['shop/frontend', { labels: { app: 'frontend', 'pod-template-hash': 'abc' }, ports: [{ name: 'http', port: 8080, protocol: 'TCP' as const }] }],
        ['shop/db', { labels: { app: 'db', tier: 'data' }, ports: [{ port: 9999, protocol: 'TCP' as const }] }],
      ]),
    );
    const fe = l.suite.workloads[1]!;
    expect(fe.labels).to.deep.equal({ app: 'frontend', 'pod-template-hash': 'abc' });
    expect(l.suite.workloads[2]!.ports.map((p) => p.port)).to.deep.equal([5432]);
    expect(l.suite.workloads[2]!.labels).to.deep.equal({ app: 'db', tier: 'data' });
    expect(offlineUnknowns(l.suite)).to.deep.equal([]);
    const cols = buildAxes(l.suite).columns.filter((c) => c.kind === 'conn' && c.dst === 'shop/frontend');
    expect(cols.map((c) => c.key)).to.deep.equal(['shop/frontend:8080/TCP']);
    expect(validateLoaded(l).filter(isError)).to.deep.equal([]);
  });
});
