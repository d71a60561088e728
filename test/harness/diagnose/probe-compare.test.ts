import { expect } from 'chai';
import { compare } from '../../../harness/diagnose/compare.js';
import { mapFlow } from '../../../harness/diagnose/mapping.js';
import { clusterModel } from '../../../harness/diagnose/model.js';
import { outcomeOf, planProbes, probeNeeds, runProbes, type ProbeLine } from '../../../harness/diagnose/probe.js';
import { exitCodeOf, type FlowReport } from '../../../harness/diagnose/report.js';
import { simulateFlow } from '../../../harness/diagnose/simulate.js';
import type { PodExecutor } from '../../../harness/probe/exec.js';
import { PROFILES } from '../../../harness/policy/profiles.js';
import { prepare } from '../../../harness/policy/world.js';
import { seedReading } from './fixture.js';

const flow = () => {
  const r = seedReading();
  const m = mapFlow(r, 'develop/frontend', 'backend.develop.svc.cluster.local:8080');
  return { m, sim: simulateFlow(prepare(clusterModel(r), PROFILES['kube-router']!), m) };
};
const line = (id: string, outcome: ProbeLine['outcome'], detail?: string): ProbeLine => ({ id, what: id, outcome, ...(detail ? { detail } : {}) });

describe('diagnose probes and comparison', () => {
  it('plans the name, the DNS path on UDP and TCP, the ClusterIP and each backend on its target port', () => {
    const { m } = flow();
    const plan = planProbes(m, { timeoutMs: 1500, dnsServiceIP: '10.96.0.10' });
    expect(plan.map((p) => [p.target.id, p.target.kind, p.target.host ?? p.target.name, p.target.port])).to.deep.equal([
      ['dns', 'dns', 'backend.develop.svc.cluster.local', undefined],
      ['dns-server-udp', 'udp', '10.96.0.10', 53],
      ['dns-server-tcp', 'tcp', '10.96.0.10', 53],
      ['cluster-ip', 'tcp', m.target.service!.clusterIP, 8080],
      ['backend:develop/backend-bbb22-y1', 'tcp', m.target.backends[0]!.ip, 8080],
    ]);
  });

  it('classes the agent\'s outcomes: dropped, refused, DNS failure, no route; an error is never a deny', () => {
    expect(outcomeOf({ id: 'a', class: 'timeout' })).to.equal('dropped');
    expect(outcomeOf({ id: 'a', class: 'refused', detail: 'ECONNREFUSED' })).to.equal('refused');
    expect(outcomeOf({ id: 'a', class: 'dns-failure' })).to.equal('dns-failure');
    expect(outcomeOf({ id: 'a', class: 'error', detail: 'EHOSTUNREACH: no route to host' })).to.equal('no-route');
    expect(outcomeOf({ id: 'a', class: 'error', detail: 'exec failed' })).to.equal('error');
  });

  it('runs the plan with one exec in the source pod\'s probe container; a failed exec makes every line an error', async () => {
    const { m } = flow();
    const plan = planProbes(m, { timeoutMs: 1000, dnsServiceIP: '10.96.0.10' });
    const calls: string[] = [];
    const exec: PodExecutor = {
      exec: (ns, pod, container, cmd) => {
        calls.push(`${ns}/${pod}/${container}`);
        const targets = JSON.parse(cmd[cmd.length - 1]!) as { id: string }[];
        return Promise.resolve({ stdout: `${targets.map((t) => JSON.stringify({ id: t.id, class: t.id === 'cluster-ip' ? 'timeout' : 'connected', detail: '' })).join('\n')}\n{"done":true}\n`, stderr: '', exitCode: 0 });
      },
    };
    const lines = await runProbes(m, plan, { exec, ensure: () => Promise.resolve('nph-probe') }, { witness: false, timeoutMs: 1000 });
    expect(calls).to.deep.equal([`develop/${m.source.name}/nph-probe`]);
    expect(lines.find((l) => l.id === 'cluster-ip')!.outcome).to.equal('dropped');
    const failing: PodExecutor = { exec: () => Promise.reject(new Error('exec in develop/x: 403 Forbidden')) };
    const bad = await runProbes(m, plan, { exec: failing, ensure: () => Promise.resolve('nph-probe') }, { witness: false, timeoutMs: 1000 });
    expect(bad.every((l) => l.outcome === 'error' && l.detail!.includes('403'))).to.equal(true);
    expect(compare(m, flow().sim, bad).observed).to.equal('error');
  });

  it('says which side to suspect when observed and simulated differ', () => {
    const { m, sim } = flow();
    expect(sim.verdict).to.equal('allow');
    const ok = compare(m, sim, [line('dns', 'connected'), line('cluster-ip', 'connected'), line('backend:develop/backend-bbb22-y1', 'connected')]);
    expect(ok).to.include({ observed: 'allow' });
    expect(ok.suspects).to.deep.equal([]);
    const dropped = compare(m, sim, [line('dns', 'connected'), line('cluster-ip', 'dropped'), line('backend:develop/backend-bbb22-y1', 'dropped')]);
    expect(dropped.observed).to.equal('deny');
    expect(dropped.suspects).to.deep.equal(['cni', 'unmodelled-policy']);
    const refused = compare(m, sim, [line('dns', 'connected'), line('cluster-ip', 'refused'), line('backend:develop/backend-bbb22-y1', 'refused')]);
    expect(refused.suspects).to.deep.equal(['endpoints']);
    const dns = compare(m, sim, [line('dns', 'dns-failure'), line('dns-server-udp', 'connected'), line('cluster-ip', 'connected')]);
    expect(dns.observed).to.equal('deny');
    expect(dns.cause).to.equal('the name backend.develop.svc.cluster.local does not resolve from the source pod');
    expect(dns.suspects).to.deep.equal(['dns']);
    const fault = compare(m, sim, [line('dns', 'connected'), line('cluster-ip', 'no-route', 'EHOSTUNREACH')]);
    expect(fault.observed).to.equal('error');
    expect(fault.suspects).to.deep.equal(['cluster-fault']);
  });

  it('exit codes: 0 when observed is what --want asks, 1 when not, 2 when it could not be observed', () => {
    const base = { kind: 'flow', want: 'allow' } as FlowReport;
    expect(exitCodeOf({ ...base, verdict: { simulated: 'deny', observed: 'allow', judgedBy: 'observed', met: true } })).to.equal(0);
    expect(exitCodeOf({ ...base, verdict: { simulated: 'deny', observed: 'deny', judgedBy: 'observed', met: false } })).to.equal(1);
    expect(exitCodeOf({ ...base, verdict: { simulated: 'deny', observed: 'error', judgedBy: 'observed' } })).to.equal(2);
    const { want: _w, ...noWant } = base;
    expect(exitCodeOf({ ...noWant, verdict: { simulated: 'deny', observed: 'deny', judgedBy: 'observed' } })).to.equal(0);
  });

  it('lists what probing needs, per namespace, for a user who may only read', () => {
    const needs = probeNeeds('develop', ['develop', 'db']).map((n) => `${n.verb} ${n.resource}${n.subresource ? `/${n.subresource}` : ''} ${n.namespace}`);
    expect(needs).to.deep.equal(['get pods develop', 'patch pods/ephemeralcontainers develop', 'create pods/exec develop', 'get pods db', 'patch pods/ephemeralcontainers db', 'create pods/exec db']);
  });
});
