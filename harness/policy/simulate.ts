// What the policies imply for a suite step: the full matrix (connection and DNS columns) with an
// explanation per cell, and the expectation matrix for `expect: simulated` / `default: simulated`.
import type { Explanation } from '../diff/result.js';
import type { Column } from '../matrix/axes.js';
import { expandExpectation, type ExpectedCell } from '../matrix/expect.js';
import { Matrix, type Verdict } from '../matrix/matrix.js';
import { axesAtStep } from '../matrix/step-axes.js';
import { labelUncertainty } from '../suite/in-place.js';
import type { LoadedSuite } from '../suite/load.js';
import { evaluateIn, type EvalResult } from './evaluate.js';
import type { EngineVerdict } from './model.js';
import { calico, DEFAULT_PROFILE, profileByName, type CniProfile } from './profiles.js';
import { computeReachability, type PortSpec } from './reach.js';
import { gatewayNode, suiteModel, type SuiteModelOptions } from './suite-model.js';
import { evaluateNatted, type NatPath } from './nat.js';
import { ipBlockLines } from './explain.js';
import { prepare, type World } from './world.js';

export interface SimulateOptions extends SuiteModelOptions {
  /** Default: the profile named by the suite's `cluster.cni`. */
  profile?: CniProfile;
  /**
   * Connection cells to explain (default: all). The others take the bulk engine's verdict with no
   * explanation: same semantics, a fraction of the time (conformance lanes: cells nobody probes).
   */
  explain?: (src: string, colKey: string) => boolean;
}

export interface SimCell {
  verdict: Verdict;
  explanation: Explanation;
  /** The engine's own answer: `unknown` when the profile cannot enforce it (then `verdict` is what the policies say). */
  engineVerdict: EngineVerdict;
  /** Assumptions the verdict rests on (e.g. pod IPs unknown offline). */
  uncertain?: string[];
}

export const DNS_PORT: PortSpec = { port: 53, protocol: 'UDP' };

/** The suite's `cluster.profile`, else the profile of its `cluster.cni`. */
export function profileForSuite(loaded: LoadedSuite): CniProfile {
  return profileByName(loaded.suite.cluster.profile ?? loaded.suite.cluster.cni) ?? DEFAULT_PROFILE;
}

/** Where a run's profile came from; `unknown`: the CNI has no profile and none was given. */
export type ProfileSource = 'flag' | 'suite' | 'cni' | 'unknown';

export interface RunProfile {
  profile: CniProfile;
  source: ProfileSource;
}

/**
 * The profile a run simulates with, and why: `--cni` (on an existing cluster an explicit profile
 * override), else the suite's `cluster.profile`, else the CNI's (installed, or detected on an existing
 * cluster). A CNI without a profile (Cilium, or none recognised) is simulated with the default
 * profile but marked `unknown`: what the engine then predicts is no statement about that CNI. Under
 * `none` the simulation still says what the policies mean (Calico semantics), so a CNI that ignores
 * them shows up as enforcement mismatches.
 */
export function runProfile(loaded: LoadedSuite, cni: string, flag?: string): RunProfile {
  const byCni = (name: string): CniProfile | undefined => (name === 'none' ? calico : profileByName(name));
  if (flag !== undefined) return { profile: byCni(flag) ?? DEFAULT_PROFILE, source: 'flag' };
  const named = loaded.suite.cluster.profile;
  if (named) return { profile: profileByName(named) ?? DEFAULT_PROFILE, source: 'suite' };
  const p = byCni(cni);
  return p ? { profile: p, source: 'cni' } : { profile: DEFAULT_PROFILE, source: 'unknown' };
}

/** runProfile's profile, for a run whose CNI was installed (`cniFlag`: chosen with --cni). */
export function profileForRun(loaded: LoadedSuite, installedCni: string, cniFlag: boolean): CniProfile {
  return runProfile(loaded, installedCni, cniFlag ? installedCni : undefined).profile;
}

function toCell(r: EvalResult, matrixVerdict: EngineVerdict, where: string): SimCell {
  if (r.verdict !== matrixVerdict) {
    // Two engines, one semantics: a disagreement is a bug in the engine, never a property of the suite.
    throw new Error(`internal error: policy engine disagreement on ${where} (matrix ${matrixVerdict}, evaluator ${r.verdict})`);
  }
  const verdict: Verdict = r.verdict === 'allow' || r.verdict === 'deny' ? r.verdict : (r.policyVerdict ?? 'deny');
  return { verdict, explanation: r.explanation, engineVerdict: r.verdict, ...(r.uncertain.length > 0 ? { uncertain: r.uncertain } : {}) };
}

/** An external source's cell also names the ipBlocks its address (or each post-NAT source) matched, or that none did. */
export function withIpBlocks<T extends { explanation: Explanation }>(cell: T, r: EvalResult, world: World, src: string): T {
  const ip = world.externals.get(src)?.ip;
  const lines = ipBlockLines(r, ip !== undefined ? `${src} (${ip})` : src);
  return { ...cell, explanation: { ...cell.explanation, details: [...cell.explanation.details, ...lines] } };
}

/** How a cell from an external source reaches a workload through a node (externals[].via service or nodeport); undefined: directly. */
export function natPathOf(loaded: LoadedSuite, from: string, to: string): NatPath | undefined {
  const ext = loaded.suite.externals.find((e) => e.source && `external:${e.name}` === from);
  if (ext?.via === undefined || ext.via === 'pod') return undefined;
  return loaded.suite.workloads.some((w) => `${w.namespace}/${w.name}` === to) ? ext.via : undefined;
}

/** The simulated matrix of one step (0-based index), every cell explained. */
export function simulateStep(loaded: LoadedSuite, stepIndex: number, opts: SimulateOptions = {}): Matrix<SimCell> {
  const profile = opts.profile ?? profileForSuite(loaded);
  // Only what is present at this step has cells (presence.ts).
  const axes = axesAtStep(loaded.suite, stepIndex);
  const { model, dnsPods } = suiteModel(loaded, stepIndex, opts);
  const conn = axes.columns.filter((c): c is Extract<Column, { kind: 'conn' }> => c.kind === 'conn');
  const portKeys = new Map<string, PortSpec>();
  for (const c of conn) portKeys.set(`${c.port}/${c.protocol}`, { port: c.port, protocol: c.protocol });
  portKeys.set(`${DNS_PORT.port}/${DNS_PORT.protocol}`, DNS_PORT);
  const destinations = [...new Set([...axes.destinations.map((d) => d.id), ...dnsPods])];
  const reach = computeReachability(model, { sources: axes.sources.map((s) => s.id), destinations, ports: [...portKeys.values()] }, profile);
  const world = prepare(model, profile);
  const m = new Matrix<SimCell>(axes);
  const unknownLabels = labelUncertainty(loaded.suite);
  for (const { src, col } of m.cells()) {
    const nat = col.kind === 'conn' ? natPathOf(loaded, src.id, col.dst) : undefined;
    if (col.kind === 'conn' && nat) {
      // From outside the cluster through a node: source-NATed, judged for every source the backend may see.
      const r = evaluateNatted(world, { from: src.id, to: col.dst, port: col.port, protocol: col.protocol, path: nat, gateway: opts.gateway ?? gatewayNode(loaded.suite) });
      m.set(src.id, col.key, withIpBlocks(toCell(r, r.verdict, `${src.id} -> ${col.key}`), r, world, src.id));
      continue;
    }
    if (col.kind === 'conn') {
      const bulk = opts.explain && !opts.explain(src.id, col.key) ? reach.get(src.id, col.dst, col.port, col.protocol) : undefined;
      if (bulk === 'allow' || bulk === 'deny') {
        m.set(src.id, col.key, { verdict: bulk, explanation: { summary: `${bulk} (bulk engine; this cell is not explained)`, details: [] }, engineVerdict: bulk });
        continue;
      }
      const r = evaluateIn(world, { from: src.id, to: col.dst, port: col.port, protocol: col.protocol });
      let cell = toCell(r, reach.get(src.id, col.dst, col.port, col.protocol), `${src.id} -> ${col.key}`);
      if (src.kind === 'external') cell = withIpBlocks(cell, r, world, src.id);
      const notes = [unknownLabels.get(src.id), unknownLabels.get(col.dst)].filter((n): n is string => n !== undefined);
      m.set(src.id, col.key, notes.length > 0 ? { ...cell, uncertain: [...(cell.uncertain ?? []), ...notes] } : cell);
      continue;
    }
    // DNS: resolution works iff some CoreDNS pod may be reached on UDP/53 (source egress and CoreDNS ingress).
    const results = dnsPods.map((d) => ({ pod: d, r: evaluateIn(world, { from: src.id, to: d, ...DNS_PORT }), v: reach.get(src.id, d, DNS_PORT.port, DNS_PORT.protocol) }));
    for (const x of results) toCell(x.r, x.v, `${src.id} -> ${x.pod}:53/UDP`);
    const ok = results.find((x) => x.r.verdict === 'allow') ?? results[0]!;
    const summary = `${ok.r.verdict === 'allow' ? 'resolves' : 'fails'}: DNS needs ${src.id} -> ${ok.pod}:53/UDP, ${ok.r.explanation.summary}`;
    const details = [...ok.r.explanation.details];
    if (results.length > 1) details.push(`CoreDNS pods: ${results.map((x) => `${x.pod} ${x.r.verdict}`).join(', ')}`);
    const cell = toCell(ok.r, ok.v, `${src.id} -> ${col.key}`);
    m.set(src.id, col.key, { ...cell, explanation: { summary, details } });
  }
  return m;
}

/** A step's expectation as a full matrix; `simulated` cells come from `simulateStep` (or `simulated`, when the caller has it). */
export function expectedMatrix(loaded: LoadedSuite, stepIndex: number, opts: SimulateOptions = {}, simulated?: Matrix<SimCell>): Matrix<ExpectedCell> {
  const step = loaded.suite.steps[stepIndex];
  if (!step) throw new RangeError(`step ${stepIndex} does not exist (the suite has ${loaded.suite.steps.length})`);
  let sim: Matrix<SimCell> | undefined = simulated;
  return expandExpectation(step.expect, axesAtStep(loaded.suite, stepIndex), (src, colKey) => {
    sim ??= simulateStep(loaded, stepIndex, opts);
    const cell = sim.get(src.id, colKey);
    if (!cell) throw new Error(`no simulated cell ${src.id} -> ${colKey}`);
    return cell.verdict;
  });
}
