import { expect } from 'chai';
import { externalRunArgs, liveClusterNames, removeLeftoverExternals, removeOrphanedExternals, startExternals } from '../../../harness/apply/externals.js';
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
    expect([...ext.values()]).to.deep.equal([{ name: 'payments-api', containerName: 'nph-nph-ext-payments-api', containerId: 'abc', ip: '172.18.0.9', network: 'kind', ports: s.externals[0]!.ports }]);
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
