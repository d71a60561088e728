// The thin reader behind `diagnose`: one list per kind, cluster-wide, in parallel (a diagnosis must
// answer in seconds). Lists, never writes. ClusterNetworkPolicies are read when the API serves them.
import type { KubeClient } from '../cluster/kube-client.js';
import type { KObject } from '../cluster/kube-types.js';
import { CNP_API_VERSION, CNP_KIND } from '../policy/cnp/types.js';

export interface ContainerPortLike {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface LivePod extends KObject {
  metadata: KObject['metadata'] & { ownerReferences?: { kind: string; name: string }[] };
  spec?: { nodeName?: string; hostNetwork?: boolean; containers?: { name: string; image?: string; ports?: ContainerPortLike[] }[] };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

export interface LiveServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export interface LiveService extends KObject {
  spec?: { selector?: Record<string, string>; clusterIP?: string; type?: string; ports?: LiveServicePort[] };
}

/** What diagnose reads: everything the engine and the mapping need, nothing else. */
export interface LiveReading {
  context: string;
  namespaces: KObject[];
  pods: LivePod[];
  services: LiveService[];
  policies: KObject[];
  clusterPolicies: KObject[];
  /** Why cluster policies could not be read (absent API, forbidden), when they could not. */
  clusterPoliciesNote?: string;
}

export async function readLive(client: KubeClient, context: string): Promise<LiveReading> {
  const [namespaces, pods, services, policies, cnp] = await Promise.all([
    client.list('v1', 'Namespace'),
    client.list<LivePod>('v1', 'Pod'),
    client.list<LiveService>('v1', 'Service'),
    client.list('networking.k8s.io/v1', 'NetworkPolicy'),
    client.list(CNP_API_VERSION, CNP_KIND).then(
      (items) => ({ items }),
      (e: unknown) => ({ items: [] as KObject[], note: `ClusterNetworkPolicies not read (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` }),
    ),
  ]);
  return { context, namespaces, pods, services, policies, clusterPolicies: cnp.items, ...('note' in cnp ? { clusterPoliciesNote: cnp.note } : {}) };
}
