// The shrinker against a fake CNI whose named-port handling differs from the engine's: it must end at
// a 1-minimal set that still deviates, and bisect back along its chain when a candidate does not.
import { expect } from 'chai';
import { generateSet } from '../../../../harness/conformance/random/generate.js';
import { contextCells, signatures, type CellDeviation, type CellRef, type OracleContext } from '../../../../harness/conformance/random/oracle.js';
import { confirmAlongChain, reductions, setSize, shrink } from '../../../../harness/conformance/random/shrink.js';
import { kubeRouter } from '../../../../harness/policy/profiles.js';
import type { NetworkPolicy } from '../../../../harness/policy/types.js';
import { asFakeCniEnforces } from './fake-cni.js';

const NS = ['x', 'y', 'z'];
const PODS = ['a', 'b', 'c'];
const addresses = new Map<string, string>([['external:ext', '172.18.0.9']]);
NS.forEach((ns, i) => PODS.forEach((p, j) => addresses.set(`${ns}/${p}`, `192.168.${1 + ((i * 3 + j) % 2)}.${10 + i * 3 + j}`)));
const ctx: OracleContext = { cni: 'kube-router', profile: kubeRouter, addresses };
const CELLS: CellRef[] = NS.flatMap((sn) =>
  PODS.flatMap((sp) => [...NS.flatMap((dn) => PODS.flatMap((dp) => ['80/TCP', '81/TCP', '80/UDP'].map((c) => ({ src: `${sn}/${sp}`, col: `${dn}/${dp}:${c}` })))), { src: `${sn}/${sp}`, col: 'external:ext:80/TCP' }]),
);

const verdicts = (policies: NetworkPolicy[], cells: CellRef[]) => signatures(policies, cells, ctx).map((s) => s.split(' ')[0]);
/** Cells where the fake CNI's "observation" differs from the engine's simulation. */
function deviations(policies: NetworkPolicy[], cells = CELLS): CellDeviation[] {
  const sim = verdicts(policies, cells);
  const obs = verdicts(asFakeCniEnforces(policies), cells);
  return cells.flatMap((c, i) => (sim[i] !== obs[i] ? [{ ...c, simulated: sim[i] as 'allow' | 'deny', observed: obs[i] === 'allow' ? ('connected' as const) : ('refused' as const) }] : []));
}

describe('conformance --random: shrinking', function () {
  this.timeout(120_000);

  it('a deviating generated set shrinks to a 1-minimal set that still deviates on the fake CNI', () => {
    let found = 0;
    for (let seed = 1; seed <= 40 && found < 3; seed++) {
      for (let i = 0; i < 5; i++) {
        const original = generateSet(i, { seed });
        const target = deviations(original);
        if (target.length === 0) continue;
        found++;
        const held = contextCells(target, CELLS);
        const baseline = signatures(original, held, ctx).join('\n');
        const keep = (c: NetworkPolicy[]) => c.length > 0 && signatures(c, held, ctx).join('\n') === baseline;
        const { chain } = shrink(original, keep);
        const minimal = chain.at(-1)!;
        expect(setSize(minimal)).to.be.at.most(setSize(original));
        expect(chain.length, `seed ${seed} set ${i}`).to.be.greaterThan(1);
        // 1-minimal: no single removal keeps the property.
        expect(reductions(minimal).filter(keep)).to.deep.equal([]);
        // Every candidate on the chain keeps the engine's verdicts on the target cells.
        for (const c of chain) expect(signatures(c, held, ctx).join('\n')).to.equal(baseline);
        // The named-port deviation survives shrinking: the fake CNI still deviates on some target cell.
        const still = new Set(deviations(minimal, target).map((d) => `${d.src} ${d.col}`));
        expect(still.size, `seed ${seed} set ${i}: ${JSON.stringify(minimal)}`).to.be.greaterThan(0);
        expect(JSON.stringify(minimal)).to.include('serve');
        break;
      }
    }
    expect(found).to.equal(3);
  });

  it('reduces three policies to the one rule that carries the deviation', () => {
    const np = (name: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'x' }, spec });
    const original = [
      np('noise-1', { podSelector: { matchLabels: { pod: 'c' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['192.168.0.0/16'] } }] }] }),
      np('named', {
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }] },
        ingress: [{ from: [{ namespaceSelector: {} }, { podSelector: { matchLabels: { pod: 'a' } } }], ports: [{ port: 'serve' }, { protocol: 'UDP', port: 80 }] }],
      }),
      np('noise-2', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ podSelector: {} }] }] }),
    ];
    // x/b serves `serve` on 81: the fake CNI also opens 80 there (x/a's number).
    const target = deviations(original).filter((d) => d.col === 'x/b:80/TCP');
    expect(target.length).to.be.greaterThan(0);
    const held = contextCells(target, CELLS);
    const baseline = signatures(original, held, ctx).join('\n');
    const { chain } = shrink(original, (c) => c.length > 0 && signatures(c, held, ctx).join('\n') === baseline);
    const minimal = chain.at(-1)!;
    expect(minimal.map((p) => p.metadata.name)).to.deep.equal(['named']);
    expect(minimal[0]!.spec.ingress).to.have.length(1);
    // The UDP port stays: x/b's UDP 80 is one of the held neighbour cells (allowed by it).
    expect(minimal[0]!.spec.ingress![0]!.ports).to.deep.equal([{ port: 'serve' }, { protocol: 'UDP', port: 80 }]);
    expect(minimal[0]!.spec.podSelector).to.deep.equal({});
    expect(deviations(minimal, target)).to.have.length(target.length);
    expect(setSize(minimal)).to.be.lessThan(setSize(original));
  });

  it('confirmAlongChain takes the shrunk end when it reproduces, in one run', async () => {
    const asked: number[] = [];
    const r = await confirmAlongChain(6, (k) => Promise.resolve((asked.push(k), true)), 3);
    expect(r.index).to.equal(5);
    expect(asked).to.deep.equal([5]);
  });

  it('confirmAlongChain bisects back towards the input, within the run budget', async () => {
    // Candidates 0..3 reproduce, 4..9 do not.
    const asked: number[] = [];
    const r = await confirmAlongChain(10, (k) => Promise.resolve((asked.push(k), k <= 3)), 4);
    expect(asked).to.deep.equal([9, 4, 2, 3]);
    expect(r.index).to.equal(3);
    const tight = await confirmAlongChain(10, (k) => Promise.resolve(k <= 3), 2);
    expect(tight.runs).to.have.length(2);
    expect(tight.index).to.equal(0);
    expect((await confirmAlongChain(1, () => Promise.resolve(true), 3)).runs).to.deep.equal([]);
  });
});
