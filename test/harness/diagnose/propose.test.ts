import { expect } from 'chai';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { blastRadius, cellKey, cellsTouching, verdictIn, type Cell } from '../../../harness/diagnose/blast.js';
import { mapFlow } from '../../../harness/diagnose/mapping.js';
import { clusterModel, stableLabels } from '../../../harness/diagnose/model.js';
import { narrowestSelector, proposeAllow, proposeDeny, withPolicies, type Proposal } from '../../../harness/diagnose/propose.js';
import { simulateFlow } from '../../../harness/diagnose/simulate.js';
import type { ClusterModel, PodModel } from '../../../harness/policy/model.js';
import { PROFILES } from '../../../harness/policy/profiles.js';
import { prepare } from '../../../harness/policy/world.js';
import { pod, seedPolicies, seedReading } from './fixture.js';

const profile = PROFILES['kube-router']!;

function setup(r: ReturnType<typeof seedReading>, from: string, to: string) {
  const world = prepare(clusterModel(r), profile);
  const m = mapFlow(r, from, to, 'default');
  return { world, m, sim: simulateFlow(world, m) };
}

/** Every cell between pods with an address, whatever namespace: the independent check. */
function allCells(model: ClusterModel): Cell[] {
  return cellsTouching(model, new Set(model.pods.map((p) => p.namespace)));
}

function flipped(model: ClusterModel, p: Proposal): string[] {
  const before = prepare(model, profile);
  const after = prepare(withPolicies(model, p.policies, p.replaces), profile);
  return allCells(model)
    .filter((c) => verdictIn(before, c) !== p.want && verdictIn(after, c) === p.want)
    .map(cellKey)
    .sort();
}

const classOf = (pods: PodModel[], id: string) => {
  const p = pods.find((x) => x.id === id)!;
  return `${p.namespace} ${JSON.stringify(Object.entries(stableLabels(p.labels)).sort())}`;
};

/**
 * The proposal opens the wanted cells, the blast radius it reports is every cell it flips, and each
 * other cell has its source in the flow source's class and its destination in a wanted
 * destination's class: pods no label-based (narrower) peer could tell apart from the flow's ends.
 */
function assertLeastPrivilege(model: ClusterModel, p: Proposal): void {
  const after = prepare(withPolicies(model, p.policies, p.replaces), profile);
  for (const c of p.blast.wanted) expect(verdictIn(after, c), cellKey(c)).to.equal(p.want);
  const reported = [...p.blast.wanted, ...p.blast.others].map(cellKey);
  for (const k of flipped(model, p)) expect(reported, `unreported flip ${k}`).to.include(k);
  const srcClasses = new Set(p.blast.wanted.map((c) => classOf(model.pods, c.from)));
  const dstClasses = new Set(p.blast.wanted.map((c) => classOf(model.pods, c.to)));
  for (const c of p.blast.others) {
    expect(srcClasses.has(classOf(model.pods, c.from)), `${cellKey(c)}: a narrower source peer would exclude it`).to.equal(true);
    expect(dstClasses.has(classOf(model.pods, c.to)), `${cellKey(c)}: a narrower destination peer would exclude it`).to.equal(true);
  }
}

describe('diagnose proposals and blast radius', () => {
  it('narrowest selector: the fewest labels that select exactly the pod\'s replicas, familiar keys first', () => {
    const pods: PodModel[] = [
      { id: 'a/web-1', namespace: 'a', labels: { app: 'web', tier: 'front', 'pod-template-hash': 'x' }, ports: [] },
      { id: 'a/web-2', namespace: 'a', labels: { app: 'web', tier: 'front', 'pod-template-hash': 'y' }, ports: [] },
      { id: 'a/web-canary', namespace: 'a', labels: { app: 'web', tier: 'canary' }, ports: [] },
      { id: 'a/api', namespace: 'a', labels: { app: 'api', tier: 'front' }, ports: [] },
    ];
    expect(narrowestSelector(pods, pods[0]!)).to.deep.equal({ app: 'web', tier: 'front' });
    expect(narrowestSelector(pods, pods[3]!)).to.deep.equal({ app: 'api' });
  });

  it('--want allow on the label-typo flow: egress and ingress policies for exactly that pod and port; nothing else opens', () => {
    const r = seedReading();
    r.pods.find((p) => p.metadata.name === 'frontend-aaa11-x1')!.metadata.labels!.app = 'front-end';
    const { world, m, sim } = setup(r, 'develop/frontend-aaa11-x1', 'develop/backend:8080');
    const p = proposeAllow(world, m, sim)!;
    expect(p.policies.map((x) => `${x.metadata.namespace}/${x.metadata.name}`)).to.deep.equal(['develop/diagnose-allow-front-end-to-backend-egress', 'develop/diagnose-allow-front-end-to-backend-ingress']);
    expect(p.policies[0]!.spec.egress).to.deep.equal([{ to: [{ podSelector: { matchLabels: { app: 'backend' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(p.policies[1]!.spec.ingress).to.deep.equal([{ from: [{ podSelector: { matchLabels: { app: 'front-end' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(p.blast.others).to.deep.equal([]);
    expect(p.lint.filter((f) => f.severity === 'error')).to.deep.equal([]);
    expect(p.rationale.at(-1)).to.include('label typo');
    assertLeastPrivilege(world.model, p);
  });

  it('replicas are the only blast radius a label-based peer cannot avoid, and it is reported', () => {
    const r = seedReading({ policies: [...seedPolicies(['default-deny', 'allow-dns'])] });
    const { world, m, sim } = setup(r, 'develop/frontend-aaa11-x1', 'develop/backend:8080');
    const p = proposeAllow(world, m, sim)!;
    expect(p.blast.others.map(cellKey)).to.deep.equal(['develop/frontend-aaa11-x2 -> develop/backend-bbb22-y1:8080/TCP']);
    expect(p.blast.otherNamespaces).to.deep.equal([]);
    assertLeastPrivilege(world.model, p);
  });

  it('across namespaces: a namespaceSelector AND podSelector peer on both sides', () => {
    const r = seedReading();
    r.pods.push(pod('sandbox', 'client-1', { app: 'client' }));
    r.policies.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: 'sandbox' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } });
    const { world, m, sim } = setup(r, 'sandbox/client-1', 'develop/production-db:5432');
    const p = proposeAllow(world, m, sim)!;
    const egress = p.policies.find((x) => x.metadata.namespace === 'sandbox')!;
    expect(egress.spec.egress![0]!.to).to.deep.equal([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'develop' } }, podSelector: { matchLabels: { app: 'production-db' } } }]);
    const ingress = p.policies.find((x) => x.metadata.namespace === 'develop')!;
    expect(ingress.spec.ingress![0]!.from).to.deep.equal([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'sandbox' } }, podSelector: { matchLabels: { app: 'client' } } }]);
    assertLeastPrivilege(world.model, p);
  });

  it('DNS broken by a podSelector-only rule: the proposal is the DNS egress, UDP and TCP 53 to CoreDNS in kube-system', () => {
    const r = seedReading({ policies: [...seedPolicies(['default-deny', 'allow-dns-mistake', 'allow-frontend-ingress', 'develop-egress']), ...seedPolicies(['allow-backend-ingress'])] });
    const { world, m, sim } = setup(r, 'develop/frontend-aaa11-x1', 'backend.develop.svc.cluster.local:8080');
    const p = proposeAllow(world, m, sim)!;
    expect(p.policies).to.have.length(1);
    expect(p.policies[0]!.spec.egress).to.deep.equal([
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
    ]);
    expect(p.blast.wanted.map(cellKey)).to.include('develop/frontend-aaa11-x1 -> kube-system/coredns-fff66-c1:53/UDP');
    assertLeastPrivilege(world.model, p);
  });

  it('a broad policy\'s blast radius lists every other cell it opens and flags other namespaces', () => {
    const r = seedReading();
    const broad: KObject = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'open-db', namespace: 'develop' }, spec: { podSelector: { matchLabels: { app: 'production-db' } }, ingress: [{ from: [{ namespaceSelector: {} }] }] } };
    const model = clusterModel(r);
    const after = clusterModel({ ...r, policies: [...r.policies, broad] });
    const b = blastRadius(model, after, profile, [{ from: 'develop/debug-ddd44-d1', to: 'develop/production-db-ccc33-z1', port: 5432, protocol: 'TCP' }], new Set(['develop']), 'allow');
    expect(b.others.map(cellKey)).to.include('traefik/traefik-eee55-t1 -> develop/production-db-ccc33-z1:5432/TCP');
    expect(b.otherNamespaces.map(cellKey)).to.include('traefik/traefik-eee55-t1 -> develop/production-db-ccc33-z1:5432/TCP');
  });

  it('--want deny on the debug pod reaching production-db: the allowing rule, narrowed; the blast radius is what else closes', () => {
    const r = seedReading();
    r.policies.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-same-namespace', namespace: 'develop' }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] } });
    const { world, m, sim } = setup(r, 'develop/debug', 'develop/production-db:5432');
    expect(sim.verdict).to.equal('allow');
    expect(sim.backends[0]!.ingress!.allowedBy).to.deep.equal(['develop/allow-same-namespace ingress[0] from[0]']);
    const p = proposeDeny(world, m, sim)!;
    expect(p.replaces).to.deep.equal(['develop/allow-same-namespace']);
    // One In peer per class it still matches: no NotIn, so pods added later are not matched either.
    expect(p.policies[0]!.spec.egress![0]!.to).to.deep.equal([{ podSelector: { matchLabels: { app: 'backend' } } }, { podSelector: { matchLabels: { app: 'debug' } } }, { podSelector: { matchLabels: { app: 'frontend' } } }]);
    expect(p.rationale[0]).to.include('develop/allow-same-namespace egress[0] to[0] matches develop/production-db-ccc33-z1');
    expect(p.blast.others.map(cellKey)).to.deep.equal(['develop/frontend-aaa11-x1 -> develop/production-db-ccc33-z1:5432/TCP', 'develop/frontend-aaa11-x2 -> develop/production-db-ccc33-z1:5432/TCP']);
    const after = prepare(withPolicies(world.model, p.policies, p.replaces), profile);
    expect(verdictIn(after, p.blast.wanted[0]!)).to.equal('deny');
    // backend -> production-db stays open: its own policies allow it.
    expect(verdictIn(after, { from: 'develop/backend-bbb22-y1', to: 'develop/production-db-ccc33-z1', port: 5432, protocol: 'TCP' })).to.equal('allow');
    expect(flipped(world.model, p)).to.deep.equal([...p.blast.wanted, ...p.blast.others].map(cellKey).sort());
  });
});
