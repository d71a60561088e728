// Applying a suite's policy sets and label changes step by step, with a journal of what was there
// before each first change, so restore() puts the cluster back as it was before the run.
import { InfraError, InputError, UsageError } from '../errors.js';
import type { CleanupStack } from '../cluster/cleanup.js';
import type { NamespaceGuard } from '../cluster/guard.js';
import { describeRef, forReapply, refKey, type KubeClient, type ObjectRef } from '../cluster/kube-client.js';
import type { KObject, ManagedFieldsEntry, PodLike } from '../cluster/kube-types.js';
import { restoreFieldOwners } from '../cluster/field-owners.js';
import { ENDPOINT_KEY, MANAGED_BY_KEY, MANAGED_BY_VALUE, PROTECTED_POD_LABELS } from '../cluster/labels.js';
import { silentProgress, type Progress } from '../cluster/progress.js';
import type { SourcedPolicy } from '../policy/types.js';
import type { LabelChange, StepSpec } from '../suite/schema.js';
import type { Deployment } from './workloads.js';
import { ClusterPolicyApplier } from './cluster-policies.js';
import type { SourcedClusterPolicy } from '../policy/cnp/types.js';

/** Label on applied policies naming their set (kubectl get netpol -L netpol-harness/set). */
export const POLICY_SET_KEY = 'netpol-harness/set';
const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

export type JournalEntry =
  /** An object as it was before the run first changed it; null when it did not exist. `owners`: its managedFields then. */
  | { type: 'object'; key: string; ref: ObjectRef; before: KObject | null; owners?: ManagedFieldsEntry[] }
  /** Label values before the run first changed them; null when the label was absent. */
  | { type: 'labels'; key: string; ref: ObjectRef; before: Record<string, string | null>; owners?: ManagedFieldsEntry[] };

export interface PolicyApplierOptions {
  client: KubeClient;
  /** Policy documents per set id (LoadedSuite.policies). */
  policies: Map<string, SourcedPolicy[]>;
  /** Namespace checks for clusters the run did not create; omit on a cluster the run owns. */
  guard?: NamespaceGuard;
  progress?: Progress;
  /** Registers restore() here on the first change (pass it unless the cluster is thrown away anyway). */
  cleanup?: CleanupStack;
  /** ClusterNetworkPolicy documents per set id (LoadedSuite.clusterPolicies), journalled like the rest. */
  clusterPolicies?: Map<string, SourcedClusterPolicy[]>;
  /** Leave cluster policies out (the cluster does not serve their CRD); the caller reports the steps not testable. */
  skipClusterPolicies?: boolean;
}

export type StepChanges = Pick<StepSpec, 'apply' | 'remove' | 'labels'>;

function policyRef(p: SourcedPolicy): ObjectRef {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: p.policy.metadata.name, namespace: p.policy.metadata.namespace ?? '' };
}

export class PolicyApplier {
  private readonly client: KubeClient;
  private readonly policies: Map<string, SourcedPolicy[]>;
  private readonly guard: NamespaceGuard | undefined;
  private readonly progress: Progress;
  private readonly cleanup: CleanupStack | undefined;
  private readonly entries: JournalEntry[] = [];
  private readonly byKey = new Map<string, JournalEntry>();
  /** Set ids currently applied, in order. */
  private readonly appliedSets: string[] = [];
  /** Which applied set put each policy object in place. */
  private readonly owner = new Map<string, string>();
  private unregisterCleanup: (() => void) | undefined;
  /** Cluster-scoped policies of the same sets; undefined when the suite has none or they are skipped. */
  readonly cluster: ClusterPolicyApplier | undefined;

  constructor(opts: PolicyApplierOptions) {
    this.client = opts.client;
    this.policies = opts.policies;
    this.guard = opts.guard;
    this.progress = opts.progress ?? silentProgress;
    this.cleanup = opts.cleanup;
    if (opts.clusterPolicies && opts.clusterPolicies.size > 0 && !opts.skipClusterPolicies) {
      this.cluster = new ClusterPolicyApplier(opts.client, opts.clusterPolicies, {
        remember: (ref) => this.rememberObject(ref),
        label: (obj, setId) => ({ ...obj, metadata: { ...obj.metadata, labels: { ...(obj.metadata.labels ?? {}), [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [POLICY_SET_KEY]: setId } } }),
      });
    }
  }

  /** Set ids currently applied, in application order. */
  get applied(): readonly string[] {
    return [...this.appliedSets];
  }

  /** What restore() will undo, in the order things were first changed. */
  journal(): readonly JournalEntry[] {
    return this.entries.map((e) => structuredClone(e));
  }

  private setOf(setId: string): SourcedPolicy[] {
    const list = this.policies.get(setId);
    if (!list) throw new UsageError(`unknown policy set "${setId}" (known: ${[...this.policies.keys()].join(', ') || 'none'})`);
    for (const sp of list) {
      const line = sp.lineOf?.('metadata');
      const issue = (message: string) => new InputError([{ file: sp.file, path: `[doc ${sp.docIndex}] metadata`, ...(line !== undefined ? { line } : {}), message }]);
      if (!sp.policy.metadata.name) throw issue('a NetworkPolicy needs metadata.name');
      if (!sp.policy.metadata.namespace) throw issue(`NetworkPolicy ${sp.policy.metadata.name} has no namespace: set metadata.namespace or the policy's namespace in the suite`);
    }
    return list;
  }

  private track(): void {
    if (this.cleanup && !this.unregisterCleanup) {
      this.unregisterCleanup = this.cleanup.push('policies and labels changed by this run', () => this.restore(), {
        keptHint: 'the last step\'s policies and labels stay in place',
      });
    }
  }

  private async rememberObject(ref: ObjectRef): Promise<void> {
    const key = refKey(ref);
    if (this.byKey.has(key)) return;
    const cur = await this.client.get(ref);
    const e: JournalEntry = { type: 'object', key, ref, before: cur ? forReapply(cur) : null, ...(cur?.metadata.managedFields ? { owners: structuredClone(cur.metadata.managedFields) } : {}) };
    this.entries.push(e);
    this.byKey.set(key, e);
    this.track();
  }

  private rememberLabels(ref: ObjectRef, current: KObject, keys: string[]): void {
    const key = `labels:${refKey(ref)}`;
    let e = this.byKey.get(key);
    if (!e) {
      e = { type: 'labels', key, ref, before: {}, ...(current.metadata.managedFields ? { owners: structuredClone(current.metadata.managedFields) } : {}) };
      this.entries.push(e);
      this.byKey.set(key, e);
      this.track();
    }
    const before = (e as Extract<JournalEntry, { type: 'labels' }>).before;
    for (const k of keys) if (!(k in before)) before[k] = current.metadata.labels?.[k] ?? null;
  }

  /**
   * Server-side applies every policy of a set (field manager netpol-harness). An object another
   * applied set holds (same kind/namespace/name) is replaced in place: the new spec is applied onto
   * the same object, so the CNI sees an update, and the object belongs to this set from then on.
   */
  async apply(setId: string): Promise<void> {
    const list = this.setOf(setId);
    const replaced: string[] = [];
    for (const sp of list) {
      const ref = policyRef(sp);
      await this.guard?.assertMutable(ref.namespace!, `apply NetworkPolicy ${ref.name}`);
      await this.rememberObject(ref);
      const obj = structuredClone(sp.policy) as unknown as KObject;
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [POLICY_SET_KEY]: setId };
      const other = this.owner.get(refKey(ref));
      if (other !== undefined && other !== setId) replaced.push(`${ref.namespace}/${ref.name} (from ${other})`);
      await this.client.apply(obj);
      this.owner.set(refKey(ref), setId);
    }
    await this.cluster?.apply(setId);
    if (!this.appliedSets.includes(setId)) this.appliedSets.push(setId);
    const cnps = this.cluster?.count(setId) ?? 0;
    this.progress.info(
      `applied policy set ${setId} (${list.length} NetworkPolic${list.length === 1 ? 'y' : 'ies'}${cnps > 0 ? `, ${cnps} ClusterNetworkPolic${cnps === 1 ? 'y' : 'ies'}` : ''}${replaced.length ? `; replaced in place: ${replaced.join(', ')}` : ''})`,
    );
  }

  /** Which applied set owns a policy object now (undefined: none). */
  ownerOf(namespace: string, name: string): string | undefined {
    return this.owner.get(refKey({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name, namespace }));
  }

  /** Deletes the policies the set owns; objects another set has replaced in place stay. */
  async remove(setId: string): Promise<void> {
    const list = this.setOf(setId);
    let kept = 0;
    for (const sp of list) {
      const ref = policyRef(sp);
      const other = this.owner.get(refKey(ref));
      if (other !== undefined && other !== setId) {
        kept++;
        continue;
      }
      await this.guard?.assertMutable(ref.namespace!, `delete NetworkPolicy ${ref.name}`);
      await this.rememberObject(ref);
      await this.client.delete(ref);
      this.owner.delete(refKey(ref));
    }
    await this.cluster?.remove(setId);
    const i = this.appliedSets.indexOf(setId);
    if (i >= 0) this.appliedSets.splice(i, 1);
    this.progress.info(`removed policy set ${setId}${kept ? ` (${kept} replaced by other sets kept)` : ''}`);
  }

  /**
   * Relabels a namespace (merge patch on the Namespace) or the running pods of a workload or
   * probe (merge patch on each pod, not the Deployment template: the pods keep their IPs).
   */
  async applyLabelChange(change: LabelChange, deployment?: Pick<Deployment, 'endpoints'>): Promise<void> {
    const [a, b] = change.target.split('/') as [string, string];
    const keys = [...Object.keys(change.set), ...change.remove];
    if (a === 'namespace') {
      if (keys.includes(NS_NAME_LABEL)) throw new UsageError(`labels of namespace/${b}: ${NS_NAME_LABEL} is set by Kubernetes and cannot be changed`);
      await this.guard?.assertMutable(b, 'relabel the namespace');
      const ref: ObjectRef = { apiVersion: 'v1', kind: 'Namespace', name: b };
      const cur = await this.client.get(ref);
      if (!cur) throw new InfraError(`cannot relabel namespace ${b}: it does not exist`);
      this.rememberLabels(ref, cur, keys);
      await this.client.patchLabels(ref, change.set, change.remove);
      return;
    }
    const id = `${a}/${b}`;
    const bad = keys.filter((k) => PROTECTED_POD_LABELS.includes(k));
    if (bad.length) throw new UsageError(`labels of ${id}: ${bad.join(', ')} ${bad.length > 1 ? 'are' : 'is'} managed by the harness and cannot be changed`);
    const ep = deployment?.endpoints.get(id);
    if (ep?.kind === 'existing') throw new UsageError(`labels of ${id}: it is an existing workload, which the harness never mutates`);
    await this.guard?.assertMutable(a, `relabel pods of ${id}`);
    const pods = (await this.client.list<PodLike>('v1', 'Pod', { namespace: a, labelSelector: `${ENDPOINT_KEY}=${b}` })).filter((p) => !p.metadata.deletionTimestamp);
    if (pods.length === 0) throw new InfraError(`cannot relabel ${id}: no running pods (label ${ENDPOINT_KEY}=${b})`);
    for (const p of pods) {
      const ref: ObjectRef = { apiVersion: 'v1', kind: 'Pod', namespace: a, name: p.metadata.name ?? '' };
      this.rememberLabels(ref, p, keys);
      await this.client.patchLabels(ref, change.set, change.remove);
    }
  }

  /**
   * One step's changes, in order: removals, then `between` (the step's workload and namespace
   * changes: a namespace exists before policies go into it and loses its policies before it goes),
   * then applications, then label changes.
   */
  async applyStep(step: StepChanges, deployment?: Pick<Deployment, 'endpoints'>, between?: () => Promise<void>): Promise<void> {
    for (const id of step.remove) await this.remove(id);
    await between?.();
    for (const id of step.apply) await this.apply(id);
    for (const ch of step.labels) await this.applyLabelChange(ch, deployment);
  }

  /**
   * Undoes everything, newest first: policies that did not exist are deleted, overwritten or
   * deleted ones are re-applied as they were, labels get their old values back. Idempotent;
   * keeps going past failures and reports them together.
   */
  async restore(): Promise<void> {
    const failures: string[] = [];
    while (this.entries.length > 0) {
      const e = this.entries.pop()!;
      this.byKey.delete(e.key);
      try {
        if (e.type === 'object') {
          if (e.before === null) await this.client.delete(e.ref);
          else {
            await this.client.apply(e.before);
            await restoreFieldOwners(this.client, e.ref, e.owners);
          }
        } else {
          const set: Record<string, string> = {};
          const remove: string[] = [];
          for (const [k, v] of Object.entries(e.before)) {
            if (v === null) remove.push(k);
            else set[k] = v;
          }
          // A pod that was replaced since has the template's labels anyway.
          if (await this.client.get(e.ref)) {
            await this.client.patchLabels(e.ref, set, remove);
            await restoreFieldOwners(this.client, e.ref, e.owners);
          }
        }
      } catch (err) {
        failures.push(`${describeRef(e.ref)}: ${(err as Error).message}`);
      }
    }
    this.appliedSets.length = 0;
    this.owner.clear();
    this.unregisterCleanup?.();
    this.unregisterCleanup = undefined;
    if (failures.length) throw new InfraError(`restoring the cluster left ${failures.length} change(s) in place:\n  ${failures.join('\n  ')}`);
  }

  /**
   * Leaves the changes applied (`--keep-changes` after a passing rehearsal): the journal is dropped
   * and restore() is no longer registered for cleanup.
   */
  forgetChanges(): void {
    this.entries.length = 0;
    this.byKey.clear();
    this.unregisterCleanup?.();
    this.unregisterCleanup = undefined;
  }

  /**
   * Deletes harness-labelled NetworkPolicies left in harness-made namespaces by an earlier run
   * that could not clean up (killed, or --keep). Foreign namespaces are never touched.
   */
  async purgeLeftovers(namespaces: Iterable<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const ns of namespaces) {
      if (this.guard) {
        const origin = await this.guard.origin(ns);
        if (origin !== 'created' && origin !== 'harness') continue;
      }
      const left = await this.client.list('networking.k8s.io/v1', 'NetworkPolicy', { namespace: ns, labelSelector: `${MANAGED_BY_KEY}=${MANAGED_BY_VALUE}` });
      for (const p of left) {
        await this.client.delete({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: ns, name: p.metadata.name ?? '' });
        removed.push(`${ns}/${p.metadata.name}`);
      }
    }
    return removed;
  }
}
