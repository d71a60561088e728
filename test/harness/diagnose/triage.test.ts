import { expect } from 'chai';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { mapFlow } from '../../../harness/diagnose/mapping.js';
import { clusterModel } from '../../../harness/diagnose/model.js';
import { simulateFlow } from '../../../harness/diagnose/simulate.js';
import { editDistance, typoOf } from '../../../harness/diagnose/triage.js';
import { PROFILES } from '../../../harness/policy/profiles.js';
import { prepare } from '../../../harness/policy/world.js';
import { pod, seedPolicies, seedReading } from './fixture.js';

const sim = (r: ReturnType<typeof seedReading>, from: string, to: string) => simulateFlow(prepare(clusterModel(r), PROFILES['kube-router']!), mapFlow(r, from, to, 'default'));

describe('diagnose triage', () => {
  it('a label typo on the source: the rule that wants it and the policy that no longer selects it', () => {
    const r = seedReading();
    r.pods.find((p) => p.metadata.name === 'frontend-aaa11-x1')!.metadata.labels!.app = 'front-end';
    const s = sim(r, 'develop/frontend-aaa11-x1', 'backend.develop.svc.cluster.local:8080');
    expect(s.verdict).to.equal('deny');
    const t = s.backends[0]!.triage;
    expect(t).to.include('develop/allow-backend-ingress ingress[0].from[0] podSelector wants app in (frontend,frontend-primary); the source pod has app=front-end (a typo of frontend?)');
    expect(t.some((l) => l.startsWith('develop/frontend-egress would allow this egress') && l.endsWith('its podSelector wants app=frontend; the source pod has app=front-end (a typo of frontend?)'))).to.equal(true);
    // Rules for other ports are not dragged in when a rule for this port exists.
    expect(t.some((l) => l.includes('allow-dns-egress'))).to.equal(false);
    // The deciding refs, at both ends.
    expect(s.backends[0]!.ingress!.isolatedBy).to.include('develop/allow-backend-ingress');
    expect(s.backends[0]!.egress!.verdict).to.equal('deny');
  });

  it('a namespace label mismatch: namespaceSelector wants traefik; the source namespace is traefik-system', () => {
    const r = seedReading();
    r.namespaces.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'traefik-system', labels: { 'kubernetes.io/metadata.name': 'traefik-system' } } });
    r.pods.push(pod('traefik-system', 'traefik-1', { 'app.kubernetes.io/name': 'traefik' }));
    const s = sim(r, 'traefik-system/traefik-1', 'develop/backend:8080');
    expect(s.backends[0]!.triage).to.include('develop/allow-backend-ingress ingress[1].from[0] namespaceSelector wants kubernetes.io/metadata.name=traefik; the source namespace is traefik-system');
  });

  it('DNS broken by a podSelector-only rule: it selects pods in its own namespace only', () => {
    const r = seedReading({ policies: [...seedPolicies(['default-deny', 'allow-dns-mistake', 'develop-egress']), ...seedPolicies(['allow-backend-ingress'])] });
    const s = sim(r, 'develop/frontend', 'backend.develop.svc.cluster.local:8080');
    expect(s.dns).to.include({ udp: 'deny', tcp: 'deny' });
    expect(s.verdict).to.equal('deny');
    expect(s.dns!.triage[0]).to.equal(
      'develop/allow-dns-mistake egress[0].to[0] has a podSelector (k8s-app=kube-dns) without namespaceSelector: it selects pods in develop only, and the destination kube-system/coredns-fff66-c1 is in kube-system (its labels would match); add namespaceSelector kubernetes.io/metadata.name=kube-system to the same peer',
    );
  });

  it('DNS egress on UDP 53 only: a lookup that falls back to TCP fails', () => {
    const udpOnly: KObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'dns-udp', namespace: 'develop' },
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }] },
    };
    const r = seedReading({ policies: [...seedPolicies(['default-deny', 'develop-egress']), ...seedPolicies(['allow-backend-ingress']), udpOnly] });
    const s = sim(r, 'develop/frontend', 'backend.develop:8080');
    expect(s.dns).to.include({ udp: 'allow', tcp: 'deny' });
    expect(s.dns!.triage[0]).to.match(/^DNS egress allows UDP 53 only: a lookup that falls back to TCP/);
  });

  it('typo detection is by edit distance or punctuation, never for unrelated values', () => {
    expect(editDistance('front-end', 'frontend')).to.equal(1);
    expect(typoOf('front-end', ['frontend', 'frontend-primary'])).to.equal('frontend');
    expect(typoOf('Frontend_', ['frontend'])).to.equal('frontend');
    expect(typoOf('debug', ['frontend', 'backend'])).to.equal(undefined);
    expect(typoOf('db', ['dc'])).to.equal(undefined);
  });
});
