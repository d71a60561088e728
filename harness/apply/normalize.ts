// Normalised views of NetworkPolicies and labels, for comparing a cluster before and after a
// rehearsal byte for byte: what the server or kubectl adds on its own (uid, resourceVersion,
// generation, creationTimestamp, status, kubectl's annotations) is dropped, keys are sorted, so two
// snapshots of the same desired state serialise to the same string. Field owners (managedFields)
// are compared apart, as stored (snapshotOf's `owners`): a restore puts them back exactly.
import type { KObject } from '../cluster/kube-types.js';

/** Metadata fields the server sets; never part of what a user applied. */
export const SERVER_METADATA_FIELDS = ['uid', 'resourceVersion', 'managedFields', 'generation', 'creationTimestamp', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;

/** Annotations kubectl writes by itself (prefix kubectl.kubernetes.io/, e.g. last-applied-configuration). */
export function isToolAnnotation(key: string): boolean {
  return key.startsWith('kubectl.kubernetes.io/');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * The object as a user would have written it: server fields, status and kubectl annotations
 * stripped, empty labels/annotations maps removed, keys sorted. Does not modify its argument.
 */
export function normalizeObject(o: KObject): KObject {
  const { status: _status, ...rest } = structuredClone(o);
  const meta = { ...rest.metadata };
  for (const f of SERVER_METADATA_FIELDS) delete meta[f];
  if (meta.annotations) {
    const kept = Object.fromEntries(Object.entries(meta.annotations).filter(([k]) => !isToolAnnotation(k)));
    if (Object.keys(kept).length) meta.annotations = kept;
    else delete meta.annotations;
  }
  if (meta.labels && Object.keys(meta.labels).length === 0) delete meta.labels;
  return sortKeys({ ...rest, metadata: meta }) as KObject;
}

/**
 * The object as it must be applied to put it back exactly: only what the server sets (uid,
 * resourceVersion, managedFields, status...) is dropped; annotations (kubectl's too), finalizers and
 * ownerReferences are kept, since a run's own apply may have changed them. Does not modify its argument.
 */
export function restorableObject(o: KObject): KObject {
  const { status: _status, ...rest } = structuredClone(o);
  const meta = { ...rest.metadata };
  for (const f of SERVER_METADATA_FIELDS) delete meta[f];
  return { ...rest, metadata: meta };
}

/** What a rehearsal must leave as it found: every NetworkPolicy and the labels of namespaces and pods. */
export interface ClusterSnapshot {
  /** `<namespace>/<name>` -> normalised NetworkPolicy */
  policies: Record<string, KObject>;
  /** `namespace/<name>` or `pod/<namespace>/<name>` -> labels (keys sorted) */
  labels: Record<string, Record<string, string>>;
  /** With `owners`: `NetworkPolicy <ns>/<name>` or `namespace/<name>` -> metadata.managedFields as stored (field owners and their times). */
  owners?: Record<string, unknown>;
}

/** `owners`: include the field owners (managedFields) of policies and namespaces, which a restore must put back too. */
export function snapshotOf(policies: KObject[], namespaces: KObject[], pods: KObject[] = [], opts: { owners?: boolean } = {}): ClusterSnapshot {
  const snap: ClusterSnapshot = { policies: {}, labels: {}, ...(opts.owners ? { owners: {} } : {}) };
  for (const p of policies) snap.policies[`${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`] = normalizeObject(p);
  for (const n of namespaces) snap.labels[`namespace/${n.metadata.name ?? ''}`] = sortKeys(n.metadata.labels ?? {}) as Record<string, string>;
  if (snap.owners) {
    for (const p of policies) snap.owners[`NetworkPolicy ${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`] = p.metadata.managedFields ?? [];
    for (const n of namespaces) snap.owners[`namespace/${n.metadata.name ?? ''}`] = n.metadata.managedFields ?? [];
  }
  for (const p of pods) snap.labels[`pod/${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`] = sortKeys(p.metadata.labels ?? {}) as Record<string, string>;
  return sortKeys(snap) as ClusterSnapshot;
}

/** Canonical text of a snapshot: equal strings mean equal state. */
export function snapshotText(s: ClusterSnapshot): string {
  return JSON.stringify(sortKeys(s), null, 1);
}

/** Human-readable differences between two snapshots (empty: identical). */
export function snapshotDiff(before: ClusterSnapshot, after: ClusterSnapshot): string[] {
  const out: string[] = [];
  const cmp = (what: string, a: Record<string, unknown>, b: Record<string, unknown>) => {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in b)) out.push(`${what} ${k}: gone`);
      else if (!(k in a)) out.push(`${what} ${k}: new`);
      else if (JSON.stringify(sortKeys(a[k])) !== JSON.stringify(sortKeys(b[k]))) out.push(`${what} ${k}: differs`);
    }
  };
  cmp('NetworkPolicy', before.policies, after.policies);
  cmp('labels of', before.labels, after.labels);
  if (before.owners || after.owners) cmp('field owners (managedFields) of', before.owners ?? {}, after.owners ?? {});
  return out.sort();
}
