// The battery: each case is policy documents, steps and the expectation the API spec states for
// every cell (spec N-ids in `spec`), written by hand from ../shared/spec/netpol-semantics.md and
// never derived from the engine: the engine's simulation is checked against it like the CNI is.
// Expectations start from "everything allowed"; rules are applied in order, a later one wins.
import { CNP_API_VERSION, CNP_KIND, type ClusterNetworkPolicy } from '../policy/cnp/types.js';
import type { NetworkPolicy, NetworkPolicySpec } from '../policy/types.js';
import { formatCidr, isCidr, parseCidr } from '../suite/cidr.js';
import type { LabelChange } from '../suite/schema.js';
import type { Feature } from './features.js';
import { allow, deny, isolatedIn, isolatedOut, np, pod } from './case-dsl.js';
import { serviceCases } from './service-cases.js';
import { EXTERNAL } from './topology.js';

/** What a step changes, for time-to-enforce per kind of change. */
export type ChangeKind = 'policy-create' | 'policy-update' | 'policy-delete' | 'pod-label' | 'ns-label' | 'pod-recreate' | 'pod-join' | 'pod-leave';

// An expectation rule: a suite traffic pattern, plus `*/<pod>` for that pod in every namespace.
// Write peers that match everywhere with `*` (not by listing x, y, z): the battery replicates the
// namespaces into lanes (lanes.ts), and the union check reads `*` as every lane.
export type Rule = readonly ['allow' | 'deny', string];

export interface CaseStep {
  change: ChangeKind;
  /** Local set names (keys of `sets`) to apply / remove in this step. */
  apply?: string[];
  remove?: string[];
  labels?: LabelChange[];
  create?: string[];
  delete?: string[];
  recreate?: string[];
  /** Expectation over the whole matrix: default allow, then these rules in order. */
  expect: Rule[];
}

/**
 * A cell whose answer the spec leaves to the implementation (e.g. whether a Service's DNAT happens
 * before or after policy, spec §1.5 "Service VIPs"). The case's `expect` rules still give it the
 * `typical` verdict (what practically every implementation answers, and the engine simulates); the
 * verdict reports what was observed and what it means, and never calls it a deviation.
 */
export interface ImplementationDefined {
  /** The cell, lane-0 names: source `ns/pod`, column `ns/pod:port/PROTO`. */
  src: string;
  col: string;
  typical: 'allow' | 'deny';
  /** What an observed allow or deny says about the implementation. */
  readings: { allow: string; deny: string };
  note: string;
  /** Evidence: where implementations answered each way. */
  refs: string[];
}

export interface ConformanceCase {
  id: string;
  title: string;
  /** Spec catalogue entries the expectation comes from. */
  spec: string[];
  features: Feature[];
  /** Which side the case's denials are enforced on (for the deny style per direction). */
  direction: 'ingress' | 'egress' | 'both';
  /** Policy sets by local name; the first step applies `main` unless it says otherwise. */
  sets: Record<string, NetworkPolicy[]>;
  steps: CaseStep[];
  /** Needs the late-joining pod x/n in the topology. */
  joiner?: boolean;
  /**
   * ClusterNetworkPolicies (Admin / Baseline tier) by the same local set names as `sets`: applied and
   * removed with them. Expectations come from ../shared/spec/admin-and-calico-policies.md (A-ids in `spec`).
   */
  clusterSets?: Record<string, ClusterNetworkPolicy[]>;
  /** Cells the spec leaves to the implementation (reported as observed, never as deviating). */
  implementationDefined?: ImplementationDefined[];
  /**
   * Needs the Service-fronted workload y/svc (topology.ts SERVICE_BACKEND), probed through its
   * Service, whose ClusterIP is pinned to `clusterIP`; such a case runs in lane 0.
   */
  throughService?: { clusterIP: string };
  /**
   * Its ipBlocks are written against the pods' addresses (CaseContext.podSubnet): rewritten before
   * it applies, from the IPs the run observes (addresses.ts), never from an assumed layout.
   */
  podAddressed?: true;
}

export interface CaseContext {
  /**
   * A block holding every pod IP and no outside address (ipBlock cases are written against it): the
   * cluster's pod CIDR until the pods exist, then the block covering their observed IPs (addresses.ts).
   */
  podSubnet: string;
  /** The ClusterIP pinned on y/svc's Service (the ipBlock-against-a-Service cases); none: those cases are left out. */
  serviceIP?: string;
}

/** The block one bit wider (192.168.0.0/16 -> 192.168.0.0/15): an ipBlock whose except is the pods' block. */
function widened(cidr: string): string {
  const c = parseCidr(cidr);
  if (!isCidr(c) || c.prefix === 0) throw new Error(`pod block ${cidr}: a CIDR with a prefix is needed`);
  const prefix = c.prefix - 1;
  const bits = BigInt((c.family === 4 ? 32 : 128) - prefix);
  const network = (c.network >> bits) << bits;
  return formatCidr({ ...c, prefix, network, addr: network });
}

const cnp = (name: string, tier: ClusterNetworkPolicy['spec']['tier'], priority: number, subjectNs: string, ingress: NonNullable<ClusterNetworkPolicy['spec']['ingress']>): ClusterNetworkPolicy => ({
  apiVersion: CNP_API_VERSION,
  kind: CNP_KIND,
  metadata: { name },
  spec: { tier, priority, subject: { namespaces: { matchLabels: { ns: subjectNs } } }, ingress },
});
const fromNs = (ns: string) => [{ namespaces: { matchLabels: { ns } } }];

const addressed = (c: ConformanceCase): ConformanceCase => ({ ...c, podAddressed: true });

/** A single-step case: apply `main`, expect `rules`. */
function simple(id: string, title: string, spec: string[], features: Feature[], direction: ConformanceCase['direction'], policies: NetworkPolicy[], rules: Rule[]): ConformanceCase {
  return { id, title, spec, features, direction, sets: { main: policies }, steps: [{ change: 'policy-create', apply: ['main'], expect: rules }] };
}

export function battery(ctx: CaseContext): ConformanceCase[] {
  const podNet = ctx.podSubnet;
  const ingressFromA = (name: string, from: NonNullable<NetworkPolicySpec['ingress']>[number]['from']) => [np(name, 'x', { podSelector: pod('a'), ingress: [{ from }] })];
  return [
    simple('iso-ingress', 'podSelector {} with no rules and no policyTypes denies all ingress', ['N02'], ['isolation-ingress', 'isolation-implied', 'peers-empty'], 'ingress',
      [np('deny-ingress', 'x', { podSelector: {} })], isolatedIn('x/*')),
    simple('iso-egress', 'policyTypes [Egress] with no rules denies all egress of x/a', ['N06'], ['isolation-egress'], 'egress',
      [np('deny-egress', 'x', { podSelector: pod('a'), policyTypes: ['Egress'] })], isolatedOut('x/a')),
    simple('iso-both', 'policyTypes [Ingress, Egress] with no rules isolates both ways', ['N06'], ['isolation-both'], 'both',
      [np('deny-all', 'x', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })], [...isolatedIn('x/*'), ...isolatedOut('x/*')]),
    simple('iso-implied', 'egress rules without policyTypes imply [Ingress, Egress]', ['N03'], ['isolation-implied', 'port-number', 'protocol-udp'], 'both',
      [np('egress-dns-only', 'x', { podSelector: pod('a'), egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] })], [...isolatedIn('x/a'), ...isolatedOut('x/a')]),
    simple('iso-types-win', 'policyTypes [Egress] ignores ingress rules; egress [{}] allows all', ['N04'], ['isolation-egress', 'peers-empty'], 'egress',
      [np('egress-typed', 'x', { podSelector: pod('a'), policyTypes: ['Egress'], ingress: [{ from: [{ podSelector: pod('b') }] }], egress: [{}] })], []),
    simple('empty-rule', 'ingress [{}] allows everything to the namespace', ['N05'], ['peers-empty'], 'ingress',
      [np('allow-all', 'x', { podSelector: {}, ingress: [{}] })], []),
    simple('peer-pod-empty', 'peer podSelector {} means every pod of the policy namespace', ['N11'], ['peer-pod', 'peers-empty'], 'ingress',
      ingressFromA('from-own-ns', [{ podSelector: {} }]), [...isolatedIn('x/a'), allow('x/* -> x/a')]),
    simple('peer-ns-empty', 'peer namespaceSelector {} means every pod of every namespace (ports still apply)', ['N12', 'N14'], ['peer-namespace', 'peers-empty', 'port-number'], 'ingress',
      [np('from-all-ns', 'x', { podSelector: pod('a'), ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 80 }] }] })], [...isolatedIn('x/a'), allow('* -> x/a:80/TCP')]),
    simple('peer-ns-not-external', 'egress to namespaceSelector {} never matches addresses outside the cluster', ['N13'], ['peer-namespace'], 'egress',
      [np('to-all-ns', 'x', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }] }] })], [deny(`x/a -> external:${EXTERNAL}`)]),
    simple('peer-and', 'namespaceSelector and podSelector in one peer: both must match', ['N09'], ['peer-both-in-one', 'match-labels'], 'ingress',
      ingressFromA('from-y-a', [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: pod('a') }]), [...isolatedIn('x/a'), allow('y/a -> x/a')]),
    simple('peer-or', 'namespaceSelector and podSelector as separate peers: either matches', ['N10'], ['peer-separate', 'match-labels'], 'ingress',
      ingressFromA('from-y-or-b', [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: pod('b') }]), [...isolatedIn('x/a'), allow('y/* -> x/a'), allow('x/b -> x/a')]),
    simple('peer-pod-own-ns', 'a podSelector peer selects in the policy namespace only', ['N43'], ['peer-pod', 'match-labels'], 'ingress',
      ingressFromA('from-b', [{ podSelector: pod('b') }]), [...isolatedIn('x/a'), allow('x/b -> x/a')]),
    simple('expr-in', 'matchExpressions In', ['N09'], ['match-in', 'peer-namespace'], 'ingress',
      ingressFromA('from-env-in', [{ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] } }]),
      [...isolatedIn('x/a'), allow('y/* -> x/a'), allow('z/* -> x/a')]),
    simple('expr-notin', 'matchExpressions NotIn matches pods without the key', ['N41'], ['match-notin', 'peer-pod'], 'ingress',
      ingressFromA('from-tier-notin', [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] } }]),
      [...isolatedIn('x/a'), allow('x/b -> x/a'), allow('x/c -> x/a')]),
    simple('expr-exists', 'matchExpressions Exists', ['N41'], ['match-exists', 'peer-pod'], 'ingress',
      ingressFromA('from-tier-exists', [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } }]), [...isolatedIn('x/a'), allow('x/b -> x/a')]),
    simple('expr-doesnotexist', 'matchExpressions DoesNotExist', ['N41'], ['match-doesnotexist', 'peer-pod'], 'ingress',
      ingressFromA('from-tier-absent', [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } }]), [...isolatedIn('x/a'), allow('x/c -> x/a')]),
    simple('ns-by-name', 'namespaceSelector on kubernetes.io/metadata.name (set by the API server)', ['N40'], ['ns-metadata-name', 'peer-namespace'], 'ingress',
      ingressFromA('from-ns-y', [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }]), [...isolatedIn('x/a'), allow('y/* -> x/a')]),
    simple('port-number', 'port 80 without protocol is TCP 80 only', ['N14'], ['port-number', 'protocol-tcp'], 'ingress',
      [np('port-80', 'x', { podSelector: pod('a'), ingress: [{ ports: [{ port: 80 }] }] })], [...isolatedIn('x/a'), allow('* -> x/a:80/TCP')]),
    simple('protocol-udp', 'protocol UDP without port is every UDP port', ['N15', 'N24'], ['protocol-udp'], 'ingress',
      [np('udp-only', 'x', { podSelector: pod('a'), ingress: [{ ports: [{ protocol: 'UDP' }] }] })], [...isolatedIn('x/a'), allow('* -> x/a:80/UDP')]),
    simple('named-port-ingress', 'ingress port by name resolves on each destination pod', ['N19', 'N20'], ['port-named', 'port-named-multi'], 'ingress',
      [np('serve-in', 'x', { podSelector: {}, ingress: [{ ports: [{ port: 'serve' }] }] })], [...isolatedIn('x/*'), allow('* -> x/a:80/TCP'), allow('* -> x/b:81/TCP')]),
    simple('named-port-egress', 'egress port by name: the number differs per destination; no name, no match', ['N20'], ['port-named', 'port-named-multi'], 'egress',
      [np('serve-out', 'x', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ ports: [{ port: 'serve' }] }] })],
      [...isolatedOut('x/a'), allow('x/a -> */a:80/TCP'), allow('x/a -> */b:81/TCP')]),
    simple('port-range', 'port 79 with endPort 80 admits 80, not 81', ['N17'], ['port-range'], 'ingress',
      [np('range-79-80', 'x', { podSelector: pod('a'), ingress: [{ ports: [{ port: 79, endPort: 80 }] }] })], [...isolatedIn('x/a'), allow('* -> x/a:80/TCP')]),
    simple('sctp-isolates', 'a policy allowing only SCTP still isolates: TCP and UDP are denied', ['N22', 'N23'], ['protocol-sctp'], 'ingress',
      [np('sctp-only', 'x', { podSelector: pod('a'), ingress: [{ ports: [{ port: 80, protocol: 'SCTP' }] }] })], isolatedIn('x/a')),
    addressed(simple('ipblock-pods', 'egress ipBlock of the pods\' block matches pod IPs and nothing outside it', ['N27', 'N28'], ['ipblock'], 'egress',
      [np('to-pod-net', 'x', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: podNet } }] }] })], [deny(`x/a -> external:${EXTERNAL}`)])),
    // The except is the block of every pod IP, inside a CIDR one bit wider: whatever the IPAM's layout.
    addressed(simple('ipblock-except-pods', 'ingress ipBlock whose except covers every pod IP admits no pod', ['N25'], ['ipblock', 'ipblock-except'], 'ingress',
      ingressFromA('from-pod-net-except', [{ ipBlock: { cidr: widened(podNet), except: [podNet] } }]), isolatedIn('x/a'))),
    addressed(simple('ipblock-external', 'egress ipBlock 0.0.0.0/0 except the pods\' block reaches the outside container only', ['N25', 'N28'], ['ipblock-external', 'ipblock-except'], 'egress',
      [np('to-outside', 'x', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [podNet] } }] }] })],
      [...isolatedOut('x/a'), allow(`x/a -> external:${EXTERNAL}`)])),
    simple('union', 'two policies on one pod: their rules add up, per rule and not per port', ['N07'], ['union', 'port-number'], 'ingress',
      [
        np('union-b-80', 'x', { podSelector: pod('a'), ingress: [{ from: [{ podSelector: pod('b') }], ports: [{ port: 80 }] }] }),
        np('union-y-81', 'x', { podSelector: pod('a'), ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 81 }] }] }),
      ],
      [...isolatedIn('x/a'), allow('x/b -> x/a:80/TCP'), allow('y/* -> x/a:81/TCP')]),
    simple('both-ends', 'egress of the source and ingress of the destination must both allow', ['N08'], ['other-namespace', 'union'], 'both',
      [
        np('out-to-y-a', 'x', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: pod('a') }] }] }),
        np('in-from-x-a', 'y', { podSelector: pod('b'), ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: pod('a') }] }] }),
      ],
      [...isolatedOut('x/a'), allow('x/a -> y/a'), ...isolatedIn('y/b')]),
    simple('other-namespace', 'a policy in y selects pods of y only, not same-labelled pods elsewhere', ['N43'], ['other-namespace'], 'ingress',
      [np('deny-y-a', 'y', { podSelector: pod('a'), policyTypes: ['Ingress'] })], isolatedIn('y/a')),
    {
      id: 'pod-label', title: 'a pod gaining and losing the label a peer selects', spec: ['N42'], features: ['dynamic-pod-label', 'peer-pod'], direction: 'ingress',
      sets: { main: ingressFromA('from-clients', [{ podSelector: { matchLabels: { role: 'client' } } }]) },
      steps: [
        { change: 'policy-create', apply: ['main'], expect: isolatedIn('x/a') },
        { change: 'pod-label', labels: [{ target: 'x/b', set: { role: 'client' }, remove: [] }], expect: [...isolatedIn('x/a'), allow('x/b -> x/a')] },
        { change: 'pod-label', labels: [{ target: 'x/b', set: {}, remove: ['role'] }], expect: isolatedIn('x/a') },
      ],
    },
    {
      id: 'ns-label', title: 'a namespace gaining and losing the label a peer selects', spec: ['N42'], features: ['dynamic-ns-label', 'peer-namespace'], direction: 'ingress',
      sets: { main: ingressFromA('from-allowed-ns', [{ namespaceSelector: { matchLabels: { allowed: 'yes' } } }]) },
      steps: [
        { change: 'policy-create', apply: ['main'], expect: isolatedIn('x/a') },
        { change: 'ns-label', labels: [{ target: 'namespace/z', set: { allowed: 'yes' }, remove: [] }], expect: [...isolatedIn('x/a'), allow('z/* -> x/a')] },
        { change: 'ns-label', labels: [{ target: 'namespace/z', set: {}, remove: ['allowed'] }], expect: isolatedIn('x/a') },
      ],
    },
    {
      id: 'update', title: 'a policy updated in place (same object, new spec)', spec: ['N42'], features: ['dynamic-update', 'peer-pod'], direction: 'ingress',
      sets: { main: ingressFromA('updated', [{ podSelector: pod('b') }]), v2: ingressFromA('updated', [{ podSelector: pod('c') }]) },
      steps: [
        { change: 'policy-create', apply: ['main'], expect: [...isolatedIn('x/a'), allow('x/b -> x/a')] },
        { change: 'policy-update', apply: ['v2'], expect: [...isolatedIn('x/a'), allow('x/c -> x/a')] },
      ],
    },
    {
      id: 'delete', title: 'deleting the only policy restores default allow', spec: ['N01', 'N02'], features: ['dynamic-delete', 'isolation-ingress'], direction: 'ingress',
      sets: { main: [np('deny-then-gone', 'x', { podSelector: {}, policyTypes: ['Ingress'] })] },
      steps: [
        { change: 'policy-create', apply: ['main'], expect: isolatedIn('x/*') },
        { change: 'policy-delete', remove: ['main'], expect: [] },
      ],
    },
    {
      id: 'recreate', title: 'pods recreated with new IPs keep their policy verdicts', spec: ['N42'], features: ['dynamic-recreate', 'peer-pod'], direction: 'ingress',
      sets: { main: ingressFromA('from-b-kept', [{ podSelector: pod('b') }]) },
      steps: [
        { change: 'policy-create', apply: ['main'], expect: [...isolatedIn('x/a'), allow('x/b -> x/a')] },
        { change: 'pod-recreate', recreate: ['x/a', 'x/b'], expect: [...isolatedIn('x/a'), allow('x/b -> x/a')] },
      ],
    },
    {
      id: 'join', title: 'a new pod joins both the selected set and the allowed peers', spec: ['N42'], features: ['dynamic-join', 'peer-pod', 'match-labels'], direction: 'ingress', joiner: true,
      sets: { main: [np('web-from-b', 'x', { podSelector: { matchLabels: { tier: 'web' } }, ingress: [{ from: [{ podSelector: pod('b') }] }] })] },
      steps: [
        { change: 'policy-create', apply: ['main'], expect: [...isolatedIn('x/a'), allow('x/b -> x/a')] },
        { change: 'pod-join', create: ['x/n'], expect: [...isolatedIn('x/a'), ...isolatedIn('x/n'), allow('x/b -> x/a'), allow('x/b -> x/n'), allow('x/n -> x/a')] },
        { change: 'pod-leave', delete: ['x/n'], expect: [...isolatedIn('x/a'), allow('x/b -> x/a')] },
      ],
    },
    ...(ctx.serviceIP !== undefined ? serviceCases(ctx.serviceIP, podNet) : []),
    ...tierCases(),
  ];
}

/**
 * ClusterNetworkPolicy tiers (spec §2.1, §2.2: Admin -> NetworkPolicy -> Baseline -> default allow).
 * On a CNI without the CRD or without tier enforcement the run reports their steps not testable,
 * with the tier canary's reason (harness/run/tiers.ts).
 */
function tierCases(): ConformanceCase[] {
  const tier = (id: string, title: string, spec: string[], features: Feature[], policies: NetworkPolicy[], cluster: ClusterNetworkPolicy[], rules: Rule[]): ConformanceCase => ({
    ...simple(id, title, spec, features, 'ingress', policies, rules),
    clusterSets: { main: cluster },
  });
  return [
    tier('tier-admin-deny', 'an Admin-tier Deny overrides a NetworkPolicy that allows everything', ['A01'], ['tier-admin-deny'],
      [np('allow-all-in', 'x', { podSelector: {}, ingress: [{}] })],
      [cnp('admin-deny-y-to-x', 'Admin', 10, 'x', [{ name: 'deny-from-y', action: 'Deny', from: fromNs('y') }])],
      [deny('y/* -> x/*')]),
    tier('tier-admin-pass', 'an Admin-tier Pass hands the decision to the NetworkPolicies (and to default allow where none selects the pod)', ['A03', 'A04'], ['tier-admin-pass'],
      [np('y-a-only', 'x', { podSelector: pod('a'), ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: pod('a') }] }] })],
      [cnp('admin-pass-y', 'Admin', 10, 'x', [{ name: 'pass-y', action: 'Pass', from: fromNs('y') }, { name: 'deny-rest', action: 'Deny', from: [{ namespaces: {} }] }])],
      [deny('* -> x/*'), allow('y/* -> x/*'), deny('y/* -> x/a'), allow('y/a -> x/a')]),
    tier('tier-baseline-deny', 'a Baseline-tier Deny applies where no NetworkPolicy selects the pod, and a NetworkPolicy replaces it', ['A05'], ['tier-baseline-deny'],
      [np('a-open', 'x', { podSelector: pod('a'), ingress: [{}] })],
      [cnp('baseline-deny-z-to-x', 'Baseline', 10, 'x', [{ name: 'deny-from-z', action: 'Deny', from: fromNs('z') }])],
      [deny('z/* -> x/*'), allow('z/* -> x/a')]),
  ];
}
