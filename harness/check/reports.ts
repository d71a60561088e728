// Report files for a check, through the same writers as `run`: one suite writes into the directory
// itself; several write one sub-directory each, named after the suite (results.json, junit.xml,
// summary.md, report.html), and each summary is appended to $GITHUB_STEP_SUMMARY.
import path from 'node:path';
import { writeReports } from '../report/files.js';
import type { CheckReport } from './check.js';

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
  return files;
}
