// Lint findings as text, shared by `lint` and `check`. Informational findings (severity info, e.g.
// NPH017 not-isolated) are shown only on request (`--verbose`); the summary line counts them.
import { LINT_DISABLE_ANNOTATION, RULES, type Finding, type LintResult } from './index.js';
import { printable } from '../../printable.js';

export interface LintRenderOptions {
  /** Show info findings too. */
  verbose?: boolean;
}

/** The findings a reader sees: errors and warnings, and info ones only when verbose. */
export const shownFindings = (r: LintResult, opts: LintRenderOptions = {}): Finding[] => (opts.verbose ? r.findings : r.findings.filter((f) => f.severity !== 'info'));

const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

export function renderFinding(f: Finding): string[] {
  return [printable(`${f.file}${f.line !== undefined ? `:${f.line}` : ''}: ${f.severity} ${f.rule} ${RULES[f.rule].name}: ${f.path ? `${f.path}: ` : ''}${f.message}`), `    fix: ${printable(f.fix)}`];
}

/** `lint: 1 error, 2 warnings, 3 info (4 policies in 2 files); 3 info hidden (--verbose shows them); 1 suppressed ...` */
export function lintSummaryLine(r: LintResult, opts: LintRenderOptions = {}): string {
  const c = r.counts;
  const hidden = opts.verbose ? 0 : c.info;
  const expected = r.findings.filter((f) => f.expectedBy !== undefined).length;
  return [
    `lint: ${n(c.error, 'error')}, ${n(c.warning, 'warning')}, ${c.info} info${expected > 0 ? ` (${expected} expected by the suite)` : ''} (${r.policies} ${r.policies === 1 ? 'policy' : 'policies'} in ${n(r.files.length, 'file')})`,
    ...(hidden > 0 ? [`${hidden} info hidden (--verbose shows them)`] : []),
    ...(r.suppressed > 0 ? [`${r.suppressed} suppressed (lint.disable or ${LINT_DISABLE_ANNOTATION})`] : []),
  ].join('; ');
}

export function renderLint(r: LintResult, opts: LintRenderOptions = {}): string {
  const notes = (r.skipped ?? []).map((s) => `note: skipped ${s.file}: ${s.reason}`);
  return [...notes, ...shownFindings(r, opts).flatMap(renderFinding), lintSummaryLine(r, opts)].join('\n');
}
