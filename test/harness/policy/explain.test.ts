// Explanations in policy terms: isolating policies, the allowing rule with its indexes, and the
// closest misses for a deny, worded so a user can see which selector part failed.
import { expect } from 'chai';
import { evaluate } from '../../../harness/policy/evaluate.js';
import { explainCell, resolveSource, resolveStep, resolveTarget } from '../../../harness/policy/suite-query.js';
import { UsageError } from '../../../harness/errors.js';
import { loadSuite, type LoadedSuite } from '../../../harness/suite/load.js';
import { catalogModel, np } from './fixtures.js';

const coredns = { id: 'kube-system/coredns', namespace: 'kube-system', labels: { app: 'coredns' }, ip: '10.0.9.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' as const }] };
const dnsPolicy = np('x', 'allow-dns', {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [{ port: 53, protocol: 'UDP' }],
    },
  ],
});

describe('policy engine: explain', () => {
  it('names the half of a peer that failed: namespaceSelector matches, podSelector does not', () => {
    const m = catalogModel([dnsPolicy], { pods: [...catalogModel([]).pods, coredns] });
    const r = evaluate(m, { from: 'x/a', to: 'kube-system/coredns', port: 53, protocol: 'UDP' });
    expect(r.verdict).to.equal('deny');
    expect(r.explanation.summary).to.equal('denied: x/a is isolated for egress by x/allow-dns and no egress rule allows it');
    expect(r.egress!.misses[0]).to.include({ policy: 'x/allow-dns', direction: 'egress', rule: 0, peer: 0 });
    expect(r.explanation.details).to.include(
      '  closest miss: x/allow-dns egress[0] to[0]: namespaceSelector kubernetes.io/metadata.name=kube-system matches kube-system, but podSelector k8s-app=kube-dns does not match pod labels {app: coredns} (fails k8s-app=kube-dns)',
    );
  });

  it('a peer that matches but on the wrong port is the closest miss, ahead of peers that do not match', () => {
    const m = catalogModel([dnsPolicy, np('x', 'web', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 443 }] }] })], {
      pods: [...catalogModel([]).pods, { ...coredns, labels: { 'k8s-app': 'kube-dns' } }],
    });
    const r = evaluate(m, { from: 'x/a', to: 'kube-system/coredns', port: 53, protocol: 'TCP' });
    expect(r.egress!.misses.map((x) => x.policy)).to.deep.equal(['x/allow-dns', 'x/web']);
    expect(r.egress!.misses[0]!.text).to.match(/matches kube-system and podSelector k8s-app=kube-dns matches pod labels .*, but 53\/TCP is not in ports \[53\/UDP\]/);
  });

  it('an allowed cell names both sides and the rule, peer and port index that allowed it', () => {
    const m = catalogModel([
      np('x', 'deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('x', 'allow-y', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81 }] }, { from: [{ podSelector: { matchLabels: { pod: 'c' } } }, { namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ protocol: 'UDP' }, { port: 80 }] }] }),
    ]);
    const r = evaluate(m, { from: 'y/b', to: 'x/a', port: 80, protocol: 'TCP' });
    expect(r.verdict).to.equal('allow');
    expect(r.ingress!.isolatedBy).to.deep.equal(['x/deny', 'x/allow-y']);
    expect(r.ingress!.allowedBy).to.have.length(1);
    expect(r.ingress!.allowedBy[0]).to.include({ policy: 'x/allow-y', rule: 1, peer: 1, port: 1, ref: 'x/allow-y ingress[1] from[1] ports[1]' });
    expect(r.explanation.summary).to.equal('allowed: egress of y/b not isolated; ingress allowed by x/allow-y ingress[1] from[1] ports[1]');
  });

  describe('on a suite', () => {
    let seed: LoadedSuite;
    before(async () => {
      seed = await loadSuite('suites/zero-trust/suite.yaml');
    });

    it('resolves steps by name or 1-based number, sources and targets by id, unique name or port name', () => {
      expect(resolveStep(seed, 'dns-mistake')).to.equal(2);
      expect(resolveStep(seed, '3')).to.equal(2);
      expect(() => resolveStep(seed, '0')).to.throw(UsageError);
      expect(resolveSource(seed, 'frontend')).to.equal('develop/frontend');
      expect(resolveSource(seed, 'sandbox/attacker')).to.equal('sandbox/attacker');
      expect(() => resolveSource(seed, 'nobody')).to.throw(UsageError, /unknown source "nobody"/);
      expect(resolveTarget(seed, 'develop/frontend:http')).to.deep.equal({ kind: 'conn', dst: 'develop/frontend', port: 3000, protocol: 'TCP' });
      expect(resolveTarget(seed, 'coredns:53')).to.deep.equal({ kind: 'conn', dst: 'kube-system/coredns', port: 53, protocol: 'TCP' });
      expect(resolveTarget(seed, 'coredns:dns')).to.deep.equal({ kind: 'conn', dst: 'kube-system/coredns', port: 53, protocol: 'UDP' });
      expect(resolveTarget(seed, 'external:payments-api:443/tcp')).to.deep.equal({ kind: 'conn', dst: 'external:payments-api', port: 443, protocol: 'TCP' });
      expect(resolveTarget(seed, 'dns')).to.deep.equal({ kind: 'dns' });
      expect(resolveTarget(seed, 'backend')).to.deep.equal({ kind: 'all-ports', dst: 'develop/backend' });
      expect(() => resolveTarget(seed, 'backend:grpc')).to.throw(UsageError, /no port named "grpc"/);
    });

    it('explains the seed mistake: DNS peer by podSelector alone misses CoreDNS in kube-system', () => {
      const [e] = explainCell(seed, 2, 'develop/backend', { kind: 'dns' });
      expect(e!.verdict).to.equal('deny');
      expect(e!.explanation.details.join('\n')).to.contain('podSelector k8s-app=kube-dns without namespaceSelector selects pods in develop only, and kube-system/coredns is in kube-system (its labels would match)');
      const [fixed] = explainCell(seed, 3, 'develop/backend', { kind: 'dns' });
      expect(fixed!.verdict).to.equal('allow');
    });

    it('explains an allowed ingress through the rule that names the gateway namespace', () => {
      const [e] = explainCell(seed, 4, 'traefik/traefik', { kind: 'conn', dst: 'develop/backend', port: 8080, protocol: 'TCP' });
      expect(e!.verdict).to.equal('allow');
      expect(e!.result!.ingress!.allowedBy[0]!.ref).to.equal('develop/allow-backend-ingress ingress[1] from[0] ports[0]');
      expect(e!.result!.ingress!.allowedBy[0]!.line).to.be.a('number');
    });
  });
});
