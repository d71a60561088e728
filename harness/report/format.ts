// Text pieces every report format shares: labels for rows and columns, durations, and the
// one-line descriptions of a cell's verdicts. Keeping them here keeps the formats consistent.
import type { CellResult, MismatchKind, Observation, RunResult } from '../diff/result.js';
import { classifyCell, observedVerdict } from '../diff/three-way.js';

export type RunAxes = RunResult['axes'];
export type AxisColumn = RunAxes['columns'][number];
export type AxisSource = RunAxes['sources'][number];

/** `1.8 s`, `250 ms`, `3 min 2 s`: short and deterministic. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min ${sec} s`;
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The time to enforce as every format shows it: the CNI's time, and beside it the time its cells
 * waited on the guard (a fault or a settling cluster service), which the time leaves out.
 */
export function enforcedText(s: { timeToEnforceMs?: number; distrustedMs?: number }): string | undefined {
  if (s.timeToEnforceMs === undefined) return undefined;
  return `${formatDuration(s.timeToEnforceMs)}${distrustedText(s.distrustedMs)}`;
}

/** ` (+20.7 s distrusted: infrastructure)`, or '' when no cell was distrusted. */
export const distrustedText = (ms: number | undefined): string => (ms ? ` (+${formatDuration(ms)} distrusted: infrastructure)` : '');

/** `cluster 20.1 s · cni 7.7 s · settle 12.0 s · ...`: the run's phases in start order. */
export function phasesText(run: RunResult, sep = ' · '): string | undefined {
  if (!run.phases?.length) return undefined;
  return run.phases.map((p) => `${p.name} ${formatDuration(p.durationMs)}`).join(sep);
}

/** A step's apply/probe/confirm split: `apply 0.3 s, probe 2.1 s, confirm 2.0 s`. */
export function stepPhasesText(step: { phases?: { applyMs: number; probeMs: number; confirmMs: number } }): string | undefined {
  const p = step.phases;
  return p ? `apply ${formatDuration(p.applyMs)}, probe ${formatDuration(p.probeMs)}, confirm ${formatDuration(p.confirmMs)}` : undefined;
}

/** The CNI as reports name it: `calico v3.32.1 (nftables dataplane)`, with what is recorded. */
export const cniLabel = (cl: NonNullable<RunResult['cluster']>): string => `${cl.cni}${cl.cniVersion !== undefined ? ` ${cl.cniVersion}` : ''}${cl.dataplane !== undefined ? ` (${cl.dataplane} dataplane)` : ''}`;

/** `develop/backend` -> `backend` when no other destination shares the name. */
export function destinationLabels(axes: RunAxes): Map<string, string> {
  const ids = [...new Set(axes.columns.flatMap((c) => (c.kind === 'conn' && c.dst !== undefined ? [c.dst] : [])))];
  const byName = new Map<string, number>();
  const nameOf = (id: string): string => id.slice(id.lastIndexOf('/') + 1);
  for (const id of ids) byName.set(nameOf(id), (byName.get(nameOf(id)) ?? 0) + 1);
  return new Map(ids.map((id) => [id, byName.get(nameOf(id)) === 1 ? nameOf(id) : id]));
}

/** DNS names lose the cluster suffix in headers; the full key is in every detail view. */
export const shortDnsName = (name: string): string => name.replace(/\.svc\.cluster\.local\.?$/, '.svc');

/** Header lines of a column: `[backend, 8080/TCP]` or `[dns, backend.develop.svc]`. */
export function columnHeader(col: AxisColumn, dstLabels: Map<string, string>): [string, string] {
  if (col.kind === 'dns') return ['dns', shortDnsName(col.name ?? col.key.replace(/^dns:/, ''))];
  const dst = col.dst ?? col.key.slice(0, col.key.lastIndexOf(':'));
  const portProto = col.port !== undefined ? `${col.port}/${col.protocol ?? 'TCP'}` : col.key.slice(col.key.lastIndexOf(':') + 1);
  return [dstLabels.get(dst) ?? dst, portProto];
}

/** One-line column label: `backend:8080/TCP`, `dns:backend.develop.svc`. */
export function columnLabel(col: AxisColumn, dstLabels: Map<string, string>): string {
  const [a, b] = columnHeader(col, dstLabels);
  return col.kind === 'dns' ? `dns:${b}` : `${a}:${b}`;
}

/** A pod never probes itself: such cells are not in the result. */
export const isSelf = (src: string, col: AxisColumn): boolean => col.kind === 'conn' && col.dst === src;

/** `connected, 3 attempts, 12 ms` or `not probed`. */
export function describeObservation(o: Observation | undefined): string {
  if (!o) return 'not probed';
  const parts = [o.detail !== undefined && (o.class === 'error' || o.class === 'unsupported') ? `${o.class} (${o.detail})` : o.class];
  parts.push(plural(o.attempts, 'attempt'));
  if (o.latencyMs !== undefined) parts.push(formatDuration(o.latencyMs));
  return parts.join(', ');
}

export const verdictWord = (v: string | undefined): string => v ?? 'no verdict';

/** Everything a reader needs about one cell, as labelled lines; used by lists, JUnit and HTML. */
export interface CellFacts {
  kinds: MismatchKind[];
  expected: string;
  simulated: string | undefined;
  observed: string;
  /** False for a cell that was not probed (a `check` result): the reports leave `observed` out. */
  probed: boolean;
  why: string | undefined;
  whyDetails: string[];
  repro: string | undefined;
}

export function cellFacts(cell: CellResult): CellFacts {
  const obsVerdict = observedVerdict(cell);
  return {
    kinds: classifyCell(cell),
    expected: `${cell.expected}${cell.expectedOrigin !== undefined ? ` (${cell.expectedOrigin})` : ''}`,
    simulated: cell.simulated,
    observed: cell.observed ? `${verdictWord(obsVerdict)}: ${describeObservation(cell.observed)}` : 'no verdict: not probed',
    probed: cell.probed !== false,
    why: cell.explanation?.summary,
    whyDetails: cell.explanation?.details ?? [],
    repro: cell.observed?.repro,
  };
}

/** `expected deny (rules[2]) · simulated deny · observed allow: connected, 3 attempts, 4 ms` */
export function verdictLine(f: CellFacts, sep = ' · '): string {
  return [`expected ${f.expected}`, ...(f.simulated !== undefined ? [`simulated ${f.simulated}`] : []), ...(f.probed ? [`observed ${f.observed}`] : [])].join(sep);
}

export const kindsLabel = (kinds: readonly MismatchKind[]): string => kinds.join(', ');

/** Wraps text into lines of at most `width`, breaking after a `.` (else `-` or `/`) when it can. */
export function wrapLabel(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const window = rest.slice(0, width);
    // Dots first: `task-api.` / `task-api.svc` reads better than `task-api.task-` / `api.svc`.
    const dot = window.lastIndexOf('.');
    const cut = dot > 0 ? dot : Math.max(window.lastIndexOf('-'), window.lastIndexOf('/'));
    const at = cut > 0 ? cut + 1 : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  if (rest.length > 0) lines.push(rest);
  return lines;
}
