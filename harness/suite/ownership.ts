// Which policy set owns each policy object after each step. An object's identity is
// kind/namespace/name (cluster-scoped kinds have an empty namespace). Two sets may define an object
// of the same identity: applying the second while the first holds it replaces the object in place
// (server-side apply of the new spec onto the same object, so a CNI sees an update, not a delete and
// a create), and the object then belongs to the second set: removing the first set later leaves it
// alone. Pure: the state model, validation and the policy applier follow these rules.
import type { SourcedPolicy } from '../policy/types.js';
import type { StepSpec } from './schema.js';

export const objectKey = (kind: string, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

/** The identity of a policy document, or undefined when its metadata has no name (validation reports it). */
export function policyObjectKey(doc: { kind?: unknown; metadata?: unknown }): string | undefined {
  const meta = doc.metadata;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return undefined;
  const { name, namespace } = meta as { name?: unknown; namespace?: unknown };
  if (typeof name !== 'string' || name === '') return undefined;
  return objectKey(typeof doc.kind === 'string' ? doc.kind : 'NetworkPolicy', typeof namespace === 'string' ? namespace : '', name);
}

/** `NetworkPolicy shop/web` for messages. */
export function describeObjectKey(key: string): string {
  const [kind, ns, name] = key.split('/') as [string, string, string];
  return `${kind} ${ns ? `${ns}/` : ''}${name}`;
}

export interface PolicyObjects {
  /** Set ids applied, in application order (a set may own nothing once others replaced all its objects). */
  applied: string[];
  /** Object key -> the document in force; its `setId` is the owner. In the order objects were first created. */
  objects: Map<string, SourcedPolicy>;
}

export const noPolicyObjects = (): PolicyObjects => ({ applied: [], objects: new Map() });

/** A document's key, or a key of its own when it has none, so nothing is silently dropped. */
const keyOf = (d: SourcedPolicy): string => policyObjectKey(d.policy) ?? `?/${d.setId}#${d.docIndex}`;

/** One step: removed sets delete the objects they own, then applied sets create or take over theirs. */
export function policyObjectsAfterStep(prev: PolicyObjects, step: Pick<StepSpec, 'apply' | 'remove'>, docs: ReadonlyMap<string, SourcedPolicy[]>): PolicyObjects {
  const objects = new Map(prev.objects);
  for (const [k, d] of prev.objects) if (step.remove.includes(d.setId)) objects.delete(k);
  const applied = prev.applied.filter((id) => !step.remove.includes(id));
  for (const id of step.apply) {
    for (const d of docs.get(id) ?? []) objects.set(keyOf(d), d);
    if (!applied.includes(id)) applied.push(id);
  }
  return { applied, objects };
}

/** Policy objects after each step, in order (index i: after steps[0..i]). */
export function policyObjectsAfterEachStep(steps: Pick<StepSpec, 'apply' | 'remove'>[], docs: ReadonlyMap<string, SourcedPolicy[]>): PolicyObjects[] {
  const out: PolicyObjects[] = [];
  let cur = noPolicyObjects();
  for (const s of steps) {
    cur = policyObjectsAfterStep(cur, s, docs);
    out.push(cur);
  }
  return out;
}

/** Keys of objects a set defines that another applied set holds now: applying the set would replace them in place. */
export function replacedBy(setId: string, prev: PolicyObjects, docs: ReadonlyMap<string, SourcedPolicy[]>): { key: string; from: string }[] {
  const out: { key: string; from: string }[] = [];
  for (const d of docs.get(setId) ?? []) {
    const key = keyOf(d);
    const cur = prev.objects.get(key);
    if (cur && cur.setId !== setId) out.push({ key, from: cur.setId });
  }
  return out;
}
