// The tier canary: does this cluster serve the ClusterNetworkPolicy API (policy.networking.k8s.io/v1alpha2)
// and does its CNI enforce it? Served is read from the CRD; enforced is proven like the NetworkPolicy
// canary: two canary pods connect, an Admin-tier Deny between them must then block the connection.
// A CNI that does not enforce cluster policies makes their steps "not testable", never pass or fail.
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { InfraError } from '../../errors.js';
import { CNP_API_VERSION, CNP_KIND } from '../../policy/cnp/types.js';
import { AGENT_CONTAINER, BatchProber, type SourcePod } from '../../probe/prober.js';
import { probeUntilSettled } from '../../probe/settle.js';
import { pod, waitRunning, type CanaryOptions } from './canary.js';
import type { KubeClient } from '../kube-client.js';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE } from '../labels.js';

export const CNP_CRD = 'clusternetworkpolicies.policy.networking.k8s.io';

export interface TierSupport {
  served: boolean;
  enforced: boolean;
  /** Why the tiers cannot be tested here (empty when they can). */
  reason: string;
  /** ms until the Admin-tier Deny blocked the canary connection. */
  denyEnforcedMs?: number;
}

/** Is v1alpha2 of the ClusterNetworkPolicy CRD installed and served? */
export async function clusterPolicyApiServed(client: KubeClient): Promise<{ served: boolean; reason: string }> {
  const crd = await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: CNP_CRD });
  if (!crd) return { served: false, reason: `the cluster does not serve the ClusterNetworkPolicy API (no CustomResourceDefinition ${CNP_CRD})` };
  const versions = ((crd.spec as { versions?: { name?: string; served?: boolean }[] } | undefined)?.versions ?? []).filter((v) => v.served);
  if (!versions.some((v) => v.name === 'v1alpha2')) {
    return { served: false, reason: `the cluster's ${CNP_CRD} serves ${versions.map((v) => v.name).join(', ') || 'no version'}, not v1alpha2` };
  }
  return { served: true, reason: '' };
}

export type TierCanaryOptions = Pick<CanaryOptions, 'agentImage' | 'nodes' | 'cni' | 'executor' | 'enforceDeadlineMs' | 'probeTimeoutMs' | 'cleanup'>;

export async function tierCanary(kc: KubeConfig, client: KubeClient, opts: TierCanaryOptions): Promise<TierSupport> {
  const api = await clusterPolicyApiServed(client);
  if (!api.served) return { served: false, enforced: false, reason: api.reason };
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const id = randomBytes(3).toString('hex');
  const ns = `nph-tier-canary-${id}`;
  const cnpName = `nph-tier-canary-${id}`;
  const apply = (o: KubernetesObject) => objects.patch(o, undefined, undefined, 'netpol-harness', true, PatchStrategy.ServerSideApply);
  const deadline = opts.enforceDeadlineMs ?? 30_000;
  const timeoutMs = opts.probeTimeoutMs ?? 2000;
  const labels = { [MANAGED_BY_KEY]: MANAGED_BY_VALUE };
  const remove = async () => {
    await client.delete({ apiVersion: CNP_API_VERSION, kind: CNP_KIND, name: cnpName }).catch(() => false);
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => false);
  };
  const unregister = opts.cleanup?.push(`tier canary (namespace ${ns}, ClusterNetworkPolicy ${cnpName})`, remove);
  try {
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } });
    await apply(pod(ns, 'server', opts.nodes[0], opts.agentImage, ['serve', '--tcp', '8080']));
    await apply(pod(ns, 'client', opts.nodes[1], opts.agentImage, ['serve']));
    const ips = await waitRunning(kc.makeApiClient(CoreV1Api), ns, ['server', 'client'], 120_000);
    const source: SourcePod = { endpoint: `${ns}/client`, namespace: ns, pod: 'client', container: AGENT_CONTAINER };
    const prober = new BatchProber(opts.executor);
    const phase = (expected: 'allow' | 'deny', deadlineMs: number) =>
      probeUntilSettled([{ source, target: { id: 'server:8080/TCP', kind: 'tcp' as const, host: ips.get('server')!, port: 8080, timeoutMs }, expected }], prober, { deadlineMs, intervalMs: 500 });
    const open = await phase('allow', 60_000);
    if (open.timeToEnforceMs === undefined) throw new InfraError(`tier canary: client cannot reach server in ${ns} with no policy`, { hint: 'the pod network is broken; check the CNI pods in kube-system' });
    await apply({
      apiVersion: CNP_API_VERSION,
      kind: CNP_KIND,
      metadata: { name: cnpName, labels },
      spec: {
        tier: 'Admin',
        priority: 1000,
        subject: { pods: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: { 'netpol-harness/canary': 'server' } } } },
        ingress: [{ name: 'canary-deny', action: 'Deny', from: [{ namespaces: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }] }],
      },
    } as KubernetesObject);
    const deny = await phase('deny', deadline);
    if (deny.timeToEnforceMs === undefined) {
      return {
        served: true,
        enforced: false,
        reason: `the cluster serves the ClusterNetworkPolicy CRD, but CNI ${opts.cni} does not enforce it: an Admin-tier Deny between two canary pods did not block their connection within ${deadline / 1000} s`,
      };
    }
    return { served: true, enforced: true, reason: '', denyEnforcedMs: deny.timeToEnforceMs };
  } finally {
    await remove();
    unregister?.();
  }
}
