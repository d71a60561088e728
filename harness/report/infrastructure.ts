// The per-step `infrastructure` section in words: what the cluster did while the step probed
// (events with times, failed execs by kind, results not taken as verdicts, why it did not settle).
// Shared by the terminal and HTML reports; empty for a step where nothing happened.
import type { StepInfrastructure } from '../diff/result.js';

/** Something worth showing: any event, failed exec, distrusted result or unsettled cells. */
export function hasInfrastructureNews(i: StepInfrastructure | undefined): i is StepInfrastructure {
  return i !== undefined && (i.events.length > 0 || Object.keys(i.execFailures).length > 0 || i.distrusted > 0 || i.unsettled !== undefined);
}

const time = (iso: string): string => iso.replace(/^.*T/, '').replace(/Z$/, '');

export function execFailuresLine(i: StepInfrastructure): string {
  const byKind = Object.entries(i.execFailures)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const waited = i.distrustedMs ? ` (cells waited ${(i.distrustedMs / 1000).toFixed(1)} s on them: left out of the time to enforce)` : '';
  return `exec failures: ${byKind || 'none'}; retries ${i.execRetries}; results not taken as verdicts ${i.distrusted}${waited}`;
}

/** Plain lines; the caller colours and indents them. At most maxEvents events are listed. */
export function infrastructureLines(i: StepInfrastructure, maxEvents = 12): string[] {
  const lines = [`infrastructure: ${i.events.length + (i.eventsDropped ?? 0)} event(s); ${execFailuresLine(i)}`];
  for (const e of i.events.slice(0, maxEvents)) lines.push(`  ${time(e.at)} ${e.kind} ${e.subject}${e.detail ? `: ${e.detail}` : ''}`);
  const more = i.events.length - maxEvents + (i.eventsDropped ?? 0);
  if (more > 0) lines.push(`  ... ${more} more (results.json has ${i.events.length})`);
  if (i.unsettled) {
    const u = i.unsettled;
    lines.push(`  did not settle: ${u.cells} cell(s) (${Object.entries(u.byClass).map(([k, n]) => `${k} ${n}`).join(', ')})${u.faults.length ? `; faults seen: ${u.faults.join(', ')}` : ''}`);
    for (const s of u.sample) lines.push(`    ${s}`);
  }
  return lines;
}
