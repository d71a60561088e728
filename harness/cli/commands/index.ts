// Command registry. One module per command keeps ownership and tests obvious. Names and one-line
// summaries are static so that `--help`, `--version` and the cluster-free commands never import what
// they do not use: a command's module is imported only when that command is invoked (the cluster
// stack behind `run` alone costs about half a second and 90 MB). A new command is one entry here.
import type { Command } from 'commander';
import { EXIT_CODES_HELP, helpFooter } from '../grammar.js';

export interface CommandModule {
  register(program: Command): void;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'validate', summary: 'check a suite and its policy files without a cluster: YAML, schema, references, and every NetworkPolicy as the API server would', load: () => import('./validate.js') },
  { name: 'simulate', summary: 'compute the reachability matrix the policies imply at each step, without a cluster', load: () => import('./simulate.js') },
  { name: 'explain', summary: 'explain why a connection or DNS check is allowed or denied, in policy terms', load: () => import('./explain.js') },
  { name: 'lint', summary: 'check NetworkPolicies for mistakes and over-broad rules (a suite adds checks against its workloads)', load: () => import('./lint.js') },
  { name: 'check', summary: 'check suites without a cluster: validate, compare every hand-written expectation with the simulation, lint (the pull-request tier)', load: () => import('./check.js') },
  { name: 'run', summary: 'run a suite on a real cluster: deploy, apply each step, probe every cell, compare and report', load: () => import('./run.js') },
  { name: 'discover', summary: 'read a live cluster into a runnable suite: namespaces, workloads, every NetworkPolicy (never changes the cluster)', load: () => import('./discover.js') },
  { name: 'diagnose', summary: 'triage one flow (or one pod\'s exposure) on a live cluster: map, explain at both ends, probe in place, compare, propose the least-privilege fix', load: () => import('./diagnose.js') },
  { name: 'conformance', summary: 'run the generated NetworkPolicy conformance battery on a cluster: what this CNI enforces, how it denies, how fast', load: () => import('./conformance.js') },
  { name: 'down', summary: 'delete a kept cluster and everything the harness made for it (external containers, kubeconfig files)', load: () => import('./down.js') },
  { name: 'diff', summary: 'compare two results.json artifacts: cells whose observed verdict or class changed (exit 1 if any)', load: () => import('./diff.js') },
];

/** The command word of an argument list: its first operand (`help <name>` asks about <name>). */
export function invokedCommand(argv: readonly string[]): string | undefined {
  const operands = argv.filter((a) => !a.startsWith('-'));
  return operands[0] === 'help' && operands[1] !== undefined ? operands[1] : operands[0];
}

/**
 * Registers the invoked command in full (its module's options and action) and every other one as a
 * name and summary for the help listing. The registry's summary is the one `--help` shows.
 */
export async function registerCommands(program: Command, invoked: string | undefined): Promise<void> {
  for (const entry of COMMANDS) {
    if (entry.name === invoked) (await entry.load()).register(program);
    else program.command(entry.name);
    const cmd = program.commands.find((c) => c.name() === entry.name)!.description(entry.summary);
    const footer = entry.name === invoked ? helpFooter(entry.name) : undefined;
    if (footer) cmd.addHelpText('after', footer);
  }
  program.addHelpText('after', `\nExit codes (every command):\n${EXIT_CODES_HELP.verdict}\n\nRun netpol-harness <command> --help for its flags, examples and exit codes.\n`);
}
