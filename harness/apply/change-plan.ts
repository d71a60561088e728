// `run --plan`: what each step would create, change and delete on a live cluster, computed from a
// read-only snapshot of the NetworkPolicies and namespace labels there. Pure: the reader is
// readLiveState() in live-state.ts. Mirrors PolicyApplier's semantics (a set's policy replaces the
// object of the same name in place; removing a set deletes only what it still owns).
import { describeRef, type ObjectRef } from '../cluster/kube-client.js';
import type { KObject } from '../cluster/kube-types.js';
import { MANAGED_BY_KEY } from '../cluster/labels.js';
import type { SourcedPolicy } from '../policy/types.js';
import type { StepSpec } from '../suite/schema.js';
import { POLICY_SET_KEY } from './policies.js';
import { normalizeObject } from './normalize.js';

/** The live state a plan starts from: NetworkPolicies by `<ns>/<name>`, namespace labels by name (absent: not there). */
export interface LiveState {
  policies: Map<string, KObject>;
  namespaces: Map<string, Record<string, string>>;
}

/** One object of the suite's manifests, as the cluster holds it before the run (undefined: absent). */
export interface PriorObject {
  ref: ObjectRef;
  before: KObject | undefined;
}

export interface PolicyChange {
  policy: string;
  /** Top-level fields that differ (`spec.ingress`, `metadata.labels`, ...), for `changed`. */
  fields?: string[];
}

export interface StepPlan {
  step: string;
  created: PolicyChange[];
  changed: PolicyChange[];
  deleted: PolicyChange[];
  unchanged: PolicyChange[];
  /** `namespace/<ns>: key a -> b` lines, or pod relabels. */
  labels: string[];
}

const HARNESS_LABELS = [MANAGED_BY_KEY, POLICY_SET_KEY];

function comparable(o: KObject): KObject {
  const n = normalizeObject(o);
  const labels = Object.fromEntries(Object.entries(n.metadata.labels ?? {}).filter(([k]) => !HARNESS_LABELS.includes(k)));
  n.metadata = { name: n.metadata.name, namespace: n.metadata.namespace, ...(Object.keys(labels).length ? { labels } : {}), ...(n.metadata.annotations ? { annotations: n.metadata.annotations } : {}) };
  return n;
}

/** Field paths (`spec.<field>`, `metadata.labels`, `metadata.annotations`) where two policies differ. */
export function differingFields(before: KObject, after: KObject): string[] {
  const a = comparable(before);
  const b = comparable(after);
  const out: string[] = [];
  const specA = (a.spec ?? {}) as Record<string, unknown>;
  const specB = (b.spec ?? {}) as Record<string, unknown>;
  for (const k of [...new Set([...Object.keys(specA), ...Object.keys(specB)])].sort()) {
    if (JSON.stringify(specA[k]) !== JSON.stringify(specB[k])) out.push(`spec.${k}`);
  }
  for (const k of ['labels', 'annotations'] as const) {
    if (JSON.stringify(a.metadata[k] ?? {}) !== JSON.stringify(b.metadata[k] ?? {})) out.push(`metadata.${k}`);
  }
  return out;
}

function policyKey(sp: SourcedPolicy): string {
  return `${sp.policy.metadata.namespace ?? ''}/${sp.policy.metadata.name}`;
}

/** The plan of every step, in order, each starting from the state the previous one leaves. */
export function planChanges(steps: Pick<StepSpec, 'name' | 'apply' | 'remove' | 'labels'>[], sets: Map<string, SourcedPolicy[]>, live: LiveState): StepPlan[] {
  const policies = new Map(live.policies);
  const nsLabels = new Map([...live.namespaces].map(([k, v]) => [k, { ...v }]));
  const owner = new Map<string, string>();
  const plans: StepPlan[] = [];
  for (const step of steps) {
    const plan: StepPlan = { step: step.name, created: [], changed: [], deleted: [], unchanged: [], labels: [] };
    for (const id of step.remove) {
      for (const sp of sets.get(id) ?? []) {
        const key = policyKey(sp);
        const o = owner.get(key);
        if (o !== undefined && o !== id) continue;
        if (policies.has(key)) plan.deleted.push({ policy: key });
        policies.delete(key);
        owner.delete(key);
      }
    }
    for (const id of step.apply) {
      for (const sp of sets.get(id) ?? []) {
        const key = policyKey(sp);
        const next = structuredClone(sp.policy) as unknown as KObject;
        const cur = policies.get(key);
        if (!cur) plan.created.push({ policy: key });
        else {
          const fields = differingFields(cur, next);
          if (fields.length) plan.changed.push({ policy: key, fields });
          else plan.unchanged.push({ policy: key });
        }
        policies.set(key, next);
        owner.set(key, id);
      }
    }
    for (const ch of step.labels) {
      const [a, b] = ch.target.split('/') as [string, string];
      if (a === 'namespace') {
        const labels = nsLabels.get(b);
        if (!labels) {
          plan.labels.push(`namespace/${b}: does not exist (the run would fail here)`);
          continue;
        }
        for (const [k, v] of Object.entries(ch.set)) {
          if (labels[k] !== v) plan.labels.push(`namespace/${b}: ${k} ${labels[k] === undefined ? '(absent)' : JSON.stringify(labels[k])} -> ${JSON.stringify(v)}`);
          labels[k] = v;
        }
        for (const k of ch.remove) {
          if (k in labels) plan.labels.push(`namespace/${b}: ${k} ${JSON.stringify(labels[k])} -> (removed)`);
          delete labels[k];
        }
      } else {
        const parts = [...Object.entries(ch.set).map(([k, v]) => `${k}=${v}`), ...ch.remove.map((k) => `${k}-`)];
        plan.labels.push(`pods of ${ch.target} (created by the run): ${parts.join(' ')}`);
      }
    }
    plans.push(plan);
  }
  return plans;
}

/** Terminal text of a plan. */
/**
 * The plan as text. `manifests`: the suite manifests' objects in apply order with their prior state
 * (readPriorObjects), applied before the first step.
 */
export function renderPlan(plans: StepPlan[], context: string, manifests: PriorObject[] = []): string {
  const lines = [`plan for context ${context} (read-only: nothing was changed)`];
  if (manifests.length) lines.push('', "before the first step, the suite's manifests (afterwards what they created is deleted, what existed put back as found):");
  for (const o of manifests) lines.push(o.before ? `  ~ apply over ${describeRef(o.ref)} (it exists)` : `  + create ${describeRef(o.ref)}`);
  for (const p of plans) {
    lines.push('', `step ${p.step}:`);
    const n = p.created.length + p.changed.length + p.deleted.length + p.labels.length;
    if (n === 0) lines.push('  no changes');
    for (const c of p.created) lines.push(`  + create NetworkPolicy ${c.policy}`);
    for (const c of p.changed) lines.push(`  ~ change NetworkPolicy ${c.policy} (${c.fields!.join(', ')} differ)`);
    for (const c of p.deleted) lines.push(`  - delete NetworkPolicy ${c.policy}`);
    for (const l of p.labels) lines.push(`  ~ labels ${l}`);
    if (p.unchanged.length) lines.push(`  = unchanged: ${p.unchanged.map((c) => c.policy).join(', ')}`);
  }
  lines.push('', 'after the last step the prior state is restored (unless --keep-changes on a passing run)');
  return lines.join('\n');
}
