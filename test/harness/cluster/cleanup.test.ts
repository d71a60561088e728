/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CleanupStack } from '../../../harness/cluster/cleanup.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

describe('cluster/cleanup: CleanupStack', () => {
  it('runs disposers last-first, once, and keeps going past a failure', async () => {
    const order: string[] = [];
    const s = new CleanupStack();
    s.push('a', () => void order.push('a'));
    s.push('b', () => {
      order.push('b');
      throw new Error('boom');
    });
    s.push('c', async () => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('c');
    });
    const [r1, r2] = await Promise.all([s.run(), s.run()]);
    expect(order).to.deep.equal(['c', 'b', 'a']);
    expect(r1).to.equal(r2);
    expect(r1.ran).to.deep.equal(['c', 'a']);
    expect(r1.failed.map((f) => [f.label, f.error.message])).to.deep.equal([['b', 'boom']]);
    await s.run();
    expect(order).to.have.length(3);
  });

  it('runs only what was registered since the last pass, and unregistered disposers never', async () => {
    const order: string[] = [];
    const s = new CleanupStack();
    s.push('a', () => void order.push('a'));
    const forget = s.push('x', () => void order.push('x'));
    forget();
    await s.run();
    s.push('late', () => void order.push('late'));
    await s.run();
    expect(order).to.deep.equal(['a', 'late']);
  });

  it('keep reports disposers without running them', async () => {
    const order: string[] = [];
    const s = new CleanupStack({ keep: true });
    s.push('cluster', () => void order.push('cluster'), { keptHint: 'kind delete cluster --name x' });
    const r = await s.run();
    expect(order).to.deep.equal([]);
    expect(r.kept).to.deep.equal(['cluster']);
  });

  it('gives up on a disposer that hangs', async () => {
    const s = new CleanupStack();
    const order: string[] = [];
    s.push('a', () => void order.push('a'));
    s.push('hang', () => new Promise<void>(() => undefined), { timeoutMs: 20 });
    const r = await s.run();
    expect(r.failed[0]?.error.message).to.include('gave up');
    expect(order).to.deep.equal(['a']);
  });

  it('is interrupted once a signal arrives, so callers stop making changes', async () => {
    const exits: number[] = [];
    const stack = new CleanupStack({ exit: (c) => exits.push(c), log: () => undefined });
    const uninstall = stack.installSignalHandlers();
    try {
      expect(stack.interrupted).to.equal(false);
      process.emit('SIGTERM', 'SIGTERM');
      expect(stack.interrupted).to.equal(true);
      await stack.run();
      await new Promise((r) => setTimeout(r, 10));
      expect(exits).to.deep.equal([143]);
    } finally {
      uninstall();
    }
  });

  it('runWith cleans up after success and after failure', async () => {
    const order: string[] = [];
    const s = new CleanupStack();
    await s.runWith(async (st) => {
      st.push('ok', () => void order.push('ok'));
    });
    let err: Error | undefined;
    try {
      await s.runWith(async (st) => {
        st.push('failed-run', () => void order.push('failed-run'));
        throw new Error('run failed');
      });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal('run failed');
    expect(order).to.deep.equal(['ok', 'failed-run']);
  });
});

describe('cluster/cleanup: signals (child process)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nph-cleanup-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function runChild(mode: string | undefined, signals: NodeJS.Signals[], waitFor?: RegExp) {
    const out = path.join(dir, 'out.txt');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/cleanup-child.ts'), out, ...(mode ? [mode] : [])], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string }>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child did not exit; stderr: ${stderr}`));
      }, 25_000);
      let sent = 0;
      const sendNext = () => {
        const s = signals[sent++];
        if (s) child.kill(s);
      };
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (sent === 0 && stdout.includes('ready')) sendNext();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      // The next signal goes once the file shows cleanup has started (polled: no event to hook).
      const poll = setInterval(() => {
        if (sent === 1 && waitFor && waitFor.test(readSafe(out))) sendNext();
      }, 20);
      child.on('exit', (code, signal) => {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ code, signal, lines: readSafe(out).split('\n').filter(Boolean), stderr });
      });
    });
  }

  function readSafe(f: string): string {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  }

  it('SIGTERM runs every disposer (last first) and exits 143', async () => {
    const r = await runChild(undefined, ['SIGTERM']);
    expect(r.code, r.stderr).to.equal(143);
    expect(r.lines).to.deep.equal(['third', 'second', 'first']);
    expect(r.stderr).to.include('SIGTERM received, cleaning up');
  });

  it('SIGINT runs every disposer and exits 130', async () => {
    const r = await runChild(undefined, ['SIGINT']);
    expect(r.code, r.stderr).to.equal(130);
    expect(r.lines).to.deep.equal(['third', 'second', 'first']);
  });

  it('a second Ctrl-C exits at once, naming what may be left behind', async () => {
    const r = await runChild('hang', ['SIGINT', 'SIGINT'], /third/);
    expect(r.code, r.stderr).to.equal(130);
    expect(r.lines).to.deep.equal(['third']);
    expect(r.stderr).to.include('exiting without finishing cleanup; may be left behind: second, first');
  });
});
