// Installing into a user's own repository, as the README says: `npm pack` in this checkout, then an
// empty project that installs the tarball as a dev dependency, copies the seed suite from
// node_modules, runs `npx netpol-harness check netpol/ --strict` (exit 0) and, when the cluster images
// are present, the nightly `npx netpol-harness run netpol/suite.yaml --report-dir reports` (exit 0).
// Slow (pack, an npm install, a cluster run), so it runs only with NPH_E2E_INSTALL=1.
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readImagesEnv } from '../../harness/cluster/paths.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CLUSTER = process.env.NPH_E2E_INSTALL_CLUSTER ?? 'nph-install-e2e';
const KIND = process.env.NPH_KIND ?? readImagesEnv().NPH_KIND ?? 'kind';

describe('install into your own repository: npm install --save-dev <tarball>, then npx netpol-harness', function () {
  this.timeout(1_800_000);
  let tmp: string;
  let project: string;

  before(async function () {
    if (process.env.NPH_E2E_INSTALL !== '1') {
      console.log('    SKIPPED: set NPH_E2E_INSTALL=1 to pack, install into an empty project and run there (minutes)');
      this.skip();
    }
    tmp = mkdtempSync(path.join(tmpdir(), 'nph-install-'));
    await execa('npm', ['pack', '--pack-destination', tmp], { cwd: ROOT });
    project = path.join(tmp, 'my-app');
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0', private: true }, null, 2));
  });

  after(async () => {
    if (!tmp) return;
    await execa(KIND, ['delete', 'cluster', '--name', CLUSTER], { reject: false });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('installs the tarball as a dev dependency and checks the copied seed suite: exit 0', async () => {
    const [tarball] = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    const inst = await execa('npm', ['install', '--save-dev', '--no-audit', '--no-fund', path.join(tmp, tarball!)], { cwd: project, reject: false, all: true });
    expect(inst.exitCode, inst.all).to.equal(0);
    const pkg = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    expect(pkg.devDependencies).to.have.property('netpol-harness');
    await execa('cp', ['-r', 'node_modules/netpol-harness/suites/zero-trust', 'netpol'], { cwd: project });
    const r = await execa('npx', ['netpol-harness', 'check', 'netpol/', '--strict'], { cwd: project, reject: false, all: true, env: { NO_COLOR: '1' } });
    expect(r.exitCode, r.all).to.equal(0);
    expect(r.stdout).to.include('check: 1 suite: 1 passed, 0 failed, 0 invalid');
  });

  it('runs the nightly there: npx netpol-harness run netpol/suite.yaml --report-dir reports, exit 0', async function () {
    const env = readImagesEnv();
    if (Object.keys(env).length === 0 && !process.env.NPH_NODE_IMAGE) {
      console.log('      SKIPPED: the cluster images are not built (scripts/airgap/build-images.sh); the run needs them');
      this.skip();
    }
    const r = await execa('npx', ['netpol-harness', 'run', 'netpol/suite.yaml', '--report-dir', 'reports', '--cluster-name', CLUSTER, ...(env.NPH_CNI ? ['--cni', env.NPH_CNI] : [])], {
      cwd: project,
      reject: false,
      all: true,
      env: { NO_COLOR: '1' },
    });
    expect(r.exitCode, (r.all ?? '').slice(-4000)).to.equal(0);
    expect(readdirSync(path.join(project, 'reports'))).to.include.members(['results.json', 'report.html']);
  });
});
