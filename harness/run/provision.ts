// Provisioning, the first phase of a run: checks that need no cluster (preflight), then the cluster
// (created, reused or existing), the rehearsal's permission checks and rollback file, the CNI, the
// settle phase (cluster services Ready and stable; it runs beside the canary and the deployment), and
// the canaries that prove enforcement before any step's verdict is trusted.
import { VersionApi } from '@kubernetes/client-node';
import { access, constants } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import type { RunResult } from '../diff/result.js';
import type { LoadedSuite } from '../suite/load.js';
import type { ClusterSpec } from '../suite/schema.js';
import { createCluster, withStep, workerNodeNames, type CleanupStack, type Cluster, type Progress } from '../cluster/index.js';
import { enforcementCanary, type CanaryResult } from '../cluster/checks/canary.js';
import { ensureAgentImage } from '../cluster/agent/image.js';
import { execaRunner } from '../cluster/command.js';
import { readImagesEnv } from '../cluster/paths.js';
import { localImages } from '../cluster/images.js';
import { preloadAndInstallCni } from '../cluster/cni/bring-up.js';
import type { CalicoDataplane, CniInstallOptions } from '../cluster/cni/types.js';
import { cniInstaller } from '../cluster/cni/index.js';
import { describeCni, detectCni, type DetectedCni } from '../cluster/cni/detect.js';
import { runProfile, type RunProfile } from '../policy/simulate.js';
import { withDeadline } from '../cluster/wait.js';
import { apiServerReviewer } from '../cluster/checks/access.js';
import { tierCanary, type TierSupport } from '../cluster/checks/tier-canary.js';
import { defaultAgentImage, removeOrphanedExternals } from '../apply/index.js';
import { manifestImages, type UserManifest } from '../apply/manifests.js';
import { checkInPlaceAccess, servesEphemeralContainers } from '../apply/access.js';
import { ApiServerExecutor, type PodExecutor } from '../probe/exec.js';
import { cniAgentsProven, waitForClusterServices, type ClusterSettled } from '../observe/settled.js';
import { dnsServed, onePerNode } from '../observe/dns-serving.js';
import { BatchProber, type SourcePod } from '../probe/prober.js';
import { assertRehearsable, writeRollbackFile } from './rehearsal.js';
import type { SessionOptions } from './options.js';
import type { PhaseClock } from './phases.js';

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
    // Missing: built from the binary the npm package ships (no Go needed), else a clear InfraError.
    await ensureAgentImage(opts.agentImage ?? defaultAgentImage(), { runner: execaRunner, docker: process.env.NPH_DOCKER ?? 'docker', ...(opts.progress ? { progress: opts.progress } : {}) });
  }
}

/** What provisioning hands to the later phases. */
export interface Provisioned {
  cluster: Cluster;
  executor: PodExecutor;
  /** Worker node names (the control plane when there are none). */
  workers: string[];
  agentImage: string;
  canary?: CanaryResult;
  /** ClusterNetworkPolicy support found by the tier canary (only for suites that use cluster policies). */
  tiers?: TierSupport;
  /** rollback.yaml, once written (existing clusters, before the first change). */
  rollbackFile?: string;
  /**
   * Pods the settle phase may query DNS from (observe/dns-serving.ts): filled by the session once the
   * suite is deployed; empty until then (young DNS pods then wait out the trust window).
   */
  dnsSources: SourcePod[];
  /** When the enforcement canary started (ms since the epoch): its pass is evidence for the CNI agents on its nodes. */
  canaryStartedAt?: number;
  /** Nodes the suite's pods run on (filled once deployed): a young CNI agent elsewhere disturbs none of its cells. */
  runNodes?: Set<string>;
  /** The settle phase, running from the CNI's install on (awaited before the first step). */
  settling?: { started: number; done: Promise<{ settled: ClusterSettled | undefined; ended: number }> };
  /** The CNI found on the cluster (what enforces on an existing one; the installed one's version on kind). */
  detected: DetectedCni;
  /** The engine profile every step simulates with, and where it came from. */
  profile: RunProfile;
}

export interface ProvisionContext {
  spec: ClusterSpec;
  loaded: LoadedSuite;
  opts: SessionOptions;
  manifests: UserManifest[];
  calicoDataplane: CalicoDataplane | undefined;
  cleanup: CleanupStack;
  progress: Progress;
  /** Filled in as the cluster becomes known (provider, name, version, nodes). */
  result: RunResult;
  phases: PhaseClock;
  /** Ends background work (the settle phase) when the run stops early. */
  signal?: AbortSignal;
}

/** Images preloaded onto a local cluster's nodes: the agent, and workload/manifest images the local engine has. */
async function imagesToPreload(ctx: ProvisionContext, agentImage: string): Promise<{ images: string[]; overrides: string[] }> {
  // Workload image overrides are preloaded too, so runs work offline and avoid registry rate limits
  // (only those present locally: others are pulled by the nodes as usual).
  const overrides = [...new Set(ctx.loaded.suite.workloads.filter((w) => !w.existing && w.image).map((w) => w.image!))];
  const docker = process.env.NPH_DOCKER ?? 'docker';
  const local = await localImages(overrides, execaRunner, docker);
  // The manifests' images too, when the local engine has them (users without a registry build them there).
  const theirs = await localImages(manifestImages(ctx.manifests), execaRunner, docker);
  return { images: [...new Set([agentImage, ...local, ...theirs].filter((i): i is string => i !== undefined))], overrides };
}

/** What the CNI installer needs to know to install, and to name its images. */
const cniImageOptions = (ctx: ProvisionContext, env: ReturnType<typeof readImagesEnv>): CniInstallOptions => ({
  ...(ctx.opts.calicoManifest ? { calicoManifest: ctx.opts.calicoManifest } : {}),
  ...(ctx.calicoDataplane ? { calicoDataplane: ctx.calicoDataplane } : {}),
  ...(env.NPH_KUBE_ROUTER_IMAGE ? { kubeRouterImage: env.NPH_KUBE_ROUTER_IMAGE } : {}),
});

/** Every run removes externals whose cluster is gone (kept, then deleted with `kind delete cluster`). */
async function sweepOrphans(ctx: ProvisionContext): Promise<void> {
  try {
    const gone = await removeOrphanedExternals();
    if (gone.length > 0) ctx.progress.info(`removed ${gone.length} orphaned external container(s) whose cluster no longer exists: ${gone.join(', ')}`);
  } catch (e) {
    // Best effort: an existing cluster needs no Docker engine on this host.
    if (ctx.spec.provider !== 'existing') ctx.progress.warn(`could not check for orphaned external containers: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function provisionCluster(ctx: ProvisionContext): Promise<Provisioned> {
  const { spec, opts, loaded, progress, cleanup, result } = ctx;
  const env = readImagesEnv();
  const agentImage = opts.agentImage ?? defaultAgentImage();
  const { images, overrides } = await imagesToPreload(ctx, agentImage);
  // kind loads these while it bootstraps the nodes: the CNI's own images too (what the local engine has).
  const cniImages = spec.provider === 'kind' ? await cniInstaller(spec.cni).images(cniImageOptions(ctx, env)).catch(() => []) : [];
  await sweepOrphans(ctx);
  const cluster = await ctx.phases.time('cluster', () => createCluster(spec, {
    ...(spec.name ? { name: spec.name } : {}),
    keep: opts.keep ?? false,
    reuse: opts.reuse ?? false,
    ...(opts.nodeImage ? { nodeImage: opts.nodeImage } : {}),
    ...(opts.kindBinary ? { kindBinary: opts.kindBinary } : {}),
    ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
    ...(opts.context ? { context: opts.context } : {}),
    allowForeignNamespaces: opts.allowForeignNamespaces ?? false,
    preloadImages: [...images, ...cniImages],
    ...(ctx.calicoDataplane === 'nftables' ? { kubeProxyMode: 'nftables' as const } : {}),
    cleanup,
    progress,
  }), (c) => (c.createdByUs ? 'created' : 'reused'));
  const out: Provisioned = { cluster, executor: new ApiServerExecutor(cluster.kubeConfig), workers: [], dnsSources: [], agentImage, detected: { name: spec.cni, evidence: 'not read yet' }, profile: runProfile(loaded, spec.cni) };
  // A rehearsal on someone else's cluster: permissions and namespaces first, before any change.
  if (cluster.provider === 'existing') {
    await assertRehearsable(cluster.client, opts.accessReviewer ?? apiServerReviewer(cluster.kubeConfig), loaded, cluster.context);
    out.rollbackFile = await writeRollbackFile(cluster.client, loaded, ctx.manifests, opts.rollbackDir ?? process.cwd(), { context: cluster.context, kubeconfig: cluster.kubeconfigPath });
    progress.info(`rollback file (the prior policies, labels and manifest objects): ${out.rollbackFile}`);
  }
  result.cluster = { ...result.cluster!, provider: cluster.provider, name: cluster.name };
  // Probing in place changes pods the harness does not own: check every permission it needs first.
  const { suite } = loaded;
  const policyNs = new Set([...suite.namespaces.map((n) => n.name), ...[...loaded.policies.values()].flat().map((p) => p.policy.metadata.namespace ?? '')].filter(Boolean));
  await checkInPlaceAccess(suite, policyNs, { review: opts.accessReviewer ?? apiServerReviewer(cluster.kubeConfig), servesEphemeral: () => servesEphemeralContainers(cluster.kubeConfig) });
  const version = await withDeadline(cluster.kubeConfig.makeApiClient(VersionApi).getCode(), 30_000, 'the API server (version)').then((v) => v.gitVersion, () => undefined);
  if (version) result.cluster = { ...result.cluster, kubernetesVersion: version };

  // Images first: the CNI's own pods must find theirs on the nodes (see preloadAndInstallCni).
  await preloadAndInstallCni(cluster, spec.cni, {
    agentImage,
    timed: (name, fn) => ctx.phases.time(name, fn),
    // Workload overrides and the user's manifests' images: loaded when the local engine has them.
    workloadImages: [...new Set([...overrides, ...manifestImages(ctx.manifests)])],
    progress,
    ...cniImageOptions(ctx, env),
  });
  await recordCni(ctx, cluster, out);
  const nodes = await cluster.nodes();
  result.cluster = { ...result.cluster, nodes: nodes.length };
  out.workers = workerNodeNames(nodes);
  // From here on, while the canaries and the deployment run: the session waits for it before the first step.
  const settleStarted = performance.now();
  out.settling = { started: settleStarted, done: settleCluster(ctx, out).then((settled) => ({ settled, ended: performance.now() })) };
  if (loaded.clusterPolicies && loaded.clusterPolicies.size > 0) {
    // Before the deployment: the policy applier skips cluster policies the CNI does not serve.
    const pair = canaryNodes(out);
    out.tiers =
      spec.cni === 'none'
        ? { served: false, enforced: false, reason: 'CNI none enforces no policy at all' }
        : await ctx.phases.time('tier-canary', () => withStep(progress, 'ClusterNetworkPolicy tier canary', () => tierCanary(cluster.kubeConfig, cluster.client, { agentImage, nodes: pair, cni: describeCni(out.detected), executor: out.executor, cleanup })));
    if (!out.tiers.enforced) progress.warn(`steps with ClusterNetworkPolicies will be reported not testable: ${out.tiers.reason}`);
  }
  return out;
}

/** The canary's server and client nodes: two workers when there are two. */
const canaryNodes = (p: Provisioned): [string, string] => [p.workers[0]!, p.workers[1] ?? p.workers[0]!];

/** The enforcement canary (independent of the suite's namespaces: it runs beside the deployment). */
export async function runCanary(ctx: ProvisionContext, prov: Provisioned): Promise<CanaryResult | undefined> {
  const { spec, opts, progress, cleanup } = ctx;
  if (spec.cni === 'none' || opts.skipCanary) return undefined;
  const pair = canaryNodes(prov);
  prov.canaryStartedAt = Date.now();
  return ctx.phases.time('canary', () =>
    withStep(progress, `enforcement canary (${pair[1]} -> ${pair[0]})`, () =>
      enforcementCanary(prov.cluster.kubeConfig, { agentImage: prov.agentImage, nodes: pair, cni: describeCni(prov.detected), executor: prov.executor, cleanup }),
    ),
  );
}

/**
 * The settle phase: waits until CoreDNS, the CNI agents and kube-proxy are Ready and stable
 * (observe/settled.ts). Never fails the run: past its timeout it warns, and the step guard still
 * keeps faults out of verdicts.
 */
export async function settleCluster(ctx: ProvisionContext, prov: Provisioned): Promise<ClusterSettled | undefined> {
  const { progress } = ctx;
  let last = '';
  try {
    const r = await waitForClusterServices({
      client: prov.cluster.client,
      requireDns: prov.cluster.provider !== 'existing',
      verifyDns: (pods) => dnsServed(new BatchProber(prov.executor), onePerNode(prov.dnsSources), pods),
      verifyCniAgents: (agents) =>
        cniAgentsProven(agents, { canaryNodes: prov.canary ? canaryNodes(prov) : [], ...(prov.canary && prov.canaryStartedAt !== undefined ? { canaryStartedAt: prov.canaryStartedAt } : {}), ...(prov.runNodes ? { runNodes: prov.runNodes } : {}) }),
      ...(ctx.opts.settleClusterMs !== undefined ? { timeoutMs: ctx.opts.settleClusterMs } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onWait: (reasons) => {
        const line = reasons[0] ?? '';
        // One line per change of what it waits for, not one per second.
        if (line.replace(/\d+ s/g, '') !== last.replace(/\d+ s/g, '')) progress.info(`settle: waiting for ${line}${reasons.length > 1 ? ` (and ${reasons.length - 1} more)` : ''}`);
        last = line;
      },
    });
    if (!r.settled) progress.warn(`the cluster's services did not settle within ${(r.waitedMs / 1000).toFixed(0)} s (${r.reasons.slice(0, 3).join('; ')}); steps go on, and the guard keeps their faults out of verdicts`);
    return r;
  } catch (e) {
    progress.warn(`could not check that the cluster's services are settled: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/**
 * Reads which CNI runs (after installing ours) and records it with its version in the result. On
 * an existing cluster the detected CNI is the one judged, and its profile the engine's unless
 * `--cni` names one (an explicit override) or the suite does (`cluster.profile`).
 */
async function recordCni(ctx: ProvisionContext, cluster: Cluster, out: Provisioned): Promise<void> {
  const { spec, opts, result, loaded, progress } = ctx;
  const found = await detectCni(cluster.client);
  const existing = cluster.provider === 'existing';
  // On kind and k3s the harness knows what it installed; detection adds the version it runs.
  out.detected = existing || found.name === spec.cni ? found : { name: spec.cni, evidence: `installed by the harness (${found.evidence})` };
  const flag = opts.cluster?.cni;
  out.profile = runProfile(loaded, existing ? out.detected.name : spec.cni, flag);
  const d = out.detected;
  result.cluster = {
    ...result.cluster!,
    cni: d.name,
    ...(d.version ? { cniVersion: d.version } : {}),
    ...(d.dataplane && !result.cluster?.dataplane ? { dataplane: d.dataplane } : {}),
    cniEvidence: d.evidence,
  };
  result.profile = out.profile.profile.name;
  result.profileSource = out.profile.source;
  if (existing) {
    const how = { flag: `--cni ${flag ?? ''}`, suite: "the suite's cluster.profile", cni: 'the detected CNI', unknown: 'none known for this CNI: the default, with no claim about it' }[out.profile.source];
    progress.info(`CNI: ${describeCni(d)} (${d.evidence}); engine profile ${out.profile.profile.name} (${how})`);
  }
}
