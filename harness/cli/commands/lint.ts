// `netpol-harness lint <suite|dir|file> [--output text|json]`: mistakes and least-privilege smells
// in NetworkPolicies (rule ids NPH001..., docs/engine.md). Exit 1 when any finding is an error,
// 0 otherwise, 2 when the input cannot be read. Info findings show with --verbose; the suite and
// policy annotations silence findings where they are intended.
import { Option, type Command } from 'commander';
import { EXIT, UsageError } from '../../errors.js';
import { lintPath } from '../../policy/lint/load.js';
import { renderLint, shownFindings } from '../../policy/lint/render.js';
import { profileByName, PROFILES } from '../../policy/profiles.js';

export async function runLint(target: string, opts: { output: 'text' | 'json'; cni?: string; verbose?: boolean }): Promise<{ exitCode: number; stdout: string }> {
  const profile = opts.cni !== undefined ? profileByName(opts.cni) : undefined;
  if (opts.cni !== undefined && !profile) throw new UsageError(`unknown CNI profile "${opts.cni}"`);
  const r = await lintPath(target, profile ? { profile } : {});
  const view = { verbose: opts.verbose ?? false };
  const stdout =
    opts.output === 'json'
      ? JSON.stringify({ findings: shownFindings(r, view), counts: r.counts, hiddenInfo: view.verbose ? 0 : r.counts.info, suppressed: r.suppressed, policies: r.policies, files: r.files, skipped: r.skipped ?? [] }, null, 2)
      : renderLint(r, view);
  return { exitCode: r.counts.error > 0 ? EXIT.mismatch : EXIT.ok, stdout: `${stdout}\n` };
}

export function register(program: Command): void {
  program
    .command('lint')
    .argument('<path>', 'a suite file, a directory (its suite.yaml, else every YAML file) or a policy file')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--cni <profile>', "CNI profile for suite checks (default: the suite's cluster.profile or cluster.cni)").choices(Object.keys(PROFILES)))
    .option('-v, --verbose', 'also show informational findings (e.g. NPH017 not-isolated)')
    .action(async (target: string, opts: { output: 'text' | 'json'; cni?: string; verbose?: boolean }) => {
      const { exitCode, stdout } = await runLint(target, opts);
      process.stdout.write(stdout);
      process.exitCode = exitCode;
    });
}
