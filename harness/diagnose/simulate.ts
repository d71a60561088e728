// What the live policies say about the flow, at both ends: per backend (after DNAT, on the port it
// lands on) the source's egress and the destination's ingress with the deciding policies and rules,
// the engine's explanation and the triage lines; and, for a name, the DNS path (UDP and TCP 53 to
// CoreDNS). Pure: the world is the live reading prepared for the engine.
import type { Explanation } from '../diff/result.js';
import { evaluateIn, type DirectionResult, type EvalResult } from '../policy/evaluate.js';
import type { Protocol } from '../policy/model.js';
import { resolveRef, type Endpoint, type World } from '../policy/world.js';
import type { FlowMapping } from './mapping.js';
import { directionTriage } from './triage.js';

export interface SideVerdict {
  direction: 'egress' | 'ingress';
  subject: string;
  verdict: 'allow' | 'deny';
  /** not-isolated, rule (allowed by a rule), no-rule (isolated, nothing allows), ... */
  reason: DirectionResult['reason'];
  /** Policies isolating the subject for this direction. */
  isolatedBy: string[];
  /** Allowing rules: `develop/allow-backend-ingress ingress[0] from[1] ports[0]`. */
  allowedBy: string[];
  /** The engine's closest misses (deny only). */
  misses: string[];
}

export interface BackendSimulation {
  pod: string;
  port: number;
  verdict: EvalResult['verdict'];
  egress?: SideVerdict;
  ingress?: SideVerdict;
  explanation: Explanation;
  triage: string[];
}

export interface DnsSimulation {
  /** CoreDNS pods judged (kube-system, k8s-app=kube-dns). */
  servers: string[];
  udp: EvalResult['verdict'];
  tcp: EvalResult['verdict'];
  explanation: Explanation;
  triage: string[];
}

export interface FlowSimulation {
  profile: string;
  /** The flow as a whole: every backend that can take it allows it (and DNS, for a name). */
  verdict: 'allow' | 'deny' | 'unknown' | 'mixed';
  backends: BackendSimulation[];
  dns?: DnsSimulation;
}

export const DNS_SELECTOR = { namespace: 'kube-system', key: 'k8s-app', value: 'kube-dns' } as const;

export function side(d: DirectionResult | undefined): SideVerdict | undefined {
  if (!d) return undefined;
  return {
    direction: d.direction,
    subject: d.subject,
    verdict: d.verdict,
    reason: d.reason,
    isolatedBy: d.isolatedBy,
    allowedBy: d.allowedBy.map((a) => a.ref),
    misses: d.misses.map((m) => m.text),
  };
}

function endpoint(world: World, id: string): Endpoint {
  const r = resolveRef(world, id);
  if (r.kind !== 'endpoint') throw new Error(`${id} is a Service, not an endpoint`);
  return r.endpoint;
}

/** One connection, judged and triaged. `to` is a pod id or an address. */
export function simulateConnection(world: World, from: string, to: string, port: number, protocol: Protocol): BackendSimulation {
  // A pod id has a slash; anything else is an address (resolved to whatever owns it).
  const ref = to.includes('/') ? { pod: to } : { ip: to };
  const r = evaluateIn(world, { from, to: ref, port, protocol });
  const src = endpoint(world, from);
  const dst = endpoint(world, to);
  const triage = [...(r.egress ? directionTriage(world, r.egress, src, dst, protocol, port) : []), ...(r.ingress ? directionTriage(world, r.ingress, src, dst, protocol, port) : [])];
  const eg = side(r.egress);
  const ing = side(r.ingress);
  return { pod: to, port, verdict: r.verdict, ...(eg ? { egress: eg } : {}), ...(ing ? { ingress: ing } : {}), explanation: r.explanation, triage };
}

export function dnsServers(world: World): string[] {
  return world.model.pods.filter((p) => p.namespace === DNS_SELECTOR.namespace && p.labels[DNS_SELECTOR.key] === DNS_SELECTOR.value && p.ip).map((p) => p.id);
}

/** Name resolution from `from`: UDP 53 and TCP 53 to the CoreDNS pods (either one answering is enough). */
export function simulateDns(world: World, from: string): DnsSimulation | undefined {
  const servers = dnsServers(world);
  if (servers.length === 0) return undefined;
  const judge = (protocol: Protocol) => servers.map((s) => simulateConnection(world, from, s, 53, protocol));
  const udp = judge('UDP');
  const tcp = judge('TCP');
  const best = (l: BackendSimulation[]) => l.find((x) => x.verdict === 'allow') ?? l[0]!;
  const u = best(udp);
  const t = best(tcp);
  const triage = [...u.triage];
  if (u.verdict === 'allow' && t.verdict !== 'allow') {
    triage.push(`DNS egress allows UDP 53 only: a lookup that falls back to TCP (a truncated answer, over 512 bytes) fails; allow TCP 53 to CoreDNS in the same rule`);
    triage.push(...t.triage.map((l) => `TCP 53: ${l}`));
  }
  const details = [`resolving a name needs ${from} -> CoreDNS (${servers.join(', ')}) on 53/UDP, and 53/TCP for long answers`, `UDP 53 to ${u.pod}: ${u.explanation.summary}`, ...u.explanation.details.map((d) => `  ${d}`), `TCP 53 to ${t.pod}: ${t.explanation.summary}`];
  return { servers, udp: u.verdict, tcp: t.verdict, explanation: { summary: `DNS: UDP 53 ${u.verdict}, TCP 53 ${t.verdict}`, details }, triage: [...new Set(triage)] };
}

export function combine(verdicts: EvalResult['verdict'][]): FlowSimulation['verdict'] {
  if (verdicts.length === 0) return 'deny';
  const s = new Set(verdicts);
  return s.size === 1 ? verdicts[0]! : 'mixed';
}

export function simulateFlow(world: World, m: FlowMapping): FlowSimulation {
  const backends = m.target.backends.filter((b) => b.port !== undefined && (m.target.kind !== 'service' || b.ready)).map((b) => simulateConnection(world, m.source.pod, m.target.kind === 'address' ? b.ip! : b.pod, b.port!, m.target.protocol));
  const dns = m.target.dnsName ? simulateDns(world, m.source.pod) : undefined;
  let verdict = combine(backends.map((b) => b.verdict));
  if (dns && dns.udp !== 'allow' && verdict === 'allow') verdict = 'deny';
  return { profile: world.profile.name, verdict, backends, ...(dns ? { dns } : {}) };
}
