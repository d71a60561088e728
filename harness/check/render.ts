// `check` as text: per suite, every disagreement with the engine's explanation, then the lint
// findings; a closing line over all suites. Invalid suites list their problems as `validate` does.
import { formatIssue } from '../errors.js';
import { lintSummaryLine, renderFinding, shownFindings, type LintRenderOptions } from '../policy/lint/render.js';
import { strictLintFailures, type CheckReport, type Disagreement, type SuiteCheck } from './check.js';
import { printable } from '../printable.js';

const n = (count: number, word: string, many = `${word}s`): string => `${count} ${count === 1 ? word : many}`;

export function renderDisagreement(d: Disagreement, steps: number): string[] {
  const origin = `${d.at !== undefined ? `${d.at} ` : ''}${d.origin}${d.rule !== undefined ? ` ${d.rule}` : ''}${d.reason !== undefined ? `, reason "${printable(d.reason)}"` : ''}`;
  return [
    `  step ${d.stepNumber}/${steps} ${d.step}: ${d.src} -> ${d.col}: expected ${d.expected} (${origin}), the policies say ${d.simulated}` +
      `${d.uncertain !== undefined ? ' (uncertain: depends on pod IPs, see the note below)' : ''}`,
    `    ${d.explanation.summary}`,
    ...d.explanation.details.map((x) => `      ${x}`),
  ];
}

/** Why a valid suite failed: `2 disagreements`, `--strict: lint 1 error, 2 warnings`. */
export function failureReasons(s: Extract<SuiteCheck, { valid: true }>): string[] {
  const c = s.lint.counts;
  return [
    ...(s.disagreements.length > 0 ? [n(s.disagreements.length, 'disagreement')] : []),
    ...(s.failed && strictLintFailures(s.lint) > 0 ? [`--strict: lint ${n(c.error, 'error')}, ${n(c.warning, 'warning')}`] : []),
  ];
}

export function renderSuiteCheck(s: SuiteCheck, opts: LintRenderOptions = {}): string {
  if (!s.valid) return [`${s.file}: INVALID (${n(s.issues.length, 'problem')})`, ...s.issues.map((i) => `  ${formatIssue(i)}`)].join('\n');
  const steps = s.loaded.suite.steps.length;
  const lines = [
    `${s.file}: ${s.nothingTested !== undefined ? `NOTHING WAS TESTED (${s.nothingTested})` : s.failed ? `FAILED (${failureReasons(s).join('; ')})` : 'passed'}: ${s.run.suite}, ${n(steps, 'step')}, ${n(s.summary.cells, 'cell')} (${s.handWritten} hand-written) ` +
      `against CNI profile ${s.profile}: ${n(s.disagreements.length, 'disagreement')}`,
  ];
  for (const w of s.issues) lines.push(`  ${formatIssue({ ...w, path: w.path ? `warning: ${w.path}` : 'warning' })}`);
  for (const d of s.disagreements) lines.push(...renderDisagreement(d, steps));
  for (const f of shownFindings(s.lint, opts)) lines.push(...renderFinding(f).map((l) => `  ${l}`));
  lines.push(`  ${lintSummaryLine(s.lint, opts)}`);
  return lines.join('\n');
}

/** `check: 3 suites: 1 passed, 1 failed (2 disagreements), 1 invalid` */
export function checkSummaryLine(r: CheckReport): string {
  const valid = r.suites.filter((s): s is Extract<SuiteCheck, { valid: true }> => s.valid);
  const failed = valid.filter((s) => s.failed);
  const disagreements = valid.reduce((a, s) => a + s.disagreements.length, 0);
  const invalid = r.suites.length - valid.length + r.problems.length;
  return (
    `check: ${n(r.suites.length, 'suite')}: ${valid.length - failed.length} passed, ${failed.length} failed` +
    `${disagreements > 0 ? ` (${n(disagreements, 'disagreement')})` : ''}, ${invalid} invalid`
  );
}

export function renderCheck(r: CheckReport, opts: LintRenderOptions = {}): string {
  const blocks = [...r.problems.map((p) => formatIssue(p)), ...r.suites.map((s) => renderSuiteCheck(s, opts))];
  return [...blocks, checkSummaryLine(r)].join('\n\n');
}
