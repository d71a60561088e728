// ClusterNetworkPolicy documents in a suite's policy files: recognised while loading (a file may
// hold NetworkPolicies and ClusterNetworkPolicies), then validated as the CRD would (policy/cnp/validate.ts)
// and checked against the suite: one name per cluster policy among the sets a step applies together.
import type { Issue } from '../errors.js';
import { CNP_API_VERSION, CNP_KIND, type ClusterNetworkPolicy, type SourcedClusterPolicy } from '../policy/cnp/types.js';
import { validateClusterNetworkPolicy } from '../policy/cnp/validate.js';
import type { LoadedSuite } from './load.js';
import { appliedAfterEachStep } from './references.js';
import type { YamlDoc } from './yaml-source.js';

const V1ALPHA1_KINDS = ['AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'];

/**
 * A cluster policy document, or an issue, or undefined when the document is not one (a NetworkPolicy
 * or something else, left to the NetworkPolicy checks).
 */
export function clusterPolicyDocument(
  d: YamlDoc,
  docIndex: number,
  file: string,
  setId: string,
  where: (path: string) => Issue,
): { policy: SourcedClusterPolicy } | { issue: Issue } | undefined {
  const v = d.value as { kind?: unknown; apiVersion?: unknown };
  if (typeof v.kind === 'string' && V1ALPHA1_KINDS.includes(v.kind)) {
    return { issue: { ...where('kind'), message: `${v.kind} (policy.networking.k8s.io/v1alpha1) is not supported: write a ClusterNetworkPolicy (${CNP_API_VERSION}) with tier ${v.kind === 'AdminNetworkPolicy' ? 'Admin' : 'Baseline'} (Allow becomes Accept)` } };
  }
  if (v.kind !== CNP_KIND) return undefined;
  const policy = structuredClone(d.value) as ClusterNetworkPolicy;
  return { policy: { policy, setId, file, docIndex, lineOf: (p: string) => d.lineOf(p), keyLineOf: (p: string) => d.keyLineOf(p) } };
}

/** Every cluster policy validated as the API server would, and the same name never applied twice at once. */
export function checkClusterPolicies(loaded: LoadedSuite): Issue[] {
  const issues: Issue[] = [];
  const sets = loaded.clusterPolicies;
  if (!sets) return issues;
  const appliedAt = appliedAfterEachStep(loaded.suite);
  const owners = new Map<string, { setId: string; where: string }>();
  const multi = (d: SourcedClusterPolicy): boolean => [...(loaded.policies.get(d.setId) ?? []), ...(sets.get(d.setId) ?? [])].length > 1;
  for (const [setId, docs] of sets) {
    for (const d of docs) {
      const prefix = multi(d) ? `[doc ${d.docIndex}] ` : '';
      issues.push(...validateClusterNetworkPolicy(d, { pathPrefix: prefix }));
      const name = typeof d.policy?.metadata?.name === 'string' ? d.policy.metadata.name : '';
      if (name === '') continue;
      const here = `${d.file}${prefix ? ` ${prefix.trim()}` : ''}`;
      const first = owners.get(name);
      if (!first) {
        owners.set(name, { setId, where: here });
        continue;
      }
      const line = (d.keyLineOf ?? d.lineOf)?.('metadata.name');
      const at = { file: d.file, path: `${prefix}metadata.name`, ...(line !== undefined ? { line } : {}) };
      if (first.setId === setId) issues.push({ ...at, message: `duplicate ClusterNetworkPolicy "${name}" (also ${first.where}): the second would replace the first; rename one` });
      else {
        const step = appliedAt.findIndex((ids) => ids.includes(first.setId) && ids.includes(setId));
        if (step !== -1)
          issues.push({ ...at, message: `ClusterNetworkPolicy "${name}" is also defined by policy set "${first.setId}" (${first.where}), and step "${loaded.suite.steps[step]!.name}" applies both: one would silently replace the other; rename one` });
      }
    }
  }
  return issues;
}
