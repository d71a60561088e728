// `netpol-harness check <suite|dir>...`: the cluster-free tier for pull requests. Validates each
// suite, compares every hand-written expectation with the simulation and lints the policies.
// Exit 0 when every expectation agrees, 1 on any disagreement (or, with --strict, any lint error or
// warning), 2 when an argument or suite is invalid or a suite has no cell to judge offline ("nothing was
// tested"; the other suites are still checked).
// Imports only the pure core: no cluster code is loaded.
import { Option, type Command } from 'commander';
import { checkPaths, type CheckReport } from '../../check/check.js';
import { renderCheck } from '../../check/render.js';
import { writeCheckReports } from '../../check/reports.js';
import { UsageError } from '../../errors.js';
import { makeOutputDir } from '../../report/report-dir.js';
import { shownFindings } from '../../policy/lint/render.js';
import { profileByName, PROFILES } from '../../policy/profiles.js';

export interface CheckFlags {
  output: 'text' | 'json';
  cni?: string;
  strict?: boolean;
  verbose?: boolean;
  reportDir?: string;
}

function toJson(r: CheckReport, verbose: boolean): string {
  const suites = r.suites.map((s) =>
    s.valid
      ? {
          file: s.file,
          suite: s.run.suite,
          valid: true,
          passed: !s.failed,
          ...(s.nothingTested !== undefined ? { nothingTested: s.nothingTested } : {}),
          profile: s.profile,
          cells: s.summary.cells,
          handWritten: s.handWritten,
          disagreements: s.disagreements,
          warnings: s.issues,
          lint: { findings: shownFindings(s.lint, { verbose }), counts: s.lint.counts, hiddenInfo: verbose ? 0 : s.lint.counts.info, suppressed: s.lint.suppressed },
        }
      : { file: s.file, valid: false, issues: s.issues },
  );
  return JSON.stringify({ exitCode: r.exitCode, problems: r.problems, suites }, null, 2);
}

/** The command without the process: what to print and the exit code (tests call this). */
export async function runCheck(paths: string[], f: CheckFlags, env: Record<string, string | undefined> = process.env): Promise<{ exitCode: number; stdout: string }> {
  const profile = f.cni !== undefined ? profileByName(f.cni) : undefined;
  if (f.cni !== undefined && !profile) throw new UsageError(`unknown CNI profile "${f.cni}"`);
  if (f.reportDir) await makeOutputDir(f.reportDir);
  const r = await checkPaths(paths, { ...(profile ? { profile } : {}), strict: f.strict ?? false });
  const verbose = f.verbose ?? false;
  let stdout = f.output === 'json' ? toJson(r, verbose) : renderCheck(r, { verbose });
  if (f.reportDir) {
    const files = await writeCheckReports(r, f.reportDir, env);
    if (f.output === 'text' && files.length > 0) stdout += `\nreports: ${files.join(', ')}`;
  }
  return { exitCode: r.exitCode, stdout: `${stdout}\n` };
}

export function register(program: Command): void {
  program
    .command('check')
    .argument('<paths...>', 'suite files, directories holding suite.yaml, or directories of suites')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--cni <profile>', "CNI profile (default: each suite's cluster.profile or cluster.cni)").choices(Object.keys(PROFILES)))
    .option('--strict', 'lint errors and warnings fail the check too (exit 1)')
    .option('-v, --verbose', 'also show informational lint findings')
    .option('--report-dir <dir>', 'write results.json, junit.xml, summary.md and report.html (one sub-directory per suite when there are several)')
    .action(async (paths: string[], f: CheckFlags) => {
      const { exitCode, stdout } = await runCheck(paths, f);
      process.stdout.write(stdout);
      process.exitCode = exitCode;
    });
}
