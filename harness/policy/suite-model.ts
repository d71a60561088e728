// A suite step as a ClusterModel: namespaces and pods with the labels they carry after the step,
// the policies applied so far, externals at fixed or documentation addresses, and CoreDNS.
import type { LoadedSuite } from '../suite/load.js';
import { stateAtStep } from '../suite/state.js';
import { parseCidr, parseIp, rangeContains } from './ipblock.js';
import type { ClusterModel, NodeModel, PodModel } from './model.js';
import { METADATA_NAME } from './world.js';

export const DNS_NAMESPACE = 'kube-system';
export const DNS_LABEL = { key: 'k8s-app', value: 'kube-dns' } as const;
/** The pod that stands for CoreDNS when a suite declares none (kind's CoreDNS: k8s-app=kube-dns, 53/UDP+TCP). */
export const IMPLICIT_COREDNS_ID = `${DNS_NAMESPACE}/coredns`;

export interface SuiteModelOptions {
  /** Endpoint id -> IP, known at run time (pods, externals). Offline, pod IPs are unknown. */
  addresses?: ReadonlyMap<string, string>;
  /** Run time: the cluster's nodes (address, pod CIDR), by name. Offline there are none. */
  nodes?: readonly NodeModel[];
  /** Run time: endpoint id -> the node its (first) pod runs on. Offline, suites' logical `worker-<n>`. */
  podNodes?: ReadonlyMap<string, string>;
  /** The node external sources enter through (Service CIDR route, NodePort address); default gatewayNode(). */
  gateway?: string;
}

/** Offline, the node external sources enter through: the control plane, where workloads do not run when there are workers. */
export function gatewayNode(suite: LoadedSuite['suite']): string {
  return suite.cluster.nodes.workers === 0 ? 'worker-0' : 'control-plane';
}

export interface SuiteModel {
  model: ClusterModel;
  /** Pod ids that answer DNS (the suite's kube-system workloads labelled k8s-app=kube-dns, or the implicit one). */
  dnsPods: string[];
  /** True when CoreDNS was not declared and an implicit pod was added. */
  implicitDns: boolean;
}

/** Documentation addresses (RFC 5737) for externals without a fixed ip, skipping any inside the cluster's subnets. */
function documentationAddresses(avoid: string[]): () => string {
  const ranges = avoid.map(parseCidr).filter((r) => r !== undefined);
  const pools = ['203.0.113', '198.51.100', '192.0.2'];
  let pool = 0;
  let host = 10;
  return () => {
    for (;;) {
      if (host > 250) {
        pool = (pool + 1) % pools.length;
        host = 10;
      }
      const ip = `${pools[pool]}.${host++}`;
      if (!ranges.some((r) => rangeContains(r, parseIp(ip)!))) return ip;
    }
  };
}

export function suiteModel(loaded: LoadedSuite, stepIndex: number, opts: SuiteModelOptions = {}): SuiteModel {
  const { suite } = loaded;
  const state = stateAtStep(loaded, stepIndex);
  const addr = opts.addresses ?? new Map<string, string>();
  const workers = Math.max(1, suite.cluster.nodes.workers);
  const pods: PodModel[] = [];
  suite.workloads.forEach((w, i) => {
    const id = `${w.namespace}/${w.name}`;
    // Workloads and probes absent at this step (presence.ts) are not in the cluster.
    if (!state.present.endpoints.has(id)) return;
    const ip = addr.get(id);
    pods.push({
      id,
      namespace: w.namespace,
      labels: state.podLabels.get(id) ?? w.labels,
      ports: w.ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: p.protocol })),
      node: opts.podNodes?.get(id) ?? `worker-${w.node ?? i % workers}`,
      ...(ip !== undefined ? { ip } : {}),
    });
  });
  suite.probes.forEach((p, i) => {
    const id = `${p.namespace}/${p.name}`;
    if (!state.present.endpoints.has(id)) return;
    const ip = addr.get(id);
    pods.push({ id, namespace: p.namespace, labels: state.podLabels.get(id) ?? p.labels, ports: [], node: opts.podNodes?.get(id) ?? `worker-${p.node ?? i % workers}`, ...(ip !== undefined ? { ip } : {}) });
  });
  let dnsPods = pods.filter((p) => p.namespace === DNS_NAMESPACE && p.labels[DNS_LABEL.key] === DNS_LABEL.value).map((p) => p.id);
  const implicitDns = dnsPods.length === 0;
  if (implicitDns) {
    const ip = addr.get(IMPLICIT_COREDNS_ID);
    pods.push({
      id: IMPLICIT_COREDNS_ID,
      namespace: DNS_NAMESPACE,
      labels: { [DNS_LABEL.key]: DNS_LABEL.value },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ],
      node: 'control-plane',
      ...(ip !== undefined ? { ip } : {}),
    });
    dnsPods = [IMPLICIT_COREDNS_ID];
  }
  const namespaces = [...state.namespaceLabels].map(([name, labels]) => ({ name, labels }));
  if (!state.namespaceLabels.has(DNS_NAMESPACE)) namespaces.push({ name: DNS_NAMESPACE, labels: { [METADATA_NAME]: DNS_NAMESPACE } });
  const nextDocIp = documentationAddresses([suite.cluster.podSubnet, suite.cluster.serviceSubnet]);
  const externals = suite.externals.map((e) => {
    const id = `external:${e.name}`;
    return { id, ip: addr.get(id) ?? e.ip ?? nextDocIp() };
  });
  return {
    model: { namespaces, pods, externals, ...(opts.nodes && opts.nodes.length > 0 ? { nodes: [...opts.nodes] } : {}), policies: state.policies, ...(state.clusterPolicies.length > 0 ? { clusterPolicies: state.clusterPolicies } : {}), podSubnet: suite.cluster.podSubnet },
    dnsPods,
    implicitDns,
  };
}
