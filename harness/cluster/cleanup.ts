// LIFO cleanup of everything a run created (externals, namespaces, the kind cluster), on success,
// failure, Ctrl-C and SIGTERM. Disposers are registered right before the thing they undo is
// created, so a run killed at any point cleans up what exists, and each runs at most once.
import { silentProgress, type Progress } from './progress.js';

export interface DisposerOptions {
  /** What to tell the user when --keep leaves this in place (e.g. how to delete it by hand). */
  keptHint?: string;
  /** Give up on this disposer after this long (default 120 s), so cleanup never hangs forever. */
  timeoutMs?: number;
}

interface Disposer extends DisposerOptions {
  label: string;
  fn: () => Promise<void> | void;
}

export interface CleanupReport {
  ran: string[];
  failed: { label: string; error: Error }[];
  kept: string[];
}

export interface CleanupOptions {
  /** Leave everything in place (--keep): disposers are reported, not run. */
  keep?: boolean;
  progress?: Progress;
  /** Where signal messages go (default stderr). */
  log?: (line: string) => void;
  /** How the process ends after a signal (default process.exit); injectable for tests. */
  exit?: (code: number) => void;
}

export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export class CleanupStack {
  keep: boolean;
  private readonly stack: Disposer[] = [];
  private pass: Promise<CleanupReport> | undefined;
  private last: CleanupReport = { ran: [], failed: [], kept: [] };
  private readonly progress: Progress;
  private readonly log: (line: string) => void;
  private readonly exit: (code: number) => void;
  private signalled = 0;

  constructor(opts: CleanupOptions = {}) {
    this.keep = opts.keep ?? false;
    this.progress = opts.progress ?? silentProgress;
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.exit = opts.exit ?? ((code) => process.exit(code));
  }

  get size(): number {
    return this.stack.length;
  }

  /** A signal arrived: callers must not start new changes, which could land after their undo ran. */
  get interrupted(): boolean {
    return this.signalled > 0;
  }

  /** Registers a disposer; the returned function unregisters it without running it. */
  push(label: string, fn: () => Promise<void> | void, opts: DisposerOptions = {}): () => void {
    const d: Disposer = { label, fn, ...opts };
    this.stack.push(d);
    return () => {
      const i = this.stack.indexOf(d);
      if (i >= 0) this.stack.splice(i, 1);
    };
  }

  /**
   * Runs the registered disposers, last first. Idempotent: a call during a pass joins it, a call
   * after it only runs disposers registered since. One failing disposer does not stop the others.
   */
  run(): Promise<CleanupReport> {
    if (this.pass) return this.pass;
    if (this.stack.length === 0) return Promise.resolve(this.last);
    this.pass = this.runPass().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  private async runPass(): Promise<CleanupReport> {
    const report: CleanupReport = { ran: [], failed: [], kept: [] };
    for (let d = this.stack.pop(); d; d = this.stack.pop()) {
      if (this.keep) {
        report.kept.push(d.label);
        this.progress.info(`kept (--keep): ${d.label}${d.keptHint ? ` — ${d.keptHint}` : ''}`);
        continue;
      }
      const end = this.progress.step(`cleanup: ${d.label}`);
      try {
        await withTimeout(Promise.resolve().then(d.fn), d.timeoutMs ?? 120_000, d.label);
        report.ran.push(d.label);
        end();
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        report.failed.push({ label: d.label, error });
        end('failed');
        this.progress.warn(`cleanup of ${d.label} failed: ${error.message}`);
      }
    }
    this.last = report;
    return report;
  }

  /**
   * On SIGINT/SIGTERM: run the cleanup, then exit 130/143. A second signal exits at once.
   * Returns a function that removes the handlers (call it when the run is over).
   */
  installSignalHandlers(): () => void {
    const handler = (sig: NodeJS.Signals) => {
      const code = sig === 'SIGTERM' ? SIGNAL_EXIT_CODES.SIGTERM : SIGNAL_EXIT_CODES.SIGINT;
      this.signalled += 1;
      if (this.signalled > 1) {
        const left = this.stack.map((d) => d.label).reverse();
        this.log(`netpol-harness: ${sig} again, exiting without finishing cleanup${left.length ? `; may be left behind: ${left.join(', ')}` : ''}`);
        this.exit(code);
        return;
      }
      this.log(`netpol-harness: ${sig} received, cleaning up${this.keep ? ' (--keep: leaving resources in place)' : ''}; press Ctrl-C again to exit at once`);
      void this.run().then(
        () => this.exit(code),
        () => this.exit(code),
      );
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }

  /** Runs fn with signal handlers installed and cleans up afterwards, whether fn succeeds or throws. */
  async runWith<T>(fn: (stack: this) => Promise<T>): Promise<T> {
    const uninstall = this.installSignalHandlers();
    try {
      return await fn(this);
    } finally {
      await this.run();
      uninstall();
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${label}: gave up after ${Math.round(ms / 1000)}s`)), ms);
    t.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}
