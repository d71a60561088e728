// External sources: a client outside the cluster reaching a pod directly (its own address), or
// through a node (a Service ClusterIP routed through it, a NodePort on it) where kube-proxy
// source-NATs the connection and the backend's policy may see the node instead (policy/nat.ts).
import { expect } from 'chai';
import { evaluate } from '../../../harness/policy/evaluate.js';
import { ipBlockLines } from '../../../harness/policy/explain.js';
import { evaluateNatted, podNetworkAddress, type NatQuery } from '../../../harness/policy/nat.js';
import { kubeRouter } from '../../../harness/policy/profiles.js';
import { prepare } from '../../../harness/policy/world.js';
import type { SourcedPolicy } from '../../../harness/policy/types.js';
import { simulateStep } from '../../../harness/policy/simulate.js';
import type { LoadedSuite } from '../../../harness/suite/load.js';
import { Suite } from '../../../harness/suite/schema.js';
import { catalogModel, check, np } from './fixtures.js';

const NODES = [
  { name: 'node-1', ip: '172.18.0.2', podCIDR: '10.0.1.0/24' },
  { name: 'node-2', ip: '172.18.0.3', podCIDR: '10.0.2.0/24' },
];
const EXTERNALS = [
  { id: 'external:client', ip: '172.18.250.10' },
  { id: 'external:other', ip: '172.18.0.9' },
];
// x/a runs on node-1, x/b on node-2 (fixtures.ts).
const fromBlock = (...cidrs: string[]): SourcedPolicy => np('x', 'web-ingress', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: cidrs.map((cidr) => ({ ipBlock: { cidr } })) }] });
const model = (policies: SourcedPolicy[], nodes = NODES) => catalogModel(policies, { externals: EXTERNALS, nodes });
const natted = (policies: SourcedPolicy[], q: Partial<NatQuery> = {}, nodes = NODES) =>
  evaluateNatted(prepare(model(policies, nodes), kubeRouter), { from: 'external:client', to: 'x/b', port: 80, protocol: 'TCP', path: 'nodeport', gateway: 'node-1', ...q });

describe('policy engine: external sources and source NAT', () => {
  it('direct to the pod IP: only an ipBlock holding the client address admits it; selectors never match it', () => {
    const m = model([fromBlock('172.18.250.10/32')]);
    expect(check(m, 'external:client', 'x/b', 80, 'TCP', kubeRouter).verdict).to.equal('allow');
    expect(check(m, 'external:other', 'x/b', 80, 'TCP', kubeRouter).verdict).to.equal('deny');
    const everyPod = catalogModel([np('x', 'all-pods', { podSelector: {}, ingress: [{ from: [{ podSelector: {}, namespaceSelector: {} }] }] })], { externals: EXTERNALS, nodes: NODES });
    expect(check(everyPod, 'external:client', 'x/b', 80, 'TCP', kubeRouter).verdict).to.equal('deny');
    expect(check(everyPod, 'x/a', 'x/b', 80, 'TCP', kubeRouter).verdict).to.equal('allow');
  });

  it('names the policy and the ipBlock the client matched, or that none did', () => {
    const m = model([fromBlock('10.9.0.0/16', '172.18.250.0/24')]);
    const ok = evaluate(m, { from: 'external:client', to: 'x/b', port: 80, protocol: 'TCP' }, kubeRouter);
    expect(ipBlockLines(ok, 'external:client')).to.deep.equal(['ipBlock matched: external:client is in 172.18.250.0/24 of x/web-ingress ingress[0] from[1]']);
    const no = evaluate(m, { from: 'external:other', to: 'x/b', port: 80, protocol: 'TCP' }, kubeRouter);
    expect(ipBlockLines(no, 'external:other')).to.deep.equal(['ipBlock matched: none of x/web-ingress admits external:other by an ipBlock']);
    const open = evaluate(model([]), { from: 'external:other', to: 'x/b', port: 80, protocol: 'TCP' }, kubeRouter);
    expect(ipBlockLines(open, 'external:other')[0]).to.include('not isolated for ingress');
  });

  it('through another node: the backend sees that node (its address or its pod-network address), not the client', () => {
    const r = natted([fromBlock('172.18.250.10/32')]);
    expect(r.verdict).to.equal('deny');
    expect(r.special).to.equal('nat');
    expect(r.nat!.map((c) => c.as)).to.deep.equal(['node node-1 (172.18.0.2)', 'node node-1 (10.0.1.1, its pod-network address)']);
    expect(r.explanation.summary).to.match(/^denied: kube-proxy source-NATs/);
    // The node's own address admitted: the verdict depends on the CNI's routing (native vs overlay).
    const byNode = natted([fromBlock('172.18.0.2/32')]);
    expect(byNode.verdict).to.equal('unknown');
    expect(byNode.policyVerdict).to.equal('allow');
    expect(byNode.explanation.summary).to.match(/^implementation-defined: .*node node-1 \(172\.18\.0\.2\) allow, node node-1 \(10\.0\.1\.1, its pod-network address\) deny/);
    expect(ipBlockLines(byNode, 'external:client')).to.deep.equal([
      'ipBlock matched: node node-1 (172.18.0.2) is in 172.18.0.2/32 of x/web-ingress ingress[0] from[0]',
      'ipBlock matched: none of x/web-ingress admits node node-1 (10.0.1.1, its pod-network address) by an ipBlock',
    ]);
    // Both node addresses admitted: allowed whichever it is.
    expect(natted([fromBlock('172.18.0.0/24', '10.0.1.0/24')], { path: 'service' }).verdict).to.equal('allow');
  });

  it('on the backend\'s own node: the client address (filtered before SNAT) or the node (N33): implementation-defined unless both allow', () => {
    expect(natted([fromBlock('172.18.250.10/32')], { to: 'x/a' }).verdict).to.equal('allow');
    const r = natted([fromBlock('10.9.0.0/16')], { to: 'x/a' });
    expect(r.verdict).to.equal('unknown');
    expect(r.policyVerdict).to.equal('deny');
    expect(r.nat![1]!.result.ingress!.reason).to.equal('exception');
    expect(r.explanation.details.join('\n')).to.include('always allowed (N33)');
  });

  it('offline (node addresses unknown): judged on the node by name, with the assumption said', () => {
    const r = natted([fromBlock('172.18.250.10/32')], {}, []);
    expect(r.verdict).to.equal('deny');
    expect(r.nat!.map((c) => c.as)).to.deep.equal(['node node-1 (address known at run time)']);
    expect(r.uncertain.join()).to.include('known only at run time');
  });

  it('podNetworkAddress: the first host of the node pod CIDR', () => {
    expect(podNetworkAddress('192.168.1.0/24')).to.equal('192.168.1.1');
    expect(podNetworkAddress('fd00:10:244:1::/64')).to.equal('fd00:10:244:1::1');
    expect(podNetworkAddress(undefined)).to.equal(undefined);
    expect(podNetworkAddress('10.0.0.5/32')).to.equal(undefined);
  });
});

describe('simulate: a suite with external sources', () => {
  const suite = Suite.parse({
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 'ext' },
    cluster: { cni: 'kube-router', nodes: { workers: 1 } },
    namespaces: [{ name: 'prod' }],
    workloads: [{ name: 'web', namespace: 'prod', labels: { app: 'web' }, ports: [{ port: 80 }] }],
    externals: [
      { name: 'office', ip: '172.18.250.10', source: true },
      { name: 'office-np', ip: '172.18.250.12', source: true, via: 'nodeport' },
    ],
    policies: [{ id: 'p', file: 'p.yaml' }],
    steps: [{ name: 'office', apply: ['p'], expect: 'simulated' }],
  });
  const policy = fromBlock('172.18.250.0/28').policy;
  policy.metadata.namespace = 'prod';
  const loaded: LoadedSuite = { file: 'suite.yaml', dir: '.', suite, lineOf: () => undefined, policies: new Map([['p', [{ policy, setId: 'p', file: 'p.yaml', docIndex: 0 }]]]) };

  it('rows for external sources, no DNS cells from outside; direct allowed by the ipBlock, the NodePort path judged as the node', () => {
    const m = simulateStep(loaded, 0);
    expect(m.axes.sources.map((s) => s.id)).to.deep.equal(['prod/web', 'external:office', 'external:office-np']);
    expect([...m.cells()].filter((c) => c.src.kind === 'external').map((c) => c.col.key)).to.deep.equal(['prod/web:80/TCP', 'prod/web:80/TCP']);
    const direct = m.get('external:office', 'prod/web:80/TCP')!;
    expect(direct.verdict).to.equal('allow');
    expect(direct.explanation.details).to.include('ipBlock matched: external:office (172.18.250.10) is in 172.18.250.0/28 of prod/web-ingress ingress[0] from[0]');
    const np = m.get('external:office-np', 'prod/web:80/TCP')!;
    expect(np.verdict).to.equal('deny');
    expect(np.explanation.summary).to.include('source-NATs').and.include('via a NodePort on node control-plane');
    expect(np.uncertain!.join()).to.include('known only at run time');
  });

  it('at run time: the real nodes, the gateway, and where the pod runs decide', () => {
    const nodes = [
      { name: 'c-control-plane', ip: '172.18.0.2', podCIDR: '192.168.0.0/24' },
      { name: 'c-worker', ip: '172.18.0.3', podCIDR: '192.168.1.0/24' },
    ];
    const at = (gateway: string) => simulateStep(loaded, 0, { nodes, gateway, podNodes: new Map([['prod/web', 'c-worker']]) }).get('external:office-np', 'prod/web:80/TCP')!;
    expect(at('c-control-plane').verdict).to.equal('deny');
    expect(at('c-control-plane').uncertain).to.equal(undefined);
    // Entering through the pod's own node: the client's address before SNAT (allowed by the ipBlock) or the node (N33): both allow.
    expect(at('c-worker').verdict).to.equal('allow');
  });
});
