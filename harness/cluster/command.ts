// External commands (kind, docker) through one injectable runner, so providers can be unit-tested
// by asserting the argv they would run.
import { execa } from 'execa';
import { InfraError } from '../errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface CommandOptions {
  input?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Aborting stops the command (SIGTERM); the result then reports a failure. */
  signal?: AbortSignal;
}

export interface CommandRunner {
  /** Runs a command; never rejects for a non-zero exit (callers decide), only when it cannot start. */
  run(file: string, args: string[], opts?: CommandOptions): Promise<CommandResult>;
}

export const execaRunner: CommandRunner = {
  async run(file, args, opts = {}) {
    try {
      const r = await execa(file, args, {
        reject: false,
        stripFinalNewline: true,
        ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
        ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      });
      if (r.failed && r.exitCode === undefined) {
        const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
        if (code === 'ENOENT') throw new InfraError(`${file}: command not found`, { hint: hintFor(file) });
        throw new InfraError(`${file} ${args.join(' ')}: ${r.timedOut ? `timed out after ${opts.timeoutMs}ms` : r.shortMessage}`);
      }
      return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? 1 };
    } catch (e) {
      if (e instanceof InfraError) throw e;
      throw new InfraError(`${file} could not be run: ${(e as Error).message}`, { hint: hintFor(file), cause: e });
    }
  },
};

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
  const r = await runner.run(file, args, opts);
  if (r.exitCode !== 0) {
    const out = tail(r.stderr || r.stdout);
    throw new InfraError(`${what} failed (exit ${r.exitCode}): ${file} ${args.join(' ')}${out ? `\n${out}` : ''}`, opts?.hint ? { hint: opts.hint } : undefined);
  }
  return r;
}
