// Plain-data NetworkPolicy (networking.k8s.io/v1) types, as they appear in YAML.
// Kept independent of any client library so the engine stays a pure core.

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface IPBlock {
  cidr: string;
  except?: string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector | null;
  namespaceSelector?: LabelSelector | null;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  from?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicySpec {
  podSelector?: LabelSelector | null;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: NetworkPolicyIngressRule[];
  egress?: NetworkPolicyEgressRule[];
}

export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: NetworkPolicySpec;
}

/** A policy loaded from a suite's policy file, with where it came from. */
export interface SourcedPolicy {
  policy: NetworkPolicy;
  /** The suite's policy id (the set it belongs to). */
  setId: string;
  file: string;
  /** Index of the YAML document in the file. */
  docIndex: number;
  /** YAML line of a field path inside this document (e.g. `spec.ingress[0]`), when known. */
  lineOf?: (path: string) => number | undefined;
  /** Like lineOf, but the line of the key itself for a path ending in a field name (where a typo is). */
  keyLineOf?: (path: string) => number | undefined;
}
