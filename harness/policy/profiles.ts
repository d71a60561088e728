// CNI profiles: the implementation-defined corners of NetworkPolicy (spec §1.5, §1.6, §1.8) as
// switches, so the engine never hard-codes one plugin's choice. docs/engine.md lists the evidence
// and the assumptions behind each value.

export interface CniProfile {
  name: string;
  /** false: the plugin does not enforce NetworkPolicy at all (kind's old default CNI, Docker Desktop). */
  enforces: boolean;
  /** ipBlock peers match pod IPs (upstream e2e and Calico: yes; Cilium: no). */
  ipBlockMatchesPodIPs: boolean;
  /** ipBlock peers match node IPs (Cilium before 1.15: no). */
  ipBlockMatchesNodeIPs: boolean;
  /** `except` is honoured; false = the CIDR matches whole (kube-router before #543, early Antrea). */
  exceptSupported: boolean;
  /** `endPort` is honoured; false = only `port` is allowed, as the API docs say unsupported plugins do. */
  endPortSupported: boolean;
  /** SCTP rules are enforced; false = SCTP traffic is "unknown" (the plugin can neither allow nor deny it reliably). */
  sctpSupported: boolean;
  /** pod → Service → same pod: `allow` (masqueraded to the node and let through) or `policy` (judged like any other source). */
  hairpin: 'allow' | 'policy';
  /** Egress from a pod to its own node's IP: `allow` always, or `policy` (subject to egress rules). */
  podToOwnNode: 'allow' | 'policy';
  /** hostNetwork pods: `node` = ignored by selectors and not isolated, their traffic is node traffic; `pod` = ordinary pods. */
  hostNetwork: 'node' | 'pod';
  /**
   * Offline only (pod IP unknown): an ipBlock that covers part of the pod subnet is assumed to `match`
   * or `no-match` the pod. The explanation always says the verdict depends on the pod IP.
   */
  offlinePartialPodIp: 'match' | 'no-match';
  /**
   * ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2, Admin and Baseline tiers): `v1alpha2` when the
   * plugin implements it, `none` when cluster policies have no effect (spec §2.3).
   */
  clusterNetworkPolicy: 'v1alpha2' | 'none';
  /**
   * Named ports (`port: http`): `per-pod` = resolved on each destination pod, never matching a non-pod
   * (the API, N19-N21); `kube-router` = as kube-router's policy.go builds them (harness/policy/named-ports.ts):
   * an egress rule without `to` opens, to every destination, each number any pod of the policy's
   * namespace declares under the name; elsewhere the per-number IP sets can take in pods that share
   * another container port with a pod declaring the name, depending on the order the informer lists
   * the pods (those cells are `unknown`).
   */
  namedPorts: 'per-pod' | 'kube-router';
}

const BASE: Omit<CniProfile, 'name'> = {
  enforces: true,
  ipBlockMatchesPodIPs: true,
  ipBlockMatchesNodeIPs: true,
  exceptSupported: true,
  endPortSupported: true,
  sctpSupported: true,
  hairpin: 'allow',
  podToOwnNode: 'policy',
  hostNetwork: 'node',
  offlinePartialPodIp: 'no-match',
  clusterNetworkPolicy: 'v1alpha2',
  namedPorts: 'per-pod',
};

/** Calico 3.x, iptables/nftables dataplane (the harness default); ClusterNetworkPolicy since v3.32. */
export const calico: CniProfile = { name: 'calico', ...BASE };

/**
 * kube-router v2 (also k3s's embedded enforcer): like Calico, but no SCTP policy (kube-router#1019), no
 * ClusterNetworkPolicy, and its own reading of named ports (observed by the conformance battery).
 */
export const kubeRouter: CniProfile = { name: 'kube-router', ...BASE, sctpSupported: false, clusterNetworkPolicy: 'none', namedPorts: 'kube-router' };

/** The reference semantics: upstream e2e + kube-network-policies (kindnetd), which implements ClusterNetworkPolicy. */
export const upstream: CniProfile = { name: 'upstream', ...BASE, hairpin: 'policy', podToOwnNode: 'allow' };

/** A CNI that does not enforce NetworkPolicy: everything is allowed. */
export const none: CniProfile = { name: 'none', ...BASE, enforces: false, clusterNetworkPolicy: 'none' };

export const PROFILES: Readonly<Record<string, CniProfile>> = {
  calico,
  'kube-router': kubeRouter,
  upstream,
  none,
};

export const DEFAULT_PROFILE = calico;

export function profileByName(name: string): CniProfile | undefined {
  return Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
}
