// Proving the flow from inside the source pod, without changing any policy: the agent in the
// pod's `nph-probe` ephemeral container resolves the name, connects to the ClusterIP and to each
// backend pod IP, and checks the DNS path itself (UDP and TCP 53 to the cluster DNS Service). With
// a witness in each backend, arrival decides (a listener-less port is told from a reject). Each
// outcome is classed for a person: connected, refused, dropped, DNS failure, no route, error.
// A fault (exec failed, no status, a broken route) is an `error`, never a deny.
import { randomBytes } from 'node:crypto';
import type { AccessNeed } from '../cluster/checks/access.js';
import { parseAgentOutput, type AgentResult } from '../probe/agent-output.js';
import type { PodExecutor } from '../probe/exec.js';
import { AGENT_PATH } from '../probe/prober.js';
import type { AgentTarget } from '../probe/targets.js';
import { judge, type StartWitness, type WitnessExpectation, type WitnessOutcome } from '../probe/witness.js';
import type { FlowMapping } from './mapping.js';

export type Outcome = 'connected' | 'refused' | 'dropped' | 'dns-failure' | 'no-route' | 'error' | 'unsupported';

export interface ProbeLine {
  /** `dns`, `cluster-ip`, `backend:<pod>`, `dns-server-udp`, `dns-server-tcp` */
  id: string;
  /** What was tried, in words: `resolve backend.develop.svc.cluster.local`, `TCP 10.96.4.2:8080 (ClusterIP)`. */
  what: string;
  outcome: Outcome;
  detail?: string;
  latencyMs?: number;
  witnessed?: boolean;
}

export interface ProbePlanItem {
  target: AgentTarget;
  what: string;
  /** Backend pod for witnessed connections. */
  backend?: string;
}

/** The cluster DNS Service (kube-system/kube-dns) ClusterIP, when it has one. */
export interface ProbeContext {
  dnsServiceIP?: string;
  timeoutMs: number;
}

const kindOf = (p: string): AgentTarget['kind'] => (p === 'UDP' ? 'udp' : p === 'SCTP' ? 'sctp' : 'tcp');

/** The agent targets for one flow. Pure. */
export function planProbes(m: FlowMapping, ctx: ProbeContext): ProbePlanItem[] {
  const t = m.target;
  const out: ProbePlanItem[] = [];
  const timeoutMs = ctx.timeoutMs;
  if (t.dnsName) {
    out.push({ target: { id: 'dns', kind: 'dns', name: t.dnsName, timeoutMs }, what: `resolve ${t.dnsName}` });
    if (ctx.dnsServiceIP) {
      out.push({ target: { id: 'dns-server-udp', kind: 'udp', host: ctx.dnsServiceIP, port: 53, timeoutMs }, what: `DNS query over UDP to ${ctx.dnsServiceIP}:53 (cluster DNS)` });
      out.push({ target: { id: 'dns-server-tcp', kind: 'tcp', host: ctx.dnsServiceIP, port: 53, timeoutMs }, what: `TCP ${ctx.dnsServiceIP}:53 (cluster DNS, used when an answer is truncated)` });
    }
  }
  if (t.service?.clusterIP) {
    out.push({ target: { id: 'cluster-ip', kind: kindOf(t.protocol), host: t.service.clusterIP, port: t.port, timeoutMs }, what: `${t.protocol} ${t.service.clusterIP}:${t.port} (ClusterIP of ${t.service.id})` });
  }
  for (const b of t.backends) {
    if (b.port === undefined || !b.ip) continue;
    out.push({ target: { id: `backend:${b.pod}`, kind: kindOf(t.protocol), host: b.ip, port: b.port, timeoutMs }, what: `${t.protocol} ${b.ip}:${b.port} (${t.kind === 'address' ? 'address' : `pod ${b.pod}`})`, ...(t.kind !== 'address' ? { backend: b.pod } : {}) });
  }
  return out;
}

/** The agent's class and detail in a triage's words. Pure. */
export function outcomeOf(r: AgentResult): Outcome {
  switch (r.class) {
    case 'connected':
      return 'connected';
    case 'refused':
      return 'refused';
    case 'timeout':
      return 'dropped';
    case 'dns-failure':
      return 'dns-failure';
    case 'unsupported':
      return 'unsupported';
    default:
      return /EHOSTUNREACH|ENETUNREACH|no route/i.test(r.detail ?? '') ? 'no-route' : 'error';
  }
}

export const OUTCOME_WORDS: Record<Outcome, string> = {
  connected: 'connected',
  refused: 'refused (RST or ICMP port unreachable: no listener on the port, or a CNI that rejects denied traffic)',
  dropped: 'dropped (no answer before the timeout)',
  'dns-failure': 'DNS failure (the DNS server gave no answer)',
  'no-route': 'no route (EHOSTUNREACH/ENETUNREACH: a broken route or an ICMP admin-prohibited reject; not counted as a deny)',
  error: 'error (not a verdict)',
  unsupported: 'unsupported by this kernel',
};

/** What probing in place needs in the source pod's namespace (and the backends', with a witness). */
export function probeNeeds(sourceNs: string, witnessNs: string[] = []): (AccessNeed & { why: string })[] {
  const out: (AccessNeed & { why: string })[] = [];
  for (const [ns, role] of [[sourceNs, 'probe'], ...witnessNs.filter((n) => n !== sourceNs).map((n) => [n, 'witness'])] as [string, string][]) {
    out.push({ verb: 'get', resource: 'pods', namespace: ns, why: 'read the pod before adding a container' });
    out.push({ verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: ns, why: `add the ${role} ephemeral container (nph-${role})` });
    out.push({ verb: 'create', resource: 'pods', subresource: 'exec', namespace: ns, why: `run the ${role === 'probe' ? 'probes' : 'witness'} in it` });
  }
  return out;
}

export interface RunProbesDeps {
  exec: PodExecutor;
  /** Ensures the role's ephemeral container in a pod and returns its name. */
  ensure: (namespace: string, pod: string, role: 'probe' | 'witness') => Promise<string>;
  startWitness?: StartWitness;
}

/** Runs the plan in the source pod (one exec), with witnesses in the backends when asked. */
export async function runProbes(m: FlowMapping, plan: ProbePlanItem[], deps: RunProbesDeps, opts: { witness: boolean; timeoutMs: number }): Promise<ProbeLine[]> {
  const container = await deps.ensure(m.source.namespace, m.source.name, 'probe');
  const witnessed = new Map<string, { run: ReturnType<StartWitness>; expectations: WitnessExpectation[] }>();
  if (opts.witness && deps.startWitness) {
    const byPod = new Map<string, WitnessExpectation[]>();
    for (const p of plan) {
      if (!p.backend || (p.target.kind !== 'tcp' && p.target.kind !== 'udp')) continue;
      const e: WitnessExpectation = p.target.kind === 'udp' ? { id: p.target.id, proto: 'udp', port: p.target.port!, marker: (p.target.marker = `nph-diag-${randomBytes(6).toString('hex')}`) } : { id: p.target.id, proto: 'tcp', port: p.target.port!, src: m.source.ip };
      byPod.set(p.backend, [...(byPod.get(p.backend) ?? []), e]);
    }
    await Promise.all(
      [...byPod].map(async ([pod, expectations]) => {
        const [ns, name] = pod.split('/') as [string, string];
        const c = await deps.ensure(ns, name, 'witness');
        const run = deps.startWitness!({ endpoint: pod, namespace: ns, pod: name, container: c }, expectations, opts.timeoutMs * 3 + 10_000);
        witnessed.set(pod, { run, expectations });
      }),
    );
    await Promise.all([...witnessed.values()].map((w) => w.run.ready));
  }
  const targets = plan.map((p) => p.target);
  let results = new Map<string, AgentResult>();
  let fault: string | undefined;
  try {
    const r = await deps.exec.exec(m.source.namespace, m.source.name, container, [AGENT_PATH, 'probe', '--targets', JSON.stringify(targets)], opts.timeoutMs + 30_000);
    if (r.exitCode !== 0) fault = `the agent exited ${r.exitCode ?? 'without a status'}: ${r.stderr.trim().split('\n')[0] ?? ''}`;
    results = parseAgentOutput(r.stdout).results;
  } catch (e) {
    fault = e instanceof Error ? e.message : String(e);
  }
  const arrivals = new Map<string, WitnessOutcome>();
  for (const w of witnessed.values()) {
    w.run.stop();
    const got = await w.run.result.catch((e: unknown) => new Map(w.expectations.map((x) => [x.id, { error: e instanceof Error ? e.message : String(e) }])));
    for (const [k, v] of got) arrivals.set(k, v);
  }
  return plan.map((p) => {
    let r = results.get(p.target.id);
    if (!r) return { id: p.target.id, what: p.what, outcome: 'error', detail: fault ?? 'the agent printed no result for this probe' };
    const w = arrivals.get(p.target.id);
    if (w) r = judge(r, w);
    return { id: p.target.id, what: p.what, outcome: outcomeOf(r), ...(r.detail ? { detail: r.detail } : {}), ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}), ...(w ? { witnessed: true } : {}) };
  });
}
