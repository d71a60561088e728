// Cluster-scoped policies (ClusterNetworkPolicy) applied and removed with the same journal as
// NetworkPolicies (PolicyApplier owns one of these and calls it per set). Cluster-scoped objects
// belong to no harness namespace, so ownership is by label: a ClusterNetworkPolicy of that name that
// the harness did not create is never changed or deleted, on any cluster.
import { UsageError } from '../errors.js';
import type { KubeClient, ObjectRef } from '../cluster/kube-client.js';
import type { KObject } from '../cluster/kube-types.js';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE } from '../cluster/labels.js';
import { CNP_API_VERSION, CNP_KIND, type SourcedClusterPolicy } from '../policy/cnp/types.js';

export function clusterPolicyRef(p: SourcedClusterPolicy): ObjectRef {
  return { apiVersion: CNP_API_VERSION, kind: CNP_KIND, name: p.policy.metadata.name };
}

export interface ClusterPolicyHooks {
  /** Journals the object's current state before the first change (PolicyApplier.rememberObject). */
  remember: (ref: ObjectRef) => Promise<void>;
  /** Labels the object as the harness's, with its set. */
  label: (obj: KObject, setId: string) => KObject;
}

export class ClusterPolicyApplier {
  /** Names this run created or already owned (managed-by label), so later steps may change them. */
  private readonly ours = new Set<string>();

  constructor(
    private readonly client: KubeClient,
    private readonly policies: Map<string, SourcedClusterPolicy[]>,
    private readonly hooks: ClusterPolicyHooks,
  ) {}

  has(setId: string): boolean {
    return (this.policies.get(setId)?.length ?? 0) > 0;
  }

  count(setId: string): number {
    return this.policies.get(setId)?.length ?? 0;
  }

  /** Refuses to touch a ClusterNetworkPolicy someone else made (it has no managed-by label). */
  private async assertOurs(ref: ObjectRef, action: string): Promise<void> {
    if (this.ours.has(ref.name)) return;
    const cur = await this.client.get(ref);
    if (cur && cur.metadata.labels?.[MANAGED_BY_KEY] !== MANAGED_BY_VALUE) {
      throw new UsageError(`refusing to ${action} ClusterNetworkPolicy ${ref.name}: it exists on the cluster and was not created by netpol-harness (no ${MANAGED_BY_KEY}=${MANAGED_BY_VALUE} label)`, {
        hint: 'rename the policy in the suite, or remove the existing one yourself if it is a leftover',
      });
    }
    this.ours.add(ref.name);
  }

  async apply(setId: string): Promise<void> {
    for (const sp of this.policies.get(setId) ?? []) {
      const ref = clusterPolicyRef(sp);
      await this.assertOurs(ref, 'overwrite');
      await this.hooks.remember(ref);
      await this.client.apply(this.hooks.label(structuredClone(sp.policy) as unknown as KObject, setId));
    }
  }

  async remove(setId: string): Promise<void> {
    for (const sp of this.policies.get(setId) ?? []) {
      const ref = clusterPolicyRef(sp);
      await this.assertOurs(ref, 'delete');
      await this.hooks.remember(ref);
      await this.client.delete(ref);
    }
  }

  /** Deletes harness-labelled ClusterNetworkPolicies an earlier killed or kept run left behind (only names this suite uses). */
  async purgeLeftovers(): Promise<string[]> {
    const names = new Set([...this.policies.values()].flat().map((p) => p.policy.metadata.name));
    const removed: string[] = [];
    for (const name of names) {
      const ref: ObjectRef = { apiVersion: CNP_API_VERSION, kind: CNP_KIND, name };
      const cur = await this.client.get(ref);
      if (cur && cur.metadata.labels?.[MANAGED_BY_KEY] === MANAGED_BY_VALUE) {
        await this.client.delete(ref);
        removed.push(`${CNP_KIND}/${name}`);
      }
    }
    return removed;
  }
}
