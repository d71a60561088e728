// Pure planning: which agent probe targets a source must run, and how to address each destination.
import type { Column, Endpoint } from '../matrix/axes.js';
import type { ExternalVia } from '../suite/schema.js';
import { parseCidr, parseIp, rangeContains } from '../policy/ipblock.js';

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
  /**
   * Existing workloads: the user's Service's port for each pod port it targets (`<port>/<protocol>`
   * -> Service port, targetPort resolved). A pod port no Service port targets is probed at the pod IP.
   */
  servicePorts?: Map<string, Map<string, number>>;
  /** NodePorts (external sources with via: nodeport; the harness's Services, or the user's): endpoint id -> `<port>/<protocol>` -> node port. */
  nodePorts?: Map<string, Map<string, number>>;
  /** The node external sources enter the cluster through (Service CIDR route, NodePort address), and the ranges routed into the cluster. */
  gateway?: { name: string; ip: string; routed?: string[] };
}

export type Via = 'service' | 'pod' | 'dns';

/** The path a cell's probe took, for the report: through the Service (ClusterIP or DNS name), or straight to the pod or container. */
export interface CellPath {
  via: 'service' | 'dns' | 'pod' | 'external' | 'nodeport';
  /** host:port as probed (a DNS name for `dns`). */
  address: string;
  /** Why not the path asked for (e.g. no Service port targets this pod port). */
  note?: string;
}

type Address = { host: string; port?: number; via: CellPath['via']; note?: string } | { error: string } | undefined;

/**
 * From an external source (outside the cluster) to a workload: the pod IP, the Service's ClusterIP or
 * a node's NodePort, exactly as asked: any other path would not be the one the engine judged.
 */
function fromOutside(dst: Endpoint, col: Column | undefined, sourceVia: ExternalVia, addr: Addresses): Address {
  const gw = addr.gateway ? `through node ${addr.gateway.name}, source-NATed by kube-proxy` : undefined;
  if (sourceVia === 'nodeport') {
    const port = col?.kind === 'conn' ? addr.nodePorts?.get(dst.id)?.get(`${col.port}/${col.protocol}`) : undefined;
    if (port === undefined || !addr.gateway) return { error: `no NodePort exposes ${dst.id}${col?.kind === 'conn' ? ` port ${col.port}/${col.protocol}` : ''} (the harness makes its own workloads' Services NodePorts; an existing workload needs a NodePort Service selecting it)` };
    return { host: addr.gateway.ip, port, via: 'nodeport', ...(gw ? { note: gw } : {}) };
  }
  const a = addressOf(dst, col, sourceVia, addr);
  if (sourceVia === 'service' && (!a || 'error' in a || a.via !== 'service')) return { error: `${dst.id} cannot be probed through a Service ClusterIP from outside the cluster${a && 'note' in a && a.note ? `: ${a.note}` : ': it has none'}` };
  // Never let a probe for the cluster leave through the Docker host's default route.
  if (a && 'host' in a && !routedFromOutside(a.host, addr)) return { error: `${a.host} (${dst.id}) is not in a range routed into the cluster from outside (${addr.gateway?.routed?.join(', ') || 'none'})` };
  return a && 'host' in a && a.via === 'service' && gw ? { ...a, note: gw } : a;
}

function routedFromOutside(host: string, addr: Addresses): boolean {
  const ip = parseIp(host);
  return ip !== undefined && (addr.gateway?.routed ?? []).some((c) => {
    const r = parseCidr(c);
    return r !== undefined && rangeContains(r, ip);
  });
}

/** Where a probe goes, and whether through the workload's Service (then to the Service's port). */
function addressOf(dst: Endpoint, col: Column | undefined, suiteVia: Via, addr: Addresses): Address {
  // A workload may override the suite's addressing (workloads[].via).
  const via = dst.via ?? suiteVia;
  const throughService = (via === 'service' || via === 'dns') && dst.kind === 'workload';
  let note: string | undefined;
  if (throughService && addr.serviceIP.has(dst.id)) {
    // The user's own Service (existing workloads): only the pod ports it targets, at its port.
    const mapped = dst.existing && col?.kind === 'conn' ? addr.servicePorts?.get(dst.id)?.get(`${col.port}/${col.protocol}`) : undefined;
    if (!dst.existing || mapped !== undefined || col?.kind !== 'conn') {
      const port = dst.existing ? mapped : col?.kind === 'conn' ? (col.servicePort ?? col.port) : undefined;
      const name = via === 'dns' ? addr.serviceName?.get(dst.id) : undefined;
      if (name) return { host: name, ...(port !== undefined ? { port } : {}), via: 'dns' };
      return { host: addr.serviceIP.get(dst.id)!, ...(port !== undefined ? { port } : {}), via: 'service' };
    }
    note = `no port of its Service targets ${col.port}/${col.protocol}`;
  } else if (throughService && dst.existing) {
    // Asked for by the workload itself: an honest error, not a silent change of path.
    if (dst.via !== undefined) return { error: `${dst.id} has via: ${dst.via}, but no Service with a ClusterIP selects its pods` };
    note = 'no Service selects its pods';
  }
  const ip = addr.podIPs.get(dst.id)?.[0];
  return ip ? { host: ip, via: dst.kind === 'external' ? 'external' : 'pod', ...(note ? { note } : {}) } : undefined;
}

export function hostFor(dst: Endpoint, suiteVia: Via, addr: Addresses): string | undefined {
  const a = addressOf(dst, undefined, suiteVia, addr);
  return a && 'host' in a ? a.host : undefined;
}

/** The agent target of a cell and the path it takes. */
export function routeFor(col: Column, dst: Endpoint | undefined, via: Via, addr: Addresses, timeoutMs: number, sourceVia?: ExternalVia): { target: AgentTarget; path?: CellPath } | { error: string } {
  if (col.kind === 'dns') return { target: { id: col.key, kind: 'dns', name: col.name, timeoutMs } };
  if (!dst) return { error: `unknown destination ${col.dst}` };
  const a = sourceVia !== undefined && dst.kind === 'workload' ? fromOutside(dst, col, sourceVia, addr) : addressOf(dst, col, via, addr);
  if (!a) return { error: `no address known for ${dst.id}` };
  if ('error' in a) return a;
  const kind: ProbeKind = col.protocol === 'TCP' ? 'tcp' : col.protocol === 'UDP' ? 'udp' : 'sctp';
  // Through the Service, the port is the Service's; the column (and the engine) keep the container port.
  const port = a.port ?? col.port;
  const path: CellPath = { via: a.via, address: `${a.host.includes(':') ? `[${a.host}]` : a.host}:${port}`, ...(a.note ? { note: a.note } : {}) };
  return { target: { id: col.key, kind, host: a.host, port, timeoutMs }, path };
}

export function targetFor(col: Column, dst: Endpoint | undefined, via: Via, addr: Addresses, timeoutMs: number): AgentTarget | { error: string } {
  const r = routeFor(col, dst, via, addr, timeoutMs);
  return 'error' in r ? r : r.target;
}
