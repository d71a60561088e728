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

export function hostFor(dst: Endpoint, suiteVia: Via, addr: Addresses): string | undefined {
  // A workload may override the suite's addressing (workloads[].via).
  const via = dst.via ?? suiteVia;
  if (via === 'dns' && dst.kind === 'workload' && !dst.existing) {
    const name = addr.serviceName?.get(dst.id);
    if (name) return name;
  }
  if ((via === 'service' || via === 'dns') && dst.kind === 'workload' && !dst.existing) {
    const ip = addr.serviceIP.get(dst.id);
    if (ip) return ip;
  }
  return addr.podIPs.get(dst.id)?.[0];
}

export function targetFor(col: Column, dst: Endpoint | undefined, via: Via, addr: Addresses, timeoutMs: number): AgentTarget | { error: string } {
  if (col.kind === 'dns') return { id: col.key, kind: 'dns', name: col.name, timeoutMs };
  if (!dst) return { error: `unknown destination ${col.dst}` };
  const host = hostFor(dst, via, addr);
  if (!host) return { error: `no address known for ${dst.id}` };
  const kind: ProbeKind = col.protocol === 'TCP' ? 'tcp' : col.protocol === 'UDP' ? 'udp' : 'sctp';
  return { id: col.key, kind, host, port: col.port, timeoutMs };
}
