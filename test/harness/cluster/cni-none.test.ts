import { expect } from 'chai';
import { NONE_CONFLIST_PATH, makeNoneInstaller, noneConflist, noneRoutes } from '../../../harness/cluster/cni/none.js';
import type { CommandOptions } from '../../../harness/cluster/command.js';
import type { Progress } from '../../../harness/cluster/progress.js';
import type { NodeInfo } from '../../../harness/cluster/provider.js';
import { InfraError } from '../../../harness/errors.js';
import { FakeKube, fakeClock } from './fake-kube.js';
import { FakeRunner, fakeCluster } from './helpers.js';

const NODES: NodeInfo[] = [
  { name: 'nph-control-plane', internalIP: '172.18.0.2', role: 'control-plane', ready: false, schedulable: false, podCIDR: '10.244.0.0/24' },
  { name: 'nph-worker', internalIP: '172.18.0.3', role: 'worker', ready: false, schedulable: true, podCIDR: '10.244.1.0/24' },
  { name: 'nph-worker2', internalIP: '172.18.0.4', role: 'worker', ready: false, schedulable: true, podCIDR: '10.244.2.0/24' },
];

const ALL_PLUGINS = 'plugin bridge\nplugin host-local\nplugin portmap\nplugin loopback';

/** Nodes Ready and CoreDNS available (what the bridge config brings about on a real cluster). */
function healthyKube(opts: { coredns?: boolean; readyNodes?: string[] } = {}): FakeKube {
  const kube = new FakeKube();
  for (const n of NODES) {
    const ready = opts.readyNodes ? opts.readyNodes.includes(n.name) : true;
    kube.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', ...(ready ? {} : { message: 'container runtime network not ready: cni plugin not initialized' }) }] },
    });
  }
  kube.put({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system' },
    spec: { replicas: 2, selector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
    status: opts.coredns === false ? { availableReplicas: 0, updatedReplicas: 2 } : { availableReplicas: 2, updatedReplicas: 2 },
  });
  if (opts.coredns === false) {
    kube.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'coredns-abc', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: { nodeName: 'nph-worker' },
      status: { phase: 'Pending', containerStatuses: [{ name: 'coredns', ready: false, state: { waiting: { reason: 'ContainerCreating' } } }] },
    });
  }
  return kube;
}

/** A runner answering the plugin probe; records stdin per call. */
function runner(plugins = ALL_PLUGINS, confs = '') {
  const inputs: (string | undefined)[] = [];
  const r = new FakeRunner((_file, args, opts?: CommandOptions) => {
    inputs.push(opts?.input);
    if (args.includes('sh') && String(args[args.length - 1]).startsWith('for p in')) return { stdout: `${plugins}${confs ? `\n${confs}` : ''}` };
    return undefined;
  });
  return { r, inputs };
}

function recordingProgress(): Progress & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, step: () => () => undefined, info: () => undefined, warn: (m) => void warnings.push(m) };
}

describe('cluster/cni: none (plain bridge CNI)', () => {
  it('renders a bridge + host-local conflist on the node podCIDR, with portmap and loopback when present', () => {
    const c = JSON.parse(noneConflist('10.244.1.0/24')) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
    expect(c.name).to.equal('nph-bridge');
    expect(c.plugins).to.deep.equal([
      {
        type: 'bridge',
        bridge: 'nph0',
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'loopback' },
    ]);
    const bare = JSON.parse(noneConflist('10.244.1.0/24', {})) as { plugins: { type: string }[] };
    expect(bare.plugins.map((p) => p.type)).to.deep.equal(['bridge']);
    // Nothing in it knows about NetworkPolicy.
    expect(noneConflist('10.244.1.0/24')).not.to.match(/polic|firewall|calico|kube-router/i);
  });

  it('routes each node to every other node\'s podCIDR via its InternalIP, never to itself', () => {
    expect(noneRoutes(NODES, 'nph-worker')).to.deep.equal([
      ['ip', 'route', 'replace', '10.244.0.0/24', 'via', '172.18.0.2'],
      ['ip', 'route', 'replace', '10.244.2.0/24', 'via', '172.18.0.4'],
    ]);
  });

  it('writes each node\'s conflist and routes through docker exec, then waits for nodes and CoreDNS', async () => {
    const kube = healthyKube();
    const { r, inputs } = runner();
    await makeNoneInstaller({ runner: r, docker: 'dockerx' }).install(fakeCluster(kube, { nodes: NODES }), { clock: fakeClock() });

    const writes = r.calls.map((c, i) => ({ ...c, input: inputs[i] })).filter((c) => c.args.includes('-i'));
    expect(writes.map((w) => w.args.slice(0, 3))).to.deep.equal(NODES.map((n) => ['exec', '-i', n.name]));
    expect(writes[0]!.args[writes[0]!.args.length - 1]).to.equal(`cat > ${NONE_CONFLIST_PATH}.tmp && mv ${NONE_CONFLIST_PATH}.tmp ${NONE_CONFLIST_PATH}`);
    for (const [i, n] of NODES.entries()) expect(writes[i]!.input).to.equal(noneConflist(n.podCIDR!));
    expect(r.calls.every((c) => c.file === 'dockerx')).to.equal(true);

    const routes = r.lines().filter((l) => l.includes(' ip route '));
    expect(routes).to.deep.equal([
      'dockerx exec nph-control-plane ip route replace 10.244.1.0/24 via 172.18.0.3',
      'dockerx exec nph-control-plane ip route replace 10.244.2.0/24 via 172.18.0.4',
      'dockerx exec nph-worker ip route replace 10.244.0.0/24 via 172.18.0.2',
      'dockerx exec nph-worker ip route replace 10.244.2.0/24 via 172.18.0.4',
      'dockerx exec nph-worker2 ip route replace 10.244.0.0/24 via 172.18.0.2',
      'dockerx exec nph-worker2 ip route replace 10.244.1.0/24 via 172.18.0.3',
    ]);
    expect(kube.ops('get')).to.include('Deployment/kube-system/coredns');
    expect(kube.ops('apply')).to.deep.equal([]);
  });

  it('is idempotent: a second run (reused cluster) issues the same commands with the same content', async () => {
    const kube = healthyKube();
    const first = runner();
    const second = runner();
    const cluster = fakeCluster(kube, { nodes: NODES });
    await makeNoneInstaller({ runner: first.r, docker: 'docker' }).install(cluster, { clock: fakeClock() });
    await makeNoneInstaller({ runner: second.r, docker: 'docker' }).install(cluster, { clock: fakeClock() });
    expect(second.r.lines()).to.deep.equal(first.r.lines());
    expect(second.inputs).to.deep.equal(first.inputs);
    // `replace`, not `add`: an existing route is not an error.
    expect(first.r.lines().filter((l) => / ip route (add|del) /.test(l))).to.deep.equal([]);
  });

  it('leaves portmap and loopback out when the node lacks them, and warns about another CNI\'s config', async () => {
    const kube = healthyKube();
    const { r, inputs } = runner('plugin bridge\nplugin host-local', 'conf 10-kindnet.conflist\nconf 10-nph-bridge.conflist');
    const progress = recordingProgress();
    await makeNoneInstaller({ runner: r, docker: 'docker' }).install(fakeCluster(kube, { nodes: NODES }), { clock: fakeClock(), progress });
    const written = inputs.filter((x): x is string => x !== undefined);
    expect(written).to.have.length(3);
    expect((JSON.parse(written[0]!) as { plugins: { type: string }[] }).plugins.map((p) => p.type)).to.deep.equal(['bridge']);
    expect(progress.warnings[0]).to.include('nph-control-plane has other CNI configs').and.include('10-kindnet.conflist').and.not.include('10-nph-bridge');
  });

  it('fails with the node name when bridge or host-local is missing, before writing anything', async () => {
    const { r } = runner('plugin host-local');
    let err: InfraError | undefined;
    try {
      await makeNoneInstaller({ runner: r, docker: 'docker' }).install(fakeCluster(healthyKube(), { nodes: NODES }), { clock: fakeClock() });
    } catch (e) {
      err = e as InfraError;
    }
    expect(err).to.be.instanceOf(InfraError);
    expect(err?.message).to.include('node nph-control-plane has no bridge plugin in /opt/cni/bin');
    expect(r.calls.filter((c) => c.args.includes('-i'))).to.deep.equal([]);
  });

  it('waits for podCIDRs and names the node that never gets one', async () => {
    const nodes: NodeInfo[] = NODES.map((n) => {
      if (n.name !== 'nph-worker2') return n;
      const { podCIDR: _drop, ...rest } = n;
      return rest;
    });
    const { r } = runner();
    let err: InfraError | undefined;
    try {
      await makeNoneInstaller({ runner: r }).install(fakeCluster(healthyKube(), { nodes }), { clock: fakeClock(), timeoutMs: 5000 });
    } catch (e) {
      err = e as InfraError;
    }
    expect(err?.message).to.include('nph-worker2: no podCIDR');
    expect(err?.hint).to.include('kube-controller-manager');
    expect(r.calls).to.deep.equal([]);
  });

  it('names the stuck node and the stuck CoreDNS pod on timeout', async () => {
    const notReady = healthyKube({ readyNodes: ['nph-control-plane', 'nph-worker'] });
    let err: InfraError | undefined;
    try {
      await makeNoneInstaller({ runner: runner().r }).install(fakeCluster(notReady, { nodes: NODES }), { clock: fakeClock(), timeoutMs: 5000 });
    } catch (e) {
      err = e as InfraError;
    }
    expect(err?.message).to.include('nph-worker2: KubeletNotReady (container runtime network not ready');
    expect(err?.hint).to.include(NONE_CONFLIST_PATH);

    err = undefined;
    try {
      await makeNoneInstaller({ runner: runner().r }).install(fakeCluster(healthyKube({ coredns: false }), { nodes: NODES }), { clock: fakeClock(), timeoutMs: 5000 });
    } catch (e) {
      err = e as InfraError;
    }
    expect(err?.message).to.include('Deployment kube-system/coredns not ready').and.include('pod kube-system/coredns-abc on node nph-worker: phase Pending');
  });

  it('installs nothing on k3s or existing clusters, and preloads no images', async () => {
    for (const provider of ['k3s', 'existing'] as const) {
      const { r } = runner();
      const kube = healthyKube();
      await makeNoneInstaller({ runner: r }).install(fakeCluster(kube, { provider, nodes: NODES }), { clock: fakeClock() });
      expect(r.calls).to.deep.equal([]);
      expect(kube.calls).to.deep.equal([]);
    }
    expect(await makeNoneInstaller().images()).to.deep.equal([]);
  });
});
