import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { downSummary } from '../../../harness/cli/commands/down.js';
import { down, isClusterTempDir } from '../../../harness/run/down.js';
import { FakeRunner } from '../cluster/helpers.js';

describe('run/down', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nph-down-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('removes the cluster\'s containers, the kind cluster, orphans and its kubeconfig dirs only', async () => {
    for (const d of ['nph-kind-kept-Ab12Cd', 'nph-k3s-kept-xYz123', 'nph-kind-kept-two-Ab12Cd', 'nph-kind-other-Ab12Cd']) await mkdir(path.join(dir, d));
    const runner = new FakeRunner((file, args) => {
      const filter = args[args.indexOf('--filter') + 1];
      if (args[0] === 'ps' && filter === 'label=netpol-harness.cluster=kept') return { stdout: 'c1\tnph-kept-ext-pay\nc2\tnph-kept-ext-db' };
      if (file === 'kind' && args[0] === 'get') return { stdout: 'kept\nother' };
      return { stdout: '' };
    });
    const r = await down({ name: 'kept', runner, docker: 'docker', kind: 'kind', tmpDir: dir });
    expect(r).to.deep.include({ name: 'kept', kindCluster: true, containers: ['nph-kept-ext-pay', 'nph-kept-ext-db'], orphans: [] });
    expect(runner.lines()).to.include('docker rm --force --volumes c1 c2');
    expect(runner.lines()).to.include('kind delete cluster --name kept');
    expect((await readdir(dir)).sort()).to.deep.equal(['nph-kind-kept-two-Ab12Cd', 'nph-kind-other-Ab12Cd']);
    expect(downSummary(r)).to.match(/deleted kind cluster kept; removed container\(s\) nph-kept-ext-pay, nph-kept-ext-db; removed 2 kubeconfig temp dir/);
  });

  it('says so when there is nothing to remove, and deletes no cluster', async () => {
    const runner = new FakeRunner((file) => (file === 'kind' ? { stdout: 'No kind clusters found.' } : { stdout: '' }));
    const r = await down({ name: 'absent', runner, docker: 'docker', kind: 'kind', tmpDir: dir });
    expect(runner.lines().some((l) => l.includes('delete'))).to.equal(false);
    expect(downSummary(r)).to.equal('nothing to remove for cluster absent');
  });

  it('matches temp dirs by exact cluster name', () => {
    expect(isClusterTempDir('nph-kind-a.b-Ab12Cd', 'a.b')).to.equal(true);
    expect(isClusterTempDir('nph-kind-aXb-Ab12Cd', 'a.b')).to.equal(false);
    expect(isClusterTempDir('nph-kind-a-b-Ab12Cd', 'a')).to.equal(false);
  });
});
