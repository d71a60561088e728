// Observed against simulated, line by line: where they differ, which side to suspect (the CNI's
// enforcement, DNS itself, the endpoints, a policy the engine cannot read, a cluster fault). A
// fault (exec error, no route) is never read as a deny. Pure.
import type { FlowMapping } from './mapping.js';
import type { Outcome, ProbeLine } from './probe.js';
import type { FlowSimulation } from './simulate.js';

export type Suspect = 'cni' | 'dns' | 'endpoints' | 'unmodelled-policy' | 'cluster-fault';
export type Observed = 'allow' | 'deny' | 'error' | 'not-probed';

export interface Finding {
  /** The probe line id. */
  id: string;
  simulated: string;
  observed: Outcome;
  agree: boolean;
  suspect?: Suspect[];
  why?: string;
}

export interface Comparison {
  observed: Observed;
  /** Why the flow failed as a person sees it (the name, the connection), when it did. */
  cause?: string;
  findings: Finding[];
  suspects: Suspect[];
}

const denyLike = (o: Outcome): boolean => o === 'dropped' || o === 'refused' || o === 'dns-failure';
const fault = (o: Outcome): boolean => o === 'error' || o === 'no-route' || o === 'unsupported';

/** A simulated verdict against one outcome. */
function judgeLine(id: string, sim: string, o: Outcome, where: string): Finding {
  if (fault(o)) return { id, simulated: sim, observed: o, agree: false, suspect: ['cluster-fault'], why: `${where}: a fault, not a verdict; the guard's rules apply (look at the pod, its node and the CNI agent)` };
  if (sim === 'allow') {
    if (o === 'connected') return { id, simulated: sim, observed: o, agree: true };
    if (o === 'refused') return { id, simulated: sim, observed: o, agree: false, suspect: ['endpoints'], why: `${where}: the policies allow it and the connection was refused: nothing listens on that port (or the application rejects it)` };
    return { id, simulated: sim, observed: o, agree: false, suspect: ['cni', 'unmodelled-policy'], why: `${where}: the policies allow it but it was ${o}: suspect the CNI's enforcement, or a policy the engine cannot read (a CNI's own policy resources)` };
  }
  if (sim === 'deny') {
    if (denyLike(o)) return { id, simulated: sim, observed: o, agree: true, ...(o === 'refused' ? { why: `${where}: refused, not dropped: this CNI rejects denied traffic` } : {}) };
    return { id, simulated: sim, observed: o, agree: false, suspect: ['cni'], why: `${where}: the policies deny it, yet it connected: suspect the CNI (it does not enforce this), or traffic that never crosses a policy point` };
  }
  return { id, simulated: sim, observed: o, agree: o === 'connected' ? sim !== 'deny' : true, why: `${where}: the engine says ${sim}` };
}

export function compare(m: FlowMapping, sim: FlowSimulation, lines: ProbeLine[] | undefined): Comparison {
  if (!lines) return { observed: 'not-probed', findings: [], suspects: [] };
  const findings: Finding[] = [];
  const get = (id: string) => lines.find((l) => l.id === id);
  const dns = get('dns');
  const dnsUdp = get('dns-server-udp');
  const dnsTcp = get('dns-server-tcp');
  if (dns && sim.dns) {
    const f = judgeLine('dns', sim.dns.udp, dns.outcome, `resolving ${m.target.dnsName}`);
    if (!f.agree && sim.dns.udp === 'allow' && dns.outcome === 'dns-failure') {
      f.suspect = dnsUdp?.outcome === 'connected' ? ['dns'] : ['cni', 'unmodelled-policy', 'dns'];
      f.why = dnsUdp?.outcome === 'connected' ? 'the policies allow DNS and the DNS server answers over UDP, yet the name did not resolve: suspect DNS itself (CoreDNS, the search path)' : `the policies allow DNS, yet the lookup got no answer: suspect the CNI, a policy the engine cannot read, or CoreDNS itself`;
    }
    findings.push(f);
    if (dnsUdp) findings.push(judgeLine('dns-server-udp', sim.dns.udp, dnsUdp.outcome, 'DNS over UDP'));
    if (dnsTcp) findings.push(judgeLine('dns-server-tcp', sim.dns.tcp, dnsTcp.outcome, 'DNS over TCP'));
  }
  const ip = get('cluster-ip');
  if (ip) findings.push(judgeLine('cluster-ip', sim.verdict === 'mixed' ? 'mixed' : sim.backends.length ? (sim.backends.every((b) => b.verdict === 'allow') ? 'allow' : 'deny') : 'deny', ip.outcome, `the ClusterIP ${m.target.service?.clusterIP ?? ''}`));
  for (const b of sim.backends) {
    const l = get(`backend:${b.pod}`) ?? (m.target.kind === 'address' ? get(`backend:${m.target.backends[0]?.pod ?? ''}`) : undefined);
    if (l) findings.push(judgeLine(l.id, b.verdict, l.outcome, `${b.pod}:${b.port}`));
  }
  // The flow as the client sees it: the name first, then the connection (ClusterIP, else the pod).
  let observed: Observed;
  let cause: string | undefined;
  const conn = ip ?? lines.find((l) => l.id.startsWith('backend:'));
  if (dns && dns.outcome === 'dns-failure') {
    observed = 'deny';
    cause = `the name ${m.target.dnsName ?? ''} does not resolve from the source pod`;
  } else if (dns && fault(dns.outcome)) {
    observed = 'error';
  } else if (!conn) observed = m.target.backends.length === 0 ? 'deny' : 'error';
  else if (conn.outcome === 'connected') observed = 'allow';
  else if (denyLike(conn.outcome)) {
    observed = 'deny';
    cause = `${conn.what}: ${conn.outcome}`;
  } else observed = 'error';
  const suspects = [...new Set(findings.flatMap((f) => f.suspect ?? []))];
  return { observed, ...(cause ? { cause } : {}), findings, suspects };
}
