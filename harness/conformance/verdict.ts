// From a run of the battery suite to the conformance answer: per case and per feature conforms /
// deviates / not testable, the deny style per direction (probe classes refused vs timeout), time to
// enforce per kind of change, and the engine profiles consistent with what was observed. Pure.
import { verdictOf, type CellResult, type ObservedClass, type RunResult } from '../diff/result.js';
import { PROFILES, type CniProfile } from '../policy/profiles.js';
import type { ChangeKind, ConformanceCase } from './cases.js';
import { FEATURES, FEATURE_NAMES, type Feature } from './features.js';
import { caseSees, type GeneratedStep } from './generate.js';
import { implementationObservations, isImplementationDefined, type ImplementationObservation } from './implementation-defined.js';

export type { ImplementationObservation };

/**
 * `implementation-defined`: every ordinary cell conformed and the case holds cells the spec leaves
 * to the implementation, reported as observed (ImplementationObservation), never as deviating.
 */
export type Status = 'conforms' | 'deviates' | 'implementation-defined' | 'not testable';

export interface Deviation {
  step: string;
  src: string;
  col: string;
  expected: 'allow' | 'deny';
  observed: ObservedClass;
  /** The engine under this CNI's profile predicted it: it simulated the observed verdict, or said the cell is unknown. */
  predicted?: true;
}

export interface CaseVerdict {
  id: string;
  title: string;
  spec: string[];
  features: Feature[];
  status: Status;
  deviations: Deviation[];
  /** Cells the probe could not judge (exec errors, unsupported protocols). */
  unjudged: number;
  /**
   * Cells where the engine's simulation (under the CNI's profile) disagrees with the spec expectation:
   * the profile's documented departure from the API when the cell deviates as predicted, else an engine bug.
   */
  engineDisagreements: string[];
  /** The CNI deviated, and did on every cell what the engine under its profile said ("deviates from spec, as the profile predicts"). */
  asProfilePredicts?: true;
  /** Per step of the case: ms until its slowest cell kept its expected verdict; undefined = never within the settle time. */
  timeToEnforceMs: (number | undefined)[];
  /** The lane it ran in (lanes.ts). */
  lane?: number;
  /** Why it could not be tested here (the tier canary's reason for ClusterNetworkPolicy cases). */
  notTestableReason?: string;
  /** What the CNI did on the cells the spec leaves to the implementation, and what that means. */
  implementationDefined?: ImplementationObservation[];
  /**
   * The case deviated in its round and was re-run alone with a long settle (confirm.ts): how many
   * runs, what they showed, and how many cells deviated in the round. The verdict, times and
   * deviations above are the deciding run's.
   */
  confirmation?: { runs: number; outcome: 'reproduced' | 'cleared' | 'undetermined'; roundDeviations: number };
  /** Conformed only when re-run with a longer settle: the CNI is slow to enforce it (timeToEnforceMs says how slow). */
  slowToEnforce?: true;
}

export interface FeatureRow {
  feature: Feature;
  title: string;
  status: Status;
  cases: { conforms: number; deviates: number; notTestable: number; implementationDefined?: number };
  deviating: string[];
  note?: string;
  /** Per implementation-defined case: `<case>: <observed> (<what it means>)`. */
  observed?: string[];
  /** Cases that conformed only when re-run alone with a longer settle: `<case>: slow to enforce, <time>`. */
  slow?: string[];
}

export type DenyStyle = 'drop' | 'reject' | 'mixed' | 'unknown';

export interface DenyStyleObservation {
  style: DenyStyle;
  refused: number;
  timeout: number;
}

export interface Timing {
  change: ChangeKind;
  /** Case steps making this kind of change. */
  steps: number;
  /**
   * `cells`: percentiles over per-cell times (the cells whose expected verdict the change flipped or
   * that it brought in; for a pod recreated with a new IP, all of its case's cells); `steps`: over
   * step-level times (a run without per-cell times).
   */
  basis: 'cells' | 'steps';
  /** Cells (basis cells) or steps counted. */
  samples: number;
  /** Of those, how many never kept their expected verdict within the settle time (not in the percentiles). */
  never: number;
  /** Cells already right at the step's first probe (their time is that probe's: an upper bound). */
  atFirstProbe?: number;
  p50Ms?: number;
  p95Ms?: number;
  maxMs?: number;
}

/** How the battery was packed: cases per round over lanes (lanes.ts). */
export interface Packing {
  lanes: number;
  rounds: number;
  /** Suite steps (rounds times their longest case). */
  steps: number;
  casesPerRound: number;
}

export interface ConformanceReport {
  schemaVersion: 1;
  /** The CNI judged: installed by the harness, or detected on an existing cluster (`unknown`: none recognised). */
  cni: string;
  /** Its version (the agent image's tag) and dataplane, when known. */
  cniVersion?: string;
  dataplane?: string;
  /** What the CNI detection read (existing clusters: the DaemonSet and image). */
  cniEvidence?: string;
  /**
   * The engine profile the cells were simulated with, and where it came from; `unknown`: this CNI
   * has none and none was given, so what the engine predicts says nothing about the CNI.
   */
  engineProfile?: { name: string; source: 'flag' | 'suite' | 'cni' | 'unknown' };
  provider?: string;
  durationMs?: number;
  cases: CaseVerdict[];
  features: FeatureRow[];
  denyStyle: { ingress: DenyStyleObservation; egress: DenyStyleObservation };
  timing: Timing[];
  packing?: Packing;
  profile: { observed: Partial<CniProfile>; matching: string[]; suggested?: string; note: string };
  /** Set when the enforcement canary failed: nothing else was run. */
  notEnforcing?: string;
  /** Cases that deviated in their round and were re-run alone (confirm.ts), and what the re-runs showed. */
  confirmation?: { settleMs?: number; cases: number; runs: number; cleared: string[]; reproduced: string[]; undetermined: string[] };
}

export interface JudgeOptions {
  /** SCTP traffic can be probed (the nodes' kernel has SCTP). */
  sctpTestable: boolean;
  /** The settle time of confirmation runs (reported). */
  confirmSettleMs?: number;
}

/** One step of a case as judged: its lane's cells of a suite step. */
interface CaseStepCells {
  name: string;
  cells: CellResult[];
  /** Step-level time (the whole step, every lane): runs without per-cell times. */
  stepTimeMs?: number;
  notTestable?: string;
}

/** A case step's time to enforce: its slowest cell (per-cell times), else the step's. */
function caseStepTime(s: CaseStepCells): number | undefined {
  if (s.cells.length === 0 || !s.cells.some((c) => c.enforcedAtMs !== undefined)) return s.stepTimeMs;
  if (s.cells.some((c) => c.enforcedAtMs === undefined)) return undefined;
  return Math.max(...s.cells.map((c) => c.enforcedAtMs!));
}

/** `profileKnown`: the engine simulated a profile of this CNI (detected, installed or given), so its predictions count. */
function judgeCase(c: ConformanceCase, steps: CaseStepCells[], lane: number, profileKnown = true): CaseVerdict {
  const deviations: Deviation[] = [];
  const engineDisagreements: string[] = [];
  let unjudged = 0;
  let judged = 0;
  /** Judged cells where the CNI did not do what the engine under its profile said. */
  let unpredicted = 0;
  const implCells = new Map<string, CellResult[]>();
  const implKey = (src: string, col: string) => `${src} -> ${col}`;
  for (const s of steps) {
    for (const cell of s.cells) {
      if (cell.simulated !== undefined && cell.simulated !== cell.expected) engineDisagreements.push(`${s.name}: ${cell.src} -> ${cell.col} spec ${cell.expected}, engine ${cell.simulated}`);
      const cls = cell.observed?.class;
      const v = cls ? verdictOf(cls) : undefined;
      if (!cls || v === undefined) {
        unjudged++;
        continue;
      }
      judged++;
      // The spec leaves this cell open: what was observed is reported, never a deviation.
      if (isImplementationDefined(c.implementationDefined, lane, cell.src, cell.col)) {
        implCells.set(implKey(cell.src, cell.col), [...(implCells.get(implKey(cell.src, cell.col)) ?? []), cell]);
        continue;
      }
      const predicted = profileKnown && (cell.engineUnknown === true || (cell.simulated !== undefined && cell.simulated === v));
      if (!predicted) unpredicted++;
      if (v !== cell.expected) deviations.push({ step: s.name, src: cell.src, col: cell.col, expected: cell.expected, observed: cls, ...(predicted ? { predicted: true as const } : {}) });
    }
  }
  const asPredicted = profileKnown && deviations.length > 0 && unpredicted === 0;
  const notTestable = steps.find((s) => s.notTestable !== undefined)?.notTestable;
  // A step the cluster cannot test (ClusterNetworkPolicy without tier enforcement) has no cells:
  // the case is "not testable" with that reason, never "conforms" or "deviates".
  const observations = implementationObservations(c.implementationDefined ?? [], lane, (src, col) => implCells.get(implKey(src, col)) ?? [], deviations.length, unjudged);
  const status: Status =
    notTestable !== undefined
      ? 'not testable'
      : deviations.length > 0
        ? 'deviates'
        : judged === 0 || unjudged > 0
          ? 'not testable'
          : observations.some((o) => o.observed !== 'undetermined')
            ? 'implementation-defined'
            : 'conforms';
  return {
    id: c.id,
    title: c.title,
    spec: c.spec,
    features: c.features,
    lane,
    status,
    ...(notTestable !== undefined ? { notTestableReason: notTestable } : {}),
    deviations,
    unjudged,
    engineDisagreements,
    ...(asPredicted ? { asProfilePredicts: true as const } : {}),
    timeToEnforceMs: steps.map(caseStepTime),
    ...(observations.length > 0 ? { implementationDefined: observations } : {}),
  };
}

/** Fewest refusals that prove a CNI rejects (a dropping CNI gives none: the battery's ports are open). */
export const REJECT_MIN_REFUSED = 3;

export function denyStyle(refused: number, timeout: number): DenyStyleObservation {
  const total = refused + timeout;
  // A dropping CNI never answers (every battery port is open, and a pod whose agent is down is
  // distrusted, not counted), so refusals prove rejection. The kernel rate-limits the ICMP errors of
  // a reject per destination host (net.ipv4.icmp_ratelimit: a burst of about 6, then 1 a second), so
  // a source probing dozens of denied targets at once sees most of them time out: the share of
  // refusals says how bursty the probing was, not how the CNI denies. A few refusals, at least 2%,
  // mean reject; none mean drop; a stray one or two among thousands stay "mixed".
  const style: DenyStyle = total === 0 ? 'unknown' : refused === 0 ? 'drop' : refused >= REJECT_MIN_REFUSED && refused >= 0.02 * total ? 'reject' : 'mixed';
  return { style, refused, timeout };
}

export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The profile switches the battery can observe, from the cases that show them. */
function observedSwitches(byId: Map<string, CaseVerdict>): Partial<CniProfile> {
  const o: Partial<CniProfile> = {};
  const st = (id: string) => byId.get(id)?.status;
  if (st('iso-ingress') === 'conforms' || st('iso-both') === 'conforms') o.enforces = true;
  else if (st('iso-ingress') === 'deviates' && byId.get('iso-ingress')!.deviations.every((d) => d.observed === 'connected')) o.enforces = false;
  if (o.enforces === false) return o;
  if (st('ipblock-pods') === 'conforms') o.ipBlockMatchesPodIPs = true;
  else if (byId.get('ipblock-pods')?.deviations.some((d) => d.expected === 'allow')) o.ipBlockMatchesPodIPs = false;
  if (st('ipblock-except-pods') === 'conforms') o.exceptSupported = true;
  else if (byId.get('ipblock-except-pods')?.deviations.some((d) => d.observed === 'connected')) o.exceptSupported = false;
  if (st('port-range') === 'conforms') o.endPortSupported = true;
  else if (byId.get('port-range')?.deviations.some((d) => d.expected === 'allow')) o.endPortSupported = false;
  return o;
}

function suggestProfile(observed: Partial<CniProfile>, cni: string): ConformanceReport['profile'] {
  const keys = Object.keys(observed) as (keyof CniProfile)[];
  const matching = Object.values(PROFILES)
    .filter((p) => keys.every((k) => p[k] === observed[k]))
    .map((p) => p.name);
  const suggested = matching.includes(cni) ? cni : matching[0];
  const unobserved = ['sctpSupported', 'hairpin', 'podToOwnNode', 'hostNetwork'].filter((k) => !(k in observed));
  const note =
    matching.length === 0
      ? `no engine profile matches the observed behaviour (${keys.map((k) => `${k}=${String(observed[k])}`).join(', ')}): add one in harness/policy/profiles.ts`
      : matching.length > 1
        ? `${matching.join(', ')} match what the battery observed (${keys.map((k) => `${k}=${String(observed[k])}`).join(', ')}); they differ only in switches it does not observe (${unobserved.join(', ')})`
        : `only ${matching[0]} matches (${keys.map((k) => `${k}=${String(observed[k])}`).join(', ')})`;
  return { observed, matching, ...(suggested ? { suggested } : {}), note };
}

function timingOf(change: ChangeKind, steps: number, samples: number[], total: number, basis: Timing['basis']): Timing {
  const ok = [...samples].sort((a, b) => a - b);
  const p50 = percentile(ok, 50);
  return { change, steps, basis, samples: total, never: total - ok.length, ...(p50 !== undefined ? { p50Ms: p50, p95Ms: percentile(ok, 95)!, maxMs: ok[ok.length - 1]! } : {}) };
}

/** A case's steps in one attempt: its round (0) or a confirmation run (its number). */
interface Attempt {
  lane: number;
  steps: CaseStepCells[];
}

/**
 * Which attempt judges each case (the one rule of confirm.ts): the first confirmation run that could
 * judge every cell decides, deviating again (`reproduced`) or not (`cleared`: the round's settle was
 * too short, the case is slow to enforce); runs that could not judge leave it `undetermined`, never
 * a deviation. A case without confirmation runs is judged on its round.
 */
function chooseAttempt(c: ConformanceCase, attempts: Map<number, Attempt>, profileKnown: boolean): { attempt: number; verdict: CaseVerdict } {
  const round = attempts.get(0);
  const first = judgeCase(c, round?.steps ?? [], round?.lane ?? 0, profileKnown);
  const reruns = [...attempts.keys()].filter((k) => k > 0).sort((a, b) => a - b);
  if (reruns.length === 0) return { attempt: 0, verdict: first };
  for (const k of reruns) {
    const a = attempts.get(k)!;
    const v = judgeCase(c, a.steps, a.lane, profileKnown);
    if (v.status === 'not testable') continue;
    const outcome = v.status === 'deviates' ? 'reproduced' : 'cleared';
    return {
      attempt: k,
      verdict: { ...v, confirmation: { runs: reruns.indexOf(k) + 1, outcome, roundDeviations: first.deviations.length }, ...(outcome === 'cleared' ? { slowToEnforce: true as const } : {}) },
    };
  }
  const why = `deviated in its round (${first.deviations.length} cell(s)), and ${reruns.length} confirmation run(s) alone could not judge every cell (probe errors): unconfirmed, so no verdict`;
  return {
    attempt: 0,
    verdict: { ...first, status: 'not testable', notTestableReason: why, deviations: [], confirmation: { runs: reruns.length, outcome: 'undetermined', roundDeviations: first.deviations.length } },
  };
}

export function judge(run: RunResult, cases: ConformanceCase[], stepMeta: GeneratedStep[], opts: JudgeOptions, leftOut: { case: ConformanceCase; reason: string }[] = []): ConformanceReport {
  const profileKnown = run.profileSource !== 'unknown';
  const profileName = run.profile ?? run.cluster?.cni ?? '';
  const caseById = new Map(cases.map((c) => [c.id, c]));
  // Each case's cells per attempt: its round (0) and any confirmation runs.
  const attemptsOf = new Map<string, Map<number, Attempt>>();
  run.steps.forEach((s, i) => {
    for (const part of stepMeta[i]?.cases ?? []) {
      if (part.change === undefined || !caseById.has(part.caseId)) continue;
      const byAttempt = attemptsOf.get(part.caseId) ?? new Map<number, Attempt>();
      const k = stepMeta[i]!.confirmation ?? 0;
      const a = byAttempt.get(k) ?? { lane: part.lane, steps: [] };
      a.steps.push({
        name: s.name,
        cells: s.cells.filter((cell) => caseSees(part, cell.src, cell.col)),
        ...(s.timeToEnforceMs !== undefined ? { stepTimeMs: s.timeToEnforceMs } : {}),
        ...(s.notTestable !== undefined ? { notTestable: s.notTestable } : {}),
      });
      byAttempt.set(k, a);
      attemptsOf.set(part.caseId, byAttempt);
    }
  });
  const chosen = new Map([...attemptsOf].map(([id, attempts]) => [id, chooseAttempt(caseById.get(id)!, attempts, profileKnown)]));

  const tally = { ingress: { refused: 0, timeout: 0 }, egress: { refused: 0, timeout: 0 } };
  const perCell = run.steps.some((s) => s.cells.some((c) => c.enforcedAtMs !== undefined));
  const samples = new Map<ChangeKind, { steps: number; times: number[]; total: number; atFirst: number }>();
  // The expected verdict each cell had when last probed, and the lanes probed so far: a change's
  // cells are those whose verdict it flips (or brings in); a fresh lane starts from default allow.
  const last = new Map<string, string>();
  const lanesSeen = new Set<number>();
  run.steps.forEach((s, i) => {
    const m = stepMeta[i];
    if (!m) return;
    for (const part of m.cases) {
      if (part.change === undefined) continue;
      const c = caseById.get(part.caseId);
      // Deny style and times come from the attempt that judges the case (a confirmed case's re-run).
      if (!c || chosen.get(c.id)?.attempt !== (m.confirmation ?? 0)) continue;
      const cells = s.cells.filter((cell) => caseSees(part, cell.src, cell.col));
      if (c.direction !== 'both') {
        for (const cell of cells) {
          const cls = cell.observed?.class;
          if (cell.expected === 'deny' && (cls === 'refused' || cls === 'timeout')) tally[c.direction][cls]++;
        }
      }
      const k = samples.get(part.change) ?? { steps: 0, times: [], total: 0, atFirst: 0 };
      k.steps++;
      if (perCell) {
        const fresh = !lanesSeen.has(part.lane);
        const changed = cells.filter((cell) => {
          const before = last.get(`${cell.src} ${cell.col}`) ?? (fresh ? 'allow' : undefined);
          return before !== cell.expected;
        });
        // A recreated pod keeps its verdicts under new addresses: all its case's cells are the sample.
        // A cell the spec leaves open has no verdict to enforce: it is no time-to-enforce sample.
        const basis = (part.change === 'pod-recreate' ? cells : changed).filter((cell) => !isImplementationDefined(c.implementationDefined, part.lane, cell.src, cell.col));
        k.total += basis.length;
        for (const cell of basis) {
          if (cell.enforcedAtMs === undefined) continue;
          k.times.push(cell.enforcedAtMs);
          if (s.firstProbeMs !== undefined && cell.enforcedAtMs <= s.firstProbeMs) k.atFirst++;
        }
      } else if (s.notTestable === undefined) {
        k.total++;
        if (s.timeToEnforceMs !== undefined) k.times.push(s.timeToEnforceMs);
      }
      samples.set(part.change, k);
    }
    for (const cell of s.cells) last.set(`${cell.src} ${cell.col}`, cell.expected);
    for (const part of m.cases) if (part.change !== undefined) lanesSeen.add(part.lane);
  });
  const verdicts = [
    ...cases.filter((c) => chosen.has(c.id)).map((c) => chosen.get(c.id)!.verdict),
    // Cases this cluster cannot test (e.g. no known Service CIDR to pin a ClusterIP in): not run.
    ...leftOut.map(({ case: c, reason }) => judgeCase(c, [{ name: c.id, cells: [], notTestable: reason }], 0)),
  ];
  const byId = new Map(verdicts.map((v) => [v.id, v]));

  const features: FeatureRow[] = [];
  for (const f of FEATURE_NAMES) {
    const vs = verdicts.filter((v) => v.features.includes(f));
    if (vs.length === 0) continue;
    const count = (s: Status) => vs.filter((v) => v.status === s).length;
    const deviating = vs.filter((v) => v.status === 'deviates').map((v) => {
      const d = v.deviations[0]!;
      const classes = [...new Set(v.deviations.map((x) => `${x.expected}->${x.observed}`))].join(', ');
      return `${v.id}: ${v.deviations.length} cell(s) (${classes}), e.g. ${d.src} -> ${d.col}${v.asProfilePredicts ? `, as the ${profileName} engine profile predicts` : ''}`;
    });
    const impl = count('implementation-defined');
    const status: Status = count('deviates') > 0 ? 'deviates' : impl > 0 ? 'implementation-defined' : count('conforms') > 0 ? 'conforms' : 'not testable';
    const row: FeatureRow = {
      feature: f,
      title: FEATURES[f],
      status,
      cases: { conforms: count('conforms'), deviates: count('deviates'), notTestable: count('not testable'), ...(impl > 0 ? { implementationDefined: impl } : {}) },
      deviating,
    };
    const observed = vs.flatMap((v) => (v.implementationDefined ?? []).map((o) => `${v.id}: ${o.cell} ${o.observed}${o.observed === o.typical ? ' (typical)' : ''}: ${o.reading}`));
    if (observed.length > 0) row.observed = observed;
    const slow = vs.filter((v) => v.slowToEnforce).map((v) => `${v.id}: slow to enforce, ${slowest(v)} (conformed when re-run alone)`);
    if (slow.length > 0) row.slow = slow;
    if (f === 'protocol-sctp' && !opts.sctpTestable) row.note = 'SCTP traffic not testable (the kernel has no SCTP); only that an SCTP rule isolates TCP/UDP is checked';
    const reason = vs.find((v) => v.notTestableReason !== undefined)?.notTestableReason;
    if (status === 'not testable' && reason !== undefined) row.note = reason;
    features.push(row);
  }

  const timing = [...samples].map(([change, k]) => ({ ...timingOf(change, k.steps, k.times, k.total, perCell ? 'cells' : 'steps'), ...(perCell ? { atFirstProbe: k.atFirst } : {}) }));
  // The packing is the battery's; confirmation runs are counted in `confirmation`.
  const packed = stepMeta.filter((m) => m.confirmation === undefined);
  const rounds = new Set(packed.map((m) => m.round)).size;
  const lanes = Math.max(0, ...packed.flatMap((m) => m.cases.map((c) => c.lane + 1)));

  const cl = run.cluster;
  return {
    schemaVersion: 1,
    cni: cl?.cni ?? 'unknown',
    ...(cl?.cniVersion ? { cniVersion: cl.cniVersion } : {}),
    ...(cl?.dataplane ? { dataplane: cl.dataplane } : {}),
    ...(cl?.cniEvidence ? { cniEvidence: cl.cniEvidence } : {}),
    ...(run.profile ? { engineProfile: { name: run.profile, source: run.profileSource ?? 'cni' } } : {}),
    ...(cl?.provider ? { provider: cl.provider } : {}),
    ...(run.finishedAt ? { durationMs: Date.parse(run.finishedAt) - Date.parse(run.startedAt) } : {}),
    cases: verdicts,
    features,
    denyStyle: { ingress: denyStyle(tally.ingress.refused, tally.ingress.timeout), egress: denyStyle(tally.egress.refused, tally.egress.timeout) },
    timing,
    ...(rounds > 0 ? { packing: { lanes, rounds, steps: packed.length, casesPerRound: Math.round((100 * verdicts.length) / rounds) / 100 } } : {}),
    profile: suggestProfile(observedSwitches(byId), cl?.cni ?? ''),
    ...confirmationSummary(verdicts, opts.confirmSettleMs),
  };
}

/** `15.8 s`: a case's slowest step, or `not within the settle time`. */
function slowest(v: CaseVerdict): string {
  const t = v.timeToEnforceMs;
  if (t.length === 0 || t.some((x) => x === undefined)) return 'not within the settle time';
  return `${(Math.max(...(t as number[])) / 1000).toFixed(1)} s`;
}

function confirmationSummary(verdicts: CaseVerdict[], settleMs: number | undefined): Pick<ConformanceReport, 'confirmation'> {
  const confirmed = verdicts.filter((v) => v.confirmation);
  if (confirmed.length === 0) return {};
  const ids = (o: string) => confirmed.filter((v) => v.confirmation!.outcome === o).map((v) => v.id);
  return {
    confirmation: {
      ...(settleMs !== undefined ? { settleMs } : {}),
      cases: confirmed.length,
      runs: confirmed.reduce((n, v) => n + v.confirmation!.runs, 0),
      cleared: ids('cleared'),
      reproduced: ids('reproduced'),
      undetermined: ids('undetermined'),
    },
  };
}

/** The answer when the enforcement canary failed: nothing was run, the CNI enforces nothing. */
export function notEnforcingReport(cni: string, provider: string, why: string): ConformanceReport {
  const unknown: DenyStyleObservation = { style: 'unknown', refused: 0, timeout: 0 };
  return {
    schemaVersion: 1,
    cni,
    provider,
    cases: [],
    features: [],
    denyStyle: { ingress: unknown, egress: { ...unknown } },
    timing: [],
    profile: { observed: { enforces: false }, matching: ['none'], suggested: 'none', note: 'the enforcement canary failed' },
    notEnforcing: why,
  };
}
