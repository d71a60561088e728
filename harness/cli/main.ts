// The netpol-harness command line: a thin shell over the library. Each command lives in
// commands/<name>.ts, listed in commands/index.ts and imported only when invoked.
import { Command, CommanderError } from 'commander';
import pc from 'picocolors';
import { EXIT, HarnessError, InputError } from '../errors.js';
import { printable } from '../printable.js';
import { COMMANDS, invokedCommand, registerCommands } from './commands/index.js';
import { packageVersion } from './version.js';

/** The program for one argument list: only the command argv invokes is loaded in full. */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('netpol-harness')
    .description('End-to-end tests for Kubernetes NetworkPolicies on real clusters')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  await registerCommands(program, invokedCommand(argv));
  return program;
}

/** " in a.yaml, b.yaml": the first line of an input error names the files, as a log line would need. */
function inFiles(e: InputError): string {
  const files = [...new Set(e.issues.map((i) => i.file).filter((f) => f !== ''))];
  if (files.length === 0) return '';
  return ` in ${printable(files.slice(0, 3).join(', '))}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`;
}

/**
 * Colours for error lines: only on a terminal (as the reports decide, report/terminal.ts), so a log
 * or a pipe gets plain text even where picocolors would colour because CI is set.
 */
function errorColors(): ReturnType<typeof pc.createColors> {
  return pc.createColors(process.stderr.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb');
}

/** Runs the CLI and returns the exit code; never throws, never prints a stack trace for user errors. */
export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    const word = invokedCommand(argv);
    // An unknown command is a usage error even with --help (as kubectl does), not the top-level help.
    const known = word === undefined || word === 'help' || COMMANDS.some((c) => c.name === word);
    await program.parseAsync(known ? argv : [word], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.error;
    }
    const c = errorColors();
    if (e instanceof HarnessError) {
      const title = e instanceof InputError ? `invalid input${inFiles(e)}` : e.name.replace(/Error$/, '').toLowerCase() + ' error';
      process.stderr.write(`${c.red(`netpol-harness: ${title}`)}\n${printable(e.message)}\n`);
      if (e.hint) process.stderr.write(`${c.dim(`hint: ${printable(e.hint)}`)}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`${c.red('netpol-harness: unexpected error')}: ${printable(err.message)}\n`);
    if (process.env.NPH_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    else process.stderr.write(c.dim('(set NPH_DEBUG=1 for a stack trace)\n'));
    return EXIT.error;
  }
}
