// The cluster state a suite describes after each step: which policy sets are applied (and which
// set owns each policy object, ownership.ts), what exists (presence.ts) and which labels each
// namespace and pod carries. Pure: the simulator and the runner both use it.
import type { SourcedPolicy } from '../policy/types.js';
import type { SourcedClusterPolicy } from '../policy/cnp/types.js';
import type { LoadedSuite } from './load.js';
import { noPolicyObjects, policyObjectsAfterStep } from './ownership.js';
import { initialPresence, presenceAfterStep, type Presence } from './presence.js';

export const METADATA_NAME = 'kubernetes.io/metadata.name';

export interface StepState {
  stepIndex: number;
  /** Policy-set ids applied, in application order. */
  applied: string[];
  policies: SourcedPolicy[];
  /** ClusterNetworkPolicies of the applied sets, in application order. */
  clusterPolicies: SourcedClusterPolicy[];
  /** Labels per namespace name, including the automatic kubernetes.io/metadata.name. */
  namespaceLabels: Map<string, Record<string, string>>;
  /** Labels per in-cluster endpoint id (`<ns>/<name>`). */
  podLabels: Map<string, Record<string, string>>;
  /** What exists after the step; namespaceLabels and podLabels hold only what is present. */
  present: Presence;
  /** Policy object key (kind/namespace/name, ownership.ts) -> the set that owns it now. */
  owners: Map<string, string>;
}

function applyChange(labels: Record<string, string>, set: Record<string, string>, remove: string[]): Record<string, string> {
  const out = { ...labels, ...set };
  for (const k of remove) delete out[k];
  return out;
}

/** State after steps 0..stepIndex have been applied, in order. */
export function stateAtStep(loaded: LoadedSuite, stepIndex: number): StepState {
  const { suite } = loaded;
  const nsLabels = new Map<string, Record<string, string>>();
  for (const ns of suite.namespaces) nsLabels.set(ns.name, { ...ns.labels, [METADATA_NAME]: ns.name });
  // Namespaces the suite only references (kube-system for CoreDNS) still exist with their name label.
  for (const w of suite.workloads) if (!nsLabels.has(w.namespace)) nsLabels.set(w.namespace, { [METADATA_NAME]: w.namespace });
  const podLabels = new Map<string, Record<string, string>>();
  for (const w of suite.workloads) podLabels.set(`${w.namespace}/${w.name}`, { ...w.labels });
  for (const p of suite.probes) podLabels.set(`${p.namespace}/${p.name}`, { ...p.labels });
  const declaredLabels = new Map(podLabels);

  let pols = noPolicyObjects();
  let present = initialPresence(suite);
  for (let i = 0; i <= stepIndex && i < suite.steps.length; i++) {
    const step = suite.steps[i]!;
    pols = policyObjectsAfterStep(pols, step, loaded.policies);
    const change = presenceAfterStep(present, step, suite);
    present = change.present;
    // New namespaces and new pods carry what the suite declares, whatever earlier steps relabelled.
    for (const ns of change.createdNamespaces) nsLabels.set(ns, { ...suite.namespaces.find((n) => n.name === ns)?.labels, [METADATA_NAME]: ns });
    for (const id of change.freshEndpoints) podLabels.set(id, { ...declaredLabels.get(id) });
    for (const ch of step.labels) {
      const [a, b] = ch.target.split('/') as [string, string];
      if (a === 'namespace') {
        const cur = nsLabels.get(b) ?? { [METADATA_NAME]: b };
        // The name label is immutable in a real cluster; never let a step drop it.
        nsLabels.set(b, { ...applyChange(cur, ch.set, ch.remove), [METADATA_NAME]: b });
      } else {
        const id = `${a}/${b}`;
        podLabels.set(id, applyChange(podLabels.get(id) ?? {}, ch.set, ch.remove));
      }
    }
  }
  const policies = [...pols.objects.values()];
  const clusterPolicies = pols.applied.flatMap((id) => loaded.clusterPolicies?.get(id) ?? []);
  const owners = new Map([...pols.objects].map(([k, d]) => [k, d.setId]));
  // Namespaces the suite only references (kube-system) are not suite namespaces and always exist.
  const declared = new Set(suite.namespaces.map((n) => n.name));
  for (const ns of [...nsLabels.keys()]) if (declared.has(ns) && !present.namespaces.has(ns)) nsLabels.delete(ns);
  for (const id of [...podLabels.keys()]) if (!present.endpoints.has(id)) podLabels.delete(id);
  return { stepIndex, applied: pols.applied, policies, clusterPolicies, namespaceLabels: nsLabels, podLabels, present, owners };
}
