// NamespaceGuard: the only way the cluster layer mutates namespaces. On a cluster the run did not
// create it refuses to touch system namespaces or namespaces it did not create (unless
// allowForeignNamespaces), and it only ever deletes namespaces this run created.
import { InfraError, UsageError } from '../errors.js';
import type { KubeClient } from './kube-client.js';
import type { KObject, ManagedFieldsEntry } from './kube-types.js';
import { restoreFieldOwners } from './field-owners.js';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, RUN_KEY, SYSTEM_NAMESPACES, managedLabels } from './labels.js';
import { namespacesGone, pollUntil, type Clock } from './wait.js';

const METADATA_NAME = 'kubernetes.io/metadata.name';

/**
 * created: by this run. harness: made by an earlier harness run (labelled managed-by), adopted.
 * foreign: someone else's. system: kube-system and friends. absent: does not exist.
 */
export type NamespaceOrigin = 'created' | 'harness' | 'foreign' | 'system' | 'absent';

export interface NamespaceGuardOptions {
  client: KubeClient;
  runId: string;
  /** Every namespace the suite names (its namespaces, workloads, probes and policies). */
  declared: Iterable<string>;
  allowForeignNamespaces?: boolean;
  /** The cluster was created by this run (a fresh kind/k3s cluster): nothing in it is foreign. */
  clusterOwned?: boolean;
}

export const FOREIGN_FLAG = '--allow-foreign-namespaces';

export class NamespaceGuard {
  private readonly client: KubeClient;
  private readonly runId: string;
  private readonly declared: Set<string>;
  private readonly allowForeign: boolean;
  private readonly clusterOwned: boolean;
  private readonly origins = new Map<string, NamespaceOrigin>();
  /** In creation order; includes ones whose create request was sent but not yet answered. */
  private readonly createdList: string[] = [];
  /** Label values before ensureNamespace changed them, per foreign namespace (null: was absent). */
  private readonly foreignBefore = new Map<string, Record<string, string | null>>();
  /** Their managedFields before the first change, put back with the labels (field-owners.ts). */
  private readonly foreignOwners = new Map<string, ManagedFieldsEntry[]>();

  constructor(opts: NamespaceGuardOptions) {
    this.client = opts.client;
    this.runId = opts.runId;
    this.declared = new Set(opts.declared);
    this.allowForeign = opts.allowForeignNamespaces ?? false;
    this.clusterOwned = opts.clusterOwned ?? false;
  }

  /** Namespaces this run created, in creation order. */
  created(): string[] {
    return [...this.createdList];
  }

  /** Where a namespace came from (looked up once, then cached). */
  async origin(ns: string): Promise<NamespaceOrigin> {
    const known = this.origins.get(ns);
    if (known) return known;
    const obj = await this.client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    let o: NamespaceOrigin;
    if (!obj) o = 'absent';
    else if (SYSTEM_NAMESPACES.includes(ns)) o = 'system';
    else if (obj.metadata.labels?.[MANAGED_BY_KEY] === MANAGED_BY_VALUE) o = obj.metadata.labels[RUN_KEY] === this.runId ? 'created' : 'harness';
    else o = 'foreign';
    // Absent is not cached: it changes as soon as someone creates it.
    if (o !== 'absent') this.origins.set(ns, o);
    return o;
  }

  /** Throws unless the harness may change objects in (or labels of) this namespace. */
  async assertMutable(ns: string, what: string): Promise<void> {
    if (!this.declared.has(ns)) {
      throw new UsageError(`refusing to ${what} in namespace ${ns}: the suite does not declare it`);
    }
    if (this.clusterOwned || this.allowForeign) return;
    const o = await this.origin(ns);
    if (o === 'system') {
      throw new UsageError(`refusing to ${what} in system namespace ${ns}`, { hint: `pass ${FOREIGN_FLAG} if this is really intended` });
    }
    if (o === 'foreign') {
      throw new UsageError(`refusing to ${what} in namespace ${ns}: it exists and was not created by netpol-harness`, {
        hint: `use a namespace name that does not exist yet, or pass ${FOREIGN_FLAG}`,
      });
    }
  }

  /**
   * Creates the namespace (recording it for deletion) or, when it exists and may be mutated,
   * applies the suite's labels to it. Returns its origin before this call.
   */
  async ensureNamespace(ns: KObject): Promise<NamespaceOrigin> {
    const name = ns.metadata.name ?? '';
    const o = await this.origin(name);
    if (o === 'absent') {
      // Recorded before the request: a run killed while it is in flight still deletes it.
      this.createdList.push(name);
      this.origins.set(name, 'created');
      const labels = { ...(ns.metadata.labels ?? {}), ...managedLabels(this.runId) };
      await this.client.apply({ ...ns, metadata: { ...ns.metadata, labels } });
      return o;
    }
    await this.assertMutable(name, 'label the namespace');
    const want = ns.metadata.labels ?? {};
    const live = await this.client.get({ apiVersion: 'v1', kind: 'Namespace', name });
    const current = live?.metadata.labels ?? {};
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(want)) if (current[k] !== v) set[k] = v;
    let remove: string[] = [];
    if (o === 'harness' || o === 'created') {
      // Harness-made: every label came from a suite, so reset to exactly this suite's labels
      // (a kept cluster may carry labels from an earlier run's steps).
      const keep = new Set([...Object.keys(want), MANAGED_BY_KEY, RUN_KEY, METADATA_NAME]);
      remove = Object.keys(current).filter((k) => !keep.has(k));
    } else {
      // Someone else's namespace (allowed by flag): remember what we change, to put it back.
      const before = this.foreignBefore.get(name) ?? {};
      if (!this.foreignOwners.has(name) && live?.metadata.managedFields) this.foreignOwners.set(name, structuredClone(live.metadata.managedFields));
      for (const k of Object.keys(set)) if (!(k in before)) before[k] = current[k] ?? null;
      this.foreignBefore.set(name, before);
    }
    if (Object.keys(set).length > 0 || remove.length > 0) await this.client.patchLabels({ apiVersion: 'v1', kind: 'Namespace', name }, set, remove);
    return o;
  }

  /**
   * A namespace the suite declares `existing: true` (e.g. `default`): it must exist, is never
   * created or deleted, and only the declared labels that differ are set (put back at cleanup by
   * restoreForeignLabels, field owners included). Returns the labels it carries now.
   */
  async useExisting(name: string, labels: Record<string, string>): Promise<Record<string, string>> {
    const live = await this.client.get({ apiVersion: 'v1', kind: 'Namespace', name });
    if (!live) throw new UsageError(`namespace ${name} is declared existing: true but does not exist`, { hint: `create it first (kubectl create namespace ${name}), or drop existing: true so the harness creates and deletes it` });
    const current = live.metadata.labels ?? {};
    const set = Object.fromEntries(Object.entries(labels).filter(([k, v]) => current[k] !== v));
    if (Object.keys(set).length === 0) return { ...current };
    await this.assertMutable(name, 'label the namespace');
    const before = this.foreignBefore.get(name) ?? {};
    for (const k of Object.keys(set)) if (!(k in before)) before[k] = current[k] ?? null;
    this.foreignBefore.set(name, before);
    if (!this.foreignOwners.has(name) && live.metadata.managedFields) this.foreignOwners.set(name, structuredClone(live.metadata.managedFields));
    await this.client.patchLabels({ apiVersion: 'v1', kind: 'Namespace', name }, set, []);
    return { ...current, ...set };
  }

  /** Puts back the labels ensureNamespace changed on namespaces the harness did not create. */
  async restoreForeignLabels(): Promise<void> {
    for (const [name, before] of [...this.foreignBefore].reverse()) {
      const set: Record<string, string> = {};
      const remove: string[] = [];
      for (const [k, v] of Object.entries(before)) {
        if (v === null) remove.push(k);
        else set[k] = v;
      }
      const ref = { apiVersion: 'v1', kind: 'Namespace', name };
      if ((Object.keys(set).length > 0 || remove.length > 0) && (await this.client.get(ref))) {
        await this.client.patchLabels(ref, set, remove);
        await restoreFieldOwners(this.client, ref, this.foreignOwners.get(name));
      }
      this.foreignBefore.delete(name);
      this.foreignOwners.delete(name);
    }
  }

  /**
   * Deletes one namespace a suite step asks to delete, and waits until it is gone (so a later step
   * can create it again). Only harness-made namespaces: never someone else's.
   */
  async deleteNamespace(name: string, opts: { timeoutMs?: number; clock?: Clock } = {}): Promise<void> {
    const o = await this.origin(name);
    if (o === 'absent') return;
    // Not even on a cluster the run created: `default` and namespaces made by other means stay.
    if (!this.declared.has(name) || (o !== 'created' && o !== 'harness')) {
      throw new UsageError(`refusing to delete namespace ${name}: it was not created by netpol-harness`);
    }
    await this.client.delete({ apiVersion: 'v1', kind: 'Namespace', name });
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const gone = await pollUntil(async () => !(await this.client.get({ apiVersion: 'v1', kind: 'Namespace', name })), { timeoutMs, intervalMs: 500, ...(opts.clock ? { clock: opts.clock } : {}) });
    if (!gone) throw new InfraError(`namespace ${name} still terminating after ${Math.round(timeoutMs / 1000)}s`);
    const i = this.createdList.indexOf(name);
    if (i >= 0) this.createdList.splice(i, 1);
    this.origins.delete(name);
  }

  /**
   * Deletes the namespaces this run created (newest first), optionally waiting until they are
   * gone. Never deletes anything else.
   */
  async deleteCreated(opts: { wait?: boolean; timeoutMs?: number; clock?: Clock } = {}): Promise<string[]> {
    const names = [...this.createdList].reverse();
    for (const n of names) await this.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: n });
    if (opts.wait) {
      const gone = await namespacesGone(this.client, names, { timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.clock ? { clock: opts.clock } : {}) });
      if (!gone) throw new Error(`namespaces still terminating after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)}s: ${names.join(', ')}`);
    }
    this.createdList.length = 0;
    for (const n of names) this.origins.delete(n);
    return names;
  }
}

/** Every namespace a suite names: its namespaces, workloads, probes and policy documents. */
export function declaredNamespaces(
  suite: { namespaces: { name: string }[]; workloads: { namespace: string }[]; probes: { namespace: string }[] },
  policies?: Map<string, { policy: { metadata: { namespace?: string } } }[]>,
): string[] {
  const out = new Set<string>();
  for (const n of suite.namespaces) out.add(n.name);
  for (const w of suite.workloads) out.add(w.namespace);
  for (const p of suite.probes) out.add(p.namespace);
  for (const list of policies?.values() ?? []) for (const sp of list) if (sp.policy.metadata.namespace) out.add(sp.policy.metadata.namespace);
  return [...out];
}

/** The guard for a run: strict on clusters the run did not create, permissive on its own. */
export function guardFor(
  cluster: { client: KubeClient; createdByUs: boolean },
  suite: Parameters<typeof declaredNamespaces>[0],
  policies: Parameters<typeof declaredNamespaces>[1],
  opts: { runId: string; allowForeignNamespaces?: boolean },
): NamespaceGuard {
  return new NamespaceGuard({
    client: cluster.client,
    runId: opts.runId,
    declared: declaredNamespaces(suite, policies),
    allowForeignNamespaces: opts.allowForeignNamespaces ?? false,
    clusterOwned: cluster.createdByUs,
  });
}
