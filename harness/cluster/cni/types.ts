// The CNI installer interface. Installers apply their manifests and wait until the CNI runs on
// every node; whether it enforces NetworkPolicy is the canary's job (harness/cluster/checks/canary.ts).
import type { ClusterSpec } from '../../suite/schema.js';
import type { Progress } from '../progress.js';
import type { Cluster } from '../provider.js';
import type { Clock } from '../wait.js';
import type { Fetcher } from './manifest.js';

export type CniName = ClusterSpec['cni'];

/** Calico's Linux dataplanes the harness can install: iptables (Calico's default) or nftables. */
export const CALICO_DATAPLANES = ['iptables', 'nftables'] as const;
export type CalicoDataplane = (typeof CALICO_DATAPLANES)[number];

export interface CniInstallOptions {
  progress?: Progress;
  /** Deadline for the CNI's pods and the nodes to become Ready (default 5 min). */
  timeoutMs?: number;
  /** Calico manifest: URL or local path (default CALICO_MANIFEST_URL). */
  calicoManifest?: string;
  /** Calico's dataplane (default iptables): sets FELIX_NFTABLESMODE on calico-node. */
  calicoDataplane?: CalicoDataplane;
  /** kube-router manifest path (default clusters/cni/kube-router.yaml of this package). */
  kubeRouterManifest?: string;
  /** kube-router image (default: $NPH_KUBE_ROUTER_IMAGE, images.env, then KUBE_ROUTER_IMAGE). */
  kubeRouterImage?: string;
  clock?: Clock;
  fetch?: Fetcher;
}

export interface CniInstaller {
  readonly name: CniName;
  /** Images the CNI's pods run, for preloadImages before install. */
  images(opts?: CniInstallOptions): Promise<string[]>;
  install(cluster: Cluster, opts?: CniInstallOptions): Promise<void>;
}
