// Validation of the suite's dynamics: `initially: absent`, and steps that create, delete and
// recreate workloads, probes and namespaces (presence.ts), together with where policies and label
// changes land. Every problem names the step field that causes it.
import { dnsNames } from '../matrix/axes.js';
import { didYouMean } from './hints.js';
import type { LoadedSuite } from './load.js';
import { describeObjectKey, noPolicyObjects, policyObjectsAfterStep } from './ownership.js';
import { endpointChanges, initialPresence, parseTarget, presenceAfterStep, type Presence, type Target } from './presence.js';
import type { Suite } from './schema.js';

type Add = (path: string, message: string, severity?: 'warning') => void;

interface Known {
  kind: 'workload' | 'probe';
  existing: boolean;
  namespace: string;
}

function knownEndpoints(suite: Suite): Map<string, Known> {
  const out = new Map<string, Known>();
  for (const w of suite.workloads) out.set(`${w.namespace}/${w.name}`, { kind: 'workload', existing: w.existing, namespace: w.namespace });
  for (const p of suite.probes) out.set(`${p.namespace}/${p.name}`, { kind: 'probe', existing: false, namespace: p.namespace });
  return out;
}

/** Top-level flags: what may start absent. */
function checkInitially(suite: Suite, add: Add): void {
  const absentNs = new Set(suite.namespaces.filter((n) => n.initially === 'absent').map((n) => n.name));
  suite.workloads.forEach((w, i) => {
    if (w.existing && w.initially !== undefined)
      add(`workloads[${i}].initially`, 'an existing workload is found in the cluster, never created or deleted by the harness: remove initially');
    else if (w.initially !== 'absent' && absentNs.has(w.namespace))
      add(`workloads[${i}].namespace`, `namespace "${w.namespace}" is initially absent, so this workload cannot start present: mark it initially: absent and create it in a step (after namespace/${w.namespace})`);
  });
  suite.probes.forEach((p, i) => {
    if (p.initially !== 'absent' && absentNs.has(p.namespace))
      add(`probes[${i}].namespace`, `namespace "${p.namespace}" is initially absent, so this probe cannot start present: mark it initially: absent and create it in a step (after namespace/${p.namespace})`);
  });
}

/** Where a thing's presence comes from, for messages. */
class History {
  private readonly why = new Map<string, string>();
  constructor(suite: Suite) {
    for (const n of suite.namespaces) this.why.set(`namespace/${n.name}`, n.initially === 'absent' ? 'declared initially: absent' : 'declared present from the start');
    for (const [id] of knownEndpoints(suite)) {
      const w = suite.workloads.find((x) => `${x.namespace}/${x.name}` === id) ?? suite.probes.find((x) => `${x.namespace}/${x.name}` === id);
      this.why.set(id, w?.initially === 'absent' ? 'declared initially: absent' : 'declared present from the start');
    }
  }
  note(text: string, what: string): void {
    this.why.set(text, what);
  }
  of(text: string): string {
    return this.why.get(text) ?? '';
  }
}

const isHere = (t: Target, p: Presence): boolean => (t.kind === 'namespace' ? p.namespaces.has(t.name) : p.endpoints.has(t.id));

export function checkDynamics(loaded: LoadedSuite, add: Add): void {
  const { suite } = loaded;
  checkInitially(suite, add);
  const namespaces = suite.namespaces.map((n) => n.name);
  const declaredNs = new Set(namespaces);
  const existingNs = new Set(suite.namespaces.filter((n) => n.existing).map((n) => n.name));
  const endpoints = knownEndpoints(suite);
  const history = new History(suite);
  // The implicit DNS check resolves this workload's Service (axes.ts): it must not leave.
  const implicitDns = suite.probe.dnsNames === undefined && dnsNames(suite).length > 0 ? suite.workloads.find((w) => !w.existing && w.initially !== 'absent') : undefined;
  const implicitDnsId = implicitDns ? `${implicitDns.namespace}/${implicitDns.name}` : undefined;
  let dnsReported = false;
  let present = initialPresence(suite);
  let pols = noPolicyObjects();

  suite.steps.forEach((step, i) => {
    const base = `steps[${i}]`;
    const ch = endpointChanges(step);
    /** Known, harness-owned targets; anything else is reported here and skipped. */
    const resolve = (text: string, path: string, verb: string): Target | undefined => {
      const t = parseTarget(text);
      if (t.kind === 'namespace') {
        if (existingNs.has(t.name)) {
          add(path, `namespace "${t.name}" is existing: true: the harness never creates or deletes a namespace it did not create`);
          return undefined;
        }
        if (declaredNs.has(t.name)) return t;
        add(path, `namespace "${t.name}" is not declared in namespaces${didYouMean(t.name, namespaces)}: the harness ${verb}s only namespaces it declares`);
        return undefined;
      }
      const e = endpoints.get(t.id);
      if (e === undefined) {
        add(path, `unknown target "${text}"${didYouMean(text, [...endpoints.keys()])}: use "namespace/<name>" or "<namespace>/<workload or probe>"`);
        return undefined;
      }
      if (e.existing) {
        add(path, `"${text}" is an existing workload: the harness never creates, deletes or recreates what it did not deploy`);
        return undefined;
      }
      return t;
    };
    const listed = (list: string[], field: string, verb: string): { t: Target; path: string }[] => {
      const seen = new Set<string>();
      const out: { t: Target; path: string }[] = [];
      list.forEach((text, j) => {
        const path = `${base}.${field}[${j}]`;
        if (seen.has(text)) {
          add(path, `"${text}" is listed twice`);
          return;
        }
        seen.add(text);
        const t = resolve(text, path, verb);
        if (t) out.push({ t, path });
      });
      return out;
    };
    const deletes = listed(ch.delete, 'delete', 'delete');
    const creates = listed(ch.create, 'create', 'create');
    const recreates = listed(ch.recreate, 'recreate', 'recreate');

    const deleted = new Set<string>();
    for (const { t, path } of deletes) {
      if (!isHere(t, present)) add(path, `"${t.text}" is absent at this point (${history.of(t.text)}): delete only what exists`);
      deleted.add(t.text);
    }
    const afterDelete = presenceAfterStep(present, { delete: ch.delete }, suite).present;
    const createdNs = new Set(creates.filter(({ t }) => t.kind === 'namespace').map(({ t }) => (t.kind === 'namespace' ? t.name : '')));
    const created = new Set<string>();
    for (const { t, path } of creates) {
      created.add(t.text);
      if (deleted.has(t.text)) {
        add(path, `"${t.text}" is both deleted and created in this step: for new pods of a workload use recreate; otherwise delete and create in different steps`);
        continue;
      }
      if (isHere(t, afterDelete)) {
        add(path, `"${t.text}" is already present at this point (${history.of(t.text)}): create only what is absent (declared initially: absent, or deleted by an earlier step)`);
        continue;
      }
      if (t.kind === 'endpoint' && declaredNs.has(t.namespace) && !afterDelete.namespaces.has(t.namespace) && !createdNs.has(t.namespace))
        add(path, `the namespace of "${t.text}" is absent at this point (${history.of(`namespace/${t.namespace}`)}): create namespace/${t.namespace} first, in this step or an earlier one`);
    }
    const afterCreate = presenceAfterStep(present, { delete: ch.delete, create: ch.create }, suite).present;
    for (const { t, path } of recreates) {
      if (t.kind === 'namespace') {
        add(path, `recreate replaces the pods of a workload or probe; to recreate namespace "${t.name}", delete it in one step and create it in a later one`);
        continue;
      }
      if (created.has(t.text)) add(path, `"${t.text}" is created in this step: its pods are new anyway`);
      else if (!afterCreate.endpoints.has(t.id)) add(path, `"${t.text}" is absent at this point (${history.of(t.text)}): recreate only what exists`);
    }

    const next = presenceAfterStep(present, step, suite).present;
    step.labels.forEach((lc, j) => {
      const t = parseTarget(lc.target);
      const known = t.kind === 'namespace' ? declaredNs.has(t.name) : endpoints.has(t.id) && !endpoints.get(t.id)!.existing;
      if (known && !isHere(t, next)) add(`${base}.labels[${j}].target`, `"${lc.target}" is absent at this point (${history.of(lc.target)}): relabel only what exists; create it first`);
    });

    // Policies live in namespaces: a set cannot go into an absent one, and deleting a namespace would
    // delete policies the suite still counts as applied.
    const nextPols = policyObjectsAfterStep(pols, step, loaded.policies);
    const reported = new Set<string>();
    for (const [key, d] of nextPols.objects) {
      const ns = d.policy.metadata.namespace ?? '';
      if (!declaredNs.has(ns) || next.namespaces.has(ns)) continue;
      const applyAt = step.apply.indexOf(d.setId);
      const nsDelete = deletes.find(({ t }) => t.kind === 'namespace' && t.name === ns);
      const path = applyAt !== -1 ? `${base}.apply[${applyAt}]` : nsDelete ? nsDelete.path : base;
      if (reported.has(path)) continue;
      reported.add(path);
      if (applyAt !== -1)
        add(path, `policy set "${d.setId}" puts ${describeObjectKey(key)} into namespace "${ns}", which is absent at this point (${history.of(`namespace/${ns}`)}): create namespace/${ns} first`);
      else
        add(path, `namespace "${ns}" still holds ${describeObjectKey(key)} of applied policy set "${d.setId}": remove the set in this step or earlier (deleting a namespace deletes its policies behind the suite's back)`);
    }

    if (implicitDnsId && !dnsReported && !next.endpoints.has(implicitDnsId)) {
      dnsReported = true;
      const at = deletes.find(({ t }) => (t.kind === 'endpoint' ? t.id === implicitDnsId : t.name === implicitDns!.namespace));
      add(
        at?.path ?? base,
        `this removes ${implicitDnsId}, whose Service name is the DNS check every source resolves (probe.dnsNames is omitted): the lookup would get NXDOMAIN, an error rather than a verdict; set probe.dnsNames`,
      );
    }

    for (const { t } of deletes) history.note(t.text, `deleted by step "${step.name}"`);
    for (const { t } of deletes)
      if (t.kind === 'namespace') for (const [id, e] of endpoints) if (e.namespace === t.name && present.endpoints.has(id)) history.note(id, `deleted with namespace/${t.name} by step "${step.name}"`);
    for (const { t } of creates) history.note(t.text, `created by step "${step.name}"`);
    present = next;
    pols = nextPols;
  });
}
