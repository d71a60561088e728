// Reads what a rehearsal plans from and restores to: the NetworkPolicies in the namespaces a suite
// touches and those namespaces' labels. Read-only.
import type { KubeClient } from '../cluster/kube-client.js';
import type { SourcedPolicy } from '../policy/types.js';
import type { LiveState } from './change-plan.js';

/** Namespaces whose policies or labels the suite's sets and label changes touch. */
export function touchedNamespaces(sets: Map<string, SourcedPolicy[]>, labelTargets: string[]): string[] {
  const out = new Set<string>();
  for (const list of sets.values()) for (const sp of list) if (sp.policy.metadata.namespace) out.add(sp.policy.metadata.namespace);
  for (const t of labelTargets) {
    const [a, b] = t.split('/') as [string, string];
    out.add(a === 'namespace' ? b : a);
  }
  return [...out].sort();
}

export async function readLiveState(client: KubeClient, namespaces: string[]): Promise<LiveState> {
  const state: LiveState = { policies: new Map(), namespaces: new Map() };
  await Promise.all(
    namespaces.map(async (ns) => {
      const obj = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
      if (!obj) return;
      state.namespaces.set(ns, { ...(obj.metadata.labels ?? {}) });
      for (const p of await client.list('networking.k8s.io/v1', 'NetworkPolicy', { namespace: ns })) state.policies.set(`${ns}/${p.metadata.name ?? ''}`, p);
    }),
  );
  return state;
}
