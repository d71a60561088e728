// Every row N01-N46 of the spec's edge-case catalogue (spec §5), against evaluate() and, where a
// row is a plain pod/node/address connection, against the bulk matrix engine too (fixtures.check).
import { expect } from 'chai';
import { compilePolicies } from '../../../harness/policy/compile.js';
import { evaluate } from '../../../harness/policy/evaluate.js';
import { calico, kubeRouter, upstream, type CniProfile } from '../../../harness/policy/profiles.js';
import { computeReachability } from '../../../harness/policy/reach.js';
import type { ClusterModel } from '../../../harness/policy/model.js';
import { catalogModel, catalogPod, check, NAMESPACES, np, PODS, podIp, verdict } from './fixtures.js';

const ciliumLike: CniProfile = { ...calico, name: 'cilium-like', ipBlockMatchesPodIPs: false };
const DENY_ALL_INGRESS = (ns: string, sel = {}) => np(ns, 'deny-all-ingress', { podSelector: sel, policyTypes: ['Ingress'] });
const DENY_ALL_EGRESS = (ns: string, sel = {}) => np(ns, 'deny-all-egress', { podSelector: sel, policyTypes: ['Egress'] });
const pods = NAMESPACES.flatMap((ns) => PODS.map((p) => `${ns}/${p}`));

describe('policy engine: edge-case catalogue (spec §5)', () => {
  it('N01 no policies: any -> any is allowed on every port and protocol', () => {
    const m = catalogModel([]);
    for (const from of pods) for (const to of pods) for (const proto of ['TCP', 'UDP', 'SCTP'] as const) expect(verdict(m, from, to, 80, proto)).to.equal('allow');
    const r = computeReachability(m, { ports: [{ port: 81, protocol: 'UDP' }] });
    expect([...r.toDense()].every((v) => v === 1)).to.equal(true);
  });

  it('N02 podSelector {} without policyTypes or rules isolates ingress only', () => {
    const m = catalogModel([np('x', 'deny', { podSelector: {} })]);
    expect(verdict(m, 'y/a', 'x/a', 80)).to.equal('deny');
    expect(verdict(m, 'x/a', 'y/a', 80)).to.equal('allow');
  });

  it('N03 egress-only rules without policyTypes also deny all ingress (implied Ingress type)', () => {
    const m = catalogModel([np('x', 'dns-only', { podSelector: { matchLabels: { pod: 'a' } }, egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] })]);
    const r = check(m, 'y/a', 'x/a', 80);
    expect(r.verdict).to.equal('deny');
    expect(r.ingress!.isolatedBy).to.deep.equal(['x/dns-only']);
    expect(r.ingress!.note).to.match(/no ingress rules/);
    expect(verdict(m, 'x/a', 'y/a', 53, 'UDP')).to.equal('allow');
    expect(verdict(m, 'x/a', 'y/a', 80)).to.equal('deny');
  });

  it('N04 ingress rules are ignored when policyTypes lists only Egress', () => {
    const m = catalogModel([
      np('x', 'egress-only', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }], egress: [{}] }),
    ]);
    const r = check(m, 'y/a', 'x/a', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.ingress!.reason).to.equal('not-isolated');
    expect(verdict(m, 'x/a', 'z/c', 9999, 'UDP')).to.equal('allow');
  });

  it('N05 ingress [{}] allows every source on every port and protocol', () => {
    const m = catalogModel([np('x', 'allow-all', { podSelector: {}, ingress: [{}] })]);
    for (const from of [...pods, 'external:world', 'node:node-2']) {
      for (const to of ['x/a', 'x/b', 'x/c']) for (const proto of ['TCP', 'UDP', 'SCTP'] as const) expect(verdict(m, from, to, 81, proto)).to.equal('allow');
    }
    const r = check(m, 'y/a', 'x/a', 12345, 'UDP');
    expect(r.ingress!.reason).to.equal('rule');
    expect(r.ingress!.allowedBy[0]!.ref).to.equal('x/allow-all ingress[0]');
  });

  it('N06 policyTypes [Ingress, Egress] with no rules denies both ways', () => {
    const m = catalogModel([np('x', 'deny-both', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })]);
    const r = check(m, 'x/a', 'x/b', 80);
    expect(r.verdict).to.equal('deny');
    expect(r.egress!.verdict).to.equal('deny');
    expect(r.ingress!.verdict).to.equal('deny');
    expect(verdict(m, 'y/a', 'x/a', 80)).to.equal('deny');
    expect(verdict(m, 'y/a', 'y/b', 80)).to.equal('allow');
  });

  it('N07 union is per rule: a peer allowed on 80 by one policy does not get 81 from another', () => {
    const m = catalogModel([
      np('x', 'p1', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 80 }] }] }),
      np('x', 'p2', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 81 }] }] }),
    ]);
    expect(verdict(m, 'x/b', 'x/a', 81)).to.equal('deny');
    expect(verdict(m, 'y/a', 'x/a', 80)).to.equal('deny');
    expect(verdict(m, 'y/a', 'x/a', 81)).to.equal('allow');
    expect(verdict(m, 'x/b', 'x/a', 80)).to.equal('allow');
  });

  it('N08 both ends must allow: egress of the source is checked even when the destination allows', () => {
    const m = catalogModel([
      np('x', 'a-egress', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }] }] }),
      np('y', 'b-ingress', { podSelector: { matchLabels: { pod: 'b' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: { matchLabels: { pod: 'a' } } }] }] }),
    ]);
    const r = check(m, 'x/a', 'y/b', 80);
    expect(r.verdict).to.equal('deny');
    expect(r.egress!.verdict).to.equal('deny');
    expect(r.ingress!.verdict).to.equal('allow');
    expect(verdict(m, 'x/a', 'y/a', 80)).to.equal('allow');
  });

  it('N09 namespaceSelector and podSelector in one peer are ANDed', () => {
    const m = catalogModel([np('x', 'and', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'a' } } }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 80)).to.equal('allow');
    expect(verdict(m, 'y/b', 'x/a', 80)).to.equal('deny');
    expect(verdict(m, 'z/a', 'x/a', 80)).to.equal('deny');
    expect(verdict(m, 'x/b', 'x/a', 80)).to.equal('deny');
  });

  it('N10 two peers in one list are ORed', () => {
    const m = catalogModel([np('x', 'or', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }] }] })]);
    expect(verdict(m, 'y/c', 'x/a', 80)).to.equal('allow');
    expect(verdict(m, 'x/b', 'x/a', 80)).to.equal('allow');
    expect(verdict(m, 'z/b', 'x/a', 80)).to.equal('deny');
    expect(check(m, 'y/c', 'x/a', 80).ingress!.allowedBy[0]!.peer).to.equal(0);
    expect(check(m, 'x/b', 'x/a', 80).ingress!.allowedBy[0]!.peer).to.equal(1);
  });

  it('N11 peer podSelector {} means pods of the policy namespace only', () => {
    const m = catalogModel([np('x', 'same-ns', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: {} }] }] })]);
    expect(verdict(m, 'x/b', 'x/a', 80)).to.equal('allow');
    const r = check(m, 'y/a', 'x/a', 80);
    expect(r.verdict).to.equal('deny');
    expect(r.ingress!.misses[0]!.text).to.match(/selects pods in x only, and y\/a is in y/);
  });

  it('N12 namespaceSelector {} matches every pod of every namespace but no external IP', () => {
    const m = catalogModel([np('x', 'all-ns', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: {} }] }] })]);
    expect(verdict(m, 'z/c', 'x/a', 80)).to.equal('allow');
    expect(verdict(m, '198.51.100.7', 'x/a', 80)).to.equal('deny');
    expect(verdict(m, 'external:world', 'x/a', 80)).to.equal('deny');
  });

  it('N13 selectors never match external IPs in egress', () => {
    const m = catalogModel([np('x', 'to-all-ns', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }] }] })]);
    const r = check(m, 'x/a', '8.8.8.8', 53, 'UDP');
    expect(r.verdict).to.equal('deny');
    expect(r.egress!.misses[0]!.text).to.match(/selectors never match an address outside the cluster/);
    expect(verdict(m, 'x/a', 'y/b', 53, 'UDP')).to.equal('allow');
  });

  it('N14 a port without protocol is TCP', () => {
    const m = catalogModel([np('x', 'p80', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 80 }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 80, 'TCP')).to.equal('allow');
    expect(verdict(m, 'y/a', 'x/a', 80, 'UDP')).to.equal('deny');
  });

  it('N15 protocol without port allows every port of that protocol only', () => {
    const m = catalogModel([np('x', 'udp', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ protocol: 'UDP' }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 81, 'UDP')).to.equal('allow');
    expect(verdict(m, 'y/a', 'x/a', 80, 'TCP')).to.equal('deny');
  });

  it('N16 an empty port entry {} is "TCP, any port", not "anything" (calico#4373)', () => {
    const m = catalogModel([np('x', 'empty-port', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{}, { port: 80 }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 81, 'TCP')).to.equal('allow');
    expect(verdict(m, 'y/a', 'x/a', 80, 'UDP')).to.equal('deny');
  });

  it('N17 endPort is an inclusive range; a profile without endPort allows only port (impl)', () => {
    const m = catalogModel([np('x', 'range', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 32000, endPort: 32768 }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 32000)).to.equal('allow');
    expect(verdict(m, 'y/a', 'x/a', 32768)).to.equal('allow');
    expect(verdict(m, 'y/a', 'x/a', 32769)).to.equal('deny');
    for (const p of [calico, kubeRouter, upstream]) expect(verdict(m, 'y/a', 'x/a', 32768, 'TCP', p), p.name).to.equal('allow');
    const noEndPort: CniProfile = { ...calico, name: 'no-endport', endPortSupported: false };
    expect(verdict(m, 'y/a', 'x/a', 32000, 'TCP', noEndPort)).to.equal('allow');
    const r = check(m, 'y/a', 'x/a', 32768, 'TCP', noEndPort);
    expect(r.verdict).to.equal('deny');
    expect(r.ingress!.misses[0]!.text).to.match(/ignores endPort/);
  });

  it('N18 endPort with a named or missing port, or below port, is rejected and has no effect', () => {
    const bad = [
      np('x', 'named-endport', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-80-tcp', endPort: 90 }] }] }),
      np('x', 'missing-port', { podSelector: {}, ingress: [{ ports: [{ endPort: 90 }] }] }),
      np('x', 'endport-below', { podSelector: {}, ingress: [{ ports: [{ port: 90, endPort: 80 }] }] }),
    ];
    const set = compilePolicies(bad);
    expect(set.policies).to.have.length(0);
    expect(set.rejected.map((r) => r.problems[0]!.path)).to.deep.equal(['spec.ingress[0].ports[0].endPort', 'spec.ingress[0].ports[0].endPort', 'spec.ingress[0].ports[0].endPort']);
    const r = check(catalogModel(bad), 'y/a', 'x/a', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.rejected).to.have.length(3);
    expect(r.explanation.details.join('\n')).to.match(/ignored x\/named-endport .*the API server rejects it/);
  });

  it('N19 an ingress named port resolves on the destination pod', () => {
    const m = catalogModel([np('x', 'named', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 81)).to.equal('allow');
    expect(verdict(m, 'y/a', 'x/a', 80)).to.equal('deny');
  });

  it('N20 an egress named port resolves on each destination pod, never on external IPs', () => {
    const web = (id: string, port?: number) => ({ id: `y/${id}`, namespace: 'y', labels: { pod: id }, ip: `10.0.2.${10 + id.charCodeAt(0)}`, ports: port ? [{ name: 'http', port, protocol: 'TCP' as const }] : [{ port: 80, protocol: 'TCP' as const }] });
    const m = catalogModel([np('x', 'http-out', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'http' }] }] })], {
      pods: [catalogPod('x', 'a'), web('A', 8000), web('B', 8080), web('C')],
    });
    expect(verdict(m, 'x/a', 'y/A', 8000)).to.equal('allow');
    expect(verdict(m, 'x/a', 'y/B', 8080)).to.equal('allow');
    expect(verdict(m, 'x/a', 'y/A', 8080)).to.equal('deny');
    expect(verdict(m, 'x/a', 'y/C', 80)).to.equal('deny');
    const r = check(m, 'x/a', '8.8.8.8', 8000);
    expect(r.verdict).to.equal('deny');
    expect(r.egress!.misses[0]!.text).to.match(/named port http cannot match 8\.8\.8\.8, which is not a pod/);
  });

  it('N21 a named port must resolve on the rule protocol (dns is UDP, rule says TCP)', () => {
    const dns = { id: 'y/dns', namespace: 'y', labels: { pod: 'dns' }, ip: '10.0.2.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' as const }] };
    const m = catalogModel([np('y', 'dns-tcp', { podSelector: { matchLabels: { pod: 'dns' } }, ingress: [{ ports: [{ port: 'dns', protocol: 'TCP' }] }] })], { pods: [catalogPod('x', 'a'), dns] });
    expect(verdict(m, 'x/a', 'y/dns', 53, 'TCP')).to.equal('deny');
    const r = check(m, 'x/a', 'y/dns', 53, 'UDP');
    expect(r.verdict).to.equal('deny');
    expect(check(m, 'x/a', 'y/dns', 53, 'TCP').ingress!.misses[0]!.text).to.match(/named port dns is 53\/UDP on y\/dns, not TCP/);
  });

  it('N22 default deny + allow SCTP 81 does not open TCP 81; SCTP itself depends on the profile (impl)', () => {
    const m = catalogModel([DENY_ALL_INGRESS('x'), np('x', 'sctp', { podSelector: {}, ingress: [{ ports: [{ port: 81, protocol: 'SCTP' }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 81, 'TCP')).to.equal('deny');
    expect(verdict(m, 'y/a', 'x/a', 81, 'SCTP')).to.equal('allow');
    const kr = check(m, 'y/a', 'x/a', 81, 'SCTP', kubeRouter);
    expect(kr.verdict).to.equal('unknown');
    expect(kr.policyVerdict).to.equal('allow');
    expect(verdict(m, 'y/a', 'x/a', 81, 'TCP', kubeRouter)).to.equal('deny');
  });

  it('N23 a policy allowing only SCTP 80 still isolates the pod', () => {
    const m = catalogModel([np('x', 'sctp80', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 80, protocol: 'SCTP' }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 81, 'TCP')).to.equal('deny');
    expect(verdict(m, 'y/a', 'x/a', 80, 'TCP')).to.equal('deny');
    expect(verdict(m, 'y/a', 'x/b', 81, 'TCP')).to.equal('allow');
  });

  it('N24 allowing only UDP 81 denies TCP 81', () => {
    const m = catalogModel([np('x', 'udp81', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81, protocol: 'UDP' }] }] })]);
    expect(verdict(m, 'y/a', 'x/a', 81, 'TCP')).to.equal('deny');
    expect(verdict(m, 'y/a', 'x/a', 81, 'UDP')).to.equal('allow');
  });

  const n25 = () =>
    np('x', 'cidr-except', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/4', except: [`${podIp('x', 'b')}/32`] } }] }] });

  it('N25 ipBlock with except: the excepted pod IP is denied, the rest of the CIDR allowed (impl: pod IPs)', () => {
    const m = catalogModel([n25()]);
    const r = check(m, 'x/a', 'x/b', 80);
    expect(r.verdict).to.equal('deny');
    expect(r.egress!.misses[0]!.text).to.match(/cidr contains 10\.0\.1\.2, but except 10\.0\.1\.2\/32 excludes it/);
    expect(verdict(m, 'x/a', 'x/c', 80)).to.equal('allow');
    // Cilium-like plugins never match pod IPs with ipBlock: the profile flips the allowed cell.
    expect(verdict(m, 'x/a', 'x/c', 80, 'TCP', ciliumLike)).to.equal('deny');
    // A plugin without except support would open the excepted IP too.
    expect(verdict(m, 'x/a', 'x/b', 80, 'TCP', { ...calico, name: 'no-except', exceptSupported: false })).to.equal('allow');
  });

  it('N26 another policy can still allow an excepted IP (union, antrea#367)', () => {
    const m = catalogModel([n25(), np('x', 'allow-b', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${podIp('x', 'b')}/32` } }] }] })]);
    const r = check(m, 'x/a', 'x/b', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.egress!.allowedBy.map((a) => a.policy)).to.deep.equal(['x/allow-b']);
  });

  it('N27 egress ipBlock of one pod IP/32 allows exactly that pod (impl: Cilium denies)', () => {
    const m = catalogModel([np('x', 'to-yb', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${podIp('y', 'b')}/32` } }] }] })]);
    expect(verdict(m, 'x/a', 'y/b', 80)).to.equal('allow');
    expect(verdict(m, 'x/a', 'y/a', 80)).to.equal('deny');
    expect(verdict(m, 'x/a', 'y/b', 80, 'TCP', upstream)).to.equal('allow');
    const r = check(m, 'x/a', 'y/b', 80, 'TCP', ciliumLike);
    expect(r.verdict).to.equal('deny');
    expect(r.egress!.misses[0]!.text).to.match(/does not match pod IPs/);
  });

  it('N28 egress ipBlock 0.0.0.0/0 also reaches pods on Calico/upstream (impl)', () => {
    const m = catalogModel([DENY_ALL_EGRESS('x'), np('x', 'world', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })]);
    expect(verdict(m, 'x/a', 'y/a', 80)).to.equal('allow');
    expect(verdict(m, 'x/a', 'y/a', 80, 'TCP', upstream)).to.equal('allow');
    expect(verdict(m, 'x/a', 'y/a', 80, 'TCP', ciliumLike)).to.equal('deny');
    expect(verdict(m, 'x/a', 'external:world', 80, 'TCP', ciliumLike)).to.equal('allow');
  });

  it('N29 0.0.0.0/0 does not cover IPv6 destinations', () => {
    const m = catalogModel([np('x', 'v4-only', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] })], {
      externals: [{ id: 'external:v6', ip: '2001:db8::1' }, { id: 'external:v4', ip: '198.51.100.7' }],
    });
    expect(verdict(m, 'x/a', 'external:v6', 443)).to.equal('deny');
    expect(verdict(m, 'x/a', 'external:v4', 443)).to.equal('allow');
  });

  const svcModel = (policies: ClusterModel['policies']): ClusterModel =>
    catalogModel(policies, {
      pods: [...catalogModel([]).pods, { id: 'x/web', namespace: 'x', labels: { app: 'web' }, ip: '10.0.1.50', node: 'node-2', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
      services: [
        { id: 'y/s-y-a', namespace: 'y', clusterIP: '10.96.0.10', selector: { pod: 'a' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
        { id: 'x/web', namespace: 'x', clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http', protocol: 'TCP' }] },
        { id: 'x/s-x-a', namespace: 'x', clusterIP: '10.96.0.30', selector: { pod: 'a' }, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
      ],
    });

  it('N30 an egress ipBlock naming a ClusterIP matches nothing: policy sees the backend IP', () => {
    const m = svcModel([np('x', 'to-clusterip', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.96.0.10/32' } }], ports: [{ port: 80 }] }] })]);
    const r = check(m, 'x/a', 'svc:y/s-y-a', 80);
    expect(r.verdict).to.equal('deny');
    expect(r.backends!.map((b) => [b.pod, b.targetPort, b.result.verdict])).to.deep.equal([['y/a', 80, 'deny']]);
  });

  it('N31 Services are judged after DNAT, on the target port', () => {
    const target = svcModel([np('x', 'to-web', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] }] })]);
    const r = check(target, 'x/a', 'svc:x/web', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.backends![0]!.targetPort).to.equal(8080);
    const svcPort = svcModel([np('x', 'to-web', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 80 }] }] })]);
    expect(verdict(svcPort, 'x/a', 'svc:x/web', 80)).to.equal('deny');
  });

  it('N32 replies of an allowed connection are allowed; the reverse new connection is not', () => {
    const m = catalogModel([
      np('x', 'a-out', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress', 'Egress'], egress: [{ to: [{ podSelector: { matchLabels: { pod: 'b' } } }] }] }),
      np('x', 'b-in', { podSelector: { matchLabels: { pod: 'b' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'a' } } }] }] }),
    ]);
    expect(verdict(m, 'x/a', 'x/b', 80)).to.equal('allow');
    const reply = check(m, 'x/a', 'x/b', 80, 'TCP', calico, { connection: 'reply' });
    expect(reply.verdict).to.equal('allow');
    expect(reply.special).to.equal('reply');
    expect(verdict(m, 'x/b', 'x/a', 80)).to.equal('deny');
    expect(verdict(m, 'x/b', 'x/a', 80, 'TCP', calico, { connection: 'reply' })).to.equal('deny');
  });

  it('N33 the pod\'s own node (kubelet, hostNetwork pods) may always reach it', () => {
    const hostPod = { id: 'kube-system/agent', namespace: 'kube-system', labels: { app: 'agent' }, hostNetwork: true, node: 'node-1', ports: [] };
    const m = catalogModel([DENY_ALL_INGRESS('x')], { pods: [...catalogModel([]).pods, hostPod] });
    const r = check(m, 'node:node-1', 'x/a', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.ingress!.reason).to.equal('exception');
    expect(verdict(m, 'kube-system/agent', 'x/a', 80)).to.equal('allow');
    expect(verdict(m, 'kube-system/agent', 'x/b', 80)).to.equal('deny');
  });

  it('N34 another node is ordinary ipBlock traffic', () => {
    const denied = catalogModel([DENY_ALL_INGRESS('x')]);
    expect(verdict(denied, 'node:node-2', 'x/a', 80)).to.equal('deny');
    const allowed = catalogModel([DENY_ALL_INGRESS('x'), np('x', 'from-nodes', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '172.18.0.0/24' } }] }] })]);
    expect(verdict(allowed, 'node:node-2', 'x/a', 80)).to.equal('allow');
    expect(verdict(allowed, 'node:node-2', 'x/a', 80, 'TCP', { ...calico, name: 'old-cilium', ipBlockMatchesNodeIPs: false })).to.equal('deny');
  });

  it('N35 a pod reaching its own node under egress deny-all is implementation-defined (impl)', () => {
    const m = catalogModel([DENY_ALL_EGRESS('x')]);
    expect(verdict(m, 'x/a', 'node:node-1', 10250, 'TCP', calico)).to.equal('deny');
    expect(verdict(m, 'x/a', 'node:node-1', 10250, 'TCP', upstream)).to.equal('allow');
    expect(verdict(m, 'x/a', 'node:node-2', 10250, 'TCP', upstream)).to.equal('deny');
  });

  it('N36 a policy selecting a hostNetwork pod is not applied by node-mode profiles (impl)', () => {
    const hostPod = { id: 'x/host', namespace: 'x', labels: { pod: 'host' }, hostNetwork: true, node: 'node-2', ports: [{ port: 80, protocol: 'TCP' as const }] };
    const m = catalogModel([np('x', 'deny-host', { podSelector: { matchLabels: { pod: 'host' } }, policyTypes: ['Ingress'] })], { pods: [...catalogModel([]).pods, hostPod] });
    const r = check(m, 'y/a', 'x/host', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.ingress!.reason).to.equal('not-subject');
    expect(verdict(m, 'y/a', 'x/host', 80, 'TCP', { ...calico, name: 'ovn-like', hostNetwork: 'pod' })).to.equal('deny');
  });

  it('N37 node-local DNS (hostNetwork) is not reachable by podSelector, only by ipBlock', () => {
    const nodeLocal = { id: 'kube-system/node-local-dns', namespace: 'kube-system', labels: { 'k8s-app': 'node-local-dns' }, hostNetwork: true, ip: '169.254.20.10', node: 'node-1', ports: [{ name: 'dns', port: 53, protocol: 'UDP' as const }] };
    const base = [...catalogModel([]).pods, nodeLocal];
    const bySelector = catalogModel(
      [np('x', 'dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'node-local-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }] }] })],
      { pods: base },
    );
    const r = check(bySelector, 'x/a', '169.254.20.10', 53, 'UDP');
    expect(r.verdict).to.equal('deny');
    expect(r.egress!.misses[0]!.text).to.match(/treated as node traffic/);
    const byIp = catalogModel([np('x', 'dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ port: 53, protocol: 'UDP' }] }] })], { pods: base });
    expect(verdict(byIp, 'x/a', '169.254.20.10', 53, 'UDP')).to.equal('allow');
  });

  it('N38 a pod cannot block traffic to itself', () => {
    const m = catalogModel([DENY_ALL_INGRESS('x'), DENY_ALL_EGRESS('x')]);
    const r = check(m, 'x/a', 'x/a', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.special).to.equal('self');
    const mat = computeReachability(m, { sources: ['x/a', 'x/b'], destinations: ['x/a'], ports: [{ port: 80, protocol: 'TCP' }] });
    expect(mat.get('x/a', 'x/a', 80, 'TCP')).to.equal('allow');
    expect(mat.get('x/b', 'x/a', 80, 'TCP')).to.equal('deny');
  });

  it('N39 pod -> Service -> itself follows the hairpin profile (impl)', () => {
    const m = svcModel([DENY_ALL_INGRESS('x', { matchLabels: { pod: 'a' } })]);
    const c = check(m, 'x/a', 'svc:x/s-x-a', 80, 'TCP', calico);
    expect(c.verdict).to.equal('allow');
    expect(c.backends![0]!.result.special).to.equal('hairpin');
    expect(verdict(m, 'x/a', 'svc:x/s-x-a', 80, 'TCP', upstream)).to.equal('deny');
    expect(verdict(m, 'x/b', 'svc:x/s-x-a', 80, 'TCP', calico)).to.equal('deny');
  });

  it('N40 kubernetes.io/metadata.name is present even when the namespace YAML omits it', () => {
    const m = catalogModel([np('x', 'from-y', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }] })]);
    expect(m.namespaces.every((n) => !('kubernetes.io/metadata.name' in n.labels))).to.equal(true);
    for (const p of PODS) {
      expect(verdict(m, `y/${p}`, 'x/a', 80)).to.equal('allow');
      expect(verdict(m, `z/${p}`, 'x/a', 80)).to.equal('deny');
    }
  });

  it('N41 NotIn matches pods that lack the key', () => {
    const nolabel = { id: 'x/nolabel', namespace: 'x', labels: {}, ip: '10.0.1.99', ports: [] };
    const m = catalogModel([np('x', 'notin', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'NotIn', values: ['a'] }] } }] }] })], {
      pods: [...catalogModel([]).pods, nolabel],
    });
    expect(verdict(m, 'x/nolabel', 'x/a', 80)).to.equal('allow');
    expect(verdict(m, 'x/b', 'x/a', 80)).to.equal('allow');
    const self = catalogModel([np('x', 'notin-b', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'NotIn', values: ['b'] }] } }] }] })]);
    expect(verdict(self, 'x/b', 'x/a', 80)).to.equal('deny');
  });

  it('N42 changing a pod or namespace label flips the verdict', () => {
    const pol = np('x', 'from-team', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } }, podSelector: { matchLabels: { role: 'client' } } }] }] });
    const model = (nsTeam: boolean, podRole: boolean): ClusterModel => {
      const m = catalogModel([pol]);
      if (nsTeam) m.namespaces.find((n) => n.name === 'y')!.labels.team = 'blue';
      if (podRole) m.pods.find((p) => p.id === 'y/b')!.labels.role = 'client';
      return m;
    };
    expect(verdict(model(false, false), 'y/b', 'x/a', 80)).to.equal('deny');
    expect(verdict(model(true, false), 'y/b', 'x/a', 80)).to.equal('deny');
    expect(verdict(model(true, true), 'y/b', 'x/a', 80)).to.equal('allow');
    expect(verdict(model(false, true), 'y/b', 'x/a', 80)).to.equal('deny');
  });

  it('N43 a policy selects pods of its own namespace only', () => {
    const m = catalogModel([np('x', 'deny-a', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Ingress'] })]);
    expect(verdict(m, 'z/c', 'x/a', 80)).to.equal('deny');
    const r = check(m, 'z/c', 'y/a', 80);
    expect(r.verdict).to.equal('allow');
    expect(r.ingress!.reason).to.equal('not-isolated');
  });

  it('N44 ICMP is undefined: reported as unknown, never allow or deny', () => {
    for (const m of [catalogModel([]), catalogModel([DENY_ALL_INGRESS('x')])]) {
      const r = evaluate(m, { from: 'y/a', to: 'x/a', protocol: 'ICMP' });
      expect(r.verdict).to.equal('unknown');
      expect(r.special).to.equal('icmp');
      expect(r.explanation.summary).to.match(/not asserted/);
    }
  });

  it('N45 existing connections after a policy change are implementation-defined: unknown; new ones are asserted', () => {
    const m = catalogModel([DENY_ALL_INGRESS('x')]);
    const r = evaluate(m, { from: 'y/a', to: 'x/a', port: 80, protocol: 'TCP', connection: 'existing' });
    expect(r.verdict).to.equal('unknown');
    expect(r.explanation.summary).to.match(/only new connections are asserted/);
    expect(verdict(m, 'y/a', 'x/a', 80)).to.equal('deny');
  });

  it('N46 invalid peers, CIDRs and protocols are rejected by the API and have no effect', () => {
    const cases: [string, object, RegExp][] = [
      ['empty-peer', { from: [{}] }, /must specify a peer/],
      ['null-pod-selector', { from: [{ podSelector: null }] }, /must specify a peer/],
      ['ipblock-and-selector', { from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }] }, /may not specify both ipBlock and another peer/],
      ['except-outside', { from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] } }] }, /strict subset/],
      ['except-equal', { from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] } }] }, /strict subset/],
      ['bad-protocol', { ports: [{ protocol: 'ICMP', port: 80 }] }, /is not supported/],
    ];
    for (const [name, rule, why] of cases) {
      const p = np('x', name, { podSelector: {}, policyTypes: ['Ingress'], ingress: [rule] });
      const set = compilePolicies([p]);
      expect(set.rejected, name).to.have.length(1);
      expect(set.rejected[0]!.problems.map((x) => x.message).join('; '), name).to.match(why);
      // Rejected means never applied: the deny-all it would have implied does not happen.
      expect(verdict(catalogModel([p]), 'y/a', 'x/a', 80), name).to.equal('allow');
    }
  });
});
