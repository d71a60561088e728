// Which namespaces, workloads and probes exist after each step. A suite may declare them
// `initially: absent` and bring them in with a step's `create`, take them out with `delete`, and
// replace a workload's pods with `recreate` (new pods, new IPs, the declared labels again).
// Pure: the state model, the matrix axes, validation and the runner all follow these rules.
import type { StepSpec, Suite } from './schema.js';

export interface Presence {
  /** Suite namespaces that exist. */
  namespaces: ReadonlySet<string>;
  /** Endpoint ids (`<ns>/<name>`) of workloads and probes that exist; existing workloads always do. */
  endpoints: ReadonlySet<string>;
}

export interface PresenceChange {
  present: Presence;
  /** Namespaces this step created (they carry their declared labels again). */
  createdNamespaces: string[];
  /** Endpoints whose pods are new after this step (created or recreated): their labels are the declared ones. */
  freshEndpoints: string[];
}

export type Target = { kind: 'namespace'; name: string; text: string } | { kind: 'endpoint'; id: string; namespace: string; name: string; text: string };

/** `namespace/<ns>` names a namespace; `<ns>/<name>` a workload or probe (as label-change targets). */
export function parseTarget(text: string): Target {
  const [a, b] = text.split('/') as [string, string];
  return a === 'namespace' ? { kind: 'namespace', name: b, text } : { kind: 'endpoint', id: text, namespace: a, name: b, text };
}

/** The step's create/delete/recreate lists (all optional in the schema). */
export function endpointChanges(step: Pick<StepSpec, 'create' | 'delete' | 'recreate'>): { create: string[]; delete: string[]; recreate: string[] } {
  return { create: step.create ?? [], delete: step.delete ?? [], recreate: step.recreate ?? [] };
}

/** True when some step creates, deletes or recreates something, or something starts absent. */
export function hasDynamics(suite: Suite): boolean {
  return (
    suite.namespaces.some((n) => n.initially === 'absent') ||
    suite.workloads.some((w) => w.initially === 'absent') ||
    suite.probes.some((p) => p.initially === 'absent') ||
    suite.steps.some((s) => (s.create?.length ?? 0) + (s.delete?.length ?? 0) + (s.recreate?.length ?? 0) > 0)
  );
}

/** Harness-deployed endpoints (workloads that are not `existing`, and probes), with their namespace. */
export function ownEndpoints(suite: Suite): { id: string; namespace: string; initially: 'present' | 'absent' }[] {
  return [
    ...suite.workloads.filter((w) => !w.existing).map((w) => ({ id: `${w.namespace}/${w.name}`, namespace: w.namespace, initially: w.initially ?? ('present' as const) })),
    ...suite.probes.map((p) => ({ id: `${p.namespace}/${p.name}`, namespace: p.namespace, initially: p.initially ?? ('present' as const) })),
  ];
}

/** What exists before the first step. An endpoint whose namespace starts absent starts absent too. */
export function initialPresence(suite: Suite): Presence {
  const namespaces = new Set(suite.namespaces.filter((n) => n.initially !== 'absent').map((n) => n.name));
  const declared = new Set(suite.namespaces.map((n) => n.name));
  const endpoints = new Set(suite.workloads.filter((w) => w.existing).map((w) => `${w.namespace}/${w.name}`));
  for (const e of ownEndpoints(suite)) if (e.initially !== 'absent' && (namespaces.has(e.namespace) || !declared.has(e.namespace))) endpoints.add(e.id);
  return { namespaces, endpoints };
}

/** The suite as deployed before the first step: what starts absent is left out. */
export function presentFromStart(suite: Suite): Suite {
  const p = initialPresence(suite);
  return {
    ...suite,
    namespaces: suite.namespaces.filter((n) => p.namespaces.has(n.name)),
    workloads: suite.workloads.filter((w) => p.endpoints.has(`${w.namespace}/${w.name}`)),
    probes: suite.probes.filter((x) => p.endpoints.has(`${x.namespace}/${x.name}`)),
  };
}

/**
 * One step's changes, in the order the runner makes them: deletions (a namespace takes its
 * workloads and probes with it), then creations (namespaces before what runs in them), then
 * recreations. Targets that make no sense (unknown, already there) are ignored here: validation
 * reports them.
 */
export function presenceAfterStep(prev: Presence, step: Pick<StepSpec, 'create' | 'delete' | 'recreate'>, suite: Suite): PresenceChange {
  const ch = endpointChanges(step);
  const namespaces = new Set(prev.namespaces);
  const endpoints = new Set(prev.endpoints);
  const own = ownEndpoints(suite);
  for (const t of ch.delete.map(parseTarget)) {
    if (t.kind === 'namespace') {
      namespaces.delete(t.name);
      for (const e of own) if (e.namespace === t.name) endpoints.delete(e.id);
    } else endpoints.delete(t.id);
  }
  const created = ch.create.map(parseTarget);
  const createdNamespaces: string[] = [];
  for (const t of created) {
    if (t.kind === 'namespace' && !namespaces.has(t.name)) {
      namespaces.add(t.name);
      createdNamespaces.push(t.name);
    }
  }
  const fresh: string[] = [];
  for (const t of created) {
    if (t.kind === 'endpoint' && !endpoints.has(t.id)) {
      endpoints.add(t.id);
      fresh.push(t.id);
    }
  }
  for (const t of ch.recreate.map(parseTarget)) if (t.kind === 'endpoint' && endpoints.has(t.id) && !fresh.includes(t.id)) fresh.push(t.id);
  return { present: { namespaces, endpoints }, createdNamespaces, freshEndpoints: fresh };
}

/** Presence after each step, in order (index i: after steps[0..i]). */
export function presenceAfterEachStep(suite: Suite): PresenceChange[] {
  const out: PresenceChange[] = [];
  let cur = initialPresence(suite);
  for (const step of suite.steps) {
    const next = presenceAfterStep(cur, step, suite);
    out.push(next);
    cur = next.present;
  }
  return out;
}

/** Presence after steps 0..stepIndex. */
export function presenceAtStep(suite: Suite, stepIndex: number): Presence {
  let cur = initialPresence(suite);
  for (let i = 0; i <= stepIndex && i < suite.steps.length; i++) cur = presenceAfterStep(cur, suite.steps[i]!, suite).present;
  return cur;
}
