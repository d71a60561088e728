// Terminal report: truth tables per step (expected, simulated, observed, comparison), the cells that
// need attention with explanation and repro command, and summary lines per step and per run.
import Table from 'cli-table3';
import pc from 'picocolors';
import type { Colors } from 'picocolors/types.js';
import type { RunResult, StepResult } from '../diff/result.js';
import { observedVerdict, summarize, summarizeRun, type RunSummary, type StepSummary } from '../diff/three-way.js';
import { attentionItems, type AttentionItem } from './attention.js';
import { cniLabel, columnHeader, columnLabel, destinationLabels, distrustedText, enforcedText, formatDuration, kindsLabel, phasesText, plural, stepPhasesText, verdictLine, wrapLabel, type RunAxes } from './format.js';
import { buildGrid, type Grid, type GridCell } from './grid.js';
import { groupLabel, groupMatrix, ungrouped } from './grouping.js';
import { hasInfrastructureNews, infrastructureLines } from './infrastructure.js';
import { printable } from '../printable.js';
import { comparisonSymbol, legend, symbolsFor, tableKey, verdictSymbol, type SymbolSet } from './symbols.js';

export interface TerminalOptions {
  /** ANSI colours; only when writing to a TTY. */
  color: boolean;
  /** ASCII symbols and borders (`--ascii`, or a non-UTF-8 terminal). */
  ascii: boolean;
  /** `wrong`: no tables, only the cells that need attention. */
  focus?: 'all' | 'wrong';
  /** Group identical rows and columns; `auto` does so above 12 rows or columns. */
  group?: boolean | 'auto';
  /** `auto` prints one table when observed = expected everywhere; `all` always prints every table. */
  tables?: 'auto' | 'all';
  /** Print the symbol legend after the run (default true). */
  legend?: boolean;
}

/** TTY and locale detection for the runner: colour only on a TTY without NO_COLOR, ASCII unless UTF-8. */
export function detectTerminal(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Pick<TerminalOptions, 'color' | 'ascii'> {
  const color = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  // CI log viewers render UTF-8 even when the runner sets no locale.
  const utf8 = locale ? /utf-?8/i.test(locale) : env.CI !== undefined || process.platform === 'win32';
  return { color, ascii: !utf8 || env.TERM === 'linux' };
}

const GROUP_THRESHOLD = 12;
const HEADER_WIDTH = 14;

type TableKind = 'expected' | 'simulated' | 'observed' | 'comparison';

interface Ctx {
  s: SymbolSet;
  c: Colors;
  opts: TerminalOptions;
}

function ctxOf(opts: TerminalOptions): Ctx {
  return { s: symbolsFor(opts.ascii), c: pc.createColors(opts.color), opts };
}

/** The text of a cell in each table; the joined parts are its grouping signature. */
function cellParts(g: GridCell, s: SymbolSet, markRetries: boolean): Record<TableKind, string> {
  if (!g.cell) return { expected: s.self, simulated: s.self, observed: s.self, comparison: s.self };
  const retried = markRetries && (g.cell.observed?.attempts ?? 0) > 1 ? s.retried : '';
  return {
    expected: verdictSymbol(s, g.cell.expected),
    simulated: g.cell.simulated === undefined ? s.unknown : verdictSymbol(s, g.cell.simulated),
    observed: verdictSymbol(s, observedVerdict(g.cell)) + retried,
    comparison: comparisonSymbol(s, g.kinds),
  };
}

const KINDS: TableKind[] = ['expected', 'simulated', 'observed', 'comparison'];
const SEP = '\u0000';

function paint(ctx: Ctx, table: TableKind, text: string, kindsKey: string): string {
  const { c, s } = ctx;
  if (!ctx.opts.color) return text;
  if (text === s.self) return c.dim(text);
  const failing = kindsKey.includes('failure');
  const error = kindsKey.includes('error');
  if (table === 'comparison') {
    if (error) return c.magenta(c.bold(text));
    if (failing) return c.inverse(c.red(c.bold(text)));
    if (kindsKey !== '') return c.yellow(text);
    return c.dim(text);
  }
  if (table === 'observed' && failing) return c.inverse(c.red(c.bold(text)));
  if (table === 'observed' && error) return c.magenta(c.bold(text));
  if (text.startsWith(s.allow)) return c.green(text);
  if (text.startsWith(s.deny)) return c.gray(text);
  return c.magenta(text);
}

function tableChars(ascii: boolean): Partial<Record<Table.CharName, string>> | undefined {
  if (!ascii) return undefined;
  return {
    top: '-', 'top-mid': '+', 'top-left': '+', 'top-right': '+',
    bottom: '-', 'bottom-mid': '+', 'bottom-left': '+', 'bottom-right': '+',
    left: '|', 'left-mid': '+', mid: '-', 'mid-mid': '+', right: '|', 'right-mid': '+', middle: '|',
  };
}

/**
 * Which tables a step gets. Verdict tables that agree everywhere are printed once under a joint
 * title (`simulated = observed`), so a step with one wrong cell costs three tables, not four.
 */
function tablesFor(grid: Grid, opts: TerminalOptions): { titles: string[]; kinds: TableKind[] } {
  const cells = grid.cells.flat().flatMap((g) => (g.cell ? [g.cell] : []));
  const hasSim = cells.some((c) => c.simulated !== undefined);
  const verdicts: Record<'expected' | 'simulated' | 'observed', string> = {
    expected: cells.map((c) => c.expected).join(),
    simulated: cells.map((c) => c.simulated ?? '?').join(),
    observed: cells.map((c) => observedVerdict(c) ?? '?').join(),
  };
  const candidates: ('expected' | 'simulated' | 'observed')[] = hasSim ? ['expected', 'simulated', 'observed'] : ['expected', 'observed'];
  if ((opts.tables ?? 'auto') === 'all') return { titles: [...candidates, 'comparison'], kinds: [...candidates, 'comparison'] };
  // Merge equal tables; the merged one shows the last member so observed keeps its retry marks.
  const merged: { names: string[]; kind: TableKind }[] = [];
  for (const k of candidates) {
    const same = merged.find((m) => verdicts[m.kind as keyof typeof verdicts] === verdicts[k]);
    if (same) {
      same.names.push(k);
      same.kind = k;
    } else merged.push({ names: [k], kind: k });
  }
  const allCorrect = grid.cells.every((row) => row.every((g) => g.kinds.length === 0));
  const titles = merged.map((m) => m.names.join(' = '));
  const kinds = merged.map((m) => m.kind);
  if (!allCorrect) {
    titles.push('comparison');
    kinds.push('comparison');
  }
  return { titles, kinds };
}

function renderTables(step: StepResult, axes: RunAxes, ctx: Ctx): string[] {
  const grid = buildGrid(step, axes);
  const mode = ctx.opts.group ?? 'auto';
  const doGroup = mode === true || (mode === 'auto' && (grid.rows.length > GROUP_THRESHOLD || grid.cols.length > GROUP_THRESHOLD));
  // Retry marks would split otherwise identical rows, so grouped tables leave them out.
  const parts = grid.cells.map((row) => row.map((g) => cellParts(g, ctx.s, !doGroup)));
  const kindsOf = grid.cells.map((row) => row.map((g) => g.kinds.join(',')));
  const sig = parts.map((row, i) => row.map((p, j) => [...KINDS.map((k) => p[k]), kindsOf[i]?.[j] ?? ''].join(SEP)));
  const wildcard = [...KINDS.map(() => ctx.s.self), ''].join(SEP);
  const groups = doGroup ? groupMatrix(sig, wildcard) : ungrouped(sig);

  const dstLabels = destinationLabels(axes);
  const head = [
    '',
    ...groups.cols.map((members) => {
      if (members.length === 1) {
        const col = grid.cols[members[0] ?? 0];
        return col ? columnHeader(col, dstLabels).flatMap((l) => wrapLabel(l, HEADER_WIDTH)).join('\n') : '';
      }
      const labels = members.map((j) => {
        const col = grid.cols[j];
        return col ? columnLabel(col, dstLabels) : '';
      });
      const shown = labels.slice(0, 3);
      return [...shown, labels.length > 3 ? `+${labels.length - 3} more (${labels.length} cols)` : `(${labels.length} cols)`].join('\n');
    }),
  ];
  const rowLabels = groups.rows.map((members) => groupLabel(members.map((i) => grid.rows[i]?.id ?? ''), 'rows'));
  const { titles, kinds } = tablesFor(grid, ctx.opts);
  const out: string[] = [];
  kinds.forEach((kind, t) => {
    const table = new Table({
      head,
      style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
      colAligns: ['left', ...groups.cols.map(() => 'center' as const)],
      ...(tableChars(ctx.opts.ascii) ? { chars: tableChars(ctx.opts.ascii) } : {}),
    });
    groups.cells.forEach((row, i) => {
      table.push([
        rowLabels[i] ?? '',
        ...row.map((cellSig) => {
          const fields = cellSig.split(SEP);
          const text = fields[KINDS.indexOf(kind)] ?? '';
          return paint(ctx, kind, text, fields[KINDS.length] ?? '');
        }),
      ]);
    });
    const key = tableKey(ctx.s, kind === 'comparison' ? 'comparison' : 'verdicts', ctx.opts.ascii);
    out.push(`${ctx.c.bold(titles[t] ?? kind)}${key ? `  ${ctx.c.dim(key)}` : ''}`, table.toString());
  });
  if (doGroup) {
    const note = `grouped: ${grid.rows.length} rows -> ${groups.rows.length}, ${grid.cols.length} columns -> ${groups.cols.length}; identical rows and columns merged, self cells and retry marks hidden`;
    out.push(ctx.c.dim(note));
  }
  return out;
}

function renderItem(item: AttentionItem, ctx: Ctx, withStep: boolean): string[] {
  const { s, c } = ctx;
  const f = item.facts;
  const mark = f.kinds.includes('failure') ? s.wrong : f.kinds.includes('error') ? s.unknown : s.warning;
  const markPainted = item.failing ? c.red(c.bold(mark)) : c.yellow(mark);
  const where = `${withStep ? `${item.step}: ` : ''}${item.src} ${s.arrow} ${item.colLabel}`;
  const lines = [`  ${markPainted} ${c.bold(where)}  ${item.failing ? c.red(kindsLabel(f.kinds)) : c.yellow(`${kindsLabel(f.kinds)} (warning)`)}`];
  lines.push(`      ${verdictLine(f, ctx.opts.ascii ? ' | ' : ' · ')}`);
  if (f.why !== undefined) lines.push(`      why: ${f.why}`);
  lines.push(`      repro: ${f.repro !== undefined ? c.cyan(f.repro) : c.dim('(no repro command recorded)')}`);
  return lines;
}

const PATH_WORDS = { service: 'through the Service ClusterIP', dns: 'through the Service DNS name', pod: 'at the pod IP', external: 'at the external container', nodeport: 'through a NodePort on a node' } as const;

/** `paths: 12 through the Service ClusterIP, 2 at the pod IP (2: no Service selects its pods)`: which way the cells went. */
export function pathLine(step: StepResult): string | undefined {
  const counts = new Map<string, number>();
  const notes = new Map<string, number>();
  for (const cell of step.cells) {
    const p = cell.observed?.path;
    if (!p) continue;
    counts.set(p.via, (counts.get(p.via) ?? 0) + 1);
    if (p.note) notes.set(p.note, (notes.get(p.note) ?? 0) + 1);
  }
  if (counts.size === 0) return undefined;
  const parts = [...counts].map(([via, n]) => `${n} ${PATH_WORDS[via as keyof typeof PATH_WORDS] ?? via}`);
  const why = [...notes].map(([note, n]) => `${n}: ${note}`);
  return `paths: ${parts.join(', ')}${why.length ? ` (${why.join('; ')})` : ''}`;
}

/** The counts every summary line starts with, in one fixed order. */
function countParts(sum: StepSummary | RunSummary): string[] {
  return [
    `correct ${sum.correct}`,
    `wrong ${sum.wrong}`,
    `authoring ${sum.authoring}`,
    `enforcement ${sum.enforcement}`,
    `errors ${sum.errors}`,
    `attempts ${sum.attempts}`,
    `retried ${sum.retried}`,
  ];
}

/** `step default-deny: correct 41, wrong 0, authoring 0, enforcement 0, errors 0, attempts 52, retried 3, enforced after 1.8 s` */
export function stepSummaryLine(sum: StepSummary): string {
  const parts = countParts(sum);
  const enforced = enforcedText(sum);
  if (sum.nothingTested !== undefined) parts.push(`nothing was tested: ${sum.nothingTested}`);
  else if (enforced !== undefined) parts.push(`enforced after ${enforced}`);
  else if (!sum.passed) parts.push('never matched');
  return `step ${sum.name}: ${parts.join(', ')}`;
}

/**
 * Where the run's time went: its phases, then each step's apply/probe/confirm split (the CLI prints
 * these above the summary line; a nightly that got slower shows where).
 */
export function runTimingLines(run: RunResult): string[] {
  const phases = phasesText(run, ', ');
  const steps = run.steps.flatMap((s) => {
    const split = stepPhasesText(s);
    return split ? [`${s.name} ${split}${distrustedText(s.infrastructure?.distrustedMs)}`] : [];
  });
  return [...(phases ? [`phases: ${phases}`] : []), ...(steps.length ? [`steps: ${steps.join('; ')}`] : [])];
}

export function runSummaryLine(sum: RunSummary): string {
  const skipped = sum.notTestableSteps?.length ?? 0;
  const failed = sum.steps.length - sum.failedSteps.length - skipped;
  const stepsPart =
    `${plural(sum.steps.length, 'step')}, ${failed} passed, ${sum.failedSteps.length} failed` +
    (sum.failedSteps.length > 0 ? ` (${sum.failedSteps.join(', ')})` : '') +
    (skipped > 0 ? `, ${skipped} not testable on this CNI` : '');
  const parts = countParts(sum);
  if (sum.slowestEnforcement) parts.push(`slowest enforcement ${formatDuration(sum.slowestEnforcement.ms)} (${sum.slowestEnforcement.step})`);
  if (sum.durationMs !== undefined) parts.push(`took ${formatDuration(sum.durationMs)}`);
  if (sum.nothingTested !== undefined) return `run ${sum.suite}: NOTHING WAS TESTED (${sum.nothingTested}), ${stepsPart}; ${parts.join(', ')}`;
  return `run ${sum.suite}: ${sum.passed ? 'PASSED' : 'FAILED'}, ${stepsPart}; ${parts.join(', ')}`;
}

export interface StepRenderOptions extends TerminalOptions {
  /** 1-based position and step count, for the header. */
  position?: { index: number; total: number };
}

export function renderStep(step: StepResult, axes: RunAxes, opts: StepRenderOptions): string {
  const ctx = ctxOf(opts);
  const { c } = ctx;
  if (step.notTestable !== undefined) {
    const pos = opts.position ? ` ${opts.position.index}/${opts.position.total}` : '';
    return `${c.yellow('[SKIP]')} ${c.bold(`step${pos} ${step.name}`)}${step.description !== undefined ? `: ${printable(step.description)}` : ''}
${c.yellow(step.notTestable)}
`;
  }
  const sum = summarize(step);
  const status = sum.passed ? (sum.warnings > 0 ? c.yellow('[WARN]') : c.green('[PASS]')) : c.red(c.bold('[FAIL]'));
  const pos = opts.position ? ` ${opts.position.index}/${opts.position.total}` : '';
  const lines = [`${status} ${c.bold(`step${pos} ${step.name}`)}${step.description !== undefined ? `: ${printable(step.description)}` : ''}`];
  const items = attentionItems(step, axes);
  const line = stepSummaryLine(sum);
  const painted = sum.passed ? (sum.warnings > 0 ? c.yellow(line) : c.green(line)) : c.red(line);
  // In focus mode a clean step is one line: the reader asked for what is wrong.
  if (opts.focus === 'wrong' && items.length === 0) return painted + '\n';
  if ((opts.focus ?? 'all') === 'all') lines.push(...renderTables(step, axes, ctx));
  if (items.length > 0) {
    const failing = items.filter((i) => i.failing).length;
    lines.push(c.bold(`${plural(items.length, 'cell')} need${items.length === 1 ? 's' : ''} attention (${failing} failing, ${items.length - failing} warning):`));
    for (const item of items) lines.push(...renderItem(item, ctx, false));
  }
  if (hasInfrastructureNews(step.infrastructure)) lines.push(...infrastructureLines(step.infrastructure).map((l) => c.yellow(l)));
  const paths = pathLine(step);
  if (paths) lines.push(c.dim(paths));
  lines.push(painted);
  return lines.join('\n') + '\n';
}

export function renderRun(run: RunResult, opts: TerminalOptions): string {
  const ctx = ctxOf(opts);
  const { c } = ctx;
  const sum = summarizeRun(run);
  const out: string[] = [];
  const cl = run.cluster;
  const header = [`suite ${run.suite}`, `started ${run.startedAt}`];
  if (cl) header.push(`cluster ${cl.provider}${cl.name !== undefined ? `/${cl.name}` : ''}, CNI ${cniLabel(cl)}${cl.kubernetesVersion !== undefined ? `, Kubernetes ${cl.kubernetesVersion}` : ''}`);
  out.push(c.bold(header.join(' | ')), '');
  run.steps.forEach((step, i) => {
    out.push(renderStep(step, run.axes, { ...opts, position: { index: i + 1, total: run.steps.length } }));
  });
  if ((opts.legend ?? true) && (opts.focus ?? 'all') === 'all') out.push(...legend(ctx.s).map((l) => c.dim(`legend ${l}`)), '');
  out.push(...runTimingLines(run));
  const line = runSummaryLine(sum);
  out.push(sum.passed ? c.green(c.bold(line)) : c.red(c.bold(line)));
  return out.join('\n') + '\n';
}
