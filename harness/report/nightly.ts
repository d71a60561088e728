// Text and JSON output of `netpol-harness diff`: the changed cells grouped by step, opened paths
// first because a path that silently opened is the reason to run the diff nightly.
import pc from 'picocolors';
import type { ArtifactDiff, CellChange, ChangeKind, ObservedState } from '../diff/nightly.js';
import { hasChanges, isCheckResult, type DiffBasis } from '../diff/nightly.js';
import type { RunResult } from '../diff/result.js';
import { plural } from './format.js';

const ORDER: ChangeKind[] = ['opened', 'closed', 'lost', 'gained', 'class'];

function state(s: ObservedState, basis: DiffBasis): string {
  if (basis === 'simulated') return `${s.verdict ?? 'no verdict'} (simulated)`;
  return s.class === undefined ? 'not probed' : `${s.verdict ?? 'no verdict'} (${s.class})`;
}

/** Why the simulated verdicts are compared: which side is a check result. */
function basisNote(diff: ArtifactDiff, before: DiffSide, after: DiffSide): string | undefined {
  if (diff.basis !== 'simulated') return undefined;
  const checks = [before, after].filter((s) => isCheckResult(s.run)).map((s) => s.file);
  return `comparing simulated verdicts: ${checks.join(' and ')} ${checks.length > 1 ? 'are check results' : 'is a check result'} (nothing probed, so no observed verdicts)`;
}

export interface DiffSide {
  file: string;
  run: RunResult;
}

export function renderDiffText(diff: ArtifactDiff, before: DiffSide, after: DiffSide, opts: { color: boolean }): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];
  const side = (s: DiffSide): string => `${s.file} (${s.run.suite}, ${s.run.startedAt})`;
  out.push(c.bold(`netpol-harness diff: ${side(before)} -> ${side(after)}`));
  const note = basisNote(diff, before, after);
  if (note) out.push(note);
  const byStep = new Map<string, CellChange[]>();
  for (const ch of diff.changed) byStep.set(ch.step, [...(byStep.get(ch.step) ?? []), ch]);
  for (const [step, changes] of byStep) {
    out.push(`step ${step}:`);
    changes.sort((x, y) => ORDER.indexOf(x.change) - ORDER.indexOf(y.change));
    for (const ch of changes) {
      const tag = ch.change.toUpperCase().padEnd(6);
      const painted = ch.change === 'opened' ? c.red(c.bold(tag)) : ch.change === 'closed' ? c.yellow(tag) : c.cyan(tag);
      const expNote =
        ch.before.expected !== ch.after.expected ? ` (expected changed too: ${ch.before.expected} -> ${ch.after.expected})` : '';
      out.push(`  ${painted} ${ch.src} -> ${ch.col}: ${state(ch.before, diff.basis)} -> ${state(ch.after, diff.basis)}${expNote}`);
    }
  }
  for (const s of diff.removedSteps) out.push(`step ${s}: ${c.yellow('REMOVED')} (only in ${before.file})`);
  for (const s of diff.addedSteps) out.push(`step ${s}: ${c.yellow('ADDED')} (only in ${after.file})`);
  for (const r of diff.removedCells) out.push(`step ${r.step}: ${c.yellow('REMOVED')} cell ${r.src} -> ${r.col}`);
  for (const r of diff.addedCells) out.push(`step ${r.step}: ${c.yellow('ADDED')} cell ${r.src} -> ${r.col}`);
  const count = (k: ChangeKind): number => diff.changed.filter((ch) => ch.change === k).length;
  const summary =
    `${plural(diff.changed.length, 'cell')} changed (${ORDER.map((k) => `${count(k)} ${k}`).join(', ')}), ${diff.unchanged} unchanged; ` +
    `steps added ${diff.addedSteps.length}, removed ${diff.removedSteps.length}; cells added ${diff.addedCells.length}, removed ${diff.removedCells.length}`;
  out.push(hasChanges(diff) ? c.red(summary) : c.green(`no changes: ${summary}`));
  return out.join('\n') + '\n';
}

/** `changed` is the boolean a script checks; `cells` lists the changed cells. */
export function renderDiffJson(diff: ArtifactDiff, before: DiffSide, after: DiffSide): string {
  const { changed: cells, ...rest } = diff;
  const meta = (s: DiffSide) => ({ file: s.file, suite: s.run.suite, startedAt: s.run.startedAt });
  const note = basisNote(diff, before, after);
  return JSON.stringify({ changed: hasChanges(diff), ...(note ? { note } : {}), before: meta(before), after: meta(after), cells, ...rest }, null, 2) + '\n';
}
