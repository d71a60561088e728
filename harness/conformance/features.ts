// The NetworkPolicy features the battery tags its cases with (`--focus <feature>`), in table order.
export const FEATURES = {
  'isolation-ingress': 'policyTypes Ingress isolates ingress',
  'isolation-egress': 'policyTypes Egress isolates egress',
  'isolation-both': 'policyTypes Ingress+Egress',
  'isolation-implied': 'policyTypes implied from the rules',
  'peers-empty': 'empty rule / empty selector peers',
  'peer-pod': 'podSelector peer (policy namespace only)',
  'peer-namespace': 'namespaceSelector peer',
  'peer-both-in-one': 'namespaceSelector AND podSelector in one peer',
  'peer-separate': 'namespaceSelector OR podSelector as separate peers',
  'match-labels': 'matchLabels',
  'match-in': 'matchExpressions In',
  'match-notin': 'matchExpressions NotIn',
  'match-exists': 'matchExpressions Exists',
  'match-doesnotexist': 'matchExpressions DoesNotExist',
  'ns-metadata-name': 'kubernetes.io/metadata.name label',
  'port-number': 'port by number',
  'port-named': 'port by name',
  'port-named-multi': 'one port name, different numbers on different pods',
  'port-range': 'port ranges (endPort)',
  'protocol-tcp': 'protocol TCP',
  'protocol-udp': 'protocol UDP',
  'protocol-sctp': 'protocol SCTP',
  ipblock: 'ipBlock against pod IPs',
  'ipblock-except': 'ipBlock except',
  'ipblock-external': 'ipBlock against a container outside the cluster',
  'ipblock-service': 'ipBlock against a Service ClusterIP (implementation-defined: pre- or post-DNAT)',
  'service-target-port': "egress ports through a Service: the backend's targetPort, not the Service port",
  union: 'union of several policies',
  'other-namespace': 'policies in other namespaces',
  'dynamic-pod-label': 'pod label change',
  'dynamic-ns-label': 'namespace label change',
  'dynamic-update': 'policy updated in place',
  'dynamic-delete': 'policy deleted',
  'dynamic-recreate': 'pod recreated with a new IP',
  'dynamic-join': 'new pod joining a selected set',
  'tier-admin-deny': 'ClusterNetworkPolicy Admin Deny over a NetworkPolicy allow',
  'tier-admin-pass': 'ClusterNetworkPolicy Admin Pass delegating to NetworkPolicy',
  'tier-baseline-deny': 'ClusterNetworkPolicy Baseline Deny where no NetworkPolicy selects',
} as const;

export type Feature = keyof typeof FEATURES;

export const FEATURE_NAMES = Object.keys(FEATURES) as Feature[];

export function isFeature(s: string): s is Feature {
  return Object.hasOwn(FEATURES, s);
}
