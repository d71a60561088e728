// The enforcement canary: proof that the CNI really enforces NetworkPolicy before any matrix is trusted.
// A client on one node reaches a server on another; a default-deny must then block it (a drop or a
// reject), and an allow rule must open it again. Some CNIs (and Docker Desktop's default) enforce
// nothing, and a matrix measured on them would pass every "allow" and fail every "deny" for no reason.
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { EnforcementError, InfraError } from '../../errors.js';
import type { PodExecutor } from '../../probe/exec.js';
import type { CleanupStack } from '../cleanup.js';
import { AGENT_CONTAINER, BatchProber, type SourcePod } from '../../probe/prober.js';
import { probeUntilSettled } from '../../probe/settle.js';

export interface CanaryOptions {
  agentImage: string;
  /** Two node names: the server runs on the first, the client on the second (cross-node path). */
  nodes: [string, string];
  cni: string;
  executor: PodExecutor;
  /** How long a policy change may take to be enforced. */
  enforceDeadlineMs?: number;
  probeTimeoutMs?: number;
  log?: (line: string) => void;
  /** Registers the canary namespace's deletion before it exists, so a signal mid-canary leaks nothing. */
  cleanup?: CleanupStack;
}

export interface CanaryResult {
  namespace: string;
  /** ms until the default-deny blocked the probe, then until the allow rule reopened it. */
  denyEnforcedMs: number;
  allowEnforcedMs: number;
  denyClass: string;
}

const FIELD_MANAGER = 'netpol-harness';

export function pod(ns: string, name: string, node: string, image: string, args: string[]): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { 'netpol-harness/canary': name } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: AGENT_CONTAINER, image, imagePullPolicy: 'IfNotPresent', args, ports: name === 'server' ? [{ containerPort: 8080 }] : [] }],
    },
  } as KubernetesObject;
}

export async function waitRunning(core: CoreV1Api, ns: string, names: string[], deadlineMs: number): Promise<Map<string, string>> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const list = await core.listNamespacedPod({ namespace: ns });
    const ips = new Map<string, string>();
    for (const p of list.items) {
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (ready && p.status?.podIP && p.metadata?.name) ips.set(p.metadata.name, p.status.podIP);
    }
    if (names.every((n) => ips.has(n))) return ips;
    if (Date.now() > end) {
      const stuck = list.items.filter((p) => !ips.has(p.metadata?.name ?? ''));
      const why = stuck
        .map((p) => {
          const w = p.status?.containerStatuses?.[0]?.state?.waiting;
          return `${p.metadata?.name}: ${p.status?.phase ?? 'unknown'}${w ? ` (${w.reason}: ${w.message ?? ''})` : ''}`;
        })
        .join('; ');
      throw new InfraError(`canary pods in ${ns} not ready within ${deadlineMs / 1000} s: ${why || 'no pods'}`, {
        hint: 'check that the agent image is loaded on the nodes and that the CNI has set up pod networking',
      });
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function enforcementCanary(kc: KubeConfig, opts: CanaryOptions): Promise<CanaryResult> {
  const log = opts.log ?? (() => {});
  const api = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = `nph-canary-${randomBytes(3).toString('hex')}`;
  const apply = (o: KubernetesObject) => api.patch(o, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  const deadline = opts.enforceDeadlineMs ?? 60_000;
  const timeoutMs = opts.probeTimeoutMs ?? 2000;
  const deleteNs = () => api.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, undefined, undefined, 0).then(() => undefined, () => undefined);
  const unregister = opts.cleanup?.push(`canary namespace ${ns}`, deleteNs);
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'app.kubernetes.io/managed-by': 'netpol-harness' } } });
  try {
    await apply(pod(ns, 'server', opts.nodes[0], opts.agentImage, ['serve', '--tcp', '8080']));
    await apply(pod(ns, 'client', opts.nodes[1], opts.agentImage, ['serve']));
    const ips = await waitRunning(core, ns, ['server', 'client'], 120_000);
    const source: SourcePod = { endpoint: `${ns}/client`, namespace: ns, pod: 'client', container: AGENT_CONTAINER };
    const cell = (expected: 'allow' | 'deny') => [
      { source, target: { id: 'server:8080/TCP', kind: 'tcp' as const, host: ips.get('server')!, port: 8080, timeoutMs }, expected },
    ];
    const prober = new BatchProber(opts.executor);
    const phase = async (expected: 'allow' | 'deny') => {
      const r = await probeUntilSettled(cell(expected), prober, { deadlineMs: deadline, intervalMs: 500 });
      return { r, outcome: [...r.outcomes.values()][0]! };
    };

    const base = await phase('allow');
    if (base.r.timeToEnforceMs === undefined) {
      throw new InfraError(
        `pod network broken: client on ${opts.nodes[1]} cannot reach server on ${opts.nodes[0]} with no policy (${base.outcome.result.class}${base.outcome.result.detail ? `: ${base.outcome.result.detail}` : ''})`,
        { hint: 'the CNI did not set up cross-node pod networking; check its pods in kube-system' },
      );
    }
    log(`canary: cross-node probe connects with no policy (${opts.nodes[1]} -> ${opts.nodes[0]})`);

    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'canary-deny', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    } as KubernetesObject);
    const deny = await phase('deny');
    if (deny.r.timeToEnforceMs === undefined) {
      throw new EnforcementError(
        `this CNI does not enforce NetworkPolicy: a default-deny ingress policy did not block client -> server within ${deadline / 1000} s (CNI: ${opts.cni}; last probe: ${deny.outcome.result.class})`,
        { hint: 'install a CNI that enforces NetworkPolicy (e.g. --cni calico), or run with --cni none only to record a non-enforcing baseline' },
      );
    }
    log(`canary: default-deny enforced after ${(deny.r.timeToEnforceMs / 1000).toFixed(1)} s (${deny.outcome.result.class})`);

    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'canary-allow', namespace: ns },
      spec: {
        podSelector: { matchLabels: { 'netpol-harness/canary': 'server' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { 'netpol-harness/canary': 'client' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
      },
    } as KubernetesObject);
    const allow = await phase('allow');
    if (allow.r.timeToEnforceMs === undefined) {
      throw new EnforcementError(`the CNI blocks but does not honour allow rules: client -> server stayed denied within ${deadline / 1000} s after an allow policy (CNI: ${opts.cni})`);
    }
    log(`canary: allow rule honoured after ${(allow.r.timeToEnforceMs / 1000).toFixed(1)} s`);
    return { namespace: ns, denyEnforcedMs: deny.r.timeToEnforceMs, allowEnforcedMs: allow.r.timeToEnforceMs, denyClass: deny.outcome.result.class };
  } finally {
    await deleteNs();
    unregister?.();
  }
}
