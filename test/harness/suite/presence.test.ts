// presence.ts: what exists after each step (initially: absent, create, delete, recreate).
import { expect } from 'chai';
import { hasDynamics, initialPresence, parseTarget, presenceAfterEachStep, presenceAtStep, presentFromStart } from '../../../harness/suite/presence.js';
import { Suite, type SuiteInput } from '../../../harness/suite/schema.js';

function suite(steps: SuiteInput['steps']): Suite {
  return Suite.parse({
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 't' },
    namespaces: [{ name: 'app' }, { name: 'late', initially: 'absent' }],
    workloads: [
      { name: 'web', namespace: 'app', ports: [{ port: 80 }] },
      { name: 'web2', namespace: 'app', initially: 'absent', ports: [{ port: 80 }] },
      { name: 'coredns', namespace: 'kube-system', existing: true, labels: { 'k8s-app': 'kube-dns' } },
    ],
    probes: [
      { name: 'client', namespace: 'app' },
      { name: 'visitor', namespace: 'late', initially: 'absent' },
    ],
    steps,
  });
}
const sorted = (s: ReadonlySet<string>) => [...s].sort();

describe('suite/presence', () => {
  it('parses targets as label changes do: namespace/<name> or <ns>/<name>', () => {
    expect(parseTarget('namespace/late')).to.deep.equal({ kind: 'namespace', name: 'late', text: 'namespace/late' });
    expect(parseTarget('app/web')).to.deep.include({ kind: 'endpoint', id: 'app/web', namespace: 'app', name: 'web' });
  });

  it('starts without what is initially absent; existing workloads are always there', () => {
    const s = suite([{ name: 'a', expect: 'simulated' }]);
    const p = initialPresence(s);
    expect(sorted(p.namespaces)).to.deep.equal(['app']);
    expect(sorted(p.endpoints)).to.deep.equal(['app/client', 'app/web', 'kube-system/coredns']);
    const first = presentFromStart(s);
    expect(first.namespaces.map((n) => n.name)).to.deep.equal(['app']);
    expect(first.workloads.map((w) => w.name)).to.deep.equal(['web', 'coredns']);
    expect(first.probes.map((x) => x.name)).to.deep.equal(['client']);
  });

  it('creates namespaces before what runs in them, deletes a namespace with its endpoints, and marks recreated pods fresh', () => {
    const s = suite([
      { name: 'join', create: ['late/visitor', 'namespace/late', 'app/web2'], expect: 'simulated' },
      { name: 'renew', recreate: ['app/web'], expect: 'simulated' },
      { name: 'leave', delete: ['namespace/late', 'app/web2'], expect: 'simulated' },
    ]);
    const [join, renew, leave] = presenceAfterEachStep(s);
    expect(sorted(join!.present.endpoints)).to.deep.equal(['app/client', 'app/web', 'app/web2', 'kube-system/coredns', 'late/visitor']);
    expect(join!.createdNamespaces).to.deep.equal(['late']);
    expect(join!.freshEndpoints).to.deep.equal(['late/visitor', 'app/web2']);
    expect(renew!.freshEndpoints).to.deep.equal(['app/web']);
    expect(sorted(renew!.present.endpoints)).to.deep.equal(sorted(join!.present.endpoints));
    expect(sorted(leave!.present.namespaces)).to.deep.equal(['app']);
    expect(sorted(leave!.present.endpoints)).to.deep.equal(['app/client', 'app/web', 'kube-system/coredns']);
    expect(sorted(presenceAtStep(s, 0).endpoints)).to.deep.equal(sorted(join!.present.endpoints));
  });

  it('hasDynamics is false for a suite without any of it', () => {
    const plain = Suite.parse({ apiVersion: 'netpol-harness/v1', kind: 'Suite', metadata: { name: 't' }, namespaces: [{ name: 'a' }], steps: [{ name: 's', expect: 'simulated' }] });
    expect(hasDynamics(plain)).to.equal(false);
    expect(hasDynamics(suite([{ name: 's', expect: 'simulated' }]))).to.equal(true);
  });
});
