// Before probing in place touches anything: may we add ephemeral containers, exec into them and
// manage policies in the suite's namespaces? Asked with SelfSubjectAccessReview, so a missing
// permission is one clear list up front instead of a failure half-way through a run.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import type { AccessNeed, AccessReviewer } from '../cluster/checks/access.js';
import type { Suite } from '../suite/schema.js';

export interface AccessCheck extends AccessNeed {
  namespace: string;
  /** Why the harness needs it. */
  why: string;
}

export const describeCheck = (c: AccessCheck): string =>
  `${c.verb} ${c.group ? `${c.resource}.${c.group}` : c.resource}${c.subresource ? `/${c.subresource}` : ''} in namespace ${c.namespace} (${c.why})`;

/** The suite's workloads probed in place: sources and witnessed destinations. */
export const inPlaceWorkloads = (suite: Suite): Suite['workloads'] => suite.workloads.filter((w) => w.existing && (w.source || w.witness));

/** Every permission a run that probes in place needs. Pure. */
export function requiredAccess(suite: Suite, policyNamespaces: Iterable<string>): AccessCheck[] {
  const out: AccessCheck[] = [];
  const nsOf = [...new Set(inPlaceWorkloads(suite).map((w) => w.namespace))];
  for (const namespace of nsOf) {
    out.push({ verb: 'get', resource: 'pods', namespace, why: 'find the Ready pods of existing workloads' });
    out.push({ verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace, why: 'add the probe or witness ephemeral container' });
    out.push({ verb: 'create', resource: 'pods', subresource: 'exec', namespace, why: 'run the probes in that container' });
  }
  for (const namespace of [...new Set(policyNamespaces)].sort()) {
    for (const verb of ['get', 'patch', 'delete']) out.push({ verb, resource: 'networkpolicies', group: 'networking.k8s.io', namespace, why: 'apply and remove the suite\'s policies' });
  }
  return out;
}

/** The SelfSubjectAccessReview asker of cluster/checks/access.ts (apiServerReviewer), or a fake in tests. */
export type Reviewer = AccessReviewer;

/** The checks the reviewer denies, in order. */
export async function missingAccess(review: Reviewer, checks: AccessCheck[]): Promise<AccessCheck[]> {
  const allowed = await Promise.all(checks.map(review));
  return checks.filter((_, i) => !allowed[i]);
}

export function accessError(missing: AccessCheck[]): UsageError {
  return new UsageError(`probing existing workloads in place needs permissions this user lacks:\n  ${missing.map(describeCheck).join('\n  ')}`, {
    hint: 'grant them with a Role/RoleBinding per namespace (check one with kubectl auth can-i patch pods/ephemeralcontainers -n <namespace>); nothing was changed',
  });
}

/** Whether the API server serves pods/ephemeralcontainers (Kubernetes 1.25+, or the feature gate on). */
export async function servesEphemeralContainers(kc: KubeConfig): Promise<boolean> {
  const list = await kc.makeApiClient(CoreV1Api).getAPIResources();
  return list.resources.some((r) => r.name === 'pods/ephemeralcontainers');
}

/** The whole pre-flight for probing in place; throws UsageError (exit 2) listing what is missing. */
export async function checkInPlaceAccess(suite: Suite, policyNamespaces: Iterable<string>, deps: { review: Reviewer; servesEphemeral: () => Promise<boolean> }): Promise<void> {
  if (inPlaceWorkloads(suite).length === 0) return;
  if (!(await deps.servesEphemeral())) {
    const names = inPlaceWorkloads(suite).map((w) => `${w.namespace}/${w.name}`);
    throw new UsageError(`this cluster does not serve pods/ephemeralcontainers, which probing ${names.join(', ')} in place needs`, {
      hint: 'use Kubernetes 1.25 or later, or remove source/witness from those workloads (they stay destinations); nothing was changed',
    });
  }
  const missing = await missingAccess(deps.review, requiredAccess(suite, policyNamespaces));
  if (missing.length > 0) throw accessError(missing);
}
