// A harness session: the whole job over one cluster. `start` validates the suite (before touching any
// cluster), provisions the cluster, installs the CNI, proves enforcement with the canary and deploys the
// workloads; `runStep` applies one step and probes it until it settles; `stop` cleans up.
// The CLI's `run` and the mocha suites (suites/*.spec.ts) are thin shells over this class.
import { VersionApi } from '@kubernetes/client-node';
import { access, constants } from 'node:fs/promises';
import { InfraError, UsageError, type Issue } from '../errors.js';
import { resultAxes, type CellResult, type RunResult, type StepResult } from '../diff/result.js';
import { buildAxes, type Axes } from '../matrix/axes.js';
import { cellKey } from '../matrix/matrix.js';
import { simulateStep, expectedMatrix, profileForRun, type SimCell } from '../policy/simulate.js';
import type { Matrix } from '../matrix/matrix.js';
import type { LoadedSuite } from '../suite/load.js';
import type { ClusterSpec, StepSpec } from '../suite/schema.js';
import type { SourcedPolicy } from '../policy/types.js';
import { loadValidSuite } from '../suite/validate.js';
import {
  CleanupStack,
  createCluster,
  createProgress,
  guardFor,
  newRunId,
  withStep,
  workerNodeNames,
  type CleanupReport,
  type Cluster,
  type Progress,
} from '../cluster/index.js';
import { enforcementCanary, type CanaryResult } from '../cluster/checks/canary.js';
import { ensureAgentImage } from '../cluster/agent/image.js';
import { execaRunner } from '../cluster/command.js';
import { readImagesEnv } from '../cluster/paths.js';
import { localImages } from '../cluster/images.js';
import { axesAtStep } from '../matrix/step-axes.js';
import { hasDynamics, presentFromStart } from '../suite/presence.js';
import { preloadAndInstallCni } from '../cluster/cni/bring-up.js';
import { arpTableWarning, hostArpCap } from '../cluster/checks/host-limits.js';
import type { CalicoDataplane } from '../cluster/cni/types.js';
import { calicoDataplaneFor } from './dataplane.js';
import { withDeadline } from '../cluster/wait.js';
import { EndpointChanger, PolicyApplier, defaultAgentImage, deployWorkloads, removeLeftoverExternals, removeOrphanedExternals, startExternals, type Deployment, type ExternalEndpoint } from '../apply/index.js';
import { ApiServerExecutor, type PodExecutor } from '../probe/exec.js';
import { canStream, SessionPool } from '../probe/session.js';
import { AGENT_CONTAINER, type SourcePod } from '../probe/prober.js';
import { probeUntilSettled } from '../probe/settle.js';
import { enforcedAtMs, RecordingProber } from '../probe/timeline.js';
import { observeStep, unsettledLine, watchTargets } from '../observe/index.js';
import type { Addresses, Via } from '../probe/targets.js';
import { applyManifests, loadManifests, manifestImages, type UserManifest } from '../apply/manifests.js';
import { checkInPlaceAccess, servesEphemeralContainers } from '../apply/access.js';
import { existingPodQueries, inPlaceProber, setUpInPlace, type InPlaceSetup } from './in-place.js';
import { observationFrom, planStep } from './plan.js';
import { apiServerReviewer, type AccessReviewer } from '../cluster/checks/access.js';
import { assertRehearsable, writeRollbackFile } from './rehearsal.js';
import { registerStepAxes } from './registry.js';
import { tierCanary, type TierSupport } from '../cluster/checks/tier-canary.js';
import { notTestableReason, notTestableStep } from './tiers.js';
import { LiveProber } from '../observe/live-prober.js';
import { InPlaceFollower, ipInSnapshot, relearnPods } from './relearn.js';

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
  /** Calico's dataplane (`--calico-dataplane`; default NPH_CALICO_DATAPLANE, then iptables). */
  calicoDataplane?: CalicoDataplane;
  agentImage?: string;
  via?: Via;
  timeoutMs?: number;
  settleMs?: number;
  /** Pause between re-probes of mismatching cells while a step settles (default 1000 ms). */
  settleIntervalMs?: number;
  /** Probe and report only the cells this keeps (conformance lanes: cells across lanes are not judged). */
  cellFilter?: (stepIndex: number, src: string, col: string) => boolean;
  /** Record per cell when it first showed its expected verdict and kept it (`enforcedAtMs`). */
  cellTimes?: boolean;
  /** Skip the enforcement canary (not recommended; `--cni none` skips it by design). */
  skipCanary?: boolean;
  /** Concurrent execs against the API server. */
  execConcurrency?: number;
  progress?: Progress;
  /** Install SIGINT/SIGTERM handlers that clean up (the CLI does; mocha suites need not). */
  handleSignals?: boolean;
  /** existing clusters: where rollback.yaml goes before the first change (default: cwd). */
  rollbackDir?: string;
  /** Tests: answer permission checks without an API server (default: SelfSubjectAccessReview). */
  accessReviewer?: AccessReviewer;
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
  if (spec.provider === 'existing' && loaded.suite.manifests.length > 0) {
    throw new UsageError(`suite ${loaded.suite.metadata.name} lists manifests, which the harness applies only to clusters it creates (kind, k3s)`, {
      hint: 'deploy them yourself and refer to the workloads with existing: true and ref, or use --provider kind',
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
    // Missing: built from the binary the npm package ships (no Go needed), else a clear InfraError.
    await ensureAgentImage(opts.agentImage ?? defaultAgentImage(), { runner: execaRunner, docker: process.env.NPH_DOCKER ?? 'docker', ...(opts.progress ? { progress: opts.progress } : {}) });
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
  /** The suite; once provisioned, with existing workloads' labels and ports as found in the cluster. */
  loaded: LoadedSuite;
  axes: Axes;
  readonly result: RunResult;
  cluster?: Cluster;
  deployment?: Deployment;
  /** When the run deployed its pods (ms since the epoch): cluster service pods Ready before then are no lag (observe/). */
  private deployedAt?: number;
  canary?: CanaryResult;
  /** ClusterNetworkPolicy support found by the tier canary (only for suites that use cluster policies). */
  tiers?: TierSupport;
  private readonly cleanup: CleanupStack;
  private readonly progress: Progress;
  private applier?: PolicyApplier;
  /** Steps' create/delete/recreate (only when the suite has dynamics). */
  private changer?: EndpointChanger;
  private executor?: PodExecutor;
  /** Probe sessions for the whole run (opened while the first step applies; harness/probe/session.ts). */
  private probeSessions?: SessionPool;
  private addresses: Addresses = { serviceIP: new Map(), podIPs: new Map() };
  private ipOf = new Map<string, string>();
  private sources = new Map<string, SourcePod>();
  /** Probing in place (run/in-place.ts): every pod of `sourcePods: all` sources, witnessed destinations. */
  inPlace?: InPlaceSetup;
  /** Moves in-place containers to pods that replaced theirs (run/relearn.ts). */
  private follower?: InPlaceFollower;
  /** The suite's own manifests (read before any cluster work). */
  private manifests: UserManifest[] = [];
  private podIPs = new Map<string, string>();
  /** Index of the last step whose changes are applied (-1: none). */
  private appliedThrough = -1;
  private uninstallSignals?: () => void;
  readonly spec: ClusterSpec;
  /** Calico's dataplane when the harness installs Calico. */
  readonly calicoDataplane: CalicoDataplane | undefined;
  /** rollback.yaml, once written (existing clusters, before the first change). */
  rollbackFile?: string;

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
    await preflight(s.spec, loaded, { ...opts, progress: s.progress });
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
    const local = await localImages(overrides, execaRunner, docker);
    // The manifests' images too, when the local engine has them (users without a registry build them there).
    const theirs = await localImages(manifestImages(this.manifests), execaRunner, docker);
    const images = [...new Set([agentImage, ...local, ...theirs].filter((i): i is string => i !== undefined))];
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
      ...(this.calicoDataplane === 'nftables' ? { kubeProxyMode: 'nftables' as const } : {}),
      cleanup: this.cleanup,
      progress: this.progress,
    });
    this.cluster = cluster;
    // A rehearsal on someone else's cluster: permissions and namespaces first, before any change.
    if (cluster.provider === 'existing') {
      await assertRehearsable(cluster.client, this.opts.accessReviewer ?? apiServerReviewer(cluster.kubeConfig), this.loaded, cluster.context);
      this.rollbackFile = await writeRollbackFile(cluster.client, this.loaded, this.opts.rollbackDir ?? process.cwd(), { context: cluster.context, kubeconfig: cluster.kubeconfigPath });
      this.progress.info(`rollback file (the prior policies and labels): ${this.rollbackFile}`);
    }
    this.result.cluster = { ...this.result.cluster!, provider: cluster.provider, name: cluster.name };
    this.executor = new ApiServerExecutor(cluster.kubeConfig);
    // Probing in place changes pods the harness does not own: check every permission it needs first.
    const policyNs = new Set([...suite.namespaces.map((n) => n.name), ...[...this.loaded.policies.values()].flat().map((p) => p.policy.metadata.namespace ?? '')].filter(Boolean));
    await checkInPlaceAccess(suite, policyNs, { review: this.opts.accessReviewer ?? apiServerReviewer(cluster.kubeConfig), servesEphemeral: () => servesEphemeralContainers(cluster.kubeConfig) });
    const version = await withDeadline(cluster.kubeConfig.makeApiClient(VersionApi).getCode(), 30_000, 'the API server (version)').then((v) => v.gitVersion, () => undefined);
    if (version) this.result.cluster = { ...this.result.cluster, kubernetesVersion: version };

    // Images first: the CNI's own pods must find theirs on the nodes (see preloadAndInstallCni).
    await preloadAndInstallCni(cluster, this.spec.cni, {
      agentImage,
      // Workload overrides and the user's manifests' images: loaded when the local engine has them.
      workloadImages: [...new Set([...overrides, ...manifestImages(this.manifests)])],
      progress: this.progress,
      ...(this.opts.calicoManifest ? { calicoManifest: this.opts.calicoManifest } : {}),
      ...(this.calicoDataplane ? { calicoDataplane: this.calicoDataplane } : {}),
      ...(env.NPH_KUBE_ROUTER_IMAGE ? { kubeRouterImage: env.NPH_KUBE_ROUTER_IMAGE } : {}),
    });
    const nodes = await cluster.nodes();
    this.result.cluster = { ...this.result.cluster, nodes: nodes.length };
    const workers = workerNodeNames(nodes);

    if (this.spec.cni !== 'none' && !this.opts.skipCanary) {
      const pair: [string, string] = [workers[0]!, workers[1] ?? workers[0]!];
      this.canary = await withStep(this.progress, `enforcement canary (${pair[1]} -> ${pair[0]})`, () =>
        enforcementCanary(cluster.kubeConfig, { agentImage, nodes: pair, cni: this.spec.cni, executor: this.executor!, cleanup: this.cleanup }),
      );
    }

    if (this.loaded.clusterPolicies && this.loaded.clusterPolicies.size > 0) {
      const pair: [string, string] = [workers[0]!, workers[1] ?? workers[0]!];
      this.tiers =
        this.spec.cni === 'none'
          ? { served: false, enforced: false, reason: 'CNI none enforces no policy at all' }
          : await withStep(this.progress, 'ClusterNetworkPolicy tier canary', () => tierCanary(cluster.kubeConfig, cluster.client, { agentImage, nodes: pair, cni: this.spec.cni, executor: this.executor!, cleanup: this.cleanup }));
      if (!this.tiers.enforced) this.progress.warn(`steps with ClusterNetworkPolicies will be reported not testable: ${this.tiers.reason}`);
    }

    const guard = guardFor(cluster, suite, this.loaded.policies, { runId, allowForeignNamespaces: this.opts.allowForeignNamespaces ?? false });
    if (!cluster.createdByUs && cluster.dockerNetwork) {
      // A reused cluster may hold externals from a run killed with SIGKILL or kept with --keep.
      const left = await removeLeftoverExternals(cluster.name);
      if (left.length > 0) this.progress.info(`removed ${left.length} leftover external container(s) of an earlier run`);
    }
    if (this.manifests.length > 0) {
      this.cleanup.push('namespaces created for the suite manifests', async () => void (await guard.deleteCreated({ wait: !cluster.ephemeral })));
      const declared = new Map(suite.namespaces.map((n) => [n.name, n.labels]));
      await applyManifests(cluster.client, this.manifests, {
        ensureNamespace: async (name) => void (await guard.ensureNamespace({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: declared.get(name) ?? {} } })),
        cleanup: this.cleanup,
        clusterIsDeleted: cluster.ephemeral,
        progress: this.progress,
      });
    }
    if (cluster.dockerNetwork) {
      // Local clusters share the host kernel's neighbour table: too many pods and same-node probes vanish like drops.
      const pods = presentFromStart(suite).workloads.filter((w) => !w.existing).reduce((n, w) => n + w.replicas, 0) + suite.probes.length;
      const arp = arpTableWarning(pods, Math.max(1, workers.length), hostArpCap());
      if (arp) this.progress.warn(arp);
    }
    const existingQueries = await existingPodQueries(cluster.client, suite);
    // What starts absent (initially: absent) is created by a later step.
    this.deployedAt = Date.now();
    this.deployment = await deployWorkloads(cluster, presentFromStart(suite), { runId, agentImage, guard, nodes: workers, progress: this.progress, cleanup: this.cleanup, existingQueries });
    if (suite.workloads.some((w) => w.existing)) {
      this.inPlace = await withStep(this.progress, 'existing workloads: reading their ports, adding probe/witness containers', () =>
        setUpInPlace(cluster, this.loaded, this.deployment!, { agentImage, progress: this.progress }),
      );
      this.loaded = this.inPlace.loaded;
      this.follower = new InPlaceFollower(this.inPlace, this.loaded.suite, this.inPlace.ensure);
      this.axes = buildAxes(this.loaded.suite);
      this.result.axes = resultAxes(this.axes);
    }
    const externals = suite.externals.length > 0 ? await startExternals(cluster, suite, { runId, agentImage, progress: this.progress, cleanup: this.cleanup }) : new Map<string, ExternalEndpoint>();

    for (const [name, ext] of externals) {
      this.addresses.podIPs.set(`external:${name}`, [ext.ip]);
      this.ipOf.set(`external:${name}`, ext.ip);
    }
    this.refreshEndpoints();
    if (canStream(this.executor)) {
      // Sessions open now, in the background, while the first step applies its changes: a step's
      // first round then pays no exec setups (a hundred of them take seconds on a small machine).
      this.probeSessions = new SessionPool(this.executor, this.opts.execConcurrency !== undefined ? { openConcurrency: this.opts.execConcurrency } : {});
      void this.probeSessions.warm([...this.sources.values()]);
    }
    if (hasDynamics(suite)) this.changer = new EndpointChanger({ client: cluster.client, suite, deployment: this.deployment, guard, agentImage, progress: this.progress });
    this.applier = new PolicyApplier({
      client: cluster.client,
      policies: this.loaded.policies,
      ...(cluster.createdByUs ? {} : { guard }),
      progress: this.progress,
      ...(cluster.ephemeral ? {} : { cleanup: this.cleanup }),
      ...(this.loaded.clusterPolicies ? { clusterPolicies: this.loaded.clusterPolicies, skipClusterPolicies: !this.tiers?.served } : {}),
    });
    if (!cluster.createdByUs) {
      // Harness namespaces adopted from an earlier kept or killed run may still hold its policies,
      // which would change this run's verdicts: start every step sequence from no harness policies.
      const purged = await this.applier.purgeLeftovers(new Set([...suite.namespaces.map((n) => n.name), ...[...this.loaded.policies.values()].flat().map((p) => p.policy.metadata.namespace ?? '')].filter(Boolean)));
      if (purged.length > 0) this.progress.info(`removed ${purged.length} leftover NetworkPolic${purged.length === 1 ? 'y' : 'ies'} of an earlier run: ${purged.join(', ')}`);
      const purgedCluster = (await this.applier.cluster?.purgeLeftovers()) ?? [];
      if (purgedCluster.length > 0) this.progress.info(`removed leftover cluster policies of an earlier run: ${purgedCluster.join(', ')}`);
    }
  }

  /** Source pods and addresses from the deployment (again after a step created, deleted or recreated pods). */
  private refreshEndpoints(): void {
    for (const m of [this.addresses.serviceIP, this.addresses.serviceName, this.addresses.podIPs, this.ipOf, this.sources])
      for (const id of [...(m?.keys() ?? [])]) if (!id.startsWith('external:')) m!.delete(id);
    for (const [id, ep] of this.deployment?.endpoints ?? []) {
      if (ep.serviceIP) this.addresses.serviceIP.set(id, ep.serviceIP);
      if (ep.serviceName) (this.addresses.serviceName ??= new Map()).set(id, `${ep.serviceName}.${ep.namespace}.svc.cluster.local`);
      const ips = ep.pods.map((p) => p.ip).filter((ip): ip is string => !!ip);
      this.addresses.podIPs.set(id, ips);
      if (ips[0]) this.ipOf.set(id, ips[0]);
      const first = ep.pods[0];
      if (first && ep.kind !== 'existing') this.sources.set(id, { endpoint: id, namespace: first.namespace, pod: first.name, container: first.container || AGENT_CONTAINER, ...(first.node ? { node: first.node } : {}) });
      for (const p of ep.pods) if (p.ip) this.podIPs.set(`${p.namespace}/${p.name}`, p.ip);
    }
    // Existing workloads probe from their ephemeral containers (in-place.ts).
    for (const [id, src] of this.inPlace?.sources ?? []) this.sources.set(id, src);
  }

  /** Before each step: pods replaced since they were learnt are probed as they are now (run/relearn.ts). */
  private async relearn(): Promise<void> {
    try {
      for (const line of await relearnPods(this.cluster!.client, this.deployment!, watchTargets(this.deployment!, this.loaded.suite), this.follower)) this.progress.info(line);
    } catch (e) {
      // The step's guard reports what is wrong with stale pods; the step still runs.
      this.progress.warn(`could not re-learn replaced pods: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.refreshEndpoints();
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
      const changer = this.changer;
      await withStep(this.progress, `step ${s.name}: applying changes`, () => this.applier!.applyStep(s, this.deployment, changer ? () => changer.applyStep(s) : undefined));
      this.appliedThrough = i;
    }
    await this.relearn();
    // Per-cell times count from here, the end of the step's changes (not from the first probe).
    const changedAt = performance.now();
    const untestable = notTestableReason(this.loaded, index, this.tiers);
    if (untestable !== undefined) {
      this.progress.warn(`step ${step.name}: ${untestable}`);
      const result = notTestableStep(step, untestable, started, performance.now() - t0);
      this.result.steps.push(result);
      return result;
    }
    // Only what is present after this step has cells (suite/presence.ts).
    const axes = axesAtStep(this.loaded.suite, index, this.axes);
    const profile = profileForRun(this.loaded, this.spec.cni, this.opts.cluster?.cni !== undefined);
    const keep = this.opts.cellFilter;
    const simulated: Matrix<SimCell> = simulateStep(this.loaded, index, { addresses: this.ipOf, profile, ...(keep ? { explain: (src: string, col: string) => keep(index, src, col) } : {}) });
    const expected = expectedMatrix(this.loaded, index, { addresses: this.ipOf, profile }, simulated);
    const probeOpts = this.loaded.suite.probe;
    const plan = planStep(axes, expected, this.sources, this.addresses, {
      via: this.opts.via ?? probeOpts.via,
      timeoutMs: this.opts.timeoutMs ?? probeOpts.timeoutMs,
    });
    if (keep) plan.cells = plan.cells.filter((c) => keep(index, c.source.endpoint, c.target.id));
    // Watched while probing: failed execs are retried and counted, faults become errors (harness/observe).
    let live: LiveProber | undefined;
    const observed = await observeStep({
      client: this.cluster!.client,
      executor: this.executor,
      targets: watchTargets(this.deployment!, this.loaded.suite, this.deployedAt),
      ...(this.probeSessions ? { pool: this.probeSessions } : {}),
      ...(this.opts.execConcurrency !== undefined ? { concurrency: this.opts.execConcurrency } : {}),
      onReplaced: (src, old) => {
        this.sources.set(src.endpoint, src);
        live?.replaced(old, src);
      },
      ...(this.follower ? { prepareSource: (src: SourcePod) => this.follower!.prepareSource(src) } : {}),
    });
    // Existing workloads add their layers on top (the witness judges by arrival, fan-out over pods).
    const layered = inPlaceProber(observed.prober, this.inPlace, {
      axes: this.axes,
      podIPs: this.podIPs,
      sourceIP: (s) => ipInSnapshot(observed.observer.last, s),
      ...(this.cluster ? { kubeConfig: this.cluster.kubeConfig } : {}),
    });
    // Pods replaced mid-step are probed (and named in repro commands) as they are now.
    const current = (live = new LiveProber(layered, { snapshot: () => observed.observer.last, target: (e) => observed.observer.target(e) }));
    // Outermost: the conformance battery's per-cell timeline records what every round saw.
    const timeline = this.opts.cellTimes ? new RecordingProber(current, changedAt) : undefined;
    const prober = timeline ?? current;
    const end = this.progress.step(`step ${step.name}: probing ${plan.cells.length} cells`);
    let settled;
    try {
      await this.opts.onProbing?.(step.name);
      settled = await probeUntilSettled(plan.cells, prober, { deadlineMs: this.opts.settleMs ?? probeOpts.settleMs, ...(this.opts.settleIntervalMs !== undefined ? { intervalMs: this.opts.settleIntervalMs } : {}) });
    } finally {
      observed.stop();
    }
    const infrastructure = observed.finish(plan.cells, settled);
    end(settled.timeToEnforceMs !== undefined ? `matched after ${(settled.timeToEnforceMs / 1000).toFixed(1)} s` : `did not match: ${infrastructure.unsettled ? unsettledLine(infrastructure.unsettled) : 'no cells'}`);

    const planned = new Map(plan.cells.map((c) => [cellKey(c.source.endpoint, c.target.id), c]));
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
      if (p && outcome) cell.observed = observationFrom(p, outcome, this.cluster ? { kubeconfig: this.cluster.kubeconfigPath, context: this.cluster.context } : undefined);
      else cell.observed = { class: 'error', attempts: 0, detail: plan.unplanned.get(k) ?? 'not probed' };
      const at = p && timeline ? enforcedAtMs(timeline.rounds, k, value.verdict) : undefined;
      if (at !== undefined) cell.enforcedAtMs = Math.round(at);
      cells.push(cell);
    }
    const result: StepResult = {
      name: step.name,
      ...(step.description ? { description: step.description } : {}),
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      ...(settled.timeToEnforceMs !== undefined ? { timeToEnforceMs: Math.round(settled.timeToEnforceMs) } : {}),
      ...(timeline?.rounds[0] ? { firstProbeMs: Math.round(timeline.rounds[0].atMs) } : {}),
      attempts: settled.attempts,
      cells,
      infrastructure,
    };
    this.result.steps.push(result);
    registerStepAxes(result, axes);
    return result;
  }

  /** Pod and external addresses by endpoint id (`x/a`, `external:ext`), as the simulation uses them. */
  get endpointAddresses(): ReadonlyMap<string, string> {
    return this.ipOf;
  }

  /**
   * Adds steps (and the policy sets they apply) after the suite's last one, for callers that choose
   * what to probe next from what they saw (conformance --random confirms a shrunk set on the same
   * cluster). The caller validates them as part of the suite.
   */
  appendSteps(steps: StepSpec[], policies: ReadonlyMap<string, SourcedPolicy[]>): void {
    for (const [id, docs] of policies) {
      this.loaded.policies.set(id, docs);
      if (!this.loaded.suite.policies.some((r) => r.id === id)) this.loaded.suite.policies.push({ id, file: docs[0]?.file ?? `${id}.yaml` });
    }
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
    this.applier?.forgetChanges();
  }

  /** Restores what the run changed and removes what it created (unless keep). Safe to call twice. */
  async stop(): Promise<CleanupReport> {
    this.result.finishedAt = new Date().toISOString();
    // Before the cleanup deletes the pods the sessions run in.
    this.probeSessions?.close();
    this.probeSessions = undefined;
    try {
      return await this.cleanup.run();
    } finally {
      this.uninstallSignals?.();
      this.applier = undefined;
    }
  }
}
