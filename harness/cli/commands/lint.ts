// `netpol-harness lint <suite|dir|file> [--output text|json]`: mistakes and least-privilege smells
// in NetworkPolicies (rule ids NPH001..., docs/engine.md). Exit 1 when any finding is an error,
// 0 otherwise, 2 when the input cannot be read.
import { Option, type Command } from 'commander';
import { EXIT, UsageError } from '../../errors.js';
import { lintPath } from '../../policy/lint/load.js';
import { RULES, type LintResult } from '../../policy/lint/index.js';
import { profileByName, PROFILES } from '../../policy/profiles.js';

export function renderLint(r: LintResult): string {
  const lines: string[] = [];
  for (const f of r.findings) {
    lines.push(`${f.file}${f.line !== undefined ? `:${f.line}` : ''}: ${f.severity} ${f.rule} ${RULES[f.rule].name}: ${f.path ? `${f.path}: ` : ''}${f.message}`);
    lines.push(`    fix: ${f.fix}`);
  }
  const c = r.counts;
  lines.push(`lint: ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ${c.info} info (${r.policies} ${r.policies === 1 ? 'policy' : 'policies'} in ${r.files.length} file${r.files.length === 1 ? '' : 's'})`);
  return lines.join('\n');
}

export async function runLint(target: string, opts: { output: 'text' | 'json'; cni?: string }): Promise<{ exitCode: number; stdout: string }> {
  const profile = opts.cni !== undefined ? profileByName(opts.cni) : undefined;
  if (opts.cni !== undefined && !profile) throw new UsageError(`unknown CNI profile "${opts.cni}"`);
  const r = await lintPath(target, profile ? { profile } : {});
  const stdout = opts.output === 'json' ? JSON.stringify({ findings: r.findings, counts: r.counts, policies: r.policies, files: r.files }, null, 2) : renderLint(r);
  return { exitCode: r.counts.error > 0 ? EXIT.mismatch : EXIT.ok, stdout: `${stdout}\n` };
}

export function register(program: Command): void {
  program
    .command('lint')
    .argument('<path>', 'a suite file, a directory (its suite.yaml, else every YAML file) or a policy file')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--cni <profile>', "CNI profile for suite checks (default: the suite's cluster.cni)").choices(Object.keys(PROFILES)))
    .action(async (target: string, opts: { output: 'text' | 'json'; cni?: string }) => {
      const { exitCode, stdout } = await runLint(target, opts);
      process.stdout.write(stdout);
      process.exitCode = exitCode;
    });
}
