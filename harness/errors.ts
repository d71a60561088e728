// Typed errors. Every user-facing failure carries what went wrong, where, and what to do;
// the CLI maps them to exit codes without printing stack traces.
import { printable } from './printable.js';

/** Where a problem is: the file, the field path inside it, and the YAML line when known. */
export interface Issue {
  file: string;
  /** Field path such as `steps[2].expect.rules[0].allow` or `spec.ingress[0].from[1]`. */
  path: string;
  line?: number;
  column?: number;
  message: string;
  severity?: 'error' | 'warning';
}

export function formatIssue(i: Issue): string {
  const where = i.line !== undefined ? `${i.file}:${i.line}${i.column !== undefined ? `:${i.column}` : ''}` : i.file;
  return printable(`${where}: ${i.path ? `${i.path}: ` : ''}${i.message}`);
}

/** Exit codes: 0 all matched, 1 mismatches found, 2 usage, input or infrastructure error. */
export const EXIT = { ok: 0, mismatch: 1, error: 2 } as const;

export class HarnessError extends Error {
  readonly exitCode: number = EXIT.error;
  /** A next step for the user, printed under the message. */
  readonly hint: string | undefined;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** The suite, a policy file or a flag is malformed. Nothing has touched a cluster. */
export class InputError extends HarnessError {
  readonly issues: Issue[];
  constructor(issues: Issue[], hint?: string) {
    super(issues.map(formatIssue).join('\n'), hint !== undefined ? { hint } : undefined);
    this.issues = issues;
  }
}

/** A command-line flag or argument is wrong. */
export class UsageError extends HarnessError {}

/** The cluster, the container engine or a tool it needs failed. */
export class InfraError extends HarnessError {}

/** An external command (docker, kind) did not finish by its deadline and was killed. */
export class CommandTimeoutError extends InfraError {
  readonly command: string;
  readonly timeoutMs: number;
  constructor(message: string, opts: { command: string; timeoutMs: number; hint?: string }) {
    super(message, opts.hint !== undefined ? { hint: opts.hint } : undefined);
    this.command = opts.command;
    this.timeoutMs = opts.timeoutMs;
  }
}

/** The CNI does not enforce NetworkPolicy (the enforcement canary failed). */
export class EnforcementError extends InfraError {}
