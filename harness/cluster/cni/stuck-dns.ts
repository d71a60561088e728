// On a cluster the run just created, CoreDNS is scheduled the moment the CNI's agents write their
// config, sometimes before that config is complete (kube-router's lacks the node's pod range for a
// moment): the sandbox fails, and the kubelet retries it only after a back-off of 10 s or more. Its
// pods never had a network, so deleting them loses nothing: their ReplicaSet recreates them at
// once, on a CNI that is ready. Only pods that never ran are touched, and never on someone's cluster.
import type { KubeClient } from '../kube-client.js';
import type { PodLike } from '../kube-types.js';
import type { Progress } from '../progress.js';

const DNS = { namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' };

/** CoreDNS pods whose containers never started (pure): waiting for a sandbox, or not scheduled yet. */
export function neverRan(pods: PodLike[]): PodLike[] {
  return pods.filter((p) => {
    if (p.metadata.deletionTimestamp) return false;
    const statuses = p.status?.containerStatuses ?? [];
    const started = statuses.some((s) => s.state?.running || s.state?.terminated || (s.restartCount ?? 0) > 0 || s.lastState?.terminated);
    return !started && (p.status?.phase ?? 'Pending') === 'Pending';
  });
}

/**
 * Deletes the CoreDNS pods that never ran, so that they are recreated on the ready CNI. Returns
 * their names. Best effort: a failure only costs the kubelet's back-off.
 */
export async function recreateStuckDns(client: KubeClient, progress?: Progress): Promise<string[]> {
  const pods = await client.list<PodLike>('v1', 'Pod', DNS);
  const stuck = neverRan(pods);
  for (const p of stuck) await client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: DNS.namespace, name: p.metadata.name ?? '' });
  if (stuck.length > 0) progress?.info(`recreated ${stuck.length} CoreDNS pod(s) created before the CNI was ready (${stuck.map((p) => p.metadata.name).join(', ')}), rather than wait out the kubelet's sandbox back-off`);
  return stuck.map((p) => p.metadata.name ?? '');
}
