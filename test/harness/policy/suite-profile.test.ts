// cluster.profile: the engine profile as a suite field, used by simulate/explain/lint/check and run
// unless a --cni flag overrides it.
import { expect } from 'chai';
import { profileForRun, profileForSuite } from '../../../harness/policy/simulate.js';
import { loadSuite } from '../../../harness/suite/load.js';
import { Suite } from '../../../harness/suite/schema.js';
import { runCli } from '../cli/run-cli.js';
import { withSuiteCopy } from '../suite-copy.js';

const SEED = 'suites/zero-trust/suite.yaml';

describe('cluster.profile', () => {
  it('is optional and limited to the engine profiles', async () => {
    const seed = await loadSuite(SEED);
    expect(seed.suite.cluster.profile).to.equal(undefined);
    expect(Suite.safeParse({ ...seed.suite, cluster: { ...seed.suite.cluster, profile: 'upstream' } }).success).to.equal(true);
    expect(Suite.safeParse({ ...seed.suite, cluster: { ...seed.suite.cluster, profile: 'cilium' } }).success).to.equal(false);
  });

  it('wins over cluster.cni offline; without it the CNI names the profile', async () => {
    const seed = await loadSuite(SEED);
    expect(profileForSuite(seed).name).to.equal('calico');
    seed.suite.cluster.profile = 'none';
    expect(profileForSuite(seed).name).to.equal('none');
  });

  it('in a run: the suite profile unless --cni chose the CNI; Calico semantics under cni none', async () => {
    const seed = await loadSuite(SEED);
    expect(profileForRun(seed, 'kube-router', false).name).to.equal('kube-router');
    expect(profileForRun(seed, 'none', false).name).to.equal('calico');
    seed.suite.cluster.profile = 'upstream';
    expect(profileForRun(seed, 'kube-router', false).name).to.equal('upstream');
    expect(profileForRun(seed, 'kube-router', true).name).to.equal('kube-router');
  });

  it('simulate, check and lint use it; --cni overrides it', async () => {
    await withSuiteCopy('suites/zero-trust', (y) => y.replace('  cni: calico\n', '  cni: calico\n  profile: none\n'), async (dir) => {
      expect((await runCli('simulate', dir, '--step', 'default-deny')).stdout).to.contain('(CNI profile none)');
      expect((await runCli('simulate', dir, '--step', 'default-deny', '--cni', 'calico')).stdout).to.contain('(CNI profile calico)');
      // Under `none` nothing is denied, so the seed's hand-written denies disagree.
      const check = await runCli('check', dir);
      expect(check.code).to.equal(1);
      expect(check.stdout).to.match(/against CNI profile none: \d+ disagreements/);
      expect((await runCli('check', dir, '--cni', 'calico')).code).to.equal(0);
    });
  });
});
