// Permissions checked up front on a cluster the harness does not own: a SelfSubjectAccessReview per
// verb and resource, so a rehearsal fails before its first change (exit 2) listing everything missing,
// not half-way through a step.
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { InfraError, UsageError } from '../../errors.js';
import { apiErrorMessage } from '../kube-client.js';

export interface AccessNeed {
  verb: string;
  /** Plural resource, e.g. networkpolicies. */
  resource: string;
  /** e.g. `ephemeralcontainers` on `pods`. */
  subresource?: string;
  group?: string;
  /** Omit for cluster-scoped resources or any namespace. */
  namespace?: string;
}

/** Asks the API server whether the current user may do this; resolves true/false. */
export type AccessReviewer = (need: AccessNeed) => Promise<boolean>;

export function apiServerReviewer(kc: KubeConfig): AccessReviewer {
  const api = kc.makeApiClient(AuthorizationV1Api);
  return async (need) => {
    try {
      const r = await api.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: need.verb, resource: need.resource, group: need.group ?? '', ...(need.subresource ? { subresource: need.subresource } : {}), ...(need.namespace ? { namespace: need.namespace } : {}) } },
        },
      });
      return r.status?.allowed === true;
    } catch (e) {
      throw new InfraError(`SelfSubjectAccessReview failed: ${apiErrorMessage(e)}`, { cause: e });
    }
  };
}

export function describeNeed(n: AccessNeed): string {
  return `${n.verb} ${n.resource}${n.group ? `.${n.group}` : ''}${n.namespace ? ` in namespace ${n.namespace}` : ''}`;
}

/** Checks every need (concurrently); throws a UsageError listing each one denied. */
export async function assertAccess(review: AccessReviewer, needs: AccessNeed[], who: string): Promise<void> {
  const answers = await Promise.all(needs.map(async (n) => ({ n, ok: await review(n) })));
  const missing = answers.filter((a) => !a.ok).map((a) => describeNeed(a.n));
  if (missing.length) {
    throw new UsageError(`${who} lacks ${missing.length} permission(s):\n  ${missing.join('\n  ')}`, {
      hint: 'ask the cluster admin for a Role granting these, or use a context that has them (kubectl auth can-i <verb> <resource> -n <ns>)',
    });
  }
}

/**
 * What a rehearsal needs: read, apply and delete policies in the namespaces it changes, read and
 * label namespaces; unless planOnly, also what deploying its probes and workloads takes (create
 * namespaces; Deployments, Services and exec into pods in `deployIn`).
 */
export function rehearsalNeeds(namespaces: string[], opts: { planOnly?: boolean; deployIn?: string[] } = {}): AccessNeed[] {
  const needs: AccessNeed[] = [
    { verb: 'get', resource: 'namespaces' },
    ...(opts.planOnly ? [] : [{ verb: 'patch', resource: 'namespaces' }]),
  ];
  for (const ns of namespaces) {
    const verbs = opts.planOnly ? ['list', 'get'] : ['list', 'get', 'create', 'patch', 'delete'];
    for (const verb of verbs) needs.push({ verb, resource: 'networkpolicies', group: 'networking.k8s.io', namespace: ns });
  }
  if (!opts.planOnly && opts.deployIn?.length) {
    needs.push({ verb: 'create', resource: 'namespaces' });
    for (const ns of opts.deployIn) {
      needs.push({ verb: 'create', resource: 'deployments', group: 'apps', namespace: ns }, { verb: 'create', resource: 'services', namespace: ns }, { verb: 'create', resource: 'pods/exec', namespace: ns });
    }
  }
  return needs;
}
