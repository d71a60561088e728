// The thin reader behind `discover`: lists, never writes. Namespaces named with -n must exist.
import { UsageError } from '../errors.js';
import type { AccessNeed } from '../cluster/checks/access.js';
import type { KubeClient } from '../cluster/kube-client.js';
import type { KObject } from '../cluster/kube-types.js';
import { SYSTEM_NAMESPACES } from '../cluster/labels.js';
import type { ClusterReading } from './transform.js';

const KINDS: [apiVersion: string, kind: string, resource: string, group: string][] = [
  ['apps/v1', 'Deployment', 'deployments', 'apps'],
  ['apps/v1', 'StatefulSet', 'statefulsets', 'apps'],
  ['apps/v1', 'DaemonSet', 'daemonsets', 'apps'],
  ['v1', 'Service', 'services', ''],
  ['networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', 'networking.k8s.io'],
  ['v1', 'Pod', 'pods', ''],
];

export type NamespaceScope = { all: true } | { all: false; names: string[] };

/** The list permissions discover needs, per namespace (or cluster-wide for --all-namespaces). */
export function discoverNeeds(scope: NamespaceScope): AccessNeed[] {
  const needs: AccessNeed[] = [{ verb: scope.all ? 'list' : 'get', resource: 'namespaces' }];
  for (const ns of scope.all ? [undefined] : scope.names) {
    for (const [, , resource, group] of KINDS) needs.push({ verb: 'list', resource, ...(group ? { group } : {}), ...(ns ? { namespace: ns } : {}) });
  }
  return needs;
}

export async function readCluster(client: KubeClient, scope: NamespaceScope, context: string): Promise<ClusterReading> {
  let namespaces: KObject[];
  if (scope.all) {
    // `default` is read too (declared existing: true); Kubernetes' own namespaces are not.
    namespaces = (await client.list('v1', 'Namespace')).filter((n) => !SYSTEM_NAMESPACES.includes(n.metadata.name ?? ''));
  } else {
    const got = await Promise.all(scope.names.map((n) => client.get({ apiVersion: 'v1', kind: 'Namespace', name: n })));
    const missing = scope.names.filter((_, i) => !got[i]);
    if (missing.length) throw new UsageError(`namespace(s) ${missing.join(', ')} do not exist in context ${context}`, { hint: 'kubectl get namespaces lists them' });
    namespaces = got.filter((n): n is KObject => n !== undefined);
  }
  const names = namespaces.map((n) => n.metadata.name ?? '');
  const wanted = new Set(names);
  const lists = await Promise.all(
    KINDS.map(async ([apiVersion, kind]) =>
      scope.all
        ? (await client.list(apiVersion, kind)).filter((o) => wanted.has(o.metadata.namespace ?? ''))
        : (await Promise.all(names.map((ns) => client.list(apiVersion, kind, { namespace: ns })))).flat(),
    ),
  );
  const [deployments, statefulsets, daemonsets, services, policies, pods] = lists as [KObject[], KObject[], KObject[], KObject[], KObject[], KObject[]];
  let clusterDns = false;
  try {
    clusterDns = (await client.list('v1', 'Service', { namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' })).length > 0;
  } catch {
    // kube-system may be off limits: then no DNS check is written.
  }
  let cni: ClusterReading['cni'];
  try {
    const sys = await client.list('apps/v1', 'DaemonSet', { namespace: 'kube-system' });
    if (sys.some((d) => /^calico-node$/.test(d.metadata.name ?? ''))) cni = 'calico';
    else if (sys.some((d) => /kube-router/.test(d.metadata.name ?? ''))) cni = 'kube-router';
  } catch {
    // kube-system may be off limits: the CNI then stays the suite default.
  }
  return { context, ...(cni ? { cni } : {}), namespaces, controllers: [...deployments, ...statefulsets, ...daemonsets], services, policies, pods, clusterDns };
}
