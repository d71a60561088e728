// Random sets: reproducible from the seed, always valid, and together covering the feature space.
import { expect } from 'chai';
import { stringify } from 'yaml';
import { generateSet, randomSuite } from '../../../../harness/conformance/random/generate.js';
import { rng, streamSeed } from '../../../../harness/conformance/random/prng.js';
import type { NetworkPolicy } from '../../../../harness/policy/types.js';
import { isError, validateLoaded } from '../../../../harness/suite/validate.js';

const yamlOf = (sets: NetworkPolicy[][]): string => sets.map((s) => s.map((p) => stringify(p)).join('---\n')).join('===\n');
const setsOf = (n: number, seed: number, namedPorts = true): NetworkPolicy[][] => Array.from({ length: n }, (_, i) => generateSet(i, { seed, namedPorts }));

describe('conformance --random: generation', function () {
  this.timeout(60_000);

  it('the same seed gives byte-identical sets; another seed gives others', () => {
    expect(yamlOf(setsOf(20, 7))).to.equal(yamlOf(setsOf(20, 7)));
    expect(yamlOf(setsOf(20, 7))).to.not.equal(yamlOf(setsOf(20, 8)));
  });

  it('set i of a seed does not depend on how many sets are asked for', () => {
    expect(yamlOf(setsOf(4, 1))).to.equal(yamlOf(setsOf(20, 1).slice(0, 4)));
  });

  it('the PRNG and the per-set streams are stable across versions (recorded values)', () => {
    const r = rng(1);
    expect([r(), r()].map((x) => x.toFixed(6))).to.deep.equal(['0.627074', '0.002736']);
    expect(streamSeed(1, 0)).to.not.equal(streamSeed(1, 1));
    expect(streamSeed(1, 0)).to.not.equal(streamSeed(2, 0));
  });

  it('every generated suite validates (40 seeds x 20 sets)', () => {
    for (let seed = 0; seed < 40; seed++) {
      const loaded = randomSuite(20, 'kube-router', { seed });
      const errors = validateLoaded(loaded).filter(isError);
      expect(errors, `seed ${seed}: ${errors.map((e) => e.message).join('; ')}`).to.deep.equal([]);
      expect(loaded.suite.steps.map((s) => s.expect)).to.deep.equal(Array(20).fill('simulated'));
      // Each step replaces the previous set: one set applied at a time.
      expect(loaded.suite.steps[1]!.remove).to.deep.equal(['set-1']);
    }
  });

  it('covers the feature space over 60 sets', () => {
    const text = yamlOf(setsOf(60, 3));
    const policies = setsOf(60, 3).flat();
    const specs = policies.map((p) => JSON.stringify(p.spec));
    for (const op of ['In', 'NotIn', 'Exists', 'DoesNotExist']) expect(text, op).to.include(`operator: ${op}\n`);
    for (const needle of ['kubernetes.io/metadata.name', 'endPort:', 'port: serve', 'except:', 'cidr: 0.0.0.0/0', 'protocol: UDP', 'matchLabels:', 'egress:', 'ingress:']) expect(text, needle).to.include(needle);
    expect(specs.some((s) => s.includes('"podSelector"') && /"namespaceSelector":\{[^}]*\},?"?/.test(s)), 'both selectors in one peer').to.equal(true);
    const types = new Set(policies.map((p) => JSON.stringify(p.spec.policyTypes ?? null)));
    expect([...types].sort()).to.deep.equal(['["Egress"]', '["Ingress","Egress"]', '["Ingress"]', 'null']);
    expect(policies.some((p) => p.spec.podSelector && Object.keys(p.spec.podSelector).length === 0), 'podSelector {}').to.equal(true);
    // Several policies in one namespace within a set.
    expect(setsOf(60, 3).some((s) => new Set(s.map((p) => p.metadata.namespace)).size < s.length)).to.equal(true);
  });

  it('--no-named-ports generates no named port', () => {
    expect(yamlOf(setsOf(60, 3, false))).to.not.include('serve');
  });
});
