// Runs the CLI in-process and captures what it writes (shared by the CLI tests).
import { main } from '../../../harness/cli/main.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  const savedExit = process.exitCode;
  process.exitCode = undefined;
  const capture =
    (into: string[]) =>
    (s: string | Uint8Array): boolean => {
      into.push(typeof s === 'string' ? s : Buffer.from(s).toString('utf8'));
      return true;
    };
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    const code = await main(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
    process.exitCode = savedExit;
  }
}
