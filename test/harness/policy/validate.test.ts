// validateNetworkPolicy against the API server's rules (kubernetes pkg/apis/networking/validation
// plus strict field decoding): each rule with a valid and an invalid case.
import { expect } from 'chai';
import type { Issue } from '../../../harness/errors.js';
import type { NetworkPolicy, SourcedPolicy } from '../../../harness/policy/types.js';
import {
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  labelValueProblems,
  portNameProblems,
  qualifiedNameProblems,
  validateNetworkPolicy,
} from '../../../harness/policy/validate.js';

type Obj = Record<string, unknown>;

const sourced = (policy: unknown, extra: Partial<SourcedPolicy> = {}): SourcedPolicy => ({
  policy: policy as NetworkPolicy,
  setId: 'set',
  file: 'policies/p.yaml',
  docIndex: 0,
  ...extra,
});

const policy = (spec: Obj = {}, metadata: Obj = { name: 'p', namespace: 'x' }): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata,
  spec,
});

const all = (p: unknown): Issue[] => validateNetworkPolicy(sourced(p));
const errors = (p: unknown): Issue[] => all(p).filter((i) => i.severity !== 'warning');

/** Exactly one error; returns it for path and message checks. */
function one(p: unknown): Issue {
  const e = errors(p);
  expect(e, JSON.stringify(e, null, 1)).to.have.length(1);
  return e[0]!;
}

const ok = (p: unknown): void => {
  const e = errors(p);
  expect(e, JSON.stringify(e, null, 1)).to.deep.equal([]);
};

const ingressFrom = (...peers: unknown[]): Obj => ({ ingress: [{ from: peers }] });
const ingressPorts = (...ports: unknown[]): Obj => ({ ingress: [{ ports }] });

describe('policy/validate: validateNetworkPolicy', () => {
  describe('accepts what the API server accepts', () => {
    it('a minimal policy and empty/null fields', () => {
      ok(policy());
      ok(policy({ podSelector: {} }));
      ok(policy({ podSelector: null, ingress: null, egress: null, policyTypes: null }));
      ok(policy({ policyTypes: [] }));
    });
    it('allow-all rules: ingress [{}], from [], ports [{}], a protocol alone', () => {
      ok(policy({ ingress: [{}] }));
      ok(policy({ ingress: [{ from: [] }], egress: [{ to: [], ports: [] }] }));
      ok(policy(ingressPorts({}, { protocol: 'UDP' }, { protocol: 'SCTP', port: 81 })));
    });
    it('selectors with every operator, and a namespaceSelector AND podSelector peer', () => {
      ok(
        policy(
          ingressFrom({
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: {
              matchExpressions: [
                { key: 'app', operator: 'In', values: ['a', 'b'] },
                { key: 'tier', operator: 'NotIn', values: ['db'] },
                { key: 'example.com/x', operator: 'Exists' },
                { key: 'y', operator: 'DoesNotExist', values: [] },
              ],
            },
          }),
        ),
      );
    });
    it('ipBlock with except, IPv4 and IPv6', () => {
      ok(policy(ingressFrom({ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.3.4/32'] } }, { ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }, { ipBlock: { cidr: '0.0.0.0/0' } })));
    });
    it('port ranges and named ports', () => {
      ok(policy(ingressPorts({ port: 32000, endPort: 32768 }, { port: 80, endPort: 80 }, { port: 1, endPort: 65535 }, { port: 'http' }, { port: 'serve-80-tcp', protocol: 'UDP' })));
    });
    it('both policyTypes, object meta with labels and annotations', () => {
      ok(policy({ policyTypes: ['Ingress', 'Egress'] }, { name: 'allow.dns-1', namespace: 'x', labels: { 'app.kubernetes.io/name': 'x', empty: '' }, annotations: { 'example.com/why': 'any text: at all' } }));
    });
  });

  describe('object meta', () => {
    it('name is required', () => {
      expect(one(policy({}, { namespace: 'x' }))).to.include({ path: 'metadata.name' }).and.to.have.property('message').that.includes('is required');
      expect(one(policy({}, { name: '', namespace: 'x' })).path).to.equal('metadata.name');
    });
    it('name must be a DNS-1123 subdomain of at most 253 characters', () => {
      expect(one(policy({}, { name: 'Allow_DNS', namespace: 'x' })).message).to.include('RFC 1123 subdomain');
      expect(one(policy({}, { name: `${'a'.repeat(250)}.bcd`, namespace: 'x' })).message).to.include('no more than 253');
      expect(one(policy({}, { name: '-a', namespace: 'x' })).path).to.equal('metadata.name');
    });
    it('namespace is required and must be a DNS-1123 label', () => {
      expect(one(policy({}, { name: 'p' }))).to.include({ path: 'metadata.namespace' });
      expect(one(policy({}, { name: 'p', namespace: 'Dev' })).message).to.include('RFC 1123 label');
      expect(one(policy({}, { name: 'p', namespace: 'a.b' })).path).to.equal('metadata.namespace');
    });
    it('labels and annotation keys are validated', () => {
      expect(one(policy({}, { name: 'p', namespace: 'x', labels: { 'bad key': 'v' } })).message).to.include('label key "bad key"');
      expect(one(policy({}, { name: 'p', namespace: 'x', labels: { k: 'bad value' } })).message).to.include('value "bad value"');
      expect(one(policy({}, { name: 'p', namespace: 'x', annotations: { '/x': 'v' } })).message).to.include('prefix part must be non-empty');
    });
  });

  describe('strict decoding: unknown fields and wrong types', () => {
    it('reports unknown fields with the likely intended name', () => {
      const e = one(policy({ podSelecter: {} }));
      expect(e).to.include({ path: 'spec.podSelecter', message: 'unknown field "podSelecter" (did you mean "podSelector"?)' });
      expect(one(policy({ ingres: [] })).message).to.include('did you mean "ingress"');
      expect(one(policy(ingressFrom({ podSelectors: {} }))).path).to.equal('spec.ingress[0].from[0].podSelectors');
      expect(one(policy(ingressPorts({ portt: 80 }))).path).to.equal('spec.ingress[0].ports[0].portt');
      expect(one(policy(ingressFrom({ ipBlock: { cidr: '10.0.0.0/8', excepts: [] } }))).path).to.equal('spec.ingress[0].from[0].ipBlock.excepts');
      expect(one({ ...policy(), status: {} }).path).to.equal('status');
      expect(one(policy({}, { name: 'p', namespace: 'x', lables: {} })).message).to.include('did you mean "labels"');
    });
    it('reports wrong types', () => {
      expect(one(policy({ ingress: { from: [] } }))).to.include({ path: 'spec.ingress', message: 'must be a list (found a mapping)' });
      expect(one(policy(ingressPorts({ port: 80.5 }))).message).to.include('a port number or a port name');
      expect(one(policy(ingressPorts({ port: 80, endPort: '90' }))).message).to.include('must be a whole number');
      expect(one(policy({ podSelector: { matchLabels: { version: 2 } } })).message).to.include('quote it: kubectl (YAML 1.1) reads it as a number');
      expect(one(policy({ podSelector: [] })).message).to.include('must be a mapping');
    });
  });

  describe('label selectors', () => {
    const sel = (...matchExpressions: unknown[]): Obj => policy({ podSelector: { matchExpressions } });
    it('In and NotIn need values', () => {
      expect(one(sel({ key: 'app', operator: 'In' }))).to.include({ path: 'spec.podSelector.matchExpressions[0].values' });
      expect(one(sel({ key: 'app', operator: 'NotIn', values: [] })).message).to.include('must be specified when operator is "NotIn"');
    });
    it('Exists and DoesNotExist must not have values', () => {
      expect(one(sel({ key: 'app', operator: 'Exists', values: ['a'] })).message).to.include('may not be specified');
      expect(one(sel({ key: 'app', operator: 'DoesNotExist', values: ['a'] })).path).to.equal('spec.podSelector.matchExpressions[0].values');
    });
    it('the operator must be one of the four (case matters)', () => {
      const e = one(sel({ key: 'app', operator: 'in', values: ['a'] }));
      expect(e).to.include({ path: 'spec.podSelector.matchExpressions[0].operator' });
      expect(e.message).to.include('did you mean "In"');
      expect(one(sel({ key: 'app', values: ['a'] })).message).to.include('is required');
    });
    it('keys and values follow label syntax', () => {
      expect(one(sel({ key: 'bad key', operator: 'Exists' })).path).to.equal('spec.podSelector.matchExpressions[0].key');
      expect(one(sel({ operator: 'Exists' })).message).to.include('is required');
      expect(one(sel({ key: 'app', operator: 'In', values: ['ok', 'not ok'] })).path).to.equal('spec.podSelector.matchExpressions[0].values[1]');
      expect(one(policy({ podSelector: { matchLabels: { app: 'x'.repeat(64) } } })).message).to.include('no more than 63');
      expect(one(policy(ingressFrom({ namespaceSelector: { matchLabels: { 'a/b/c': 'x' } } }))).path).to.equal('spec.ingress[0].from[0].namespaceSelector.matchLabels');
    });
  });

  describe('peers (N46)', () => {
    it('an empty peer is rejected', () => {
      const e = one(policy(ingressFrom({})));
      expect(e).to.include({ path: 'spec.ingress[0].from[0]' });
      expect(e.message).to.include('must specify a peer').and.include('omit "from"');
      expect(one(policy({ egress: [{ to: [{}] }] })).message).to.include('omit "to"');
      expect(one(policy(ingressFrom(null))).message).to.include('must specify a peer');
    });
    it('podSelector: null alone counts as no peer', () => {
      const e = one(policy(ingressFrom({ podSelector: null })));
      expect(e.message).to.include('must specify a peer').and.include('podSelector: null counts as not set');
      expect(one(policy(ingressFrom({ namespaceSelector: null, podSelector: null }))).message).to.include('namespaceSelector: null');
    });
    it('ipBlock may not be combined with a selector', () => {
      expect(one(policy(ingressFrom({ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }))).message).to.include('may not specify both ipBlock and another peer');
      expect(one(policy({ egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' }, namespaceSelector: {} }] }] })).path).to.equal('spec.egress[0].to[0]');
    });
  });

  describe('ipBlock', () => {
    const block = (ipBlock: unknown): Obj => policy(ingressFrom({ ipBlock }));
    it('cidr is required and must be valid', () => {
      expect(one(block({}))).to.include({ path: 'spec.ingress[0].from[0].ipBlock.cidr' });
      expect(one(block({ cidr: '' })).message).to.include('is required');
      expect(one(block({ cidr: '10.0.0.0/33' })).message).to.include('invalid prefix length');
      expect(one(block({ cidr: '10.0.0.0' })).message).to.include('no prefix length');
      expect(one(block({ cidr: '10.0.0/8' })).message).to.include('not an IPv4 or IPv6 address');
      expect(one(block({ cidr: '010.0.0.0/8' })).message).to.include('leading zeros');
      expect(one(block({ cidr: '::ffff:10.0.0.0/104' })).message).to.include('IPv4-mapped');
      expect(one(block({ cidr: '300.0.0.0/8' })).message).to.include('above 255');
    });
    it('every except must be a strict subset of cidr', () => {
      const outside = one(block({ cidr: '10.0.0.0/16', except: ['10.0.1.0/24', '10.1.0.0/24'] }));
      expect(outside).to.include({ path: 'spec.ingress[0].from[0].ipBlock.except[1]' });
      expect(outside.message).to.include('must be a strict subset of cidr "10.0.0.0/16"').and.include('outside');
      expect(one(block({ cidr: '10.0.0.0/16', except: ['10.0.0.0/16'] })).message).to.include('covers all of cidr');
      expect(one(block({ cidr: '10.0.0.0/16', except: ['10.0.0.0/8'] })).message).to.include('strict subset');
      expect(one(block({ cidr: '10.0.0.0/8', except: ['2001:db8::/64'] })).message).to.include('IPv6 and cidr is IPv4');
      expect(one(block({ cidr: '10.0.0.0/8', except: ['10.1.0.0'] })).path).to.equal('spec.ingress[0].from[0].ipBlock.except[0]');
    });
    it('host bits in cidr are only a warning (the server accepts them)', () => {
      const issues = all(block({ cidr: '10.1.2.3/8' }));
      expect(issues).to.have.length(1);
      expect(issues[0]).to.include({ severity: 'warning' });
      expect(issues[0]!.message).to.include('"10.0.0.0/8"');
    });
  });

  describe('ports (N18)', () => {
    it('protocol must be TCP, UDP or SCTP, case-sensitive', () => {
      expect(one(policy(ingressPorts({ protocol: 'ICMP' })))).to.include({ path: 'spec.ingress[0].ports[0].protocol' });
      expect(one(policy(ingressPorts({ protocol: 'tcp', port: 80 }))).message).to.include('did you mean "TCP"');
    });
    it('a numeric port is 1-65535', () => {
      for (const port of [0, 65536, -1]) expect(one(policy(ingressPorts({ port }))).message).to.include('between 1 and 65535');
    });
    it('a named port is an IANA_SVC_NAME', () => {
      const name = (port: string): string => one(policy(ingressPorts({ port }))).message;
      expect(name('HTTP')).to.include('lower-case letters');
      expect(name('a-very-long-name-x')).to.include('no more than 15');
      expect(name('123-456')).to.include('at least one letter');
      expect(name('a--b')).to.include('consecutive hyphens');
      expect(name('-http')).to.include('begin or end with a hyphen');
      expect(name('8080')).to.include('remove the quotes');
    });
    it('endPort needs a numeric port, at most endPort, and at most 65535', () => {
      const end = (p: Obj): Issue => one(policy(ingressPorts(p)));
      expect(end({ endPort: 90 })).to.include({ path: 'spec.ingress[0].ports[0].endPort' });
      expect(end({ endPort: 90 }).message).to.include('port is not specified');
      expect(end({ port: 'http', endPort: 90 }).message).to.include('non-numeric');
      expect(end({ port: 8080, endPort: 8000 }).message).to.include('greater than or equal to port (8080)');
      expect(end({ port: 8080, endPort: 70000 }).message).to.include('between 1 and 65535');
    });
  });

  describe('policyTypes', () => {
    it('only Ingress and Egress', () => {
      const e = one(policy({ policyTypes: ['Ingres'] }));
      expect(e).to.include({ path: 'spec.policyTypes[0]' });
      expect(e.message).to.include('did you mean "Ingress"');
      expect(one(policy({ policyTypes: ['Ingress', 'egress'] })).path).to.equal('spec.policyTypes[1]');
    });
    it('at most two, without duplicates', () => {
      expect(one(policy({ policyTypes: ['Ingress', 'Egress', 'Ingress'] })).message).to.include('more than two');
      expect(one(policy({ policyTypes: ['Egress', 'Egress'] }))).to.include({ path: 'spec.policyTypes[1]', message: '"Egress" is listed twice' });
    });
  });

  describe('document', () => {
    it('apiVersion and kind', () => {
      expect(one({ ...policy(), apiVersion: 'networking.k8s.io/v1beta1' }).path).to.equal('apiVersion');
      expect(one({ ...policy(), kind: 'NetworkPolicies' }).path).to.equal('kind');
    });
    it('reports every problem, with the path prefix, file and the key line', () => {
      const lines: Record<string, number> = { 'spec.policyTypes[0]': 7, 'spec.ingress[0].from[0]': 12 };
      const issues = validateNetworkPolicy(
        sourced(policy({ policyTypes: ['Ingres'], ingress: [{ from: [{}] }] }), { file: 'f.yaml', keyLineOf: (p) => lines[p] }),
        { pathPrefix: '[doc 1] ' },
      );
      expect(issues.map((i) => [i.file, i.path, i.line])).to.deep.equal([
        ['f.yaml', '[doc 1] spec.ingress[0].from[0]', 12],
        ['f.yaml', '[doc 1] spec.policyTypes[0]', 7],
      ]);
    });
    it('a document that does not decode is not validated further (as the server rejects it first)', () => {
      expect(errors(policy({ ingres: [], ingress: [{ from: [{}] }] })).map((i) => i.path)).to.deep.equal(['spec.ingres']);
    });
    it('falls back to lineOf when keyLineOf is absent', () => {
      const [i] = validateNetworkPolicy(sourced(policy(ingressFrom({})), { lineOf: () => 3 }));
      expect(i!.line).to.equal(3);
    });
  });

  describe('name helpers', () => {
    it('DNS names, qualified names, label values, port names', () => {
      expect(dns1123SubdomainProblems('a.b-c')).to.deep.equal([]);
      expect(dns1123LabelProblems('a.b')).to.have.length(1);
      expect(qualifiedNameProblems('example.com/app_name.x')).to.deep.equal([]);
      expect(qualifiedNameProblems('Example.com/x')[0]).to.include('prefix part');
      expect(qualifiedNameProblems('x'.repeat(64))[0]).to.include('no more than 63');
      expect(labelValueProblems('')).to.deep.equal([]);
      expect(labelValueProblems('-x')).to.have.length(1);
      expect(portNameProblems('dns-tcp')).to.deep.equal([]);
    });
  });
});
