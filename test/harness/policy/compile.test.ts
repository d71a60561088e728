import { expect } from 'chai';
import { compilePolicy } from '../../../harness/policy/compile.js';
import type { NetworkPolicy, SourcedPolicy } from '../../../harness/policy/types.js';
import { validateNetworkPolicy } from '../../../harness/policy/validate.js';

const sourced = (spec: NetworkPolicy['spec']): SourcedPolicy => ({
  policy: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'x' }, spec },
  setId: 's',
  file: 'p.yaml',
  docIndex: 0,
});

describe('policy/compile agrees with the API-server validator', () => {
  const cases: [string, NetworkPolicy['spec']][] = [
    ['a port name over 15 characters', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-8080-tcp-x' }] }] }],
    ['a port name with "--"', { podSelector: {}, ingress: [{ ports: [{ port: 'a--b' }] }] }],
    ['a bad label key in a selector', { podSelector: { matchLabels: { 'bad key': 'v' } } }],
  ];
  for (const [what, spec] of cases) {
    it(`rejects ${what}, as validate does`, () => {
      const p = sourced(spec);
      expect(validateNetworkPolicy(p).filter((i) => i.severity !== 'warning'), 'the validator rejects it').to.not.deep.equal([]);
      const c = compilePolicy(p);
      expect(c).to.have.property('problems');
    });
  }

  it('compiles a valid policy', () => {
    const c = compilePolicy(sourced({ podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 'postgres' }, { port: 8080, endPort: 8090 }] }] }));
    expect(c).to.not.have.property('problems');
  });
});
