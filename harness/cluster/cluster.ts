// What every provider gives (providers/: kind, existing, k3s): the Cluster interface, its options,
// and the node list. Split from provider.ts, which picks the provider, so providers need not import it.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterSpec } from '../suite/schema.js';
import type { CleanupStack } from './cleanup.js';
import type { CommandRunner } from './command.js';
import type { KubeClient } from './kube-client.js';
import { isNodeReady, type NodeLike } from './kube-types.js';
import type { Progress } from './progress.js';

export type ProviderName = ClusterSpec['provider'];

export interface NodeInfo {
  name: string;
  internalIP: string;
  role: 'control-plane' | 'worker';
  ready: boolean;
  /** No NoSchedule/NoExecute taint and not cordoned: workloads may be pinned here. */
  schedulable: boolean;
  podCIDR?: string;
}

export interface Cluster {
  readonly provider: ProviderName;
  readonly name: string;
  /** A kubeconfig file for this cluster (a temp file for kind and k3s; the user's for existing). */
  readonly kubeconfigPath: string;
  /** The context to use in kubeconfigPath (its current context for kind and k3s). */
  readonly context: string;
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  /** This run created the cluster (false for existing, and for a reused kind cluster). */
  readonly createdByUs: boolean;
  /** destroy() will delete it: created by us and not kept. Cleanup skips slow per-object deletes then. */
  readonly ephemeral: boolean;
  /** Docker network the nodes are on; externals join it. Undefined when there is none (existing). */
  readonly dockerNetwork?: string;
  nodes(): Promise<NodeInfo[]>;
  /** Makes local Docker images available to the nodes, skipping those already there. */
  loadImages?(images: string[]): Promise<void>;
  /** Deletes the cluster when createdByUs and not kept; otherwise only forgets temp files. Idempotent. */
  destroy(): Promise<void>;
}

export interface CreateClusterOptions {
  /** Overrides spec.name (kind cluster name, or kube context for existing). */
  name?: string;
  /** Leave the cluster running after the run (--keep). */
  keep?: boolean;
  /** Use an existing kind cluster of that name instead of failing (--reuse). */
  reuse?: boolean;
  /** kind node image (default: $NPH_NODE_IMAGE, then images.env, then kind's default). */
  nodeImage?: string;
  /** kind binary (default: $NPH_KIND, then images.env, then `kind` on PATH). */
  kindBinary?: string;
  /** docker binary (default: $NPH_DOCKER, then `docker`). */
  dockerBinary?: string;
  /** existing: kubeconfig file (default: $KUBECONFIG, then ~/.kube/config). Only read, never written. */
  kubeconfig?: string;
  /** existing: context (default: spec.name, then the kubeconfig's current context). */
  context?: string;
  /** Recorded for the NamespaceGuard the runner builds; providers themselves do not use it. */
  allowForeignNamespaces?: boolean;
  /** k3s image (default: $NPH_K3S_IMAGE, then K3S_DEFAULT_IMAGE). */
  k3sImage?: string;
  /**
   * Images to put on the nodes. k3s: side-loaded before it starts (k3s imports them at boot). kind:
   * loaded while `kind create` bootstraps Kubernetes, once every node's containerd answers (the
   * images the local engine has; best effort: a failure leaves them to the preload after creation).
   */
  preloadImages?: string[];
  /** kind: kube-proxy's mode (default iptables); `--calico-dataplane nftables` asks for nftables. */
  kubeProxyMode?: 'iptables' | 'nftables';
  /** kind: extra kubeadm config patches (e.g. `failCgroupV1: false` for Kubernetes >= 1.35 on cgroup v1). */
  kubeadmConfigPatches?: string[];
  /** Registers the cluster's deletion here as soon as creation starts. */
  cleanup?: CleanupStack;
  progress?: Progress;
  runner?: CommandRunner;
  /** Deadline for cluster creation (default 10 min). */
  timeoutMs?: number;
}

export function toNodeInfo(n: NodeLike): NodeInfo {
  const labels = n.metadata.labels ?? {};
  const role = 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels ? 'control-plane' : 'worker';
  const taints = n.spec?.taints ?? [];
  const info: NodeInfo = {
    name: n.metadata.name ?? '',
    internalIP: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
    role,
    ready: isNodeReady(n),
    schedulable: !n.spec?.unschedulable && !taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
  };
  if (n.spec?.podCIDR) info.podCIDR = n.spec.podCIDR;
  return info;
}

export async function listNodes(client: KubeClient): Promise<NodeInfo[]> {
  const nodes = await client.list<NodeLike>('v1', 'Node');
  return nodes.map(toNodeInfo).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Node names to spread workloads over: schedulable workers; else every schedulable node (a
 * single-node kind or k3s cluster has no separate workers and an untainted control plane).
 */
export function workerNodeNames(nodes: NodeInfo[]): string[] {
  const workers = nodes.filter((n) => n.role === 'worker' && n.schedulable).map((n) => n.name);
  if (workers.length > 0) return workers;
  return nodes.filter((n) => n.schedulable).map((n) => n.name);
}
