// Labels and names the harness puts on what it creates, so cleanup and later runs can find them.

export const FIELD_MANAGER = 'netpol-harness';
export const MANAGED_BY_KEY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'netpol-harness';
/** The run that created a namespace or external container (a leftover's owner). */
export const RUN_KEY = 'netpol-harness/run';
/**
 * Harness-owned pod label selecting a workload's or probe's pods. Deployments and Services select
 * on it alone, so steps can relabel pods freely without orphaning them from their ReplicaSet.
 */
export const ENDPOINT_KEY = 'netpol-harness/endpoint';
/** Docker labels on external containers. */
export const DOCKER_EXTERNAL_KEY = 'netpol-harness.external';
export const DOCKER_RUN_KEY = 'netpol-harness.run';
export const DOCKER_CLUSTER_KEY = 'netpol-harness.cluster';
/** The agent container's name in every harness pod (the prober execs into it). */
export const AGENT_CONTAINER = 'agent';

/** Namespaces the harness never mutates without an explicit flag. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/** Labels a label-change step may never set or remove: they keep pods attached to their owners. */
export const PROTECTED_POD_LABELS: readonly string[] = [ENDPOINT_KEY, 'pod-template-hash'];

export function managedLabels(runId: string): Record<string, string> {
  return { [MANAGED_BY_KEY]: MANAGED_BY_VALUE, [RUN_KEY]: runId };
}

/** A fresh run id: short, sortable by time, valid as a label value and in container names. */
export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-').toLowerCase();
  return `${t}-${Math.random().toString(36).slice(2, 6)}`;
}
/** kind's own label on its node containers (value: the cluster name). */
export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
