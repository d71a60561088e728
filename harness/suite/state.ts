// The cluster state a suite describes after each step: which policy sets are applied and
// which labels each namespace and pod carries. Pure: the simulator and the runner both use it.
import type { SourcedPolicy } from '../policy/types.js';
import type { SourcedClusterPolicy } from '../policy/cnp/types.js';
import type { LoadedSuite } from './load.js';

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

  let applied: string[] = [];
  for (let i = 0; i <= stepIndex && i < suite.steps.length; i++) {
    const step = suite.steps[i]!;
    applied = applied.filter((id) => !step.remove.includes(id));
    for (const id of step.apply) if (!applied.includes(id)) applied.push(id);
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
  const policies = applied.flatMap((id) => loaded.policies.get(id) ?? []);
  const clusterPolicies = applied.flatMap((id) => loaded.clusterPolicies?.get(id) ?? []);
  return { stepIndex, applied, policies, clusterPolicies, namespaceLabels: nsLabels, podLabels };
}
