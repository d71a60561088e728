// rollback.yaml: written before a rehearsal's first change, so the prior state of everything the
// suite touches can be restored by hand even when the harness itself cannot (SIGKILL, lost
// connection): every NetworkPolicy and namespace label its steps change, every object of its
// `manifests:` (its prior state, or a delete when the run creates it) and the namespaces the run
// creates. Pure: the caller reads the live state.
import { toYaml } from '../suite/yaml-write.js';
import type { ObjectRef } from '../cluster/kube-client.js';
import type { KObject } from '../cluster/kube-types.js';
import { FIELD_MANAGER } from '../cluster/labels.js';
import type { SourcedPolicy } from '../policy/types.js';
import type { StepSpec } from '../suite/schema.js';
import type { LiveState, PriorObject } from './change-plan.js';
import { restorableObject } from './normalize.js';

export type { PriorObject } from './change-plan.js';

export interface RollbackInput {
  steps: Pick<StepSpec, 'apply' | 'remove' | 'labels'>[];
  /** Labels the suite declares on its namespaces (the run sets them on namespaces that exist). */
  namespaceLabels?: Map<string, Record<string, string>>;
  sets: Map<string, SourcedPolicy[]>;
  live: LiveState;
  /** The suite manifests' objects in apply order (namespaces first), each with its prior state. */
  objects?: PriorObject[];
  /** Namespaces the run creates when they are absent (the suite's own, those its manifests use); `live` says which are. */
  runNamespaces?: string[];
  context: string;
  kubeconfig?: string;
  now?: Date;
}

export interface Rollback {
  /** Prior manifest objects, then prior NetworkPolicies (server fields stripped), to apply server-side. */
  apply: KObject[];
  /** Policies that did not exist before: delete them. `<ns>/<name>` */
  deletePolicies: string[];
  /** Manifest objects the run creates (reverse apply order), then the namespaces it creates: delete them. */
  deleteObjects: ObjectRef[];
  /**
   * Prior values of the namespace labels the steps change (null: absent, remove it). Restored with
   * `kubectl label --overwrite`, not server-side apply: applying a Namespace with a few labels would
   * drop the others the same field manager owns (namespaces an earlier harness run made).
   */
  labels: Map<string, Record<string, string | null>>;
}

/** Everything the suite's steps could touch, as it is now. */
export function rollbackOf(input: Pick<RollbackInput, 'steps' | 'sets' | 'live' | 'namespaceLabels' | 'objects' | 'runNamespaces'>): Rollback {
  const policyKeys = new Set<string>();
  const labelKeys = new Map<string, Set<string>>();
  for (const [ns, labels] of input.namespaceLabels ?? []) if (Object.keys(labels).length) labelKeys.set(ns, new Set(Object.keys(labels)));
  for (const s of input.steps) {
    for (const id of [...s.apply, ...s.remove]) for (const sp of input.sets.get(id) ?? []) policyKeys.add(`${sp.policy.metadata.namespace ?? ''}/${sp.policy.metadata.name}`);
    for (const ch of s.labels) {
      const [a, b] = ch.target.split('/') as [string, string];
      if (a !== 'namespace') continue; // pods relabelled are the run's own and go with it
      const keys = labelKeys.get(b) ?? new Set<string>();
      for (const k of [...Object.keys(ch.set), ...ch.remove]) keys.add(k);
      labelKeys.set(b, keys);
    }
  }
  const rb: Rollback = { apply: [], deletePolicies: [], deleteObjects: [], labels: new Map() };
  const objects = input.objects ?? [];
  // kubectl's own annotations are part of a prior object: kept, so the restore is exact.
  for (const o of objects) if (o.before) rb.apply.push(restorableObject(o.before));
  for (const key of [...policyKeys].sort()) {
    const cur = input.live.policies.get(key);
    if (cur) rb.apply.push(restorableObject(cur));
    else rb.deletePolicies.push(key);
  }
  const deleted = new Set<string>();
  const toDelete = (ref: ObjectRef): void => {
    const key = `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
    if (!deleted.has(key)) rb.deleteObjects.push(ref);
    deleted.add(key);
  };
  // Objects before the namespaces that hold them; a namespace the manifests define once.
  for (const o of [...objects].reverse()) if (!o.before && o.ref.kind !== 'Namespace') toDelete(o.ref);
  for (const o of [...objects].reverse()) if (!o.before && o.ref.kind === 'Namespace') toDelete(o.ref);
  for (const ns of [...new Set(input.runNamespaces ?? [])].sort()) if (!input.live.namespaces.has(ns)) toDelete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
  for (const [ns, keys] of [...labelKeys].sort(([a], [b]) => a.localeCompare(b))) {
    const labels = input.live.namespaces.get(ns);
    if (!labels) continue;
    rb.labels.set(ns, Object.fromEntries([...keys].sort().map((k) => [k, labels[k] ?? null])));
  }
  return rb;
}

function sh(s: string): string {
  return /^[\w./:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** kubectl's name for a kind: `configmap` in the core group, `deployment.v1.apps` elsewhere (no ambiguity with CRDs). */
export function kubectlResource(ref: Pick<ObjectRef, 'apiVersion' | 'kind'>): string {
  const [group, version] = ref.apiVersion.includes('/') ? (ref.apiVersion.split('/') as [string, string]) : ['', ref.apiVersion];
  return group ? `${ref.kind.toLowerCase()}.${version}.${group}` : ref.kind.toLowerCase();
}

/** The file: a comment header with the exact commands, then the objects to apply server-side. */
export function renderRollback(input: RollbackInput): string {
  const rb = rollbackOf(input);
  const k = `kubectl${input.kubeconfig ? ` --kubeconfig ${sh(input.kubeconfig)}` : ''} --context ${sh(input.context)}`;
  const head = [
    `# netpol-harness rollback, written ${(input.now ?? new Date()).toISOString()} before the run's first change`,
    `# on context ${input.context}. The harness restores this state itself at the end (and on Ctrl-C);`,
    '# use this file when it could not (killed with SIGKILL, connection lost). The documents below are',
    "# the prior state of what the run changes (NetworkPolicies, objects of the suite's manifests);",
    '# what the run creates is deleted by the commands. To restore by hand, run in this order:',
    '#',
    `#   ${k} apply --server-side --force-conflicts --field-manager=${FIELD_MANAGER} -f rollback.yaml`,
  ];
  // The field manager must be the harness's: server-side apply then drops the fields the run added.
  for (const key of rb.deletePolicies) {
    const [ns, name] = key.split('/') as [string, string];
    head.push(`#   ${k} -n ${sh(ns)} delete networkpolicy ${sh(name)} --ignore-not-found   # did not exist before`);
  }
  for (const ref of rb.deleteObjects) {
    head.push(`#   ${k}${ref.namespace ? ` -n ${sh(ref.namespace)}` : ''} delete ${sh(kubectlResource(ref))} ${sh(ref.name)} --ignore-not-found   # the run creates it`);
  }
  for (const [ns, labels] of rb.labels) {
    const args = Object.entries(labels).map(([key, v]) => sh(v === null ? `${key}-` : `${key}=${v}`));
    head.push(`#   ${k} label --overwrite namespace ${sh(ns)} ${args.join(' ')}   # prior values; key- was absent`);
  }
  if (rb.apply.length === 0) head.push('#', '# (nothing existed before: only the commands after the apply are needed)');
  head.push('#', '# the same, machine-readable (null: the label was absent):');
  head.push(`#   delete-networkpolicies: ${JSON.stringify(rb.deletePolicies)}`);
  head.push(`#   delete-objects: ${JSON.stringify(rb.deleteObjects.map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, ...(r.namespace ? { namespace: r.namespace } : {}), name: r.name })))}`);
  head.push(`#   namespace-labels: ${JSON.stringify(Object.fromEntries(rb.labels))}`);
  const docs = rb.apply.map((o) => toYaml(o, { sortMapEntries: false }).trimEnd());
  return `${head.join('\n')}\n${docs.length ? `---\n${docs.join('\n---\n')}\n` : ''}`;
}
