// Lint rules: each fires on the mistake it names and stays quiet on the corrected policy; the
// seed suite's mistake variant is reported with file, path and line.
import { expect } from 'chai';
import { lintPolicies, lintSuite, RULES, type Finding, type RuleId } from '../../../harness/policy/lint/index.js';
import { lintPath } from '../../../harness/policy/lint/load.js';
import type { NetworkPolicySpec } from '../../../harness/policy/types.js';
import { InputError } from '../../../harness/errors.js';
import { loadSuite } from '../../../harness/suite/load.js';
import { np } from './fixtures.js';

const DNS_OK = np('app', 'allow-dns', {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
  ],
});
const FROM_WEB = { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080, protocol: 'TCP' as const }] };

function findings(specs: NetworkPolicySpec[], extra = [DNS_OK]): Finding[] {
  return lintPolicies([...specs.map((s, i) => np('app', `p${i}`, s)), ...extra]).findings;
}
const ids = (f: Finding[]): RuleId[] => [...new Set(f.map((x) => x.rule))].sort();

describe('policy engine: lint', () => {
  it('a least-privilege policy set has no findings', () => {
    const f = findings([{ podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [FROM_WEB] }]);
    expect(f).to.deep.equal([]);
  });

  it('NPH001 egress isolation without a DNS allow ("going dark"), error when nothing allows DNS', () => {
    const deny = { podSelector: {}, policyTypes: ['Ingress' as const, 'Egress' as const] };
    const dark = findings([deny], []);
    expect(dark.map((x) => [x.rule, x.severity])).to.deep.equal([['NPH001', 'error']]);
    expect(dark[0]!.message).to.match(/no policy in app allows DNS to CoreDNS/);
    expect(findings([deny])).to.deep.equal([]);
    // DNS allowed for other pods only: cannot be sure, so a warning.
    const partial = findings([deny], [np('app', 'dns-web', { ...DNS_OK.policy.spec, podSelector: { matchLabels: { app: 'web' } } })]);
    expect(partial.filter((x) => x.rule === 'NPH001').map((x) => x.severity)).to.deep.equal(['warning']);
  });

  it('NPH002 DNS by podSelector without namespaceSelector', () => {
    const mistake = np('app', 'dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] });
    const f = lintPolicies([mistake]).findings;
    expect(ids(f)).to.deep.equal(['NPH001', 'NPH002']);
    const n = f.find((x) => x.rule === 'NPH002')!;
    expect(n).to.include({ severity: 'error', path: 'spec.egress[0].to[0]', policy: 'app/dns' });
    expect(n.message).to.match(/selects pods in app only; CoreDNS runs in kube-system/);
    expect(n.fix).to.match(/namespaceSelector: \{matchLabels: \{kubernetes\.io\/metadata\.name: kube-system\}\} in the same peer/);
    expect(lintPolicies([DNS_OK]).findings).to.deep.equal([]);
  });

  it('NPH003 DNS on UDP only', () => {
    const udp = np('app', 'dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: DNS_OK.policy.spec.egress![0]!.to!, ports: [{ port: 53, protocol: 'UDP' }] }] });
    expect(ids(lintPolicies([udp]).findings)).to.deep.equal(['NPH003']);
  });

  it('NPH004 missing from/to: any peer including external addresses (info for DNS-only egress)', () => {
    const f = findings([{ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }] }] }]);
    expect(f.map((x) => [x.rule, x.severity, x.path])).to.deep.equal([['NPH004', 'warning', 'spec.ingress[0]']]);
    const allowAll = findings([{ podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] }]);
    expect(allowAll.map((x) => x.rule)).to.deep.equal(['NPH004']);
    expect(allowAll[0]!.message).to.match(/every source, including addresses outside the cluster, on every port and protocol/);
    const dnsAnywhere = findings([{ podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] }], []);
    expect(dnsAnywhere.map((x) => [x.rule, x.severity])).to.deep.equal([['NPH004', 'info']]);
  });

  it('NPH005 namespaceSelector {} and NPH015 namespaces selected by mutable labels', () => {
    const f = findings([
      { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'gw' } } }], ports: [{ port: 80, protocol: 'TCP' }] }] },
      { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }], ports: [{ port: 81, protocol: 'TCP' }] }] },
    ]);
    expect(f.map((x) => [x.rule, x.policy])).to.deep.equal([
      ['NPH005', 'app/p0'],
      ['NPH015', 'app/p1'],
    ]);
    expect(f[0]!.message).to.match(/a pod anywhere that copies the labels gets in/);
  });

  it('NPH006 ipBlock 0.0.0.0/0 and ::/0', () => {
    const f = findings([{ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [{ port: 443, protocol: 'TCP' }] }] }]);
    expect(f.map((x) => [x.rule, x.path])).to.deep.equal([
      ['NPH006', 'spec.egress[0].to[0].ipBlock.cidr'],
      ['NPH006', 'spec.egress[0].to[1].ipBlock.cidr'],
    ]);
    expect(findings([{ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443, protocol: 'TCP' }] }] }])).to.deep.equal([]);
  });

  it('NPH007 all ports, NPH008 wide ranges, NPH011 port without protocol', () => {
    const f = findings([
      { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: FROM_WEB.from }] },
      { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: FROM_WEB.from, ports: [{ port: 30000, endPort: 32767, protocol: 'TCP' }, { port: 8000, endPort: 8100, protocol: 'TCP' }] }] },
      { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: FROM_WEB.from, ports: [{ port: 8080 }] }] },
    ]);
    expect(f.map((x) => [x.rule, x.policy, x.path])).to.deep.equal([
      ['NPH007', 'app/p0', 'spec.ingress[0]'],
      ['NPH008', 'app/p1', 'spec.ingress[0].ports[0]'],
      // p1's and p2's rules add nothing to p0's all-ports rule for the same pods and peer.
      ['NPH014', 'app/p1', 'spec.ingress[0]'],
      ['NPH014', 'app/p2', 'spec.ingress[0]'],
      // Infos sort after warnings.
      ['NPH011', 'app/p2', 'spec.ingress[0].ports[0]'],
    ]);
    expect(f[4]!.message).to.equal('ports[0] has no protocol, so it means TCP only');
    const two = findings([{ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: FROM_WEB.from, ports: [{ port: 8080 }, { port: 8443 }] }] }]);
    expect(two.find((x) => x.rule === 'NPH011')!.message).to.equal('ports[0], ports[1] have no protocol, so they mean TCP only');
  });

  it('NPH009 rules ignored by policyTypes, NPH010 egress rules without policyTypes deny all ingress', () => {
    const f = findings([
      { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Egress'], ingress: [FROM_WEB], egress: [{ to: [{ podSelector: {} }], ports: [{ port: 80, protocol: 'TCP' }] }] },
      { podSelector: { matchLabels: { app: 'b' } }, egress: [{ to: [{ podSelector: {} }], ports: [{ port: 80, protocol: 'TCP' }] }] },
    ]);
    expect(f.filter((x) => x.rule === 'NPH009' || x.rule === 'NPH010').map((x) => [x.rule, x.severity, x.policy, x.path])).to.deep.equal([
      ['NPH009', 'error', 'app/p0', 'spec.ingress'],
      ['NPH010', 'error', 'app/p1', 'spec.egress'],
    ]);
    // A bare default deny (no policyTypes, no rules) is the documented idiom: no finding.
    expect(findings([{ podSelector: {} }])).to.deep.equal([]);
  });

  it('NPH014 duplicate policies, repeated rules and shadowed rules', () => {
    const spec: NetworkPolicySpec = { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'], ingress: [FROM_WEB] };
    const dup = findings([spec, spec]);
    expect(dup.map((x) => [x.rule, x.policy])).to.deep.equal([['NPH014', 'app/p1']]);
    expect(dup[0]!.message).to.match(/same spec as app\/p0/);
    const repeated = findings([{ ...spec, ingress: [FROM_WEB, FROM_WEB] }]);
    expect(repeated.map((x) => [x.rule, x.path, x.message])).to.deep.equal([['NPH014', 'spec.ingress[1]', 'ingress[1] repeats ingress[0]']]);
    const shadowed = findings([{ ...spec, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web', tier: 'x' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }, { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP' }] }] }]);
    expect(shadowed.map((x) => [x.rule, x.path])).to.deep.equal([['NPH014', 'spec.ingress[0]']]);
    expect(shadowed[0]!.message).to.match(/shadowed by ingress\[1\]/);
  });

  it('NPH014: two versions of one policy (a later step replaces it in place) never shadow each other', () => {
    const sel = { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress' as const] };
    const v1 = np('shop', 'web-ingress', { ...sel, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }] });
    const v2 = np('shop', 'web-ingress', { ...sel, ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080, protocol: 'TCP' }] }] });
    expect(lintPolicies([v1, v2]).findings.filter((f) => f.rule === 'NPH014')).to.deep.equal([]);
    // Two different policies with the same specs still do.
    const other = np('shop', 'web-ingress-wide', v2.policy.spec);
    expect(lintPolicies([v1, other]).findings.filter((f) => f.rule === 'NPH014').map((f) => f.message)).to.deep.equal(['ingress[0] is shadowed by shop/web-ingress-wide ingress[0], which already allows everything it allows']);
  });

  it('NPH018 policies the API server rejects', () => {
    const bad = findings([{ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{}], ports: [{ port: 80, protocol: 'TCP' }] }] }]);
    expect(bad.filter((x) => x.rule === 'NPH018').map((x) => [x.severity, x.path])).to.deep.equal([['error', 'spec.ingress[0].from[0]']]);
  });

  it('every rule id has a name, severity and summary, and ids are numbered without gaps', () => {
    const list = Object.values(RULES);
    list.forEach((r, i) => expect(r.id).to.equal(`NPH${String(i + 1).padStart(3, '0')}`));
    for (const r of list) expect(r.summary.length).to.be.greaterThan(20);
  });

  describe('on the seed suite', () => {
    it('reports the seed mistake (DNS by podSelector alone) with file, path and line, and the steps that go dark', async () => {
      const r = lintSuite(await loadSuite('suites/zero-trust/suite.yaml'));
      const mistake = r.findings.filter((f) => f.file.endsWith('allow-dns-mistake.yaml'));
      const n2 = mistake.filter((f) => f.rule === 'NPH002');
      expect(n2.map((f) => [f.path, f.line, f.policy])).to.deep.equal([
        ['[doc 0] spec.egress[0].to[0]', 15, 'task-api/allow-dns-mistake'],
        ['[doc 1] spec.egress[0].to[0]', 35, 'develop/allow-dns-mistake'],
      ]);
      const dark = r.findings.filter((f) => f.rule === 'NPH001');
      expect(dark.map((f) => f.file.split('/').pop())).to.deep.equal(['default-deny.yaml', 'default-deny.yaml', 'allow-dns-mistake.yaml', 'allow-dns-mistake.yaml']);
      const devDark = dark.find((f) => f.policy === 'develop/allow-dns-mistake')!;
      expect(devDark.message).to.match(/^at step dns-mistake: develop\/frontend, develop\/backend, develop\/production-db, develop\/debug are isolated for egress/);
      // The suite shows both mistakes on purpose: a rule of the step expects DNS to fail, so they are info naming it.
      expect(devDark.message).to.match(/\(expected by the suite: step dns-mistake rules\[5\] \("the podSelector-only peer matches no pod in kube-system"\)\)$/);
      expect([...dark, ...n2].map((f) => f.severity)).to.deep.equal(['info', 'info', 'info', 'info', 'info', 'info']);
      // The mistaken peer matches nothing too: the same mistake, reported once (as NPH002), not again as NPH012.
      expect(r.findings.filter((f) => f.rule === 'NPH012' && f.file.endsWith('allow-dns-mistake.yaml'))).to.deep.equal([]);
      // The second DNS peer of allow-dns selects app.kubernetes.io/name=coredns, a label CoreDNS does not
      // carry in the suite: the suite silences it (lint.disable on that file, with a comment saying why).
      expect(r.findings.filter((f) => f.rule === 'NPH012' && f.file.endsWith('allow-dns.yaml'))).to.deep.equal([]);
      expect(r.counts).to.deep.equal({ error: 0, warning: 0, info: 6 });
      // The corrected DNS policy itself has no error.
      expect(r.findings.filter((f) => f.file.endsWith('allow-dns.yaml') && f.severity === 'error')).to.deep.equal([]);
    });

    it('the same DNS mistakes are errors again when the step expects DNS to work, or leaves it to the simulation', async () => {
      const loaded = await loadSuite('suites/zero-trust/suite.yaml');
      const step = loaded.suite.steps.find((s) => s.name === 'dns-mistake')!;
      if (step.expect === 'simulated') throw new Error('hand-written expected');
      step.expect = { ...step.expect, rules: step.expect.rules.slice(0, 4) };
      const r = lintSuite(loaded);
      const mistake = r.findings.filter((f) => f.file.endsWith('allow-dns-mistake.yaml'));
      expect(mistake.map((f) => [f.rule, f.severity])).to.deep.equal([
        ['NPH002', 'error'],
        ['NPH001', 'error'],
        ['NPH002', 'error'],
        ['NPH001', 'error'],
      ]);
      // default-deny's step still states it: those stay info.
      expect(r.findings.filter((f) => f.file.endsWith('default-deny.yaml')).map((f) => f.severity)).to.deep.equal(['info', 'info']);
      loaded.suite.steps[1]!.expect = 'simulated';
      expect(lintSuite(loaded).findings.filter((f) => f.file.endsWith('default-deny.yaml')).map((f) => f.severity)).to.deep.equal(['error', 'error']);
    });

    it('lints a policy directory without the suite, and refuses unreadable input', async () => {
      const r = await lintPath('suites/zero-trust/policies');
      expect(r.files).to.have.length(8);
      expect(ids(r.findings)).to.deep.equal(['NPH002', 'NPH006']);
      let err: unknown;
      try {
        await lintPath('does/not/exist.yaml');
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(InputError);
    });
  });
});
