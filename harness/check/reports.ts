// Report files for a check, through the same writers as `run`: one suite writes into the directory
// itself; several write one sub-directory each, named after the suite (results.json, junit.xml,
// summary.md, report.html), and each summary is appended to $GITHUB_STEP_SUMMARY. Invalid suites
// have no result to report: the step summary lists them with their problems instead.
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { formatIssue, InfraError } from '../errors.js';
import { writeReports } from '../report/files.js';
import type { CheckReport } from './check.js';

/** Markdown for $GITHUB_STEP_SUMMARY: the suites and arguments that could not be checked. */
export function invalidMarkdown(r: CheckReport): string | undefined {
  const lines: string[] = [];
  for (const p of r.problems) lines.push(`- \`${formatIssue(p)}\``);
  for (const s of r.suites) {
    if (s.valid) continue;
    lines.push(`- **${s.file}** is invalid:`, ...s.issues.map((i) => `  - \`${formatIssue(i)}\``));
  }
  return lines.length > 0 ? ['## ❌ netpol-harness check: invalid input', '', ...lines, ''].join('\n') : undefined;
}

export async function writeCheckReports(r: CheckReport, dir: string, env: Record<string, string | undefined>): Promise<string[]> {
  const valid = r.suites.flatMap((s) => (s.valid ? [s] : []));
  const used = new Set<string>();
  const files: string[] = [];
  for (const s of valid) {
    let sub = s.run.suite;
    for (let i = 2; used.has(sub); i++) sub = `${s.run.suite}-${i}`;
    used.add(sub);
    const out = r.suites.length === 1 ? dir : path.join(dir, sub);
    files.push(...(await writeReports(s.run, out, { env })).files);
  }
  const invalid = invalidMarkdown(r);
  if (invalid !== undefined && env.GITHUB_STEP_SUMMARY) {
    try {
      await appendFile(env.GITHUB_STEP_SUMMARY, `${invalid}\n`, 'utf8');
    } catch (e) {
      throw new InfraError(`cannot append to GITHUB_STEP_SUMMARY (${env.GITHUB_STEP_SUMMARY}): ${(e as Error).message}`, { cause: e });
    }
    if (!files.includes(env.GITHUB_STEP_SUMMARY)) files.push(env.GITHUB_STEP_SUMMARY);
  }
  return files;
}
