// The one grammar every command follows: `-o/--output` is a format, paths may be a suite file or its
// directory, changed flags warn before they go, and every `--help` ends with examples and exit codes.
// Shared here so that a command module holds only its own options and action.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** The exit codes every command uses, as `--help` prints them. */
export const EXIT_CODES_HELP = {
  verdict: '  0  everything agreed / passed\n  1  a verdict: a wrong cell, a disagreement, a lint error, a changed verdict\n  2  bad input, usage or infrastructure (nothing was judged)',
  plain: '  0  done\n  2  bad input, usage or infrastructure',
} as const;

export interface CommandHelp {
  examples: string[];
  exitCodes: string;
}

/** Examples and exit codes per command, printed after its options. */
export const COMMAND_HELP: Record<string, CommandHelp> = {
  check: {
    examples: ['netpol-harness check netpol/ --strict', 'netpol-harness check suites/ --report-dir reports/check', 'netpol-harness check netpol/suite.yaml -o json'],
    exitCodes: '  0  every expectation agrees with the policies (and, with --strict, no lint error or warning)\n  1  a disagreement (or a lint error or warning under --strict)\n  2  an invalid suite or a path that names none (the others are still checked)',
  },
  validate: {
    examples: ['netpol-harness validate netpol/', 'netpol-harness validate netpol/suite.yaml -o json'],
    exitCodes: '  0  the suite and every policy file are valid\n  2  a problem, named by file, field and line (a policy file alone: use lint)',
  },
  simulate: {
    examples: ['netpol-harness simulate netpol/ --step default-deny', 'netpol-harness simulate netpol/ -o json'],
    exitCodes: EXIT_CODES_HELP.plain,
  },
  explain: {
    examples: ['netpol-harness explain netpol/ --from develop/frontend --to dns --step dns-mistake', 'netpol-harness explain netpol/ --from sandbox/attacker --to task-api:http'],
    exitCodes: EXIT_CODES_HELP.plain,
  },
  lint: {
    examples: ['netpol-harness lint netpol/', 'netpol-harness lint netpol/policies/default-deny.yaml', 'netpol-harness lint netpol/ --verbose -o json'],
    exitCodes: '  0  no error (warnings and info are advice)\n  1  an error finding\n  2  the input cannot be read',
  },
  run: {
    examples: [
      'netpol-harness run netpol/suite.yaml --report-dir reports',
      'netpol-harness run netpol/ --cni kube-router --keep',
      'netpol-harness run staging/ --provider existing --context staging --plan',
    ],
    exitCodes: '  0  every step matched\n  1  a wrong cell\n  2  bad input, usage, or cells the cluster could not judge (a fault is never a verdict)',
  },
  discover: {
    examples: ['netpol-harness discover --context staging -n shop --out-dir staging', 'netpol-harness discover -A --out-dir staging --skip-unsupported'],
    exitCodes: '  0  the suite was written\n  2  bad input, a missing permission, or policies it cannot model (without --skip-unsupported)',
  },
  conformance: {
    examples: ['netpol-harness conformance --cni kube-router --report-dir reports', 'netpol-harness conformance --provider existing --context my-cluster', 'netpol-harness conformance --random 20 --seed 1'],
    exitCodes: '  0  every case conforms\n  1  some case deviates\n  2  the CNI does not enforce NetworkPolicy, or bad flags',
  },
  diagnose: {
    examples: [
      'netpol-harness diagnose --from develop/frontend --to backend.develop.svc.cluster.local:8080',
      'netpol-harness diagnose --from develop/frontend --to develop/backend:8080 --want allow --rehearse',
      'netpol-harness diagnose --from develop/debug --to develop/production-db:5432 --want deny -o json',
      'netpol-harness diagnose --to develop/production-db:5432',
      'netpol-harness diagnose --from develop/debug --want deny',
    ],
    exitCodes:
      '  0  the observed verdict is what --want asks (or no --want)\n  1  it is not (the flow is blocked, or open, against --want)\n  2  usage, input or infrastructure error; or the verdict could not be observed (a fault is never a verdict)',
  },
  down: {
    examples: ['netpol-harness down --cluster-name netpol-harness'],
    exitCodes: EXIT_CODES_HELP.plain,
  },
  diff: {
    examples: ['netpol-harness diff old/results.json new/results.json', 'netpol-harness diff old/conformance.json new/conformance.json -o json'],
    exitCodes: '  0  nothing changed\n  1  a verdict changed\n  2  unreadable input',
  },
};

/** The text `--help` prints after the options. */
export function helpFooter(name: string): string | undefined {
  const h = COMMAND_HELP[name];
  if (!h) return undefined;
  return `\nExamples:\n${h.examples.map((e) => `  ${e}`).join('\n')}\n\nExit codes:\n${h.exitCodes}\n`;
}

/** Says once, on stderr, that a flag changed; the old spelling keeps working until it is removed. */
export function deprecated(old: string, instead: string, write: (s: string) => void = (s) => void process.stderr.write(s)): void {
  write(`netpol-harness: warning: ${old} is deprecated: ${instead}\n`);
}

const POLICY_KIND = /^kind:\s*['"]?(NetworkPolicy|ClusterNetworkPolicy)['"]?\s*(#.*)?$/m;
const SUITE_KIND = /^kind:\s*['"]?Suite['"]?\s*(#.*)?$/m;

/**
 * A command that takes a suite, pointed at a policy file, says so and where to go instead of listing
 * the suite schema's complaints about a document never meant to be a suite (the caller throws it as
 * a UsageError).
 */
export async function policyFileInsteadOfSuite(file: string, command: string): Promise<{ message: string; hint: string } | undefined> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  const text = await readFile(file, 'utf8').catch(() => '');
  if (SUITE_KIND.test(text) || !POLICY_KIND.test(text)) return undefined;
  const kind = POLICY_KIND.exec(text)![1]!;
  return {
    message: `${file} is a ${kind} file, not a suite: ${command} takes a suite (suite.yaml, or its directory)`,
    hint: `netpol-harness lint ${file} checks policy files on their own; to test them, list them under policies: in a suite (see ${path.join('docs', 'suites.md')})`,
  };
}
