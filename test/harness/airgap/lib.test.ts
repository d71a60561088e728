// scripts/airgap/lib.sh run_step, run with bash on fake steps: a command that fails in the middle
// of a step fails the step (no stamp, the build stops), a good step is stamped and skipped next time.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const LIB = path.resolve(import.meta.dirname, '..', '..', '..', 'scripts/airgap/lib.sh');

describe('airgap lib.sh run_step', function () {
  this.timeout(30_000);
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(path.join(tmpdir(), 'nph-airgap-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  /** Sources lib.sh as build-images.sh does and runs `body` (steps defined and called there). */
  const build = (body: string) => {
    const r = spawnSync('bash', ['-c', `source '${LIB}'\n${body}\necho "build went on"`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NPH_CACHE: cache } });
    return { status: r.status, out: r.stdout + r.stderr, stamps: readdirSync(path.join(cache, 'stamps')) };
  };

  it('a failing command in the middle of a step fails it: nothing after it runs, no stamp, the build stops', () => {
    const r = build(`bad() { echo before; false; touch "$NPH_CACHE/after"; }\nrun_step bad k1 bad`);
    expect(r.status).to.equal(1);
    expect(existsSync(path.join(cache, 'after')), 'the command after the failure ran').to.equal(false);
    expect(r.stamps).to.deep.equal([]);
    expect(r.out).to.match(/FAILED bad \(exit 1\)/).and.include('before').and.not.include('build went on');
    expect(readFileSync(path.join(cache, 'logs/bad.log'), 'utf8')).to.equal('before\n');
  });

  it('a failing stage of a pipeline fails the step too (pipefail)', () => {
    const r = build(`piped() { false | cat; touch "$NPH_CACHE/after"; }\nrun_step piped k1 piped`);
    expect(r.status).to.equal(1);
    expect(existsSync(path.join(cache, 'after'))).to.equal(false);
  });

  it('a good step is stamped once per key and skipped while the key is the same; set -e is back on afterwards', () => {
    const first = build(`good() { echo ran >> "$NPH_CACHE/count"; }\nrun_step good k1 good\nrun_step good k1 good\nrun_step good k2 good\nfalse`);
    expect(readFileSync(path.join(cache, 'count'), 'utf8')).to.equal('ran\nran\n');
    expect(first.stamps).to.have.length(2);
    expect(first.out).to.include('skip good (cached)');
    // the trailing `false` still stops the build: errexit is restored after the step
    expect(first.status).to.equal(1);
    expect(first.out).to.not.include('build went on');
  });
});
