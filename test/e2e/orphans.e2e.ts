// Nothing orphaned: a run kept with --keep whose cluster is then deleted with `kind delete cluster`
// leaves its external container behind; the next `run` (of any cluster name) removes it, and
// `down` removes a kept cluster with its externals and kubeconfig. Real kind clusters, one at a time.
// Slow (two cluster bring-ups): runs only with NPH_E2E_FAULTS=1 (npm run test:e2e:faults).
import { expect } from 'chai';
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execaRunner } from '../../harness/cluster/command.js';
import { kindClusters } from '../../harness/cluster/providers/kind.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';
import { isClusterTempDir } from '../../harness/run/down.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLI = ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts')];
const SUITE = 'test/fixtures/e2e/orphans/suite.yaml';
const PREFIX = process.env.NPH_E2E_ORPHANS_PREFIX ?? 'nph-i16-orphans';
const [A, B] = [`${PREFIX}-a`, `${PREFIX}-b`];
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';
const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const ENABLED = process.env.NPH_E2E_FAULTS === '1';

const cli = (...args: string[]) => execa(process.execPath, [...CLI, ...args], { cwd: ROOT, reject: false, all: true, env: { NO_COLOR: '1' } });

/** External containers of one cluster, by the label the harness puts on them. */
async function externalsOf(cluster: string): Promise<string[]> {
  const r = await execa(DOCKER, ['ps', '-a', '--filter', 'label=netpol-harness.external', '--filter', `label=netpol-harness.cluster=${cluster}`, '--format', '{{.Names}}']);
  return r.stdout.split('\n').filter(Boolean);
}

describe('nothing orphaned: kept clusters deleted behind the harness, and down (real kind clusters)', function () {
  this.timeout(1_200_000);

  before(async function () {
    if (!ENABLED) {
      process.stderr.write('orphans e2e SKIPPED: slow (two cluster bring-ups); run with NPH_E2E_FAULTS=1 (npm run test:e2e:faults)\n');
      this.skip();
    }
    for (const n of [A, B]) await execa(KIND, ['delete', 'cluster', '--name', n], { reject: false });
  });

  after(async () => {
    if (!ENABLED) return;
    // `down` is the clean-up under test; it also removes the kubeconfig dir the kept run A left.
    for (const n of [A, B]) await cli('down', '--cluster-name', n);
  });

  it('a kept run, its cluster deleted with kind: the next run of another cluster removes the orphaned external; down removes a kept cluster and its externals', async () => {
    const first = await cli('run', SUITE, '--cluster-name', A, '--keep', '--skip-canary', '--workers', '0');
    expect(first.exitCode, first.all).to.equal(0);
    expect(await externalsOf(A)).to.deep.equal([`nph-${A}-ext-pay`]);

    await execa(KIND, ['delete', 'cluster', '--name', A]);
    expect(await externalsOf(A), 'kind does not know about the external: orphaned').to.have.length(1);

    const second = await cli('run', SUITE, '--cluster-name', B, '--keep', '--skip-canary', '--workers', '0');
    expect(second.exitCode, second.all).to.equal(0);
    expect(second.all).to.match(new RegExp(`removed 1 orphaned external container\\(s\\) whose cluster no longer exists: nph-${A}-ext-pay`));
    expect(await externalsOf(A)).to.deep.equal([]);
    expect(await externalsOf(B), 'the kept cluster keeps its own external').to.deep.equal([`nph-${B}-ext-pay`]);
    expect(await kindClusters(execaRunner, KIND)).to.include(B);

    const down = await cli('down', '--cluster-name', B);
    expect(down.exitCode, down.all).to.equal(0);
    expect(down.all).to.match(new RegExp(`deleted kind cluster ${B}; removed container\\(s\\) nph-${B}-ext-pay; removed 1 kubeconfig temp dir`));
    expect(await kindClusters(execaRunner, KIND)).to.not.include(B);
    expect(await externalsOf(B)).to.deep.equal([]);
    expect((await readdir(tmpdir())).filter((d) => isClusterTempDir(d, B))).to.deep.equal([]);

    const again = await cli('down', '--cluster-name', B);
    expect(again.exitCode).to.equal(0);
    expect(again.all).to.include(`nothing to remove for cluster ${B}`);
  });
});
