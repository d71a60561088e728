// External commands (kind, docker) through one injectable runner, so providers can be unit-tested
// by asserting the argv they would run. Every docker and kind command has a deadline (its own, or
// one by kind of command), after which it is killed: a stalled Docker engine never hangs a run.
import { execa } from 'execa';
import path from 'node:path';
import { CommandTimeoutError, InfraError } from '../errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface CommandOptions {
  input?: string;
  /** Deadline; default: commandDeadlineMs for docker and kind, none for other tools. */
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Aborting stops the command (SIGTERM); the result then reports a failure. */
  signal?: AbortSignal;
}

export interface CommandRunner {
  /** Runs a command; never rejects for a non-zero exit (callers decide), only when it cannot start. */
  run(file: string, args: string[], opts?: CommandOptions): Promise<CommandResult>;
}

/** docker or kind (also under another path or name ending so, as NPH_DOCKER and NPH_KIND may give). */
const toolOf = (file: string): 'docker' | 'kind' | undefined => {
  const base = path.basename(file);
  return /docker$/.test(base) ? 'docker' : /kind$/.test(base) ? 'kind' : undefined;
};

/** Commands that move whole images or clusters: minutes are normal. */
const SLOW_DOCKER = new Set(['build', 'buildx', 'save', 'load', 'pull', 'push', 'import', 'commit', 'export']);

/**
 * The deadline of a docker or kind command that was given none. A quick engine call (ps, inspect,
 * rm, exec, run -d, logs, version) answers in seconds even on a loaded host; image transfers and
 * cluster creation take minutes. `NPH_DOCKER_TIMEOUT_MS` changes the quick deadline (slow CI).
 * Undefined for other tools.
 */
export function commandDeadlineMs(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): number | undefined {
  const tool = toolOf(file);
  if (!tool) return undefined;
  const quick = Number(env.NPH_DOCKER_TIMEOUT_MS) > 0 ? Number(env.NPH_DOCKER_TIMEOUT_MS) : 120_000;
  const words = args.filter((a) => !a.startsWith('-'));
  if (tool === 'kind') {
    if (words[0] === 'create' || words[0] === 'load' || words[0] === 'build') return Math.max(quick, 900_000);
    if (words[0] === 'delete') return Math.max(quick, 300_000);
    return quick;
  }
  const sub = words[0] === 'image' || words[0] === 'container' ? words[1] : words[0];
  return sub !== undefined && SLOW_DOCKER.has(sub) ? Math.max(quick, 900_000) : quick;
}

export const execaRunner: CommandRunner = {
  async run(file, args, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? commandDeadlineMs(file, args);
    try {
      const r = await execa(file, args, {
        reject: false,
        stripFinalNewline: true,
        ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
        // On the deadline: SIGTERM, then SIGKILL 5 s later if it is still there.
        ...(timeoutMs !== undefined ? { timeout: timeoutMs, forceKillAfterDelay: 5_000 } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      });
      if (r.timedOut) throw timeoutError(file, args, timeoutMs!);
      if (r.failed && r.exitCode === undefined) {
        const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
        if (code === 'ENOENT') throw new InfraError(`${file}: command not found`, { hint: hintFor(file) });
        throw new InfraError(`${file} ${args.join(' ')}: ${r.shortMessage}`);
      }
      return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? 1 };
    } catch (e) {
      if (e instanceof InfraError) throw e;
      throw new InfraError(`${file} could not be run: ${(e as Error).message}`, { hint: hintFor(file), cause: e });
    }
  },
};

/** The typed error for a command killed at its deadline: names the command and what to check. */
export function timeoutError(file: string, args: string[], timeoutMs: number): CommandTimeoutError {
  const command = [file, ...args].join(' ');
  const secs = timeoutMs < 10_000 ? (timeoutMs / 1000).toFixed(1) : String(Math.round(timeoutMs / 1000));
  const shown = command.length > 200 ? `${command.slice(0, 200)}...` : command;
  const tool = toolOf(file);
  if (tool === undefined) return new CommandTimeoutError(`${shown}: did not finish within ${secs} s and was killed`, { command, timeoutMs });
  const engine = tool === 'docker' ? 'the Docker engine did not answer' : 'kind (which drives the Docker engine) did not finish';
  return new CommandTimeoutError(`${engine} within ${secs} s: ${shown} (killed)`, {
    command,
    timeoutMs,
    hint: 'is dockerd stalled? check `docker info` and `docker ps`; restart the engine if they hang too (a slow CI host: raise NPH_DOCKER_TIMEOUT_MS)',
  });
}

function hintFor(file: string): string {
  if (/kind$/.test(file)) return 'install kind, or point NPH_KIND (or --kind) at the binary';
  if (/docker$/.test(file)) return 'install the Docker CLI and start the engine (or set NPH_DOCKER)';
  return `install ${file} or put it on PATH`;
}

/** The last lines of a command's output, for error messages. */
export function tail(text: string, lines = 12): string {
  const all = text.trim().split('\n');
  return all.slice(-lines).join('\n');
}

/** Runs and throws an InfraError with the output's tail when the command fails. */
export async function runChecked(runner: CommandRunner, file: string, args: string[], what: string, opts?: CommandOptions & { hint?: string }): Promise<CommandResult> {
  const r = await runner.run(file, args, opts).catch((e: unknown) => {
    // Say what the harness was doing when the engine stalled.
    if (e instanceof CommandTimeoutError) throw new CommandTimeoutError(`${what}: ${e.message}`, { command: e.command, timeoutMs: e.timeoutMs, ...(e.hint !== undefined ? { hint: e.hint } : {}) });
    throw e;
  });
  if (r.exitCode !== 0) {
    const out = tail(r.stderr || r.stdout);
    throw new InfraError(`${what} failed (exit ${r.exitCode}): ${file} ${args.join(' ')}${out ? `\n${out}` : ''}`, opts?.hint ? { hint: opts.hint } : undefined);
  }
  return r;
}
