// The one workload topology every conformance case runs over (after upstream e2e and Cyclonus):
// namespaces x, y, z, pods a, b, c in each, and one container outside the cluster. The labels are
// chosen so every selector form of the battery has something to match and something to miss.
import type { SuiteInput } from '../suite/schema.js';

export const NAMESPACES = ['x', 'y', 'z'] as const;
export const PODS = ['a', 'b', 'c'] as const;
export const EXTERNAL = 'ext';

/** Lane k's name for a namespace of the base topology (conformance/lanes.ts); lane 0 keeps it. */
export const laneNs = (ns: string, lane: number): string => (lane === 0 ? ns : `${ns}-${lane}`);
/** Lane k's value for a namespace label value (kubernetes.io/metadata.name follows the name). */
export const laneValue = (v: string, lane: number): string => (lane === 0 ? v : `${v}-${lane}`);

/** Namespace labels: `ns` on all, `env` on y (prod) and z (dev), none more on x. */
export const NS_LABELS: Record<string, Record<string, string>> = {
  x: { ns: 'x' },
  y: { ns: 'y', env: 'prod' },
  z: { ns: 'z', env: 'dev' },
};

/** Pod labels: `pod` on all, `tier` on a (web) and b (db), none on c. */
export const POD_LABELS: Record<string, Record<string, string>> = {
  a: { pod: 'a', tier: 'web' },
  b: { pod: 'b', tier: 'db' },
  c: { pod: 'c' },
};

/**
 * Ports: TCP 80 and 81, UDP 80 on every pod. The named port `serve` is TCP 80 on a, TCP 81 on b,
 * and absent on c: one name, different numbers on different pods (spec N19, N20).
 */
function portsOf(pod: string): NonNullable<SuiteInput['workloads']>[number]['ports'] {
  return [
    { port: 80, protocol: 'TCP', ...(pod === 'a' ? { name: 'serve' } : {}) },
    { port: 81, protocol: 'TCP', ...(pod === 'b' ? { name: 'serve' } : {}) },
    { port: 80, protocol: 'UDP' },
  ];
}

/** A pod that joins the selected set later (`initially: absent`): labelled like b, tier web. */
export const JOINER = { name: 'n', namespace: 'x', labels: { pod: 'b', tier: 'web' } };

/**
 * The Service-fronted pod of the Service cases (service-cases.ts), lane 0 only: its own label (no
 * other case's selector picks it), probed through its Service.
 */
export const SERVICE_BACKEND = { name: 'svc', namespace: 'y', labels: { pod: 'svc' } };
export const SERVICE_BACKEND_ID = `${SERVICE_BACKEND.namespace}/${SERVICE_BACKEND.name}`;
/** TCP 80 (Service port 80), and TCP 8080 behind Service port 8081 (spec N31: egress ports are the targetPort). */
export const SERVICE_BACKEND_PORTS = [
  { port: 80, protocol: 'TCP' as const },
  { port: 8080, protocol: 'TCP' as const, servicePort: 8081 },
];

export interface TopologyOptions {
  podSubnet: string;
  /** The cluster's Service CIDR (default the suite's, 10.96.0.0/12). */
  serviceSubnet?: string;
  /** Include y/svc with its Service's ClusterIP pinned to this address. */
  serviceIP?: string;
  /** Include the late-joining pod x/n (only suites with a joining case need it). */
  joiner: boolean;
  /** Include the outside container (false for --provider existing, which has no Docker network to start it on). */
  externals?: boolean;
  /** Copies of the namespaces and pods (conformance/lanes.ts); default 1, the plain x, y, z. */
  lanes?: number;
  /** Lanes (other than 0, which `joiner` covers) that get their own late-joining pod. */
  joinerLanes?: number[];
}

/** The suite skeleton (everything but policies and steps). */
export function topology(opts: TopologyOptions): Omit<SuiteInput, 'metadata' | 'policies' | 'steps'> {
  const lanes = Array.from({ length: opts.lanes ?? 1 }, (_, i) => i);
  const joiners = [...new Set([...(opts.joiner ? [0] : []), ...(opts.joinerLanes ?? [])])].sort((a, b) => a - b);
  return {
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    cluster: { provider: 'kind', cni: 'kube-router', podSubnet: opts.podSubnet, ...(opts.serviceSubnet ? { serviceSubnet: opts.serviceSubnet } : {}), nodes: { controlPlanes: 1, workers: 2 } },
    namespaces: lanes.flatMap((l) =>
      NAMESPACES.map((name) => ({ name: laneNs(name, l), labels: Object.fromEntries(Object.entries(NS_LABELS[name]!).map(([k, v]) => [k, laneValue(v, l)])) })),
    ),
    workloads: [
      ...lanes.flatMap((l) => NAMESPACES.flatMap((ns) => PODS.map((pod) => ({ name: pod, namespace: laneNs(ns, l), labels: POD_LABELS[pod]!, ports: portsOf(pod) })))),
      ...joiners.map((l) => ({ ...JOINER, namespace: laneNs(JOINER.namespace, l), ports: portsOf('b'), initially: 'absent' as const })),
      // Addressed through its Service while the rest of the battery probes pod IPs.
      ...(opts.serviceIP ? [{ ...SERVICE_BACKEND, ports: SERVICE_BACKEND_PORTS, clusterIP: opts.serviceIP, via: 'service' as const }] : []),
    ],
    externals: opts.externals === false ? [] : [{ name: EXTERNAL, ports: [{ port: 80, protocol: 'TCP' }] }],
    // Pod IPs: ipBlock cases are about pod addresses, and no DNS column (no case is about DNS).
    probe: { via: 'pod', timeoutMs: 1000, settleMs: 10_000, dnsNames: [] },
  };
}
