// Turns battery cases into one ordinary suite (same schema, built in memory) for the existing run
// path: cases are packed into rounds, one case per lane (lanes.ts); a round's steps change every
// one of its cases at once; the first step of a round removes what the previous round left applied.
// The step -> cases map lets the verdict table find each case's cells (its lane's) again.
import { InputError, UsageError } from '../errors.js';
import type { SourcedClusterPolicy } from '../policy/cnp/types.js';
import type { SourcedPolicy } from '../policy/types.js';
import type { LoadedSuite } from '../suite/load.js';
import { Suite, type StepSpec, type SuiteInput } from '../suite/schema.js';
import { isError, validateLoaded } from '../suite/validate.js';
import { battery, type CaseContext, type ChangeKind, type ConformanceCase, type Rule } from './cases.js';
import type { Feature } from './features.js';
import { inLane, laneDefaultAllow, lanePolicy, laneRule, laneStep, pack, type Round } from './lanes.js';
import { EXTERNAL, SERVICE_BACKEND_ID, topology } from './topology.js';
import { staticServiceIP } from '../suite/service-ips.js';

export const DEFAULT_POD_SUBNET = '192.168.0.0/16';
/** The kind cluster's Service CIDR (the suite default). */
export const DEFAULT_SERVICE_SUBNET = '10.96.0.0/12';

/** A case's part in one suite step. `change` absent: the case is done and only keeps its state. */
export interface StepCase {
  caseId: string;
  lane: number;
  change?: ChangeKind;
  /** The case probes y/svc through its Service (only such cases see y/svc's cells). */
  throughService?: true;
}

export interface GeneratedStep {
  round: number;
  cases: StepCase[];
  /** A confirmation run (confirm.ts): its number in the run, from 1; its one case re-run alone. */
  confirmation?: number;
}

export interface GeneratedBattery {
  loaded: LoadedSuite;
  cases: ConformanceCase[];
  /** Per suite step (same index): the round and each case's part in it. */
  steps: GeneratedStep[];
  rounds: Round[];
  lanes: number;
  /** Selected cases this cluster cannot test, with the reason (reported "not testable"). */
  leftOut: { case: ConformanceCase; reason: string }[];
  /** Policy set ids still applied after the last step (the next round, or a confirmation run, removes them). */
  applied: string[];
  /** What the cases were written against (addresses.ts rewrites pod-addressed ones from observed IPs). */
  context: CaseContext;
  /** Each policy set id's case, local set name and lane. */
  setOrigins: Map<string, SetOrigin>;
}

export interface SetOrigin {
  caseId: string;
  local: string;
  lane: number;
}

export interface GenerateOptions extends Partial<CaseContext> {
  /** Keep only the cases tagged with one of these features. */
  focus?: Feature[];
  /**
   * false: no outside container (existing clusters): the cases about it are left out, and the other
   * cases' cells toward it are not expected.
   */
  externals?: boolean;
  /** Lanes (copies of the topology) whose cases share a round; default DEFAULT_LANES. */
  lanes?: number;
  /**
   * The cluster's Service CIDR (default DEFAULT_SERVICE_SUBNET); null: unknown (an existing
   * cluster), so the cases pinning a ClusterIP are left out as not testable.
   */
  serviceSubnet?: string | null;
}

export const SERVICE_SUBNET_UNKNOWN =
  "the cluster's Service CIDR is unknown (--provider existing), so no ClusterIP can be pinned for the ipBlock to name: pass --service-subnet <cidr>";

const aboutExternal = (pattern: string): boolean => pattern.includes('external:');

/** 4 lanes: 36 pods, about what a 2-core kind cluster deploys in a minute. */
export const DEFAULT_LANES = 4;
export const MAX_LANES = 8;

const FILE = '<conformance battery>';

const setId = (c: ConformanceCase, local: string): string => (local === 'main' ? c.id : `${c.id}-${local}`);

export function selectCases(all: ConformanceCase[], focus?: Feature[]): ConformanceCase[] {
  if (!focus || focus.length === 0) return all;
  return all.filter((c) => c.features.some((f) => focus.includes(f)));
}

/** The expectation rules of case step `t` (a finished case keeps its last) in its lane, scoped or not (lanes.ts laneRule). */
export function caseRules(c: ConformanceCase, lane: number, t: number, scoped: boolean, lanes = 1): Rule[] {
  const s = c.steps[Math.min(t, c.steps.length - 1)]!;
  return s.expect.flatMap((r) => laneRule(r, lane, scoped, lanes));
}

const toExpectRule = ([verdict, pattern]: Rule) => (verdict === 'allow' ? { allow: pattern } : { deny: pattern });

/** Is the cell one of this case part's? Inside its lane; y/svc's cells only for the cases about it. */
export function caseSees(part: StepCase, src: string, col: string): boolean {
  return inLane(src, col, part.lane) && (part.throughService === true || (src !== SERVICE_BACKEND_ID && !col.startsWith(`${SERVICE_BACKEND_ID}:`)));
}

/** Does this suite step probe the cell? Only cells of the cases that change in it. */
export function cellInStep(meta: GeneratedStep | undefined, src: string, col: string): boolean {
  return meta?.cases.some((c) => c.change !== undefined && caseSees(c, src, col)) ?? false;
}

/** Builds the battery suite; throws InputError if the generated suite does not validate (a bug here). */
export function generateBattery(opts: GenerateOptions = {}): GeneratedBattery {
  const podSubnet = opts.podSubnet ?? DEFAULT_POD_SUBNET;
  const withExternal = opts.externals !== false;
  const lanes = opts.lanes ?? DEFAULT_LANES;
  const serviceSubnet = opts.serviceSubnet === undefined ? DEFAULT_SERVICE_SUBNET : opts.serviceSubnet;
  // The cases are written even when the CIDR is unknown (then left out with the reason).
  const serviceIP = staticServiceIP(serviceSubnet ?? DEFAULT_SERVICE_SUBNET);
  const selected = selectCases(battery({ podSubnet, serviceIP }), opts.focus).filter((c) => withExternal || !c.features.includes('ipblock-external'));
  const cases = selected.filter((c) => serviceSubnet !== null || !c.throughService);
  const leftOut = selected.filter((c) => !cases.includes(c)).map((c) => ({ case: c, reason: SERVICE_SUBNET_UNKNOWN }));
  if (cases.length === 0 && leftOut.length > 0) throw new UsageError(`--focus: none of the selected cases can run here: ${SERVICE_SUBNET_UNKNOWN}`);
  return { ...suiteOfRounds(cases, pack(cases, lanes), podSubnet, lanes, withExternal, serviceSubnet ?? undefined), leftOut };
}

/** One round as suite steps: its policy sets, steps and step -> cases map. */
interface RoundParts {
  refs: NonNullable<SuiteInput['policies']>;
  policies: Map<string, SourcedPolicy[]>;
  clusterPolicies: Map<string, SourcedClusterPolicy[]>;
  steps: StepSpec[];
  meta: GeneratedStep[];
  /** Set ids applied after its last step. */
  applied: string[];
  origins: Map<string, SetOrigin>;
}

interface RoundNaming {
  /** Prefix of set ids and step names (a confirmation run's, so its sets and steps are new). */
  prefix: string;
  confirmation?: number;
}

/**
 * The steps of round `r`: each step changes every case of the round in its lane; the first removes
 * `leftover` (what the previous round left applied).
 */
function roundParts(round: Round, r: number, leftover: readonly string[], withExternal: boolean, naming: RoundNaming = { prefix: '' }): RoundParts {
  const out: RoundParts = { refs: [], policies: new Map(), clusterPolicies: new Map(), steps: [], meta: [], applied: [], origins: new Map() };
  const setOf = (c: ConformanceCase, local: string): string => `${naming.prefix}${setId(c, local)}`;
  const applied = new Set<string>();
  for (const { case: c, lane } of round.cases) {
    for (const local of new Set([...Object.keys(c.sets), ...Object.keys(c.clusterSets ?? {})])) {
      const id = setOf(c, local);
      const file = `${FILE} ${c.id}/${local}.yaml`;
      out.refs.push({ id, file: `${c.id}/${local}.yaml` });
      out.origins.set(id, { caseId: c.id, local, lane });
      out.policies.set(id, (c.sets[local] ?? []).map((policy, docIndex) => ({ policy: lanePolicy(policy, lane), setId: id, file, docIndex })));
      const cluster = c.clusterSets?.[local] ?? [];
      if (cluster.length > 0) {
        if (lane !== 0) throw new Error(`conformance: cluster policy case ${c.id} packed into lane ${lane}; tier cases run alone in lane 0`);
        out.clusterPolicies.set(id, cluster.map((policy, docIndex) => ({ policy: structuredClone(policy), setId: id, file, docIndex: (c.sets[local]?.length ?? 0) + docIndex })));
      }
    }
  }
  const single = round.cases.length === 1 ? round.cases[0]!.case : undefined;
  for (let t = 0; t < round.steps; t++) {
    const active = round.cases.filter(({ case: c }) => t < c.steps.length).map(({ case: c, lane }) => ({ c, lane, s: laneStep(c.steps[t]!, lane) }));
    const apply = active.flatMap(({ c, s }) => (s.apply ?? []).map((l) => setOf(c, l)));
    const remove = [...(t === 0 ? leftover : []), ...active.flatMap(({ c, s }) => (s.remove ?? []).map((l) => setOf(c, l)))];
    for (const x of remove) applied.delete(x);
    for (const a of apply) applied.add(a);
    const name = single ? (single.steps.length === 1 ? single.id : `${single.id}-${t + 1}`) : round.steps === 1 ? `round-${r + 1}` : `round-${r + 1}-${t + 1}`;
    const create = active.flatMap(({ s }) => s.create ?? []);
    const del = active.flatMap(({ s }) => s.delete ?? []);
    const recreate = active.flatMap(({ s }) => s.recreate ?? []);
    out.steps.push({
      name: `${naming.prefix}${name}`,
      description: round.cases.map(({ case: c, lane }) => `${c.id}${lane > 0 ? ` (lane ${lane})` : ''}: ${c.title} (${c.spec.join(', ')})`).join('; '),
      apply,
      remove,
      labels: active.flatMap(({ s }) => s.labels ?? []),
      ...(create.length > 0 ? { create } : {}),
      ...(del.length > 0 ? { delete: del } : {}),
      ...(recreate.length > 0 ? { recreate } : {}),
      // Inside each lane: default allow, then the case's rules; cells across lanes are the engine's
      // (they are neither probed nor judged, lanes.ts).
      expect: {
        default: 'simulated',
        rules: round.cases
          .flatMap(({ case: c, lane }) => [...laneDefaultAllow(lane, EXTERNAL), ...caseRules(c, lane, t, true)])
          .filter(([, p]) => withExternal || !aboutExternal(p))
          .map(toExpectRule),
      },
    });
    out.meta.push({
      round: r,
      cases: round.cases.map(({ case: c, lane }) => ({ caseId: c.id, lane, ...(t < c.steps.length ? { change: c.steps[t]!.change } : {}), ...(c.throughService ? { throughService: true as const } : {}) })),
      ...(naming.confirmation !== undefined ? { confirmation: naming.confirmation } : {}),
    });
  }
  out.applied = [...applied];
  return out;
}

/** A confirmation run: the case alone in its lane, in new steps after the battery's (confirm.ts). */
export function confirmationRound(c: ConformanceCase, lane: number, n: number, leftover: readonly string[], withExternal: boolean): Omit<RoundParts, 'refs'> {
  return roundParts({ cases: [{ case: c, lane }], steps: c.steps.length }, -1, leftover, withExternal, { prefix: `confirm-${n}-`, confirmation: n });
}

/** The suite for cases already packed into rounds (generateBattery packs with lanes.ts). */
export function suiteOfRounds(cases: ConformanceCase[], rounds: Round[], podSubnet: string, lanes: number, withExternal = true, serviceSubnet?: string): GeneratedBattery {
  const policies = new Map<string, SourcedPolicy[]>();
  const clusterPolicies = new Map<string, SourcedClusterPolicy[]>();
  const refs: NonNullable<SuiteInput['policies']> = [];
  const steps: StepSpec[] = [];
  const meta: GeneratedStep[] = [];
  const setOrigins = new Map<string, SetOrigin>();
  let leftover: string[] = [];
  rounds.forEach((round, r) => {
    const parts = roundParts(round, r, leftover, withExternal);
    refs.push(...parts.refs);
    for (const [k, v] of parts.origins) setOrigins.set(k, v);
    for (const [k, v] of parts.policies) policies.set(k, v);
    for (const [k, v] of parts.clusterPolicies) clusterPolicies.set(k, v);
    steps.push(...parts.steps);
    meta.push(...parts.meta);
    leftover = parts.applied;
  });
  const serviceIP = cases.find((c) => c.throughService)?.throughService?.clusterIP;
  const joinerLanes = rounds.flatMap((r) => r.cases.filter(({ case: c }) => c.joiner).map(({ lane }) => lane));
  const input: SuiteInput = {
    ...topology({
      podSubnet,
      joiner: false,
      lanes: Math.max(1, ...rounds.map((r) => r.cases.length)),
      joinerLanes,
      externals: withExternal,
      ...(serviceSubnet ? { serviceSubnet } : {}),
      ...(serviceIP ? { serviceIP } : {}),
    }),
    metadata: { name: 'conformance', description: `NetworkPolicy conformance battery: ${cases.length} cases in ${rounds.length} rounds over ${lanes} lane(s)` },
    policies: refs,
    steps,
  };
  const suite = Suite.parse(input);
  const loaded: LoadedSuite = { file: FILE, dir: '.', suite, lineOf: () => undefined, policies, ...(clusterPolicies.size > 0 ? { clusterPolicies } : {}) };
  const problems = validateLoaded(loaded).filter(isError);
  if (problems.length > 0) throw new InputError(problems);
  return { loaded, cases, steps: meta, rounds, lanes, leftOut: [], applied: leftover, context: { podSubnet, ...(serviceIP ? { serviceIP } : {}) }, setOrigins };
}
