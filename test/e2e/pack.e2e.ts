// The npm package on its own, as a user without Go gets it: `npm pack` (prepack builds the static
// agent binaries), then in a clean directory with no `go` on PATH, `npx <tarball> run` on the seed
// suite shipped in the package must build the agent image from the shipped binary (docker build FROM
// scratch) and run the suite to a pass. Slow (pack, install, a full seed run: several minutes), so it
// runs only with NPH_E2E_PACK=1 (CONTRIBUTING.md, "Build and test"). The image gets a tag of its own, removed after,
// so the shared netpol-harness/agent:<version> image is never touched.
import { expect } from 'chai';
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUILT_FROM_LABEL } from '../../harness/cluster/agent/image.js';
import { readImagesEnv } from '../../harness/cluster/paths.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLUSTER = 'nph-i13b-pack';
const TAG = 'netpol-harness/agent:nph-i13b-pack';
const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';

/** PATH without any directory that holds a `go` executable. */
function pathWithoutGo(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => d !== '' && !existsSync(path.join(d, 'go')))
    .join(path.delimiter);
}

describe('npm package: npx <tarball> run without Go', function () {
  this.timeout(1_800_000);
  let tmp: string;
  let tarball: string;

  before(function () {
    if (process.env.NPH_E2E_PACK !== '1') {
      console.log('    SKIPPED: set NPH_E2E_PACK=1 to pack, install and run the package (several minutes)');
      this.skip();
    }
    tmp = mkdtempSync(path.join(tmpdir(), 'nph-pack-'));
  });

  after(async () => {
    if (!tmp) return;
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    await execa(DOCKER, ['image', 'rm', '--force', TAG], { reject: false });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('npm pack ships the built CLI, the seed suite and static agent binaries for amd64 and arm64, but no Go source', async () => {
    // (--json output is not used: the lifecycle scripts print on the same stdout.)
    await execa('npm', ['pack', '--pack-destination', tmp], { cwd: ROOT });
    const [name] = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    tarball = path.join(tmp, name!);
    const files = (await execa('tar', ['-tzf', tarball])).stdout.split('\n').map((f) => f.replace(/^package\//, ''));
    expect(files).to.include.members([
      'dist/harness/cli/bin.js',
      'suites/zero-trust/suite.yaml',
      'agent-bin/linux-amd64/nph-agent',
      'agent-bin/linux-arm64/nph-agent',
      'images/agent/IMAGE',
      'images/agent/VERSION',
    ]);
    expect(files.filter((f) => f.endsWith('.go'))).to.deep.equal([]);
  });

  it('in a clean directory without Go, npx <tarball> run builds the missing agent image and the seed suite passes', async () => {
    expect(tarball, 'the pack test ran first').to.be.a('string');
    const work = path.join(tmp, 'user');
    mkdirSync(work);
    // The user's suite: here the seed suite, taken from the package itself.
    await execa('tar', ['-xzf', tarball, '-C', work, '--strip-components=1', 'package/suites']);
    // npx takes a tarball as ./<file> (an absolute path reads as a command to run).
    copyFileSync(tarball, path.join(work, path.basename(tarball)));
    const PATH = pathWithoutGo();
    expect((await execa('sh', ['-c', 'command -v go'], { reject: false, env: { PATH } })).exitCode, 'go must not be on PATH').to.not.equal(0);
    await execa(DOCKER, ['image', 'rm', '--force', TAG], { reject: false });
    expect((await execa(DOCKER, ['image', 'inspect', TAG], { reject: false })).exitCode).to.not.equal(0);

    const env: Record<string, string> = { PATH, HOME: process.env.HOME ?? tmp, NO_COLOR: '1' };
    if (process.env.NPH_CACHE) env.NPH_CACHE = process.env.NPH_CACHE;
    const r = await execa('npx', ['--yes', `./${path.basename(tarball)}`, 'run', 'suites/zero-trust/suite.yaml', '--cluster-name', CLUSTER, '--agent-image', TAG, '--report-dir', 'reports'], {
      cwd: work,
      env,
      extendEnv: false,
      reject: false,
      all: true,
    });
    const out = r.all ?? '';
    expect(r.exitCode, out.slice(-4000)).to.equal(0);
    expect(out).to.include(`building the agent image ${TAG}`);
    const label = await execa(DOCKER, ['image', 'inspect', '--format', `{{ index .Config.Labels "${BUILT_FROM_LABEL}" }}`, TAG]);
    expect(label.stdout.trim()).to.equal('prebuilt-binary');
    expect(readdirSync(path.join(work, 'reports'))).to.include.members(['results.json', 'report.html']);
    const results = JSON.parse(readFileSync(path.join(work, 'reports', 'results.json'), 'utf8')) as { suite: string; steps: unknown[] };
    expect(results.steps.length).to.be.greaterThan(0);
  });
});
