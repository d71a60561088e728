// The `namedPorts` profile switch: per-pod resolution (the API, N19-N21) against kube-router's own
// reading (harness/policy/named-ports.ts), catalogue style: evaluator, matrix engine (via check) and
// open-port sets must agree.
import { expect } from 'chai';
import { rng } from '../../../bench/synthetic.js';
import { connections, connectionsIn } from '../../../harness/policy/connections.js';
import { evaluate, evaluateIn } from '../../../harness/policy/evaluate.js';
import { prepare } from '../../../harness/policy/world.js';
import type { ClusterModel, ContainerPort, PodModel } from '../../../harness/policy/model.js';
import { calico, kubeRouter, upstream } from '../../../harness/policy/profiles.js';
import { computeReachability } from '../../../harness/policy/reach.js';
import type { NetworkPolicyPeer, NetworkPolicySpec } from '../../../harness/policy/types.js';
import { check, np } from './fixtures.js';

const tcp = (port: number, name?: string): ContainerPort => ({ port, protocol: 'TCP', ...(name ? { name } : {}) });
const udp = (port: number): ContainerPort => ({ port, protocol: 'UDP' });

/** The conformance topology's ports: TCP 80, 81 and UDP 80; `serve` is 80 on a, 81 on b, absent on c. */
function battery(): PodModel[] {
  const out: PodModel[] = [];
  ['x', 'y'].forEach((ns, n) =>
    ['a', 'b', 'c'].forEach((pod, i) =>
      out.push({
        id: `${ns}/${pod}`,
        namespace: ns,
        labels: { pod },
        ip: `10.0.${n}.${10 + i}`,
        node: 'node-1',
        ports: [tcp(80, pod === 'a' ? 'serve' : undefined), tcp(81, pod === 'b' ? 'serve' : undefined), udp(80)],
      }),
    ),
  );
  return out;
}

function model(spec: NetworkPolicySpec, pods: PodModel[] = battery()): ClusterModel {
  return {
    namespaces: [{ name: 'x', labels: { ns: 'x' } }, { name: 'y', labels: { ns: 'y' } }],
    pods,
    externals: [{ id: 'external:ext', ip: '198.51.100.7' }],
    podSubnet: '10.0.0.0/16',
    policies: [np('x', 'serve', spec)],
  };
}

const EGRESS_NO_TO: NetworkPolicySpec = { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'serve' }] }] };
const INGRESS_ALL: NetworkPolicySpec = { podSelector: {}, ingress: [{ ports: [{ port: 'serve' }] }] };

describe('policy engine: named ports under the kube-router profile (namedPorts switch)', () => {
  it('every built-in profile but kube-router resolves named ports per pod', () => {
    expect([calico, upstream].map((p) => p.namedPorts)).to.deep.equal(['per-pod', 'per-pod']);
    expect(kubeRouter.namedPorts).to.equal('kube-router');
  });

  it('egress without `to`: every number the policy namespace declares, to every destination (the battery observation)', () => {
    const m = model(EGRESS_NO_TO);
    for (const dst of ['x/b', 'x/c', 'y/a', 'y/b', 'y/c']) {
      for (const port of [80, 81]) expect(check(m, 'x/a', dst, port, 'TCP', kubeRouter).verdict, `${dst}:${port}`).to.equal('allow');
    }
    expect(check(m, 'x/a', 'external:ext', 80, 'TCP', kubeRouter).verdict).to.equal('allow');
    expect(check(m, 'x/a', 'y/c', 82, 'TCP', kubeRouter).verdict).to.equal('deny');
    expect(check(m, 'x/a', 'y/a', 80, 'UDP', kubeRouter).verdict).to.equal('deny');
    const r = evaluate(m, { from: 'x/a', to: 'y/c', port: 81, protocol: 'TCP' }, kubeRouter);
    expect(r.egress!.allowedBy[0]!.why).to.match(/serve\/TCP stands for 80, 81 \(every number the pods of x declare/);
    // Per pod (the API): only the destination's own number, never an external address.
    expect(check(m, 'x/a', 'y/c', 80, 'TCP', calico).verdict).to.equal('deny');
    expect(check(m, 'x/a', 'y/b', 81, 'TCP', calico).verdict).to.equal('allow');
    expect(check(m, 'x/a', 'external:ext', 80, 'TCP', calico).verdict).to.equal('deny');
  });

  it('egress without `to`: a number only another namespace declares stays closed, even on the pod that declares it', () => {
    const pods = [...battery(), { id: 'y/d', namespace: 'y', labels: { pod: 'd' }, ip: '10.0.1.20', ports: [tcp(82, 'serve')] }];
    const m = model(EGRESS_NO_TO, pods);
    expect(check(m, 'x/a', 'y/d', 82, 'TCP', calico).verdict).to.equal('allow');
    expect(check(m, 'x/a', 'y/d', 82, 'TCP', kubeRouter).verdict).to.equal('deny');
    expect(check(m, 'x/a', 'y/d', 80, 'TCP', kubeRouter).verdict).to.equal('allow');
  });

  it('ingress: the declaring pods are open; a pod sharing another container port with one is unknown (order-dependent)', () => {
    const m = model(INGRESS_ALL);
    expect(check(m, 'y/a', 'x/a', 80, 'TCP', kubeRouter).verdict).to.equal('allow');
    expect(check(m, 'y/a', 'x/b', 81, 'TCP', kubeRouter).verdict).to.equal('allow');
    for (const [dst, port] of [['x/b', 80], ['x/c', 80], ['x/c', 81], ['x/a', 81]] as const) {
      const r = check(m, 'y/a', dst, port, 'TCP', kubeRouter);
      expect(r.verdict, `${dst}:${port}`).to.equal('unknown');
      expect(r.policyVerdict).to.equal('deny');
      expect(r.special).to.equal('named-port-order');
      expect(r.explanation.summary).to.match(/depending on the order kube-router lists the pods/);
      expect(r.explanation.details.join('\n')).to.match(/shares a map with x\/[ab]/);
      expect(check(m, 'y/a', dst, port, 'TCP', calico).verdict).to.equal('deny');
    }
    // UDP 80 is not a named port anywhere: plain deny.
    expect(check(m, 'y/a', 'x/c', 80, 'UDP', kubeRouter).verdict).to.equal('deny');
  });

  it('ingress: a pod sharing no container port with a declaring pod is denied, not unknown', () => {
    const pods = battery().map((p) => (p.id === 'x/c' ? { ...p, ports: [tcp(82), udp(9999)] } : p));
    const m = model(INGRESS_ALL, pods);
    expect(check(m, 'y/a', 'x/c', 80, 'TCP', kubeRouter).verdict).to.equal('deny');
    expect(check(m, 'y/a', 'x/b', 80, 'TCP', kubeRouter).verdict).to.equal('unknown');
  });

  it('ingress: the source must still match a peer for the cell to be in doubt', () => {
    const m = model({ podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 'serve' }] }] });
    expect(check(m, 'y/a', 'x/c', 80, 'TCP', kubeRouter).verdict).to.equal('unknown');
    expect(check(m, 'x/b', 'x/c', 80, 'TCP', kubeRouter).verdict).to.equal('deny');
  });

  it('egress with pod peers: the same order dependence; through an ipBlock peer a named port opens nothing', () => {
    const toY: NetworkPolicySpec = { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 'serve' }] }] };
    const m = model(toY);
    expect(check(m, 'x/a', 'y/a', 80, 'TCP', kubeRouter).verdict).to.equal('allow');
    expect(check(m, 'x/a', 'y/c', 81, 'TCP', kubeRouter).verdict).to.equal('unknown');
    expect(check(m, 'x/a', 'x/c', 81, 'TCP', kubeRouter).verdict).to.equal('deny');
    const viaIpBlock = model({ podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ port: 'serve' }] }] });
    expect(check(viaIpBlock, 'x/a', 'y/a', 80, 'TCP', calico).verdict).to.equal('allow');
    const r = check(viaIpBlock, 'x/a', 'y/a', 80, 'TCP', kubeRouter);
    expect(r.verdict).to.equal('deny');
    expect(r.egress!.misses[0]!.text).to.match(/kube-router applies no named port \(serve\) through an ipBlock peer/);
  });

  it('the matrix engine keeps pods apart whose unnamed ports differ (they differ in doubt)', () => {
    const pods = [...battery(), { id: 'x/d', namespace: 'x', labels: { pod: 'c' }, ip: '10.0.0.30', node: 'node-1', ports: [tcp(82)] }];
    const m = model(INGRESS_ALL, pods);
    const r = computeReachability(m, { sources: ['y/a'], destinations: ['x/c', 'x/d'], ports: [{ port: 80, protocol: 'TCP' }] }, kubeRouter);
    expect([r.get('y/a', 'x/c', 80, 'TCP'), r.get('y/a', 'x/d', 80, 'TCP')]).to.deep.equal(['unknown', 'deny']);
  });

  it('open-port sets: kube-router egress without `to` lists the namespace numbers toward any pod', () => {
    const m = model(EGRESS_NO_TO);
    expect(connections(m, 'x/a', 'y/c', kubeRouter).egress.toString()).to.equal('TCP 80-81');
    expect(connections(m, 'x/a', 'y/c', calico).egress.toString()).to.equal('nothing');
  });

  it('random clusters dense in named ports: evaluator, matrix engine and open-port sets agree under kube-router', function () {
    this.timeout(120_000);
    const seen = { order: 0, union: 0, cells: 0 };
    for (let seed = 1; seed <= 60; seed++) {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      const chance = (p: number): boolean => r() < p;
      const pods: PodModel[] = Array.from({ length: 6 }, (_, i) => {
        const ns = pick(['x', 'y']);
        // Port names are unique within a pod (the API server rejects duplicates).
        const free = ['serve', 'web'];
        const ports = [80, 81, 82].filter(() => chance(0.7)).map((port) => {
          const name = chance(0.5) && free.length > 0 ? free.splice(Math.floor(r() * free.length), 1)[0] : undefined;
          return { port, protocol: pick(['TCP', 'UDP'] as const), ...(name ? { name } : {}) };
        });
        return { id: `${ns}/p${i}`, namespace: ns, labels: { app: pick(['a', 'b']) }, ip: `10.0.0.${i + 1}`, node: 'node-1', ports };
      });
      const peer = (): NetworkPolicyPeer => (chance(0.2) ? { ipBlock: { cidr: '10.0.0.0/24' } } : chance(0.5) ? { podSelector: { matchLabels: { app: pick(['a', 'b']) } } } : { namespaceSelector: {} });
      const rule = () => ({ ...(chance(0.5) ? { [chance(0.5) ? 'from' : 'to']: [peer()] } : {}), ports: [{ port: pick(['serve', 'web', 81]) }] });
      const policies = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => {
        const ing = chance(0.6);
        const { from: _f, to, ...rest } = rule() as { from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[]; ports: { port: string | number }[] };
        const spec: NetworkPolicySpec = ing
          ? { podSelector: chance(0.5) ? {} : { matchLabels: { app: 'a' } }, ingress: [{ ...rest, ...(to ? { from: to } : {}) }] }
          : { podSelector: {}, policyTypes: ['Egress'], egress: [{ ...rest, ...(to ? { to } : {}) }] };
        return np(pick(['x', 'y']), `p${i}`, spec);
      });
      const m: ClusterModel = { namespaces: [{ name: 'x', labels: {} }, { name: 'y', labels: {} }], pods, externals: [{ id: 'external:ext', ip: '198.51.100.7' }], podSubnet: '10.0.0.0/16', policies };
      const ids = [...pods.map((p) => p.id), 'external:ext'];
      const ports = [80, 81, 82].flatMap((port) => (['TCP', 'UDP'] as const).map((protocol) => ({ port, protocol })));
      const matrix = computeReachability(m, { sources: pods.map((p) => p.id), destinations: ids, ports }, kubeRouter);
      const world = prepare(m, kubeRouter);
      for (const [si, s] of pods.map((p) => p.id).entries()) {
        for (const [di, d] of ids.entries()) {
          const open = connectionsIn(world, s, d).allowed;
          for (const [pi, p] of ports.entries()) {
            const e = evaluateIn(world, { from: s, to: d, ...p });
            expect(matrix.at(si, di, pi), `seed ${seed}: ${s} -> ${d}:${p.port}/${p.protocol}: ${e.explanation.summary}`).to.equal(e.verdict);
            if (e.verdict !== 'unknown') expect(open.has(p.protocol, p.port), `seed ${seed}: connections ${s} -> ${d}:${p.port}/${p.protocol}`).to.equal(e.verdict === 'allow');
            if (e.special === 'named-port-order') seen.order++;
            if (e.egress?.allowedBy.some((a) => a.why.includes('every number the pods of'))) seen.union++;
            seen.cells++;
          }
        }
      }
    }
    // The generator must reach both kube-router paths, often (seeded: 15120 cells, 71 order-dependent, 300 union allows).
    expect(seen.cells).to.be.greaterThan(10_000);
    expect(seen.order).to.be.greaterThan(40);
    expect(seen.union).to.be.greaterThan(150);
  });
});
