import { expect } from 'chai';
import { clusterRoutes, externalRunArgs, liveClusterNames, readClusterNetwork, routeIntoCluster, removeLeftoverExternals, removeOrphanedExternals, startExternals } from '../../../harness/apply/externals.js';
import { CleanupStack } from '../../../harness/cluster/cleanup.js';
import { InfraError, UsageError } from '../../../harness/errors.js';
import { FakeKube, fakeClock } from '../cluster/fake-kube.js';
import { FakeRunner, fakeCluster, suite } from '../cluster/helpers.js';

const s = suite({ externals: [{ name: 'payments-api', ports: [{ port: 443, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }] });

describe('apply/externals', () => {
  it('runs the agent on the cluster network with labels cleanup can find', () => {
    expect(externalRunArgs(s.externals[0]!, { containerName: 'nph-c-ext-payments-api', network: 'kind', image: 'netpol-harness/agent:0.1.0', runId: 'r1', clusterName: 'c' })).to.deep.equal([
      'run', '--detach', '--name', 'nph-c-ext-payments-api', '--network', 'kind',
      '--label', 'netpol-harness.external=payments-api', '--label', 'netpol-harness.run=r1', '--label', 'netpol-harness.cluster=c',
      'netpol-harness/agent:0.1.0', 'serve', '--tcp', '443', '--udp', '53',
    ]);
  });

  it('an external source runs with NET_ADMIN (it adds routes into the cluster); a fixed address is asked for', () => {
    const src = suite({ externals: [{ name: 'office', source: true }] }).externals[0]!;
    const args = externalRunArgs(src, { containerName: 'nph-c-ext-office', network: 'kind', image: 'img', runId: 'r1', clusterName: 'c', ip: '172.18.250.10' });
    expect(args.slice(0, 10)).to.deep.equal(['run', '--detach', '--name', 'nph-c-ext-office', '--network', 'kind', '--ip', '172.18.250.10', '--cap-add', 'NET_ADMIN']);
    expect(args.slice(-2)).to.deep.equal(['img', 'serve']);
  });

  it('asks Docker for a fixed address only inside the network subnet (others are offline stand-ins)', async () => {
    const runner = new FakeRunner((_f, args) => {
      if (args[0] === 'network') return { stdout: JSON.stringify([{ Subnet: '172.18.0.0/16' }, { Subnet: 'fc00::/64' }]) };
      if (args[0] === 'inspect') return { stdout: JSON.stringify({ Id: 'x', State: { Running: true, Status: 'running' }, NetworkSettings: { Networks: { kind: { IPAddress: '172.18.0.5' } } } }) };
      return undefined;
    });
    const two = suite({ externals: [{ name: 'in', ip: '172.18.250.10', source: true }, { name: 'out', ip: '203.0.113.7', ports: [{ port: 80 }] }] });
    await startExternals(fakeCluster(new FakeKube()), two, { runId: 'r1', agentImage: 'img', docker: 'docker', runner, clock: fakeClock() });
    const runs = runner.lines().filter((l) => l.startsWith('docker run'));
    expect(runs[0]).to.include('--ip 172.18.250.10 --cap-add NET_ADMIN');
    expect(runs[1]).to.not.include('--ip');
  });

  it('routes a source into every node pod CIDR via that node, the pod subnet and the Service range via the gateway', async () => {
    const nodes = [
      { name: 'c-control-plane', ip: '172.18.0.2', podCIDR: '10.244.0.0/24' },
      { name: 'c-worker', ip: '172.18.0.3', podCIDR: '10.244.1.0/24' },
      { name: 'v6', ip: 'fc00::3', podCIDR: 'fd00::/64' },
    ];
    const routes = clusterRoutes(nodes, { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12' }, nodes[0]!);
    // The whole pod subnet too: a pod address outside every spec.podCIDR (Calico IPAM) must not leave the machine.
    expect(routes).to.deep.equal([
      { cidr: '10.244.0.0/24', via: '172.18.0.2' },
      { cidr: '10.244.1.0/24', via: '172.18.0.3' },
      { cidr: '10.244.0.0/16', via: '172.18.0.2' },
      { cidr: '10.96.0.0/12', via: '172.18.0.2' },
    ]);
    const runner = new FakeRunner(() => undefined);
    const ext = { name: 'office', containerName: 'nph-c-ext-office', containerId: 'x', ip: '172.18.250.10', network: 'kind', ports: [], source: true };
    await routeIntoCluster(ext, routes, { docker: 'docker', runner });
    expect(runner.lines()[3]).to.equal('docker exec nph-c-ext-office ip route replace 10.96.0.0/12 via 172.18.0.2');
    const failing = new FakeRunner(() => ({ exitCode: 1, stderr: 'RTNETLINK answers: Operation not permitted' }));
    let err: unknown;
    await routeIntoCluster(ext, routes, { docker: 'docker', runner: failing }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(InfraError);
    expect((err as Error).message).to.include('routing external office to 10.244.0.0/24 via 172.18.0.2');
  });

  it('reads the nodes (InternalIP, podCIDR) and takes the control plane as the gateway', async () => {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'c-worker' }, spec: { podCIDR: '10.244.1.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '172.18.0.3' }] } });
    kube.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'c-control-plane', labels: { 'node-role.kubernetes.io/control-plane': '' } }, spec: { podCIDR: '10.244.0.0/24' }, status: { addresses: [{ type: 'InternalIP', address: '172.18.0.2' }] } });
    const net = await readClusterNetwork(kube);
    expect(net.gateway).to.deep.equal({ name: 'c-control-plane', ip: '172.18.0.2', podCIDR: '10.244.0.0/24' });
    expect(net.nodes.map((n) => n.name)).to.deep.equal(['c-control-plane', 'c-worker']);
  });

  it('starts each external, returns its address on the network, and removes it at cleanup', async () => {
    let inspects = 0;
    const runner = new FakeRunner((_f, args) => {
      if (args[0] === 'inspect') {
        inspects += 1;
        // The address appears on the second look, as it may right after `docker run`.
        return { stdout: JSON.stringify({ Id: 'abc', State: { Running: true, Status: 'running' }, NetworkSettings: { Networks: { kind: { IPAddress: inspects > 1 ? '172.18.0.9' : '' } } } }) };
      }
      return undefined;
    });
    const cleanup = new CleanupStack();
    const ext = await startExternals(fakeCluster(new FakeKube()), s, { runId: 'r1', agentImage: 'netpol-harness/agent:0.1.0', docker: 'docker', runner, cleanup, clock: fakeClock() });
    expect([...ext.values()]).to.deep.equal([{ name: 'payments-api', containerName: 'nph-nph-ext-payments-api', containerId: 'abc', ip: '172.18.0.9', network: 'kind', ports: s.externals[0]!.ports, source: false }]);
    expect(runner.lines()[0]).to.equal('docker rm --force nph-nph-ext-payments-api'); // a leftover would hold the name
    runner.calls.length = 0;
    await cleanup.run();
    expect(runner.lines()).to.deep.equal(['docker rm --force nph-nph-ext-payments-api']);
  });

  it('reports a container that exits, with its logs', async () => {
    const runner = new FakeRunner((_f, args) => {
      if (args[0] === 'inspect') return { stdout: JSON.stringify({ State: { Running: false, Status: 'exited', ExitCode: 2 } }) };
      if (args[0] === 'logs') return { stdout: 'nph-agent: unknown flag --tls' };
      return undefined;
    });
    try {
      await startExternals(fakeCluster(new FakeKube()), s, { runId: 'r1', agentImage: 'x:1', docker: 'docker', runner, clock: fakeClock(), timeoutMs: 1000 });
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(InfraError);
      expect((e as Error).message).to.include('is not running with an address on kind: exited (exit 2)').and.include('unknown flag --tls');
    }
  });

  it('needs a Docker network (existing clusters have none)', async () => {
    try {
      await startExternals(fakeCluster(new FakeKube(), { provider: 'existing' }), s, { runId: 'r', runner: new FakeRunner() });
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(UsageError);
    }
  });

  it('removes leftovers of killed runs by label', async () => {
    const runner = new FakeRunner((_f, args) => (args[0] === 'ps' ? { stdout: 'id1\nid2\n' } : undefined));
    expect(await removeLeftoverExternals('nph', { runner, docker: 'docker' })).to.deep.equal(['id1', 'id2']);
    expect(runner.lines()).to.deep.equal([
      'docker ps --all --quiet --filter label=netpol-harness.cluster=nph --filter label=netpol-harness.external',
      'docker rm --force id1',
      'docker rm --force id2',
    ]);
  });
});

describe('apply/externals orphan sweep', () => {
  // Engine state: externals of a live kind cluster, of a live k3s cluster, of a deleted cluster, and one without a cluster label.
  const engine = (): FakeRunner =>
    new FakeRunner((_f, args) => {
      const filter = args[args.indexOf('--filter') + 1];
      if (args[0] === 'ps' && filter === 'label=netpol-harness.external') {
        return { stdout: ['e1\tnph-alive-ext-a\talive', 'e2\tnph-gone-ext-a\tgone', 'e3\tnph-k3-ext-a\tk3', 'e4\tmystery\t'].join('\n') };
      }
      if (args[0] === 'ps' && filter === 'label=io.x-k8s.kind.cluster') return { stdout: 'alive\nalive\nother' };
      if (args[0] === 'ps' && filter === 'label=netpol-harness.cluster') return { stdout: ['alive\ta', 'gone\ta', 'k3\t', 'k3\ta'].join('\n') };
      return undefined;
    });

  it('removes only externals whose cluster no longer exists (kind or k3s)', async () => {
    const runner = engine();
    const removed = await removeOrphanedExternals({ runner, docker: 'docker' });
    expect(removed).to.deep.equal(['nph-gone-ext-a']);
    expect(runner.lines().filter((l) => l.includes(' rm '))).to.deep.equal(['docker rm --force e2']);
  });

  it('knows live clusters from kind node labels and from non-external harness containers', async () => {
    expect([...(await liveClusterNames({ runner: engine(), docker: 'docker' }))].sort()).to.deep.equal(['alive', 'k3', 'other']);
  });

  it('lists nothing and removes nothing when there are no externals', async () => {
    const runner = new FakeRunner(() => ({ stdout: '' }));
    expect(await removeOrphanedExternals({ runner, docker: 'docker' })).to.deep.equal([]);
    expect(runner.calls).to.have.length(1);
  });
});
