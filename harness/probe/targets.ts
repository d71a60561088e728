// Pure planning: which agent probe targets a source must run, and how to address each destination.
import type { Column, Endpoint } from '../matrix/axes.js';

export type ProbeKind = 'tcp' | 'udp' | 'sctp' | 'dns';

/** One target in the agent's `probe --targets` JSON contract (images/agent/README.md). */
export interface AgentTarget {
  id: string;
  kind: ProbeKind;
  host?: string;
  port?: number;
  name?: string;
  timeoutMs: number;
  /** udp: payload a destination witness recognises (probe/witness.ts). */
  marker?: string;
}

/** Where each destination can be reached, learned after deployment. */
export interface Addresses {
  /** Service ClusterIP per endpoint id (deployed workloads). */
  serviceIP: Map<string, string>;
  /** Pod IPs per endpoint id (workloads, existing workloads) and container IPs for externals. */
  podIPs: Map<string, string[]>;
  /** Service DNS names per endpoint id (`<svc>.<ns>.svc.cluster.local`), for `via: dns`. */
  serviceName?: Map<string, string>;
}

export type Via = 'service' | 'pod' | 'dns';

/** Where a probe goes, and whether through the workload's Service (then to the Service's port). */
function addressOf(dst: Endpoint, suiteVia: Via, addr: Addresses): { host: string; throughService: boolean } | undefined {
  // A workload may override the suite's addressing (workloads[].via).
  const via = dst.via ?? suiteVia;
  if (via === 'dns' && dst.kind === 'workload' && !dst.existing) {
    const name = addr.serviceName?.get(dst.id);
    if (name) return { host: name, throughService: true };
  }
  if ((via === 'service' || via === 'dns') && dst.kind === 'workload' && !dst.existing) {
    const ip = addr.serviceIP.get(dst.id);
    if (ip) return { host: ip, throughService: true };
  }
  const ip = addr.podIPs.get(dst.id)?.[0];
  return ip ? { host: ip, throughService: false } : undefined;
}

export function hostFor(dst: Endpoint, suiteVia: Via, addr: Addresses): string | undefined {
  return addressOf(dst, suiteVia, addr)?.host;
}

export function targetFor(col: Column, dst: Endpoint | undefined, via: Via, addr: Addresses, timeoutMs: number): AgentTarget | { error: string } {
  if (col.kind === 'dns') return { id: col.key, kind: 'dns', name: col.name, timeoutMs };
  if (!dst) return { error: `unknown destination ${col.dst}` };
  const a = addressOf(dst, via, addr);
  if (!a) return { error: `no address known for ${dst.id}` };
  const kind: ProbeKind = col.protocol === 'TCP' ? 'tcp' : col.protocol === 'UDP' ? 'udp' : 'sctp';
  // Through the Service, the port is the Service's; the column (and the engine) keep the container port.
  return { id: col.key, kind, host: a.host, port: a.throughService ? (col.servicePort ?? col.port) : col.port, timeoutMs };
}
