// summary.md: the run at a glance for GitHub's job summary ($GITHUB_STEP_SUMMARY) and PR comments.
// One overview table, then per step a compact matrix (collapsed when the step passed) and the
// cells that need attention with their repro commands.
import type { RunResult, StepResult } from '../diff/result.js';
import { isFailing, judgedVerdict, summarize, summarizeRun, type StepSummary } from '../diff/three-way.js';
import { attentionItems } from './attention.js';
import { cniLabel, columnHeader, destinationLabels, enforcedText, formatDuration, kindsLabel, phasesText, plural, verdictLine, type RunAxes } from './format.js';
import { buildGrid, type GridCell } from './grid.js';
import { UNICODE as S, verdictSymbol } from './symbols.js';
import { printable } from '../printable.js';

/** Table cells must not break the row: escape pipes, flatten newlines. */
const cellText = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** Inline code that survives backticks inside the text. */
const code = (s: string): string => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);

const statusIcon = (s: StepSummary): string => (s.notTestable !== undefined ? '⏭️' : !s.passed ? '❌' : s.warnings > 0 ? '⚠️' : '✅');

/** One cell: the observed symbol (simulated when not probed); a wrong one is bold with what was expected. */
export function markdownCell(g: GridCell): string {
  if (!g.cell) return S.self;
  if (g.kinds.includes('error')) return `**${S.unknown}**`;
  // `~` is escaped: GitHub reads single tildes as strikethrough.
  const obs = verdictSymbol(S, judgedVerdict(g.cell)) + ((g.cell.observed?.attempts ?? 0) > 1 ? `\\${S.retried}` : '');
  if (isFailing(g.kinds)) return `**${obs}** (exp ${verdictSymbol(S, g.cell.expected)})`;
  if (g.kinds.length > 0) return `${obs} ⚠️`;
  return obs;
}

function stepTable(step: StepResult, axes: RunAxes): string[] {
  const grid = buildGrid(step, axes);
  const labels = destinationLabels(axes);
  const head = ['source', ...grid.cols.map((c) => columnHeader(c, labels).map(cellText).join('<br>'))];
  const lines = [`| ${head.join(' | ')} |`, `|${['---', ...grid.cols.map(() => ':-:')].join('|')}|`];
  grid.rows.forEach((r, i) => {
    lines.push(`| ${[code(r.id), ...(grid.cells[i] ?? []).map(markdownCell)].join(' | ')} |`);
  });
  return lines;
}

function stepSection(step: StepResult, axes: RunAxes): string[] {
  if (step.notTestable !== undefined) return [`### ⏭️ ${step.name}${step.description !== undefined ? ` — ${printable(step.description)}` : ''}`, '', `_${printable(step.notTestable)}_`, ''];
  const sum = summarize(step);
  const out = [`### ${statusIcon(sum)} ${step.name}${step.description !== undefined ? ` — ${printable(step.description)}` : ''}`, ''];
  const items = attentionItems(step, axes);
  const table = stepTable(step, axes);
  if (items.length === 0) {
    out.push(`<details><summary>matrix: all ${plural(sum.cells, 'cell')} as expected</summary>`, '', ...table, '', '</details>', '');
    return out;
  }
  out.push(...table, '');
  out.push(`**${plural(items.length, 'cell')} need${items.length === 1 ? 's' : ''} attention**`, '');
  for (const item of items) {
    const f = item.facts;
    out.push(`- ${item.failing ? '❌' : '⚠️'} **${kindsLabel(f.kinds)}${item.failing ? '' : ' (warning)'}** ${code(`${item.src} → ${item.colLabel}`)}: ${verdictLine(f)}`);
    if (f.why !== undefined) out.push(`  - why: ${f.why}`);
    if (f.probed) out.push(`  - repro: ${f.repro !== undefined ? code(f.repro) : '_no repro command recorded_'}`);
  }
  out.push('');
  return out;
}

export function renderMarkdown(run: RunResult): string {
  const sum = summarizeRun(run);
  const out: string[] = [];
  out.push(`## ${sum.passed ? (sum.warnings > 0 ? '⚠️' : '✅') : '❌'} netpol-harness${run.mode === 'check' ? ' check' : ''}: ${run.suite} ${sum.passed ? 'passed' : 'failed'}`, '');
  const facts: string[] = [];
  if (run.mode === 'check') facts.push('cluster-free check: expectations against the simulation', `CNI profile ${run.profile ?? 'calico'}`);
  if (run.cluster) {
    facts.push(`${run.cluster.provider}${run.cluster.name !== undefined ? `/${run.cluster.name}` : ''}`, `CNI ${cniLabel(run.cluster)}`);
    if (run.cluster.kubernetesVersion !== undefined) facts.push(`Kubernetes ${run.cluster.kubernetesVersion}`);
  }
  facts.push(`started ${run.startedAt}`);
  if (sum.durationMs !== undefined) facts.push(`took ${formatDuration(sum.durationMs)}`);
  out.push(facts.join(' · '), '');
  out.push(
    `**${sum.correct} correct, ${sum.wrong} wrong, ${sum.authoring} authoring, ${sum.enforcement} enforcement, ${sum.errors} errors** ` +
      `in ${plural(sum.cells, 'cell')} over ${plural(sum.steps.length, 'step')}${run.mode === 'check' ? ' (nothing probed)' : `; ${sum.attempts} probe attempts, ${sum.retried} cells retried`}.`,
    '',
  );
  out.push(
    '| | step | correct | wrong | authoring | enforcement | errors | attempts | retried | enforced after | duration |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const s of sum.steps) {
    const tte = enforcedText(s) ?? (s.passed || run.mode === 'check' ? '—' : 'never');
    const dur = s.durationMs !== undefined ? formatDuration(s.durationMs) : '—';
    out.push(
      `| ${statusIcon(s)} | ${cellText(s.name)} | ${s.correct} | ${s.wrong} | ${s.authoring} | ${s.enforcement} | ${s.errors} | ${s.attempts} | ${s.retried} | ${tte} | ${dur} |`,
    );
  }
  out.push('');
  const phases = phasesText(run);
  if (phases !== undefined) out.push(`Phases: ${phases}.`, '');
  for (const step of run.steps) out.push(...stepSection(step, run.axes));
  out.push(
    `<sub>${S.allow} allowed · ${S.deny} denied · \\${S.retried} needed retries · **bold** (exp …) wrong · ⚠️ authoring/enforcement warning · ` +
      `**${S.unknown}** no verdict · ${S.self} self/not probed. Mismatch kinds and exit codes: docs/reports.md.</sub>`,
    '',
  );
  return out.join('\n');
}
