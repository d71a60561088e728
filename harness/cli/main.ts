// The netpol-harness command line: a thin shell over the library. Each command lives in
// commands/<name>.ts and registers itself here.
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { EXIT, HarnessError, InputError } from '../errors.js';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('netpol-harness')
    .description('End-to-end tests for Kubernetes NetworkPolicies on real clusters')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI and returns the exit code; never throws, never prints a stack trace for user errors. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.error;
    }
    if (e instanceof HarnessError) {
      const title = e instanceof InputError ? 'invalid input' : e.name.replace(/Error$/, '').toLowerCase() + ' error';
      process.stderr.write(`${pc.red(`netpol-harness: ${title}`)}\n${e.message}\n`);
      if (e.hint) process.stderr.write(`${pc.dim(`hint: ${e.hint}`)}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`${pc.red('netpol-harness: unexpected error')}: ${err.message}\n`);
    if (process.env.NPH_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    else process.stderr.write(pc.dim('(set NPH_DEBUG=1 for a stack trace)\n'));
    return EXIT.error;
  }
}
