// Random mode on a cluster: n generated sets as the steps of one suite (one cluster, one
// deployment), each expected as the engine simulates it under the CNI's profile; for every set
// whose observation deviates, shrink it with the engine (every cell between the deviating cells'
// endpoints keeps its simulated verdict and its reason), confirm the shrunk set on the same cluster (bounded runs, bisecting back
// towards the generated set when a smaller one does not reproduce), and write it out as a suite.
import type { StepResult } from '../../diff/result.js';
import { InputError } from '../../errors.js';
import { profileForRun } from '../../policy/simulate.js';
import type { NetworkPolicy } from '../../policy/types.js';
import type { HarnessSession } from '../../run/session.js';
import type { LoadedSuite } from '../../suite/load.js';
import { StepSpec } from '../../suite/schema.js';
import { isError, validateLoaded } from '../../suite/validate.js';
import { generateSet, loadedOfSets, setName, sourced, type RandomOptions, type SuiteOfSets } from './generate.js';
import { cellKey, contextCells, deviationsOf, profileVsUpstream, signatures, type CellDeviation, type CellRef, type OracleContext } from './oracle.js';
import { confirmAlongChain, setSize, shrink } from './shrink.js';
import { writeRepro } from './write.js';
import { DEFAULT_CONFIRM_RUNS } from '../confirm.js';

export interface SetOutcome {
  set: string;
  index: number;
  cells: number;
  deviations: CellDeviation[];
  /** Cells where the CNI profile and upstream semantics disagree (engine only). */
  profileVsUpstream: number;
  /** Deviating sets only. */
  shrunk?: {
    sizeBefore: number;
    sizeAfter: number;
    policiesBefore: number;
    policiesAfter: number;
    /** Engine evaluations while shrinking. */
    tries: number;
    confirmRuns: { size: number; reproduced: boolean }[];
    /** The written set deviated again when rerun on the cluster (false: seen once only, perhaps a timing blip). */
    confirmed: boolean;
    suiteFile: string;
    repro: string;
  };
}

export interface RandomReport {
  /** random.json's format (report-schema.ts; schema/conformance-random.schema.json). */
  schemaVersion: 1;
  seed: number;
  sets: number;
  cni: string;
  profile: string;
  namedPorts: boolean;
  cells: number;
  /** Sets whose deviation was confirmed (seen again on a confirmation run): the exit code's. */
  deviatingSets: number;
  /** Sets that deviated once but never on a confirmation run: slow to enforce or a blip, not counted. */
  unconfirmedSets?: number;
  outcomes: SetOutcome[];
  durationMs: number;
}

export interface DriveOptions extends RandomOptions {
  n: number;
  /** The CNI the suite names (the session may override it with --cni). */
  cni: SuiteOfSets['cni'];
  /** --cni was given (the run simulates the installed CNI's profile). */
  cniFlag: boolean;
  /** Where `<seed>-<i>/suite.yaml` go. */
  reproDir: string;
  /** Cluster runs per deviating set to confirm the shrunk set (default DEFAULT_CONFIRM_RUNS). */
  confirmRuns?: number;
  /** Settle time of each confirmation run (confirm.ts confirmSettleMs; default: the session's). */
  confirmSettleMs?: number;
  /** How to rerun a written suite (printed): the CLI's name and flags. */
  reproCommand: (suiteFile: string) => string;
  log: (line: string) => void;
}

/** The random suite, validated (a generator bug if not). */
export function buildRandomSuite(opts: DriveOptions): LoadedSuite {
  const sets = Array.from({ length: opts.n }, (_, i) => ({ id: setName(i), policies: generateSet(i, opts), description: `random set ${i + 1} of seed ${opts.seed}` }));
  const loaded = loadedOfSets({ name: `random-${opts.seed}`, cni: opts.cni, ...(opts.podSubnet ? { podSubnet: opts.podSubnet } : {}), sets });
  const problems = validateLoaded(loaded).filter(isError);
  if (problems.length > 0) throw new InputError(problems, 'the random generator produced an invalid set: a bug, please report it with the seed');
  return loaded;
}

const valid = (policies: NetworkPolicy[], cni: SuiteOfSets['cni']): boolean =>
  policies.length > 0 && validateLoaded(loadedOfSets({ name: 'candidate', cni, sets: [{ id: 'candidate', policies }] })).filter(isError).length === 0;

function stillDeviates(step: StepResult, target: CellDeviation[]): boolean {
  const now = new Map(deviationsOf(step).map((d) => [cellKey(d), d]));
  return target.every((t) => now.get(cellKey(t))?.simulated === t.simulated);
}

/** Runs the generated sets' steps, then shrinks, confirms and writes every deviating one. */
export async function driveRandom(session: HarnessSession, loaded: LoadedSuite, opts: DriveOptions): Promise<RandomReport> {
  const t0 = performance.now();
  const n = loaded.suite.steps.length;
  const results: StepResult[] = [];
  await session.runAll((step) => {
    results.push(step);
    opts.log(`  ${step.name}: ${step.cells.length} cells, ${deviationsOf(step).length} deviating`);
  });
  // The session's profile: the installed CNI's, or on an existing cluster the detected one's (or --cni's).
  const profile = session.profile?.profile ?? profileForRun(loaded, session.spec.cni, opts.cniFlag);
  const ctx: OracleContext = { cni: session.spec.cni, profile, addresses: session.endpointAddresses, ...(opts.podSubnet ? { podSubnet: opts.podSubnet } : {}) };
  let lastApplied = setName(n - 1);
  let confirmCount = 0;
  /** Runs one candidate set as a new step on the same cluster. */
  const runCandidate = async (label: string, policies: NetworkPolicy[]): Promise<StepResult> => {
    const id = `confirm-${++confirmCount}`;
    const step = StepSpec.parse({ name: id, description: label, apply: [id], remove: [lastApplied], expect: 'simulated' });
    session.appendSteps([step], new Map([[id, sourced(id, policies, `<random confirm> ${id}.yaml`)]]));
    lastApplied = id;
    const r = await session.runStep(id, opts.confirmSettleMs !== undefined ? { settleMs: opts.confirmSettleMs } : {});
    opts.log(`    ${id} (${label}): ${deviationsOf(r).length} deviating`);
    return r;
  };

  const outcomes: SetOutcome[] = [];
  for (let i = 0; i < n; i++) {
    const step = results[i]!;
    const original = [...loaded.policies.get(setName(i))!].map((p) => p.policy);
    const cells: CellRef[] = step.cells.filter((c) => !c.col.startsWith('dns:'));
    const deviations = deviationsOf(step);
    const outcome: SetOutcome = { set: step.name, index: i, cells: step.cells.length, deviations, profileVsUpstream: profileVsUpstream(original, cells, ctx).length };
    outcomes.push(outcome);
    if (deviations.length === 0) continue;
    const held = contextCells(deviations, cells);
    const baseline = signatures(original, held, ctx).join('\n');
    const { chain, tries } = shrink(original, (c) => valid(c, ctx.cni) && signatures(c, held, ctx).join('\n') === baseline);
    opts.log(`  ${step.name}: shrinking ${deviations.length} deviating cell(s): size ${setSize(original)} -> ${setSize(chain.at(-1)!)} (${tries} engine checks)`);
    const confirm = async (k: number): Promise<boolean> => stillDeviates(await runCandidate(`${step.name} ${k === 0 ? 'as generated' : `shrunk to size ${setSize(chain[k]!)}`}`, chain[k]!), deviations);
    const confirmed = await confirmAlongChain(chain.length, confirm, opts.confirmRuns ?? DEFAULT_CONFIRM_RUNS);
    // No smaller set reproduced (or none was found): the generated set itself runs once more, so
    // every written suite has been seen deviating twice (a one-off timing blip is not a finding).
    if (confirmed.index === 0) confirmed.runs.push({ index: 0, reproduced: await confirm(0) });
    const chosen = chain[confirmed.index]!;
    const suiteFile = await writeRepro(opts.reproDir, {
      seed: opts.seed,
      index: i,
      cni: ctx.cni,
      ...(opts.podSubnet ? { podSubnet: opts.podSubnet } : {}),
      policies: chosen,
      original,
      deviations,
    });
    outcome.shrunk = {
      sizeBefore: setSize(original),
      sizeAfter: setSize(chosen),
      policiesBefore: original.length,
      policiesAfter: chosen.length,
      tries,
      confirmRuns: confirmed.runs.map((r) => ({ size: setSize(chain[r.index]!), reproduced: r.reproduced })),
      confirmed: confirmed.runs.some((r) => r.index === confirmed.index && r.reproduced),
      suiteFile,
      repro: opts.reproCommand(suiteFile),
    };
  }
  // The rule of confirm.ts: only a deviation seen again on a confirmation run counts.
  const deviatingSets = outcomes.filter((o) => o.shrunk?.confirmed).length;
  const unconfirmedSets = outcomes.filter((o) => o.shrunk && !o.shrunk.confirmed).length;
  return {
    schemaVersion: 1,
    seed: opts.seed,
    sets: n,
    cni: session.spec.cni,
    profile: profile.name,
    namedPorts: opts.namedPorts ?? true,
    cells: outcomes.reduce((s, o) => s + o.cells, 0),
    deviatingSets,
    unconfirmedSets,
    outcomes,
    durationMs: Math.round(performance.now() - t0),
  };
}

/** The terminal summary of a random run. */
export function renderRandom(r: RandomReport): string {
  const lines = [
    `random conformance: seed ${r.seed}, ${r.sets} sets, ${r.cells} cells on ${r.cni} (engine profile ${r.profile}${r.namedPorts ? '' : ', no named ports'})`,
    `${r.deviatingSets === 0 ? 'every set agrees with the engine' : `${r.deviatingSets} of ${r.sets} sets deviate from the engine (confirmed)`}${r.unconfirmedSets ? `; ${r.unconfirmedSets} deviated once but not when rerun with a long settle (not counted: slow to enforce, or a blip)` : ''}`,
    `engine: the ${r.profile} profile and upstream semantics differ on ${r.outcomes.reduce((n, o) => n + o.profileVsUpstream, 0)} of these cells`,
  ];
  for (const o of r.outcomes) {
    if (o.profileVsUpstream > 0) lines.push(`  ${o.set}: ${o.profileVsUpstream} cells where the ${r.profile} profile and upstream semantics differ (engine only)`);
    if (!o.shrunk) continue;
    const s = o.shrunk;
    lines.push(`  ${o.set}: ${o.deviations.length} deviating cell(s), e.g. ${o.deviations.slice(0, 3).map((d) => `${cellKey(d)} engine ${d.simulated}, observed ${d.observed}`).join('; ')}`);
    lines.push(`    shrunk: ${s.policiesBefore} -> ${s.policiesAfter} policies, size ${s.sizeBefore} -> ${s.sizeAfter}${s.confirmed ? ', confirmed on the cluster' : ', NOT confirmed: it did not deviate again when rerun (a timing blip?)'}`);
    lines.push(`    repro: ${s.repro}`);
  }
  return lines.join('\n') + '\n';
}
