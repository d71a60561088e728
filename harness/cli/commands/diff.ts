// `netpol-harness diff <old.json> <new.json>`: cells whose observed outcome changed between two
// runs. Exit 1 when anything changed, 0 when nothing did, 2 when an artifact is unreadable.
import { Option, type Command } from 'commander';
import { diffArtifacts, hasChanges } from '../../diff/nightly.js';
import { EXIT } from '../../errors.js';
import { readArtifact } from '../../report/artifact-schema.js';
import { renderDiffJson, renderDiffText } from '../../report/nightly.js';

export interface DiffCommandOptions {
  output: 'text' | 'json';
  color: boolean;
}

/** The command without the process: returns what to print and the exit code (tests call this). */
export async function runDiff(oldFile: string, newFile: string, opts: DiffCommandOptions): Promise<{ exitCode: number; stdout: string }> {
  // Both artifacts are validated before any diffing; the first broken one is reported (exit 2).
  const before = { file: oldFile, run: await readArtifact(oldFile) };
  const after = { file: newFile, run: await readArtifact(newFile) };
  const diff = diffArtifacts(before.run, after.run);
  const stdout = opts.output === 'json' ? renderDiffJson(diff, before, after) : renderDiffText(diff, before, after, { color: opts.color });
  return { exitCode: hasChanges(diff) ? EXIT.mismatch : EXIT.ok, stdout };
}

export function register(program: Command): void {
  program
    .command('diff')
    .argument('<old>', 'results.json of the earlier run')
    .argument('<new>', 'results.json of the later run')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (oldFile: string, newFile: string, o: { output: 'text' | 'json' }) => {
      const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
      const { exitCode, stdout } = await runDiff(oldFile, newFile, { output: o.output, color });
      process.stdout.write(stdout);
      process.exitCode = exitCode;
    });
}
