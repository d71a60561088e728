// One pod's exposure: with --to alone, every source the live policies let reach it; with --from
// alone, every destination (pod and declared port) it may reach. Pods are grouped by the engine's
// equivalence (same namespace and stable labels: no policy can tell them apart), plus an attacker
// pod in a fresh namespace with no labels, so a bounded sample (one pod per class) proves the row or
// column in place. Pure: probing the sample is the orchestrator's.
import { evaluateIn } from '../policy/evaluate.js';
import type { PodModel, Protocol } from '../policy/model.js';
import { prepare, type World } from '../policy/world.js';
import type { Outcome } from './probe.js';
import { stableLabels } from './model.js';

export const ATTACKER_ID = 'attacker';

export interface ExposureClass {
  /** `<ns> {labels}`: what policies see. */
  key: string;
  namespace: string;
  labels: Record<string, string>;
  members: string[];
  /** The member probed (or the attacker pod). */
  sample: string;
  port: number;
  protocol: Protocol;
  simulated: string;
  why: string;
  /** Rules that allow it (refs), when allowed. */
  allowedBy: string[];
  observed?: Outcome;
  detail?: string;
  agree?: boolean;
}

export interface ExposureReport {
  schemaVersion: number;
  kind: 'exposure';
  context: string;
  profile: string;
  /** `to`: sources that reach the pod; `from`: destinations the pod reaches. */
  direction: 'to' | 'from';
  pod: string;
  classes: ExposureClass[];
  allowed: number;
  probed: number;
  want?: 'allow' | 'deny';
  /** With --want deny: false when any class other than the pod's own is allowed (observed, else simulated). */
  wantMet?: boolean;
  notes: string[];
  probe: { ran: boolean; skipped?: string; needs?: string[] };
  timings: { readMs: number; probeMs?: number; totalMs: number };
}

export const ATTACKER_NAMESPACE_LABELS = { 'netpol-harness/role': 'attacker' } as const;

/** The attacker in a fresh namespace: no labels a policy could name (beyond the namespace's name). */
export function attackerPod(namespace: string): PodModel {
  return { id: `${namespace}/${ATTACKER_ID}`, namespace, labels: {}, ports: [] };
}

const classKey = (p: PodModel): string => `${p.namespace} ${JSON.stringify(Object.entries(stableLabels(p.labels)).sort())}`;
const candidates = (world: World): PodModel[] => world.model.pods.filter((p) => p.ip !== undefined && !p.hostNetwork);

function group(pods: PodModel[]): PodModel[][] {
  const m = new Map<string, PodModel[]>();
  for (const p of pods) m.set(classKey(p), [...(m.get(classKey(p)) ?? []), p]);
  return [...m.values()];
}

/** Every class of sources and its verdict to `target` on `port` (the attacker's namespace must be in the model). */
export function exposureTo(world: World, target: PodModel, port: number, protocol: Protocol): ExposureClass[] {
  return group(candidates(world).filter((p) => p.id !== target.id)).map((members) => {
    const rep = members[0]!;
    const r = evaluateIn(world, { from: rep.id, to: target.id, port, protocol });
    return {
      key: classKey(rep),
      namespace: rep.namespace,
      labels: stableLabels(rep.labels),
      members: members.map((x) => x.id),
      sample: rep.id,
      port,
      protocol,
      simulated: r.verdict,
      why: r.explanation.summary,
      allowedBy: [...(r.egress?.allowedBy ?? []), ...(r.ingress?.allowedBy ?? [])].map((a) => a.ref),
    };
  });
}

/** Every class of destinations (per declared port) and its verdict from `source`. */
export function exposureFrom(world: World, source: PodModel): ExposureClass[] {
  const out: ExposureClass[] = [];
  for (const members of group(candidates(world).filter((p) => p.id !== source.id && p.ports.length > 0))) {
    const rep = members[0]!;
    for (const cp of rep.ports) {
      const r = evaluateIn(world, { from: source.id, to: rep.id, port: cp.port, protocol: cp.protocol });
      out.push({
        key: `${classKey(rep)} ${cp.port}/${cp.protocol}`,
        namespace: rep.namespace,
        labels: stableLabels(rep.labels),
        members: members.map((x) => x.id),
        sample: rep.id,
        port: cp.port,
        protocol: cp.protocol,
        simulated: r.verdict,
        why: r.explanation.summary,
        allowedBy: [...(r.egress?.allowedBy ?? []), ...(r.ingress?.allowedBy ?? [])].map((a) => a.ref),
      });
    }
  }
  return out;
}

/** The world with the attacker's fresh namespace and pod added (IP unknown until it runs). */
export function withAttacker(world: World, namespace: string, ip?: string): World {
  const m = world.model;
  return prepare({ ...m, namespaces: [...m.namespaces, { name: namespace, labels: { ...ATTACKER_NAMESPACE_LABELS } }], pods: [...m.pods, { ...attackerPod(namespace), ip: ip ?? '0.0.0.0' }] }, world.profile);
}
