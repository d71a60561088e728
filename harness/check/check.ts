// `check`: the cluster-free tier. Validates a suite, simulates every step, compares each hand-written
// expectation with the simulation and lints the policies. The result is a RunResult without
// observations (mode `check`, cells `probed: false`), so the reports and the three-way diff serve it
// as they serve a run: a cell's only possible kind is `authoring`, and there it fails (diff/three-way.ts).
import { resultAxes, type CellResult, type Explanation, type RunResult } from '../diff/result.js';
import { classifyCell, summarizeRun, type RunSummary } from '../diff/three-way.js';
import { EXIT, type Issue } from '../errors.js';
import { buildAxes } from '../matrix/axes.js';
import type { Verdict } from '../matrix/matrix.js';
import { lintSuite, type LintResult } from '../policy/lint/index.js';
import type { CniProfile } from '../policy/profiles.js';
import { expectedMatrix, profileForSuite, simulateStep } from '../policy/simulate.js';
import type { LoadedSuite } from '../suite/load.js';
import type { StepSpec } from '../suite/schema.js';
import { isError, validateSuite } from '../suite/validate.js';
import { findSuites } from './find.js';
import { offlineUnknowns } from '../suite/in-place.js';

export interface CheckOptions {
  /** Overrides the suite's `cluster.profile` / `cluster.cni` (the `--cni` flag). */
  profile?: CniProfile;
  /** Lint errors and warnings fail the check too (`--strict`). */
  strict?: boolean;
}

/** A hand-written expectation the policies contradict. */
export interface Disagreement {
  step: string;
  /** 1-based, for messages. */
  stepNumber: number;
  src: string;
  col: string;
  expected: Verdict;
  /** `default` or `rules[i]`. */
  origin: string;
  /** Where that expectation is written: `suite.yaml:123`. */
  at?: string;
  /** The rule as written (`deny: develop/* -> *`), when a rule decided the cell. */
  rule?: string;
  /** The rule's `reason`, when it gave one. */
  reason?: string;
  simulated: Verdict;
  explanation: Explanation;
  /** The simulated verdict depends on pod IPs unknown offline (e.g. an ipBlock over part of the pod subnet). */
  uncertain?: string;
}

export type SuiteCheck =
  | { file: string; valid: false; issues: Issue[] }
  | {
      file: string;
      valid: true;
      loaded: LoadedSuite;
      profile: string;
      /** Validation warnings. */
      issues: Issue[];
      run: RunResult;
      summary: RunSummary;
      disagreements: Disagreement[];
      lint: LintResult;
      /** Hand-written cells compared (cells whose expectation is `simulated` compare with themselves). */
      handWritten: number;
      /** This suite fails the check (disagreements, lint findings under strict, or nothing tested). */
      failed: boolean;
      /** No cell could be judged offline, and why (exit 2, never a pass). */
      nothingTested?: string;
    };

/** Lint findings that fail a strict check: errors and warnings (info never fails). */
export const strictLintFailures = (lint: LintResult): number => lint.counts.error + lint.counts.warning;

/** `rules[3]` -> `{ rule: 'deny: develop/* -> *' }`. */
function ruleText(expect: StepSpec['expect'], origin: string): { rule?: string } {
  const i = /^rules\[(\d+)\]$/.exec(origin)?.[1];
  const r = i !== undefined && expect !== 'simulated' ? expect.rules[Number(i)] : undefined;
  if (!r) return {};
  return { rule: 'allow' in r ? `allow: ${r.allow}` : `deny: ${r.deny}` };
}

/** `{ at: 'suite.yaml:123' }` for the rule (or default) that decided a cell, when its line is known. */
function atLine(loaded: LoadedSuite, step: number, origin: string): { at?: string } {
  const line = loaded.lineOf(`steps[${step}].expect.${origin}`);
  return line !== undefined ? { at: `${loaded.file}:${line}` } : {};
}

/** Checks one valid suite: no I/O. */
export function checkLoaded(loaded: LoadedSuite, opts: CheckOptions = {}): Omit<Extract<SuiteCheck, { valid: true }>, 'file' | 'issues'> {
  const profile = opts.profile ?? profileForSuite(loaded);
  const axes = buildAxes(loaded.suite);
  const startedAt = new Date();
  const disagreements: Disagreement[] = [];
  let handWritten = 0;
  const run: RunResult = {
    schemaVersion: 1,
    suite: loaded.suite.metadata.name,
    startedAt: startedAt.toISOString(),
    axes: resultAxes(axes),
    steps: [],
    mode: 'check',
    profile: profile.name,
  };
  loaded.suite.steps.forEach((step, index) => {
    const t0 = performance.now();
    const simulated = simulateStep(loaded, index, { profile });
    const expected = expectedMatrix(loaded, index, { profile }, simulated);
    const cells: CellResult[] = [];
    for (const { src, col, value } of expected.cells()) {
      const sim = simulated.get(src.id, col.key);
      if (!value || !sim) continue;
      const cell: CellResult = { src: src.id, col: col.key, expected: value.verdict, expectedOrigin: value.origin, simulated: sim.verdict, explanation: sim.explanation, probed: false };
      cells.push(cell);
      if (value.origin === 'simulated') continue;
      handWritten++;
      if (classifyCell(cell).includes('authoring')) {
        disagreements.push({
          step: step.name,
          stepNumber: index + 1,
          src: src.id,
          col: col.key,
          expected: value.verdict,
          origin: value.origin,
          ...(atLine(loaded, index, value.origin)),
          ...(ruleText(step.expect, value.origin)),
          ...(value.reason !== undefined ? { reason: value.reason } : {}),
          simulated: sim.verdict,
          explanation: sim.explanation,
          ...(sim.uncertain ? { uncertain: sim.uncertain.join('; ') } : {}),
        });
      }
    }
    run.steps.push({ name: step.name, ...(step.description ? { description: step.description } : {}), startedAt: startedAt.toISOString(), durationMs: Math.round(performance.now() - t0), cells });
  });
  run.finishedAt = new Date().toISOString();
  const lint = lintSuite(loaded, { profile });
  const summary = summarizeRun(run);
  const unknowns = offlineUnknowns(loaded.suite);
  const nothingTested =
    summary.nothingTested === undefined ? undefined : unknowns.length > 0 ? `no cell can be judged offline: ${unknowns.join('; ')}; run it on a cluster, or declare the ports` : summary.nothingTested;
  return {
    valid: true,
    loaded,
    profile: profile.name,
    run,
    summary,
    disagreements,
    lint,
    handWritten,
    failed: disagreements.length > 0 || (opts.strict === true && strictLintFailures(lint) > 0) || nothingTested !== undefined,
    ...(nothingTested !== undefined ? { nothingTested } : {}),
  };
}

/** Validates and checks one suite file; an invalid suite is a result, not an exception. */
export async function checkSuite(file: string, opts: CheckOptions = {}): Promise<SuiteCheck> {
  const v = await validateSuite(file);
  if (!v.ok || !v.loaded) return { file, valid: false, issues: v.issues.filter(isError) };
  return { file: v.loaded.file, issues: v.issues.filter((i) => !isError(i)), ...checkLoaded(v.loaded, opts) };
}

export interface CheckReport {
  suites: SuiteCheck[];
  /** Arguments that named no suite. */
  problems: Issue[];
  exitCode: number;
}

/** 2 when any argument or suite is invalid or tested nothing, else 1 when any suite failed, else 0. */
export function checkExitCode(suites: readonly SuiteCheck[], problems: readonly Issue[]): number {
  if (problems.length > 0 || suites.some((s) => !s.valid || s.nothingTested !== undefined)) return EXIT.error;
  return suites.some((s) => s.valid && s.failed) ? EXIT.mismatch : EXIT.ok;
}

/** Checks every suite the arguments name (files, suite directories, directories of suites), one after another. */
export async function checkPaths(args: readonly string[], opts: CheckOptions = {}): Promise<CheckReport> {
  const found = await findSuites(args);
  const suites: SuiteCheck[] = [];
  for (const f of found.files) suites.push(await checkSuite(f, opts));
  return { suites, problems: found.problems, exitCode: checkExitCode(suites, found.problems) };
}
