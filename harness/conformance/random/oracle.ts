// The engine's side of random mode: what a policy set implies for given cells (with the pod and
// external addresses of the run, so ipBlocks are judged on real IPs), the cells where a run's
// observation deviates from the simulation, and where the chosen CNI profile and upstream
// semantics disagree. Pure.
import { verdictOf, type ObservedClass, type StepResult } from '../../diff/result.js';
import type { Verdict } from '../../matrix/matrix.js';
import { evaluateIn, type EvalResult } from '../../policy/evaluate.js';
import type { CniProfile } from '../../policy/profiles.js';
import { upstream } from '../../policy/profiles.js';
import { suiteModel } from '../../policy/suite-model.js';
import type { NetworkPolicy } from '../../policy/types.js';
import { prepare } from '../../policy/world.js';
import type { LoadedSuite } from '../../suite/load.js';
import { loadedOfSets, sourced, type SuiteOfSets } from './generate.js';

/** One probed cell: source endpoint and column key (`x/b:80/TCP`, `external:ext:80/TCP`). */
export interface CellRef {
  src: string;
  col: string;
}

export interface CellDeviation extends CellRef {
  simulated: Verdict;
  observed: ObservedClass;
}

export const cellKey = (c: CellRef): string => `${c.src} -> ${c.col}`;

/** Column key -> destination, port, protocol. */
export function parseCol(col: string): { dst: string; port: number; protocol: 'TCP' | 'UDP' | 'SCTP' } {
  const m = /^(.+):(\d+)\/(TCP|UDP|SCTP)$/.exec(col);
  if (!m) throw new Error(`not a connection column: ${col}`);
  return { dst: m[1]!, port: Number(m[2]), protocol: m[3] as 'TCP' | 'UDP' | 'SCTP' };
}

/**
 * Cells whose observed verdict differs from the simulated one (unjudged probes left out, and cells
 * the engine calls unknown under the profile, e.g. kube-router's order-dependent named ports).
 */
export function deviationsOf(step: Pick<StepResult, 'cells'>): CellDeviation[] {
  const out: CellDeviation[] = [];
  for (const c of step.cells) {
    const v = c.observed ? verdictOf(c.observed.class) : undefined;
    if (v === undefined || c.simulated === undefined || v === c.simulated || c.engineUnknown) continue;
    out.push({ src: c.src, col: c.col, simulated: c.simulated, observed: c.observed!.class });
  }
  return out;
}

export interface OracleContext {
  cni: SuiteOfSets['cni'];
  profile: CniProfile;
  /** Endpoint id -> IP from the run (pods and externals); offline tests may leave it empty. */
  addresses: ReadonlyMap<string, string>;
  podSubnet?: string;
}

const skeletons = new Map<string, LoadedSuite>();

function evaluator(policies: NetworkPolicy[], ctx: OracleContext, profile: CniProfile): (c: CellRef) => EvalResult {
  // The one-step suite is the same for every candidate: parse it once, swap the policies in.
  const key = `${ctx.cni} ${ctx.podSubnet ?? ''}`;
  let skeleton = skeletons.get(key);
  if (!skeleton) skeletons.set(key, (skeleton = loadedOfSets({ name: 'oracle', cni: ctx.cni, ...(ctx.podSubnet ? { podSubnet: ctx.podSubnet } : {}), sets: [{ id: 'candidate', policies: [] }] })));
  const loaded = { ...skeleton, policies: new Map([['candidate', sourced('candidate', policies)]]) };
  const world = prepare(suiteModel(loaded, 0, { addresses: ctx.addresses }).model, profile);
  return (c) => {
    const { dst, port, protocol } = parseCol(c.col);
    return evaluateIn(world, { from: c.src, to: dst, port, protocol });
  };
}

const verdictOfEval = (r: EvalResult): Verdict => (r.verdict === 'allow' || r.verdict === 'deny' ? r.verdict : (r.policyVerdict ?? 'deny'));

/**
 * What the engine says about these cells, with why (per direction: not isolated, allowed by a
 * rule, no rule, except): a shrunk set must keep both, so an allowed cell stays allowed by a rule
 * rather than by no policy at all (which would likely lose the CNI's deviation).
 */
export function signatures(policies: NetworkPolicy[], cells: CellRef[], ctx: OracleContext): string[] {
  const ev = evaluator(policies, ctx, ctx.profile);
  return cells.map((c) => {
    const r = ev(c);
    return `${verdictOfEval(r)} egress:${r.egress?.reason ?? '-'} ingress:${r.ingress?.reason ?? '-'}`;
  });
}

/** Cells where upstream semantics and the chosen profile disagree (implementation-defined corners). */
export function profileVsUpstream(policies: NetworkPolicy[], cells: CellRef[], ctx: OracleContext): (CellRef & { profile: Verdict; upstream: Verdict })[] {
  if (ctx.profile.name === upstream.name) return [];
  const mine = evaluator(policies, ctx, ctx.profile);
  const theirs = evaluator(policies, ctx, upstream);
  const out: (CellRef & { profile: Verdict; upstream: Verdict })[] = [];
  for (const c of cells) {
    const a = verdictOfEval(mine(c));
    const b = verdictOfEval(theirs(c));
    if (a !== b) out.push({ ...c, profile: a, upstream: b });
  }
  return out;
}

/**
 * The cells a shrunk set must keep as they are: every port between the endpoint pairs of the
 * deviating cells. Keeping the deviating cells alone lets a deny stay a deny for another reason
 * (a rule for the port dropped, isolation left); keeping their neighbours' verdicts too holds on
 * to the rules that made the difference (e.g. `port: serve` still opening 81 where 80 deviated).
 */
export function contextCells(deviating: CellRef[], all: CellRef[]): CellRef[] {
  const pairs = new Set(deviating.map((d) => `${d.src} ${parseCol(d.col).dst}`));
  return all.filter((c) => !c.col.startsWith('dns:') && pairs.has(`${c.src} ${parseCol(c.col).dst}`));
}
