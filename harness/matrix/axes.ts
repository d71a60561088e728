// The rows and columns of a reachability matrix, derived from a suite.
// Rows are sources (deployed workloads, probe pods, externals with source: true); columns are destination ports
// (workload and external ports, one per port and protocol) plus DNS resolution checks.
import type { ExternalVia, PortSpec, Protocol, Suite } from '../suite/schema.js';

export type EndpointKind = 'workload' | 'probe' | 'external';

export interface Endpoint {
  /** `<namespace>/<name>` in the cluster, `external:<name>` outside it. */
  id: string;
  kind: EndpointKind;
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  ports: PortSpec[];
  /** Found in the cluster by labels, never deployed or mutated by the harness (e.g. CoreDNS). */
  existing: boolean;
  /** Known address (externals with a fixed ip, or pods once deployed). */
  ip?: string;
  /** An existing workload whose ports are discovered at run time (none declared): offline its columns are unknown. */
  portsDiscovered?: boolean;
  /** How probes address it when not the suite's probe.via (workloads[].via). */
  via?: 'service' | 'pod' | 'dns';
  /** An external source: how its probes address workloads (externals[].via, default `pod`). */
  sourceVia?: ExternalVia;
}

export interface ConnColumn {
  kind: 'conn';
  /** `<dst-id>:<port>/<protocol>` */
  key: string;
  dst: string;
  port: number;
  portName?: string;
  protocol: Protocol;
  /** The Service's port when it differs from the container port (ports[].servicePort). */
  servicePort?: number;
}

export interface DnsColumn {
  kind: 'dns';
  /** `dns:<name>` */
  key: string;
  name: string;
}

export type Column = ConnColumn | DnsColumn;

export interface Axes {
  sources: Endpoint[];
  destinations: Endpoint[];
  columns: Column[];
}

export const endpointId = (namespace: string, name: string): string => `${namespace}/${name}`;
export const externalId = (name: string): string => `external:${name}`;
export const connKey = (dst: string, port: number, protocol: Protocol): string => `${dst}:${port}/${protocol}`;
export const dnsKey = (name: string): string => `dns:${name}`;

/** The DNS names each source resolves: the suite's list, or the Service of the first workload deployed from the start. */
export function dnsNames(suite: Suite): string[] {
  if (suite.probe.dnsNames) return suite.probe.dnsNames;
  const first = suite.workloads.find((w) => !w.existing && w.initially !== 'absent');
  return first ? [`${first.name}.${first.namespace}.svc.cluster.local`] : [];
}

export function buildAxes(suite: Suite): Axes {
  const workloads: Endpoint[] = suite.workloads.map((w) => ({
    id: endpointId(w.namespace, w.name),
    kind: 'workload',
    name: w.name,
    namespace: w.namespace,
    labels: w.labels,
    ports: w.ports,
    existing: w.existing,
    ...(w.existing && w.ports.length === 0 ? { portsDiscovered: true } : {}),
    // A witness sits in one pod, so probes to a witnessed workload go to that pod, not its Service.
    ...(w.via !== undefined ? { via: w.via } : w.existing && w.witness ? { via: 'pod' as const } : {}),
  }));
  const probes: Endpoint[] = suite.probes.map((p) => ({
    id: endpointId(p.namespace, p.name),
    kind: 'probe',
    name: p.name,
    namespace: p.namespace,
    labels: p.labels,
    ports: [],
    existing: false,
  }));
  const externals: Endpoint[] = suite.externals.map((e) => ({
    id: externalId(e.name),
    kind: 'external',
    name: e.name,
    labels: {},
    ports: e.ports,
    existing: false,
    ...(e.ip !== undefined ? { ip: e.ip } : {}),
    ...(e.source ? { sourceVia: e.via ?? 'pod' } : {}),
  }));
  // Existing workloads are sources only when asked (`source: true`): probing from them adds an ephemeral container.
  // Externals likewise (a container outside the cluster, probed with docker exec).
  const sources = [...workloads.filter((w, i) => !w.existing || suite.workloads[i]!.source), ...probes, ...externals.filter((e) => e.sourceVia !== undefined)];
  const destinations = [...workloads, ...externals];
  const columns: Column[] = [];
  for (const d of destinations) {
    for (const p of d.ports) {
      columns.push({
        kind: 'conn',
        key: connKey(d.id, p.port, p.protocol),
        dst: d.id,
        port: p.port,
        protocol: p.protocol,
        ...(p.name !== undefined ? { portName: p.name } : {}),
        ...(p.servicePort !== undefined ? { servicePort: p.servicePort } : {}),
      });
    }
  }
  for (const name of dnsNames(suite)) columns.push({ kind: 'dns', key: dnsKey(name), name });
  return { sources, destinations, columns };
}

/**
 * Cells that are not probed: a pod talking to itself (a pod cannot block itself; upstream ignores
 * loopback too), and DNS checks from an external source (outside the cluster, cluster DNS names do not resolve).
 */
export function isSelfCell(src: Endpoint, col: Column): boolean {
  return col.kind === 'conn' ? col.dst === src.id : src.kind === 'external';
}
