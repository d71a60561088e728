// The step loop, the third phase of a run: apply a step's changes, re-learn replaced pods, simulate
// and plan the step, probe it under the observer until it settles, and compose its cells (expected,
// simulated, observed) into the step's result.
import { InfraError } from '../errors.js';
import type { CellResult, StepResult } from '../diff/result.js';
import type { Axes } from '../matrix/axes.js';
import { cellKey, type Matrix } from '../matrix/matrix.js';
import { axesAtStep } from '../matrix/step-axes.js';
import { simulateStep, expectedMatrix, type RunProfile, type SimCell } from '../policy/simulate.js';
import type { LoadedSuite } from '../suite/load.js';
import type { ClusterSpec, StepSpec } from '../suite/schema.js';
import { withStep, type CleanupStack, type Cluster, type Progress } from '../cluster/index.js';
import type { TierSupport } from '../cluster/checks/tier-canary.js';
import type { Deployment, EndpointChanger, PolicyApplier } from '../apply/index.js';
import type { PodExecutor } from '../probe/exec.js';
import type { SessionPool } from '../probe/session.js';
import type { SourcePod } from '../probe/prober.js';
import { probeUntilSettled, type RecentLatency } from '../probe/settle.js';
import { enforcedAtMs, RecordingProber } from '../probe/timeline.js';
import { observeStep, unsettledLine, watchTargets } from '../observe/index.js';
import { LiveProber } from '../observe/live-prober.js';
import { DockerExecutor } from '../probe/external-source.js';
import { dockerBinary } from '../cluster/providers/kind.js';
import { inPlaceProber, type InPlaceSetup } from './in-place.js';
import { observationFrom, planStep } from './plan.js';
import { registerStepAxes } from './registry.js';
import { ipInSnapshot, relearnPods, type InPlaceFollower } from './relearn.js';
import { notTestableReason, notTestableStep } from './tiers.js';
import type { RunEndpoints } from './endpoints.js';
import type { SessionOptions } from './options.js';

/** What a step reads of the run so far (built by the session for each step). */
export interface StepContext {
  loaded: LoadedSuite;
  axes: Axes;
  spec: ClusterSpec;
  opts: SessionOptions;
  progress: Progress;
  cleanup: CleanupStack;
  cluster: Cluster;
  executor: PodExecutor;
  deployment: Deployment;
  deployedAt: number;
  /** When the settle phase showed young DNS pods served (observe/settled.ts): the guard trusts them from then. */
  dnsServedAt?: number;
  endpoints: RunEndpoints;
  applier: PolicyApplier;
  changer?: EndpointChanger;
  inPlace?: InPlaceSetup;
  follower?: InPlaceFollower;
  probeSessions?: SessionPool;
  tiers?: TierSupport;
  /** The engine profile the run simulates with (provision.ts). */
  profile: RunProfile;
  /** Recent connection times per probe kind in the run (probe/settle.ts confirmDrops). */
  latency?: RecentLatency;
}

/** Applies the changes of steps `from..to` in order (earlier steps are applied without probing when skipped). */
export async function applyChanges(ctx: StepContext, steps: readonly StepSpec[], onApplied: (index: number) => void, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    if (ctx.cleanup.interrupted) throw new InfraError('interrupted: no further changes are applied while cleaning up');
    ctx.opts.beforeApply?.(i, ctx.endpoints.ipOf);
    const s = steps[i]!;
    const changer = ctx.changer;
    await withStep(ctx.progress, `step ${s.name}: applying changes`, () => ctx.applier.applyStep(s, ctx.deployment, changer ? () => changer.applyStep(s) : undefined));
    onApplied(i);
  }
}

/** Before each step: pods replaced since they were learnt are probed as they are now (run/relearn.ts). */
export async function relearn(ctx: StepContext): Promise<void> {
  try {
    for (const line of await relearnPods(ctx.cluster.client, ctx.deployment, watchTargets(ctx.deployment, ctx.loaded.suite), ctx.follower)) ctx.progress.info(line);
  } catch (e) {
    // The step's guard reports what is wrong with stale pods; the step still runs.
    ctx.progress.warn(`could not re-learn replaced pods: ${e instanceof Error ? e.message : String(e)}`);
  }
  ctx.endpoints.refresh(ctx.deployment, ctx.inPlace);
}

/**
 * Probes step `index` (its changes applied) until it settles and composes its result. `started` and
 * `t0` mark the step's start (before its changes); per-cell times count from `changedAt`. `settleMs`
 * overrides the run's settle time for this step (a conformance confirmation run settles longer).
 */
export async function probeStep(ctx: StepContext, index: number, timing: { started: Date; t0: number; changedAt: number }, settleMs?: number): Promise<StepResult> {
  const { loaded, opts, progress } = ctx;
  const step = loaded.suite.steps[index]!;
  const untestable = notTestableReason(loaded, index, ctx.tiers);
  if (untestable !== undefined) {
    progress.warn(`step ${step.name}: ${untestable}`);
    return notTestableStep(step, untestable, timing.started, performance.now() - timing.t0);
  }
  // Only what is present after this step has cells (suite/presence.ts).
  const axes = axesAtStep(loaded.suite, index, ctx.axes);
  const profile = ctx.profile.profile;
  const keep = opts.cellFilter;
  const { sources, addresses, podIPs } = ctx.endpoints;
  const network = ctx.endpoints.simulation;
  const simulated: Matrix<SimCell> = simulateStep(loaded, index, { ...network, profile, ...(keep ? { explain: (src: string, col: string) => keep(index, src, col) } : {}) });
  const expected = expectedMatrix(loaded, index, { ...network, profile }, simulated);
  const probeOpts = loaded.suite.probe;
  const plan = planStep(axes, expected, sources, addresses, { via: opts.via ?? probeOpts.via, timeoutMs: opts.timeoutMs ?? probeOpts.timeoutMs });
  if (keep) plan.cells = plan.cells.filter((c) => keep(index, c.source.endpoint, c.target.id));
  // Watched while probing: failed execs are retried and counted, faults become errors (harness/observe).
  let live: LiveProber | undefined;
  const observed = await observeStep({
    client: ctx.cluster.client,
    executor: ctx.executor,
    targets: watchTargets(ctx.deployment, loaded.suite, ctx.deployedAt, ctx.dnsServedAt),
    ...(ctx.probeSessions ? { pool: ctx.probeSessions } : {}),
    ...(loaded.suite.externals.some((e) => e.source) ? { externalExecutor: new DockerExecutor(dockerBinary({})) } : {}),
    ...(opts.execConcurrency !== undefined ? { concurrency: opts.execConcurrency } : {}),
    onReplaced: (src, old) => {
      sources.set(src.endpoint, src);
      live?.replaced(old, src);
    },
    ...(ctx.follower ? { prepareSource: (src: SourcePod) => ctx.follower!.prepareSource(src) } : {}),
  });
  // Existing workloads add their layers on top (the witness judges by arrival, fan-out over pods).
  const layered = inPlaceProber(observed.prober, ctx.inPlace, { axes: ctx.axes, podIPs, sourceIP: (s) => ipInSnapshot(observed.observer.last, s), kubeConfig: ctx.cluster.kubeConfig });
  // Pods replaced mid-step are probed (and named in repro commands) as they are now.
  const current = (live = new LiveProber(layered, { snapshot: () => observed.observer.last, target: (e) => observed.observer.target(e) }));
  // Outermost: the conformance battery's per-cell timeline records what every round saw.
  const timeline = opts.cellTimes ? new RecordingProber(current, timing.changedAt) : undefined;
  const prober = timeline ?? current;
  const end = progress.step(`step ${step.name}: probing ${plan.cells.length} cells`);
  let settled;
  try {
    await opts.onProbing?.(step.name);
    settled = await probeUntilSettled(plan.cells, prober, {
      deadlineMs: settleMs ?? opts.settleMs ?? probeOpts.settleMs,
      ...(opts.settleIntervalMs !== undefined ? { intervalMs: opts.settleIntervalMs } : {}),
      ...(ctx.latency ? { latency: ctx.latency } : {}),
    });
  } finally {
    observed.stop();
  }
  const infrastructure = observed.finish(plan.cells, settled);
  if (settled.distrustedMs > 0) infrastructure.distrustedMs = Math.round(settled.distrustedMs);
  const waitedOnGuard = settled.distrustedMs > 0 ? ` (+${(settled.distrustedMs / 1000).toFixed(1)} s distrusted: infrastructure)` : '';
  end(settled.timeToEnforceMs !== undefined ? `matched after ${(settled.timeToEnforceMs / 1000).toFixed(1)} s${waitedOnGuard}` : `did not match: ${infrastructure.unsettled ? unsettledLine(infrastructure.unsettled) : 'no cells'}`);

  const planned = new Map(plan.cells.map((c) => [cellKey(c.source.endpoint, c.target.id), c]));
  const repro = { kubeconfig: ctx.cluster.kubeconfigPath, context: ctx.cluster.context };
  const cells: CellResult[] = [];
  for (const { src, col, value } of expected.cells()) {
    if (!value || (keep && !keep(index, src.id, col.key))) continue;
    const k = cellKey(src.id, col.key);
    const sim = simulated.get(src.id, col.key);
    const cell: CellResult = {
      src: src.id,
      col: col.key,
      expected: value.verdict,
      expectedOrigin: value.origin,
      ...(sim ? { simulated: sim.verdict, explanation: sim.explanation, ...(sim.engineVerdict === 'unknown' ? { engineUnknown: true as const } : {}) } : {}),
    };
    const p = planned.get(k);
    const outcome = settled.outcomes.get(k);
    if (p && outcome) cell.observed = observationFrom(p, outcome, repro);
    else cell.observed = { class: 'error', attempts: 0, detail: plan.unplanned.get(k) ?? 'not probed' };
    const at = p && timeline ? enforcedAtMs(timeline.rounds, k, value.verdict) : undefined;
    if (at !== undefined) cell.enforcedAtMs = Math.round(at);
    cells.push(cell);
  }
  const result: StepResult = {
    name: step.name,
    ...(step.description ? { description: step.description } : {}),
    startedAt: timing.started.toISOString(),
    durationMs: Math.round(performance.now() - timing.t0),
    ...(settled.timeToEnforceMs !== undefined ? { timeToEnforceMs: Math.round(settled.timeToEnforceMs) } : {}),
    ...(timeline?.rounds[0] ? { firstProbeMs: Math.round(timeline.rounds[0].atMs) } : {}),
    attempts: settled.attempts,
    phases: { applyMs: Math.round(timing.changedAt - timing.t0), probeMs: Math.round(settled.totalMs - settled.confirmMs), confirmMs: Math.round(settled.confirmMs) },
    cells,
    infrastructure,
  };
  registerStepAxes(result, axes);
  return result;
}
