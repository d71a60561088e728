// `netpol-harness diff <old.json> <new.json>`: cells whose observed outcome changed between two
// runs, or, given two conformance.json reports, what the CNI does differently (verdicts, deviating
// cells, deny style, profile; time to enforce as information). Exit 1 when anything changed, 0 when
// nothing did, 2 when an artifact is unreadable or the two are not the same kind.
import { Option, type Command } from 'commander';
import { readConformance } from '../../conformance/report-schema.js';
import { behaviourChanged, diffConformance } from '../../diff/conformance.js';
import { diffArtifacts, hasChanges } from '../../diff/nightly.js';
import { EXIT } from '../../errors.js';
import { commonKind } from '../../report/artifact-kind.js';
import { readArtifact } from '../../report/artifact-schema.js';
import { renderConformanceDiffJson, renderConformanceDiffText } from '../../report/conformance-diff.js';
import { renderDiffJson, renderDiffText } from '../../report/nightly.js';

export interface DiffCommandOptions {
  output: 'text' | 'json';
  color: boolean;
}

/** The command without the process: returns what to print and the exit code (tests call this). */
export async function runDiff(oldFile: string, newFile: string, opts: DiffCommandOptions): Promise<{ exitCode: number; stdout: string }> {
  if ((await commonKind(oldFile, newFile)) === 'conformance') return runConformanceDiff(oldFile, newFile, opts);
  // Both artifacts are validated before any diffing; the first broken one is reported (exit 2).
  const before = { file: oldFile, run: await readArtifact(oldFile) };
  const after = { file: newFile, run: await readArtifact(newFile) };
  const diff = diffArtifacts(before.run, after.run);
  const stdout = opts.output === 'json' ? renderDiffJson(diff, before, after) : renderDiffText(diff, before, after, { color: opts.color });
  return { exitCode: hasChanges(diff) ? EXIT.mismatch : EXIT.ok, stdout };
}

async function runConformanceDiff(oldFile: string, newFile: string, opts: DiffCommandOptions): Promise<{ exitCode: number; stdout: string }> {
  const before = { file: oldFile, report: await readConformance(oldFile) };
  const after = { file: newFile, report: await readConformance(newFile) };
  const diff = diffConformance(before.report, after.report);
  const stdout = opts.output === 'json' ? renderConformanceDiffJson(diff, before, after) : renderConformanceDiffText(diff, before, after, { color: opts.color });
  return { exitCode: behaviourChanged(diff) ? EXIT.mismatch : EXIT.ok, stdout };
}

export function register(program: Command): void {
  program
    .command('diff')
    .argument('<old>', 'results.json (or conformance.json) of the earlier run')
    .argument('<new>', 'results.json (or conformance.json) of the later run')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (oldFile: string, newFile: string, o: { output: 'text' | 'json' }) => {
      const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
      const { exitCode, stdout } = await runDiff(oldFile, newFile, { output: o.output, color });
      process.stdout.write(stdout);
      process.exitCode = exitCode;
    });
}
