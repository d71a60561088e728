// Writes every report file for a run into one directory: results.json (the versioned artifact),
// junit.xml, summary.md (also appended to $GITHUB_STEP_SUMMARY) and report.html.
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from '../diff/result.js';
import { InfraError } from '../errors.js';
import { toArtifact } from './artifact-schema.js';
import { renderHtml } from './html.js';
import { renderJUnit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { makeOutputDir } from './report-dir.js';

export type ReportFormat = 'json' | 'junit' | 'markdown' | 'html';

export const REPORT_FILES: Record<ReportFormat, string> = {
  json: 'results.json',
  junit: 'junit.xml',
  markdown: 'summary.md',
  html: 'report.html',
};

export interface WriteReportsOptions {
  /** Which files to write (default: all). */
  formats?: ReportFormat[];
  /** Environment to read GITHUB_STEP_SUMMARY from; a parameter so tests need not touch process.env. */
  env?: Record<string, string | undefined>;
}

export function renderArtifactJson(run: RunResult): string {
  return JSON.stringify(toArtifact(run), null, 2) + '\n';
}

const RENDER: Record<ReportFormat, (run: RunResult) => string> = {
  json: renderArtifactJson,
  junit: renderJUnit,
  markdown: renderMarkdown,
  html: renderHtml,
};

/** Returns the paths written, the step summary file last when it was appended to. */
export async function writeReports(run: RunResult, dir: string, opts: WriteReportsOptions = {}): Promise<{ files: string[] }> {
  const formats = opts.formats ?? (Object.keys(REPORT_FILES) as ReportFormat[]);
  const env = opts.env ?? process.env;
  const files: string[] = [];
  await makeOutputDir(dir);
  try {
    for (const f of formats) {
      const file = path.join(dir, REPORT_FILES[f]);
      await writeFile(file, RENDER[f](run), 'utf8');
      files.push(file);
    }
    const summaryFile = env.GITHUB_STEP_SUMMARY;
    if (summaryFile) {
      // Appended, not written: other steps of the same job share the file.
      await appendFile(summaryFile, renderMarkdown(run) + '\n', 'utf8');
      files.push(summaryFile);
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new InfraError(`cannot write reports to ${dir}: ${err.message}`, {
      hint: 'check that --report-dir is writable',
      cause: e,
    });
  }
  return { files };
}
