// Progress for long steps (cluster creation, CNI install, waiting for pods): what is happening and
// for how long, on stderr. A live timer line on a TTY; plain start/done lines otherwise (CI logs).
import pc from 'picocolors';

/** Ends a step: no argument or 'ok' for success, 'failed' for failure, any other text as a note. */
export type StepEnd = (outcome?: string) => void;

export interface Progress {
  step(label: string): StepEnd;
  info(message: string): void;
  warn(message: string): void;
}

export interface ProgressOptions {
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Force live mode on or off (default: the stream's isTTY). */
  live?: boolean;
  now?: () => number;
  intervalMs?: number;
}

export function formatElapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

interface Active {
  label: string;
  start: number;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const live = opts.live ?? stream.isTTY === true;
  const now = opts.now ?? (() => Date.now());
  const active: Active[] = [];
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;

  const clear = () => {
    if (live && drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = () => {
    if (!live) return;
    clear();
    const top = active[active.length - 1];
    if (!top) return;
    const path = active.map((a) => a.label).join(pc.dim(' › '));
    stream.write(`${pc.cyan('…')} ${path} ${pc.dim(formatElapsed(now() - top.start))}`);
    drawn = true;
  };
  const ensureTimer = () => {
    if (!live) return;
    if (active.length > 0 && !timer) {
      timer = setInterval(draw, opts.intervalMs ?? 250);
      timer.unref(); // never keep the process alive for a progress line
    } else if (active.length === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const line = (text: string) => {
    clear();
    stream.write(`${text}\n`);
    draw();
  };

  return {
    step(label) {
      const a: Active = { label, start: now() };
      active.push(a);
      if (live) draw();
      else stream.write(`${pc.cyan('…')} ${label}\n`);
      ensureTimer();
      let ended = false;
      return (outcome) => {
        if (ended) return;
        ended = true;
        const i = active.indexOf(a);
        if (i >= 0) active.splice(i, 1);
        const took = formatElapsed(now() - a.start);
        if (outcome === 'failed') line(`${pc.red('✗')} ${label} ${pc.dim(`(failed after ${took})`)}`);
        else line(`${pc.green('✓')} ${label} ${pc.dim(`(${took}${outcome && outcome !== 'ok' ? `, ${outcome}` : ''})`)}`);
        ensureTimer();
      };
    },
    info(message) {
      line(`  ${message}`);
    },
    warn(message) {
      line(`${pc.yellow('!')} ${message}`);
    },
  };
}

export const silentProgress: Progress = {
  step: () => () => undefined,
  info: () => undefined,
  warn: () => undefined,
};

/** Runs fn as a progress step, marking it failed when fn throws. */
export async function withStep<T>(progress: Progress, label: string, fn: () => Promise<T>): Promise<T> {
  const end = progress.step(label);
  try {
    const r = await fn();
    end();
    return r;
  } catch (e) {
    end('failed');
    throw e;
  }
}
