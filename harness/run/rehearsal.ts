// Rehearsing a policy change on a cluster someone else runs (`run --provider existing`): the
// read-only `--plan`, the permission and namespace checks made before the first change, and the
// rollback.yaml written before it. The changes themselves and their restore are PolicyApplier's.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { makeOutputDir } from '../report/report-dir.js';
import { planChanges, renderPlan, type StepPlan } from '../apply/change-plan.js';
import { readLiveState, touchedNamespaces } from '../apply/live-state.js';
import { renderRollback, type PriorObject } from '../apply/rollback.js';
import { applyOrder, loadManifests, manifestNamespaces, type UserManifest } from '../apply/manifests.js';
import { apiServerReviewer, assertAccess, rehearsalNeeds, type AccessReviewer } from '../cluster/checks/access.js';
import { connectExistingCluster } from '../cluster/providers/existing.js';
import { isUnknownKind, refOf, type KubeClient } from '../cluster/kube-client.js';
import type { LoadedSuite } from '../suite/load.js';
import { loadValidSuite } from '../suite/validate.js';

function labelTargets(loaded: LoadedSuite): string[] {
  return loaded.suite.steps.flatMap((s) => s.labels.map((l) => l.target));
}

/** Namespaces the rehearsal touches. */
export function rehearsalNamespaces(loaded: LoadedSuite): string[] {
  return touchedNamespaces(loaded.policies, labelTargets(loaded));
}

/**
 * Before the first change on a cluster the run does not own: every permission the policy and label
 * changes need (SelfSubjectAccessReview), and the namespaces of `existing` workloads must exist.
 */
export async function assertRehearsable(client: KubeClient, review: AccessReviewer, loaded: LoadedSuite, context: string, opts: { planOnly?: boolean } = {}): Promise<void> {
  const { suite } = loaded;
  const deployIn = [...new Set([...suite.workloads.filter((w) => !w.existing).map((w) => w.namespace), ...suite.probes.map((p) => p.namespace)])].sort();
  await assertAccess(review, rehearsalNeeds(rehearsalNamespaces(loaded), { ...opts, deployIn }), `context ${context}`);
  const needed = [...new Set([...loaded.suite.workloads.filter((w) => w.existing).map((w) => w.namespace), ...loaded.suite.namespaces.filter((n) => n.existing).map((n) => n.name)])].sort();
  const missing: string[] = [];
  for (const ns of needed) if (!(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns }))) missing.push(ns);
  if (missing.length) {
    throw new UsageError(`namespace(s) ${missing.join(', ')} of existing workloads or existing: true namespaces do not exist in context ${context}`, { hint: 'check --context, or the namespaces in the suite' });
  }
}

/** Each manifest object as it is now (absent: undefined; a kind the cluster does not serve yet, e.g. of a CRD the manifests define, is absent too). */
export async function readPriorObjects(client: KubeClient, manifests: UserManifest[]): Promise<PriorObject[]> {
  return Promise.all(
    applyOrder(manifests).map(async (m) => {
      const ref = refOf(m.obj);
      const before = await client.get(ref).catch((e: unknown) => {
        if (isUnknownKind(e) || isUnknownKind((e as { cause?: unknown }).cause)) return undefined;
        throw e;
      });
      return { ref, before };
    }),
  );
}

/**
 * Writes rollback.yaml (the prior state of every policy and namespace label the suite touches: its
 * steps' changes and the labels it declares on namespaces that exist; of every object of its
 * manifests; the namespaces the run creates) and returns its path. Called right after the
 * permission check, before the canary, the namespaces and the first step.
 */
export async function writeRollbackFile(client: KubeClient, loaded: LoadedSuite, manifests: UserManifest[], dir: string, ctx: { context: string; kubeconfig?: string }): Promise<string> {
  const namespaceLabels = new Map(loaded.suite.namespaces.map((n) => [n.name, n.labels]));
  const runNamespaces = [...loaded.suite.namespaces.filter((n) => !n.existing).map((n) => n.name), ...manifestNamespaces(manifests)];
  const live = await readLiveState(client, [...new Set([...rehearsalNamespaces(loaded), ...namespaceLabels.keys(), ...runNamespaces])].sort());
  const objects = await readPriorObjects(client, manifests);
  const text = renderRollback({ steps: loaded.suite.steps, sets: loaded.policies, live, namespaceLabels, objects, runNamespaces, ...ctx });
  await makeOutputDir(dir);
  const file = path.join(dir, 'rollback.yaml');
  await writeFile(file, text);
  return file;
}

export interface PlanOptions {
  kubeconfig?: string;
  context?: string;
  /** Tests: answer access reviews without an API server. */
  review?: AccessReviewer;
}

/** `run --plan`: validate, connect, check read access, read, print. Never writes to the cluster. */
export async function planRehearsal(suiteFile: string, opts: PlanOptions = {}): Promise<{ plans: StepPlan[]; text: string }> {
  const { loaded } = await loadValidSuite(suiteFile);
  // A bad manifest is an input error before any cluster is contacted.
  const manifests = await loadManifests(loaded);
  const cluster = await connectExistingCluster(loaded.suite.cluster, { ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}), ...(opts.context ? { context: opts.context } : {}) });
  await assertRehearsable(cluster.client, opts.review ?? apiServerReviewer(cluster.kubeConfig), loaded, cluster.context, { planOnly: true });
  const declared = [...loaded.suite.namespaces.map((n) => n.name), ...loaded.suite.workloads.map((w) => w.namespace), ...loaded.suite.probes.map((p) => p.namespace), ...manifestNamespaces(manifests)];
  const all = [...new Set([...declared, ...rehearsalNamespaces(loaded)])].sort();
  const live = await readLiveState(cluster.client, all);
  const plans = planChanges(loaded.suite.steps, loaded.policies, live);
  const absent = all.filter((ns) => !live.namespaces.has(ns));
  let text = renderPlan(plans, cluster.context, await readPriorObjects(cluster.client, manifests));
  if (absent.length) text = `namespaces the run would create (and delete afterwards): ${absent.join(', ')}\n${text}`;
  return { plans, text };
}
