// JUnit XML in the common subset that GitHub Actions reporters, GitLab and Jenkins all read:
// testsuites > testsuite (one per step) > testcase (one per cell) > failure | error.
// Warnings (authoring/enforcement without a failure) pass and are written to system-out.
import { create } from 'xmlbuilder2';
import type { RunResult } from '../diff/result.js';
import { isFailing, observedVerdict, summarize, summarizeRun } from '../diff/three-way.js';
import { cellFacts, describeObservation, verdictLine } from './format.js';

const seconds = (ms: number | undefined): string => ((ms ?? 0) / 1000).toFixed(3);

/** Strips characters XML 1.0 cannot hold (agent output may contain control bytes). */
const xmlSafe = (s: string): string => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, '');

export function renderJUnit(run: RunResult): string {
  const sum = summarizeRun(run);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: `netpol-harness ${run.suite}`,
    tests: sum.cells + (sum.notTestableSteps?.length ?? 0),
    failures: sum.wrong,
    errors: sum.errors,
    skipped: sum.notTestableSteps?.length ?? 0,
    time: seconds(sum.durationMs),
    timestamp: run.startedAt,
  });
  for (const step of run.steps) {
    if (step.notTestable !== undefined) {
      // One skipped test case per step that could not be tested on this cluster, with the reason.
      const suite = root.ele('testsuite', { name: `${run.suite} / ${step.name}`, tests: 1, failures: 0, errors: 0, skipped: 1, time: seconds(step.durationMs) });
      suite.ele('testcase', { classname: `${run.suite}.${step.name}`, name: `${step.name} (not testable on this CNI)`, time: '0.000' }).ele('skipped', { message: xmlSafe(step.notTestable) });
      continue;
    }
    const s = summarize(step);
    const suite = root.ele('testsuite', {
      name: `${run.suite} / ${step.name}`,
      tests: s.cells,
      failures: s.wrong,
      errors: s.errors,
      skipped: 0,
      time: seconds(step.durationMs),
      ...(step.startedAt !== undefined ? { timestamp: step.startedAt } : {}),
    });
    const props = suite.ele('properties');
    if (step.description !== undefined) props.ele('property', { name: 'description', value: xmlSafe(step.description) });
    props.ele('property', { name: 'attempts', value: String(s.attempts) });
    props.ele('property', { name: 'timeToEnforceMs', value: s.timeToEnforceMs !== undefined ? String(s.timeToEnforceMs) : 'never' });
    // Beside the time to enforce: the time cells waited on the guard (infrastructure, left out of it).
    props.ele('property', { name: 'distrustedMs', value: String(s.distrustedMs ?? 0) });
    if (step.phases) for (const [k, v] of Object.entries(step.phases)) props.ele('property', { name: `phase.${k}`, value: String(v) });
    for (const cell of step.cells) {
      const f = cellFacts(cell);
      const tc = suite.ele('testcase', {
        classname: `${run.suite}.${step.name}`,
        name: `${cell.src} -> ${cell.col}`,
        time: seconds(cell.observed?.latencyMs),
      });
      const body = [
        verdictLine(f, '; '),
        `kinds: ${f.kinds.join(', ')}`,
        ...(f.why !== undefined ? [`why: ${f.why}`, ...f.whyDetails.map((d) => `  ${d}`)] : []),
        ...(f.probed ? [`repro: ${f.repro ?? '(no repro command recorded)'}`] : []),
      ].join('\n');
      if (f.kinds.includes('failure') || (!f.kinds.includes('error') && isFailing(f.kinds))) {
        tc.ele('failure', {
          message: xmlSafe(
            f.probed
              ? `expected ${cell.expected}, observed ${observedVerdict(cell) ?? 'no verdict'} (${describeObservation(cell.observed)})`
              : `expected ${cell.expected}, the policies say ${cell.simulated ?? 'nothing'}${f.why !== undefined ? ` (${f.why})` : ''}`,
          ),
          type: f.kinds.join(','),
        }).txt(xmlSafe(body));
      } else if (f.kinds.includes('error')) {
        tc.ele('error', { message: xmlSafe(`no verdict: ${describeObservation(cell.observed)}`), type: f.kinds.join(',') }).txt(xmlSafe(body));
      } else if (f.kinds.length > 0) {
        tc.ele('system-out').txt(xmlSafe(`warning (${f.kinds.join(', ')}): ${body}`));
      }
    }
  }
  return root.end({ prettyPrint: true }) + '\n';
}
