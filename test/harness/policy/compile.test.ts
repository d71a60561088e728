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

  // Found by the fuzz test (issue 25): lint compiles loose policy files before any validation, and a
  // string or mapping where a list belongs crashed it ("entries is not a function").
  for (const bad of ['abc', { a: 1 }, 7]) {
    it(`rejects ${JSON.stringify(bad)} where a list belongs, with a problem, not a crash`, () => {
      const spec = { podSelector: {}, policyTypes: bad, ingress: [{ from: bad, ports: bad }], egress: bad } as unknown as NetworkPolicy['spec'];
      const c = compilePolicy(sourced(spec));
      expect(c).to.have.property('problems');
      const paths = (c as { problems: { path: string }[] }).problems.map((x) => x.path);
      expect(paths).to.include.members(['spec.policyTypes', 'spec.ingress[0].from', 'spec.ingress[0].ports', 'spec.egress']);
    });
  }

  it('reads a null port entry as a zero NetworkPolicyPort (every TCP port), as the API server decodes it', () => {
    const c = compilePolicy(sourced({ podSelector: {}, ingress: [{ ports: [null as never] }] }));
    expect(c).to.not.have.property('problems');
    expect((c as { ingress: { ports: unknown[] }[] }).ingress[0]!.ports).to.deep.equal([{ kind: 'protocol', index: 0, protocol: 'TCP' }]);
  });

  it('compiles a valid policy', () => {
    const c = compilePolicy(sourced({ podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 'postgres' }, { port: 8080, endPort: 8090 }] }] }));
    expect(c).to.not.have.property('problems');
  });
});
