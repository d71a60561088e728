// Text and JSON output of `netpol-harness diff` on two conformance.json reports (CNI upgrade: what
// changed). Same style as the results diff (report/nightly.ts): verdicts that got worse in red first.
import pc from 'picocolors';
import {
  behaviourChanged,
  TIMING_MIN_DELTA_MS,
  TIMING_RATIO,
  type ConformanceDiff,
  type ConformanceDoc,
  type DeviationDoc,
  type OneSide,
  type Status,
} from '../diff/conformance.js';
import { plural } from './format.js';

export interface ConformanceSide {
  file: string;
  report: ConformanceDoc;
}

const TIMING_RULE = `shown when a value more than doubled or halved and moved by more than ${TIMING_MIN_DELTA_MS} ms; probes run every 200 ms while a change settles, so smaller moves are a probe round or two of sync jitter`;
const secs = (ms: number | undefined): string => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(2)} s`);
const cell = (d: DeviationDoc): string => `${d.step}: ${d.src} -> ${d.col} expected ${d.expected}, observed ${d.observed}`;
/** Cells listed per case and kind in text (a CNI that stopped enforcing deviates on hundreds); JSON lists all. */
export const CELLS_SHOWN = 8;
const capped = (lines: string[]): string[] =>
  lines.length <= CELLS_SHOWN ? lines : [...lines.slice(0, CELLS_SHOWN), `... and ${lines.length - CELLS_SHOWN} more (--output json lists them all)`];
const RANK: Record<Status, number> = { deviates: 0, 'not testable': 1, 'implementation-defined': 2, conforms: 3 };

export function renderConformanceDiffText(diff: ConformanceDiff, before: ConformanceSide, after: ConformanceSide, opts: { color: boolean }): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];
  const side = (s: ConformanceSide): string => `${s.file} (${s.report.cni}${s.report.provider ? ` on ${s.report.provider}` : ''}, ${plural(s.report.cases.length, 'case')})`;
  out.push(c.bold(`netpol-harness diff (conformance): ${side(before)} -> ${side(after)}`));
  // Worse first: a verdict that now deviates is the reason to diff after an upgrade.
  const worse = (a: Status, b: Status): boolean => RANK[b] < RANK[a];
  const status = (a: Status, b: Status): string => {
    const text = `${a} -> ${b.toUpperCase()}`;
    return b === 'deviates' ? c.red(c.bold(text)) : worse(a, b) ? c.yellow(text) : c.green(text);
  };
  for (const f of [...diff.features].sort((x, y) => RANK[x.after] - RANK[y.after])) {
    out.push(`feature ${f.feature} (${f.title}): ${status(f.before, f.after)}`);
    for (const line of f.deviating) out.push(`    ${line}`);
  }
  for (const k of [...diff.cases].sort((x, y) => RANK[x.after] - RANK[y.after])) {
    out.push(`case ${k.id} (${k.title}): ${status(k.before, k.after)}`);
    for (const line of capped(k.deviations.map(cell))) out.push(`    ${line}`);
  }
  for (const k of diff.cells) {
    out.push(`case ${k.id} (${k.title}): still deviates, on other cells:`);
    for (const line of capped(k.added.map(cell))) out.push(`  ${c.red(c.bold('ADDED  '))} ${line}`);
    for (const line of capped(k.removed.map(cell))) out.push(`  ${c.green('REMOVED')} ${line}`);
    for (const line of capped(k.reclassified.map((r) => `${r.step}: ${r.src} -> ${r.col} expected ${r.expected}, observed ${r.before} -> ${r.after}`))) out.push(`  ${c.cyan('CLASS  ')} ${line}`);
  }
  for (const s of diff.denyStyle) {
    const obs = (o: typeof s.before): string => `${o.style} (${o.refused} refused, ${o.timeout} timed out)`;
    out.push(`deny style ${s.direction}: ${c.yellow(`${obs(s.before)} -> ${obs(s.after)}`)}${s.comparable ? '' : ' (one side observed no denied cell: not compared)'}`);
  }
  if (diff.profile) {
    const p = (x: { suggested?: string; matching: string[] }): string => `${x.suggested ?? 'none'} (matching: ${x.matching.join(', ') || 'none'})`;
    out.push(`engine profile: ${c.yellow(`${p(diff.profile.before)} -> ${p(diff.profile.after)}`)}`);
  }
  if (diff.notEnforcing) {
    out.push(
      diff.notEnforcing.after !== undefined
        ? c.red(c.bold(`NOT ENFORCING in ${after.file}: ${diff.notEnforcing.after}`))
        : c.green(`enforcing in ${after.file} (${before.file} did not: ${diff.notEnforcing.before ?? ''})`),
    );
  }
  const only = (o: OneSide, file: string): void => {
    if (o.cases.length + o.features.length + o.timing.length === 0) return;
    const parts = [
      ...(o.features.length > 0 ? [`features ${o.features.join(', ')}`] : []),
      ...(o.cases.length > 0 ? [`cases ${o.cases.map((k) => `${k.id} (${k.status})`).join(', ')}`] : []),
      ...(o.timing.length > 0 ? [`timing of ${o.timing.join(', ')}`] : []),
    ];
    out.push(`only in ${file} (not compared): ${parts.join('; ')}`);
  };
  only(diff.onlyBefore, before.file);
  only(diff.onlyAfter, after.file);
  if (diff.timing.length > 0) {
    out.push(`time to enforce (informational, never changes the exit code; ${TIMING_RULE}):`);
    for (const t of diff.timing) {
      const m = t.metrics.map((k) => `${k.replace(/Ms$/, '')} ${secs(t.before[k])} -> ${secs(t.after[k])}`).join(', ');
      const never = t.before.never !== t.after.never ? `; never enforced ${t.before.never} -> ${t.after.never}` : '';
      out.push(`  ${c.cyan(t.change)}: ${m}${never}`);
    }
  } else out.push(`time to enforce: no change past the noise threshold (${TIMING_RULE}); informational`);
  const summary =
    `${plural(diff.features.length, 'feature')} and ${plural(diff.cases.length, 'case')} changed verdict, ` +
    `${plural(diff.cells.length, 'deviating case')} changed cells, ${diff.unchanged} cases unchanged; ` +
    `deny style ${diff.denyStyle.filter((s) => s.comparable).length} changed, engine profile ${diff.profile ? 'changed' : 'same'}, ` +
    `${plural(diff.timing.length, 'timing change')} (informational)`;
  out.push(behaviourChanged(diff) ? c.red(`behaviour changed: ${summary}`) : c.green(`no behaviour change: ${summary}`));
  return out.join('\n') + '\n';
}

/** `changed` is the boolean a script checks (the exit code's 1); the rest is the diff itself. See docs/report-schema.md. */
export function renderConformanceDiffJson(diff: ConformanceDiff, before: ConformanceSide, after: ConformanceSide): string {
  const meta = (s: ConformanceSide) => ({ file: s.file, cni: s.report.cni, ...(s.report.provider !== undefined ? { provider: s.report.provider } : {}), cases: s.report.cases.length });
  const doc = {
    kind: 'conformance',
    changed: behaviourChanged(diff),
    before: meta(before),
    after: meta(after),
    ...diff,
    timingThreshold: { ratio: TIMING_RATIO, minDeltaMs: TIMING_MIN_DELTA_MS },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
