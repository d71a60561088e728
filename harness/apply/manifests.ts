// The user's own manifests (suite `manifests:`): read and checked before any cluster work (a bad
// file is an InputError naming it, exit 2), applied after the cluster is up and before the first
// step (namespaces first; on a cluster the run did not create only where the namespace guard
// allows), their rollouts waited for, and undone by the cleanup unless the cluster is deleted
// anyway: what the run created is deleted, what existed before (e.g. the default namespace, a
// user's object) is put back as found, field owners included. Images they use that the local Docker engine
// has are preloaded into kind with the harness's own.
import { InfraError, UsageError } from '../errors.js';
import type { CleanupStack } from '../cluster/cleanup.js';
import { apiErrorMessage, describeRef, refOf, type KubeClient } from '../cluster/kube-client.js';
import { restoreFieldOwners } from '../cluster/field-owners.js';
import type { KObject } from '../cluster/kube-types.js';
import { silentProgress, withStep, type Progress } from '../cluster/progress.js';
import { namespacesGone, waitForDaemonSet, waitForDeployment, pollUntil, type Clock } from '../cluster/wait.js';
import { applyOrder, type UserManifest } from '../suite/manifests.js';
import { restorableObject } from './normalize.js';

export { applyOrder, loadManifests, manifestImages, manifestNamespaces, type UserManifest } from '../suite/manifests.js';

export interface ApplyManifestsOptions {
  /** Called for each namespace the manifests use, before anything is applied in it (suite namespaces are created by the harness). */
  ensureNamespace: (name: string) => Promise<void>;
  /** The namespace guard's check (clusters the run did not create): throws before anything is applied where the run may not. */
  assertMutable?: (namespace: string, what: string) => Promise<void>;
  cleanup?: CleanupStack;
  /** Skip per-object deletes at cleanup (the cluster itself is deleted). */
  clusterIsDeleted?: boolean;
  progress?: Progress;
  /** Rollouts' deadline. */
  timeoutMs?: number;
  /** How long the cleanup waits for the namespaces it deleted to be gone (default 120 s). */
  namespaceTimeoutMs?: number;
  clock?: Clock;
}

const describe = (m: UserManifest): string => `${m.file} [doc ${m.docIndex}] ${describeRef(refOf(m.obj))}`;

/**
 * Server-side applies the manifests and waits for their Deployments, StatefulSets and DaemonSets
 * to roll out. An object the API server rejects is a UsageError naming the file and document.
 */
export async function applyManifests(client: KubeClient, manifests: UserManifest[], opts: ApplyManifestsOptions): Promise<void> {
  const progress = opts.progress ?? silentProgress;
  /** Each object as it was before the run applied it (null: absent), newest last. */
  const applied: { m: UserManifest; before: KObject | null }[] = [];
  opts.cleanup?.push(
    'objects of the suite manifests',
    async () => {
      if (opts.clusterIsDeleted) return;
      // What the run created goes; what existed (a namespace such as default, a user's object) is put back as found.
      const failures: string[] = [];
      const deletedNamespaces: string[] = [];
      for (const { m, before } of [...applied].reverse()) {
        try {
          if (before === null) {
            if ((await client.delete(refOf(m.obj))) && m.obj.kind === 'Namespace') deletedNamespaces.push(m.obj.metadata.name ?? '');
          } else {
            // Everything it had, finalizers and owner references too: the manifest may have changed those.
            await client.apply(restorableObject(before));
            await restoreFieldOwners(client, refOf(m.obj), before.metadata.managedFields);
          }
        } catch (e) {
          failures.push(`${describe(m)}: ${(e as Error).message}`);
        }
      }
      // As for the harness's own namespaces: one still terminating refuses the next run's objects.
      const timeoutMs = opts.namespaceTimeoutMs ?? 120_000;
      if (deletedNamespaces.length && !(await namespacesGone(client, deletedNamespaces, { timeoutMs, ...(opts.clock ? { clock: opts.clock } : {}) }))) {
        failures.push(`namespace(s) ${deletedNamespaces.join(', ')} still terminating after ${Math.round(timeoutMs / 1000)} s`);
      }
      if (failures.length) throw new InfraError(`restoring the suite manifests' objects left ${failures.length} change(s) in place:\n  ${failures.join('\n  ')}`);
    },
    // Restores, deletes, then up to namespaceTimeoutMs for deleted namespaces to go.
    { keptHint: 'they stay on the kept cluster', timeoutMs: 120_000 + (opts.namespaceTimeoutMs ?? 120_000) },
  );
  const ordered = applyOrder(manifests);
  await withStep(progress, `applying ${manifests.length} object(s) from the suite manifests`, async () => {
    // The guard first, for every object: nothing is applied where the run may not change things.
    for (const m of ordered) {
      const ns = m.obj.kind === 'Namespace' ? m.obj.metadata.name : m.obj.metadata.namespace;
      if (ns && opts.assertMutable) await opts.assertMutable(ns, `apply ${describe(m)}`);
    }
    const namespaces = new Set(ordered.filter((m) => m.obj.kind !== 'Namespace').map((m) => m.obj.metadata.namespace).filter((n): n is string => !!n));
    for (const m of ordered.filter((x) => x.obj.kind === 'Namespace')) namespaces.delete(m.obj.metadata.name ?? '');
    for (const ns of namespaces) await opts.ensureNamespace(ns);
    for (const m of ordered) {
      try {
        // Recorded before the request: a half-applied object is undone too.
        applied.push({ m, before: opts.clusterIsDeleted ? null : ((await client.get(refOf(m.obj))) ?? null) });
        await client.apply(m.obj);
      } catch (e) {
        const why = e instanceof InfraError ? e.message.replace(/^server-side apply of .*? failed: /, '') : apiErrorMessage(e);
        // A namespace still terminating (e.g. an earlier run's, deleted without waiting) is no fault of the manifest.
        const terminating = /because it is being terminated/.test(why) ? `namespace ${m.obj.metadata.namespace ?? m.obj.metadata.name} is still being deleted: wait until kubectl get namespace finds it no more, then run again` : undefined;
        throw new UsageError(`${describe(m)}: the API server rejected it: ${why}`, {
          hint: `${terminating ?? 'fix the manifest (kubectl apply --dry-run=server -f <file> shows the same error)'}; the run changed nothing that it did not remove again`,
          cause: e,
        });
      }
    }
  });
  const workloads = manifests.filter((m) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(m.obj.kind));
  if (workloads.length === 0) return;
  await withStep(progress, `waiting for ${workloads.length} rollout(s) of the suite manifests`, async () => {
    const timeoutMs = opts.timeoutMs ?? 300_000;
    for (const m of workloads) {
      const ns = m.obj.metadata.namespace ?? 'default';
      const name = m.obj.metadata.name ?? '';
      const hint = `${describe(m)} did not become ready: check its image is in the local Docker engine (it is then loaded into kind) and kubectl -n ${ns} describe pods`;
      if (m.obj.kind === 'Deployment') await waitForDeployment(client, ns, name, { timeoutMs, hint });
      else if (m.obj.kind === 'DaemonSet') await waitForDaemonSet(client, ns, name, { timeoutMs, hint });
      else await waitForStatefulSet(client, ns, name, timeoutMs, hint);
    }
  });
}

async function waitForStatefulSet(client: KubeClient, namespace: string, name: string, timeoutMs: number, hint: string): Promise<void> {
  const ok = await pollUntil(
    async () => {
      const s = await client.get<KObject & { spec?: { replicas?: number }; status?: { readyReplicas?: number; updatedReplicas?: number } }>({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name });
      const want = s?.spec?.replicas ?? 1;
      return (s?.status?.readyReplicas ?? 0) >= want;
    },
    { timeoutMs, intervalMs: 1000 },
  );
  if (!ok) throw new InfraError(`StatefulSet ${namespace}/${name} not ready after ${Math.round(timeoutMs / 1000)} s`, { hint });
}
