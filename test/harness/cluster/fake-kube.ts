// An in-memory KubeClient for unit tests: objects by kind/namespace/name, equality and existence
// label selectors, a call log, optional controllers (Deployment -> pods) and injected failures.
/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import type { ApplyOptions, KubeClient, ListOptions, LogOptions, ObjectRef } from '../../../harness/cluster/kube-client.js';
import { refKey } from '../../../harness/cluster/kube-client.js';
import type { EventLike, KObject } from '../../../harness/cluster/kube-types.js';

export type Call = [op: 'apply' | 'update' | 'get' | 'list' | 'delete' | 'patchLabels' | 'events' | 'logs', what: string, extra?: unknown];

export function matchesSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const t = term.trim();
    if (!t) return true;
    const ne = /^(.+?)!=(.*)$/.exec(t);
    if (ne) return labels[ne[1]!] !== ne[2];
    const eq = /^(.+?)==?(.*)$/.exec(t);
    if (eq) return labels[eq[1]!] === eq[2];
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t in labels;
  });
}

export class FakeKube implements KubeClient {
  readonly objects = new Map<string, KObject>();
  readonly calls: Call[] = [];
  readonly eventsByKey = new Map<string, EventLike[]>();
  /** Container logs by `ns/pod/container`, and `ns/pod/container (previous)` for the last crashed instance. */
  readonly logsByKey = new Map<string, string>();
  /** Called after each apply with the stored object (simulate controllers here). */
  onApply: ((obj: KObject, fake: FakeKube) => void) | undefined;
  /** Called after each successful delete (simulate garbage collection and ReplicaSets here). */
  onDelete: ((ref: ObjectRef, fake: FakeKube) => void) | undefined;
  /** Throw from an operation: return an Error to throw it. */
  failWith: ((op: Call[0], ref: ObjectRef) => Error | undefined) | undefined;
  /** Keep metadata.managedFields as the API server does, coarsely: one entry per manager and operation. */
  trackOwners = false;
  private rv = 1;
  private ip = 10;

  private own(o: KObject, prev: KObject | undefined, manager: string, operation: 'Apply' | 'Update'): void {
    if (!this.trackOwners) return;
    const kept = (prev?.metadata.managedFields ?? []).filter((e) => !(e.manager === manager && e.operation === operation));
    o.metadata.managedFields = [...kept, { manager, operation, apiVersion: o.apiVersion, fieldsType: 'FieldsV1', fieldsV1: {} }];
  }

  put(obj: KObject): KObject {
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(this.rv++);
    stored.metadata.uid ??= `uid-${this.rv}`;
    this.objects.set(refKey(this.ref(stored)), stored);
    return stored;
  }

  ref(o: KObject): ObjectRef {
    return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '', ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
  }

  find(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.objects.get(refKey({ apiVersion: '', kind, name, ...(namespace ? { namespace } : {}) }));
  }

  ofKind(kind: string): KObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind);
  }

  private check(op: Call[0], ref: ObjectRef): void {
    const e = this.failWith?.(op, ref);
    if (e) throw e;
  }

  async apply<T extends KObject = KObject>(obj: KObject, _opts?: ApplyOptions): Promise<T> {
    const ref = this.ref(obj);
    this.calls.push(['apply', refKey(ref)]);
    this.check('apply', ref);
    const prev = this.objects.get(refKey(ref));
    const next = structuredClone(obj);
    if (prev?.status) next.status = prev.status;
    // Apply updates the stored object: it keeps its identity.
    if (prev?.metadata.uid) next.metadata.uid = prev.metadata.uid;
    if (obj.kind === 'Service') {
      const spec = (next.spec ??= {}) as { clusterIP?: string };
      spec.clusterIP ??= (prev?.spec as { clusterIP?: string } | undefined)?.clusterIP ?? `10.96.0.${this.ip++}`;
    }
    if (obj.kind === 'Namespace') next.metadata.labels = { ...(next.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
    this.own(next, prev, _opts?.fieldManager ?? 'netpol-harness', 'Apply');
    const stored = this.put(next);
    this.onApply?.(stored, this);
    return structuredClone(stored) as T;
  }

  /** PUT: a stale resourceVersion is a 409; managedFields given are stored as given ([{}] clears them). */
  async update<T extends KObject = KObject>(obj: KObject): Promise<T> {
    const ref = this.ref(obj);
    this.calls.push(['update', refKey(ref)]);
    this.check('update', ref);
    const prev = this.objects.get(refKey(ref));
    if (!prev) throw Object.assign(new Error(`${refKey(ref)} not found`), { code: 404 });
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== prev.metadata.resourceVersion) throw Object.assign(new Error('conflict'), { code: 409 });
    const next = structuredClone(obj);
    const given = obj.metadata.managedFields;
    if (!given || given.length === 0) next.metadata.managedFields = prev.metadata.managedFields;
    else next.metadata.managedFields = given.filter((e) => Object.keys(e).length > 0);
    return structuredClone(this.put(next)) as T;
  }

  async get<T extends KObject = KObject>(ref: ObjectRef): Promise<T | undefined> {
    this.calls.push(['get', refKey(ref)]);
    this.check('get', ref);
    const o = this.objects.get(refKey(ref));
    return o ? (structuredClone(o) as T) : undefined;
  }

  async list<T extends KObject = KObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    this.calls.push(['list', `${kind}${opts.namespace ? ` ${opts.namespace}` : ''}${opts.labelSelector ? ` ${opts.labelSelector}` : ''}`]);
    return [...this.objects.values()]
      .filter((o) => o.kind === kind && (!opts.namespace || o.metadata.namespace === opts.namespace) && matchesSelector(o.metadata.labels ?? {}, opts.labelSelector))
      .map((o) => structuredClone(o) as T);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    this.calls.push(['delete', refKey(ref)]);
    this.check('delete', ref);
    const had = this.objects.delete(refKey(ref));
    if (had && ref.kind === 'Namespace') {
      for (const [k, o] of this.objects) if (o.metadata.namespace === ref.name) this.objects.delete(k);
    }
    if (had) this.onDelete?.(ref, this);
    return had;
  }

  async patchLabels(ref: ObjectRef, set: Record<string, string>, remove: string[]): Promise<void> {
    this.calls.push(['patchLabels', refKey(ref), { set, remove }]);
    this.check('patchLabels', ref);
    const o = this.objects.get(refKey(ref));
    if (!o) throw Object.assign(new Error(`${refKey(ref)} not found`), { code: 404 });
    const labels = { ...(o.metadata.labels ?? {}), ...set };
    for (const k of remove) if (!(k in set)) delete labels[k];
    o.metadata.labels = labels;
    this.own(o, o, 'netpol-harness', 'Update');
  }

  async events(ref: ObjectRef): Promise<EventLike[]> {
    this.calls.push(['events', refKey(ref)]);
    return this.eventsByKey.get(refKey(ref)) ?? [];
  }

  async logs(namespace: string, pod: string, opts: LogOptions): Promise<string> {
    const key = `${namespace}/${pod}/${opts.container}${opts.previous ? ' (previous)' : ''}`;
    this.calls.push(['logs', key, opts]);
    const text = this.logsByKey.get(key);
    if (text === undefined) throw Object.assign(new Error(`no log for ${key}`), { code: 400 });
    // Like the apiserver: the last tailLines lines, then at most limitBytes.
    const lines = text.split('\n');
    const tail = opts.tailLines !== undefined ? lines.slice(-opts.tailLines - (text.endsWith('\n') ? 1 : 0)).join('\n') : text;
    return opts.limitBytes !== undefined ? tail.slice(0, opts.limitBytes) : tail;
  }

  ops(op?: Call[0]): string[] {
    return this.calls.filter((c) => !op || c[0] === op).map((c) => (op ? c[1] : `${c[0]} ${c[1]}`));
  }
}

export interface PodBehaviour {
  /** Pods of these endpoints stay Pending with this container state. */
  stuck?: Record<string, { waiting?: { reason: string; message?: string }; phase?: string }>;
}

/** A Deployment controller: on apply, (re)creates `replicas` Running+Ready pods from the template. */
export function deploymentController(behaviour: PodBehaviour = {}) {
  let n = 0;
  return (obj: KObject, fake: FakeKube) => {
    if (obj.kind !== 'Deployment') return;
    const spec = obj.spec as { replicas: number; template: { metadata: { labels: Record<string, string> }; spec: { nodeSelector?: Record<string, string>; containers: { name: string }[] } } };
    const ns = obj.metadata.namespace ?? '';
    for (const p of fake.ofKind('Pod')) {
      if (p.metadata.namespace === ns && p.metadata.ownerReferences?.[0]?.name === obj.metadata.name) fake.objects.delete(`Pod/${ns}/${p.metadata.name}`);
    }
    const ep = spec.template.metadata.labels['netpol-harness/endpoint'] ?? obj.metadata.name ?? '';
    const stuck = behaviour.stuck?.[`${ns}/${ep}`];
    for (let i = 0; i < spec.replicas; i++) {
      n += 1;
      const name = `${obj.metadata.name}-abc${n}`;
      const node = spec.template.spec.nodeSelector?.['kubernetes.io/hostname'] ?? 'node-x';
      fake.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns, labels: { ...spec.template.metadata.labels, 'pod-template-hash': 'abc' }, ownerReferences: [{ kind: 'ReplicaSet', name: obj.metadata.name ?? '' }] },
        spec: { nodeName: node, containers: spec.template.spec.containers },
        status: stuck
          ? {
              phase: stuck.phase ?? 'Pending',
              conditions: [{ type: 'Ready', status: 'False' }],
              containerStatuses: [{ name: 'agent', ready: false, state: stuck.waiting ? { waiting: stuck.waiting } : {} }],
            }
          : { phase: 'Running', podIP: `10.244.0.${n}`, conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'agent', ready: true, state: { running: {} } }] },
      });
    }
  };
}

/** A clock whose sleep advances time instantly. */
export function fakeClock(start = 0) {
  let t = start;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}
