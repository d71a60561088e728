// ipBlock cases are written against the pod IPs the run observes (harness/conformance/addresses.ts):
// with Calico's IPAM spreading pods over the whole pool, every pod-addressed case still expects what
// the spec says, and the engine (given those IPs) agrees with it on every cell the case is judged on.
import { expect } from 'chai';
import { coveringBlock, observedPodBlock, retargetStep } from '../../../harness/conformance/addresses.js';
import { caseSees, generateBattery, type GeneratedBattery } from '../../../harness/conformance/generate.js';
import { expectedMatrix, simulateStep } from '../../../harness/policy/simulate.js';

/** Pod IPs as Calico's IPAM handed them out on one cluster: blocks all over 192.168.0.0/16. */
function spreadAddresses(b: GeneratedBattery): Map<string, string> {
  const blocks = ['192.168.86', '192.168.128', '192.168.245'];
  const m = new Map<string, string>(b.loaded.suite.workloads.map((w, i) => [`${w.namespace}/${w.name}`, `${blocks[i % 3]}.${10 + i}`]));
  m.set('external:ext', '172.18.0.7');
  return m;
}

/** Spec expectation vs the engine on every cell a case of step `i` is judged on. */
function disagreements(b: GeneratedBattery, i: number, addresses: Map<string, string>): string[] {
  const sim = simulateStep(b.loaded, i, { addresses });
  const exp = expectedMatrix(b.loaded, i, { addresses }, sim);
  return [...exp.cells()]
    .filter((c) => c.value && b.steps[i]!.cases.some((p) => p.change !== undefined && caseSees(p, c.src.id, c.col.key)))
    .filter((c) => sim.get(c.src.id, c.col.key)!.verdict !== c.value!.verdict)
    .map((c) => `${c.src.id} -> ${c.col.key}: spec ${c.value!.verdict}, engine ${sim.get(c.src.id, c.col.key)!.verdict}`);
}

describe('conformance/addresses', () => {
  it('the covering block of observed IPs', () => {
    expect(coveringBlock(['192.168.86.10', '192.168.128.4', '192.168.245.200'])).to.equal('192.168.0.0/16');
    expect(coveringBlock(['192.168.1.5', '192.168.2.9'])).to.equal('192.168.0.0/22');
    expect(coveringBlock(['10.244.1.3'])).to.equal('10.244.1.3/32');
    expect(coveringBlock([])).to.equal(undefined);
    expect(observedPodBlock(new Map([['x/a', '192.168.1.5'], ['x/b', '192.168.2.9'], ['external:ext', '172.18.0.7']]))).to.equal('192.168.0.0/22');
  });

  it('ipblock-except-pods built against pod IPs spread over the whole pool expects what the spec says: no pod gets in', () => {
    const b = generateBattery({ focus: ['ipblock-except'], lanes: 1 });
    const addresses = spreadAddresses(b);
    const i = b.loaded.suite.steps.findIndex((s) => s.name === 'ipblock-except-pods');
    expect(retargetStep(b, i, addresses)).to.equal('192.168.0.0/16');
    const [policy] = b.loaded.policies.get('ipblock-except-pods')!;
    expect(policy!.policy.spec.ingress).to.deep.equal([{ from: [{ ipBlock: { cidr: '192.168.0.0/15', except: ['192.168.0.0/16'] } }] }]);
    // The upper-half pods (192.168.128.x, 192.168.245.x) are inside the except too.
    expect(disagreements(b, i, addresses)).to.deep.equal([]);
    const sim = simulateStep(b.loaded, i, { addresses });
    expect(sim.get('y/b', 'x/a:80/TCP')!.verdict).to.equal('deny');
    expect(addresses.get('y/b')).to.match(/^192\.168\.(128|245)\./);
  });

  it('every pod-addressed ipBlock case follows the observed layout (kind node podCIDRs and Calico IPAM blocks alike)', () => {
    const b = generateBattery({ focus: ['ipblock', 'ipblock-except', 'ipblock-external', 'ipblock-service'], lanes: 2 });
    const addressed = b.cases.filter((c) => c.podAddressed).map((c) => c.id);
    expect(addressed).to.have.members(['ipblock-pods', 'ipblock-except-pods', 'ipblock-external', 'ipblock-backend-via-service']);
    for (const layout of ['spread', 'kind'] as const) {
      const addresses = layout === 'spread' ? spreadAddresses(b) : new Map([...spreadAddresses(b)].map(([id, ip], n) => [id, id.startsWith('external:') ? ip : `192.168.${1 + (n % 2)}.${10 + n}`]));
      for (let i = 0; i < b.loaded.suite.steps.length; i++) {
        const block = retargetStep(b, i, addresses);
        if (b.steps[i]!.cases.some((p) => p.change !== undefined && addressed.includes(p.caseId))) expect(block, b.loaded.suite.steps[i]!.name).to.equal(layout === 'spread' ? '192.168.0.0/16' : '192.168.0.0/22');
        expect(disagreements(b, i, addresses), `${layout}: ${b.loaded.suite.steps[i]!.name}`).to.deep.equal([]);
      }
    }
  });

  it('a block that would hold the outside container too is an error, not a wrong verdict', () => {
    const b = generateBattery({ focus: ['ipblock'], lanes: 1 });
    const addresses = new Map([['x/a', '10.0.0.1'], ['y/a', '172.20.0.1'], ['external:ext', '12.0.0.1']]);
    const i = b.loaded.suite.steps.findIndex((s) => s.name === 'ipblock-pods');
    expect(() => retargetStep(b, i, addresses)).to.throw(/holds the outside container too/);
  });
});
