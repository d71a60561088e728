// Deployment, the second phase of a run: the suite's manifests, its workloads and probe pods, the
// in-place containers on existing workloads, the externals, and the appliers the step loop uses.
// On a cluster the harness did not create, leftovers of earlier runs are removed first.
import { guardFor, newRunId, withStep, type CleanupStack, type Progress } from '../cluster/index.js';
import { arpTableWarning, hostArpCap } from '../cluster/checks/host-limits.js';
import { EndpointChanger, PolicyApplier, deployWorkloads, removeLeftoverExternals, startExternals, type Deployment, type ExternalEndpoint } from '../apply/index.js';
import { applyManifests, manifestNamespaces, type UserManifest } from '../apply/manifests.js';
import { clusterRoutes, readClusterNetwork, routeIntoCluster, type ClusterNetwork } from '../apply/externals.js';
import { hasDynamics, presentFromStart } from '../suite/presence.js';
import { withNamespaceLabels } from '../suite/in-place.js';
import type { LoadedSuite } from '../suite/load.js';
import { existingPodQueries, setUpInPlace, type InPlaceSetup } from './in-place.js';
import { InPlaceFollower } from './relearn.js';
import type { SessionOptions } from './options.js';
import type { Provisioned } from './provision.js';
import type { PhaseClock } from './phases.js';

export interface Deployed {
  deployment: Deployment;
  /** When the run deployed its pods (ms since the epoch): cluster service pods Ready before then are no lag (observe/). */
  deployedAt: number;
  /** The suite, with existing workloads' labels and ports as found in the cluster. */
  loaded: LoadedSuite;
  /** Probing in place (run/in-place.ts): every pod of `sourcePods: all` sources, witnessed destinations. */
  inPlace?: InPlaceSetup;
  /** Moves in-place containers to pods that replaced theirs (run/relearn.ts). */
  follower?: InPlaceFollower;
  externals: Map<string, ExternalEndpoint>;
  /** The nodes and the gateway external sources are routed through (only with external sources). */
  network?: ClusterNetwork;
  applier: PolicyApplier;
  /** Steps' create/delete/recreate (only when the suite has dynamics). */
  changer?: EndpointChanger;
}

export interface DeployContext {
  loaded: LoadedSuite;
  opts: SessionOptions;
  manifests: UserManifest[];
  cleanup: CleanupStack;
  progress: Progress;
  /** Records the in-place setup as a phase of its own. */
  phases?: PhaseClock;
}

/** Every namespace the run puts policies in: declared ones and those the policy files name. */
function policyNamespaces(loaded: LoadedSuite): Set<string> {
  return new Set([...loaded.suite.namespaces.map((n) => n.name), ...[...loaded.policies.values()].flat().map((p) => p.policy.metadata.namespace ?? '')].filter(Boolean));
}

export async function deploySuite(ctx: DeployContext, prov: Provisioned): Promise<Deployed> {
  const { opts, progress, cleanup } = ctx;
  const { cluster, agentImage, workers } = prov;
  let loaded = ctx.loaded;
  const { suite } = loaded;
  const runId = newRunId();
  // The manifests' namespaces are the suite's too: the guard lets the run change them (as it allows).
  const manifestNs = manifestNamespaces(ctx.manifests);
  const declared = { ...suite, namespaces: [...suite.namespaces, ...manifestNs.map((name) => ({ name }))] };
  const guard = guardFor(cluster, declared, loaded.policies, { runId, allowForeignNamespaces: opts.allowForeignNamespaces ?? false });
  if (!cluster.createdByUs && cluster.dockerNetwork) {
    // A reused cluster may hold externals from a run killed with SIGKILL or kept with --keep.
    const left = await removeLeftoverExternals(cluster.name);
    if (left.length > 0) progress.info(`removed ${left.length} leftover external container(s) of an earlier run`);
  }
  if (ctx.manifests.length > 0) {
    cleanup.push('namespaces created for the suite manifests', async () => void (await guard.deleteCreated({ wait: !cluster.ephemeral })));
    const labelsOf = new Map(suite.namespaces.filter((n) => !n.existing).map((n) => [n.name, n.labels]));
    await applyManifests(cluster.client, ctx.manifests, {
      ensureNamespace: async (name) => {
        const existing = suite.namespaces.find((n) => n.name === name && n.existing);
        if (existing) await guard.useExisting(name, existing.labels);
        else await guard.ensureNamespace({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: labelsOf.get(name) ?? {} } });
      },
      ...(cluster.createdByUs ? {} : { assertMutable: (ns: string, what: string) => guard.assertMutable(ns, what) }),
      cleanup,
      clusterIsDeleted: cluster.ephemeral,
      progress,
    });
  }
  if (cluster.dockerNetwork) {
    // Local clusters share the host kernel's neighbour table: too many pods and same-node probes vanish like drops.
    const pods = presentFromStart(suite).workloads.filter((w) => !w.existing).reduce((n, w) => n + w.replicas, 0) + suite.probes.length;
    const arp = arpTableWarning(pods, Math.max(1, workers.length), hostArpCap());
    if (arp) progress.warn(arp);
  }
  const existingQueries = await existingPodQueries(cluster.client, suite);
  // What starts absent (initially: absent) is created by a later step.
  const deployedAt = Date.now();
  const deployment = await deployWorkloads(cluster, presentFromStart(suite), { runId, agentImage, guard, nodes: workers, progress, cleanup, existingQueries });
  // Existing namespaces (default): the simulation selects on the labels they carry.
  loaded = withNamespaceLabels(loaded, deployment.namespaceLabels);
  let inPlace: InPlaceSetup | undefined;
  let follower: InPlaceFollower | undefined;
  if (suite.workloads.some((w) => w.existing)) {
    const setUp = () => withStep(progress, 'existing workloads: reading their ports, adding probe/witness containers', () => setUpInPlace(cluster, loaded, deployment, { agentImage, progress }));
    inPlace = await (ctx.phases ? ctx.phases.time('in-place', setUp) : setUp());
    loaded = inPlace.loaded;
    follower = new InPlaceFollower(inPlace, loaded.suite, inPlace.ensure);
  }
  const externals = suite.externals.length > 0 ? await startExternals(cluster, suite, { runId, agentImage, progress, cleanup }) : new Map<string, ExternalEndpoint>();
  // External sources reach pods and Services through the nodes: routes into the pod CIDRs and the Service range.
  let network: ClusterNetwork | undefined;
  const sources = [...externals.values()].filter((e) => e.source);
  if (sources.length > 0) {
    const net = (network = await readClusterNetwork(cluster.client));
    const routes = (net.routes = clusterRoutes(net.nodes, suite.cluster, net.gateway));
    await withStep(progress, `routing ${sources.length} external source(s) into the cluster (${routes.map((r) => `${r.cidr} via ${r.via}`).join(', ')})`, async () => {
      for (const e of sources) await routeIntoCluster(e, routes);
    });
  }
  const changer = hasDynamics(suite) ? new EndpointChanger({ client: cluster.client, suite, deployment, guard, agentImage, progress }) : undefined;
  const applier = new PolicyApplier({
    client: cluster.client,
    policies: loaded.policies,
    ...(cluster.createdByUs ? {} : { guard }),
    progress,
    ...(cluster.ephemeral ? {} : { cleanup }),
    ...(loaded.clusterPolicies ? { clusterPolicies: loaded.clusterPolicies, skipClusterPolicies: !prov.tiers?.served } : {}),
  });
  if (!cluster.createdByUs) {
    // Harness namespaces adopted from an earlier kept or killed run may still hold its policies,
    // which would change this run's verdicts: start every step sequence from no harness policies.
    const purged = await applier.purgeLeftovers(policyNamespaces(loaded));
    if (purged.length > 0) progress.info(`removed ${purged.length} leftover NetworkPolic${purged.length === 1 ? 'y' : 'ies'} of an earlier run: ${purged.join(', ')}`);
    const purgedCluster = (await applier.cluster?.purgeLeftovers()) ?? [];
    if (purgedCluster.length > 0) progress.info(`removed leftover cluster policies of an earlier run: ${purgedCluster.join(', ')}`);
  }
  return { deployment, deployedAt, loaded, ...(inPlace ? { inPlace } : {}), ...(follower ? { follower } : {}), externals, ...(network ? { network } : {}), applier, ...(changer ? { changer } : {}) };
}
