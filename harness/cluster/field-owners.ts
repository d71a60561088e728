// Field ownership (metadata.managedFields) put back as it was found. Server-side apply and label
// patches by the harness leave a `netpol-harness` entry on objects it only borrowed (a user's
// NetworkPolicy, the `default` namespace), even after their content is restored. An update that
// carries managedFields and changes nothing else makes the API server store them as given, with no
// entry for the updater (it owns no field it changed), so the owners are exactly the ones found.
import { InfraError } from '../errors.js';
import { describeRef, httpStatusOf, type KubeClient, type ObjectRef } from './kube-client.js';
import type { ManagedFieldsEntry } from './kube-types.js';
import { FIELD_MANAGER } from './labels.js';

const entryKey = (e: ManagedFieldsEntry): string => `${e.manager ?? ''}|${e.operation ?? ''}|${e.subresource ?? ''}`;

/**
 * The owners to store: every entry found before, in its order; then entries someone else added
 * during the run (kept: not ours to drop); the harness's own new entries are left out.
 */
export function ownersToRestore(before: readonly ManagedFieldsEntry[], now: readonly ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  const known = new Set(before.map(entryKey));
  const added = now.filter((e) => !known.has(entryKey(e)) && e.manager !== FIELD_MANAGER);
  return [...before.map((e) => structuredClone(e)), ...added.map((e) => structuredClone(e))];
}

const same = (a: readonly ManagedFieldsEntry[], b: readonly ManagedFieldsEntry[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Puts back the field owners an object had before the run (`before`: its managedFields then).
 * Call after its content is restored. Nothing to do when the object is gone or its owners already
 * match; a concurrent writer (409) is retried on a fresh read.
 */
export async function restoreFieldOwners(client: KubeClient, ref: ObjectRef, before: readonly ManagedFieldsEntry[] | undefined, attempts = 3): Promise<void> {
  if (!before) return;
  for (let i = 1; ; i++) {
    const cur = await client.get(ref);
    if (!cur) return;
    const want = ownersToRestore(before, cur.metadata.managedFields ?? []);
    if (same(want, cur.metadata.managedFields ?? [])) return;
    // An empty list means "leave them alone" to the API server; [{}] clears them.
    const managedFields = want.length > 0 ? want : [{}];
    try {
      await client.update({ ...cur, metadata: { ...cur.metadata, managedFields } });
      return;
    } catch (e) {
      const status = httpStatusOf(e) ?? httpStatusOf((e as { cause?: unknown }).cause);
      if (status !== 409 || i >= attempts) throw new InfraError(`putting back the field owners (managedFields) of ${describeRef(ref)} failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
