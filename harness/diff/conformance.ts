// The conformance diff: what changed between two conformance.json reports (a CNI upgrade, or two
// CNIs side by side) at the level a user decides on: feature and case verdicts, the deviating cells
// of cases that kept deviating, the deny style, the engine profile, and time to enforce. Pure.
//
// Cells are matched by case, the case's step number and lane-free endpoints: the battery packs
// cases into rounds and lanes (conformance/lanes.ts) that differ between runs (--focus, a newer
// battery), so the suite step name (`round-3-2`) and the lane namespace (`x-1`) are not stable.
import type { parseConformance } from '../conformance/report-schema.js';
import { laneOfNamespace } from '../conformance/lanes.js';

export type ConformanceDoc = ReturnType<typeof parseConformance>;
type CaseDoc = ConformanceDoc['cases'][number];
export type DeviationDoc = CaseDoc['deviations'][number];
type DenyStyleDoc = ConformanceDoc['denyStyle']['ingress'];
type TimingDoc = ConformanceDoc['timing'][number];
export type Status = CaseDoc['status'];

/**
 * Time to enforce is only reported as changed when the new value is more than TIMING_RATIO times
 * the old (or less than 1/TIMING_RATIO of it) AND differs by more than TIMING_MIN_DELTA_MS. The
 * prober samples a settling change every 200 ms, so a time is known to about one probe round, and
 * a CNI's own sync loop adds jitter of a few rounds between two runs on the same version: a
 * 300 -> 700 ms move is noise, a 0.4 -> 3 s one is not. The ratio keeps slow kinds (seconds) from
 * flagging a 600 ms wobble.
 */
export const TIMING_RATIO = 2;
export const TIMING_MIN_DELTA_MS = 500;

export const TIMING_METRICS = ['p50Ms', 'p95Ms', 'maxMs'] as const;
export type TimingMetric = (typeof TIMING_METRICS)[number];

export interface FeatureChange {
  feature: string;
  title: string;
  before: Status;
  after: Status;
  /** The deviating lines of the new side (case: cells, classes, an example). */
  deviating: string[];
}

export interface CaseChange {
  id: string;
  title: string;
  before: Status;
  after: Status;
  /** The new side's deviating cells. */
  deviations: DeviationDoc[];
}

export interface ReclassifiedCell {
  step: string;
  src: string;
  col: string;
  expected: 'allow' | 'deny';
  before: DeviationDoc['observed'];
  after: DeviationDoc['observed'];
}

/** A case that deviates on both sides, on different cells or with different observed classes. */
export interface CellsChange {
  id: string;
  title: string;
  added: DeviationDoc[];
  removed: DeviationDoc[];
  reclassified: ReclassifiedCell[];
}

export interface DenyStyleChange {
  direction: 'ingress' | 'egress';
  before: DenyStyleDoc;
  after: DenyStyleDoc;
  /** One side observed no denied cell in this direction (`unknown`): shown, not a behaviour change. */
  comparable: boolean;
}

export interface TimingChange {
  change: TimingDoc['change'];
  before: Pick<TimingDoc, TimingMetric | 'never'>;
  after: Pick<TimingDoc, TimingMetric | 'never'>;
  /** Metrics past the noise threshold (or measured on one side only). */
  metrics: TimingMetric[];
}

export interface OneSide {
  features: string[];
  cases: { id: string; title: string; status: Status }[];
  /** Kinds of change timed on this side only. */
  timing: string[];
}

export interface ConformanceDiff {
  features: FeatureChange[];
  cases: CaseChange[];
  cells: CellsChange[];
  /** In the old report only (an older battery, or a narrower --focus): listed, not compared. */
  onlyBefore: OneSide;
  onlyAfter: OneSide;
  denyStyle: DenyStyleChange[];
  timing: TimingChange[];
  profile?: { before: { suggested?: string; matching: string[] }; after: { suggested?: string; matching: string[] } };
  notEnforcing?: { before?: string; after?: string };
  /** Cases in both reports whose status and deviating cells are the same. */
  unchanged: number;
}

/** `x-1/a` -> `x/a`, `x-2/b:80/TCP` -> `x/b:80/TCP`; lane 0, externals and anything else unchanged. */
export function laneFree(endpoint: string): string {
  const slash = endpoint.indexOf('/');
  if (slash < 0) return endpoint;
  const ns = endpoint.slice(0, slash);
  return (laneOfNamespace(ns) ?? 0) > 0 ? `${ns.replace(/-\d+$/, '')}${endpoint.slice(slash)}` : endpoint;
}

/**
 * The case's own step number (1-based) from a suite step name: `<case>` / `<case>-<t>` when the
 * case ran alone in its round, `round-<r>` / `round-<r>-<t>` when packed (generate.ts names them).
 */
export function caseStepNumber(caseId: string, step: string): string {
  if (step === caseId || /^round-\d+$/.test(step)) return '1';
  const own = step.startsWith(`${caseId}-`) ? step.slice(caseId.length + 1) : undefined;
  if (own !== undefined && /^\d+$/.test(own)) return own;
  const packed = /^round-\d+-(\d+)$/.exec(step);
  return packed ? packed[1]! : step;
}

const cellKey = (caseId: string, d: DeviationDoc): string => `${caseStepNumber(caseId, d.step)}|${laneFree(d.src)}|${laneFree(d.col)}`;

function cellsChange(a: CaseDoc, b: CaseDoc): CellsChange | undefined {
  const before = new Map(a.deviations.map((d) => [cellKey(a.id, d), d]));
  const after = new Map(b.deviations.map((d) => [cellKey(b.id, d), d]));
  const added = [...after].filter(([k]) => !before.has(k)).map(([, d]) => d);
  const removed = [...before].filter(([k]) => !after.has(k)).map(([, d]) => d);
  const reclassified: ReclassifiedCell[] = [];
  for (const [k, d] of after) {
    const old = before.get(k);
    if (old && old.observed !== d.observed) reclassified.push({ step: d.step, src: d.src, col: d.col, expected: d.expected, before: old.observed, after: d.observed });
  }
  return added.length + removed.length + reclassified.length > 0 ? { id: b.id, title: b.title, added, removed, reclassified } : undefined;
}

const differs = (x: number | undefined, y: number | undefined): boolean => {
  if (x === undefined || y === undefined) return x !== y;
  const [lo, hi] = x < y ? [x, y] : [y, x];
  return hi - lo > TIMING_MIN_DELTA_MS && hi > TIMING_RATIO * lo;
};

function timingChanges(a: TimingDoc[], b: TimingDoc[]): TimingChange[] {
  const pick = (t: TimingDoc): TimingChange['before'] => ({
    never: t.never,
    ...(t.p50Ms !== undefined ? { p50Ms: t.p50Ms } : {}),
    ...(t.p95Ms !== undefined ? { p95Ms: t.p95Ms } : {}),
    ...(t.maxMs !== undefined ? { maxMs: t.maxMs } : {}),
  });
  const out: TimingChange[] = [];
  for (const tb of b) {
    const ta = a.find((t) => t.change === tb.change);
    if (!ta) continue;
    const metrics = TIMING_METRICS.filter((m) => differs(ta[m], tb[m]));
    if (metrics.length > 0) out.push({ change: tb.change, before: pick(ta), after: pick(tb), metrics });
  }
  return out;
}

function oneSide(x: ConformanceDoc, other: ConformanceDoc): OneSide {
  return {
    features: x.features.filter((f) => !other.features.some((o) => o.feature === f.feature)).map((f) => f.feature),
    cases: x.cases.filter((c) => !other.cases.some((o) => o.id === c.id)).map((c) => ({ id: c.id, title: c.title, status: c.status })),
    timing: x.timing.filter((t) => !other.timing.some((o) => o.change === t.change)).map((t) => t.change),
  };
}

export function diffConformance(before: ConformanceDoc, after: ConformanceDoc): ConformanceDiff {
  const features: FeatureChange[] = [];
  for (const fb of after.features) {
    const fa = before.features.find((f) => f.feature === fb.feature);
    if (fa && fa.status !== fb.status) features.push({ feature: fb.feature, title: fb.title, before: fa.status, after: fb.status, deviating: fb.deviating });
  }
  const cases: CaseChange[] = [];
  const cells: CellsChange[] = [];
  let unchanged = 0;
  for (const cb of after.cases) {
    const ca = before.cases.find((c) => c.id === cb.id);
    if (!ca) continue;
    if (ca.status !== cb.status) {
      cases.push({ id: cb.id, title: cb.title, before: ca.status, after: cb.status, deviations: cb.deviations });
      continue;
    }
    const ch = cb.status === 'deviates' ? cellsChange(ca, cb) : undefined;
    if (ch) cells.push(ch);
    else unchanged++;
  }
  const denyStyle: DenyStyleChange[] = (['ingress', 'egress'] as const)
    .filter((d) => before.denyStyle[d].style !== after.denyStyle[d].style)
    .map((d) => ({ direction: d, before: before.denyStyle[d], after: after.denyStyle[d], comparable: before.denyStyle[d].style !== 'unknown' && after.denyStyle[d].style !== 'unknown' }));
  const side = (r: ConformanceDoc) => ({ ...(r.profile.suggested !== undefined ? { suggested: r.profile.suggested } : {}), matching: r.profile.matching });
  return {
    features,
    cases,
    cells,
    onlyBefore: oneSide(before, after),
    onlyAfter: oneSide(after, before),
    denyStyle,
    timing: timingChanges(before.timing, after.timing),
    ...(before.profile.suggested !== after.profile.suggested ? { profile: { before: side(before), after: side(after) } } : {}),
    // Whether it enforces at all; the canary's wording (pod names, timings) may differ between runs.
    ...((before.notEnforcing === undefined) !== (after.notEnforcing === undefined)
      ? { notEnforcing: { ...(before.notEnforcing !== undefined ? { before: before.notEnforcing } : {}), ...(after.notEnforcing !== undefined ? { after: after.notEnforcing } : {}) } }
      : {}),
    unchanged,
  };
}

/**
 * The CNI behaves differently (exit 1): a feature or case verdict, a deviating cell, the deny style
 * (both sides observed one), the suggested engine profile, or whether it enforces at all changed.
 * Time to enforce and cases or features on one side only are informational.
 */
export const behaviourChanged = (d: ConformanceDiff): boolean =>
  d.features.length + d.cases.length + d.cells.length + d.denyStyle.filter((s) => s.comparable).length > 0 || d.profile !== undefined || d.notEnforcing !== undefined;
