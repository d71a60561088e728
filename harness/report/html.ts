// report.html: one self-contained page (inline CSS and JS, no fetches) with a run header, a step
// timeline (duration and time-to-enforce), and per step a coloured grid whose cells show their
// expected/simulated/observed verdicts, explanation and repro command on hover or click.
import type { CellResult, RunResult, StepResult } from '../diff/result.js';
import { isFailing, judgedVerdict, observedVerdict, summarize, summarizeRun, type StepSummary } from '../diff/three-way.js';
import { attentionItems } from './attention.js';
import {
  cniLabel,
  columnHeader,
  columnLabel,
  destinationLabels,
  formatDuration,
  kindsLabel,
  plural,
  verdictLine,
  enforcedText,
  stepPhasesText,
  type AxisColumn,
  type RunAxes,
} from './format.js';
import { buildGrid, type GridCell } from './grid.js';
import { printable } from '../printable.js';
import { CSS, JS } from './html-assets.js';
import { execFailuresLine, hasInfrastructureNews } from './infrastructure.js';
import { UNICODE as S, verdictSymbol } from './symbols.js';

const esc = (s: string): string =>
  printable(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** Lets long DNS names and ids break after dots and slashes. */
const breakable = (s: string): string => esc(s).replace(/([./])/g, '$1<wbr>');

/** JSON inside <script> must not contain `</script`; escaping every `<` is enough. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

type Status = 'passed' | 'failed' | 'warned';
const statusOf = (s: { passed: boolean; warnings: number }): Status => (!s.passed ? 'failed' : s.warnings > 0 ? 'warned' : 'passed');
const badge = (st: Status): string =>
  `<span class="badge ${st === 'failed' ? 'fail' : st === 'warned' ? 'warn' : 'pass'}">${st === 'failed' ? 'FAIL' : st === 'warned' ? 'WARN' : 'PASS'}</span>`;

/** What the page script shows for a cell; formatted here so there is one formatter. */
interface CellData {
  src: string;
  col: string;
  kinds: string[];
  exp: string;
  origin?: string;
  sim?: string;
  obs: string;
  cls?: string;
  att: number | null;
  lat?: string;
  detail?: string;
  why?: string;
  whyD?: string[];
  repro?: string;
}

function cellData(cell: CellResult, colLabel: string, kinds: string[]): CellData {
  const o = cell.observed;
  return {
    src: cell.src,
    col: colLabel,
    kinds,
    exp: cell.expected,
    ...(cell.expectedOrigin !== undefined ? { origin: cell.expectedOrigin } : {}),
    ...(cell.simulated !== undefined ? { sim: cell.simulated } : {}),
    obs: o ? (observedVerdict(cell) ?? 'no verdict') : 'not probed',
    ...(o ? { cls: o.class } : {}),
    att: o ? o.attempts : null,
    ...(o?.latencyMs !== undefined ? { lat: formatDuration(o.latencyMs) } : {}),
    ...(o?.detail !== undefined ? { detail: o.detail } : {}),
    ...(cell.explanation ? { why: cell.explanation.summary, whyD: cell.explanation.details } : {}),
    ...(o?.repro !== undefined ? { repro: o.repro } : {}),
  };
}

/** Class and visible content of a grid cell. */
function cellView(g: GridCell): { cls: string; html: string } {
  const cell = g.cell;
  if (!cell) return { cls: 'self', html: '' };
  const attempts = cell.observed?.attempts ?? 0;
  const retry = attempts > 1 ? `<i class="r">${attempts}×</i>` : '';
  const obs = verdictSymbol(S, judgedVerdict(cell));
  if (g.kinds.includes('error')) return { cls: 'c err', html: `${S.unknown}${retry}` };
  if (isFailing(g.kinds)) return { cls: 'c fail', html: `${obs} <small>exp ${verdictSymbol(S, cell.expected)}</small>${retry}` };
  const v = judgedVerdict(cell) === 'allow' ? 'allow' : 'deny';
  if (g.kinds.length > 0) return { cls: `c warn ${v}`, html: `${obs}<small>!</small>${retry}` };
  return { cls: `c ok ${v}`, html: `${obs}${retry}` };
}

/** Two header rows: destinations spanning their ports, then port/protocol or the DNS name. */
function gridHead(cols: AxisColumn[], axes: RunAxes): string {
  const labels = destinationLabels(axes);
  const groups: { label: string; title: string; span: number }[] = [];
  for (const col of cols) {
    const [top] = columnHeader(col, labels);
    const title = col.kind === 'dns' ? 'DNS resolution' : (col.dst ?? top);
    const last = groups[groups.length - 1];
    if (last && last.label === top) last.span++;
    else groups.push({ label: top, title, span: 1 });
  }
  const dst = groups.map((g) => `<th colspan="${g.span}" title="${esc(g.title)}">${esc(g.label === 'dns' ? 'DNS' : g.label)}</th>`).join('');
  const port = cols
    .map((c) => {
      const [, bottom] = columnHeader(c, labels);
      const title = c.kind === 'conn' && c.portName !== undefined ? `${c.key} (${c.portName})` : c.key;
      return `<th title="${esc(title)}">${breakable(bottom)}</th>`;
    })
    .join('');
  return `<thead><tr class="dst"><th></th>${dst}</tr><tr class="port"><th></th>${port}</tr></thead>`;
}

function sourceLabel(id: string, kind: string): string {
  const slash = id.lastIndexOf('/');
  const ns = slash >= 0 ? `<span class="ns">${esc(id.slice(0, slash + 1))}</span>` : '';
  return `${ns}${esc(id.slice(slash + 1))}${kind === 'probe' ? '<span class="kind">probe</span>' : ''}`;
}

/** `open`: whether the step starts expanded (see renderHtml). */
function stepSection(step: StepResult, index: number, run: RunResult, data: CellData[][], open: boolean): string {
  if (step.notTestable !== undefined) {
    data.push([]);
    return `<details class="step skipped" id="step-${index + 1}" data-step="${esc(step.name)}" open>
<summary class="head"><span class="badge skip" style="background:#777">NOT TESTABLE</span><h2>${index + 1}/${run.steps.length} ${esc(step.name)}</h2><span class="desc">${esc(step.description ?? '')}</span></summary>
<div class="body"><p class="not-testable" style="margin:8px 12px">${esc(step.notTestable)}</p></div>
</details>`;
  }
  const axes = run.axes;
  const sum = summarize(step);
  const st = statusOf(sum);
  const grid = buildGrid(step, axes);
  const labels = destinationLabels(axes);
  const items = attentionItems(step, axes);
  const pinKey = items[0] ? `${items[0].src}|${items[0].col}` : undefined;
  const cellsData: CellData[] = [];
  const body = grid.rows
    .map((r, i) => {
      const tds = (grid.cells[i] ?? []).map((g, j) => {
        const col = grid.cols[j];
        if (!g.cell || !col) return `<td class="self" title="${esc(g.self ? 'self: a pod is not probed against itself' : 'not probed in this step')}"></td>`;
        const label = columnLabel(col, labels);
        const v = cellView(g);
        const idx = cellsData.push(cellData(g.cell, label, g.kinds)) - 1;
        const aria = `${g.cell.src} to ${label}: ${g.kinds.length > 0 ? kindsLabel(g.kinds) : 'correct'}`;
        const pin = pinKey === `${g.cell.src}|${g.cell.col}` ? ' data-pin' : '';
        return `<td class="${v.cls}" tabindex="0" data-s="${index}" data-c="${idx}"${pin} aria-label="${esc(aria)}">${v.html}</td>`;
      });
      return `<tr><th scope="row">${sourceLabel(r.id, r.kind)}</th>${tds.join('')}</tr>`;
    })
    .join('\n');
  data.push(cellsData);
  // Zero warning/error counts are noise in a one-line step header; correct and wrong always show.
  const counts = [
    `correct ${sum.correct}`,
    `wrong ${sum.wrong}`,
    ...(sum.authoring > 0 ? [`authoring ${sum.authoring}`] : []),
    ...(sum.enforcement > 0 ? [`enforcement ${sum.enforcement}`] : []),
    ...(sum.errors > 0 ? [`errors ${sum.errors}`] : []),
    `attempts ${sum.attempts}`,
    `retried ${sum.retried}`,
    sum.timeToEnforceMs !== undefined ? `enforced after ${enforcedText(sum)}` : sum.passed ? '' : 'never matched',
    sum.durationMs !== undefined ? `took ${formatDuration(sum.durationMs)}` : '',
  ].filter((x) => x !== '');
  const attention =
    items.length === 0
      ? ''
      : `<ul class="attention">${items
          .map((it) => {
            const cls = it.failing ? (it.facts.kinds.includes('failure') ? 'failure' : 'error') : 'warning';
            const f = it.facts;
            return (
              `<li class="${cls}"><b>${esc(kindsLabel(f.kinds))}${it.failing ? '' : ' (warning)'}</b> ` +
              `<code>${esc(`${it.src} → ${it.colLabel}`)}</code><div class="line">${esc(verdictLine(f))}</div>` +
              (f.why !== undefined ? `<div>${esc(f.why)}</div>` : '') +
              `<div>repro: ${f.repro !== undefined ? `<code>${esc(f.repro)}</code>` : '<i>no repro command recorded</i>'}</div></li>`
            );
          })
          .join('')}</ul>`;
  return `<details class="step ${st}" id="step-${index + 1}" data-step="${esc(step.name)}"${open ? ' open' : ''}>
<summary class="head">${badge(st)}<h2>${index + 1}/${run.steps.length} ${esc(step.name)}</h2><span class="desc"${step.description !== undefined ? ` title="${esc(step.description)}"` : ''}>${esc(step.description ?? '')}</span><span class="counts">${esc(counts.join(' · '))}</span></summary>
<div class="body"><div class="gridwrap"><table class="grid" data-step="${esc(step.name)}">
${gridHead(grid.cols, axes)}
<tbody>
${body}
</tbody></table></div>
<aside class="detail"><span class="hint">Hover a cell for its details; click to pin them here (expected, simulated, observed, attempts, latency, explanation, repro command).</span></aside></div>
${attention}${infrastructureHtml(step)}
</details>`;
}

/** The step's infrastructure section: what the cluster did while it probed (absent when nothing). */
function infrastructureHtml(step: StepResult): string {
  const i = step.infrastructure;
  if (!hasInfrastructureNews(i)) return '';
  const rows = i.events.map((e) => `<tr><td>${esc(e.at)}</td><td>${esc(e.kind)}</td><td>${esc(e.subject)}</td><td>${esc(e.detail ?? '')}</td></tr>`).join('');
  const u = i.unsettled;
  return (
    // Inline styles: the section is rare and the shared stylesheet stays as it is.
    `<section class="infra" style="margin-top:12px;border-left:4px solid #d4a72c;background:#fffbea;padding:6px 10px"><h3>Infrastructure</h3><p>${esc(execFailuresLine(i))}</p>` +
    (rows ? `<table class="events" style="font-size:12px;text-align:left"><thead><tr><th>time</th><th>event</th><th>subject</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>` : '') +
    (u ? `<p>did not settle: ${u.cells} cell(s) (${esc(Object.entries(u.byClass).map(([k, n]) => `${k} ${n}`).join(', '))})${u.faults.length ? `; faults seen: ${esc(u.faults.join(', '))}` : ''}</p><ul>${u.sample.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ul>` : '') +
    `</section>`
  );
}

function timeline(run: RunResult, sums: StepSummary[]): string {
  // Bars sit at their real start when every step has one, else back to back. With phases recorded,
  // the run's start is the origin, so provisioning, steps and cleanup share one axis.
  const starts: number[] = [];
  const runStart = Date.parse(run.startedAt);
  const phases = run.phases?.length && Number.isFinite(runStart) ? run.phases : [];
  const t0 = phases.length ? runStart : Date.parse(run.steps[0]?.startedAt ?? '');
  const real = run.steps.every((s) => s.startedAt !== undefined && s.durationMs !== undefined) && Number.isFinite(t0);
  let cursor = 0;
  for (const s of run.steps) {
    starts.push(real ? Date.parse(s.startedAt ?? '') - t0 : cursor);
    cursor += s.durationMs ?? 0;
  }
  const end = Math.max(1, ...run.steps.map((s, i) => (starts[i] ?? 0) + (s.durationMs ?? 0)), ...phases.map((p) => p.startMs + p.durationMs));
  const pct = (x: number): string => `${((100 * x) / end).toFixed(2)}%`;
  const phaseRow = (p: NonNullable<RunResult['phases']>[number]): string =>
    `<div class="phase"><span class="name">${esc(p.name)}</span>` +
    `<span class="track"><span class="bar phase" style="left:${pct(p.startMs)};width:${pct(p.durationMs)}"></span></span>` +
    `<span class="text" title="${esc(p.detail ?? '')}">${esc([formatDuration(p.durationMs), p.detail ?? ''].filter((x) => x !== '').join(' · '))}</span></div>`;
  const firstStep = real && run.steps.length ? (starts[0] ?? 0) : Infinity;
  const rows = run.steps
    .map((s, i) => {
      const sum = sums[i];
      if (!sum) return '';
      const st = statusOf(sum);
      const dur = s.durationMs ?? 0;
      const conv =
        s.timeToEnforceMs !== undefined && dur > 0
          ? `<span class="conv" style="width:${Math.min(100, (100 * ((s.phases?.applyMs ?? 0) + s.timeToEnforceMs)) / dur).toFixed(2)}%"></span>`
          : '';
      const distrusted = s.infrastructure?.distrustedMs;
      const waited = distrusted && dur > 0 ? `<span class="distrust" style="width:${Math.min(100, (100 * distrusted) / dur).toFixed(2)}%"></span>` : '';
      const enforced = enforcedText({ timeToEnforceMs: s.timeToEnforceMs, ...(distrusted ? { distrustedMs: distrusted } : {}) });
      const text = [
        s.durationMs !== undefined ? formatDuration(s.durationMs) : 'duration unknown',
        enforced !== undefined ? `enforced after ${enforced}` : sum.passed ? '' : 'never matched',
        stepPhasesText(s) ?? '',
        plural(sum.attempts, 'attempt'),
      ].filter((x) => x !== '');
      const mark = st === 'failed' ? '✗' : st === 'warned' ? '!' : '✓';
      return (
        `<a href="#step-${i + 1}"><span class="name">${mark} ${esc(s.name)}</span>` +
        `<span class="track"><span class="bar ${st === 'failed' ? 'fail' : st === 'warned' ? 'warn' : 'pass'}" style="left:${pct(starts[i] ?? 0)};width:${pct(dur)}">${conv}${waited}</span></span>` +
        `<span class="text" title="${esc(text.join(' · '))}">${esc(text.join(' · '))}</span></a>`
      );
    })
    .join('\n');
  const before = phases.filter((p) => p.startMs < firstStep).map(phaseRow).join('\n');
  const after = phases.filter((p) => p.startMs >= firstStep).map(phaseRow).join('\n');
  const note = `bar: step duration · hatched: its changes and the time until the matrix first matched (time-to-enforce)${phases.length ? ' · grey: provisioning and cleanup phases (they may overlap)' : ''} · amber: time its cells were distrusted (infrastructure) · click a step to open it`;
  return `<section class="timeline"><div class="sechead"><h2>Timeline</h2><span class="note">${note}</span></div><div class="tl">
${[before, rows, after].filter((x) => x !== '').join('\n')}
</div></section>`;
}

function legendHtml(): string {
  const item = (bg: string, fg: string, sym: string, text: string): string =>
    `<span><span class="sw" style="background:${bg};color:${fg}">${sym}</span>${esc(text)}</span>`;
  return `<div class="sechead"><h2>Steps</h2><div class="legend">${[
    item('var(--ok-allow-bg)', 'var(--ok-allow-fg)', S.allow, 'allowed'),
    item('var(--ok-deny-bg)', 'var(--ok-deny-fg)', S.deny, 'denied'),
    item('var(--fail-bg)', '#fff', S.allow, 'wrong (observed ≠ expected)'),
    item('var(--warn-bg)', 'var(--warn-fg)', '!', 'authoring/enforcement warning'),
    item('var(--err-bg)', '#fff', S.unknown, 'error, no verdict'),
    `<span><span class="sw" style="background:repeating-linear-gradient(135deg,#f6f8fa 0 4px,#e1e4e8 4px 6px)"></span>self</span>`,
    '<span><span class="sw" style="font-size:10px">3×</span>attempts when retried</span>',
  ].join('')}</div></div>`;
}

export function renderHtml(run: RunResult): string {
  const sum = summarizeRun(run);
  const st = statusOf(sum);
  const cl = run.cluster;
  const meta = [
    ...(run.mode === 'check' ? ['cluster-free check: expectations against the simulation', `CNI profile ${run.profile ?? 'calico'}`] : []),
    ...(cl
      ? [
          `${cl.provider}${cl.name !== undefined ? `/${cl.name}` : ''}`,
          `CNI ${cniLabel(cl)}`,
          ...(cl.kubernetesVersion !== undefined ? [`Kubernetes ${cl.kubernetesVersion}`] : []),
          ...(cl.nodes !== undefined ? [plural(cl.nodes, 'node')] : []),
        ]
      : []),
    `started ${run.startedAt}`,
    ...(sum.durationMs !== undefined ? [`took ${formatDuration(sum.durationMs)}`] : []),
    `${plural(run.axes.sources.length, 'source')} × ${plural(run.axes.columns.length, 'column')}`,
  ];
  const chip = (cls: string, n: number, label: string): string => `<span class="chip${n > 0 && cls ? ` ${cls}` : ''}"><b>${n}</b> ${label}</span>`;
  const chips = [
    `<span class="chip"><b>${sum.steps.length - sum.failedSteps.length}/${sum.steps.length}</b> steps passed</span>`,
    chip('', sum.correct, 'correct'),
    chip('bad', sum.wrong, 'wrong'),
    chip('warn', sum.authoring, 'authoring'),
    chip('warn', sum.enforcement, 'enforcement'),
    chip('err', sum.errors, 'errors'),
    chip('', sum.attempts, 'probe attempts'),
    chip('', sum.retried, 'cells retried'),
    ...(sum.slowestEnforcement ? [`<span class="chip">slowest enforcement <b>${formatDuration(sum.slowestEnforcement.ms)}</b> (${esc(sum.slowestEnforcement.step)})</span>`] : []),
  ];
  const data: CellData[][] = [];
  // When something needs attention, only those steps start open, so the first screen shows the problem;
  // a clean run opens every step. Either way each grid is in the page, one click away.
  const anyAttention = sum.wrong + sum.errors + sum.warnings > 0;
  const steps = run.steps
    .map((s, i) => {
      const ss = sum.steps[i];
      return stepSection(s, i, run, data, !anyAttention || (ss !== undefined && statusOf(ss) !== 'passed'));
    })
    .join('\n');
  const title = `netpol-harness: ${run.suite} ${st === 'failed' ? 'failed' : 'passed'}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="netpol-harness">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="run ${st === 'failed' ? 'failed' : 'passed'}">${badge(st)}<h1>${esc(run.suite)}</h1>
<span class="toolbar"><button type="button" id="expand-all">expand all</button> <button type="button" id="collapse-all">collapse all</button> <label><input type="checkbox" id="only-wrong"> dim correct cells</label></span>
<div class="meta">${esc(meta.join(' · '))}</div>
<div class="chips">${chips.join('')}</div>
</header>
${timeline(run, sum.steps)}
${legendHtml()}
${steps}
<footer>netpol-harness results schemaVersion ${run.schemaVersion}. Mismatch kinds: <b>failure</b> observed ≠ expected; <b>authoring</b> expected ≠ simulated; <b>enforcement</b> simulated ≠ observed; <b>error</b> no verdict.</footer>
</main>
<div id="tip" hidden></div>
<script type="application/json" id="nph-data">${scriptJson({ steps: data.map((cells) => ({ cells })) })}</script>
<script>${JS}</script>
</body>
</html>
`;
}
