// The CNI's own per-node agents as watch targets. A policy is enforced by the agent on the node of
// the source (egress) and of the destination (ingress); when that agent is starved, restarting or
// not Ready its rules lag behind the API, so what traffic shows then is the lag, not the policy.
import { recentlyReady, type Snapshot, type WatchTarget } from './snapshot.js';

/** Endpoint id every CNI agent pod is watched under. */
export const CNI_ENDPOINT = 'cni-agent';

/** Where the CNIs we know run their node agents, and how they label them. */
const AGENTS: { namespace: string; labels: Record<string, string> }[] = [
  { namespace: 'kube-system', labels: { 'k8s-app': 'kube-router' } },
  { namespace: 'kube-system', labels: { 'k8s-app': 'calico-node' } },
  { namespace: 'calico-system', labels: { 'k8s-app': 'calico-node' } },
  { namespace: 'kube-system', labels: { 'k8s-app': 'cilium' } },
  { namespace: 'kube-flannel', labels: { app: 'flannel' } },
  { namespace: 'kube-system', labels: { app: 'kindnet' } },
];

export const CNI_TARGETS: WatchTarget[] = AGENTS.map((a) => ({ endpoint: CNI_ENDPOINT, namespace: a.namespace, labels: a.labels, agent: false, clusterService: true }));

/** Nodes the endpoint's pods run on. */
const nodesOf = (snap: Snapshot, endpoint: string): Set<string> => new Set([...snap.pods.values()].filter((p) => p.endpoints.includes(endpoint)).map((p) => p.node));

/** Endpoints with a pod on this node (what a CNI agent there enforces for). */
export function endpointsOnNode(snap: Snapshot, node: string): string[] {
  return [...snap.pods.values()].filter((p) => p.node === node && !p.endpoints.includes(CNI_ENDPOINT)).flatMap((p) => p.endpoints);
}

/**
 * A CNI agent on one of the endpoint's nodes that is not Ready right now, or restarted and turned
 * Ready only just before the round (still re-syncing its rules), as a reason; else undefined.
 */
export function cniAgentProblem(snap: Snapshot, endpoint: string, t0: number): string | undefined {
  if (endpoint === CNI_ENDPOINT) return undefined;
  const nodes = nodesOf(snap, endpoint);
  const agents = [...snap.pods.values()].filter((p) => p.endpoints.includes(CNI_ENDPOINT) && nodes.has(p.node));
  const sick = agents.find((p) => !p.ready || p.terminating);
  if (sick) return `CNI agent ${sick.namespace}/${sick.name} on node ${sick.node} is not Ready (phase ${sick.phase}): its rules may lag behind the policies`;
  // Only a restarted agent re-syncs rules that already existed; a new cluster's agents come up before
  // the run's pods and policies, so their first Ready is no lag.
  const fresh = agents.filter((p) => p.restarts > 0).map((p) => recentlyReady({ ...snap, pods: new Map([[p.uid, p]]) }, CNI_ENDPOINT, t0)).find((x) => x !== undefined);
  return fresh ? `CNI agent: ${fresh}` : undefined;
}
