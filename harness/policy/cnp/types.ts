// Plain-data ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) types, as they appear in YAML.
// Field names follow the CRD that Calico v3.32 installs (standard channel); `nodes` and
// `domainNames` exist only in the experimental channel and are typed so they can be reported.
import type { LabelSelector } from '../types.js';

export const CNP_API_VERSION = 'policy.networking.k8s.io/v1alpha2';
export const CNP_KIND = 'ClusterNetworkPolicy';

export type CnpTier = 'Admin' | 'Baseline';
export type CnpAction = 'Accept' | 'Deny' | 'Pass';

export interface CnpPort {
  number?: number;
  range?: { start: number; end: number };
}

export interface CnpProtocol {
  tcp?: { destinationPort?: CnpPort };
  udp?: { destinationPort?: CnpPort };
  sctp?: { destinationPort?: CnpPort };
  destinationNamedPort?: string;
}

export interface CnpPodsSelector {
  namespaceSelector?: LabelSelector;
  podSelector: LabelSelector;
}

export interface CnpPeer {
  namespaces?: LabelSelector;
  pods?: CnpPodsSelector;
  /** Egress only. */
  networks?: string[];
  /** Experimental channel only. */
  nodes?: LabelSelector;
  /** Experimental channel only (egress, Accept). */
  domainNames?: string[];
}

export interface CnpRule {
  name?: string;
  action: CnpAction;
  from?: CnpPeer[];
  to?: CnpPeer[];
  protocols?: CnpProtocol[];
}

export interface CnpSubject {
  namespaces?: LabelSelector;
  pods?: CnpPodsSelector;
}

export interface ClusterNetworkPolicy {
  apiVersion: typeof CNP_API_VERSION;
  kind: typeof CNP_KIND;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    tier: CnpTier;
    priority: number;
    subject: CnpSubject;
    ingress?: CnpRule[];
    egress?: CnpRule[];
  };
}

/** A ClusterNetworkPolicy loaded from a suite's policy file, with where it came from. */
export interface SourcedClusterPolicy {
  policy: ClusterNetworkPolicy;
  setId: string;
  file: string;
  docIndex: number;
  lineOf?: (path: string) => number | undefined;
  keyLineOf?: (path: string) => number | undefined;
}

/** How runs, journals and reports name a cluster policy: `ClusterNetworkPolicy/<name>`. */
export const cnpRef = (name: string): string => `${CNP_KIND}/${name}`;
