// The engine's input: a plain description of a cluster (namespaces, pods, external addresses,
// nodes, Services) and the NetworkPolicies applied to it. Suites are converted to this
// (suite-model.ts); tests and the benchmark build it directly.
import type { SourcedClusterPolicy } from './cnp/types.js';
import type { SourcedPolicy } from './types.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
/** ICMP is accepted in queries only to be answered "undefined" (NetworkPolicy does not cover it). */
export type QueryProtocol = Protocol | 'ICMP';

export interface NamespaceModel {
  name: string;
  /** `kubernetes.io/metadata.name` is added by the engine when missing, as the control plane does. */
  labels: Record<string, string>;
}

export interface ContainerPort {
  name?: string;
  port: number;
  protocol: Protocol;
}

export interface PodModel {
  /** Unique id, conventionally `<namespace>/<name>`. */
  id: string;
  namespace: string;
  labels: Record<string, string>;
  /** Unknown offline; see docs/engine.md "pod IPs offline". */
  ip?: string;
  /** Node name; only needed for node traffic (same-node ingress, pod to its own node). */
  node?: string;
  hostNetwork?: boolean;
  ports: ContainerPort[];
}

export interface ExternalModel {
  id: string;
  ip: string;
}

export interface NodeModel {
  name: string;
  ip: string;
  /** spec.podCIDR: its first address is the node's bridge or tunnel address in the pod network (policy/nat.ts). */
  podCIDR?: string;
}

export interface ServicePortModel {
  port: number;
  /** Number or the name of a container port on each backend (resolved per backend). */
  targetPort: number | string;
  protocol: Protocol;
}

export interface ServiceModel {
  /** Conventionally `<namespace>/<name>`. */
  id: string;
  namespace: string;
  clusterIP?: string;
  selector: Record<string, string>;
  ports: ServicePortModel[];
}

export interface ClusterModel {
  namespaces: NamespaceModel[];
  pods: PodModel[];
  externals: ExternalModel[];
  nodes?: NodeModel[];
  services?: ServiceModel[];
  policies: SourcedPolicy[];
  /** ClusterNetworkPolicies (Admin and Baseline tiers), cluster-scoped. */
  clusterPolicies?: SourcedClusterPolicy[];
  /** Where pods without a known IP live (the cluster's pod CIDR). */
  podSubnet?: string;
}

/**
 * What a query talks about. Strings are accepted too: `ns/name` (pod), `node:<name>`,
 * `external:<id>`, `svc:<ns>/<name>`, or a bare IP address.
 */
export type EndpointRef =
  | { pod: string }
  | { node: string }
  | { external: string }
  | { service: string }
  | { ip: string }
  | string;

export interface Query {
  from: EndpointRef;
  to: EndpointRef;
  /** Destination port (the Service port when `to` is a Service; judged on the backend's target port). */
  port?: number;
  protocol: QueryProtocol;
  /**
   * `new` (default): a new connection from `from` to `to`.
   * `reply`: the reply packets of that connection (travel to → from).
   * `existing`: a connection opened before the last policy change.
   */
  connection?: 'new' | 'reply' | 'existing';
}

/**
 * `unknown`: NetworkPolicy leaves it undefined (ICMP, existing connections) or the CNI profile cannot
 * enforce it (SCTP on a plugin without SCTP). `mixed`: a Service whose backends disagree.
 */
export type EngineVerdict = 'allow' | 'deny' | 'unknown' | 'mixed';
