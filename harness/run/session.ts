// A harness session: the whole job over one cluster, as the phases of harness/run/ run it:
// provision.ts (preflight, cluster, CNI, canaries), deploy.ts (manifests, workloads, in-place,
// externals), step.ts (apply, probe, compare; one call per step) and teardown.ts (restore, remove).
// This class holds the run's state between them. The CLI's `run` and the mocha suites
// (suites/*.spec.ts) are thin shells over it.
import { InfraError, UsageError, type Issue } from '../errors.js';
import { resultAxes, type RunResult, type StepResult } from '../diff/result.js';
import { buildAxes, type Axes } from '../matrix/axes.js';
import type { LoadedSuite } from '../suite/load.js';
import type { ClusterSpec, StepSpec } from '../suite/schema.js';
import type { SourcedPolicy } from '../policy/types.js';
import type { SourcedClusterPolicy } from '../policy/cnp/types.js';
import type { RunProfile } from '../policy/simulate.js';
import { loadValidSuite } from '../suite/validate.js';
import { CleanupStack, createProgress, type CleanupReport, type Cluster, type Progress } from '../cluster/index.js';
import type { CanaryResult } from '../cluster/checks/canary.js';
import type { CalicoDataplane } from '../cluster/cni/types.js';
import { loadManifests, type UserManifest } from '../apply/manifests.js';
import type { Deployment } from '../apply/index.js';
import { canStream, SessionPool } from '../probe/session.js';
import { RecentLatency } from '../probe/settle.js';
import type { TierSupport } from '../cluster/checks/tier-canary.js';
import type { InPlaceSetup } from './in-place.js';
import { calicoDataplaneFor } from './dataplane.js';
import { effectiveCni, type SessionOptions } from './options.js';
import { preflight, provisionCluster, runCanary, type Provisioned } from './provision.js';
import { PhaseClock } from './phases.js';
import { deploySuite, type Deployed } from './deploy.js';
import { RunEndpoints } from './endpoints.js';
import { isExternalSource } from '../probe/external-source.js';
import { applyChanges, probeStep, relearn, type StepContext } from './step.js';
import { teardown } from './teardown.js';

export { effectiveCni, preflight, type SessionOptions };

export class HarnessSession {
  /** The suite; once provisioned, with existing workloads' labels and ports as found in the cluster. */
  loaded: LoadedSuite;
  axes: Axes;
  readonly result: RunResult;
  readonly spec: ClusterSpec;
  /** Calico's dataplane when the harness installs Calico. */
  readonly calicoDataplane: CalicoDataplane | undefined;
  private readonly cleanup: CleanupStack;
  private readonly progress: Progress;
  private provisioned?: Provisioned;
  private deployed?: Deployed;
  /** When the settle phase showed young DNS pods served (the guard trusts them from then). */
  private dnsServedAt?: number;
  /** The slowest connection per probe kind so far (how long a confirmation waits on drops: probe/settle.ts). */
  private readonly latency = new RecentLatency();
  private readonly endpoints = new RunEndpoints();
  /** Probe sessions for the whole run (opened while the first step applies; harness/probe/session.ts). */
  private probeSessions?: SessionPool;
  /** The suite's own manifests (read before any cluster work). */
  private manifests: UserManifest[] = [];
  /** Index of the last step whose changes are applied (-1: none). */
  private appliedThrough = -1;
  private uninstallSignals?: () => void;
  private stopped = false;
  /** Ends background work (the settle phase) when the run stops. */
  private readonly background = new AbortController();
  private readonly phases: PhaseClock;

  private constructor(
    loaded: LoadedSuite,
    private readonly opts: SessionOptions,
  ) {
    this.loaded = loaded;
    this.axes = buildAxes(loaded.suite);
    this.progress = opts.progress ?? createProgress();
    this.cleanup = new CleanupStack({ keep: opts.keep ?? false, progress: this.progress });
    const base = loaded.suite.cluster;
    const provider = opts.cluster?.provider ?? base.provider;
    this.spec = {
      ...base,
      provider,
      // k3s brings its own enforcer (kube-router's netpol controller); record and simulate that.
      cni: provider === 'k3s' ? 'kube-router' : effectiveCni(base.cni, opts.cluster?.cni, provider),
      ...(opts.cluster?.name ? { name: opts.cluster.name } : {}),
      nodes: { ...base.nodes, ...(opts.cluster?.workers !== undefined ? { workers: opts.cluster.workers } : {}) },
    };
    this.calicoDataplane = calicoDataplaneFor(this.spec, opts.calicoDataplane);
    this.result = {
      schemaVersion: 1,
      suite: loaded.suite.metadata.name,
      startedAt: new Date().toISOString(),
      cluster: {
        provider: this.spec.provider,
        cni: this.spec.cni,
        ...(this.spec.name ? { name: this.spec.name } : {}),
        ...(this.calicoDataplane ? { dataplane: this.calicoDataplane } : {}),
      },
      axes: resultAxes(this.axes),
      steps: [],
    };
    this.phases = new PhaseClock(this.result);
  }

  /** Validates the suite first: a malformed suite or policy throws InputError before any cluster work. */
  static async start(suiteFile: string, opts: SessionOptions = {}): Promise<HarnessSession> {
    const { loaded, warnings } = await loadValidSuite(suiteFile);
    return HarnessSession.startLoaded(loaded, opts, warnings);
  }

  /** For suites built in memory (the conformance battery): the caller has validated `loaded`. */
  static async startLoaded(loaded: LoadedSuite, opts: SessionOptions = {}, warnings: readonly Issue[] = []): Promise<HarnessSession> {
    const s = new HarnessSession(loaded, opts);
    s.manifests = await loadManifests(loaded);
    for (const w of warnings) s.progress.warn(`${w.file}${w.line ? `:${w.line}` : ''}: ${w.path}: ${w.message}`);
    await s.phases.time('preflight', () => preflight(s.spec, loaded, { ...opts, progress: s.progress }));
    if (opts.handleSignals) s.uninstallSignals = s.cleanup.installSignalHandlers();
    try {
      await s.provision();
    } catch (e) {
      await s.stop();
      throw e;
    }
    return s;
  }

  private async provision(): Promise<void> {
    const phases = this.phases;
    const base = { loaded: this.loaded, opts: this.opts, manifests: this.manifests, cleanup: this.cleanup, progress: this.progress, phases };
    const pctx = { ...base, spec: this.spec, calicoDataplane: this.calicoDataplane, result: this.result, signal: this.background.signal };
    const prov = (this.provisioned = await provisionCluster(pctx));
    // The canary and the suite's workloads live in different namespaces: deploy while the canary runs
    // (NPH_SERIAL_PROVISION=1 runs them one after the other, to measure the overlap).
    const deploy = () => phases.time('deploy', () => deploySuite(base, prov));
    let deployed: Deployed;
    if (process.env.NPH_SERIAL_PROVISION === '1') {
      prov.canary = await runCanary(pctx, prov);
      deployed = await deploy();
    } else {
      // Both run to the end before a failure is thrown: cleanup must not race a deployment still creating things.
      const [canary, dep] = await Promise.allSettled([runCanary(pctx, prov), deploy()]);
      if (canary.status === 'rejected') throw canary.reason;
      if (dep.status === 'rejected') throw dep.reason;
      if (canary.value) prov.canary = canary.value;
      deployed = dep.value;
    }
    prov.runNodes = new Set([...deployed.deployment.endpoints.values()].flatMap((ep) => ep.pods.map((p) => p.node)).filter((n): n is string => !!n));
    this.deployed = deployed;
    if (this.deployed.loaded !== this.loaded) {
      this.loaded = this.deployed.loaded;
      this.axes = buildAxes(this.loaded.suite);
      this.result.axes = resultAxes(this.axes);
    }
    for (const [name, ext] of this.deployed.externals) this.endpoints.addExternal(name, ext.ip, ext.source ? { containerName: ext.containerName } : undefined);
    if (this.deployed.network) this.endpoints.setNetwork(this.deployed.network);
    this.endpoints.refresh(this.deployed.deployment, this.deployed.inPlace);
    const executor = prov.executor;
    if (canStream(executor)) {
      // Sessions open now, in the background, while the first step applies its changes: a step's
      // first round then pays no exec setups (a hundred of them take seconds on a small machine).
      this.probeSessions = new SessionPool(executor, this.opts.execConcurrency !== undefined ? { openConcurrency: this.opts.execConcurrency } : {});
      void this.probeSessions.warm([...this.endpoints.sources.values()].filter((src) => !isExternalSource(src)));
    }
    if (prov.settling) {
      // Young DNS pods may now be shown served from the suite's own pods (observe/dns-serving.ts).
      prov.dnsSources.push(...this.endpoints.sources.values());
      // The first step must find the cluster's services settled (its cells would be distrusted otherwise).
      const t = performance.now();
      const { settled, ended } = await prov.settling.done;
      const waited = performance.now() - t;
      if (settled?.dnsServedAt !== undefined) this.dnsServedAt = settled.dnsServedAt;
      const state = settled === undefined ? 'not checked' : settled.settled ? 'settled' : `not settled (${settled.reasons[0] ?? ''})`;
      // Why young DNS pods waited out their window instead, when a check was made and did not count.
      const dns = settled?.dnsServedAt !== undefined ? '; DNS pods shown served by queries from every node' : settled?.dnsUnserved ? `; DNS check not counted (${settled.dnsUnserved})` : '';
      phases.record('settle', prov.settling.started, ended, `${state}${dns}; the first step waited ${(waited / 1000).toFixed(1)} s for it`);
    }
  }

  get cluster(): Cluster | undefined {
    return this.provisioned?.cluster;
  }
  get canary(): CanaryResult | undefined {
    return this.provisioned?.canary;
  }
  get tiers(): TierSupport | undefined {
    return this.provisioned?.tiers;
  }
  /** The engine profile the steps simulate with, and where it came from (provision.ts). */
  get profile(): RunProfile | undefined {
    return this.provisioned?.profile;
  }
  get rollbackFile(): string | undefined {
    return this.provisioned?.rollbackFile;
  }
  get deployment(): Deployment | undefined {
    return this.deployed?.deployment;
  }
  get inPlace(): InPlaceSetup | undefined {
    return this.deployed?.inPlace;
  }

  stepIndex(nameOrIndex: string | number): number {
    const steps = this.loaded.suite.steps;
    const i = typeof nameOrIndex === 'number' ? nameOrIndex : steps.findIndex((s) => s.name === nameOrIndex);
    if (i < 0 || i >= steps.length) {
      throw new UsageError(`no step ${JSON.stringify(nameOrIndex)} in suite ${this.loaded.suite.metadata.name}; steps: ${steps.map((s) => s.name).join(', ')}`);
    }
    return i;
  }

  private stepContext(): StepContext {
    const p = this.provisioned;
    const d = this.deployed;
    if (!p || !d || this.stopped) throw new InfraError('the session is not provisioned (start() failed or stop() was called)');
    return {
      loaded: this.loaded,
      axes: this.axes,
      spec: this.spec,
      opts: this.opts,
      progress: this.progress,
      cleanup: this.cleanup,
      cluster: p.cluster,
      executor: p.executor,
      deployment: d.deployment,
      deployedAt: d.deployedAt,
      ...(this.dnsServedAt !== undefined ? { dnsServedAt: this.dnsServedAt } : {}),
      latency: this.latency,
      endpoints: this.endpoints,
      applier: d.applier,
      ...(d.changer ? { changer: d.changer } : {}),
      ...(d.inPlace ? { inPlace: d.inPlace } : {}),
      ...(d.follower ? { follower: d.follower } : {}),
      ...(this.probeSessions ? { probeSessions: this.probeSessions } : {}),
      ...(p.tiers ? { tiers: p.tiers } : {}),
      profile: p.profile,
    };
  }

  /**
   * Applies the changes of every step up to and including this one (earlier steps are applied
   * without probing when skipped), then probes this step's matrix until it settles.
   */
  async runStep(nameOrIndex: string | number, over: { settleMs?: number } = {}): Promise<StepResult> {
    const index = this.stepIndex(nameOrIndex);
    const ctx = this.stepContext();
    if (index <= this.appliedThrough) {
      throw new UsageError(`step ${this.loaded.suite.steps[index]!.name} is already applied; steps run in order`);
    }
    const started = new Date();
    const t0 = performance.now();
    await applyChanges(ctx, this.loaded.suite.steps, (i) => (this.appliedThrough = i), this.appliedThrough + 1, index);
    await relearn(ctx);
    // Per-cell times count from here, the end of the step's changes (not from the first probe).
    const result = await probeStep(ctx, index, { started, t0, changedAt: performance.now() }, over.settleMs);
    this.result.steps.push(result);
    return result;
  }

  /** Pod and external addresses by endpoint id (`x/a`, `external:ext`), as the simulation uses them. */
  get endpointAddresses(): ReadonlyMap<string, string> {
    return this.endpoints.ipOf;
  }

  /**
   * Adds steps (and the policy sets they apply) after the suite's last one, for callers that choose
   * what to probe next from what they saw (conformance confirms a deviation on the same cluster:
   * --random a shrunk set, the battery a case re-run alone). The caller validates them as part of
   * the suite. Cluster policy sets join the suite's (the applier reads the same map).
   */
  appendSteps(steps: StepSpec[], policies: ReadonlyMap<string, SourcedPolicy[]>, clusterPolicies?: ReadonlyMap<string, SourcedClusterPolicy[]>): void {
    for (const [id, docs] of policies) {
      this.loaded.policies.set(id, docs);
      if (!this.loaded.suite.policies.some((r) => r.id === id)) this.loaded.suite.policies.push({ id, file: docs[0]?.file ?? `${id}.yaml` });
    }
    for (const [id, docs] of clusterPolicies ?? []) this.loaded.clusterPolicies?.set(id, docs);
    this.loaded.suite.steps.push(...steps);
  }

  /** Runs every remaining step in order. */
  async runAll(onStep?: (s: StepResult) => void): Promise<RunResult> {
    for (let i = this.appliedThrough + 1; i < this.loaded.suite.steps.length; i++) {
      const r = await this.runStep(i);
      onStep?.(r);
    }
    return this.result;
  }

  /** `--keep-changes`: leave the applied policies and labels in place at stop() (call after a passing run). */
  keepPolicyChanges(): void {
    this.deployed?.applier.forgetChanges();
  }

  /** Restores what the run changed and removes what it created (unless keep). Safe to call twice. */
  async stop(): Promise<CleanupReport> {
    const first = !this.stopped;
    if (first) this.result.finishedAt = new Date().toISOString();
    const sessions = this.probeSessions;
    this.probeSessions = undefined;
    this.background.abort();
    try {
      if (!first) return await teardown(this.cleanup, sessions);
      const report = await this.phases.time('cleanup', () => teardown(this.cleanup, sessions));
      // The run's wall time includes its cleanup (a user waits for it too).
      this.result.finishedAt = new Date().toISOString();
      return report;
    } finally {
      this.uninstallSignals?.();
      this.stopped = true;
    }
  }
}
