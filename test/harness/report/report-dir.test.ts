// --report-dir: made one level at a time, so an unsuitable path fails at once with exit 2 (issue 25,
// item 2). Node's recursive mkdir spun forever on /proc/nope/x.
import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../../../harness/errors.js';
import { makeOutputDir } from '../../../harness/report/report-dir.js';
import { runCli } from '../cli/run-cli.js';

async function failure(p: Promise<unknown>): Promise<UsageError> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('report directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nph-rdir-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes missing parents and the directory', async () => {
    await makeOutputDir(path.join(dir, 'a', 'b', 'c'));
    expect(statSync(path.join(dir, 'a', 'b', 'c')).isDirectory()).to.equal(true);
    await makeOutputDir(path.join(dir, 'a', 'b', 'c')); // existing: fine
  });

  it('fails fast under /proc, naming the flag and the path', async () => {
    const started = Date.now();
    const e = await failure(makeOutputDir('/proc/nope/x'));
    expect(Date.now() - started).to.be.below(2000);
    expect(e.message).to.equal('--report-dir /proc/nope/x: cannot create /proc/nope (ENOENT)');
  });

  it('refuses a path through a regular file', async () => {
    writeFileSync(path.join(dir, 'f'), '');
    const e = await failure(makeOutputDir(path.join(dir, 'f', 'x')));
    expect(e.message).to.include(`${path.join(dir, 'f')} exists and is not a directory`);
  });

  it('check --report-dir /proc/nope/x exits 2 at once', async () => {
    const r = await runCli('check', 'test/fixtures/valid/minimal', '--report-dir', '/proc/nope/x');
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.include('--report-dir /proc/nope/x: cannot create /proc/nope');
  });
});
