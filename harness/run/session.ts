// A harness session: the whole job over one cluster. `start` validates the suite (before touching any
// cluster), provisions the cluster, installs the CNI, proves enforcement with the canary and deploys the
// workloads; `runStep` applies one step and probes it until it settles; `stop` cleans up.
// The CLI's `run` and the mocha suites (suites/*.spec.ts) are thin shells over this class.
import { VersionApi } from '@kubernetes/client-node';
import { execa } from 'execa';
import { access, constants } from 'node:fs/promises';
import { InfraError, UsageError } from '../errors.js';
import type { CellResult, RunResult, StepResult } from '../diff/result.js';
import { buildAxes, type Axes } from '../matrix/axes.js';
import { cellKey } from '../matrix/matrix.js';
import { simulateStep, expectedMatrix, type SimCell } from '../policy/simulate.js';
import { calico, profileByName } from '../policy/profiles.js';
import type { Matrix } from '../matrix/matrix.js';
import type { LoadedSuite } from '../suite/load.js';
import type { ClusterSpec } from '../suite/schema.js';
import { loadValidSuite } from '../suite/validate.js';
import {
  CleanupStack,
  createCluster,
  createProgress,
  guardFor,
  installCni,
  newRunId,
  preloadImages,
  withStep,
  workerNodeNames,
  type CleanupReport,
  type Cluster,
  type Progress,
} from '../cluster/index.js';
import { enforcementCanary, type CanaryResult } from '../cluster/canary.js';
import { readImagesEnv } from '../cluster/paths.js';
import { withDeadline } from '../cluster/wait.js';
import { PolicyApplier, defaultAgentImage, deployWorkloads, removeLeftoverExternals, removeOrphanedExternals, startExternals, type Deployment, type ExternalEndpoint } from '../apply/index.js';
import { ApiServerExecutor, type PodExecutor } from '../probe/exec.js';
import { AGENT_CONTAINER, type SourcePod } from '../probe/prober.js';
import { probeUntilSettled } from '../probe/settle.js';
import { observeStep, unsettledLine, watchTargets } from '../observe/index.js';
import type { Addresses, Via } from '../probe/targets.js';
import { observationFrom, planStep } from './plan.js';
import { registerStepAxes } from './registry.js';

export interface SessionOptions {
  /** Override the suite's cluster settings (e.g. `--cni kube-router` on air-gapped hosts). */
  cluster?: Partial<Pick<ClusterSpec, 'provider' | 'cni' | 'name'>> & { workers?: number };
  keep?: boolean;
  reuse?: boolean;
  nodeImage?: string;
  kindBinary?: string;
  kubeconfig?: string;
  context?: string;
  allowForeignNamespaces?: boolean;
  calicoManifest?: string;
  agentImage?: string;
  via?: Via;
  timeoutMs?: number;
  settleMs?: number;
  /** Skip the enforcement canary (not recommended; `--cni none` skips it by design). */
  skipCanary?: boolean;
  /** Concurrent execs against the API server. */
  execConcurrency?: number;
  progress?: Progress;
  /** Install SIGINT/SIGTERM handlers that clean up (the CLI does; mocha suites need not). */
  handleSignals?: boolean;
  /** Called once a step's changes are applied and its watcher runs, right before probing (fault-injection tests). */
  onProbing?: (step: string) => Promise<void> | void;
}

/**
 * Everything that can be checked before a cluster exists is checked here, so a bad flag or a missing
 * prerequisite fails in seconds and changes nothing (not after a three-minute cluster bring-up).
 */
export async function preflight(spec: ClusterSpec, loaded: LoadedSuite, opts: SessionOptions): Promise<void> {
  if (spec.provider === 'existing' && loaded.suite.externals.length > 0) {
    throw new UsageError(`suite ${loaded.suite.metadata.name} declares externals, which run as containers on the cluster's Docker network; --provider existing has none`, {
      hint: 'use --provider kind, or remove the externals from the suite for this run',
    });
  }
  if (spec.cni === 'calico' && opts.calicoManifest && !/^https?:\/\//.test(opts.calicoManifest)) {
    try {
      await access(opts.calicoManifest, constants.R_OK);
    } catch {
      throw new UsageError(`--calico-manifest ${opts.calicoManifest}: file not found or not readable`, { hint: 'pass a readable path or an https URL' });
    }
  }
  if (spec.provider === 'kind') {
    const image = opts.agentImage ?? defaultAgentImage();
    const docker = process.env.NPH_DOCKER ?? 'docker';
    const r = await execa(docker, ['image', 'inspect', '--format', '{{.Id}}', image], { reject: false });
    if (r.exitCode !== 0) {
      throw new InfraError(`the probe agent image ${image} is not in the local Docker engine${r.stderr.includes('Cannot connect') ? ' (is the Docker engine running?)' : ''}`, {
        hint: 'build it: bash scripts/ci/build-agent-image.sh (or npm run images on hosts without registry access)',
      });
    }
  }
}

/** Resolves the CNI: flag, then NPH_CNI / images.env (air-gapped hosts build kube-router), then the suite. */
export function effectiveCni(suiteCni: ClusterSpec['cni'], override?: ClusterSpec['cni']): ClusterSpec['cni'] {
  if (override) return override;
  const env = process.env.NPH_CNI ?? readImagesEnv()?.NPH_CNI;
  if (env === 'calico' || env === 'kube-router' || env === 'none') return env;
  return suiteCni;
}

export class HarnessSession {
  readonly loaded: LoadedSuite;
  readonly axes: Axes;
  readonly result: RunResult;
  cluster?: Cluster;
  deployment?: Deployment;
  canary?: CanaryResult;
  private readonly cleanup: CleanupStack;
  private readonly progress: Progress;
  private applier?: PolicyApplier;
  private executor?: PodExecutor;
  private addresses: Addresses = { serviceIP: new Map(), podIPs: new Map() };
  private ipOf = new Map<string, string>();
  private sources = new Map<string, SourcePod>();
  /** Index of the last step whose changes are applied (-1: none). */
  private appliedThrough = -1;
  private uninstallSignals?: () => void;
  readonly spec: ClusterSpec;

  private constructor(
    loaded: LoadedSuite,
    private readonly opts: SessionOptions,
  ) {
    this.loaded = loaded;
    this.axes = buildAxes(loaded.suite);
    this.progress = opts.progress ?? createProgress();
    this.cleanup = new CleanupStack({ keep: opts.keep ?? false, progress: this.progress });
    const base = loaded.suite.cluster;
    this.spec = {
      ...base,
      provider: opts.cluster?.provider ?? base.provider,
      // k3s brings its own enforcer (kube-router's netpol controller); record and simulate that.
      cni: (opts.cluster?.provider ?? base.provider) === 'k3s' ? 'kube-router' : effectiveCni(base.cni, opts.cluster?.cni),
      ...(opts.cluster?.name ? { name: opts.cluster.name } : {}),
      nodes: { ...base.nodes, ...(opts.cluster?.workers !== undefined ? { workers: opts.cluster.workers } : {}) },
    };
    this.result = {
      schemaVersion: 1,
      suite: loaded.suite.metadata.name,
      startedAt: new Date().toISOString(),
      cluster: { provider: this.spec.provider, cni: this.spec.cni, ...(this.spec.name ? { name: this.spec.name } : {}) },
      axes: {
        sources: this.axes.sources.map((s) => ({ id: s.id, kind: s.kind })),
        columns: this.axes.columns.map((c) =>
          c.kind === 'dns'
            ? { key: c.key, kind: 'dns' as const, name: c.name }
            : { key: c.key, kind: 'conn' as const, dst: c.dst, port: c.port, protocol: c.protocol, ...(c.portName ? { portName: c.portName } : {}) },
        ),
      },
      steps: [],
    };
  }

  /** Validates the suite first: a malformed suite or policy throws InputError before any cluster work. */
  static async start(suiteFile: string, opts: SessionOptions = {}): Promise<HarnessSession> {
    const { loaded, warnings } = await loadValidSuite(suiteFile);
    const s = new HarnessSession(loaded, opts);
    for (const w of warnings) s.progress.warn(`${w.file}${w.line ? `:${w.line}` : ''}: ${w.path}: ${w.message}`);
    await preflight(s.spec, loaded, opts);
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
    const { suite } = this.loaded;
    const runId = newRunId();
    const env = readImagesEnv();
    const agentImage = this.opts.agentImage ?? defaultAgentImage();
    // Workload image overrides are preloaded too, so runs work offline and avoid registry rate limits.
    // (only those present locally: others are pulled by the nodes as usual).
    const overrides = [...new Set(suite.workloads.filter((w) => !w.existing && w.image).map((w) => w.image!))];
    const docker = process.env.NPH_DOCKER ?? 'docker';
    const local = await Promise.all(overrides.map(async (i) => ((await execa(docker, ['image', 'inspect', i], { reject: false })).exitCode === 0 ? i : undefined)));
    const images = [agentImage, ...local.filter((i): i is string => i !== undefined && i !== agentImage)];
    await this.sweepOrphans();
    const cluster = await createCluster(this.spec, {
      ...(this.spec.name ? { name: this.spec.name } : {}),
      keep: this.opts.keep ?? false,
      reuse: this.opts.reuse ?? false,
      ...(this.opts.nodeImage ? { nodeImage: this.opts.nodeImage } : {}),
      ...(this.opts.kindBinary ? { kindBinary: this.opts.kindBinary } : {}),
      ...(this.opts.kubeconfig ? { kubeconfig: this.opts.kubeconfig } : {}),
      ...(this.opts.context ? { context: this.opts.context } : {}),
      allowForeignNamespaces: this.opts.allowForeignNamespaces ?? false,
      preloadImages: images,
      cleanup: this.cleanup,
      progress: this.progress,
    });
    this.cluster = cluster;
    this.result.cluster = { ...this.result.cluster!, provider: cluster.provider, name: cluster.name };
    this.executor = new ApiServerExecutor(cluster.kubeConfig);
    const version = await withDeadline(cluster.kubeConfig.makeApiClient(VersionApi).getCode(), 30_000, 'the API server (version)').then((v) => v.gitVersion, () => undefined);
    if (version) this.result.cluster = { ...this.result.cluster, kubernetesVersion: version };

    await installCni(cluster, this.spec.cni, {
      progress: this.progress,
      ...(this.opts.calicoManifest ? { calicoManifest: this.opts.calicoManifest } : {}),
      ...(env.NPH_KUBE_ROUTER_IMAGE ? { kubeRouterImage: env.NPH_KUBE_ROUTER_IMAGE } : {}),
    });
    if (cluster.loadImages) await preloadImages(cluster, images, { progress: this.progress });
    const nodes = await cluster.nodes();
    this.result.cluster = { ...this.result.cluster, nodes: nodes.length };
    const workers = workerNodeNames(nodes);

    if (this.spec.cni !== 'none' && !this.opts.skipCanary) {
      const pair: [string, string] = [workers[0]!, workers[1] ?? workers[0]!];
      this.canary = await withStep(this.progress, `enforcement canary (${pair[1]} -> ${pair[0]})`, () =>
        enforcementCanary(cluster.kubeConfig, { agentImage, nodes: pair, cni: this.spec.cni, executor: this.executor!, cleanup: this.cleanup }),
      );
    }

    const guard = guardFor(cluster, suite, this.loaded.policies, { runId, allowForeignNamespaces: this.opts.allowForeignNamespaces ?? false });
    if (!cluster.createdByUs && cluster.dockerNetwork) {
      // A reused cluster may hold externals from a run killed with SIGKILL or kept with --keep.
      const left = await removeLeftoverExternals(cluster.name);
      if (left.length > 0) this.progress.info(`removed ${left.length} leftover external container(s) of an earlier run`);
    }
    this.deployment = await deployWorkloads(cluster, suite, { runId, agentImage, guard, nodes: workers, progress: this.progress, cleanup: this.cleanup });
    const externals = suite.externals.length > 0 ? await startExternals(cluster, suite, { runId, agentImage, progress: this.progress, cleanup: this.cleanup }) : new Map<string, ExternalEndpoint>();

    for (const [id, ep] of this.deployment.endpoints) {
      if (ep.serviceIP) this.addresses.serviceIP.set(id, ep.serviceIP);
      if (ep.serviceName) (this.addresses.serviceName ??= new Map()).set(id, `${ep.serviceName}.${ep.namespace}.svc.cluster.local`);
      const ips = ep.pods.map((p) => p.ip).filter((ip): ip is string => !!ip);
      this.addresses.podIPs.set(id, ips);
      if (ips[0]) this.ipOf.set(id, ips[0]);
      const first = ep.pods[0];
      if (first && ep.kind !== 'existing') this.sources.set(id, { endpoint: id, namespace: first.namespace, pod: first.name, container: first.container || AGENT_CONTAINER, ...(first.node ? { node: first.node } : {}) });
    }
    for (const [name, ext] of externals) {
      this.addresses.podIPs.set(`external:${name}`, [ext.ip]);
      this.ipOf.set(`external:${name}`, ext.ip);
    }
    this.applier = new PolicyApplier({
      client: cluster.client,
      policies: this.loaded.policies,
      ...(cluster.createdByUs ? {} : { guard }),
      progress: this.progress,
      ...(cluster.ephemeral ? {} : { cleanup: this.cleanup }),
    });
    if (!cluster.createdByUs) {
      // Harness namespaces adopted from an earlier kept or killed run may still hold its policies,
      // which would change this run's verdicts: start every step sequence from no harness policies.
      const purged = await this.applier.purgeLeftovers(new Set([...suite.namespaces.map((n) => n.name), ...[...this.loaded.policies.values()].flat().map((p) => p.policy.metadata.namespace ?? '')].filter(Boolean)));
      if (purged.length > 0) this.progress.info(`removed ${purged.length} leftover NetworkPolic${purged.length === 1 ? 'y' : 'ies'} of an earlier run: ${purged.join(', ')}`);
    }
  }

  /** Every run removes externals whose cluster is gone (kept, then deleted with `kind delete cluster`). */
  private async sweepOrphans(): Promise<void> {
    try {
      const gone = await removeOrphanedExternals();
      if (gone.length > 0) this.progress.info(`removed ${gone.length} orphaned external container(s) whose cluster no longer exists: ${gone.join(', ')}`);
    } catch (e) {
      // Best effort: an existing cluster needs no Docker engine on this host.
      if (this.spec.provider !== 'existing') this.progress.warn(`could not check for orphaned external containers: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  stepIndex(nameOrIndex: string | number): number {
    const steps = this.loaded.suite.steps;
    const i = typeof nameOrIndex === 'number' ? nameOrIndex : steps.findIndex((s) => s.name === nameOrIndex);
    if (i < 0 || i >= steps.length) {
      throw new UsageError(`no step ${JSON.stringify(nameOrIndex)} in suite ${this.loaded.suite.metadata.name}; steps: ${steps.map((s) => s.name).join(', ')}`);
    }
    return i;
  }

  /**
   * Applies the changes of every step up to and including this one (earlier steps are applied
   * without probing when skipped), then probes this step's matrix until it settles.
   */
  async runStep(nameOrIndex: string | number): Promise<StepResult> {
    const index = this.stepIndex(nameOrIndex);
    if (!this.applier || !this.executor) throw new InfraError('the session is not provisioned (start() failed or stop() was called)');
    if (index <= this.appliedThrough) {
      throw new UsageError(`step ${this.loaded.suite.steps[index]!.name} is already applied; steps run in order`);
    }
    const step = this.loaded.suite.steps[index]!;
    const started = new Date();
    const t0 = performance.now();
    for (let i = this.appliedThrough + 1; i <= index; i++) {
      if (this.cleanup.interrupted) throw new InfraError('interrupted: no further changes are applied while cleaning up');
      const s = this.loaded.suite.steps[i]!;
      await withStep(this.progress, `step ${s.name}: applying changes`, () => this.applier!.applyStep(s, this.deployment));
      this.appliedThrough = i;
    }
    // Under `none` the simulation still says what the policies mean (Calico semantics), so a CNI that
    // ignores them shows up as enforcement mismatches rather than as wrong expectations.
    const profile = this.spec.cni === 'none' ? calico : profileByName(this.spec.cni);
    const expected = expectedMatrix(this.loaded, index, { addresses: this.ipOf, ...(profile ? { profile } : {}) });
    const simulated: Matrix<SimCell> = simulateStep(this.loaded, index, { addresses: this.ipOf, ...(profile ? { profile } : {}) });
    const probeOpts = this.loaded.suite.probe;
    const plan = planStep(this.axes, expected, this.sources, this.addresses, {
      via: this.opts.via ?? probeOpts.via,
      timeoutMs: this.opts.timeoutMs ?? probeOpts.timeoutMs,
    });
    // Watched while probing: failed execs are retried and counted, faults become errors (harness/observe).
    const observed = await observeStep({
      client: this.cluster!.client,
      executor: this.executor,
      targets: watchTargets(this.deployment!, this.loaded.suite),
      ...(this.opts.execConcurrency !== undefined ? { concurrency: this.opts.execConcurrency } : {}),
      onReplaced: (src) => this.sources.set(src.endpoint, src),
    });
    const end = this.progress.step(`step ${step.name}: probing ${plan.cells.length} cells`);
    let settled;
    try {
      await this.opts.onProbing?.(step.name);
      settled = await probeUntilSettled(plan.cells, observed.prober, { deadlineMs: this.opts.settleMs ?? probeOpts.settleMs });
    } finally {
      observed.observer.stop();
    }
    const infrastructure = observed.finish(plan.cells, settled);
    end(settled.timeToEnforceMs !== undefined ? `matched after ${(settled.timeToEnforceMs / 1000).toFixed(1)} s` : `did not match: ${infrastructure.unsettled ? unsettledLine(infrastructure.unsettled) : 'no cells'}`);

    const planned = new Map(plan.cells.map((c) => [cellKey(c.source.endpoint, c.target.id), c]));
    const cells: CellResult[] = [];
    for (const { src, col, value } of expected.cells()) {
      if (!value) continue;
      const k = cellKey(src.id, col.key);
      const sim = simulated.get(src.id, col.key);
      const cell: CellResult = {
        src: src.id,
        col: col.key,
        expected: value.verdict,
        expectedOrigin: value.origin,
        ...(sim ? { simulated: sim.verdict, explanation: sim.explanation } : {}),
      };
      const p = planned.get(k);
      const outcome = settled.outcomes.get(k);
      if (p && outcome) cell.observed = observationFrom(p, outcome, this.cluster ? { kubeconfig: this.cluster.kubeconfigPath, context: this.cluster.context } : undefined);
      else cell.observed = { class: 'error', attempts: 0, detail: plan.unplanned.get(k) ?? 'not probed' };
      cells.push(cell);
    }
    const result: StepResult = {
      name: step.name,
      ...(step.description ? { description: step.description } : {}),
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      ...(settled.timeToEnforceMs !== undefined ? { timeToEnforceMs: Math.round(settled.timeToEnforceMs) } : {}),
      attempts: settled.attempts,
      cells,
      infrastructure,
    };
    this.result.steps.push(result);
    registerStepAxes(result, this.axes);
    return result;
  }

  /** Runs every remaining step in order. */
  async runAll(onStep?: (s: StepResult) => void): Promise<RunResult> {
    for (let i = this.appliedThrough + 1; i < this.loaded.suite.steps.length; i++) {
      const r = await this.runStep(i);
      onStep?.(r);
    }
    return this.result;
  }

  /** Restores what the run changed and removes what it created (unless keep). Safe to call twice. */
  async stop(): Promise<CleanupReport> {
    this.result.finishedAt = new Date().toISOString();
    try {
      return await this.cleanup.run();
    } finally {
      this.uninstallSignals?.();
      this.applier = undefined;
    }
  }
}
