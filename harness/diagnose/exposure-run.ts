// Exposure mode on a cluster: the engine's row (who reaches the pod) or column (what the pod
// reaches) over the live policies, then a bounded sample proven in place: one pod per class, and,
// for --to, an attacker pod in a fresh namespace that this run creates and deletes.
import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { ApiServerEphemeralApi, ensureEphemeral } from '../apply/ephemeral.js';
import { BUNDLED_AGENT_IMAGE } from '../apply/workloads.js';
import { apiServerReviewer, describeNeed } from '../cluster/checks/access.js';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, SYSTEM_NAMESPACES } from '../cluster/labels.js';
import { pollUntil } from '../cluster/wait.js';
import type { KObject } from '../cluster/kube-types.js';
import type { CniProfile } from '../policy/profiles.js';
import { prepare } from '../policy/world.js';
import { parseAgentOutput } from '../probe/agent-output.js';
import { ApiServerExecutor } from '../probe/exec.js';
import { AGENT_PATH } from '../probe/prober.js';
import type { AgentTarget } from '../probe/targets.js';
import { ATTACKER_ID, ATTACKER_NAMESPACE_LABELS, exposureFrom, exposureTo, withAttacker, type ExposureClass, type ExposureReport } from './exposure.js';
import type { Connected, DiagnoseOptions } from './index.js';
import type { LiveReading } from './live.js';
import { mapSource, mapTarget } from './mapping.js';
import { clusterModel, stableLabels } from './model.js';
import { outcomeOf, probeNeeds, type Outcome } from './probe.js';
import { DIAGNOSE_SCHEMA_VERSION } from './report.js';

const kindOf = (p: string): AgentTarget['kind'] => (p === 'UDP' ? 'udp' : p === 'SCTP' ? 'sctp' : 'tcp');

async function probeFrom(c: Connected, ns: string, pod: string, container: string, targets: AgentTarget[], timeoutMs: number): Promise<Map<string, { outcome: Outcome; detail?: string }>> {
  const out = new Map<string, { outcome: Outcome; detail?: string }>();
  try {
    const r = await new ApiServerExecutor(c.kubeConfig).exec(ns, pod, container, [AGENT_PATH, 'probe', '--targets', JSON.stringify(targets)], timeoutMs + 30_000);
    const parsed = parseAgentOutput(r.stdout).results;
    for (const t of targets) {
      const x = parsed.get(t.id);
      out.set(t.id, x ? { outcome: outcomeOf(x), ...(x.detail ? { detail: x.detail } : {}) } : { outcome: 'error', detail: `no result (agent exit ${r.exitCode ?? 'unknown'})` });
    }
  } catch (e) {
    for (const t of targets) out.set(t.id, { outcome: 'error', detail: e instanceof Error ? e.message : String(e) });
  }
  return out;
}

const agrees = (sim: string, o: Outcome): boolean | undefined => (o === 'connected' ? sim === 'allow' : o === 'dropped' || o === 'refused' ? sim === 'deny' : undefined);

/** The attacker: a namespace and an agent pod, deleted (namespace and all) whatever happens. */
async function withAttackerPod<T>(c: Connected, image: string, fn: (ns: string, ip: string) => Promise<T>): Promise<T> {
  const ns = `nph-diagnose-attacker-${randomBytes(3).toString('hex')}`;
  await c.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...ATTACKER_NAMESPACE_LABELS, [MANAGED_BY_KEY]: MANAGED_BY_VALUE } } });
  try {
    await c.client.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: ATTACKER_ID, namespace: ns },
      spec: {
        terminationGracePeriodSeconds: 1,
        automountServiceAccountToken: false,
        containers: [{ name: 'agent', image, imagePullPolicy: 'IfNotPresent', command: [AGENT_PATH], args: ['serve'], securityContext: { runAsNonRoot: true, runAsUser: 65534, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, seccompProfile: { type: 'RuntimeDefault' } } }],
      },
    });
    let ip = '';
    const ok = await pollUntil(
      async () => {
        const p = await c.client.get<KObject & { status?: { phase?: string; podIP?: string } }>({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: ATTACKER_ID });
        ip = p?.status?.podIP ?? '';
        return p?.status?.phase === 'Running' && ip !== '';
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    if (!ok) throw new Error(`the attacker pod in ${ns} did not start within 60 s`);
    return await fn(ns, ip);
  } finally {
    await c.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns }).catch(() => false);
  }
}

export async function exposure(c: Connected, reading: LiveReading, profile: CniProfile, opts: DiagnoseOptions & { namespace: string }, t: { t0: number; readMs: number }): Promise<ExposureReport> {
  const world = prepare(clusterModel(reading), profile);
  const direction: 'to' | 'from' = opts.to ? 'to' : 'from';
  const timeoutMs = opts.timeoutMs ?? 2000;
  const image = opts.agentImage ?? BUNDLED_AGENT_IMAGE;
  const notes: string[] = [];
  let pod: string;
  let classes: ExposureClass[];
  let targetIp = '';
  const attackerNs = 'nph-diagnose-attacker';
  if (direction === 'to') {
    const m = mapTarget(reading, opts.to!, opts.namespace);
    const b = m.backends.find((x) => x.ready && x.port !== undefined) ?? m.backends.find((x) => x.port !== undefined);
    if (!b || m.kind === 'address') throw new (await import('../errors.js')).UsageError(`--to ${opts.to}: exposure needs a pod (or a Service with a pod behind it)`);
    pod = b.pod;
    targetIp = b.ip ?? '';
    const w = opts.noAttacker ? world : withAttacker(world, attackerNs);
    classes = exposureTo(w, w.model.pods.find((p) => p.id === pod)!, b.port!, m.protocol);
    for (const p of m.problems) notes.push(p);
  } else {
    const s = mapSource(reading, opts.from!, opts.namespace);
    pod = s.pod;
    classes = exposureFrom(world, world.model.pods.find((p) => p.id === pod)!);
  }
  const self = world.model.pods.find((p) => p.id === pod)!;
  let probe: ExposureReport['probe'];
  let probeMs: number | undefined;
  if (opts.probe === false) probe = { ran: false, skipped: '--no-probe' };
  else {
    const review = opts.review ?? apiServerReviewer(c.kubeConfig);
    // System pods (CoreDNS, ...) are listed by the engine but never given a probe container.
    const probed = (k: ExposureClass) => !k.sample.startsWith(`${attackerNs}/`) && !SYSTEM_NAMESPACES.includes(k.namespace);
    const sourceNs = direction === 'from' ? [self.namespace] : [...new Set(classes.filter(probed).map((k) => k.namespace))];
    const needs = sourceNs.flatMap((n) => probeNeeds(n));
    const ok = await Promise.all(needs.map((n) => review(n)));
    const missing = needs.filter((_, i) => !ok[i]);
    if (missing.length) probe = { ran: false, skipped: 'this user may not probe in place; the row above is the engine\'s', needs: missing.map((n) => `${describeNeed(n)}${n.subresource ? ` (subresource ${n.subresource})` : ''}: ${n.why}`) };
    else {
      const tp = performance.now();
      const api = new ApiServerEphemeralApi(c.kubeConfig);
      const ensure = async (id: string) => (await ensureEphemeral(api, id.split('/')[0]!, id.split('/')[1]!, 'probe', image)).container;
      if (direction === 'from') {
        const container = await ensure(pod);
        const targets = classes.map((k, i) => ({ id: String(i), kind: kindOf(k.protocol), host: world.model.pods.find((p) => p.id === k.sample)!.ip!, port: k.port, timeoutMs }));
        const res = await probeFrom(c, self.namespace, pod.split('/')[1]!, container, targets, timeoutMs);
        classes.forEach((k, i) => Object.assign(k, observedOf(k, res.get(String(i))!)));
      } else {
        const limit = pLimit(4);
        await Promise.all(
          classes
            .filter(probed)
            .map((k) =>
              limit(async () => {
                const container = await ensure(k.sample);
                const res = await probeFrom(c, k.namespace, k.sample.split('/')[1]!, container, [{ id: 'x', kind: kindOf(k.protocol), host: targetIp, port: k.port, timeoutMs }], timeoutMs);
                Object.assign(k, observedOf(k, res.get('x')!));
              }),
            ),
        );
        if (classes.some((k) => SYSTEM_NAMESPACES.includes(k.namespace))) notes.push(`pods in ${SYSTEM_NAMESPACES.join(', ')} are not probed from (no container is added to system pods): their rows are the engine's`);
        const atk = classes.find((k) => k.sample.startsWith(`${attackerNs}/`));
        if (atk) {
          const needAtk = [{ verb: 'create', resource: 'namespaces' }, { verb: 'delete', resource: 'namespaces' }, { verb: 'create', resource: 'pods', namespace: attackerNs }];
          const may = (await Promise.all(needAtk.map((n) => review(n)))).every(Boolean);
          if (!may) notes.push('the attacker pod was not created (this user may not create namespaces and pods): its row is the engine\'s');
          else {
            await withAttackerPod(c, image, async (ns, ip) => {
              // The engine's verdict for the real namespace name and address (a fresh namespace has only its name label).
              const w2 = withAttacker(world, ns, ip);
              const r = exposureTo(w2, w2.model.pods.find((p) => p.id === pod)!, atk.port, atk.protocol).find((x) => x.sample === `${ns}/${ATTACKER_ID}`);
              if (r) Object.assign(atk, { simulated: r.simulated, why: r.why, allowedBy: r.allowedBy });
              atk.sample = `${ns}/${ATTACKER_ID}`;
              atk.members = [atk.sample];
              atk.namespace = ns;
              const res = await probeFrom(c, ns, ATTACKER_ID, 'agent', [{ id: 'x', kind: kindOf(atk.protocol), host: targetIp, port: atk.port, timeoutMs }], timeoutMs);
              Object.assign(atk, observedOf(atk, res.get('x')!));
            });
            notes.push(`the attacker pod ran in a fresh namespace (${atk.namespace}), created and deleted by this run`);
          }
        }
      }
      probeMs = performance.now() - tp;
      probe = { ran: true };
    }
  }
  const own = JSON.stringify(Object.entries(stableLabels(self.labels)).sort());
  const others = classes.filter((k) => !(k.namespace === self.namespace && JSON.stringify(Object.entries(k.labels).sort()) === own));
  const verdictOf = (k: ExposureClass): string => (k.observed === 'connected' ? 'allow' : k.observed === 'dropped' || k.observed === 'refused' ? 'deny' : k.simulated);
  const wantMet = opts.want === undefined ? undefined : others.every((k) => verdictOf(k) === opts.want);
  return {
    schemaVersion: DIAGNOSE_SCHEMA_VERSION,
    kind: 'exposure',
    context: c.context,
    profile: profile.name,
    direction,
    pod,
    classes,
    allowed: classes.filter((k) => k.simulated === 'allow').length,
    probed: classes.filter((k) => k.observed !== undefined).length,
    ...(opts.want ? { want: opts.want } : {}),
    ...(wantMet !== undefined ? { wantMet } : {}),
    notes,
    probe,
    timings: { readMs: t.readMs, ...(probeMs !== undefined ? { probeMs } : {}), totalMs: performance.now() - t.t0 },
  };
}

function observedOf(k: ExposureClass, r: { outcome: Outcome; detail?: string }): Partial<ExposureClass> {
  const a = agrees(k.simulated, r.outcome);
  return { observed: r.outcome, ...(r.detail ? { detail: r.detail } : {}), ...(a !== undefined ? { agree: a } : {}) };
}
