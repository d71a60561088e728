// Input files: only regular files are read, and only up to the size cap (issue 25, item 1). A FIFO
// used to hang `validate` forever and /dev/zero read ~620 MB before failing.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { maxInputBytes, readInputFile } from '../../harness/input-file.js';
import { runCli } from './cli/run-cli.js';

describe('input files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nph-input-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file', async () => {
    writeFileSync(path.join(dir, 'a.yaml'), 'a: 1\n');
    expect(await readInputFile(path.join(dir, 'a.yaml'))).to.deep.equal({ text: 'a: 1\n' });
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const r = await readInputFile(fifo);
    expect(r).to.deep.equal({ why: 'is a named pipe (FIFO), not a regular file: pass a file' });
  });

  it('refuses a device (/dev/zero) without reading it', async () => {
    const r = await readInputFile('/dev/zero');
    expect(r).to.have.property('why').that.includes('is a device, not a regular file');
  });

  it('refuses a directory and a missing file', async () => {
    expect(await readInputFile(dir)).to.deep.equal({ why: 'is a directory, not a file' });
    expect(await readInputFile(path.join(dir, 'nope'))).to.deep.equal({ why: 'file not found' });
  });

  it('refuses a file over the cap, naming the size, the limit and how to raise it', async () => {
    writeFileSync(path.join(dir, 'big.yaml'), 'x'.repeat(2048));
    const r = await readInputFile(path.join(dir, 'big.yaml'), 1024);
    expect(r).to.deep.equal({ why: 'is 2048 bytes, over the 1024 bytes limit for an input file (set NPH_MAX_INPUT_MIB to raise it)' });
  });

  it('caps what it reads from a regular file whose size says 0 (/proc)', async () => {
    const r = await readInputFile('/proc/self/maps', 16);
    expect(r).to.have.property('why').that.includes('more than');
  });

  it('takes the cap from NPH_MAX_INPUT_MIB, else 16 MiB', () => {
    expect(maxInputBytes({})).to.equal(16 * 1024 * 1024);
    expect(maxInputBytes({ NPH_MAX_INPUT_MIB: '64' })).to.equal(64 * 1024 * 1024);
    expect(maxInputBytes({ NPH_MAX_INPUT_MIB: 'lots' })).to.equal(16 * 1024 * 1024);
  });

  describe('through validate (exit 2, naming the file)', () => {
    const suiteWith = (policyFile: string): string => {
      cpSync('test/fixtures/valid/minimal', dir, { recursive: true });
      const suite = path.join(dir, 'suite.yaml');
      writeFileSync(suite, `${execFileSync('cat', [suite], { encoding: 'utf8' }).replace('file: policies/deny.yaml', `file: ${policyFile}`)}`);
      return suite;
    };

    it('a policy file that is a FIFO', async () => {
      execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
      const suite = suiteWith('fifo.yaml');
      const r = await runCli('validate', suite);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/suite\.yaml:\d+: policies\[0\]\.file: .*fifo\.yaml: is a named pipe \(FIFO\)/);
    });

    it('a policy file that is /dev/zero', async () => {
      const r = await runCli('validate', suiteWith('/dev/zero'));
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.include('/dev/zero: is a device, not a regular file');
    });

    it('a suite file over the cap', async () => {
      const suite = suiteWith('policies/deny.yaml');
      const saved = process.env.NPH_MAX_INPUT_MIB;
      process.env.NPH_MAX_INPUT_MIB = '0.0001';
      try {
        const r = await runCli('validate', suite);
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr).to.match(/suite\.yaml: is \d+ bytes, over the \d+ bytes limit for an input file \(set NPH_MAX_INPUT_MIB to raise it\)/);
      } finally {
        if (saved === undefined) delete process.env.NPH_MAX_INPUT_MIB;
        else process.env.NPH_MAX_INPUT_MIB = saved;
      }
    });

    it('lint and diff refuse a FIFO too', async () => {
      execFileSync('mkfifo', [path.join(dir, 'p.yaml')]);
      const l = await runCli('lint', path.join(dir, 'p.yaml'));
      expect(l.code, l.stderr).to.equal(2);
      expect(l.stderr).to.include('p.yaml: is a named pipe (FIFO)');
      const d = await runCli('diff', path.join(dir, 'p.yaml'), 'test/fixtures/results/none.json');
      expect(d.code, d.stderr).to.equal(2);
      expect(d.stderr).to.include('p.yaml: is a named pipe (FIFO)');
    });
  });
});
